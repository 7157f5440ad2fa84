"""The outer loop of an nlme-style linear mixed model, and its estimates.

With few random effects the search evaluates the criterion densely
(:mod:`aurora.engine.lme_dense`, the same value to rounding); the estimates always come
from the full factorisation of :func:`aurora.engine.lme.evaluate`.

``criterion(params) = lme_criterion(evaluate(problem, params))`` (see
:mod:`aurora.engine.lme`) is minimised over the free covariance parameters (lme4's
``theta``, diagonal elements bounded below by 0) and nlme's unconstrained correlation
parameter, by NLopt's BOBYQA with tight tolerances (scipy's L-BFGS-B with
finite-difference gradients when NLopt is missing). A central-difference gradient at the
end decides convergence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aurora.engine.lme import LMEProblem, LMEState, evaluate, lme_criterion
from aurora.engine.lme_dense import dense_criterion, dense_ok
from aurora.engine.lmm_optimize import _bobyqa, _gradient

__all__ = ["LMEFit", "fit_lme", "LME_CONTROL"]

LME_CONTROL: dict[str, Any] = {
    "optimizer": "bobyqa",   # NLopt's BOBYQA; "L-BFGS-B" (scipy); "none": evaluate at start
    "xtol_abs": 1e-10,
    "ftol_abs": 1e-13,
    "maxeval": 20_000,
    "fd_step": 1e-7,         # relative step of the forward differences (L-BFGS-B)
    "step": 1e-5,            # relative step of the final central differences
    "grad_tol": 1e-3,        # largest |gradient| of -2 log L accepted as converged
    "singular_tol": 1e-4,    # bounded theta element below this: a boundary fit
    "newton_steps": 3,       # Newton steps on finite differences after the search
    "newton_h": 1e-4,        # their step (gradient: 4-point formula; Hessian: 10x this)
    "dense": True,           # search on the dense criterion when q is small (lme_dense)
}


@dataclass(frozen=True)
class LMEFit:
    """Estimates of an nlme-style linear mixed model.

    Attributes
    ----------
    problem : LMEProblem
    state : LMEState
        The evaluation at the estimates (whitened problem, PLS factor).
    REML : bool
    criterion : float
        ``-2 log L`` (REML: the restricted likelihood), nlme's.
    sigma : float
        Residual standard deviation (``sqrt(pwrss / (n - p))`` for REML, ``/ n`` for ML).
    beta : ndarray, shape (p,)
    b : ndarray, shape (q,)
        Random effects (term by term, level-major, in ``problem.terms`` order).
    vcov : ndarray, shape (p, p)
        ``sigma^2 (X' V^-1 X)^-1`` (nlme's ``varFix``).
    converged : bool
    gradient : ndarray
    singular : bool
    n_evals : int
    messages : tuple of str
    """

    problem: LMEProblem = field(repr=False)
    state: LMEState = field(repr=False)
    REML: bool
    criterion: float
    sigma: float
    beta: np.ndarray
    b: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool = True
    gradient: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    singular: bool = False
    n_evals: int = 0
    messages: tuple[str, ...] = ()

    @property
    def params(self) -> np.ndarray:
        return self.state.params

    @property
    def theta(self) -> np.ndarray:
        """lme4's ``theta`` (relative covariance factors)."""
        return self.state.theta

    @property
    def corr_par(self) -> float | None:
        """nlme's unconstrained correlation parameter."""
        return self.state.corr_par

    @property
    def rho(self) -> float | None:
        """The correlation parameter (AR(1) phi or compound-symmetry rho)."""
        if self.problem.corr is None:
            return None
        return self.problem.corr.natural(self.state.corr_par)

    @property
    def loglik(self) -> float:
        """nlme's ``logLik`` (the restricted log-likelihood for REML fits)."""
        return -self.criterion / 2.0

    @property
    def npar(self) -> int:
        """Parameters counted by nlme's ``logLik``: fixed effects, covariance and
        correlation parameters, sigma."""
        return self.problem.p + self.problem.n_cov + self.problem.n_corr + 1

    def fitted_values(self) -> np.ndarray:
        """``X beta + Z b`` on the unwhitened scale (offset not included)."""
        from aurora.engine.lmm import z_times

        mu = self.problem.X @ self.beta
        if self.problem.terms is not None:
            mu = mu + z_times(self.problem.terms, self.b)
        return mu

    def cond_var(self) -> list[np.ndarray]:
        """Conditional covariance of each level's random effects, per term."""
        from aurora.engine.lmm_inference import cond_var

        if self.problem.terms is None:
            return []
        return cond_var(self.state.pr, self.state.factor, self.sigma)

    def random_blocks(self) -> list[np.ndarray]:
        """The random effects of each term as an ``(nl, k)`` array (for
        :func:`~aurora.engine.lme.fit_lme_corr`, in the order of its blocks)."""
        if self.problem.terms is None:
            return []
        off = self.problem.terms.b_offsets
        return [self.b[off[i]:off[i + 1]].reshape(t.nl, t.k)
                for i, t in enumerate(self.problem.terms.terms)]

    def covariances(self) -> list[np.ndarray]:
        """``sigma^2 T T'``: the covariance of each term's effects, in the order of
        :meth:`random_blocks`."""
        if self.problem.terms is None:
            return []
        return [self.sigma ** 2 * (T @ T.T) for T in self.problem.terms.lambda_blocks(self.theta)]


