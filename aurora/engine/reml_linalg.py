"""Linear algebra of the smoothing criterion: the design seen in the transformed coordinates
of the stable reparametrisation (:class:`_Coords`), weighted cross products of either sign,
``diag(X A X')`` without an n x n matrix, and Jacobi-scaled Cholesky factors of the
penalised Hessian.

Every data-sized operation goes through the design protocol (``matvec``, ``rmatvec``,
``sandwich``, ``row_quadratic``); the rest is p x p work in NumPy/SciPy.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from aurora.engine.reparam import mm

__all__ = ["row_quadratic", "signed_sandwich"]


def signed_sandwich(design: Any, v: np.ndarray) -> np.ndarray:
    """``X' diag(v) X`` for weights of either sign (the protocol's ``sandwich`` wants
    ``v >= 0``: the positive and negative parts go separately)."""
    pos = np.maximum(v, 0.0)
    neg = np.maximum(-v, 0.0)
    out = design.sandwich(pos) if pos.any() else np.zeros((design.shape[1],) * 2)
    if neg.any():
        out = out - design.sandwich(neg)
    return out


def row_quadratic(design: Any, A: np.ndarray) -> np.ndarray:
    """``diag(X A X')`` (n,) for a symmetric p x p ``A``.

    Uses the design's own ``row_quadratic`` when it has one; dense designs are read in
    blocks of rows (on their backend); any other design is served by ``2p`` matrix-vector
    products.
    """
    own = getattr(design, "row_quadratic", None)
    if own is not None:
        return np.asarray(own(A))
    X = getattr(design, "array", None)
    if isinstance(X, np.ndarray):
        n, p = X.shape
        out = np.empty(n)
        step = max(256, (1 << 18) // max(p, 1))
        for r0 in range(0, n, step):
            Xb = X[r0:r0 + step]
            out[r0:r0 + step] = np.einsum("ij,ij->i", mm(Xb, A), Xb)
        return out
    be = design.backend
    if X is not None:
        return np.asarray(be.to_numpy(((X @ be.asarray(A)) * X).sum(axis=1)), dtype=float)
    p = design.shape[1]
    out = np.zeros(design.shape[0])
    for j in range(p):
        e = np.zeros(p)
        e[j] = 1.0
        out += be.to_numpy(design.matvec(A[:, j])) * be.to_numpy(design.matvec(e))
    return out


class _Coords:
    """Transformed coordinates ``beta = T[:, keep] beta_t`` seen through the design."""

    def __init__(self, design: Any, T: np.ndarray, keep: np.ndarray) -> None:
        self.design = design
        self.Tk = T[:, keep]
        self._np = design.backend.to_numpy

    def matvec(self, b_t: np.ndarray) -> np.ndarray:
        return np.asarray(self._np(self.design.matvec(mm(self.Tk, b_t))), dtype=float)

    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        return mm(self.Tk.T, np.asarray(self.design.rmatvec(v), dtype=float))

    def rotate(self, A: np.ndarray) -> np.ndarray:
        return mm(self.Tk.T, A, self.Tk)

    def sandwich(self, v: np.ndarray) -> np.ndarray:
        return self.rotate(signed_sandwich(self.design, v))

    def row_quadratic(self, A: np.ndarray) -> np.ndarray:
        return row_quadratic(self.design, mm(self.Tk, A, self.Tk.T))


def _chol(H: np.ndarray):
    """Jacobi-scaled Cholesky of a symmetric matrix; None when not positive definite."""
    d = np.sqrt(np.abs(np.diag(H)))
    d[d == 0] = 1.0
    try:
        c = cho_factor(H / d[:, None] / d[None, :], lower=False, check_finite=False)
    except LinAlgError:
        return None
    if not np.all(np.isfinite(c[0])):
        return None
    return c, d


def _chol_solve(fac, b: np.ndarray) -> np.ndarray:
    c, d = fac
    b = np.asarray(b)
    scale = d if b.ndim == 1 else d[:, None]
    return cho_solve(c, b / scale, check_finite=False) / scale


def _chol_inverse(fac) -> np.ndarray:
    c, d = fac
    return cho_solve(c, np.eye(d.size), check_finite=False) / d[:, None] / d[None, :]


def _chol_logdet(fac) -> float:
    c, d = fac
    return 2.0 * float(np.sum(np.log(np.abs(np.diag(c[0]))))) + 2.0 * float(np.sum(np.log(d)))


def _range_index(prob: Any, fit: Any) -> np.ndarray:
    """Positions (within ``keep``) of the penalty range-space coordinates (ML)."""
    q = prob.pen.p - prob.pen.n_null
    return np.flatnonzero(fit.keep < q)
