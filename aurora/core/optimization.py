"""Optimisers used by the engine, with per-iteration traces and callbacks.

* :func:`newton`: damped Newton's method with step halving, for smooth convex-ish
  objectives whose Hessian is available (log-likelihoods of GLMs, REML criteria).
* :func:`lbfgs`: limited-memory BFGS with bounds, a thin wrapper of SciPy's L-BFGS-B.
* :func:`irls`: the engine's penalised IRLS (``aurora.engine.pirls.fit_pirls``),
  imported on first use so that this module imports without the engine.

Both :func:`newton` and :func:`lbfgs` minimise and return an :class:`OptimizeResult`
whose ``trace`` holds one :class:`Iteration` per iteration. A ``callback`` is called with
that :class:`Iteration` after each iteration; returning ``True`` stops the optimiser.

Examples
--------
>>> import numpy as np
>>> from aurora.core.optimization import newton
>>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, 1.0])
>>> res = newton(lambda x: 0.5 * x @ A @ x - b @ x, lambda x: A @ x - b, lambda x: A, [0.0, 0.0])
>>> np.allclose(res.x, np.linalg.solve(A, b)), res.converged
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy import linalg, optimize

__all__ = ["Iteration", "OptimizeResult", "newton", "lbfgs", "irls"]


@dataclass(frozen=True)
class Iteration:
    """State after one iteration.

    Attributes
    ----------
    iteration : int
        1-based iteration number.
    x : ndarray
        Parameters after the iteration.
    fun : float
        Objective at ``x``.
    grad_norm : float
        Max-norm of the gradient at the start of the iteration (NaN if unknown).
    step_size : float
        Fraction of the Newton step taken (1, 1/2, 1/4, ...); NaN for L-BFGS.
    n_halvings : int
        Number of step halvings needed (0 for L-BFGS).
    """

    iteration: int
    x: np.ndarray
    fun: float
    grad_norm: float = float("nan")
    step_size: float = float("nan")
    n_halvings: int = 0


@dataclass(frozen=True)
class OptimizeResult:
    """Outcome of an optimiser.

    Attributes
    ----------
    x : ndarray
        The minimiser found.
    fun : float
        Objective at ``x``.
    grad : ndarray or None
        Gradient at ``x`` when known.
    n_iter : int
        Iterations performed.
    converged : bool
        Whether the convergence criterion was met.
    message : str
        Why the optimiser stopped.
    trace : tuple of Iteration
        One record per iteration.
    """

    x: np.ndarray
    fun: float
    grad: np.ndarray | None
    n_iter: int
    converged: bool
    message: str
    trace: tuple[Iteration, ...] = ()


def _solve_newton_direction(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve ``H d = -g``; if ``H`` is not positive definite, shift it until it is.

    The shift ``tau * I`` (Levenberg-style, Nocedal & Wright 2006, Algorithm 3.3) keeps
    ``d`` a descent direction, so step halving can always make progress.
    """
    H = 0.5 * (H + H.T)
    tau = 0.0
    scale = max(float(np.max(np.abs(np.diag(H)))), 1e-12)
    for _ in range(60):
        try:
            c = linalg.cho_factor(H + tau * np.eye(H.shape[0]), check_finite=True)
            return -linalg.cho_solve(c, g)
        except linalg.LinAlgError:
            tau = max(2 * tau, 1e-8 * scale)
    raise np.linalg.LinAlgError("the Hessian could not be made positive definite")


def newton(
    fun: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], Any],
    hess: Callable[[np.ndarray], Any],
    x0: Any,
    tol: float = 1e-8,
    max_iter: int = 100,
    callback: Callable[[Iteration], Any] | None = None,
    max_halvings: int = 40,
) -> OptimizeResult:
    """Minimise ``fun`` by damped Newton's method with step halving.

    Each iteration solves ``H d = -g`` (shifting ``H`` towards the identity if it is not
    positive definite) and tries ``x + t d`` for ``t = 1, 1/2, 1/4, ...`` until the
    objective does not increase, as R's ``glm.fit`` does with its step halving.
    Convergence is declared when the Newton decrement ``lambda^2 = -g'd``, which
    estimates twice the distance ``fun(x) - min fun`` (Boyd & Vandenberghe 2004,
    section 9.5.1), satisfies ``lambda^2 / 2 <= tol * (|fun(x)| + 0.1)``, the relative
    scale of R's ``glm.control(epsilon)``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``, the objective.
    grad, hess : callable
        ``grad(x) -> (p,)`` and ``hess(x) -> (p, p)``.
    x0 : array_like, shape (p,)
        Starting point.
    tol : float, default 1e-8
        Relative convergence tolerance.
    max_iter : int, default 100
    callback : callable, optional
        ``callback(Iteration)`` after each iteration; return ``True`` to stop.
    max_halvings : int, default 40
        Give up (``converged=False``) when this many halvings do not reduce ``fun``.

    Returns
    -------
    OptimizeResult

    References
    ----------
    Boyd, S. & Vandenberghe, L. (2004). Convex Optimization, Algorithm 9.5.
    Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., chapter 3.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: np.exp(x[0]) - 2 * x[0] + x[1] ** 2
    >>> g = lambda x: np.array([np.exp(x[0]) - 2, 2 * x[1]])
    >>> h = lambda x: np.diag([np.exp(x[0]), 2.0])
    >>> res = newton(f, g, h, [0.0, 1.0])
    >>> round(float(res.x[0]), 8), res.converged
    (0.69314718, True)
    """
    x = np.array(x0, dtype=np.float64).ravel()
    f = float(fun(x))
    if not np.isfinite(f):
        raise ValueError(f"the objective is not finite at the starting point ({f})")
    trace: list[Iteration] = []
    g = np.asarray(grad(x), dtype=np.float64).ravel()
    message, converged = f"reached max_iter={max_iter}", False
    for it in range(1, max_iter + 1):
        d = _solve_newton_direction(np.atleast_2d(np.asarray(hess(x), dtype=np.float64)), g)
        decrement = float(-g @ d)
        small = decrement / 2 <= tol * (abs(f) + 0.1)
        t, halvings = 1.0, 0
        while True:
            x_new = x + t * d
            f_new = float(fun(x_new))
            if np.isfinite(f_new) and f_new <= f + 1e-12 * (abs(f) + 0.1):
                break
            halvings += 1
            if halvings > max_halvings:
                x_new, f_new, t = x, f, 0.0
                break
            t /= 2
        record = Iteration(it, x_new.copy(), f_new, float(np.max(np.abs(g), initial=0.0)), t, halvings)
        trace.append(record)
        x, f = x_new, f_new
        g = np.asarray(grad(x), dtype=np.float64).ravel()
        stop = callback is not None and callback(record) is True
        if small:
            message, converged = "Newton decrement below tolerance", True
            break
        if t == 0.0:
            message = f"step halving failed after {max_halvings} halvings"
            break
        if stop:
            message = "stopped by callback"
            break
    return OptimizeResult(x, f, g, len(trace), converged, message, tuple(trace))


