"""Penalised least squares for linear mixed models, lme4's formulation, factored blockwise.

For a given ``theta`` with relative covariance factor ``Lambda`` (``Cov(b) = sigma^2
Lambda Lambda'``, ``b = Lambda u``) and prior weights ``W``, the penalised least-squares
problem ``min_{u, beta} ||W^(1/2)(y - X beta - Z Lambda u)||^2 + ||u||^2`` is solved through
the Cholesky factor of

    [ Lambda'Z'WZ Lambda + I   Lambda'Z'WX ]   [ L    0  ] [ L'  RZX ]
    [ X'WZ Lambda              X'WX        ] = [ RZX' RX'] [ 0   RX  ]

(Bates et al. 2015, JSS 67(1), eqs. 17-22, with ``RX`` written lower here). Beta and sigma
are profiled out, giving lme4's deviance (ML) and REML criterion

    ML:   ldL2 - ldW + n (1 + log(2 pi pwrss / n))
    REML: ldL2 - ldW + ldRX2 + (n - p) (1 + log(2 pi pwrss / (n - p)))

with ``ldL2 = log|L|^2``, ``ldRX2 = log|RX|^2``, ``ldW = sum(log w)`` and ``pwrss`` the
penalised weighted residual sum of squares.

The factor is blocked as MixedModels.jl does: terms are in lme4's order (most levels
first), so the first term's block ``Lambda_1'Z_1'WZ_1 Lambda_1 + I`` is block diagonal
(one ``k x k`` block per level) and is factored level by level; the other terms form a
dense block ``L22`` (the Schur complement ``A22 - L21 L21'``, with ``L21`` sparse). All the
products with the data are taken once (:class:`LMMProblem`); a criterion evaluation costs
``O(nl k^3 + nnz(L21) + q2^3)`` plus ``O(n (p + k))`` for the residuals, whatever ``n``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cholesky, solve_triangular
from scipy.linalg.lapack import dpotrf

__all__ = ["LMMProblem", "PLSFactor", "lmm_problem", "factorize", "pls_deviance",
           "lambda_t_times", "times_lambda", "z_times"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class LMMProblem:
    """Frozen data of a linear mixed model: theta-independent cross-products.

    Attributes
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Response minus the offset and minus ``X beta0``.
    w : ndarray, shape (n,)
        Prior weights.
    terms : RandomTerms
        In lme4's order; the first is factored block-diagonally.
    S1 : ndarray, shape (nl1, k1, k1)
        Per-level blocks of ``Z_1'WZ_1``.
    B21 : sparse matrix, shape (q2, q1)
        ``Z_2'WZ_1`` (``Z_2``: the other terms).
    M22 : ndarray, shape (q2, q2)
        ``Z_2'WZ_2``.
    ZtWXy : ndarray, shape (q, p + 1)
        ``Z'W[X y]``.
    XyWXy : ndarray, shape (p + 1, p + 1)
        ``[X y]'W[X y]``.
    ldW : float
        ``sum(log w)``.
    B21_rows : ndarray
        Row of each stored entry of ``B21``.
    pairs : sparse matrix or None
        Symbolic form of ``B21 D B21'`` (see :func:`_pair_matrix`).
    beta0 : ndarray, shape (p,)
        Weighted least-squares coefficients taken out of ``y``.
    """

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    w: np.ndarray = field(repr=False)
    terms: Any = field(repr=False)
    S1: np.ndarray = field(repr=False)
    B21: Any = field(repr=False)
    M22: np.ndarray = field(repr=False)
    ZtWXy: np.ndarray = field(repr=False)
    XyWXy: np.ndarray = field(repr=False)
    ldW: float = 0.0
    B21_rows: np.ndarray = field(default=None, repr=False)
    pairs: Any = field(default=None, repr=False)
    beta0: np.ndarray = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def q1(self) -> int:
        return self.terms.terms[0].q

    @property
    def q2(self) -> int:
        return self.terms.q - self.q1


def lmm_problem(X: np.ndarray, y: np.ndarray, terms: Any, weights: np.ndarray | None = None,
                offset: np.ndarray | None = None) -> LMMProblem:
    """Take the cross-products of a linear mixed model with its data (once per fit).

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Fixed-effects model matrix.
    y : ndarray, shape (n,)
    terms : RandomTerms
        Compiled random-effect terms (:func:`aurora.compile.random_terms.build_random_terms`).
    weights, offset : ndarray, shape (n,), optional

    Returns
    -------
    LMMProblem

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3)})
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, df)
    >>> pr = lmm_problem(np.ones((12, 1)), np.arange(12.), rt)
    >>> pr.S1[:, 0, 0].tolist()
    [3.0, 3.0, 3.0, 3.0]
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    y = np.asarray(y, dtype=float) - (0.0 if offset is None else np.asarray(offset, float))
    # shift y by its weighted least-squares fit on X: beta moves by beta0, nothing else
    # changes, and pwrss taken from the factor loses no digits to cancellation
    beta0 = np.zeros(X.shape[1])
    if X.shape[1]:
        sw = np.sqrt(w)
        beta0 = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
        y = y - X @ beta0
    Xy = np.column_stack([X, y])
    WXy = Xy * w[:, None]
    first = terms.terms[0]
    k1 = first.k
    S1 = np.empty((first.nl, k1, k1))
    for a in range(k1):
        for b in range(a + 1):
            s = np.bincount(first.codes, weights=w * first.X[:, a] * first.X[:, b],
                            minlength=first.nl)
            S1[:, a, b] = s
            S1[:, b, a] = s
    Zt = terms.Z().T.tocsr()
    ZtWXy = np.asarray(Zt @ WXy)
    q1 = first.q
    if len(terms.terms) > 1:
        Z1 = first.Z()
        Z2 = sp.hstack([t.Z() for t in terms.terms[1:]], format="csc")
        B21 = (Z2.T @ (sp.diags(w) @ Z1)).tocsr()
        M22 = np.asarray((Z2.T @ (sp.diags(w) @ Z2)).toarray())
    else:
        B21 = sp.csr_matrix((0, q1))
        M22 = np.zeros((0, 0))
    B21.sum_duplicates()
    B21.sort_indices()
    rows = np.repeat(np.arange(B21.shape[0]), np.diff(B21.indptr))
    with np.errstate(divide="ignore"):
        ldW = float(np.sum(np.log(w)))
    return LMMProblem(X, y, w, terms, S1, B21, M22, ZtWXy, Xy.T @ WXy, ldW, rows,
                      _pair_matrix(B21, first.nl, k1), beta0)


