"""The outer loop of a linear mixed model: minimise lme4's profiled criterion over theta.

``criterion(theta) = pls_deviance(factorize(problem, theta))``; beta and sigma are
profiled out, so only the covariance parameters are searched, within lme4's bounds
(diagonal elements of each ``T_i`` >= 0). An evaluation costs no data-sized work (see
:mod:`aurora.engine.lmm`). The default search is lme4's own: NLopt's BOBYQA with lme4's
``nloptwrap`` settings, so the estimates agree with lme4's to far below the printed
digits. When every random effect is scalar and the dense block of the factor is large
(InstEval's crossed design: 1,142 columns), the search is instead L-BFGS-B on the exact
gradient (:mod:`aurora.engine.lmm_gradient`, about one more factorisation per step): some
20 evaluations instead of BOBYQA's 100-150, to the same optimum (the criterion at least as
low as BOBYQA's). ``optimizer="L-BFGS-B"`` forces it (with forward differences when the
exact gradient is not available), ``"nloptwrap"`` forces BOBYQA, ``"none"`` evaluates at
the start. A gradient at the end decides convergence (lme4's ``check.conv.grad``: central
differences, or the exact one), and lme4's ``isSingular`` (a bounded element below
``1e-4``) flags boundary fits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from scipy.optimize import minimize

from aurora.engine.lmm import LMMProblem, PLSFactor, factorize, pls_deviance
from aurora.engine.lmm_gradient import criterion_gradient, has_gradient

__all__ = ["LMMFit", "fit_lmm", "LMM_CONTROL", "is_singular", "nlopt_bobyqa"]

LMM_CONTROL: dict[str, Any] = {
    "optimizer": "auto",   # "nloptwrap" (lme4's NLopt BOBYQA), "L-BFGS-B" (scipy), "none";
                           # "auto": BOBYQA, or L-BFGS-B on the exact gradient for scalar
                           # terms with a dense block of at least gradient_min_q2
    "gradient_min_q2": 400,
    "xtol_abs": 1e-8,      # nloptwrap's settings, as lme4's
    "ftol_abs": 1e-8,
    "maxeval": 100_000,
    "maxiter": 1000,       # L-BFGS-B iterations
    "ftol": 1e-15,         # relative reduction of the criterion that stops the search
    "gtol": 1e-6,          # projected gradient that stops the search
    "fd_step": 1e-7,       # relative step of the forward differences during the search
    "step": 1e-5,          # relative step of the central differences of the final check
    "grad_tol": 2e-3,      # lme4's check.conv.grad: largest |scaled gradient| accepted
    "singular_tol": 1e-4,  # lme4's isSingular tolerance
}


@dataclass(frozen=True)
class LMMFit:
    """Estimates of a linear mixed model.

    Attributes
    ----------
    theta : ndarray
    factor : PLSFactor
        The PLS factor at ``theta`` (``beta``, ``u``, ``RX``, ``pwrss`` ...).
    criterion : float
        lme4's REML criterion or ML deviance at ``theta``.
    REML : bool
    sigma : float
        Residual standard deviation.
    converged : bool
    gradient : ndarray
        Gradient of the criterion at ``theta`` (central differences; projected on the
        bounds).
    singular : bool
        lme4's ``isSingular``.
    n_evals : int
    messages : tuple of str
        Warnings (boundary fit, convergence), as lme4 words them.
    trace : tuple of (theta, criterion)
    optimizer : str
        ``"nloptwrap"`` (NLopt's BOBYQA, lme4's default) or ``"L-BFGS-B"``.
    """

    theta: np.ndarray
    factor: PLSFactor = field(repr=False)
    criterion: float
    REML: bool
    sigma: float
    converged: bool
    gradient: np.ndarray
    singular: bool
    n_evals: int
    messages: tuple[str, ...] = ()
    trace: tuple = field(default=(), repr=False)
    optimizer: str = "nloptwrap"


def is_singular(theta: np.ndarray, lower: np.ndarray, tol: float = 1e-4) -> bool:
    """lme4's ``isSingular``: some bounded theta element below ``tol``.

    Examples
    --------
    >>> is_singular(np.array([0.5, 0.0, 1e-6]), np.array([0.0, -np.inf, 0.0]))
    True
    """
    bounded = lower == 0
    return bool(np.any(theta[bounded] < tol))


def _gradient(fun, theta: np.ndarray, lower: np.ndarray, step: float,
              central: bool = True) -> np.ndarray:
    """Finite-difference gradient; forward differences at the bounds (or when asked)."""
    g = np.zeros_like(theta)
    f0 = fun(theta)
    for j in range(theta.size):
        h = step * max(1.0, abs(theta[j]))
        up = theta.copy()
        up[j] += h
        dn = theta.copy()
        dn[j] -= h
        if not central or dn[j] < lower[j]:
            g[j] = (fun(up) - f0) / h
        else:
            g[j] = (fun(up) - fun(dn)) / (2 * h)
    return g


def fit_lmm(pr: LMMProblem, REML: bool = True, theta0: np.ndarray | None = None,
            control: dict[str, Any] | None = None) -> LMMFit:
    """Minimise lme4's profiled REML criterion (or ML deviance) over theta.

    Parameters
    ----------
    pr : LMMProblem
    REML : bool
    theta0 : ndarray, optional
        Start (lme4's: 1 on diagonals, 0 elsewhere).
    control : dict, optional
        Overrides of :data:`LMM_CONTROL`.

    Returns
    -------
    LMMFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.lmm import lmm_problem
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(10), 5)
    >>> y = rng.normal(size=10)[g] + rng.normal(size=50)
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, pd.DataFrame({"g": g}))
    >>> fit = fit_lmm(lmm_problem(np.ones((50, 1)), y, rt))
    >>> fit.converged, round(fit.sigma, 4)
    (True, 0.8307)
    """
    with _blas_threads(pr.q2):
        return _fit_lmm(pr, REML, theta0, control)


def _blas_threads(q2: int):
    """One BLAS thread unless the dense block is large: the loop makes many mid-sized
    LAPACK calls, and threads waiting for a busy core made them up to 30x slower here."""
    import contextlib

    if q2 >= 2500:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _fit_lmm(pr: LMMProblem, REML: bool, theta0: np.ndarray | None,
             control: dict[str, Any] | None) -> LMMFit:
    ctl = dict(LMM_CONTROL)
    ctl.update(control or {})
    terms = pr.terms
    lower = terms.lower
    theta0 = terms.theta0 if theta0 is None else np.asarray(theta0, dtype=float)
    trace: list[tuple[np.ndarray, float]] = []
    cache: dict[bytes, float] = {}

    def fun(th: np.ndarray) -> float:
        key = th.tobytes()
        if key not in cache:
            try:
                val = float(pls_deviance(pr, factorize(pr, th), REML))
            except (np.linalg.LinAlgError, ValueError):
                val = np.inf
            if not np.isfinite(val):
                val = 1e300
            cache[key] = val
            trace.append((th.copy(), val))
        return cache[key]

    exact = has_gradient(pr)
    grads: dict[bytes, np.ndarray] = {}

    def fun_grad(th: np.ndarray) -> tuple[float, np.ndarray]:
        th = np.maximum(th, lower)
        if not exact:
            return fun(th), _gradient(fun, th, lower, ctl["fd_step"], central=False)
        key = th.tobytes()
        if key not in grads:
            try:
                f = factorize(pr, th)
                val = float(pls_deviance(pr, f, REML))
                g = criterion_gradient(pr, f, REML)
            except (np.linalg.LinAlgError, ValueError):
                val, g = np.inf, np.zeros_like(th)
            if not np.isfinite(val):
                val = 1e300
            cache.setdefault(key, val)
            trace.append((th.copy(), val))
            grads[key] = g
        return cache[key], grads[key]

    optimizer = ctl["optimizer"]
    if optimizer == "auto":
        optimizer = ("L-BFGS-B" if exact and pr.q2 >= ctl["gradient_min_q2"]
                     else "nloptwrap")
    if optimizer == "nloptwrap":
        try:
            import nlopt  # noqa: F401
        except ImportError:  # pragma: no cover - nlopt is a dependency; scipy as fallback
            optimizer = "L-BFGS-B"
    if optimizer == "none":  # evaluate at theta0 (lme4's devFunOnly, then mkMerMod)
        theta = np.maximum(theta0, lower)
        fun(theta)
    elif optimizer == "nloptwrap":
        theta = _bobyqa(fun, theta0, lower, ctl)
    elif optimizer == "L-BFGS-B":
        bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
        res = minimize(fun_grad, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": ctl["maxiter"], "ftol": ctl["ftol"],
                                "gtol": ctl["gtol"], "maxcor": 20})
        theta = np.maximum(np.asarray(res.x, dtype=float), lower)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}; use 'nloptwrap', 'L-BFGS-B' or "
                         "'none'")
    best = min(trace, key=lambda t: t[1])
    if best[1] < fun(theta):
        theta = best[0]
    factor = factorize(pr, theta)
    crit = float(pls_deviance(pr, factor, REML))
    if exact and optimizer == "L-BFGS-B":
        grad = criterion_gradient(pr, factor, REML)
    else:
        grad = _gradient(fun, theta, lower, ctl["step"])
    proj = np.where((theta <= lower) & (grad > 0), 0.0, grad)
    singular = is_singular(theta, lower, ctl["singular_tol"])
    messages = []
    converged = _check_gradient(fun, theta, lower, proj, ctl)
    if not converged and optimizer != "none":
        k = int(np.argmax(np.abs(proj)))
        messages.append(f"Model failed to converge with max|grad| = {abs(proj[k]):.6g} "
                        f"(tol = {ctl['grad_tol']:g}, component {k + 1})")
    if singular:
        messages.append("boundary (singular) fit: see help('isSingular')")
    dof = pr.n - pr.p if REML else pr.n
    sigma = float(np.sqrt(factor.pwrss / dof))
    return LMMFit(theta, factor, crit, REML, sigma, converged, proj, singular, len(cache),
                  tuple(messages), tuple(trace), optimizer)


def _bobyqa(fun, theta0: np.ndarray, lower: np.ndarray, ctl: dict) -> np.ndarray:
    """lme4's default optimiser: NLopt's BOBYQA with ``xtol_abs = ftol_abs = 1e-8``
    (lme4's ``nloptwrap``), NLopt's default initial step. Same algorithm, same settings,
    same start: the same estimates as lme4 to the last printed digit."""
    m = theta0.size
    return nlopt_bobyqa(fun, np.asarray(theta0, dtype=float),
                        np.where(np.isfinite(lower), lower, -np.inf), np.full(m, np.inf),
                        ctl["xtol_abs"], ctl["ftol_abs"], int(ctl["maxeval"]))[0]


def nlopt_bobyqa(fun: Callable[[np.ndarray], float], x0: np.ndarray, lower: np.ndarray,
           upper: np.ndarray, xtol_abs: float = 1e-8, ftol_abs: float = 1e-8,
           maxeval: int = 100_000) -> tuple[np.ndarray, float]:
    """Minimise ``fun`` within bounds as lme4's ``nloptwrap`` does (NLopt's BOBYQA, its
    default initial step); SciPy's bounded Powell when NLopt is missing.

    Returns the best point and value seen (NLopt's ``optimum``). Non-finite values count as
    ``1e300``.

    Examples
    --------
    >>> x, f = nlopt_bobyqa(lambda x: float((x[0] - 2) ** 2 + 1), np.array([1.0]),
    ...               np.array([0.0]), np.array([np.inf]))
    >>> round(float(x[0]), 6), round(f, 10)
    (2.0, 1.0)
    """
    best: list = [np.inf, None]

    def f(x: np.ndarray) -> float:
        try:
            v = float(fun(np.asarray(x, dtype=float)))
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            v = np.inf
        if not np.isfinite(v):
            v = 1e300
        if v < best[0]:
            best[0], best[1] = v, np.array(x, dtype=float)
        return v

    x0 = np.asarray(x0, dtype=float).copy()
    lo_b, hi_b = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    # a start a rounding error inside a bound (a correlation of 0.9999999999999999) makes
    # NLopt's default initial step that distance, and BOBYQA stops at once: put it on the
    # bound, where NLopt steps by the distance to the other bound
    for b in (lo_b, hi_b):
        near = np.isfinite(b) & (np.abs(x0 - b) <= 1e-10 * (1.0 + np.abs(b)))
        x0[near] = b[near]
    try:
        import nlopt
    except ImportError:  # pragma: no cover - nlopt is a dependency
        from scipy.optimize import minimize

        bounds = [(lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None)
                  for lo, hi in zip(lower, upper)]
        minimize(f, x0, method="Powell", bounds=bounds, options={"xtol": xtol_abs,
                                                                  "ftol": 1e-12})
        return best[1], best[0]
    opt = nlopt.opt(nlopt.LN_BOBYQA, x0.size)
    opt.set_lower_bounds(np.asarray(lower, dtype=float))
    opt.set_upper_bounds(np.asarray(upper, dtype=float))
    opt.set_xtol_abs(xtol_abs)
    opt.set_ftol_abs(ftol_abs)
    opt.set_maxeval(int(maxeval))
    opt.set_min_objective(lambda x, grad: f(x))
    try:
        opt.optimize(x0)
    except (nlopt.RoundoffLimited, RuntimeError, ValueError):
        pass  # keep the best point seen
    if best[1] is None:
        raise ValueError("the optimiser evaluated nothing")
    return best[1], best[0]


def _check_gradient(fun, theta: np.ndarray, lower: np.ndarray, grad: np.ndarray,
                    ctl: dict) -> bool:
    """lme4's ``check.conv.grad``: the smaller of the gradient and the Hessian-scaled
    gradient must stay below ``grad_tol`` (the Hessian is only taken when needed)."""
    tol = ctl["grad_tol"]
    if np.all(np.abs(grad) < tol):
        return True
    free = ~(theta <= lower)
    H = _hessian(fun, theta, lower, ctl["step"] * 10)
    try:
        R = np.linalg.cholesky(H[np.ix_(free, free)]).T
        sc = np.zeros_like(grad)
        sc[free] = np.linalg.solve(R, grad[free])
    except np.linalg.LinAlgError:
        return False
    return bool(np.max(np.minimum(np.abs(sc), np.abs(grad))) < tol)


def _hessian(fun, theta: np.ndarray, lower: np.ndarray, step: float) -> np.ndarray:
    m = theta.size
    H = np.zeros((m, m))
    f0 = fun(theta)
    h = step * np.maximum(1.0, np.abs(theta))

    def at(d: np.ndarray) -> float:
        return fun(np.maximum(theta + d, lower))

    for i in range(m):
        ei = np.zeros(m)
        ei[i] = h[i]
        H[i, i] = (at(ei) - 2 * f0 + at(-ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(m)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (at(ei + ej) - at(ei - ej) - at(ej - ei) + at(-ei - ej)) / (
                4 * h[i] * h[j])
    return H
