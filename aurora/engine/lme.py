"""nlme's linear mixed model with a residual correlation structure within groups.

The model (Pinheiro & Bates 2000, ch. 2 and 5) is

    y = X beta + Z b + e,   b ~ N(0, sigma^2 Lambda Lambda'),
    e_i ~ N(0, sigma^2 W_i^(-1/2) R_i(rho) W_i^(-1/2))  within correlation group i,

with ``W`` fixed variance weights (nlme's ``varFixed``; glmmPQL's working weights) and
``R_i`` an AR(1) or compound-symmetry correlation matrix
(:mod:`aurora.engine.lme_corr`). Each correlation group lies within one level of every
random-effect grouping factor, so whitening a group by ``L_i^(-1) W_i^(1/2)``
(``R_i = L_i L_i'``) keeps the random-effect design factor-coded: a term's rows in the group
become ``L_i^(-1) W_i^(1/2) X_term`` at the same level. The whitened model has independent
unit-variance errors and is the penalised least-squares problem of
:mod:`aurora.engine.lmm`; beta and sigma are profiled out and

    -2 log L = lme4's criterion (REML or ML) on the whitened data
               + 2 sum_i log|L_i| - sum log w,

the last two terms being the Jacobian of the whitening (nlme's ``logDet`` of the
``corStruct`` and ``varWeights``). The REML criterion is nlme's restricted likelihood (the
same as lme4's). The criterion is minimised over lme4's ``theta`` (relative covariance
factors; nlme's ``pdLogChol`` is another parametrisation of the same matrices, so the
optimum is the same) and nlme's unconstrained correlation parameter, by NLopt's BOBYQA
with tight tolerances.

Matrix-level entry point for other engines (GAMMs)::

    fit_lme_corr(X, y, Z_blocks, groups, correlation, REML=True, weights=None, time=None)

``Z_blocks``: a :class:`~aurora.compile.re_terms.RandomTerms` (grouped
:class:`~aurora.compile.re_terms.ReTerm` and dense
:class:`~aurora.compile.re_terms.DenseReTerm` terms), or a list of :class:`ZBlock`
(level codes and a per-row matrix with covariance ``"unstructured"``, ``"diagonal"`` or
``"identity"``; or ``codes=None`` for a dense ``n x r`` block of ``Z`` with i.i.d.
effects, a GAMM smooth's random part); ``groups``: the correlation group of each row
(each group must lie within one level of every grouped block; dense blocks need nothing);
``correlation``: ``"ar1"``, ``"cs"`` or None; ``time``: integer AR(1) times (default: the
row order within the group). It returns an :class:`~aurora.engine.lme_fit.LMEFit`:
``beta``, ``vcov``, ``sigma``, ``rho``, ``corr_par`` (nlme's unconstrained parameter),
``theta``, ``b`` / ``random_blocks()``, ``covariances()``, ``loglik``, ``criterion``,
``fitted_values()``, ``cond_var()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.linalg import cholesky, solve_triangular

from aurora.engine.lme_blocks import ZBlock, blocks_as_terms, check_nested
from aurora.engine.lme_corr import CorrStructure, corr_structure

__all__ = ["ZBlock", "LMEProblem", "LMEState", "lme_problem", "evaluate",
           "lme_criterion", "fit_lme_corr", "blocks_as_terms"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class LMEProblem:
    """Frozen data of an nlme-style linear mixed model.

    Attributes
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Response minus the offset.
    terms : RandomTerms or None
        Random-effect terms (factor-coded), None for a model with correlated errors only.
    corr : CorrStructure or None
    w : ndarray, shape (n,)
        Variance weights (``Var(e_r) = sigma^2 / w_r``).
    """

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    terms: Any = field(repr=False)
    corr: CorrStructure | None = field(repr=False)
    w: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_cov(self) -> int:
        """Covariance parameters: lme4's ``theta`` (each term's structure decides how many)."""
        return 0 if self.terms is None else int(self.terms.theta_offsets[-1])

    @property
    def n_corr(self) -> int:
        return 0 if self.corr is None else self.corr.n_par

    @property
    def lower(self) -> np.ndarray:
        low = self.terms.lower if self.terms is not None else np.zeros(0)
        return np.r_[low, np.full(self.n_corr, -np.inf)]

    @property
    def start(self) -> np.ndarray:
        th0 = self.terms.theta0 if self.terms is not None else np.zeros(0)
        return np.r_[th0, [self.corr.start] if self.corr is not None else []]

    @cached_property
    def stacked(self) -> np.ndarray:
        """``W^(1/2) [X, y, X_term1, X_term2, ...]``: every column the whitening touches."""
        parts = [self.X, self.y[:, None]]
        if self.terms is not None:
            parts += [t.X for t in self.terms.terms]
        return np.sqrt(self.w)[:, None] * np.column_stack(parts)

    @cached_property
    def ldW(self) -> float:
        return float(np.sum(np.log(self.w)))


def lme_problem(X: np.ndarray, y: np.ndarray, terms: Any = None,
                corr: CorrStructure | None = None, weights: np.ndarray | None = None,
                offset: np.ndarray | None = None) -> LMEProblem:
    """Collect the data of a model (no work on it yet).

    Parameters
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
    terms : RandomTerms, optional
    corr : CorrStructure, optional
    weights : ndarray, shape (n,), optional
        Variance weights (positive).
    offset : ndarray, shape (n,), optional

    Returns
    -------
    LMEProblem
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    y = np.asarray(y, dtype=float) - (0.0 if offset is None else np.asarray(offset, float))
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("variance weights must be positive and finite")
    return LMEProblem(X, y, terms, corr, w)