def _pair_matrix(B21: sp.csr_matrix, nl1: int, k1: int, limit: int = 10_000_000) -> Any:
    """The symbolic part of ``B21 diag(M_l) B21'`` for per-level ``k1 x k1`` blocks
    ``M_l``, done once: ``(rows, P)`` such that the product's lower triangle holds
    ``P @ vec(M)`` at the flat positions ``rows`` (``i * q2 + j``, ``i >= j``).

    ``P``'s column ``l * k1^2 + a * k1 + b`` multiplies ``B21[i, l k1 + a] B21[j, l k1 + b]``.
    None when it would hold more than ``limit`` entries (then the product is formed by
    sparse multiplication each time).
    """
    q2 = B21.shape[0]
    if q2 == 0:
        return None
    B = B21.tocsc()
    B.sort_indices()
    lev_ptr = B.indptr[::k1]
    counts = np.diff(lev_ptr)
    if int(np.sum(counts.astype(np.int64) ** 2)) > 2 * limit:
        return None
    nnz = B.nnz
    col = np.repeat(np.arange(B.shape[1]), np.diff(B.indptr))
    lev, a = col // k1, col % k1
    reps = counts[lev]
    e1 = np.repeat(np.arange(nnz), reps)
    starts = np.cumsum(reps) - reps
    e2 = lev_ptr[lev[e1]] + (np.arange(e1.size) - np.repeat(starts, reps))
    i = B.indices.astype(np.int64)
    low = i[e1] >= i[e2]
    e1, e2 = e1[low], e2[low]
    flat = i[e1] * q2 + i[e2]
    rows, inv = np.unique(flat, return_inverse=True)
    cols = lev[e1].astype(np.int64) * k1 * k1 + a[e1] * k1 + a[e2]
    P = sp.csr_matrix((B.data[e1] * B.data[e2], (inv.ravel(), cols)),
                      shape=(rows.size, nl1 * k1 * k1))
    return rows, P


