"""Batched algebra on the first term's per-level ``k x k`` blocks of a mixed model's factor.

The block-diagonal part of the PLS factor holds one small block per level (10,000 levels of
``2 x 2`` blocks for a correlated intercept and slope on 10,000 groups). LAPACK and NumPy's
stacked ``cholesky``/``inv``/``einsum`` pay a fixed cost per block, which dominates at
these sizes, so the blocks are handled here entry by entry instead: the arrays are kept
"structure of arrays", shape ``(k, k, nl)``, and each formula of a small Cholesky factor
(``l_jj = sqrt(a_jj - sum_k l_jk^2)``, ``l_ij = (a_ij - sum_k l_ik l_jk) / l_jj``), of the
inverse of a lower triangle and of a product is one vector operation over the levels. For
``k = 1`` everything is a scalar per level; for ``k > 3`` the stacked NumPy routines
are used.
"""
from __future__ import annotations

import numpy as np

__all__ = ["FirstBlocks", "first_blocks", "soa", "aos", "blocks_times", "blocks_t_times",
           "SOA_MAX_K"]

#: largest ``k`` handled entry by entry (above: stacked LAPACK through NumPy)
SOA_MAX_K = 3


def soa(B: np.ndarray) -> np.ndarray:
    """``(nl, k, k)`` blocks as a C-contiguous ``(k, k, nl)`` array."""
    return np.ascontiguousarray(np.moveaxis(B, 0, -1))


def aos(B: np.ndarray) -> np.ndarray:
    """``(k, k, nl)`` as ``(nl, k, k)`` blocks (a view)."""
    return np.moveaxis(B, -1, 0)


class FirstBlocks:
    """The factored first-term blocks at one ``theta``.

    Attributes
    ----------
    L, Linv : ndarray, shape (k, k, nl)
        Lower Cholesky factors of ``A_l = T' S_l T + I`` and their inverses.
    Rt : ndarray, shape (k, k, nl)
        ``T L_l^{-T}`` (so that ``Lambda_1 L11^{-T} = blockdiag(Rt_l)``).
    ldL2 : float
        ``sum_l log |A_l|``.
    """

    __slots__ = ("L", "Linv", "Rt", "ldL2")

    def __init__(self, L: np.ndarray, Linv: np.ndarray, Rt: np.ndarray, ldL2: float) -> None:
        self.L, self.Linv, self.Rt, self.ldL2 = L, Linv, Rt, ldL2

    @property
    def k(self) -> int:
        return int(self.L.shape[0])

    def D(self) -> np.ndarray:
        """``Rt_l Rt_l' = T A_l^{-1} T'``, shape (k, k, nl)."""
        return _mul_abt(self.Rt, self.Rt)


def _mul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per-level ``A_l B_l`` of ``(k, k, nl)`` arrays."""
    k = A.shape[0]
    if k > SOA_MAX_K:
        return np.moveaxis(np.matmul(np.moveaxis(A, -1, 0), np.moveaxis(B, -1, 0)), 0, -1)
    out = np.empty_like(A)
    for i in range(k):
        for j in range(k):
            acc = A[i, 0] * B[0, j]
            for c in range(1, k):
                acc += A[i, c] * B[c, j]
            out[i, j] = acc
    return out


def _mul_abt(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per-level ``A_l B_l'``."""
    return _mul(A, np.swapaxes(B, 0, 1))


