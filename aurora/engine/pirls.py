"""Penalised iteratively re-weighted least squares (PIRLS), the engine's inner loop.

For a GLM (no penalty) this is R's ``glm.fit`` step for step: the same starting values
(the family's ``initialize``), the same working response and weights, the same convergence
test ``|dev - dev_old| / (|dev| + 0.1) < epsilon`` and the same step halving when the
deviance is not finite or eta/mu leave the family's domain. Following R's sequence of
iterates makes the converged coefficients agree with ``glm`` to many digits and the
iteration count equal R's "Number of Fisher Scoring iterations".

With a penalty ``S`` the normal equations become ``(X'WX + S) beta = X'Wz``
(Wood 2017, section 6.1.1); the outer loop over smoothing parameters lives elsewhere.
"""
from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np

from aurora.engine.design import Design
from aurora.engine.linalg import DenseGram
from aurora.errors import AuroraError

__all__ = ["IRLSControl", "IterationRecord", "IRLSResult", "fit_pirls", "NoValidCoefficientsError"]


class NoValidCoefficientsError(AuroraError, ArithmeticError):
    """No coefficients give a finite deviance inside the family's domain."""


@dataclass(frozen=True)
class IRLSControl:
    """Convergence settings (R's ``glm.control``).

    Attributes
    ----------
    epsilon : float
        Relative deviance change that counts as converged.
    maxit : int
        Maximum number of iterations.
    alias_tol : float
        Tolerance on squared relative residual norms for aliased columns.
    """

    epsilon: float = 1e-8
    maxit: int = 25
    alias_tol: float = 1e-13


@dataclass(frozen=True)
class IterationRecord:
    """One PIRLS iteration, for ``result.trace``."""

    iteration: int
    deviance: float
    step_halvings: int


class _FromFactor:
    """A field of :class:`IRLSResult` computed from the final factorisation when first read.

    A dataclass field whose default is a descriptor: a value given to ``__init__`` (a
    loaded result) is stored and returned; otherwise the factorisation supplies it. So a
    fit with a 10,000-level factor never forms its 10,000 x 10,000 covariance unless
    asked, while saving and loading (which go field by field) see a plain array.
    """

    def __init__(self, method: str) -> None:
        self.method = method

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return None  # the field's default
        value = obj.__dict__.get(self.slot)
        if value is None:
            factor = obj.__dict__.get("_factor")
            if factor is None:
                return None
            value = getattr(factor, self.method)()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True, repr=False)
class IRLSResult:
    """Output of :func:`fit_pirls` (arrays are NumPy float64).

    Attributes
    ----------
    beta : ndarray, shape (p,)
        Coefficients, NaN where aliased.
    aliased : ndarray of bool, shape (p,)
    eta, mu : ndarray, shape (n,)
        Linear predictor (offset included) and fitted means.
    deviance : float
    working_weights : ndarray
        ``w`` of the final weighted least-squares step (R's ``fit$weights``).
    working_residuals : ndarray
        ``(y - mu) / mu_eta(eta)`` (R's ``fit$residuals``).
    n_iter : int
    converged : bool
    boundary : bool
        Step halving was needed to stay in the domain.
    trace : tuple of IterationRecord
    xtwx : ndarray, shape (r, r)
        ``X'WX (+ S)`` of the final step on the non-aliased columns (formed on first use).
    cov_unscaled : ndarray, shape (r, r)
        Its inverse (formed on first use; :attr:`cov_unscaled_diag` gives the diagonal
        without it).
    factor : InitVar
        The factorisation of ``xtwx`` (``solve``, ``inverse``, ``inverse_diag``,
        ``matrix``); not a field, so not saved.
    """

    beta: np.ndarray
    aliased: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    deviance: float
    working_weights: np.ndarray
    working_residuals: np.ndarray
    n_iter: int
    converged: bool
    boundary: bool
    trace: tuple[IterationRecord, ...] = field(default=())
    xtwx: Any = _FromFactor("matrix")
    cov_unscaled: Any = _FromFactor("inverse")
    factor: InitVar[Any] = None

    def __post_init__(self, factor: Any) -> None:
        object.__setattr__(self, "_factor", factor)

    @property
    def rank(self) -> int:
        return int((~self.aliased).sum())

    def __repr__(self) -> str:  # short: the dataclass repr would form xtwx and its inverse
        return (f"IRLSResult(p={self.beta.size}, rank={self.rank}, deviance={self.deviance!r}, "
                f"n_iter={self.n_iter}, converged={self.converged}, boundary={self.boundary})")

    @property
    def cov_unscaled_diag(self) -> np.ndarray:
        """The diagonal of :attr:`cov_unscaled`, without forming the matrix when possible."""
        cached = self.__dict__.get("_cov_unscaled")
        if cached is None and self.__dict__.get("_factor") is not None:
            return self.__dict__["_factor"].inverse_diag()
        return np.diag(self.cov_unscaled).copy()