def _schur_lower(pr: "LMMProblem", D: np.ndarray) -> np.ndarray:
    """``-B21 diag(D_l) B21'`` (q2 x q2), lower triangle only, from the precomputed pairs."""
    rows, P = pr.pairs
    q2 = pr.q2
    K = np.zeros(q2 * q2)
    K[rows] = -(P @ D.ravel())
    return K.reshape(q2, q2)


def lambda_t_times(terms: Any, blocks: list[np.ndarray], M: np.ndarray, start: int = 0) -> np.ndarray:
    """``Lambda' M`` for a dense ``M`` whose rows are the random effects of
    ``terms.terms[start:]`` (term by term, level-major)."""
    out = np.empty_like(M)
    r = 0
    for t, T in zip(terms.terms[start:], blocks[start:]):
        blk = M[r:r + t.q].reshape(t.nl, t.k, -1)
        out[r:r + t.q] = np.einsum("ba,lbm->lam", T, blk).reshape(t.q, -1)
        r += t.q
    return out


def times_lambda(terms: Any, blocks: list[np.ndarray], M: np.ndarray, start: int = 0) -> np.ndarray:
    """``M Lambda`` for a dense ``M`` whose columns are the random effects of
    ``terms.terms[start:]``."""
    out = np.empty_like(M)
    c = 0
    for t, T in zip(terms.terms[start:], blocks[start:]):
        blk = M[:, c:c + t.q].reshape(-1, t.nl, t.k)
        out[:, c:c + t.q] = np.einsum("mlb,ba->mla", blk, T).reshape(-1, t.q)
        c += t.q
    return out


def _l21(pr: LMMProblem, blocks: list[np.ndarray], L11inv: np.ndarray) -> sp.csr_matrix:
    """``Lambda_2' B21 Lambda_1 L11^{-T}``: for scalar terms a rescaling of ``B21``'s
    entries, else sparse products with the block-diagonal factors."""
    terms = pr.terms
    if all(t.k == 1 for t in terms.terms):
        d2 = np.concatenate([np.full(t.nl, T[0, 0]) for t, T in zip(terms.terms[1:], blocks[1:])])
        d1 = blocks[0][0, 0] * L11inv[:, 0, 0]
        B = pr.B21
        data = B.data * d2[pr.B21_rows] * d1[B.indices]
        return sp.csr_matrix((data, B.indices, B.indptr), shape=B.shape)
    right = _block_diag_bsr(np.einsum("ab,lcb->lac", blocks[0], L11inv))
    left = sp.block_diag([sp.kron(sp.identity(t.nl), sp.csr_matrix(T.T))
                          for t, T in zip(terms.terms[1:], blocks[1:])], format="csr")
    return (left @ pr.B21 @ right).tocsr()


def _sandwich_lambda2(terms: Any, blocks: list[np.ndarray], M: np.ndarray) -> np.ndarray:
    """``Lambda_2' M Lambda_2`` over the terms after the first."""
    if all(t.k == 1 for t in terms.terms[1:]):  # Lambda_2 diagonal
        d2 = np.concatenate([np.full(t.nl, T[0, 0]) for t, T in zip(terms.terms[1:], blocks[1:])])
        M = M * d2[:, None]
        M *= d2[None, :]
        return M
    return times_lambda(terms, blocks, lambda_t_times(terms, blocks, M, 1), 1)


def _block_diag_bsr(blocks: np.ndarray) -> sp.bsr_matrix:
    nl, k, _ = blocks.shape
    return sp.bsr_matrix((blocks, np.arange(nl), np.arange(nl + 1)), shape=(nl * k, nl * k))


