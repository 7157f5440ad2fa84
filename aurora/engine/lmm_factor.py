"""The blocked Cholesky factor of a linear mixed model's PLS system at one ``theta``.

With the engine's first term block diagonal (``L11``: one ``k x k`` factor per level), the
rest is ``L21 = Lambda_2' B21 Lambda_1 L11^{-T}`` (``B21``'s pattern) and ``L22``, the
dense Cholesky factor of the Schur complement ``Lambda_2'(M22 - B21 D B21')Lambda_2 + I``
with ``D = Lambda_1 A11^{-1} Lambda_1'`` block diagonal. The fixed effects follow as lme4
takes them (``RX``, ``beta``), then the spherical random effects ``u``. See
:mod:`aurora.engine.lmm` for the formulation, :mod:`aurora.engine.lmm_problem` for the
data products and the engine's order of the terms, :mod:`aurora.engine.lmm_plan` for
what is found once per problem (the ``T_i`` layouts, how ``L21`` is filled) and
:mod:`aurora.engine.lmm_blocks` for the batched per-level algebra of the first term
(no per-block LAPACK call, no sparse matrix built for ``k x k`` blocks).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dpotrf, dtrtrs

from aurora.engine.lmm_blocks import FirstBlocks, aos, blocks_t_times, first_blocks, soa
from aurora.engine.lmm_problem import LMMProblem, lambda_t_times, problem_plan, times_lambda

__all__ = ["PLSFactor", "factorize", "block_diag_bsr", "back_solve"]


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
    l21 : sparse matrix or ndarray, shape (q2, q1)
        ``L21`` as computed (dense for a small second block); :attr:`L21` is always sparse.
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
    l21: Any = field(repr=False)
    L22: np.ndarray = field(repr=False)
    R: np.ndarray = field(repr=False)
    RX: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    u: np.ndarray = field(repr=False)
    ldL2: float = 0.0
    ldRX2: float = 0.0
    pwrss: float = 0.0
    eblocks: list = field(default=None, repr=False)

    @property
    def L21(self) -> Any:
        """``L21`` as a sparse matrix, shape (q2, q1)."""
        return sp.csr_matrix(self.l21) if isinstance(self.l21, np.ndarray) else self.l21

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


def _sandwich_lambda2(pr: LMMProblem, blocks: list[np.ndarray], M: np.ndarray,
                      d2: np.ndarray | None) -> np.ndarray:
    """``Lambda_2' M Lambda_2`` over the terms after the first (``d2``: its diagonal when
    every one of them is scalar)."""
    if d2 is not None:
        M = M * d2[:, None]
        M *= d2[None, :]
        return M
    terms = pr.eterms
    return times_lambda(terms, blocks, lambda_t_times(terms, blocks, M, 1), 1)


def _dense_right(B: np.ndarray, fb: FirstBlocks, nl1: int) -> np.ndarray:
    """``B blockdiag(Rt_l)`` for a dense ``q2 x q1`` matrix ``B``."""
    k1 = fb.k
    if k1 == 1:
        return B * fb.Rt[0, 0][None, :]
    B3 = B.reshape(B.shape[0], nl1, k1)
    out = np.empty_like(B3)
    for b in range(k1):
        acc = B3[:, :, 0] * fb.Rt[0, b][None, :]
        for a in range(1, k1):
            acc += B3[:, :, a] * fb.Rt[a, b][None, :]
        out[:, :, b] = acc
    return out.reshape(B.shape)


def _second_block(pr: LMMProblem, plan: Any, eblocks: list[np.ndarray],
                  fb: FirstBlocks) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """``L21`` and the Schur complement ``A22 - L21 L21'`` (its lower triangle is read),
    without the identity; and ``diag(Lambda_2)`` when it is diagonal."""
    first = pr.eterms.terms[0]
    nl1, k1 = first.nl, first.k
    d2 = plan.d2(eblocks) if plan.scalar2 else None
    if plan.mode == "dense":
        BR = _dense_right(pr.B21, fb, nl1)
        L21 = d2[:, None] * BR if d2 is not None else lambda_t_times(pr.eterms, eblocks, BR, 1)
        A22 = _sandwich_lambda2(pr, eblocks, pr.M22, d2)
        A22 -= L21 @ L21.T
        return L21, A22, d2
    if plan.mode == "scalar":
        B = pr.B21
        d1 = fb.Rt[0, 0]
        data = B.data * d2[plan.B21_rows] * d1[B.indices]
        L21 = sp.csr_matrix((data, B.indices, B.indptr), shape=B.shape)
        D = d1 * d1
    else:
        Rt = aos(fb.Rt)
        L21 = plan.fill_l21(pr.B21, eblocks, Rt)
        D = np.matmul(Rt, np.swapaxes(Rt, 1, 2))
    if pr.pairs is None:
        A22 = _sandwich_lambda2(pr, eblocks, pr.M22, d2) - (L21 @ L21.T).toarray()
        return L21, A22, d2
    K = _schur_lower(pr, D)
    if d2 is None:  # a non-diagonal Lambda_2 mixes both triangles: make K symmetric
        K = K + np.tril(K, -1).T
    K += pr.M22
    return L21, _sandwich_lambda2(pr, eblocks, K, d2), d2


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
    plan = problem_plan(pr)
    eblocks, blocks = plan.blocks(theta)
    k1, nl1, q1, q2 = plan.k1, plan.nl1, plan.q1, plan.q2
    fb = first_blocks(pr.S1_soa, eblocks[0])
    ldL2 = fb.ldL2
    C = pr.ZtWXy
    m = C.shape[1]
    R = np.empty((q1 + q2, m))
    R[:q1] = blocks_t_times(fb.Rt, C[:q1].reshape(nl1, k1, m)).reshape(q1, m)
    if q2:
        L21, A22, d2 = _second_block(pr, plan, eblocks, fb)
        A22.flat[::q2 + 1] += 1.0
        # LAPACK on the Fortran view of the C-ordered array: its upper triangle is our
        # lower one, so no copy is made; L22 = U.T
        U, info = dpotrf(A22.T, lower=0, clean=1, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError("the Schur complement is not positive definite")
        L22 = U.T
        ldL2 += 2.0 * float(np.sum(np.log(U.diagonal())))
        C2 = (d2[:, None] * C[q1:] if d2 is not None
              else lambda_t_times(pr.eterms, eblocks, C[q1:], 1))
        C2 -= L21 @ R[:q1]
        R[q1:] = _trsolve(U, C2, lower=False, trans=True)
    else:
        L21 = np.zeros((0, q1))
        L22 = U = np.zeros((0, 0))
    p = m - 1
    M = pr.XyWXy - R.T @ R
    if p:
        RXt, info = dpotrf(M[:p, :p], lower=1, clean=1)
        if info != 0:
            raise np.linalg.LinAlgError("the fixed-effects block is not positive definite")
        RX = np.ascontiguousarray(RXt)
        ldRX2 = 2.0 * float(np.sum(np.log(RX.diagonal())))
        cb = _trsolve(RXt, M[:p, p], lower=True, trans=False)
        beta = _trsolve(RXt, cb, lower=True, trans=True)
        pwrss = float(M[p, p] - cb @ cb)
        v = R[:, p] - R[:, :p] @ beta
    else:
        RX, ldRX2, beta, pwrss = np.zeros((0, 0)), 0.0, np.zeros(0), float(M[0, 0])
        v = R[:, 0].copy()
    u = _solve_u(plan, fb.Linv, L21, U, v)
    return PLSFactor(theta, blocks, aos(fb.L), aos(fb.Linv), L21, L22, R, RX,
                     beta + pr.beta0, pr.lme4_u(u), ldL2, ldRX2, pwrss, eblocks)


def _trsolve(A: np.ndarray, b: np.ndarray, lower: bool, trans: bool) -> np.ndarray:
    """``A^{-1} b`` or ``A'^{-1} b`` for a triangular ``A`` (LAPACK ``trtrs``, without
    ``solve_triangular``'s per-call checks)."""
    b2 = b.reshape(b.shape[0], -1)
    x, info = dtrtrs(A, b2, lower=int(lower), trans=int(trans))
    if info != 0:
        raise np.linalg.LinAlgError("singular triangular factor")
    return x.reshape(b.shape)


