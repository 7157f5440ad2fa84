"""The design protocol: how the engine reads a model matrix.

The solver never indexes X directly. It asks for ``matvec`` (X b), ``rmatvec`` (X' v) and
``sandwich(w)`` (X' diag(w) X), so that dense, sparse, factor-coded and discretised
designs (and designs living on a GPU) can all serve the same algorithm.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from aurora.backends import Backend, get_backend

__all__ = ["Design", "DenseDesign", "DenseLeverage"]


@runtime_checkable
class Design(Protocol):
    """What the engine needs from a model matrix."""

    backend: Backend
    shape: tuple[int, int]

    def matvec(self, beta: np.ndarray) -> Any: ...

    def rmatvec(self, v: Any) -> np.ndarray: ...

    def sandwich(self, w: Any) -> np.ndarray: ...

    def weighted_normal_equations(self, w: Any, z: Any) -> tuple[np.ndarray, np.ndarray]: ...

    def gram(self, w: Any, z: Any = None) -> tuple[Any, np.ndarray | None]:
        """X'WX as a gram (``detect_aliased``, ``take``, ``add``, ``factorize``,
        ``to_dense``; see :mod:`aurora.engine.linalg`) and X'Wz. The solver uses this when
        a design has it, so structured designs never form a dense p x p matrix."""
        ...

    def leverage(self, w: Any) -> Any:
        """Leverages (``hat``), ``cov_diag`` and ``rows(out, rows, row_scale, col_scale)``
        writing scaled rows of ``W^{1/2} X (X'WX)^{-1}`` (see :class:`DenseLeverage`)."""
        ...

    def subset(self, columns: np.ndarray) -> "Design": ...


class DenseDesign:
    """A dense model matrix held by a backend.

    Parameters
    ----------
    X : array-like, shape (n, p)
    backend : Backend or str, optional

    Examples
    --------
    >>> import numpy as np
    >>> d = DenseDesign(np.array([[1.0, 2.0], [1.0, 3.0]]))
    >>> d.sandwich(np.ones(2)).tolist()
    [[2.0, 5.0], [5.0, 13.0]]
    """

    def __init__(self, X: Any, backend: Backend | str | None = None) -> None:
        self.backend = get_backend(backend)
        if self.backend.name == "numpy":
            self._X = as_contiguous(X)
        else:
            self._X = self.backend.asarray(X)
        self.shape = (int(self._X.shape[0]), int(self._X.shape[1]))

    @property
    def array(self) -> Any:
        """The matrix on its backend."""
        return self._X

    def matvec(self, beta: np.ndarray) -> Any:
        """``X @ beta`` as a backend array."""
        if self.backend.name == "numpy":
            return gemv(self._X, np.asarray(beta, dtype=np.float64))
        return self._X @ self.backend.asarray(beta)

    def rmatvec(self, v: Any) -> np.ndarray:
        """``X.T @ v`` as a NumPy vector."""
        if self.backend.name == "numpy":
            return gemv_t(self._X, np.asarray(v, dtype=np.float64))
        return self.backend.to_numpy(self._X.T @ self.backend.asarray(v))

    def sandwich(self, w: Any) -> np.ndarray:
        """``X.T @ diag(w) @ X`` as a NumPy ``(p, p)`` array (w >= 0)."""
        xtwx, _ = self.weighted_normal_equations(w, None)
        return xtwx

    def weighted_normal_equations(self, w: Any, z: Any) -> tuple[np.ndarray, np.ndarray]:
        """``X'WX`` and ``X'Wz`` in one pass over X (``z`` may be None)."""
        if self.backend.name == "numpy":
            return _numpy_normal_equations(self._X, np.asarray(w), None if z is None else np.asarray(z))
        be = self.backend
        Xw = self._X * be.asarray(w)[:, None]  # NumPy weights from the engine: convert first
        xtwx = be.to_numpy(Xw.T @ self._X)
        xtwz = None if z is None else be.to_numpy(Xw.T @ be.asarray(z))
        return xtwx, xtwz

    def gram(self, w: Any, z: Any = None):
        """``X'WX`` as a :class:`~aurora.engine.linalg.DenseGram` and ``X'Wz`` (or None)."""
        from aurora.engine.linalg import DenseGram

        xtwx, xtwz = self.weighted_normal_equations(w, z)
        return DenseGram(xtwx), xtwz

    def leverage(self, w: Any) -> "DenseLeverage":
        """Leverages and the rows of ``W^{1/2} X (X'WX)^{-1}`` (see :class:`DenseLeverage`)."""
        X = self._X if self.backend.name == "numpy" else self.backend.to_numpy(self._X)
        w = np.asarray(w if self.backend.name == "numpy" else self.backend.to_numpy(w),
                       dtype=np.float64)
        return DenseLeverage(X, w)

    def subset(self, columns: np.ndarray) -> "DenseDesign":
        """The design restricted to some columns (same backend)."""
        cols = np.asarray(columns)
        if self.backend.name == "numpy":
            return DenseDesign(self._X[:, cols], self.backend)
        return DenseDesign(self.backend.to_numpy(self._X)[:, cols], self.backend)


class DenseLeverage:
    """Leverages of a weighted least-squares fit, from the QR decomposition of ``W^{1/2} X``.

    As R's ``lm.influence``: ``h_i`` is the squared norm of row ``i`` of Q, so a leverage
    of 1 comes out as 1 to rounding. The columns must be linearly independent.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    w : ndarray, shape (n,)
        Working weights (>= 0).

    Attributes
    ----------
    hat : ndarray, shape (n,)
    cov_diag : ndarray, shape (p,)
        The diagonal of ``(X'WX)^{-1}``.

    Examples
    --------
    >>> lev = DenseDesign(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])).leverage(np.ones(3))
    >>> lev.hat.round(4).tolist()
    [0.8333, 0.3333, 0.8333]
    """

    def __init__(self, X: np.ndarray, w: np.ndarray) -> None:
        from scipy.linalg import qr, solve_triangular

        self._Q, R = qr(X * np.sqrt(w)[:, None], mode="economic", check_finite=False)
        self._Rinv = solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
        self.hat = np.einsum("ij,ij->i", self._Q, self._Q)
        self.cov_diag = np.einsum("ij,ij->i", self._Rinv, self._Rinv)

    def rows(self, out: np.ndarray, rows: np.ndarray, row_scale: np.ndarray,
             col_scale: np.ndarray) -> None:
        """Write ``row_scale_i * (W^{1/2} X (X'WX)^{-1})_{ij} * col_scale_j`` for the given
        rows into ``out`` (len(rows), p), a block of rows at a time."""
        RinvT = self._Rinv.T * col_scale[None, :]
        step = _row_block(out.shape[1])
        for r0 in range(0, rows.size, step):
            r1 = min(rows.size, r0 + step)
            out[r0:r1] = matmul(self._Q[rows[r0:r1]], RinvT) * row_scale[r0:r1, None]


def _row_block(p: int) -> int:
    """Rows per block when writing an (n, p) result: about 2 MB at a time."""
    return max(16, (1 << 18) // max(p, 1))


# NumPy and SciPy each bundle an OpenBLAS with its own thread pool; alternating between them
# in the IRLS loop leaves one pool spinning while the other works (seen here: a 210 x 210
# Cholesky taking 0.25 s instead of 0.2 ms). The data-sized products therefore all go
# through SciPy's BLAS, the same library as the p x p factorisations.


def gemv(X: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``X @ b`` (X C- or Fortran-ordered) with SciPy's BLAS."""
    from scipy.linalg.blas import dgemv

    if X.shape[1] == 0:
        return np.zeros(X.shape[0])
    if X.flags.f_contiguous:
        return dgemv(1.0, X, b)
    return dgemv(1.0, X.T, b, trans=1)


def gemv_t(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``X.T @ v`` (X C- or Fortran-ordered) with SciPy's BLAS."""
    from scipy.linalg.blas import dgemv

    if X.shape[1] == 0:
        return np.zeros(0)
    if X.flags.f_contiguous:
        return dgemv(1.0, X, v, trans=1)
    return dgemv(1.0, X.T, v, trans=0)


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` with SciPy's BLAS (``dgemm``)."""
    from scipy.linalg.blas import dgemm

    if A.shape[0] == 0 or B.shape[1] == 0 or A.shape[1] == 0:
        return np.zeros((A.shape[0], B.shape[1]))
    return dgemm(1.0, A, B)


def as_contiguous(X: np.ndarray) -> np.ndarray:
    """float64 and C- or Fortran-contiguous (either order serves the kernels)."""
    X = np.asarray(X, dtype=np.float64)
    if X.flags.c_contiguous or X.flags.f_contiguous:
        return X
    return np.ascontiguousarray(X)


_CHUNK_BYTES = 3 * 2**19  # ~1.5 MB of weighted rows: stays in cache between scale and update


def _numpy_normal_equations(X: np.ndarray, w: np.ndarray, z: np.ndarray | None):
    """X'WX (symmetric rank-k updates) and X'Wz, streaming X once in cache-sized blocks.

    Scaling a block of rows by sqrt(w) and feeding it to BLAS ``dsyrk`` while it is still
    in cache is 2-3x faster than forming the whole n x p scaled copy, and half the flops
    of a general ``X' (w X)`` product.
    """
    from scipy.linalg.blas import dsyrk

    n, p = X.shape
    sw = np.sqrt(w)
    swz = None if z is None else sw * z
    rows = max(256, _CHUNK_BYTES // (8 * max(p, 1)))
    upper = np.zeros((p, p), order="F")
    xtwz = None if z is None else np.zeros(p)
    fortran = X.flags.f_contiguous and not X.flags.c_contiguous
    # the scaled block keeps X's memory order, so scaling streams through memory and BLAS
    # reads the block in place: Fortran blocks as A'A (trans=1), C blocks as (A')(A')'
    buf = np.empty((min(rows, n), p), order="F" if fortran else "C")
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        Xb = np.multiply(X[start:stop], sw[start:stop, None], out=buf[: stop - start])
        if fortran:
            upper = dsyrk(1.0, Xb, beta=1.0, c=upper, trans=1, overwrite_c=1)
        else:
            upper = dsyrk(1.0, Xb.T, beta=1.0, c=upper, trans=0, overwrite_c=1)
        if xtwz is not None:
            xtwz += gemv_t(Xb, swz[start:stop])
    xtwx = np.triu(upper) + np.triu(upper, 1).T
    return xtwx, xtwz