@dataclass(frozen=True)
class PLSFactor:
    """The blocked Cholesky factor of the PLS system at one ``theta``.

    Attributes
    ----------
    theta : ndarray
    blocks : list of ndarray
        ``T_i`` of each term (``Lambda = diag(I (x) T_i)``).
    L11 : ndarray, shape (nl1, k1, k1)
        Lower Cholesky factors of the first term's per-level blocks.
    L11inv : ndarray, shape (nl1, k1, k1)
    L21 : sparse matrix, shape (q2, q1)
    L22 : ndarray, shape (q2, q2)
        Lower triangular.
    R : ndarray, shape (q, p + 1)
        ``L^{-1} Lambda' Z'W[X y]`` (``[RZX, cu]``).
    RX : ndarray, shape (p, p)
        Lower triangular, ``RX RX' = X'WX - RZX'RZX``.
    beta : ndarray, shape (p,)
    u : ndarray, shape (q,)
        Spherical random effects.
    ldL2, ldRX2, pwrss : float
    """

    theta: np.ndarray
    blocks: list = field(repr=False)
    L11: np.ndarray = field(repr=False)
    L11inv: np.ndarray = field(repr=False)
    L21: Any = field(repr=False)
    L22: np.ndarray = field(repr=False)
    R: np.ndarray = field(repr=False)
    RX: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    u: np.ndarray = field(repr=False)
    ldL2: float = 0.0
    ldRX2: float = 0.0
    pwrss: float = 0.0

    def b(self, terms: Any) -> np.ndarray:
        """Random effects on the original scale, ``Lambda u`` (divide by nothing: lme4's
        ``getME(m, "b")``)."""
        out = np.empty_like(self.u)
        r = 0
        for t, T in zip(terms.terms, self.blocks):
            out[r:r + t.q] = (self.u[r:r + t.q].reshape(t.nl, t.k) @ T.T).ravel()
            r += t.q
        return out


