"""Cyclic cubic regression splines, mgcv's ``bs = "cc"``.

``k`` knots ``x_1 < ... < x_k`` with the spline's value and first two derivatives matching
at ``x_1`` and ``x_k``: the basis has ``k - 1`` columns (the values at ``x_1 .. x_{k-1}``;
the value at ``x_k`` is the value at ``x_1``). With ``h`` the knot spacings, the cyclic
tridiagonal matrices ``B`` and ``D`` of Wood (2017, section 5.3.2) give ``B^{-1} D``
(values at the knots to second derivatives) and the penalty ``D' B^{-1} D``. Knots default
to mgcv's ``place.knots``: evenly spread through the sorted unique covariate values.
Covariate values outside the knot range are wrapped onto it (``cwrap``), so predictions
repeat with period ``x_k - x_1``.

References: Wood (2017) *Generalized Additive Models*, 2nd ed., section 5.3.2; mgcv's
``smooth.construct.cc.smooth.spec``, ``Predict.matrix.cyclic.smooth``, ``place.knots``
and ``cwrap`` (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> x = np.linspace(0, 1, 30)
>>> raw = CyclicCubicSpline("cc").construct(Smooth("s", ("x",), k=5), {"x": x})
>>> raw.X.shape, raw.null_space_dim, raw.rank
((30, 4), 1, (3,))
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np

from aurora.errors import DataError, DataWarning
from aurora.smooths.base import (RawBasis, basis_dimension, covariate, one_variable,
                                 register_basis, smooth_label, term_knots)

__all__ = ["CyclicCubicSpline", "place_knots", "cwrap", "cyclic_matrices", "cc_design"]


def place_knots(x: np.ndarray, nk: int) -> np.ndarray:
    """mgcv's ``place.knots``: ``nk`` knots spread evenly through ``sort(unique(x))``."""
    xs = np.unique(np.asarray(x, dtype=float))
    n = len(xs)
    if nk > n:
        raise ValueError("more knots than unique data values is not allowed")
    if nk < 2:
        raise ValueError("too few knots")
    if nk == 2:
        return np.array([xs[0], xs[-1]])
    delta = (n - 1) / (nk - 1)
    steps = delta * np.arange(1, nk - 1)
    lbi = np.floor(steps).astype(int) + 1                # R's 1-based index
    frac = steps + 1 - lbi
    knots = np.empty(nk)
    knots[0], knots[-1] = xs[0], xs[-1]
    knots[1:-1] = xs[lbi - 1] * (1 - frac) + xs[lbi] * frac
    return knots


def cwrap(x0: float, x1: float, x: np.ndarray) -> np.ndarray:
    """mgcv's ``cwrap``: map ``x`` onto ``[x0, x1]`` periodically (R's ``%%``)."""
    x = np.array(x, dtype=float, copy=True)
    h = x1 - x0
    above = x > x1
    x[above] = x0 + np.mod(x[above] - x1, h)
    below = x < x0
    x[below] = x1 - np.mod(x0 - x[below], h)
    return x


def cyclic_matrices(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``B^{-1} D`` and the penalty ``D' B^{-1} D`` (unsymmetrised) of a cyclic spline
    (mgcv's ``getBD``)."""
    xk = np.asarray(knots, dtype=float)
    h = np.diff(xk)
    n = len(h)
    B = np.zeros((n, n))
    D = np.zeros((n, n))
    for i in range(n):
        prev = i - 1 if i > 0 else n - 1
        nxt = i + 1 if i < n - 1 else 0
        hp = h[prev]
        B[i, prev] = hp / 6.0
        B[i, i] = (hp + h[i]) / 3.0
        B[i, nxt] = h[i] / 6.0
        D[i, prev] = 1.0 / hp
        D[i, i] = -(1.0 / hp + 1.0 / h[i])
        D[i, nxt] = 1.0 / h[i]
    BD = np.linalg.solve(B, D)
    return BD, D.T @ BD


def cc_design(x: np.ndarray, knots: np.ndarray, BD: np.ndarray) -> np.ndarray:
    """Rows of the cyclic spline basis at ``x`` (mgcv's ``pred.mat``), wrapped onto the
    knot range."""
    xk = np.asarray(knots, dtype=float)
    x = np.asarray(x, dtype=float).reshape(-1)
    n = len(xk)
    nan = np.isnan(x)
    xx = np.where(nan, xk[0], x)
    if xx.max() > xk.max() or xx.min() < xk.min():
        xx = cwrap(xk.min(), xk.max(), xx)
    h = np.diff(xk)
    # R: for (i in n:2) j[x <= knots[i]] <- i, i.e. the first knot >= x (1-based, >= 2)
    j = np.searchsorted(xk, xx, side="left") + 1
    j = np.clip(j, 2, n)
    j1 = j - 1                                           # 1-based left knot
    j = np.where(j == n, 1, j)
    r0 = j1 - 1                                          # 0-based rows of BD / I
    r1 = j - 1
    hj = h[j1 - 1]
    left = xk[j1] - xx                                   # knots[j1 + 1] - x
    right = xx - xk[j1 - 1]                              # x - knots[j1]
    eye = np.eye(n - 1)
    X = (BD[r0] * (left ** 3 / (6 * hj))[:, None]
         + BD[r1] * (right ** 3 / (6 * hj))[:, None]
         - BD[r0] * (hj * left / 6)[:, None]
         - BD[r1] * (hj * right / 6)[:, None]
         + eye[r0] * (left / hj)[:, None]
         + eye[r1] * (right / hj)[:, None])
    X[nan] = np.nan
    return X


@register_basis("cc")
class CyclicCubicSpline:
    """mgcv's ``cc``: ``k`` knots (default 10, minimum 4), ``k - 1`` columns."""

    k_too_large = "error"

    def __init__(self, name: str) -> None:
        self.name = name

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        var = one_variable(term, self.name)
        x = covariate(term, data, var)
        nk = basis_dimension(term)
        if nk < 0:
            nk = 10
        if nk < 4:
            warnings.warn(f"{smooth_label(term)}: basis dimension, k, increased to minimum "
                          f"possible (4)", DataWarning, stacklevel=2)
            nk = 4
        given = term_knots(knots, var)
        if given is None or len(given) == 2:
            pool = x if given is None else np.concatenate([given, x])
            n_unique = len(np.unique(pool[~np.isnan(pool)]))
            if nk > n_unique:
                raise DataError(
                    f"{smooth_label(term)}: {var} has insufficient unique values to "
                    f"support {nk} knots: reduce k ({n_unique} unique values; mgcv: more "
                    "knots than unique data values is not allowed)",
                    f"use k <= {n_unique}")
            xk = place_knots(pool[~np.isnan(pool)], nk)
        else:
            xk = np.asarray(given, dtype=float)
        if len(xk) != nk:
            raise DataError(f"{smooth_label(term)}: number of supplied knots ({len(xk)}) "
                            f"!= k ({nk}) for a cc smooth")
        BD, S = cyclic_matrices(xk)
        X = cc_design(x, xk, BD)
        penalties = () if term.fx else ((S + S.T) / 2.0,)
        state = {"term": [var], "knots": xk.tolist(), "bs_dim": nk}
        return RawBasis(X=X, penalties=penalties, null_space_dim=1, rank=(X.shape[1] - 1,),
                        state=state)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        var = state["term"][0]
        xk = np.asarray(state["knots"], dtype=float)
        BD, _ = cyclic_matrices(xk)
        return cc_design(np.asarray(data[var], dtype=float), xk, BD)
