"""The profiled criterion of an nlme-style model by dense linear algebra, for the search.

When the random effects are few (``q`` up to :data:`MAX_Q`; a GAMM's smooths and a few
dozen groups), building the sparse penalised least-squares problem of
:mod:`aurora.engine.lmm` at every evaluation costs far more than solving it densely:
whiten ``W^(1/2) [X, y, X_term...]`` by the correlation structure, expand each term to its
columns of ``Z Lambda`` (level-major, as ``b``), and factor

    L L' = Lambda' Z' Z Lambda + I,   RX RX' = X'X - RZX' RZX,

with ``RZX = L^-1 Lambda' Z' X``; ``pwrss = |y - X beta - Z Lambda u|^2 + |u|^2`` from
the residuals.
The value is lme4's (and :func:`aurora.engine.lme.lme_criterion`'s) criterion to rounding;
:func:`aurora.engine.lme_fit.fit_lme` searches with it and evaluates the estimates by the
full factorisation.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import cholesky, solve_triangular

__all__ = ["MAX_Q", "dense_ok", "dense_criterion"]

MAX_Q = 600  # random effects up to which the dense path is used
_MAX_NQ = 8_000_000  # and n * q up to this


def dense_ok(problem) -> bool:
    """Whether :func:`dense_criterion` suits ``problem`` (random effects, few of them)."""
    if problem.terms is None:
        return False
    q = int(problem.terms.q)
    return q <= MAX_Q and problem.n * q <= _MAX_NQ


def dense_criterion(problem, params: np.ndarray, REML: bool) -> float:
    """``-2 log L`` (REML: restricted) at ``params``, as
    :func:`aurora.engine.lme.lme_criterion` of :func:`aurora.engine.lme.evaluate`.

    Parameters
    ----------
    problem : LMEProblem
    params : ndarray
        Free covariance parameters, then the unconstrained correlation parameter.
    REML : bool

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.engine.lme import ZBlock, blocks_as_terms, evaluate, lme_criterion
    >>> from aurora.engine.lme import lme_problem
    >>> from aurora.engine.lme_corr import corr_structure
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(10), 5)
    >>> y = rng.normal(size=10)[g] + rng.normal(size=50)
    >>> terms = blocks_as_terms([ZBlock(g, np.ones(50))])
    >>> pr = lme_problem(np.ones((50, 1)), y, terms, corr_structure("ar1", g))
    >>> x = np.array([0.8, 0.3])
    >>> full = lme_criterion(pr, evaluate(pr, x), True)
    >>> bool(abs(dense_criterion(pr, x, True) - full) < 1e-10)
    True
    """
    params = np.asarray(params, dtype=float)
    terms = problem.terms
    nc = problem.n_cov
    theta = params[:nc]
    A = problem.stacked
    half = 0.0
    if problem.corr is not None:
        A, half = problem.corr.whiten(A, float(params[nc]))
    n, p = problem.n, problem.p
    XY = A[:, :p + 1]
    ZL = np.zeros((n, terms.q))
    rows = np.arange(n)
    c = p + 1
    for t, T, b0 in zip(terms.terms, terms.lambda_blocks(theta), terms.b_offsets):
        width = t.X.shape[1]
        block = A[:, c:c + width]
        c += width
        if t.dense:
            ZL[:, b0:b0 + width] = block * T[0, 0]
            continue
        XT = block @ T
        k = t.k
        for j in range(k):
            ZL[rows, b0 + t.codes * k + j] = XT[:, j]
    M = ZL.T @ ZL
    M[np.diag_indices_from(M)] += 1.0
    L = cholesky(M, lower=True, check_finite=False)
    sol = solve_triangular(L, ZL.T @ XY, lower=True, check_finite=False)
    S = XY.T @ XY - sol.T @ sol
    ldL2 = 2.0 * float(np.sum(np.log(np.diag(L))))
    beta, ldRX2 = np.zeros(p), 0.0
    if p:
        RX = cholesky(S[:p, :p], lower=True, check_finite=False)
        cb = solve_triangular(RX, S[:p, p], lower=True, check_finite=False)
        beta = solve_triangular(RX.T, cb, lower=False, check_finite=False)
        ldRX2 = 2.0 * float(np.sum(np.log(np.diag(RX))))
    # pwrss from the residuals and the spherical effects (no cancellation)
    u = solve_triangular(L.T, sol[:, p] - sol[:, :p] @ beta, lower=False, check_finite=False)
    r = XY[:, p] - XY[:, :p] @ beta - ZL @ u
    pwrss = float(r @ r + u @ u)
    if not pwrss > 0:
        return np.inf
    jac = 2.0 * half - problem.ldW
    log2pi = float(np.log(2 * np.pi))
    if REML:
        nmp = n - p
        return float(ldL2 + ldRX2 + nmp * (1.0 + log2pi + np.log(pwrss / nmp)) + jac)
    return float(ldL2 + n * (1.0 + log2pi + np.log(pwrss / n)) + jac)
