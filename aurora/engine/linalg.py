"""Small dense linear algebra for the model-sized (p x p) work, always NumPy float64."""
from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular

__all__ = ["detect_aliased", "spd_solve", "spd_inverse"]


def detect_aliased(A: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Columns that are linear combinations of earlier ones, in column order.

    Mirrors the outcome of R's ``dqrdc2`` (limited pivoting: a column whose residual,
    after projecting on the kept columns to its left, is negligible is moved out), but
    works on the cross-product ``A = X'WX``: column ``j`` is aliased when its squared
    residual norm is below ``tol`` times its squared norm.

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
    p = A.shape[0]
    aliased = np.zeros(p, dtype=bool)
    kept: list[int] = []
    L = np.zeros((0, 0))
    for j in range(p):
        ajj = A[j, j]
        if not np.isfinite(ajj) or ajj <= 0:
            aliased[j] = True
            continue
        if kept:
            v = solve_triangular(L, A[kept, j], lower=True)
            d = ajj - v @ v
        else:
            v = np.zeros(0)
            d = ajj
        if d <= tol * ajj:
            aliased[j] = True
            continue
        k = len(kept)
        L_new = np.zeros((k + 1, k + 1))
        L_new[:k, :k] = L
        L_new[k, :k] = v
        L_new[k, k] = np.sqrt(d)
        L = L_new
        kept.append(j)
    return aliased


def _scaled(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.sqrt(np.diag(A))
    d = np.where(d > 0, d, 1.0)
    return A / d[:, None] / d[None, :], d


def spd_solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``A x = b`` for symmetric positive definite ``A`` (Jacobi-scaled Cholesky)."""
    As, d = _scaled(A)
    c = cho_factor(As, lower=False, check_finite=False)
    return cho_solve(c, b / d, check_finite=False) / d


def spd_inverse(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix (Jacobi-scaled Cholesky)."""
    As, d = _scaled(A)
    c = cho_factor(As, lower=False, check_finite=False)
    inv = cho_solve(c, np.eye(A.shape[0]), check_finite=False)
    inv = (inv + inv.T) / 2
    return inv / d[:, None] / d[None, :]
