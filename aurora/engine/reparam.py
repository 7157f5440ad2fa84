"""Penalty bookkeeping and mgcv's stable reparametrisation of ``S_lambda = sum_j lambda_j S_j``.

The outer loop needs ``log|S_lambda|_+`` and its first two derivatives with respect to
``rho = log(lambda)``, and the inner fits need ``X'WX + S_lambda`` factorised without the
smaller penalties being lost in the rounding of the larger ones. Both are obtained, as in
mgcv (``gam.reparam``, C routine ``get_stableS``), from an orthogonal similarity transform
``Qs`` of the penalty range space, built by repeatedly splitting off the dominant penalty
terms (Wood 2011, JRSS-B 73:3-36, appendix B). In the transformed coordinates the total
penalty has the dominant terms' range spaces separated exactly, so its determinant, its
inverse and the Cholesky factor of ``X'WX + S`` are accurate whatever the ratio of the
smoothing parameters.

All of this is model-sized (p x p) NumPy work.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh

from aurora.engine.design import gemv, gemv_t, matmul
from aurora.errors import ModelSpecError

__all__ = ["PenaltySetup", "StableReparam", "setup_penalties", "stable_reparam", "mm", "eigh"]

_EPS = np.finfo(float).eps
_D_TOL = _EPS ** 0.3   # grouping of dominant terms (mgcv's gam.reparam)
_R_TOL = _EPS ** 0.75  # rank of a dominant group


def mm(*arrays):
    """Product of matrices and vectors through SciPy's BLAS.

    The engine's p x p algebra uses SciPy throughout: NumPy and SciPy bundle separate
    OpenBLAS builds whose thread pools, used alternately, spin against each other (see the
    note in :mod:`aurora.engine.design`).

    Examples
    --------
    >>> mm(np.eye(2), np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    11.0
    """
    out = np.asarray(arrays[0], dtype=float)
    for b in arrays[1:]:
        b = np.asarray(b, dtype=float)
        if out.ndim == 1 and b.ndim == 1:
            out = float(np.einsum("i,i->", out, b))
        elif out.ndim == 2 and b.ndim == 1:
            out = gemv(out, b) if out.size else np.zeros(out.shape[0])
        elif out.ndim == 1:
            out = gemv_t(b, out) if b.size else np.zeros(b.shape[1])
        else:
            out = matmul(out, b)
    return out


@dataclass(frozen=True)
class PenaltySetup:
    """Penalty blocks in the forms the engine uses (computed once per model).

    Attributes
    ----------
    p : int
        Number of coefficients.
    blocks : tuple of (ndarray, int)
        The penalties ``S_j`` (q_j x q_j) and their 0-based first column.
    ranks : tuple of int
        Rank of each ``S_j``.
    roots : tuple of ndarray
        ``rS_j`` (p x rank_j) with ``rS_j rS_j' = S_j`` embedded in p x p.
    U1 : ndarray, shape (p, p)
        Orthogonal ``[Y, Z]``: ``Y`` spans the range of the total penalty, ``Z`` its null space
        (mgcv's ``totalPenaltySpace``).
    n_null : int
        ``Mp``, the null-space dimension of the total penalty.
    range_roots : tuple of ndarray
        ``Y' rS_j`` ((p - Mp) x rank_j), mgcv's ``UrS``.
    scaled_total : ndarray, shape (p, p)
        ``sum_j S_j / ||S_j||_F`` (embedded), a well-scaled total penalty for rank checks.
    """

    p: int
    blocks: tuple
    ranks: tuple
    roots: tuple
    U1: np.ndarray
    n_null: int
    range_roots: tuple
    scaled_total: np.ndarray

    @property
    def n_penalties(self) -> int:
        return len(self.blocks)

    def embedded(self, j: int) -> np.ndarray:
        """``S_j`` as a p x p matrix."""
        S, off = self.blocks[j]
        out = np.zeros((self.p, self.p))
        q = S.shape[0]
        out[off:off + q, off:off + q] = S
        return out

    def total(self, sp: np.ndarray) -> np.ndarray:
        """``sum_j sp_j S_j`` as a p x p matrix (original coordinates)."""
        out = np.zeros((self.p, self.p))
        for lam, (S, off) in zip(sp, self.blocks):
            q = S.shape[0]
            out[off:off + q, off:off + q] += lam * S
        return out


def _root(S: np.ndarray, rank: int) -> np.ndarray:
    """A square root ``R`` (q x rank) with ``R R' = S``, from the leading eigenvectors."""
    ev, V = eigh((S + S.T) / 2)
    order = np.argsort(ev)[::-1][:rank]
    return V[:, order] * np.sqrt(np.maximum(ev[order], 0.0))


def _rank(S: np.ndarray) -> int:
    ev = eigh((S + S.T) / 2, eigvals_only=True)
    top = ev.max() if ev.size else 0.0
    if top <= 0:
        return 0
    return int((ev > top * _EPS ** 0.66).sum())


def setup_penalties(penalties, p: int, ranks=None) -> PenaltySetup:
    """Collect penalty blocks and build their roots and the total penalty space.

    Parameters
    ----------
    penalties : sequence of (ndarray, int)
        ``(S_j, off_j)``: a symmetric positive semi-definite ``q_j x q_j`` matrix applying to
        columns ``off_j .. off_j + q_j - 1`` (0-based; mgcv's ``G$off`` minus one).
    p : int
        Number of model-matrix columns.
    ranks : sequence of int, optional
        Ranks of the ``S_j`` (mgcv's ``G$rank``); estimated from eigenvalues when omitted.

    Returns
    -------
    PenaltySetup

    Examples
    --------
    >>> import numpy as np
    >>> ps = setup_penalties([(np.diag([1.0, 1.0, 0.0]), 1)], p=4)
    >>> ps.n_null, ps.ranks
    (2, (2,))
    """
    blocks, roots, rks = [], [], []
    scaled = np.zeros((p, p))
    for j, (S, off) in enumerate(penalties):
        S = np.asarray(S, dtype=float)
        off = int(off)
        q = S.shape[0]
        if S.shape != (q, q) or off < 0 or off + q > p:
            raise ModelSpecError(f"penalty {j}: a {S.shape} matrix at column {off} does not fit "
                             f"a model matrix with {p} columns")
        S = (S + S.T) / 2
        r = _rank(S) if ranks is None else int(ranks[j])
        R = np.zeros((p, r))
        R[off:off + q] = _root(S, r)
        blocks.append((S, off))
        roots.append(R)
        rks.append(r)
        scaled[off:off + q, off:off + q] += S / np.sqrt((S * S).sum())
    ev, V = eigh(scaled)
    ev, V = ev[::-1], V[:, ::-1]  # descending, as R's eigen()
    top = ev[0] if ev.size else 0.0
    ind = ev > top * _EPS ** 0.66 if top > 0 else np.zeros(p, dtype=bool)
    Y, Z = V[:, ind], V[:, ~ind]
    return PenaltySetup(
        p=p, blocks=tuple(blocks), ranks=tuple(rks), roots=tuple(roots),
        U1=np.column_stack([Y, Z]), n_null=int(Z.shape[1]),
        range_roots=tuple(mm(Y.T, R) for R in roots), scaled_total=scaled,
    )


@dataclass(frozen=True)
class StableReparam:
    """Result of :func:`stable_reparam` (mgcv's ``gam.reparam``).

    Attributes
    ----------
    Qs : ndarray, shape (q, q)
        Orthogonal transform: ``S = Qs' S_lambda Qs``.
    S : ndarray, shape (q, q)
        The transformed total penalty.
    roots : tuple of ndarray
        The transformed roots (``Qs' rS_j``), with exact zeros where a dominant term has
        been split off.
    det, det1, det2 : float, ndarray (M,), ndarray (M, M)
        ``log|S_lambda|_+`` and its derivatives with respect to ``log(lambda)``.
    """

    Qs: np.ndarray
    S: np.ndarray
    roots: tuple
    det: float
    det1: np.ndarray
    det2: np.ndarray


def stable_reparam(roots, sp, deriv: int = 2) -> StableReparam:
    """Similarity-transform ``sum_j sp_j rS_j rS_j'`` for stable determinants.

    A port of the algorithm of mgcv's C routine ``get_stableS`` (Wood 2011, appendix B):
    at each step the terms whose Frobenius norm (times ``sp_j``) is within ``eps^0.3`` of the
    largest are "dominant"; the eigenvectors of their sum split the remaining space into
    their range (kept) and null space, to which the other terms are projected and the
    process repeated.

    Parameters
    ----------
    roots : sequence of ndarray
        ``rS_j``, each (q x r_j), in the penalty range space (full rank in total).
    sp : array-like, shape (M,)
        Smoothing parameters (not logs).
    deriv : int
        0, 1 or 2: which derivatives of ``log|S|`` to form.

    Returns
    -------
    StableReparam

    Examples
    --------
    >>> import numpy as np
    >>> r = stable_reparam([np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]])], [1e8, 2.0])
    >>> bool(np.isclose(r.det, np.log(2e8))), r.det1.tolist()
    (True, [1.0, 1.0])
    """
    sp = np.asarray(sp, dtype=float)
    M = len(roots)
    q = roots[0].shape[0] if M else 0
    rS = [np.array(R, dtype=float, copy=True) for R in roots]
    Si = [mm(R, R.T) for R in rS]
    Qf = np.eye(q)
    S = np.zeros((q, q))
    K, Q = 0, q
    gamma = np.ones(M, dtype=bool)
    it = 0
    while M:
        it += 1
        frob = np.zeros(M)
        for i in np.flatnonzero(gamma):
            frob[i] = np.sqrt((Si[i] * Si[i]).sum())
        max_frob = (frob * sp)[gamma].max()
        alpha = gamma & (frob * sp > max_frob * _D_TOL)
        gamma1 = gamma & ~alpha
        if gamma1.any():
            Sb = sum(Si[i] / frob[i] for i in np.flatnonzero(alpha))
            ev = eigh(Sb, eigvals_only=True)  # ascending
            r = 1
            while r < Q and ev[Q - r - 1] > ev[Q - 1] * _R_TOL:
                r += 1
        else:
            r = Q
        if Q == r:
            if it == 1:
                S = sum(sp[i] * Si[i] for i in range(M))
            break
        Sb = sum(sp[i] * Si[i] for i in np.flatnonzero(alpha))
        ev, U = eigh(Sb)
        ev, U = ev[::-1], U[:, ::-1]  # descending
        Qf[:, K:] = U if it == 1 else mm(Qf[:, K:], U)
        Sg = np.zeros((Q, Q))
        for i in np.flatnonzero(gamma1):
            Sg += sp[i] * Si[i]
        if K > 0:
            B = mm(S[:K, K:], U)
            S[:K, K:] = B
            S[K:, :K] = B.T
        C = mm(U.T, Sg, U)
        C[np.arange(r), np.arange(r)] += ev[:r]
        S[K:, K:] = C
        for k in range(M):
            block = rS[k][K:K + Q]
            if alpha[k]:
                rS[k][K:K + r] = mm(U[:, :r].T, block)
                rS[k][K + r:K + Q] = 0.0
            elif gamma1[k]:
                rS[k][K:K + Q] = mm(U.T, block)
        Un = U[:, r:]
        for i in np.flatnonzero(gamma1):
            Si[i] = mm(Un.T, Si[i], Un)
        K += r
        Q -= r
        gamma = gamma1
    S = (S + S.T) / 2
    det, Sinv = _logdet_inverse(S)
    det1 = np.zeros(M)
    det2 = np.zeros((M, M))
    if deriv and M:
        SiS = [mm(Sinv, R, R.T) for R in rS]  # S^{-1} S_j
        det1 = np.array([sp[j] * np.trace(SiS[j]) for j in range(M)])
        if deriv > 1:
            for i in range(M):
                for j in range(i, M):
                    det2[i, j] = det2[j, i] = -sp[i] * sp[j] * np.sum(SiS[i] * SiS[j].T)
            det2[np.diag_indices(M)] += det1
    return StableReparam(Qf, S, tuple(rS), float(det), det1, det2)


def _logdet_inverse(S: np.ndarray) -> tuple[float, np.ndarray]:
    """``log|det S|`` and ``S^{-1}`` from a pivoted QR decomposition (as mgcv's
    ``qr_ldet_inv``)."""
    from scipy.linalg import qr, solve_triangular

    if S.shape[0] == 0:
        return 0.0, S.copy()
    Qm, R, piv = qr(S, pivoting=True)
    det = float(np.sum(np.log(np.abs(np.diag(R)))))
    inv_p = solve_triangular(R, Qm.T)  # (S P)^{-1} = R^{-1} Q'
    inv = np.empty_like(inv_p)
    inv[piv] = inv_p
    return det, inv