def _solve_u(plan: Any, Linv: np.ndarray, L21: Any, U: np.ndarray,
             v: np.ndarray) -> np.ndarray:
    """``L'^{-1} v`` with ``L22 = U'`` (engine order; ``Linv`` of shape (k, k, nl))."""
    q1, nl1, k1 = plan.q1, plan.nl1, plan.k1
    if plan.q2:
        u2 = _trsolve(U, v[q1:], lower=False, trans=False)
        v1 = v[:q1] - L21.T @ u2
    else:
        u2 = v[q1:]
        v1 = v[:q1]
    u1 = blocks_t_times(Linv, v1.reshape((nl1, k1, -1))).reshape(v1.shape)
    return np.concatenate([u1, u2])


def back_solve(pr: LMMProblem, L11inv: np.ndarray, L21: Any, L22: np.ndarray,
               v: np.ndarray) -> np.ndarray:
    """``L'^{-1} v`` for the blocked lower factor ``L`` (engine order in and out); ``v``
    may have several columns. ``L11inv`` has shape ``(nl1, k1, k1)``; ``L21`` is sparse
    or dense."""
    plan = problem_plan(pr)
    U = np.asarray(L22).T if plan.q2 else np.zeros((0, 0))
    return _solve_u(plan, soa(L11inv), L21, U, v)
