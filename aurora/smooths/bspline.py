"""B-splines with derivative penalties, mgcv's ``bs = "bs"``; and the B-spline evaluation
shared with the P-spline bases (:mod:`aurora.smooths.ps`).

``s(x, bs = "bs", m = c(3, 2))`` is a cubic B-spline basis (order ``m[1] + 1``) of
dimension ``k`` on ``k - m[1] + 1`` evenly spaced interior knots spanning the data (plus
0.1% each side), penalised by the integrated squared ``m[2]``-th derivative over the
interior knot range (Wood 2017b): on each knot interval the ``m[2]``-th derivative is a
polynomial of degree ``p = m[1] - m[2]``, so evaluating it at ``p + 1`` points per interval
and weighting by the exact Gram matrix of that polynomial basis gives ``S = D' W D``.
Several penalty orders (``m = c(3, 2, 1)``) give one penalty each. Beyond the interior
knots the basis continues linearly (predictions extrapolate as mgcv's do).

:func:`spline_design` evaluates B-splines (or a derivative) as R's
``splines::splineDesign``, including its cursor conventions: the right end of the inner
knot range belongs to the last interval, and with ``outer_ok`` values outside it use knots
padded as R pads them.

References: Wood (2017b) "P-splines with derivative based penalties and tensor product
smoothing of unevenly distributed data", *Statistics and Computing* 27:985-989; de Boor
(1978) *A Practical Guide to Splines*; mgcv's ``smooth.construct.bs.smooth.spec`` and
``Predict.matrix.Bspline.smooth`` (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> x = np.linspace(0, 1, 30)
>>> raw = BSplineBasis("bs").construct(Smooth("s", ("x",), k=6), {"x": x})
>>> raw.X.shape, raw.null_space_dim, raw.rank
((30, 6), 2, (4,))
>>> bool(np.allclose(raw.X.sum(axis=1), 1))
True
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np
from scipy.linalg import cholesky_banded

from aurora.errors import DataError, DataWarning, ModelSpecError
from aurora.smooths.base import (RawBasis, basis_dimension, covariate, one_variable,
                                 penalty_orders, register_basis, smooth_label, term_knots)

__all__ = ["BSplineBasis", "spline_design", "pspline_predict", "r_seq", "bs_penalty",
           "knot_warnings"]


def r_seq(a: float, b: float, n: int) -> np.ndarray:
    """R's ``seq(a, b, length.out = n)``: ``c(a, a + (1:(n-2)) * ((b - a)/(n-1)), b)``."""
    if n <= 0:
        return np.zeros(0)
    if n == 1:
        return np.array([a], dtype=float)
    if n == 2:
        return np.array([a, b], dtype=float)
    if a == b:
        return np.full(n, a, dtype=float)
    step = (b - a) / (n - 1)
    return np.concatenate(([a], a + np.arange(1, n - 1) * step, [b]))