def fit_lme(problem: LMEProblem, REML: bool = True, start: np.ndarray | None = None,
            control: dict[str, Any] | None = None) -> LMEFit:
    """Minimise ``-2 log L`` (REML or ML) over the covariance and correlation parameters.

    Parameters
    ----------
    problem : LMEProblem
    REML : bool
    start : ndarray, optional
        Free covariance parameters then the unconstrained correlation parameter (default:
        lme4's theta start and correlation 0, nlme's start).
    control : dict, optional
        Overrides of :data:`LME_CONTROL`; ``{"optimizer": "none"}`` evaluates the model at
        ``start`` (no search).

    Returns
    -------
    LMEFit

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.engine.lme import lme_problem
    >>> from aurora.engine.lme_corr import corr_structure
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(40), 5)
    >>> y = 2 + rng.normal(size=40)[g] * 0.7 + rng.normal(size=200)
    >>> fit = fit_lme(lme_problem(np.ones((200, 1)), y, corr=corr_structure("cs", g)))
    >>> round(float(fit.beta[0]), 4), round(fit.rho, 4), fit.converged  # nlme's gls agrees
    (1.8845, 0.2365, True)
    """
    ctl = dict(LME_CONTROL)
    ctl.update(control or {})
    lower = problem.lower
    x0 = problem.start if start is None else np.asarray(start, dtype=float)
    x0 = np.maximum(x0, lower)
    cache: dict[bytes, tuple[float, LMEState | None]] = {}
    dense = bool(ctl["dense"]) and dense_ok(problem)

    def evaluate_at(x: np.ndarray) -> tuple[float, LMEState | None]:
        key = x.tobytes()
        if key not in cache:
            try:
                if dense:
                    st, val = None, dense_criterion(problem, x, REML)
                else:
                    st = evaluate(problem, x)
                    val = lme_criterion(problem, st, REML)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                st, val = None, np.inf
            if not np.isfinite(val):
                val = 1e300
            cache[key] = (val, st)
        return cache[key]

    def fun(x: np.ndarray) -> float:
        return evaluate_at(np.asarray(x, dtype=float))[0]

    x = x0
    if x0.size and ctl["optimizer"] != "none":
        x = _search(fun, x0, lower, ctl, cache)
    crit, state = evaluate_at(x)
    if dense and crit < 1e300:  # the estimates from the full factorisation
        state = evaluate(problem, x)
        crit = lme_criterion(problem, state, REML)
    if state is None:
        raise np.linalg.LinAlgError("the model could not be fitted: the mixed-model "
                                    "equations are singular at every parameter value tried")
    grad = _gradient(fun, x, lower, ctl["step"]) if x.size else np.zeros(0)
    at_bound = x - lower < 1e-6
    proj = np.where(at_bound & (grad > 0), 0.0, grad)
    converged = bool(np.all(np.abs(proj) < ctl["grad_tol"] * max(1.0, abs(crit) * 1e-3)))
    messages = []
    if not converged:
        k = int(np.argmax(np.abs(proj)))
        messages.append(f"optimization did not converge: max|grad| = {abs(proj[k]):.3g} "
                        f"(component {k + 1})")
    nc = problem.n_cov
    bounded = lower[:nc] == 0
    singular = bool(np.any(x[:nc][bounded] < ctl["singular_tol"]))
    return _estimates(problem, state, REML, crit, converged, proj, singular, len(cache),
                      tuple(messages))


