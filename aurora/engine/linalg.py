"""Small dense linear algebra for the model-sized (p x p) work, always NumPy float64.

Everything here goes through SciPy's BLAS/LAPACK (see the note in ``design.py`` on mixing
NumPy's and SciPy's thread pools). The normal-equation matrices the solver factorises are
*grams*: objects with ``detect_aliased``, ``take`` (a column subset), ``add`` (a penalty),
``factorize`` and ``to_dense``. :class:`DenseGram` wraps a dense ``X'WX``;
:class:`ArrowGram` is the ``X'WX`` of a design with a factor-coded block, a diagonal block
bordered by a few dense rows and columns.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve, solve_triangular
from scipy.linalg.blas import dgemm
from scipy.linalg.lapack import dpotrf

from aurora.engine.design import gemv, gemv_t, matmul

__all__ = ["detect_aliased", "skip_cholesky", "spd_solve", "spd_inverse", "DenseGram",
           "CholeskyFactor", "ArrowGram", "ArrowFactor"]

_PANEL = 64  # columns per panel of the blocked factorisation
_CHUNK_ELEMENTS = 1 << 20  # prefix-sum entries (chunk * k * k) held at once


def skip_cholesky(A: np.ndarray, tol: float = 1e-13,
                  norms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factorisation in column order that skips (aliases) negligible columns.

    Column ``j`` is aliased when its squared residual norm after projecting on the kept
    columns to its left, the pivot ``d_j`` of the factorisation, is at most ``tol`` times
    its squared norm ``norms[j]`` (default ``A[j, j]``): the outcome of R's ``dqrdc2``
    (LINPACK QR with limited pivoting, as ``glm.fit`` uses) on the cross-product.

    Cost: one factorisation, ``p^3 / 3`` flops. LAPACK ``dpotrf`` runs first; only when
    some column is aliased does a blocked right-looking factorisation (panels of 64
    columns, the trailing update in level-3 BLAS) redo it, skipping aliased columns.

    Parameters
    ----------
    A : ndarray, shape (p, p)
        Symmetric positive semi-definite.
    tol : float
        Relative tolerance on squared norms.
    norms : ndarray, shape (p,), optional
        Squared norms the pivots are compared with (when ``A`` is already a Schur
        complement, the diagonal of the original matrix).

    Returns
    -------
    aliased : ndarray of bool, shape (p,)
    L : ndarray, shape (r, r)
        Lower Cholesky factor of ``A[kept][:, kept]`` (``r`` kept columns).

    Examples
    --------
    >>> X = np.array([[1., 1, 2], [1, 2, 3], [1, 3, 4]])
    >>> skip_cholesky(X.T @ X)[0].tolist()
    [False, False, True]
    """
    A = np.asarray(A, dtype=np.float64)
    p = A.shape[0]
    norms = np.diag(A).copy() if norms is None else np.asarray(norms, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        good = np.isfinite(norms) & (norms > 0)
    aliased = ~good
    g = np.flatnonzero(good)
    s = np.sqrt(norms[g])
    # Jacobi scaling: pivots become relative to the column norms, and the factorisation
    # is insensitive to the columns' units
    M = A[np.ix_(g, g)] / s[:, None] / s[None, :]
    if g.size == 0:
        return aliased, np.zeros((0, 0))
    Lg, info = dpotrf(M, lower=1, clean=1, overwrite_a=0)
    with np.errstate(invalid="ignore"):
        fine = info == 0 and bool(np.all(np.diag(Lg) ** 2 > tol))
    if not fine:
        al_g, Lg = _blocked_skip(M, tol)
        aliased[g[al_g]] = True
        kept = ~al_g
        Lg = Lg[np.ix_(kept, kept)]
        s = s[kept]
    return aliased, Lg * s[:, None]


def _blocked_skip(M: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Right-looking blocked Cholesky of a unit-diagonal matrix, zeroing aliased columns."""
    p = M.shape[0]
    S = np.array(M, dtype=np.float64, order="F")
    aliased = np.zeros(p, dtype=bool)
    for k0 in range(0, p, _PANEL):
        k1 = min(p, k0 + _PANEL)
        for j in range(k0, k1):
            d = S[j, j]
            if not d > tol:  # also catches NaN
                aliased[j] = True
                S[j:, j] = 0.0
                continue
            col = S[j:, j]
            col /= np.sqrt(d)
            if j + 1 < k1:  # update the rest of the panel only
                S[j + 1:, j + 1:k1] -= np.outer(col[1:], col[1:k1 - j])
        if k1 < p:  # trailing update with the whole panel at once
            P = np.asfortranarray(S[k1:, k0:k1])
            S[k1:, k1:] = dgemm(-1.0, P, P, beta=1.0, c=np.asfortranarray(S[k1:, k1:]), trans_b=1)
    return aliased, np.tril(S)


def detect_aliased(A: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Columns that are linear combinations of earlier ones, in column order.

    Mirrors the outcome of R's ``dqrdc2`` (limited pivoting: a column whose residual,
    after projecting on the kept columns to its left, is negligible is moved out), but
    works on the cross-product ``A = X'WX``: column ``j`` is aliased when its squared
    residual norm is below ``tol`` times its squared norm. One factorisation
    (:func:`skip_cholesky`), ``O(p^3)``.

    Parameters
    ----------
    A : ndarray, shape (p, p)
        Symmetric positive semi-definite cross-product matrix.
    tol : float
        Relative tolerance on squared norms.

    Returns
    -------
    ndarray of bool, shape (p,)
        ``True`` for aliased columns.

    Examples
    --------
    >>> X = np.array([[1., 1, 2], [1, 2, 3], [1, 3, 4]])
    >>> detect_aliased(X.T @ X).tolist()
    [False, False, True]
    """
    return skip_cholesky(A, tol)[0]


def _scaled(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.sqrt(np.diag(A))
    d = np.where(d > 0, d, 1.0)
    return A / d[:, None] / d[None, :], d


def spd_solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``A x = b`` for symmetric positive definite ``A`` (Jacobi-scaled Cholesky)."""
    return CholeskyFactor(A).solve(b)


def spd_inverse(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix (Jacobi-scaled Cholesky)."""
    return CholeskyFactor(A).inverse()


class CholeskyFactor:
    """Jacobi-scaled Cholesky factorisation of a dense symmetric positive definite matrix.

    Parameters
    ----------
    A : ndarray, shape (p, p)

    Examples
    --------
    >>> f = CholeskyFactor(np.array([[4.0, 2.0], [2.0, 3.0]]))
    >>> f.solve(np.array([2.0, 1.0])).round(6).tolist()
    [0.5, 0.0]
    """

    def __init__(self, A: np.ndarray) -> None:
        self._A = np.asarray(A, dtype=np.float64)
        As, self._d = _scaled(self._A)
        self._c = cho_factor(As, lower=False, check_finite=False)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``A^{-1} b`` for a vector or a matrix of columns."""
        d = self._d if np.ndim(b) == 1 else self._d[:, None]
        return cho_solve(self._c, b / d, check_finite=False) / d

    def inverse(self) -> np.ndarray:
        """``A^{-1}`` (symmetrised)."""
        inv = cho_solve(self._c, np.eye(self._A.shape[0]), check_finite=False)
        inv = (inv + inv.T) / 2
        return inv / self._d[:, None] / self._d[None, :]

    def inverse_diag(self) -> np.ndarray:
        """The diagonal of ``A^{-1}`` without forming it."""
        U = self._c[0]  # As = U'U, so As^{-1} = U^{-1} U^{-T}: row sums of squares of U^{-1}
        Uinv = solve_triangular(U, np.eye(U.shape[0]), lower=False, check_finite=False)
        return np.einsum("ij,ij->i", Uinv, Uinv) / self._d**2

    def matrix(self) -> np.ndarray:
        """The factorised matrix ``A``."""
        return self._A


class DenseGram:
    """A dense ``X'WX`` (+ penalty) as the solver sees it.

    Parameters
    ----------
    A : ndarray, shape (p, p)

    Examples
    --------
    >>> X = np.array([[1., 1, 2], [1, 2, 3], [1, 3, 5]])
    >>> g = DenseGram(X.T @ X)
    >>> g.detect_aliased().tolist()
    [False, False, False]
    """

    def __init__(self, A: np.ndarray) -> None:
        self.A = np.asarray(A, dtype=np.float64)
        self.shape = self.A.shape

    def detect_aliased(self, tol: float = 1e-13) -> np.ndarray:
        return detect_aliased(self.A, tol)

    def take(self, columns: np.ndarray) -> "DenseGram":
        """The gram of a subset of the columns, in their order."""
        return DenseGram(self.A[np.ix_(columns, columns)])

    def add(self, penalty: np.ndarray) -> "DenseGram":
        return DenseGram(self.A + penalty)

    def factorize(self) -> CholeskyFactor:
        return CholeskyFactor(self.A)

    def to_dense(self) -> np.ndarray:
        return self.A


@dataclass(frozen=True)
class ArrowGram:
    """``X'WX`` with one diagonal block: ``[[D, B], [B', C]]`` up to a column permutation.

    Attributes
    ----------
    p : int
        Number of columns.
    diag_cols : ndarray of int, shape (L,)
        Columns of the diagonal block, increasing.
    d : ndarray, shape (L,)
        Its diagonal.
    dense_cols : ndarray of int, shape (q,)
        The other columns, increasing.
    B : ndarray, shape (L, q)
    C : ndarray, shape (q, q)
    """

    p: int
    diag_cols: np.ndarray
    d: np.ndarray
    dense_cols: np.ndarray
    B: np.ndarray
    C: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.p, self.p)

    def to_dense(self) -> np.ndarray:
        A = np.zeros((self.p, self.p))
        A[self.diag_cols, self.diag_cols] = self.d
        A[np.ix_(self.dense_cols, self.dense_cols)] = self.C
        A[np.ix_(self.diag_cols, self.dense_cols)] = self.B
        A[np.ix_(self.dense_cols, self.diag_cols)] = self.B.T
        return A

    def add(self, penalty: np.ndarray) -> DenseGram:
        return DenseGram(self.to_dense() + penalty)

    def take(self, columns: np.ndarray) -> "ArrowGram":
        """The gram of a subset of the columns (increasing), renumbered in their order."""
        new = np.full(self.p, -1, dtype=np.intp)
        new[columns] = np.arange(len(columns))
        kd = new[self.diag_cols] >= 0
        kq = new[self.dense_cols] >= 0
        return ArrowGram(len(columns), new[self.diag_cols][kd], self.d[kd],
                         new[self.dense_cols][kq], self.B[np.ix_(kd, kq)],
                         self.C[np.ix_(kq, kq)])

    def factorize(self) -> "ArrowFactor":
        return ArrowFactor(self)

    def detect_aliased(self, tol: float = 1e-13) -> np.ndarray:
        """Aliased columns in column order, as :func:`~aurora.engine.linalg.skip_cholesky`
        decides on the dense matrix, with one pass over the columns in ``O(L q^2 + q^3)``.

        The columns are taken in three runs: dense-part columns before the block, the
        block, the dense-part columns after it. A column's pivot is its squared residual
        after projecting on the kept columns to its left, whatever order those were
        eliminated in, so each run is handled through a Schur complement on the kept
        columns before it: the dense run before by :func:`skip_cholesky`, the block by
        :func:`_block_pivots` (block columns are orthogonal to each other), the dense run
        after on ``C - B_K' D_K^{-1} B_K`` reduced by the earlier dense columns. Falls
        back to the dense matrix when dense columns sit inside the block's range.

        Examples
        --------
        >>> A = np.array([[4., 1, 3], [1, 1, 0], [3, 0, 3]])  # column 0 = column 1 + 2
        >>> g = ArrowGram(3, np.array([1, 2]), np.array([1., 3]), np.array([0]),
        ...               np.array([[1.], [3.]]), np.array([[4.]]))
        >>> bool(np.allclose(g.to_dense(), A)), g.detect_aliased().tolist()
        (True, [False, False, True])
        """
        if self.diag_cols.size == 0 or np.any(np.diff(self.diag_cols) <= 0):
            return skip_cholesky(self.to_dense(), tol)[0]
        before = self.dense_cols < self.diag_cols[0]
        after = self.dense_cols > self.diag_cols[-1]
        if not np.all(before | after):  # dense columns inside the block's range
            return skip_cholesky(self.to_dense(), tol)[0]
        try:
            return self._detect(tol, np.flatnonzero(before), np.flatnonzero(after))
        except LinAlgError:  # a near-singular Schur complement: decide on the dense matrix
            return skip_cholesky(self.to_dense(), tol)[0]

    def _detect(self, tol: float, ib: np.ndarray, ia: np.ndarray) -> np.ndarray:
        aliased = np.zeros(self.p, dtype=bool)
        al_b, Lb = skip_cholesky(self.C[np.ix_(ib, ib)], tol)
        aliased[self.dense_cols[ib[al_b]]] = True
        k1 = ib[~al_b]
        # the block; U = B_k1 Lb^{-T}: the earlier kept columns made orthonormal
        U = (solve_triangular(Lb, self.B[:, k1].T, lower=True, check_finite=False).T
             if k1.size else np.zeros((self.d.size, 0)))
        al_d = _block_pivots(U, self.d, tol)
        aliased[self.diag_cols[al_d]] = True
        if ia.size:
            kd = ~al_d
            V = self.B[kd] / self.d[kd, None]
            Chat = self.C - matmul(self.B[kd].T, V)  # Schur complement after the block
            Saa = Chat[np.ix_(ia, ia)]
            if k1.size:
                Lk = cho_factor(Chat[np.ix_(k1, k1)], lower=True, check_finite=False)[0]
                W = solve_triangular(Lk, Chat[np.ix_(k1, ia)], lower=True, check_finite=False)
                Saa = Saa - matmul(W.T, W)
            al_a = skip_cholesky(Saa, tol, norms=np.diag(self.C)[ia])[0]
            aliased[self.dense_cols[ia[al_a]]] = True
        return aliased


def _block_pivots(U: np.ndarray, d: np.ndarray, tol: float) -> np.ndarray:
    """Aliased columns of a diagonal block after ``k`` orthonormalised earlier columns.

    Column ``j``'s pivot is ``d_j - u_j' M_j^{-1} u_j`` with ``M_j = I - sum u_i u_i' / d_i``
    over the kept block columns ``i < j`` (the Schur complement of the earlier columns
    once those block columns are eliminated; block columns are mutually orthogonal).
    The prefix sums and the ``k x k`` solves are vectorised over chunks of columns; an
    aliased column restarts the chunk after it, so the cost stays ``O(L k^3)`` plus
    ``O(chunk k^3)`` per aliased column.
    """
    L, k = U.shape
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(d) & (d > 0)
    aliased = np.zeros(L, dtype=bool)
    if k == 0:
        return ~usable
    safe_d = np.where(usable, d, 1.0)
    chunk = max(64, _CHUNK_ELEMENTS // (k * k))
    P = np.zeros((k, k))
    eye = np.eye(k)
    j, step = 0, chunk
    while j < L:
        c1 = min(L, j + step)
        Uc = U[j:c1]
        terms = Uc[:, :, None] * (Uc / safe_d[j:c1, None])[:, None, :]
        prefix = np.cumsum(terms, axis=0)
        prefix -= terms
        prefix += P
        try:
            sol = np.linalg.solve(eye - prefix, Uc[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            if step == 1:  # singular with kept columns only: let the caller go dense
                raise
            # a column aliased in this chunk made a later M singular: shorter chunks
            step = max(1, step // 8)
            continue
        piv = d[j:c1] - np.einsum("ij,ij->i", Uc, sol)
        with np.errstate(invalid="ignore"):
            bad = ~(piv > tol * d[j:c1]) | ~usable[j:c1]
        if not bad.any():
            P = P + terms.sum(axis=0)
            j = c1
            continue
        j0 = int(np.argmax(bad))
        aliased[j + j0] = True
        P = P + terms[:j0].sum(axis=0)
        j += j0 + 1
        step = chunk
    return aliased


class ArrowFactor:
    """Factorisation of a positive definite :class:`ArrowGram` through its Schur complement.

    With ``V = D^{-1} B`` and ``S = C - B' V`` (Cholesky-factorised),
    ``A^{-1} = [[D^{-1} + V S^{-1} V', -V S^{-1}], [-S^{-1} V', S^{-1}]]``.
    """

    def __init__(self, gram: ArrowGram) -> None:
        self.gram = gram
        self.dinv = 1.0 / gram.d
        self.V = gram.B * self.dinv[:, None]
        S = gram.C - matmul(gram.B.T, self.V)
        self.S = CholeskyFactor((S + S.T) / 2)

    def solve(self, b: np.ndarray) -> np.ndarray:
        g = self.gram
        bd, bq = b[g.diag_cols], b[g.dense_cols]
        xq = self.S.solve(bq - gemv_t(self.V, bd))
        x = np.empty(g.p)
        x[g.dense_cols] = xq
        x[g.diag_cols] = self.dinv * bd - gemv(self.V, xq)
        return x

    def inverse(self) -> np.ndarray:
        g = self.gram
        Sinv = self.S.inverse()
        VS = matmul(self.V, Sinv)
        out = np.empty((g.p, g.p))
        out[np.ix_(g.dense_cols, g.dense_cols)] = Sinv
        out[np.ix_(g.diag_cols, g.dense_cols)] = -VS
        out[np.ix_(g.dense_cols, g.diag_cols)] = -VS.T
        block = matmul(VS, self.V.T)
        block[np.diag_indices_from(block)] += self.dinv
        out[np.ix_(g.diag_cols, g.diag_cols)] = block
        return out

    def inverse_diag(self) -> np.ndarray:
        g = self.gram
        out = np.empty(g.p)
        out[g.dense_cols] = self.S.inverse_diag()
        VS = matmul(self.V, self.S.inverse())
        out[g.diag_cols] = self.dinv + np.einsum("ij,ij->i", VS, self.V)
        return out

    def matrix(self) -> np.ndarray:
        return self.gram.to_dense()