def _cursor(knots: np.ndarray, x: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """R's ``set_cursor``: index of the first knot > x; x at the last legitimate knot uses
    the interval to its left (``boundary``). -1 where x lies beyond every knot."""
    nk = len(knots)
    first_gt = np.searchsorted(knots, x, side="right")
    curs = np.where(first_gt < nk, first_gt, np.where(x <= knots[-1], nk - 1, -1))
    last_legit = nk - order
    boundary = (curs > last_legit) & (x == knots[last_legit])
    curs = np.where(boundary, last_legit, curs)
    return curs, boundary


def _basis_values(knots: np.ndarray, x: np.ndarray, curs: np.ndarray, order: int
                  ) -> np.ndarray:
    """The ``order`` non-zero B-splines at each x (R's ``basis_funcs``, de Boor's
    recursion, no division by zero)."""
    n = len(x)
    ordm1 = order - 1
    rdel = np.stack([knots[curs + i] - x for i in range(ordm1)], axis=1) if ordm1 else None
    ldel = np.stack([x - knots[curs - 1 - i] for i in range(ordm1)], axis=1) if ordm1 else None
    b = np.zeros((n, order))
    b[:, 0] = 1.0
    for j in range(1, order):
        saved = np.zeros(n)
        for r in range(j):
            den = rdel[:, r] + ldel[:, j - 1 - r]
            ok = den != 0
            with np.errstate(divide="ignore", invalid="ignore"):
                term = np.where(ok, b[:, r] / np.where(ok, den, 1.0), 0.0)
            keep = (r != 0) | (rdel[:, r] != 0)
            b[:, r] = np.where(ok, saved + rdel[:, r] * term, np.where(keep, saved, b[:, r]))
            saved = np.where(ok, ldel[:, j - 1 - r] * term, 0.0)
        b[:, j] = saved
    return b


def _basis_derivs(knots: np.ndarray, x: np.ndarray, curs: np.ndarray, boundary: np.ndarray,
                  order: int, nder: int) -> np.ndarray:
    """The ``nder``-th derivative of the ``order`` non-zero B-splines (R's ``evaluate``
    applied to each unit coefficient vector)."""
    n = len(x)
    ordm1 = order - 1
    out = np.zeros((n, order))
    for ii in range(order):
        a = np.zeros((n, order))
        a[:, ii] = 1.0
        outer = ordm1
        with np.errstate(divide="ignore", invalid="ignore"):
            for _ in range(nder):
                for q in range(outer):
                    den = knots[curs + q] - knots[curs - outer + q]
                    a[:, q] = outer * (a[:, q + 1] - a[:, q]) / den
                outer -= 1
            rdel = [knots[curs + i] - x for i in range(outer)]
            ldel = [x - knots[curs - 1 - i] for i in range(outer)]
            while outer > 0:
                outer -= 1
                for q in range(outer + 1):
                    lp = ldel[outer - q]
                    rp = rdel[q]
                    a[:, q] = (a[:, q + 1] * lp + a[:, q] * rp) / (rp + lp)
        out[:, ii] = a[:, 0]
    if nder == ordm1:
        out[boundary] = 0.0  # R: "value is arbitrary" at the boundary
    return out


def spline_design(knots: np.ndarray, x: np.ndarray, order: int, deriv: int = 0,
                  outer_ok: bool = False) -> np.ndarray:
    """B-spline design matrix (or its ``deriv``-th derivative), R's ``splineDesign``.

    Parameters
    ----------
    knots : ndarray, shape (nk,)
        Knot sequence (sorted here as R sorts it).
    x : ndarray, shape (n,)
    order : int
        Spline order (degree + 1).
    deriv : int
    outer_ok : bool
        Allow ``x`` outside ``[knots[order-1], knots[nk-order]]``; rows outside the whole
        knot range are zero.

    Returns
    -------
    ndarray, shape (n, nk - order)
    """
    knots = np.sort(np.asarray(knots, dtype=float))
    x = np.asarray(x, dtype=float).reshape(-1)
    nk = len(knots)
    ncoef = nk - order
    degree = order - 1
    if deriv >= order:
        raise ValueError(f"derivs = {deriv} >= ord = {order}")
    X = np.zeros((len(x), ncoef))
    outside = (x < knots[order - 1]) | (x > knots[nk - order])
    rows = np.arange(len(x))
    shift = 0
    work_knots = knots
    if outside.any():
        if not outer_ok:
            raise ValueError(f"the 'x' data must be in the range {knots[order - 1]:g} to "
                             f"{knots[nk - order]:g} unless you set 'outer.ok = TRUE'")
        inside_all = (x >= knots[0]) & (x <= knots[-1])
        rows = rows[inside_all]
        dkn = np.diff(knots)[::-1]
        first_pos = int(np.argmax(dkn > 0)) + 1 if (dkn > 0).any() else len(dkn) + 1
        right = max(0, order - first_pos)
        work_knots = np.concatenate([np.repeat(knots[0], degree), knots,
                                     np.repeat(knots[-1], right)])
        shift = degree
    xr = x[rows]
    if len(xr) == 0:
        return X
    curs, boundary = _cursor(work_knots, xr, order)
    if deriv == 0:
        vals = _basis_values(work_knots, xr, curs, order)
    else:
        vals = _basis_derivs(work_knots, xr, curs, boundary, order, deriv)
    first = curs - order - shift
    for q in range(order):
        col = first + q
        ok = (col >= 0) & (col < ncoef)
        X[rows[ok], col[ok]] = vals[ok, q]
    return X


def pspline_predict(knots: np.ndarray, x: np.ndarray, degree: int, deriv: int = 0
                    ) -> np.ndarray:
    """mgcv's ``Predict.matrix.pspline.smooth`` (``degree`` is ``object$m[1] + 1`` there):
    the B-spline basis inside ``[knots[degree], knots[-degree - 1]]``, continued linearly
    outside (for ``deriv`` 0 and 1; higher derivatives are zero outside)."""
    knots = np.asarray(knots, dtype=float)
    x = np.asarray(x, dtype=float).reshape(-1)
    order = degree + 1
    ll = knots[degree]
    ul = knots[len(knots) - degree - 1]
    nan = np.isnan(x)
    ind = (x <= ul) & (x >= ll)
    if ind.all():
        return spline_design(knots, x, order, deriv)
    D = np.vstack([spline_design(knots, [ll], order, 0), spline_design(knots, [ll], order, 1),
                   spline_design(knots, [ul], order, 0), spline_design(knots, [ul], order, 1)])
    X = np.zeros((len(x), D.shape[1]))
    if ind.any():
        X[ind] = spline_design(knots, x[ind], order, deriv)
    if deriv < 2:
        below = x < ll
        above = x > ul
        if deriv == 0:
            X[below] = D[0] + (x[below] - ll)[:, None] * D[1]
            X[above] = D[2] + (x[above] - ul)[:, None] * D[3]
        else:
            X[below] = D[1]
            X[above] = D[3]
    X[nan] = np.nan
    return X


def knot_warnings(term: Any, X: np.ndarray, x: np.ndarray, bs_dim: int | None,
                  bs: str) -> None:
    """mgcv's warnings for B-spline bases: basis functions with no data under them, and a
    basis larger than the number of unique covariate values."""
    if (X.sum(axis=0) == 0).any():
        warnings.warn(f"{smooth_label(term)}: there is *no* information about some basis "
                      "coefficients (knots extend well beyond the data)", DataWarning,
                      stacklevel=3)
    if bs_dim is not None:
        n_unique = len(np.unique(x[~np.isnan(x)]))
        if n_unique < bs_dim:
            warnings.warn(f"{smooth_label(term)}: basis dimension (k = {bs_dim}) is larger "
                          f"than number of unique covariates ({n_unique})", DataWarning,
                          stacklevel=3)


def _r_cumsum(v: np.ndarray) -> np.ndarray:
    """R's ``cumsum``: accumulated in long double, each partial sum rounded to double."""
    return np.cumsum(np.asarray(v, dtype=np.longdouble)).astype(float)


def bs_penalty(knots: np.ndarray, m1: int, m2: int, nk: int) -> np.ndarray:
    """The ``D`` of mgcv's ``bs`` penalty ``S = D' D`` for derivative order ``m2``."""
    k0 = np.asarray(knots, dtype=float)[m1:m1 + nk]
    pord = m1 - m2
    h = np.diff(k0)
    if pord == 0:
        k1 = (k0[1:] + k0[:-1]) / 2.0
    else:
        k1 = _r_cumsum(np.concatenate([[k0[0]], np.repeat(h / pord, pord)]))
    D = pspline_predict(knots, k1, m1, deriv=m2)
    if pord == 0:
        return np.sqrt(h)[:, None] * D
    s = r_seq(-1.0, 1.0, pord + 1)
    V = s[:, None] ** np.arange(pord + 1)[None, :]
    P = np.linalg.solve(V, np.eye(pord + 1))
    i1 = np.arange(1, pord + 2)[:, None] + np.arange(1, pord + 2)[None, :]
    H = (1 + (-1.0) ** (i1 - 2)) / (i1 - 1)
    W1 = P.T @ H @ P
    h = h / 2.0
    nh = len(h)
    ld0 = np.tile(np.diag(W1), nh) * np.repeat(h, pord + 1)
    i1 = np.concatenate([np.tile(np.arange(pord), nh) + np.repeat(np.arange(nh) * (pord + 1),
                                                                  pord), [len(ld0) - 1]])
    ld = ld0[i1]
    i0 = np.arange(1, nh) * pord
    i2 = np.arange(1, nh) * (pord + 1) - 1
    ld[i0] = ld[i0] + ld0[i2]
    B = np.zeros((pord + 1, len(ld)))
    B[0] = ld
    for kk in range(1, pord + 1):
        diwk = np.diag(W1, kk)
        pattern = np.concatenate([diwk, np.zeros(kk - 1)])
        band = np.repeat(h, pord) * np.tile(pattern, nh)
        B[kk, :len(ld) - kk] = band[:len(ld) - kk]
    L = cholesky_banded(B, lower=True)
    D1 = L[0][:, None] * D
    for kk in range(1, pord + 1):
        n_rows = D.shape[0] - kk
        D1[:n_rows] += L[kk, :n_rows][:, None] * D[kk:kk + n_rows]
    return D1


def _bs_orders(term: Any) -> tuple[int, ...]:
    m = penalty_orders(term)
    if len(m) == 1:
        m = (m[0], max(0.0, m[0] - 1) if not np.isnan(m[0]) else float("nan"))
    m = list(m)
    if np.isnan(m[0]):
        if np.isnan(m[1]):
            m = [3.0, 2.0] + m[2:]
        else:
            m[0] = m[1] + 1
    if np.isnan(m[1]):
        m[1] = max(0.0, m[0] - 1)
    return tuple(int(v) for v in m)


@register_basis("bs")
class BSplineBasis:
    """mgcv's ``bs``: B-splines of order ``m[1] + 1`` (default cubic), penalties on the
    ``m[2:]``-th derivatives (default the second), ``k`` default ``max(10, m[1])``."""

    k_too_large = "warn"

    def __init__(self, name: str) -> None:
        self.name = name

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        var = one_variable(term, self.name)
        x = covariate(term, data, var)
        label = smooth_label(term)
        m = _bs_orders(term)
        m1 = m[0]
        bs_dim = basis_dimension(term)
        if bs_dim < 0:
            bs_dim = max(10, m1)
        nk = bs_dim - m1 + 1
        if nk < 3:
            raise ModelSpecError(f"{label}: basis dimension k = {bs_dim} too small for "
                                 f"b-spline order {m1 + 1}", f"use k >= {m1 + 2}")
        kx = _bs_knots(label, x, term_knots(knots, var), nk, m1)
        X = spline_design(kx, x, m1 + 1)
        knot_warnings(term, X, x, bs_dim, self.name)
        m2 = m[1:]
        if len(set(m2)) < len(m2):
            raise ModelSpecError(f"{label}: multiple penalties of the same order is silly")
        penalties = []
        for order in m2:
            if order > m1:
                raise ModelSpecError(f"{label}: requested non-existent derivative "
                                     f"({order}) in B-spline penalty of order {m1 + 1}")
            D = bs_penalty(kx, m1, order, nk)
            penalties.append(D.T @ D)
        if term.fx:
            penalties = []
        state = {"term": [var], "knots": kx.tolist(), "m": list(m), "bs_dim": bs_dim}
        return RawBasis(X=X, penalties=tuple(penalties), null_space_dim=min(m2),
                        rank=tuple(bs_dim - o for o in m2), state=state)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        var = state["term"][0]
        return pspline_predict(np.asarray(state["knots"], dtype=float),
                               np.asarray(data[var], dtype=float), int(state["m"][0]))


def _bs_knots(label: str, x: np.ndarray, k: np.ndarray | None, nk: int, m1: int
              ) -> np.ndarray:
    """mgcv's knot sequence for ``bs`` (length ``nk + 2 m1``)."""
    xs = x[~np.isnan(x)]
    if k is None:
        xl, xu = float(xs.min()), float(xs.max())
    elif len(k) == 2:
        xl, xu = float(k.min()), float(k.max())
        if xl > xs.min() or xu < xs.max():
            raise DataError(f"{label}: knot range does not include data")
    if k is not None and len(k) == 4 and len(k) < nk + 2 * m1:
        k = np.sort(k)
        dx = (k[3] - k[0]) / (nk - 1)
        return np.concatenate([r_seq(k[0] - dx * m1, k[0], m1 + 1),
                               r_seq(k[1], k[2], max(0, nk - 2)),
                               r_seq(k[3], k[3] + dx * m1, m1 + 1)])
    if k is None or len(k) == 2:
        if xu == xl:
            raise DataError(f"{label}: the covariate is constant; a smooth needs variation")
        xr = xu - xl
        xl -= xr * 0.001
        xu += xr * 0.001
        dx = (xu - xl) / (nk - 1)
        return r_seq(xl - dx * m1, xu + dx * m1, nk + 2 * m1)
    if len(k) != nk + 2 * m1:
        raise DataError(f"{label}: there should be {nk + 2 * m1} supplied knots, "
                        f"got {len(k)}")
    return np.sort(k)