def _search(fun, x0: np.ndarray, lower: np.ndarray, ctl: dict, cache: dict) -> np.ndarray:
    """The optimiser's answer, the best point it evaluated if better, Newton-polished,
    snapped onto a bound it stopped just inside of when that is no worse."""
    x = _optimize(fun, x0, lower, ctl)
    best = min(cache.items(), key=lambda kv: kv[1][0]) if cache else None
    if best is not None and best[1][0] < fun(x):
        x = np.frombuffer(best[0], dtype=float).copy()
    if ctl["newton_steps"]:
        x = _newton_polish(fun, x, lower, ctl)
    near = (x - lower < 1e-6) & (x > lower)
    if near.any():  # a search stops just inside a bound it should reach: try the bound
        y = np.where(near, lower, x)
        if fun(y) <= fun(x):
            x = y
    return x


def _estimates(problem: LMEProblem, state: LMEState, REML: bool, crit: float,
               converged: bool, grad: np.ndarray, singular: bool, n_evals: int,
               messages: tuple[str, ...]) -> LMEFit:
    from aurora.engine.lmm_inference import vcov_beta

    f = state.factor
    dof = problem.n - problem.p if REML else problem.n
    sigma = float(np.sqrt(f.pwrss / dof))
    b = f.b(state.pr.terms) if state.pr is not None else np.zeros(0)
    vcov = vcov_beta(f, sigma)
    return LMEFit(problem, state, REML, crit, sigma, np.asarray(f.beta, dtype=float), b, vcov,
                  converged, grad, singular, n_evals, messages)


def _newton_polish(fun, x: np.ndarray, lower: np.ndarray, ctl: dict) -> np.ndarray:
    """A few Newton steps on finite-difference derivatives over the parameters away
    from their bounds.

    Near the optimum the criterion changes by less than its rounding error over
    parameter steps of about 1e-8 (relative), so a derivative-free search stops anywhere
    in that flat spot; a zero of the (fourth-order accurate) gradient pins the optimum
    down about a hundred times more closely, as nlme's estimates are when its search
    converges well.
    """
    h = ctl["newton_h"]
    for _ in range(int(ctl["newton_steps"])):
        free = np.flatnonzero(x - lower > 20 * h * np.maximum(1.0, np.abs(x)))
        if free.size == 0:
            return x
        m = free.size
        step = h * np.maximum(1.0, np.abs(x[free]))
        hs = 10 * step

        def at(d: np.ndarray) -> float:
            y = x.copy()
            y[free] += d
            return fun(y)

        g = np.zeros(m)
        H = np.zeros((m, m))
        for i in range(m):
            e = np.zeros(m)
            e[i] = step[i]
            g[i] = (-at(2 * e) + 8 * at(e) - 8 * at(-e) + at(-2 * e)) / (12 * step[i])
            ei = np.zeros(m)
            ei[i] = hs[i]
            for j in range(i + 1):
                ej = np.zeros(m)
                ej[j] = hs[j]
                H[i, j] = H[j, i] = (at(ei + ej) - at(ei - ej) - at(ej - ei) + at(-ei - ej)) / (
                    4 * hs[i] * hs[j])
        try:
            np.linalg.cholesky(H)
            d = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return x
        if np.any(np.abs(d) > 1e-3 * np.maximum(1.0, np.abs(x[free]))):
            return x  # not in the quadratic neighbourhood: keep the search's answer
        y = x.copy()
        y[free] += d
        if np.any(y < lower) or fun(y) > fun(x) + 1e-9 * max(1.0, abs(fun(x))):
            return x
        x = y
        if np.all(np.abs(d) < 1e-11 * np.maximum(1.0, np.abs(x[free]))):
            break
    return x


def _optimize(fun, x0: np.ndarray, lower: np.ndarray, ctl: dict) -> np.ndarray:
    optimizer = ctl["optimizer"]
    if optimizer == "bobyqa":
        try:
            import nlopt  # noqa: F401
        except ImportError:  # pragma: no cover - nlopt is a dependency; scipy as fallback
            optimizer = "L-BFGS-B"
    if optimizer == "bobyqa":
        return _bobyqa(fun, x0, lower, ctl)
    if optimizer == "L-BFGS-B":
        from scipy.optimize import minimize

        def fun_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
            x = np.maximum(x, lower)
            return fun(x), _gradient(fun, x, lower, ctl["fd_step"], central=False)

        bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
        res = minimize(fun_grad, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-8})
        return np.maximum(np.asarray(res.x, dtype=float), lower)
    raise ValueError(f"unknown optimizer {optimizer!r}; use 'bobyqa' or 'L-BFGS-B'")