def factorize(pr: LMMProblem, theta: np.ndarray) -> PLSFactor:
    """Factor the PLS system at ``theta`` and solve for ``beta`` and ``u``.

    Parameters
    ----------
    pr : LMMProblem
    theta : ndarray
        lme4's ``theta``.

    Returns
    -------
    PLSFactor

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3)})
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, df)
    >>> f = factorize(lmm_problem(np.ones((12, 1)), np.arange(12.), rt), np.array([0.0]))
    >>> round(float(f.beta[0]), 6), round(f.pwrss, 6)
    (5.5, 143.0)
    """
    terms = pr.terms
    theta = np.asarray(theta, dtype=float)
    blocks = terms.lambda_blocks(theta)
    first = terms.terms[0]
    T1 = blocks[0]
    k1, nl1 = first.k, first.nl
    A11 = np.einsum("ba,lbc,cd->lad", T1, pr.S1, T1)
    A11[:, np.arange(k1), np.arange(k1)] += 1.0
    if k1 == 1:
        L11 = np.sqrt(A11)
        L11inv = 1.0 / L11
    else:
        L11 = np.linalg.cholesky(A11)
        L11inv = np.linalg.inv(L11)
    ldL2 = 2.0 * float(np.sum(np.log(L11[:, np.arange(k1), np.arange(k1)])))
    C = lambda_t_times(terms, blocks, pr.ZtWXy)
    q1 = first.q
    R1 = np.matmul(L11inv, C[:q1].reshape(nl1, k1, -1)).reshape(q1, -1)
    q2 = pr.q2
    if q2:
        # L21 = Lambda_2' B21 Lambda_1 L11^{-T}, sparse with B21's pattern; the Schur
        # complement A22 - L21 L21' = Lambda_2'(M22 - B21 D B21')Lambda_2 + I with D the
        # block diagonal Lambda_1 A11^{-1} Lambda_1'
        L21 = _l21(pr, blocks, L11inv)
        right = np.einsum("ab,lcb->lac", T1, L11inv)
        if pr.pairs is not None:  # only the lower triangle is formed and read
            D = np.matmul(right, np.swapaxes(right, 1, 2))
            A22 = _schur_lower(pr, D)
            A22 += pr.M22
            A22 = _sandwich_lambda2(terms, blocks, A22)
        else:
            A22 = _sandwich_lambda2(terms, blocks, pr.M22) - (L21 @ L21.T).toarray()
        A22[np.diag_indices(q2)] += 1.0
        # LAPACK on the Fortran view of the C-ordered array: its upper triangle is our
        # lower one, so no copy is made; L22 = U.T
        U, info = dpotrf(A22.T, lower=0, clean=1, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError("the Schur complement is not positive definite")
        L22 = U.T
        ldL2 += 2.0 * float(np.sum(np.log(np.diag(U))))
        R2 = solve_triangular(U, C[q1:] - L21 @ R1, trans="T", lower=False,
                              check_finite=False)
        R = np.vstack([R1, R2])
    else:
        L21 = sp.csr_matrix((0, q1))
        L22 = np.zeros((0, 0))
        R = R1
    p = pr.p
    M = pr.XyWXy - R.T @ R
    if p:
        RX = cholesky(M[:p, :p], lower=True, check_finite=False)
        ldRX2 = 2.0 * float(np.sum(np.log(np.diag(RX))))
        cb = solve_triangular(RX, M[:p, p], lower=True, check_finite=False)
        beta = solve_triangular(RX.T, cb, lower=False, check_finite=False)
        pwrss = float(M[p, p] - cb @ cb)
    else:
        RX, ldRX2, beta, pwrss = np.zeros((0, 0)), 0.0, np.zeros(0), float(M[0, 0])
    u = _back_solve(pr, L11inv, L21, L22, R[:, p] - R[:, :p] @ beta)
    return PLSFactor(theta, blocks, L11, L11inv, L21, L22, R, RX, beta + pr.beta0, u, ldL2,
                     ldRX2, pwrss)


def _back_solve(pr: LMMProblem, L11inv: np.ndarray, L21: Any, L22: np.ndarray,
                v: np.ndarray) -> np.ndarray:
    """``L'^{-1} v`` for the blocked lower factor ``L``."""
    q1 = pr.q1
    nl1, k1 = pr.terms.terms[0].nl, pr.terms.terms[0].k
    if pr.q2:
        u2 = solve_triangular(L22.T, v[q1:], lower=False, check_finite=False)
        v1 = v[:q1] - L21.T @ u2
    else:
        u2 = np.zeros(0)
        v1 = v[:q1]
    u1 = np.einsum("lba,lb->la", L11inv, v1.reshape(nl1, k1)).ravel()
    return np.concatenate([u1, u2])


def z_times(terms: Any, b: np.ndarray) -> np.ndarray:
    """``Z b`` from the level codes and per-row matrices (no sparse Z).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": list("abab")}))
    >>> z_times(rt, np.array([1.0, 2.0])).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    out = np.zeros(terms.terms[0].codes.shape[0])
    r = 0
    for t in terms.terms:
        bt = b[r:r + t.q].reshape(t.nl, t.k)
        out += np.einsum("nk,nk->n", t.X, bt[t.codes])
        r += t.q
    return out


def pls_deviance(pr: LMMProblem, f: PLSFactor, REML: bool) -> float:
    """lme4's profiled deviance (``REML=False``) or REML criterion at a factor.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3)})
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, df)
    >>> pr = lmm_problem(np.ones((12, 1)), np.arange(12.), rt)
    >>> round(float(pls_deviance(pr, factorize(pr, np.array([0.0])), REML=False)), 4)
    63.7898
    """
    n = pr.n
    if REML:
        nmp = n - pr.p
        return f.ldL2 - pr.ldW + f.ldRX2 + nmp * (1.0 + _LOG2PI + np.log(f.pwrss / nmp))
    return f.ldL2 - pr.ldW + n * (1.0 + _LOG2PI + np.log(f.pwrss / n))