@dataclass(frozen=True)
class _GLSFactor:
    """The profiled least-squares pieces of a model with no random effects."""

    beta: np.ndarray
    RX: np.ndarray
    ldRX2: float
    pwrss: float
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0))
    u: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ldL2: float = 0.0


def _gls_factor(A: np.ndarray, p: int) -> _GLSFactor:
    M = A[:, :p + 1].T @ A[:, :p + 1]
    if p == 0:
        return _GLSFactor(np.zeros(0), np.zeros((0, 0)), 0.0, float(M[0, 0]))
    RX = cholesky(M[:p, :p], lower=True, check_finite=False)
    cb = solve_triangular(RX, M[:p, p], lower=True, check_finite=False)
    beta = solve_triangular(RX.T, cb, lower=False, check_finite=False)
    # pwrss from the residuals (no cancellation)
    r = A[:, p] - A[:, :p] @ beta
    return _GLSFactor(beta, RX, 2.0 * float(np.sum(np.log(np.diag(RX)))), float(r @ r))


@dataclass(frozen=True)
class LMEState:
    """One evaluation of the model at ``(theta, correlation parameter)``.

    Attributes
    ----------
    params : ndarray
        Free covariance parameters, then the unconstrained correlation parameter.
    theta : ndarray
        lme4's ``theta``.
    corr_par : float or None
    pr : LMMProblem or None
        The whitened problem (None without random effects).
    factor : PLSFactor
        Its factor (``beta``, ``u``, ``RX``, ``pwrss``, ``ldL2``, ``ldRX2``).
    half_logdet : float
        ``sum_i log|L_i|``.
    """

    params: np.ndarray
    theta: np.ndarray
    corr_par: float | None
    pr: Any = field(repr=False)
    factor: Any = field(repr=False)
    half_logdet: float = 0.0


def evaluate(problem: LMEProblem, params: np.ndarray) -> LMEState:
    """Whiten the data at the correlation parameter and factor the PLS system at theta.

    Parameters
    ----------
    problem : LMEProblem
    params : ndarray
        Free covariance parameters followed by the unconstrained correlation parameter.

    Returns
    -------
    LMEState
    """
    from aurora.compile.re_terms import DenseReTerm, RandomTerms, ReTerm
    from aurora.engine.lmm import factorize, lmm_problem

    params = np.array(params, dtype=float)  # a copy: optimisers reuse their buffers
    nc = problem.n_cov
    theta = params[:nc]
    A = problem.stacked
    corr_par = None
    half = 0.0
    if problem.corr is not None:
        corr_par = float(params[nc])
        A, half = problem.corr.whiten(A, corr_par)
    p = problem.p
    if problem.terms is None:
        return LMEState(params, theta, corr_par, None, _gls_factor(A, p), half)
    c = p + 1
    white = []
    for t in problem.terms.terms:
        width = t.X.shape[1]
        block = A[:, c:c + width]
        white.append(DenseReTerm(t.spec, block) if t.dense else ReTerm(t.spec, t.codes, block))
        c += width
    rt = RandomTerms(tuple(white), problem.terms.formula_order)
    pr = lmm_problem(A[:, :p], A[:, p], rt)
    return LMEState(params, theta, corr_par, pr, factorize(pr, theta), half)


