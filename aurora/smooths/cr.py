"""Cubic regression splines, mgcv's ``bs = "cr"`` and its shrinkage version ``bs = "cs"``.

The basis is parametrised by the function values at ``k`` knots (Wood 2017, section
5.3.1): with ``h_j`` the knot spacings, ``D`` the (k-2) x k second-difference matrix and
``B`` the tridiagonal matrix of the spline's continuity conditions, ``F = B^{-1} D`` maps
values at the knots to second derivatives there, and the penalty is ``S = D' B^{-1} D``
(the integrated squared second derivative). Knots default to the quantiles of the unique
covariate values, ``quantile(unique(x), seq(0, 1, length = k))`` (R's type 7). Outside
the knot range the spline continues linearly, as mgcv's C routine ``crspl`` does.

``cs`` replaces the two zero eigenvalues of ``S`` by ``0.1 l`` and ``0.01 l`` (``l`` the
smallest positive eigenvalue) so that the whole function can be shrunk to zero.

References: Wood (2017) *Generalized Additive Models*, 2nd ed., section 5.3.1; mgcv's
``smooth.construct.cr.smooth.spec`` and ``Predict.matrix.cr.smooth`` (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> x = np.linspace(0, 1, 30)
>>> raw = CubicRegressionSpline("cr").construct(Smooth("s", ("x",), k=5), {"x": x})
>>> raw.X.shape, raw.null_space_dim, raw.rank
((30, 5), 2, (3,))
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np
from scipy.linalg import eigh, solve_banded

from aurora.errors import DataError, DataWarning
from aurora.smooths.base import (RawBasis, basis_dimension, covariate, one_variable,
                                 register_basis, smooth_label, term_knots)
from aurora.smooths.bspline import r_seq

__all__ = ["CubicRegressionSpline", "cr_matrices", "cr_design", "r_quantile7"]


def r_quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs)`` (type 7), with R's interpolation formula."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = len(xs)
    index = 1.0 + max(n - 1, 0) * np.asarray(probs, dtype=float)
    lo = np.floor(index).astype(int)
    hi = np.ceil(index).astype(int)
    qs = xs[lo - 1].copy()
    i = (index > lo) & (xs[hi - 1] != qs)
    h = (index - lo)[i]
    qs[i] = (1 - h) * qs[i] + h * xs[hi[i] - 1]
    return qs


def cr_matrices(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F`` (k x k; row j: second derivative at knot j given the values at the knots, rows
    0 and k-1 zero) and the penalty ``S = D' B^{-1} D`` (mgcv's ``getFS``)."""
    xk = np.asarray(knots, dtype=float)
    n = len(xk)
    h = np.diff(xk)
    n2 = n - 2
    D = np.zeros((n2, n))
    idx = np.arange(n2)
    D[idx, idx] = 1.0 / h[:-1]
    D[idx, idx + 2] = 1.0 / h[1:]
    D[idx, idx + 1] = -D[idx, idx] - D[idx, idx + 2]
    ab = np.zeros((3, n2))                       # B in banded storage
    ab[1] = (h[:-1] + h[1:]) / 3.0
    ab[0, 1:] = h[1:-1] / 6.0
    ab[2, :-1] = h[1:-1] / 6.0
    BinvD = solve_banded((1, 1), ab, D)
    F = np.zeros((n, n))
    F[1:-1] = BinvD
    S = D.T @ BinvD
    return F, S