def _cholesky(A: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of the (k, k, nl) blocks (lower triangles read)."""
    k = A.shape[0]
    L = np.zeros_like(A)
    for j in range(k):
        d = A[j, j].copy()
        for c in range(j):
            d -= L[j, c] * L[j, c]
        if np.any(~(d > 0)):
            raise np.linalg.LinAlgError("a block of the first term is not positive definite")
        L[j, j] = np.sqrt(d)
        for i in range(j + 1, k):
            v = A[i, j].copy()
            for c in range(j):
                v -= L[i, c] * L[j, c]
            L[i, j] = v / L[j, j]
    return L


def _tri_inv(L: np.ndarray) -> np.ndarray:
    """Inverses of the lower triangular (k, k, nl) blocks (forward substitution)."""
    k = L.shape[0]
    X = np.zeros_like(L)
    for j in range(k):
        X[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, k):
            v = L[i, j] * X[j, j]
            for c in range(j + 1, i):
                v += L[i, c] * X[c, j]
            X[i, j] = -v / L[i, i]
    return X


def first_blocks(S: np.ndarray, T: np.ndarray) -> FirstBlocks:
    """Factor ``T' S_l T + I`` for every level.

    Parameters
    ----------
    S : ndarray, shape (k, k, nl)
        ``Z_l'W Z_l`` per level (symmetric).
    T : ndarray, shape (k, k)
        The first term's relative covariance factor.

    Examples
    --------
    >>> S = soa(np.array([[[2.0, 1.0], [1.0, 3.0]]]))
    >>> fb = first_blocks(S, np.eye(2))
    >>> np.round(aos(fb.L)[0], 6).tolist()
    [[1.732051, 0.0], [0.57735, 1.914854]]
    >>> bool(np.allclose(aos(fb.Linv)[0] @ aos(fb.L)[0], np.eye(2)))
    True
    """
    k = S.shape[0]
    if k == 1:
        t = float(T[0, 0])
        L = np.sqrt((t * t) * S + 1.0)
        Linv = 1.0 / L
        return FirstBlocks(L, Linv, t * Linv, 2.0 * float(np.sum(np.log(L))))
    if k > SOA_MAX_K:
        A = np.einsum("ba,bcl,cd->adl", T, S, T)
        A[np.arange(k), np.arange(k)] += 1.0
        Lb = np.linalg.cholesky(np.moveaxis(A, -1, 0))
        Lib = np.linalg.inv(Lb)
        L, Linv = np.moveaxis(Lb, 0, -1), np.moveaxis(Lib, 0, -1)
        Rt = np.moveaxis(np.matmul(T, np.swapaxes(Lib, 1, 2)), 0, -1)
        ld = 2.0 * float(np.sum(np.log(np.diagonal(Lb, axis1=1, axis2=2))))
        return FirstBlocks(L, Linv, Rt, ld)
    # A = T' (S T) + I, lower triangle only, with T lower triangular
    M = np.empty_like(S)  # S T
    for b in range(k):
        for d in range(k):
            acc = S[b, d] * T[d, d]
            for c in range(d + 1, k):
                if T[c, d] != 0.0:
                    acc = acc + S[b, c] * T[c, d]
            M[b, d] = acc
    A = np.zeros_like(S)
    for a in range(k):
        for d in range(a + 1):
            acc = T[a, a] * M[a, d]
            for b in range(a + 1, k):
                if T[b, a] != 0.0:
                    acc = acc + T[b, a] * M[b, d]
            A[a, d] = acc
        A[a, a] += 1.0
    L = _cholesky(A)
    Linv = _tri_inv(L)
    Rt = np.empty_like(L)  # T Linv'
    for i in range(k):
        for j in range(k):
            acc = None
            for c in range(min(i, j) + 1):  # T[i, c] (c <= i), Linv[j, c] (c <= j)
                if T[i, c] != 0.0:
                    term = T[i, c] * Linv[j, c]
                    acc = term if acc is None else acc + term
            Rt[i, j] = 0.0 if acc is None else acc
    ld = 0.0
    for j in range(k):
        ld += float(np.sum(np.log(L[j, j])))
    return FirstBlocks(L, Linv, Rt, 2.0 * ld)


def blocks_t_times(B: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Per-level ``B_l' V_l`` for ``(k, k, nl)`` blocks and ``V`` of shape ``(nl, k, m)``."""
    k = B.shape[0]
    if k == 1:
        return B[0, 0][:, None, None] * V
    if k > SOA_MAX_K:
        return np.matmul(np.swapaxes(np.moveaxis(B, -1, 0), 1, 2), V)
    Vs = np.ascontiguousarray(np.moveaxis(V, 0, -1))  # (k, m, nl): levels innermost
    out = np.empty(Vs.shape)
    for a in range(k):
        acc = B[0, a] * Vs[0]
        for b in range(1, k):
            acc += B[b, a] * Vs[b]
        out[a] = acc
    return np.moveaxis(out, -1, 0)


def blocks_times(B: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Per-level ``B_l V_l`` for ``(k, k, nl)`` blocks and ``V`` of shape ``(nl, k, m)``."""
    return blocks_t_times(np.swapaxes(B, 0, 1), V)
