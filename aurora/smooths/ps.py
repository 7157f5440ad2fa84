"""P-splines (Eilers and Marx 1996), mgcv's ``bs = "ps"`` and the cyclic ``bs = "cp"``.

``ps``: a B-spline basis of order ``m[1] + 2`` (default cubic, ``m = c(2, 2)``) on evenly
spaced knots covering the data (plus 0.1% each side), with the difference penalty
``S = D' D``, ``D`` the ``m[2]``-th order difference matrix of the coefficients. Beyond the
interior knots the basis continues linearly.

``cp``: the same on a circle: ``k + 1`` evenly spaced knots over the data range (or the
two ends supplied), a B-spline basis wrapped so that ``k`` coefficients describe a
periodic function, and a cyclic difference penalty. New values outside the range are
wrapped onto it.

References: Eilers and Marx (1996) *Statistical Science* 11:89-121; Wood (2017)
*Generalized Additive Models*, 2nd ed., section 5.3.3; mgcv's
``smooth.construct.ps.smooth.spec``, ``smooth.construct.cp.smooth.spec``, ``cSplineDes``
and the ``Predict.matrix`` methods (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> x = np.linspace(0, 1, 30)
>>> raw = PSpline("ps").construct(Smooth("s", ("x",), k=8), {"x": x})
>>> raw.X.shape, raw.null_space_dim, raw.rank
((30, 8), 2, (6,))
>>> raw = CyclicPSpline("cp").construct(Smooth("s", ("x",), k=8), {"x": x})
>>> raw.X.shape, raw.null_space_dim
((30, 8), 1)
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from aurora.errors import DataError, ModelSpecError
from aurora.smooths.base import (RawBasis, basis_dimension, covariate, one_variable,
                                 penalty_orders, register_basis, smooth_label, term_knots)
from aurora.smooths.bspline import knot_warnings, pspline_predict, r_seq, spline_design
from aurora.smooths.cc import cwrap

__all__ = ["PSpline", "CyclicPSpline", "cyclic_spline_design", "difference_penalty"]


def _ps_orders(term: Any) -> tuple[int, int]:
    """mgcv's ``m`` for ps/cp: a single value repeated, NA -> 2."""
    m = penalty_orders(term)
    if len(m) == 1:
        m = (m[0], m[0])
    vals = [2 if np.isnan(v) else int(v) for v in m[:2]]
    return vals[0], vals[1]


def difference_penalty(p: int, order: int) -> np.ndarray:
    """``crossprod(diff(diag(p), differences = order))`` (the identity for order 0)."""
    D = np.eye(p)
    for _ in range(order):
        D = np.diff(D, axis=0)
    return D.T @ D


def _range_knots(label: str, x: np.ndarray, k: np.ndarray | None) -> tuple[float, float]:
    xs = x[~np.isnan(x)]
    if k is None:
        lo, hi = float(xs.min()), float(xs.max())
    else:
        lo, hi = float(k.min()), float(k.max())
        if lo > xs.min() or hi < xs.max():
            raise DataError(f"{label}: knot range does not include data",
                            "give knots that span every covariate value")
    if lo == hi:
        raise DataError(f"{label}: the covariate is constant; a smooth needs variation")
    return lo, hi


@register_basis("ps")
class PSpline:
    """mgcv's ``ps``: ``k`` (default ``max(10, m[1] + 1)``) B-splines, difference penalty."""

    k_too_large = "warn"

    def __init__(self, name: str) -> None:
        self.name = name

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        var = one_variable(term, self.name)
        x = covariate(term, data, var)
        label = smooth_label(term)
        m1, m2 = _ps_orders(term)
        bs_dim = basis_dimension(term)
        if bs_dim < 0:
            bs_dim = max(10, m1 + 1)
        nk = bs_dim - m1
        if nk < 2:
            raise ModelSpecError(f"{label}: basis dimension k = {bs_dim} too small for "
                                 f"b-spline order {m1 + 2}", f"use k >= {m1 + 2}")
        given = term_knots(knots, var)
        if given is None or len(given) == 2:
            xl, xu = _range_knots(label, x, given)
            xr = xu - xl
            xl -= xr * 0.001
            xu += xr * 0.001
            dx = (xu - xl) / (nk - 1)
            kx = r_seq(xl - dx * (m1 + 1), xu + dx * (m1 + 1), nk + 2 * m1 + 2)
        else:
            if len(given) != nk + 2 * m1 + 2:
                raise DataError(f"{label}: there should be {nk + 2 * m1 + 2} supplied "
                                f"knots, got {len(given)}")
            kx = np.sort(given)
        X = spline_design(kx, x, m1 + 2)
        knot_warnings(term, X, x, bs_dim, self.name)
        if m2 > bs_dim - 1:
            raise ModelSpecError(f"{label}: penalty order {m2} too high for basis "
                                 f"dimension {bs_dim}")
        penalties = () if term.fx else (difference_penalty(bs_dim, m2),)
        state = {"term": [var], "knots": kx.tolist(), "m": [m1, m2], "bs_dim": bs_dim}
        return RawBasis(X=X, penalties=penalties, null_space_dim=m2, rank=(bs_dim - m2,),
                        state=state)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        var = state["term"][0]
        return pspline_predict(np.asarray(state["knots"], dtype=float),
                               np.asarray(data[var], dtype=float), int(state["m"][0]) + 1)


