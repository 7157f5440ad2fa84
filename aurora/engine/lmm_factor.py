"""The blocked Cholesky factor of a linear mixed model's PLS system at one ``theta``.

With the engine's first term block diagonal (``L11``: one ``k x k`` factor per level), the
rest is ``L21 = Lambda_2' B21 Lambda_1 L11^{-T}`` (sparse, ``B21``'s pattern) and ``L22``,
the dense Cholesky factor of the Schur complement ``Lambda_2'(M22 - B21 D B21')Lambda_2 + I``
with ``D = Lambda_1 A11^{-1} Lambda_1'`` block diagonal. The fixed effects follow as lme4
takes them (``RX``, ``beta``), then the spherical random effects ``u``. See
:mod:`aurora.engine.lmm` for the formulation and :mod:`aurora.engine.lmm_problem` for the
data products and the engine's order of the terms.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cholesky, solve_triangular
from scipy.linalg.lapack import dpotrf

from aurora.engine.lmm_problem import LMMProblem, lambda_t_times, times_lambda

__all__ = ["PLSFactor", "factorize", "block_diag_bsr"]


@dataclass(frozen=True)
class PLSFactor:
    """The blocked Cholesky factor of the PLS system at one ``theta``.

    Attributes
    ----------
    theta : ndarray
        lme4's order.
    blocks : list of ndarray
        ``T_i`` of each term, lme4's order (``Lambda = diag(I (x) T_i)``).
    L11 : ndarray, shape (nl1, k1, k1)
        Lower Cholesky factors of the first (engine) term's per-level blocks.
    L11inv : ndarray, shape (nl1, k1, k1)
    L21 : sparse matrix, shape (q2, q1)
    L22 : ndarray, shape (q2, q2)
        Lower triangular.
    R : ndarray, shape (q, p + 1)
        ``L^{-1} Lambda' Z'W[X y]`` (``[RZX, cu]``), rows in engine order.
    RX : ndarray, shape (p, p)
        Lower triangular, ``RX RX' = X'WX - RZX'RZX``.
    beta : ndarray, shape (p,)
    u : ndarray, shape (q,)
        Spherical random effects, lme4's order.
    ldL2, ldRX2, pwrss : float
    eblocks : list of ndarray
        ``T_i`` in the engine's order.
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
    eblocks: list = field(default=None, repr=False)

    def b(self, terms: Any) -> np.ndarray:
        """Random effects on the original scale, ``Lambda u`` (lme4's
        ``getME(m, "b")``), for ``terms`` in lme4's order."""
        out = np.empty_like(self.u)
        r = 0
        for t, T in zip(terms.terms, self.blocks):
            out[r:r + t.q] = (self.u[r:r + t.q].reshape(t.nl, t.k) @ T.T).ravel()
            r += t.q
        return out


def block_diag_bsr(blocks: np.ndarray) -> sp.bsr_matrix:
    """A block-diagonal sparse matrix from ``(nl, k, k)`` blocks."""
    nl, k, _ = blocks.shape
    return sp.bsr_matrix((blocks, np.arange(nl), np.arange(nl + 1)), shape=(nl * k, nl * k))


def _schur_lower(pr: LMMProblem, D: np.ndarray) -> np.ndarray:
    """``-B21 diag(D_l) B21'`` (q2 x q2), lower triangle only, from the precomputed pairs."""
    rows, P = pr.pairs
    q2 = pr.q2
    K = np.zeros(q2 * q2)
    K[rows] = -(P @ D.ravel())
    return K.reshape(q2, q2)


def _l21(pr: LMMProblem, blocks: list[np.ndarray], L11inv: np.ndarray) -> sp.csr_matrix:
    """``Lambda_2' B21 Lambda_1 L11^{-T}``: for scalar terms a rescaling of ``B21``'s
    entries, else sparse products with the block-diagonal factors."""
    terms = pr.eterms
    if terms.scalar:
        d2 = np.concatenate([np.full(t.nl, T[0, 0]) for t, T in zip(terms.terms[1:], blocks[1:])])
        d1 = blocks[0][0, 0] * L11inv[:, 0, 0]
        B = pr.B21
        data = B.data * d2[pr.B21_rows] * d1[B.indices]
        return sp.csr_matrix((data, B.indices, B.indptr), shape=B.shape)
    right = block_diag_bsr(np.einsum("ab,lcb->lac", blocks[0], L11inv))
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
    >>> from aurora.engine.lmm_problem import lmm_problem
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3)})
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, df)
    >>> f = factorize(lmm_problem(np.ones((12, 1)), np.arange(12.), rt), np.array([0.0]))
    >>> round(float(f.beta[0]), 6), round(f.pwrss, 6)
    (5.5, 143.0)
    """
    theta = np.asarray(theta, dtype=float)
    terms = pr.eterms
    blocks = terms.lambda_blocks(pr.engine_theta(theta))
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
    u = back_solve(pr, L11inv, L21, L22, R[:, p] - R[:, :p] @ beta)
    return PLSFactor(theta, pr.terms.lambda_blocks(theta), L11, L11inv, L21, L22, R, RX,
                     beta + pr.beta0, pr.lme4_u(u), ldL2, ldRX2, pwrss, blocks)


def back_solve(pr: LMMProblem, L11inv: np.ndarray, L21: Any, L22: np.ndarray,
               v: np.ndarray) -> np.ndarray:
    """``L'^{-1} v`` for the blocked lower factor ``L`` (engine order in and out); ``v``
    may have several columns."""
    q1 = pr.q1
    first = pr.eterms.terms[0]
    nl1, k1 = first.nl, first.k
    if pr.q2:
        u2 = solve_triangular(L22.T, v[q1:], lower=False, check_finite=False)
        v1 = v[:q1] - L21.T @ u2
    else:
        u2 = v[q1:]
        v1 = v[:q1]
    shape = v1.shape[1:]
    u1 = np.einsum("lba,lb...->la...", L11inv, v1.reshape((nl1, k1) + shape))
    return np.concatenate([u1.reshape((q1,) + shape), u2])
