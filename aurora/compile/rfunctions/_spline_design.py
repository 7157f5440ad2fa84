"""Ports of R's C and Fortran numerics behind ``splines::ns`` and ``splines::bs``.

``splineDesign`` (C ``spline_basis``: ``set_cursor``, ``basis_funcs``, ``evaluate``) for
B-spline values and derivatives, and LINPACK ``dqrdc2``/``dqrsl`` (R's ``qr`` and
``qr.qty``), with sums in reference BLAS order so the bases match R's to rounding.

References: R 4.2 ``splines::splineDesign`` and ``src/library/splines/src/splines.c``;
LINPACK ``dqrdc2.f``, ``dqrsl.f``; reference BLAS ``dnrm2``, ``ddot``.
"""
from __future__ import annotations

import math

import numpy as np


# --------------------------------------------------------------------------------------------
# B-splines: a port of splines::splineDesign and its C code spline_basis
# --------------------------------------------------------------------------------------------
def _cursor(knots: np.ndarray, x: np.ndarray, ord: int) -> tuple[np.ndarray, np.ndarray]:
    """C ``set_cursor``: the first knot > x, with the right boundary folded back."""
    nk = len(knots)
    r = np.searchsorted(knots, x, side="right")
    curs = np.where(r < nk, r, np.where(x == knots[-1], nk - 1, -1))
    last = nk - ord
    boundary = (curs > last) & (x == knots[last])
    return np.where(boundary, last, curs), boundary


def _basis_values(knots: np.ndarray, x: np.ndarray, curs: np.ndarray, ord: int) -> np.ndarray:
    """C ``basis_funcs`` for every x at once: the ``ord`` non-zero B-splines, shape (ord, n)."""
    n = len(x)
    rdel = [knots[curs + i] - x for i in range(ord - 1)]
    ldel = [x - knots[curs - (i + 1)] for i in range(ord - 1)]
    b = np.zeros((ord, n))
    b[0] = 1.0
    for j in range(1, ord):
        saved = np.zeros(n)
        for r in range(j):
            den = rdel[r] + ldel[j - 1 - r]
            nz = den != 0
            term = b[r] / np.where(nz, den, 1.0)
            keep = ~nz & (r == 0) & (rdel[r] == 0)  # C leaves b[0] alone there
            b[r] = np.where(nz, saved + rdel[r] * term, np.where(keep, b[r], saved))
            saved = np.where(nz, ldel[j - 1 - r] * term, 0.0)
        b[j] = saved
    return b


def _derivative(knots: np.ndarray, curs: int, boundary: bool, x: float, nder: int, ord: int,
                which: int) -> float:
    """C ``evaluate``: derivative ``nder`` at x of the ``which``-th non-zero B-spline."""
    if boundary and nder == ord - 1:
        return 0.0
    a = np.zeros(ord)
    a[which] = 1.0
    outer = ord - 1
    with np.errstate(all="ignore"):  # coincident knots divide by zero in R too
        for _ in range(nder):
            for k in range(outer):
                a[k] = outer * (a[k + 1] - a[k]) / (knots[curs + k] - knots[curs + k - outer])
            outer -= 1
        rdel = [knots[curs + i] - x for i in range(outer)]
        ldel = [x - knots[curs - (i + 1)] for i in range(outer)]
        while outer > 0:
            outer -= 1
            for k in range(outer + 1):
                a[k] = (a[k + 1] * ldel[outer - k] + a[k] * rdel[k]) / (rdel[k] + ldel[outer - k])
    return float(a[0])


def _design(knots: np.ndarray, x: np.ndarray, ord: int) -> np.ndarray:
    """``splineDesign(knots, x, ord)`` for x within the boundary knots, shape (n, nk - ord)."""
    n = len(x)
    out = np.zeros((n, len(knots) - ord))
    if n:
        curs, _ = _cursor(knots, x, ord)
        cols = (curs - ord)[:, None] + np.arange(ord)
        out[np.arange(n)[:, None], cols] = _basis_values(knots, x, curs, ord).T
    return out


def _design_row(knots: np.ndarray, x: float, ord: int, nder: int) -> np.ndarray:
    """``splineDesign(knots, x, ord, derivs = nder)`` for one point: a row of nk - ord."""
    xa = np.array([float(x)])
    curs_a, bnd_a = _cursor(knots, xa, ord)
    curs = int(curs_a[0])
    if nder == 0:
        vals = _basis_values(knots, xa, curs_a, ord)[:, 0]
    else:
        vals = [_derivative(knots, curs, bool(bnd_a[0]), float(x), nder, ord, i)
                for i in range(ord)]
    row = np.zeros(len(knots) - ord)
    row[curs - ord:curs] = vals
    return row


# LINPACK dqrdc2 / dqrsl, as R's qr() and qr.qty() use them. Sums run in BLAS ddot's order.
def _dnrm2(v: np.ndarray) -> float:
    scale, ssq = 0.0, 1.0
    for xi in v:
        if xi != 0:
            a = abs(float(xi))
            if scale < a:
                ssq = 1.0 + ssq * (scale / a) ** 2
                scale = a
            else:
                ssq += (a / scale) ** 2
    return scale * math.sqrt(ssq)


def _seq_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """sum_i a[..., i] * b[i], added left to right as reference BLAS ``ddot`` does."""
    s = np.zeros(a.shape[:-1]) if a.ndim > 1 else 0.0
    for i in range(a.shape[-1]):
        s = s + a[..., i] * b[i]
    return s


def _householder(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``qr(a)`` (LINPACK ``dqrdc2``) of a full-rank (m, p) matrix: compact form and qraux."""
    a = np.array(a, dtype=float)
    m, p = a.shape
    qraux = np.zeros(p)
    for l in range(min(m - 1, p)):
        nrmxl = _dnrm2(a[l:, l])
        if nrmxl == 0:
            continue
        if a[l, l] != 0:
            nrmxl = math.copysign(nrmxl, a[l, l])
        a[l:, l] *= 1.0 / nrmxl
        a[l, l] = 1.0 + a[l, l]
        for j in range(l + 1, p):
            t = -_seq_dot(a[l:, l], a[l:, j]) / a[l, l]
            a[l:, j] += t * a[l:, l]
        qraux[l] = a[l, l]
        a[l, l] = -nrmxl
    return a, qraux


def _qty(qr: np.ndarray, qraux: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``t(qr.qty(qr, t(y)))``: Q'y for every row of y (LINPACK ``dqrsl``)."""
    y = np.array(y, dtype=float)
    m, p = qr.shape
    for j in range(min(p, m - 1)):
        if qraux[j] == 0:
            continue
        v = qr[j:, j].copy()
        v[0] = qraux[j]
        t = -_seq_dot(y[:, j:], v) / v[0]
        y[:, j:] += t[:, None] * v
    return y