def _empty_fit(be: Any, y: Any, w: Any, offset: Any, family: Any) -> IRLSResult:
    """A model with no coefficients (``y ~ 0``): R's ``glm.fit`` ``EMPTY`` branch, where
    eta is the offset, nothing is iterated and the fit counts as converged (R sets its
    boundary flag there but warns about neither)."""
    link = family.link
    eta = offset
    if not link.valid_eta(eta):
        raise NoValidCoefficientsError("invalid linear predictor values in empty model",
                                       "add terms or change the offset")
    mu = link.inverse(eta)
    if not family.valid_mu(mu):
        raise NoValidCoefficientsError("invalid fitted means in empty model",
                                       "add terms or change the offset")
    dev = _as_float(be.xp.sum(family.deviance_residuals(y, mu, w)))
    mu_eta = link.inverse_derivative(eta)
    to_np = be.to_numpy
    with np.errstate(divide="ignore", invalid="ignore"):
        ww = to_np(w) * to_np(mu_eta) ** 2 / to_np(family.variance(mu))
        wres = (to_np(y) - to_np(mu)) / to_np(mu_eta)
    return IRLSResult(np.zeros(0), np.zeros(0, dtype=bool), to_np(eta).astype(float),
                      to_np(mu).astype(float), dev, np.asarray(ww, dtype=float),
                      np.asarray(wres, dtype=float), 0, True, False,
                      xtwx=np.zeros((0, 0)), cov_unscaled=np.zeros((0, 0)))


def _as_float(x: Any) -> float:
    return float(x.item() if hasattr(x, "item") else x)