def lme_criterion(problem: LMEProblem, state: LMEState, REML: bool) -> float:
    """``-2 log L`` (ML) or ``-2 log L_R`` (REML), nlme's, beta and sigma profiled out.

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.engine.lme_corr import corr_structure
    >>> g = np.repeat([0, 1, 2], 4)
    >>> y = np.array([1., 2, 2, 3, 0, 1, 1, 0, 2, 2, 3, 4])
    >>> cs = corr_structure("cs", g)
    >>> pr = lme_problem(np.ones((12, 1)), y, corr=cs)
    >>> round(lme_criterion(pr, evaluate(pr, np.array([cs.start])), REML=False), 4)  # rho = 0
    37.6928
    >>> rss = np.sum((y - y.mean()) ** 2)  # ordinary least squares' -2 log L
    >>> round(float(12 * (1 + np.log(2 * np.pi * rss / 12))), 4)
    37.6928
    """
    f = state.factor
    n, p = problem.n, problem.p
    jac = 2.0 * state.half_logdet - problem.ldW
    if REML:
        nmp = n - p
        return float(f.ldL2 + f.ldRX2 + nmp * (1.0 + _LOG2PI + np.log(f.pwrss / nmp)) + jac)
    return float(f.ldL2 + n * (1.0 + _LOG2PI + np.log(f.pwrss / n)) + jac)


def fit_lme_corr(X: np.ndarray, y: np.ndarray, Z_blocks: Any, groups: np.ndarray | None,
                 correlation: str | None, REML: bool = True, weights: np.ndarray | None = None,
                 time: np.ndarray | None = None, offset: np.ndarray | None = None,
                 control: dict | None = None) -> Any:
    """Fit a linear mixed model with within-group correlated errors, from arrays.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Fixed-effects model matrix.
    y : ndarray, shape (n,)
    Z_blocks : RandomTerms or sequence of ZBlock or None
        Random-effect blocks (each correlation group must lie within one level of each).
    groups : ndarray, shape (n,), optional
        Correlation group of each row (any labels); None: one group.
    correlation : {"ar1", "cs"} or None
    REML : bool
    weights : ndarray, shape (n,), optional
        Variance weights: ``Var(e_r) = sigma^2 / w_r``.
    time : ndarray, shape (n,), optional
        Integer AR(1) times (default: position within the group).
    offset : ndarray, optional
    control : dict, optional
        See :data:`aurora.engine.lme_fit.LME_CONTROL`.

    Returns
    -------
    LMEFit

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(30), 6)
    >>> t = np.tile(np.arange(6), 30)
    >>> e = np.zeros(180)
    >>> for j in range(6):
    ...     e[j::6] = (0.6 * e[j - 1::6] if j else 0) + rng.normal(size=30)
    >>> y = 1 + 0.3 * t + rng.normal(size=30)[g] + e
    >>> X = np.column_stack([np.ones(180), t])
    >>> fit = fit_lme_corr(X, y, [ZBlock(g, np.ones(180))], g, "ar1", time=t)
    >>> fit.converged, round(fit.rho, 2)
    (True, 0.63)
    """
    from aurora.engine.lme_fit import fit_lme

    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    terms = None
    if Z_blocks is not None and not (isinstance(Z_blocks, (list, tuple)) and not Z_blocks):
        terms = Z_blocks if hasattr(Z_blocks, "terms") else blocks_as_terms(list(Z_blocks))
    corr = None
    if correlation is not None:
        gl = np.zeros(n, dtype=np.intp) if groups is None else np.unique(
            np.asarray(groups), return_inverse=True)[1].ravel()
        corr = corr_structure(correlation, gl, time)
        if terms is not None:
            for t in terms.terms:
                if not t.dense and not check_nested(gl, t.codes):
                    raise ValueError("each correlation group must lie within one level of "
                                     "every grouped random-effect block")
    return fit_lme(lme_problem(X, y, terms, corr, weights, offset), REML=REML, control=control)