def cr_design(x: np.ndarray, knots: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Model-matrix rows of the cubic regression spline at ``x`` (mgcv's ``crspl``),
    linear beyond the end knots."""
    x = np.asarray(x, dtype=float).reshape(-1)
    xk = np.asarray(knots, dtype=float)
    nk = len(xk)
    X = np.zeros((len(x), nk))
    kmin, kmax = xk[0], xk[-1]
    below = x < kmin
    above = x > kmax
    inside = ~(below | above | np.isnan(x))
    if inside.any():
        xi = x[inside]
        j = np.clip(np.searchsorted(xk, xi, side="left") - 1, 0, nk - 2)
        xj, xj1 = xk[j], xk[j + 1]
        hh = xj1 - xj
        ajm = xj1 - xi
        ajp = xi - xj
        cjm = (ajm * (ajm * ajm / hh - hh)) / 6.0
        cjp = (ajp * (ajp * ajp / hh - hh)) / 6.0
        rows = cjm[:, None] * F[j] + cjp[:, None] * F[j + 1]
        r = np.arange(len(xi))
        rows[r, j] += ajm / hh
        rows[r, j + 1] += ajp / hh
        X[inside] = rows
    if below.any():
        hh = xk[1] - kmin
        xik = x[below] - kmin
        rows = (-xik * hh / 3.0)[:, None] * F[0] + (-xik * hh / 6.0)[:, None] * F[1]
        rows[:, 0] += 1.0 - xik / hh
        rows[:, 1] += xik / hh
        X[below] = rows
    if above.any():
        hh = kmax - xk[nk - 2]
        xik = x[above] - kmax
        rows = (xik * hh / 6.0)[:, None] * F[nk - 2] + (xik * hh / 3.0)[:, None] * F[nk - 1]
        rows[:, nk - 2] += -xik / hh
        rows[:, nk - 1] += 1.0 + xik / hh
        X[above] = rows
    X[np.isnan(x)] = np.nan
    return X


@register_basis("cr", "cs")
class CubicRegressionSpline:
    """mgcv's ``cr`` (``cs`` with shrinkage): ``k`` knots, default 10, minimum 3."""

    k_too_large = "error"

    def __init__(self, name: str) -> None:
        self.name = name
        self.shrink = 0.1 if name == "cs" else None

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        var = one_variable(term, self.name)
        x = covariate(term, data, var)
        nk = basis_dimension(term)
        if nk < 0:
            nk = 10
        if nk < 3:
            warnings.warn(f"{smooth_label(term)}: basis dimension, k, increased to minimum "
                          f"possible (3)", DataWarning, stacklevel=2)
            nk = 3
        xu = np.unique(x[~np.isnan(x)])
        if len(xu) < nk:
            raise DataError(
                f"{smooth_label(term)}: {var} has insufficient unique values to support "
                f"{nk} knots: reduce k ({var} has {len(xu)} unique values)",
                f"use k <= {len(xu)}")
        given = term_knots(knots, var)
        if given is None:
            xk = r_quantile7(xu, r_seq(0.0, 1.0, nk))
        else:
            if len(given) != nk:
                raise DataError(f"{smooth_label(term)}: number of supplied knots "
                                f"({len(given)}) != k ({nk}) for a {self.name} smooth")
            xk = np.asarray(given, dtype=float)
        F, S = cr_matrices(xk)
        X = cr_design(x, xk, F)
        penalties: tuple[np.ndarray, ...] = ()
        if not term.fx:
            S = (S + S.T) / 2.0
            if self.shrink is not None:
                S = _shrink(S, self.shrink)
            penalties = (S,)
        if self.shrink is None:
            rank, nsd = nk - 2, 2
        else:
            rank, nsd = nk, 0
        state = {"term": [var], "knots": xk.tolist(), "bs_dim": nk}
        return RawBasis(X=X, penalties=penalties, null_space_dim=nsd, rank=(rank,),
                        state=state)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        var = state["term"][0]
        xk = np.asarray(state["knots"], dtype=float)
        F, _ = cr_matrices(xk)
        return cr_design(np.asarray(data[var], dtype=float), xk, F)


def _shrink(S: np.ndarray, shrink: float) -> np.ndarray:
    """mgcv's ``cs`` penalty: the two smallest eigenvalues replaced by ``shrink`` times
    the one before, in R's decreasing order.

    The two smallest eigenvalues are zero but for rounding, so which null-space direction
    gets ``0.1 l`` and which ``0.01 l`` is decided by rounding noise, in mgcv as here.
    LAPACK's ``dsyevr`` (R's ``eigen``, used here too) returns the same pair of null-space
    directions as R's; their order can differ. Every other number agrees with mgcv.
    """
    values, vectors = eigh(S, driver="evr")
    values = values[::-1].copy()
    vectors = vectors[:, ::-1]
    nk = len(values)
    values[nk - 2] = values[nk - 3] * shrink
    values[nk - 1] = values[nk - 2] * shrink
    return vectors @ (values[:, None] * vectors.T)