def cyclic_spline_design(x: np.ndarray, knots: np.ndarray, order: int) -> np.ndarray:
    """mgcv's ``cSplineDes``: B-splines of ``order`` wrapped onto ``[knots[0], knots[-1]]``
    (``len(knots) - 1`` columns); ``x`` must lie in the knot range."""
    knots = np.sort(np.asarray(knots, dtype=float))
    x = np.array(x, dtype=float).reshape(-1)
    nk = len(knots)
    if order < 2:
        raise ValueError("order too low")
    if nk < order:
        raise ValueError("too few knots")
    k1 = knots[0]
    xc = knots[nk - order]
    ext = np.concatenate([k1 - (knots[-1] - knots[nk - order:nk - 1]), knots])
    wrap = x > xc
    X = spline_design(ext, x, order, outer_ok=True)
    if wrap.any():
        xw = x[wrap] - ext.max() + k1
        X[wrap] += spline_design(ext, xw, order, outer_ok=True)
    return X


def _cyclic_difference_penalty(p: int, order: int) -> np.ndarray:
    """mgcv's cyclic difference penalty of ``order`` on ``p`` coefficients."""
    De = np.eye(p + order)
    if order > 0:
        for _ in range(order):
            De = np.diff(De, axis=0)
        D = De[:, order:].copy()
        D[:, p - order:p] += De[:, :order]
    else:
        D = De
    return D.T @ D


@register_basis("cp")
class CyclicPSpline:
    """mgcv's ``cp``: ``k`` (default ``max(10, m[1])``) cyclic B-splines on ``k + 1``
    knots, cyclic difference penalty of order ``m[2]``."""

    k_too_large = "warn"

    def __init__(self, name: str) -> None:
        self.name = name

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        var = one_variable(term, self.name)
        x = covariate(term, data, var)
        label = smooth_label(term)
        m1, m2 = _ps_orders(term)
        bs_dim = basis_dimension(term)
        if bs_dim < 0:
            bs_dim = max(10, m1)
        nk = bs_dim + 1
        if nk <= m1 + 1:
            raise ModelSpecError(f"{label}: basis dimension k = {bs_dim} too small for "
                                 f"b-spline order {m1 + 2}", f"use k >= {m1 + 1}")
        given = term_knots(knots, var)
        if given is None or len(given) == 2:
            x0, x1 = _range_knots(label, x, given)
            kx = r_seq(x0, x1, nk)
        else:
            if len(given) != nk:
                raise DataError(f"{label}: there should be {nk} supplied knots, "
                                f"got {len(given)}")
            kx = np.sort(given)
            if kx[0] > np.nanmin(x) or kx[-1] < np.nanmax(x):
                raise DataError(f"{label}: knot range does not include data")
        X = cyclic_spline_design(x, kx, m1 + 2)
        knot_warnings(term, X, x, bs_dim, self.name)
        np_ = X.shape[1]
        if m2 > np_ - 1:
            raise ModelSpecError(f"{label}: penalty order {m2} too high for basis "
                                 f"dimension {np_}")
        penalties = () if term.fx else (_cyclic_difference_penalty(np_, m2),)
        state = {"term": [var], "knots": kx.tolist(), "m": [m1, m2], "bs_dim": bs_dim}
        return RawBasis(X=X, penalties=penalties, null_space_dim=1, rank=(np_ - 1,),
                        state=state)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        var = state["term"][0]
        kx = np.asarray(state["knots"], dtype=float)
        x = np.asarray(data[var], dtype=float).reshape(-1)
        nan = np.isnan(x)
        xx = np.where(nan, kx[0], x)
        if xx.min() < kx[0] or xx.max() > kx[-1]:
            xx = cwrap(kx[0], kx[-1], xx)
        X = cyclic_spline_design(xx, kx, int(state["m"][0]) + 2)
        X[nan] = np.nan
        return X