def lbfgs(
    fun: Callable[[np.ndarray], Any],
    x0: Any,
    grad: Callable[[np.ndarray], Any] | bool | None = None,
    *,
    bounds: Any = None,
    tol: float = 1e-8,
    ftol: float = 1e-15,
    max_iter: int = 1000,
    memory: int = 10,
    callback: Callable[[Iteration], Any] | None = None,
) -> OptimizeResult:
    """Minimise ``fun`` by L-BFGS-B (SciPy's implementation).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``, or ``(float, gradient)`` when ``grad is True``.
    x0 : array_like, shape (p,)
    grad : callable, True or None
        The gradient; ``True`` when ``fun`` returns it too; ``None`` for SciPy's
        finite differences.
    bounds : sequence of (low, high) or scipy.optimize.Bounds, optional
    tol : float, default 1e-8
        Stop when the max-norm of the projected gradient is at most ``tol`` (``gtol``).
    ftol : float, default 1e-15
        Stop when the relative reduction of ``fun`` is at most ``ftol``; small by default
        so that ``tol`` decides.
    max_iter : int, default 1000
    memory : int, default 10
        Number of correction pairs kept (``maxcor``).
    callback : callable, optional
        ``callback(Iteration)`` after each iteration; return ``True`` to stop.

    Returns
    -------
    OptimizeResult
        ``converged`` is SciPy's ``success``.

    References
    ----------
    Byrd, R. H., Lu, P., Nocedal, J. & Zhu, C. (1995). A limited memory algorithm for
    bound constrained optimization. SIAM J. Sci. Comput. 16, 1190-1208.

    Examples
    --------
    >>> import numpy as np
    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> res = lbfgs(rosen, [-1.0, 2.0], grad=lambda x: np.array(
    ...     [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]))
    >>> np.round(res.x, 5), res.converged
    (array([1., 1.]), True)
    """
    trace: list[Iteration] = []
    stopped = False

    def on_iteration(intermediate_result: optimize.OptimizeResult) -> None:
        nonlocal stopped
        record = Iteration(len(trace) + 1, np.array(intermediate_result.x), float(intermediate_result.fun))
        trace.append(record)
        if callback is not None and callback(record) is True:
            stopped = True
            raise StopIteration

    res = optimize.minimize(
        fun,
        np.array(x0, dtype=np.float64).ravel(),
        jac=grad,
        method="L-BFGS-B",
        bounds=bounds,
        callback=on_iteration,
        options={"gtol": tol, "ftol": ftol, "maxiter": max_iter, "maxcor": memory},
    )
    g = getattr(res, "jac", None)
    message = "stopped by callback" if stopped else str(res.message)
    return OptimizeResult(
        np.asarray(res.x, dtype=np.float64),
        float(res.fun),
        None if g is None else np.asarray(g, dtype=np.float64),
        int(res.nit),
        bool(res.success) and not stopped,
        message,
        tuple(trace),
    )


def irls(*args: Any, **kwargs: Any) -> Any:
    """Penalised iteratively re-weighted least squares: the engine's GLM/GAM inner loop.

    A re-export of :func:`aurora.engine.pirls.fit_pirls` (see its documentation for the
    arguments and the returned estimates), imported at the first call.
    """
    from aurora.engine.pirls import fit_pirls

    return fit_pirls(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "fit_pirls":  # the engine's own name, for code that prefers it
        from aurora.engine.pirls import fit_pirls

        return fit_pirls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
