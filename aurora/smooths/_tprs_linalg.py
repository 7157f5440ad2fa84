"""mgcv's linear algebra for thin plate splines, step for step: the Lanczos eigenvectors
of ``Rlanczos`` and the Householder QT factorisation of ``QT``/``HQmult``.

Replicating them (the same start vector, re-orthogonalisation and convergence tests;
LAPACK ``dstevd`` for the tridiagonal problem) gives mgcv's eigenvector signs and order,
so the basis matches mgcv's columns to rounding.

References: mgcv 1.8-41 ``src/mat.c`` (``Rlanczos``, ``QT``, ``HQmult``).
"""
from __future__ import annotations

import math

import numpy as np


def _lanczos(A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k eigenvalues of symmetric A largest in magnitude and their vectors, exactly as
    mgcv's ``Rlanczos`` (with ``lm < 0``) computes them: the same start vector, the same
    convergence test (including its use of ``err[ni]`` for the negative end) at the same
    iterations, eigenvalues in decreasing order. Returns (D (k,), U (n, k))."""
    from scipy.linalg.lapack import dstevd

    n = A.shape[0]
    tol = np.finfo(float).eps ** 0.7
    f_check = min(max(k // 2, 10), max(n // 10, 1))
    jran, b0 = 1, np.empty(n)
    for i in range(n):  # mgcv's "quick and dirty" start vector
        jran = (jran * 106 + 1283) % 6075
        b0[i] = jran / 6075 - 0.5
    q = np.zeros((n + 1, n))
    q[0] = b0 / math.sqrt(float(b0 @ b0))
    a, b = np.zeros(n), np.zeros(n)
    err = np.full(n, 1e300)
    m_pos, m_neg, d, v = k, 0, None, None
    j = 0
    while j < n:
        z = A @ q[j]
        a[j] = q[j] @ z
        if j == 0:
            z -= a[j] * q[j]
        else:
            z -= a[j] * q[j] + b[j - 1] * q[j - 1]
            for _ in range(2):  # full re-orthogonalisation, twice
                z -= q[: j + 1].T @ (q[: j + 1] @ z)
        b[j] = math.sqrt(float(z @ z))
        if j < n - 1:
            q[j + 1] = z / b[j]
        if (j >= k and j % f_check == 0) or j == n - 1:
            w, vec, info = dstevd(a[: j + 1].copy(), b[:j].copy() if j else np.zeros(1))
            if info != 0:
                raise np.linalg.LinAlgError("LAPACK dstevd failed in the tprs Lanczos step")
            d, v = w[::-1], vec[:, ::-1]
            norm_t = max(abs(d[0]), abs(d[j]))
            err[: j + 1] = np.abs(b[j] * v[j, :])
            if j >= k:
                max_err = norm_t * tol
                pi = ni = 0
                converged = True
                while pi + ni < k:
                    if abs(d[pi]) >= abs(d[j - ni]):
                        if err[pi] > max_err:
                            converged = False
                            break
                        pi += 1
                    else:
                        if err[ni] > max_err:  # sic: mgcv tests err[ni], not err[j - ni]
                            converged = False
                            break
                        ni += 1
                if converged:
                    m_pos, m_neg = pi, ni
                    j += 1
                    break
        j += 1
    cols = list(range(m_pos)) + [j - (m_neg + m_pos - c) for c in range(m_pos, m_pos + m_neg)]
    assert d is not None and v is not None
    return d[cols], q[:j].T @ v[:j, cols]


def _householder_qt(A: np.ndarray) -> np.ndarray:
    """mgcv's ``QT``: Householder vectors u_i (rows, (r, c)) with A Q = [0, B], Q = H_0 H_1
    ..., H_i = I - u_i u_i'; row i of A is rotated into its element c - i - 1."""
    A = np.array(A, dtype=float)
    r, c = A.shape
    Z = np.zeros((r, c))
    for i in range(r):
        p = A[i, : c - i]
        scale = np.max(np.abs(p))
        if scale:
            p /= scale
        lsq = math.sqrt(float(p @ p))
        if p[-1] < 0:
            lsq = -lsq
        p[-1] += lsq
        g = 1.0 / (lsq * p[-1]) if lsq else 0.0
        for jr in range(i + 1, r):
            A[jr, : c - i] -= g * (p @ A[jr, : c - i]) * p
        Z[i, : c - i] = p * math.sqrt(g)
        A[i, : c - i] = 0.0
        A[i, c - i - 1] = -lsq * scale
    return Z


def _times_q(C: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """C Q for Q = H_0 H_1 ... stored as Householder rows Z (mgcv's HQmult(C, Z, 0, 0))."""
    C = np.array(C, dtype=float)
    for u in Z:
        C -= np.outer(C @ u, u)
    return C


def _full_q(Z: np.ndarray) -> np.ndarray:
    return _times_q(np.eye(Z.shape[1]), Z)