def fit_pirls(
    design: Design,
    y: Any,
    weights: Any,
    offset: Any,
    family: Any,
    *,
    start: np.ndarray | None = None,
    etastart: Any = None,
    mustart: Any = None,
    n_trials: Any = None,
    penalty: np.ndarray | None = None,
    control: IRLSControl = IRLSControl(),
) -> IRLSResult:
    """Fit by (penalised) IRLS.

    Parameters
    ----------
    design : Design
        The model matrix, on its backend.
    y, weights, offset : array-like, shape (n,)
        Response, prior weights, offset (NumPy or the design's backend).
    family : Family
        Supplies link, variance, deviance residuals and initialisation.
    start : ndarray, optional
        Starting coefficients (R's ``start``).
    etastart, mustart : array-like, optional
        Starting linear predictor or means (R's ``etastart``/``mustart``).
    n_trials : array-like, optional
        Binomial trials from ``cbind`` (starting values use them as R does).
    penalty : ndarray, shape (p, p), optional
        Quadratic penalty ``S``; ``None`` for a GLM.
    control : IRLSControl

    Returns
    -------
    IRLSResult

    Raises
    ------
    NoValidCoefficientsError
        When no valid starting point can be found (R: "please supply starting values").

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.engine.design import DenseDesign
    >>> from aurora.distributions import get_family
    >>> X = np.column_stack([np.ones(4), [0., 1, 2, 3]])
    >>> y = np.array([1., 2, 4, 9])
    >>> r = fit_pirls(DenseDesign(X), y, np.ones(4), np.zeros(4), get_family("poisson"))
    >>> bool(r.converged)
    True
    """
    be = design.backend
    xp = be.xp
    n, p = design.shape
    y_b = be.asarray(y)
    w_b = be.asarray(weights)
    off_b = be.asarray(offset)
    link = family.link
    if p == 0:
        return _empty_fit(be, y_b, w_b, off_b, family)

    if etastart is not None:
        eta = be.asarray(etastart)
    elif start is not None:
        eta = design.matvec(np.nan_to_num(np.asarray(start, dtype=float))) + off_b
    else:
        if mustart is None:
            if n_trials is not None:
                mustart = family.initialize(y_b, be.asarray(n_trials))
            else:
                mustart = family.initialize(y_b, w_b)
        eta = link.link(be.asarray(mustart))
    mu = link.inverse(eta)
    if not (link.valid_eta(eta) and family.valid_mu(mu)):
        raise NoValidCoefficientsError(
            "cannot find valid starting values: the initial fitted values are outside "
            f"the domain of the {family.name} family with its {link.name} link",
            "supply start=, etastart= or mustart=, or choose another link")
    dev_old = _as_float(xp.sum(family.deviance_residuals(y_b, mu, w_b)))

    aliased: np.ndarray | None = None
    keep: np.ndarray | None = None
    sub = design
    coef_old: np.ndarray | None = None if start is None else np.asarray(start, dtype=float)
    beta_k = np.zeros(p)
    converged = boundary = False
    trace: list[IterationRecord] = []
    factor: Any = None
    w_work = None
    it = 0
    zero = be.asarray(np.zeros(1))[0]
    for it in range(1, control.maxit + 1):
        mu_eta = link.inverse_derivative(eta)
        var = family.variance(mu)
        good = (w_b > 0) & (mu_eta != 0)
        safe_mu_eta = xp.where(good, mu_eta, zero + 1.0)
        z = xp.where(good, (eta - off_b) + (y_b - mu) / safe_mu_eta, zero)
        w_work = xp.where(good, w_b * mu_eta**2 / xp.where(good, var, zero + 1.0), zero)
        if aliased is None:
            gram, xtwz_full = _gram(design, w_work, z)
            if penalty is not None:
                gram = gram.add(penalty)
            aliased = gram.detect_aliased(control.alias_tol)
            keep = np.where(~aliased)[0]
            if aliased.any():
                sub = design.subset(keep)
                if coef_old is not None:
                    coef_old = coef_old[keep]
                gram = gram.take(keep)
            xtwz_k = xtwz_full[keep]
        else:
            gram, xtwz_k = _gram(sub, w_work, z)
            if penalty is not None:
                gram = gram.add(penalty[np.ix_(keep, keep)])
        factor = gram.factorize()
        beta_k = factor.solve(xtwz_k)
        eta = sub.matvec(beta_k) + off_b
        mu = link.inverse(eta)
        dev = _as_float(xp.sum(family.deviance_residuals(y_b, mu, w_b)))
        halvings = 0
        while not np.isfinite(dev) or not (link.valid_eta(eta) and family.valid_mu(mu)):
            if coef_old is None:
                raise NoValidCoefficientsError(
                    "no valid set of coefficients has been found",
                    "supply starting values with start= (as in R's glm)")
            halvings += 1
            if halvings > control.maxit:
                raise NoValidCoefficientsError(
                    "inner loop: cannot correct step size",
                    "supply better starting values, or check the data and the link")
            beta_k = (beta_k + coef_old) / 2
            eta = sub.matvec(beta_k) + off_b
            mu = link.inverse(eta)
            dev = _as_float(xp.sum(family.deviance_residuals(y_b, mu, w_b)))
            boundary = True
        trace.append(IterationRecord(it, dev, halvings))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < control.epsilon:
            converged = True
            break
        dev_old = dev
        coef_old = beta_k.copy()

    assert aliased is not None and keep is not None and w_work is not None
    beta = np.full(p, np.nan)
    beta[keep] = beta_k
    eta_np = be.to_numpy(eta)
    mu_np = be.to_numpy(mu)
    mu_eta_np = be.to_numpy(link.inverse_derivative(eta))
    y_np = be.to_numpy(y_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        wres = (y_np - mu_np) / mu_eta_np
    return IRLSResult(
        beta=beta, aliased=aliased, eta=eta_np, mu=mu_np, deviance=dev,
        working_weights=be.to_numpy(w_work), working_residuals=wres, n_iter=it,
        converged=converged, boundary=boundary, trace=tuple(trace), factor=factor,
    )


def _gram(design: Any, w: Any, z: Any) -> tuple[Any, np.ndarray]:
    """``X'WX`` as a gram object (structured where the design has structure) and ``X'Wz``.

    Designs that only answer ``weighted_normal_equations`` get a dense gram.
    """
    gram = getattr(design, "gram", None)
    if gram is not None:
        return gram(w, z)
    xtwx, xtwz = design.weighted_normal_equations(w, z)
    return DenseGram(xtwx), xtwz
