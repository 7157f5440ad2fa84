"""``ns`` and ``bs``: R's natural and B-spline bases as formulaic stateful transforms.

Knots are chosen on the training data (type-7 quantiles of ``x``, boundary knots at its
range) and kept in ``_state`` for new data, as R's ``makepredictcall`` does. The bases
themselves come from the ports in :mod:`._spline_design`.

References: R 4.2 ``splines::ns``, ``splines::bs``, ``stats::quantile`` type 7.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from formulaic.materializers.types import FactorValues
from formulaic.utils.stateful_transforms import stateful_transform

from aurora.compile.rfunctions._inputs import _var_name, _vector
from aurora.compile.rfunctions._spline_design import _design, _design_row, _householder, _qty
from aurora.errors import DataError, DataWarning

__all__ = ["ns", "bs"]


def _quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``quantile(x, probs, type = 7)``."""
    xs = np.sort(x)
    index = 1 + max(len(xs) - 1, 0) * probs
    lo = np.floor(index).astype(int)
    hi = np.ceil(index).astype(int)
    qs = xs[lo - 1].copy()
    h = index - lo
    i = (index > lo) & (xs[hi - 1] != qs)
    qs[i] = (1 - h[i]) * qs[i] + h[i] * xs[hi - 1][i]
    return qs


def _train_knots(fname: str, name: str, xs: np.ndarray, df: Any, knots: Any,
                 boundary_knots: Any, n_fixed: int) -> tuple[list[float], list[float]]:
    """Interior and boundary knots as ns()/bs() choose them on training data.

    ``n_fixed`` is the number of columns that need no interior knot (ns: 1 + intercept,
    bs: degree + intercept); df beyond it becomes quantile knots.
    """
    if xs.size == 0:
        raise DataError(f"{fname}(): {name!r} has no non-missing values",
                        f"give {fname}() a variable with data")
    if boundary_knots is not None:
        bk = sorted(float(b) for b in np.asarray(boundary_knots, dtype=float).ravel())
        if len(bk) != 2:
            raise DataError(f"{fname}(): Boundary_knots must be two numbers, not {len(bk)}",
                            "give Boundary_knots=[lower, upper]")
    elif xs.size == 1 and fname == "ns":
        bk = [float(xs[0] * 7 / 8), float(xs[0] * 9 / 8)]
    else:
        bk = [float(xs.min()), float(xs.max())]
    if df is not None and knots is None:
        n_interior = int(df) - n_fixed
        if n_interior < 0:
            warnings.warn(f"{fname}(): 'df' was too small; have used {n_fixed}", DataWarning,
                          stacklevel=3)
            n_interior = 0
        inside = xs[(xs >= bk[0]) & (xs <= bk[1])]
        probs = np.arange(1, n_interior + 1) * (1.0 / (n_interior + 1))
        interior = _quantile7(inside, probs).tolist() if n_interior > 0 else []
    else:
        interior = [] if knots is None else [float(k) for k in np.asarray(knots, float).ravel()]
    ncol = len(interior) + n_fixed
    n_unique = len(np.unique(xs))
    if ncol > n_unique:
        raise DataError(
            f"{fname}({name}): a basis of {ncol} columns needs at least {ncol} distinct values "
            f"of {name!r}, but it has {n_unique}; the basis would be singular",
            f"use df={n_unique} or less (or fewer knots), or treat {name!r} as a factor")
    return interior, bk


def _spline_values(basis: np.ndarray, ok: np.ndarray) -> FactorValues:
    out = np.full((ok.shape[0], basis.shape[1]), np.nan)
    out[ok] = basis
    return FactorValues(out, column_names=tuple(str(i) for i in range(1, basis.shape[1] + 1)))


def _ns_basis(xs: np.ndarray, interior: Sequence[float], bk: Sequence[float],
              intercept: bool) -> np.ndarray:
    a, b = bk
    aknots = np.sort(np.r_[[a] * 4, [b] * 4, interior])
    basis = np.zeros((len(xs), len(aknots) - 4))
    ol, orr = xs < a, xs > b
    for mask, pivot in ((ol, a), (orr, b)):
        if mask.any():  # linear beyond the boundary knots: value + slope * (x - pivot)
            t0, t1 = _design_row(aknots, pivot, 4, 0), _design_row(aknots, pivot, 4, 1)
            basis[mask] = t0 + (xs[mask] - pivot)[:, None] * t1
    inside = ~(ol | orr)
    basis[inside] = _design(aknots, xs[inside], 4)
    const = np.vstack([_design_row(aknots, a, 4, 2), _design_row(aknots, b, 4, 2)])
    if not intercept:
        const, basis = const[:, 1:], basis[:, 1:]
    qr, qraux = _householder(const.T)
    return _qty(qr, qraux, basis)[:, 2:]


def _bs_basis(xs: np.ndarray, interior: Sequence[float], bk: Sequence[float], degree: int,
              intercept: bool) -> np.ndarray:
    ord = degree + 1
    a, b = bk
    aknots = np.sort(np.r_[[a] * ord, [b] * ord, interior])
    basis = np.zeros((len(xs), len(aknots) - ord))
    ol, orr = xs < a, xs > b
    if ol.any() or orr.any():
        warnings.warn("bs(): some 'x' values beyond boundary knots may cause ill-conditioned "
                      "bases", DataWarning, stacklevel=3)
        scalef = np.array([math.gamma(k) for k in range(1, ord + 1)])
        e = 1 / 4
        pivots = ((1 - e) * a + e * aknots[ord], (1 - e) * b + e * aknots[len(aknots) - ord - 1])
        for mask, pivot in zip((ol, orr), pivots):
            if mask.any():  # the end polynomial pieces, continued by their Taylor expansion
                tt = np.vstack([_design_row(aknots, pivot, ord, d) for d in range(ord)])
                tt = tt / scalef[:, None]
                d = xs[mask] - pivot
                acc = np.zeros((d.size, tt.shape[1]))
                for k in range(ord):
                    acc = acc + (d * d if k == 2 else np.power(d, k))[:, None] * tt[k]
                basis[mask] = acc
    inside = ~(ol | orr)
    basis[inside] = _design(aknots, xs[inside], ord)
    return basis if intercept else basis[:, 1:]


@stateful_transform
def ns(  # pylint: disable=dangerous-default-value  # always replaced by stateful_transform
    x: Any, df: int | None = None, knots: Sequence[float] | None = None,
    intercept: bool = False, Boundary_knots: Sequence[float] | None = None,  # noqa: N803
    _state: dict = {},
) -> FactorValues:
    """Natural cubic spline basis, as R's ``splines::ns``.

    Parameters
    ----------
    x : array-like of float, shape (n,)
    df : int, optional
        Columns of the basis; ``df - 1 - intercept`` interior knots at type-7 quantiles.
    knots : sequence of float, optional
        Interior knots (instead of ``df``).
    intercept : bool
        Keep the column R drops to leave room for the model's intercept.
    Boundary_knots : (float, float), optional
        Default: the range of ``x``. Beyond them the basis is linear, as in R.

    Returns
    -------
    FactorValues wrapping an (n, k) array, columns named ``1..k`` (formulaic: ``ns(x)[1]``).
    Rows where ``x`` is NaN are NaN. The state (``knots``, ``boundary_knots``,
    ``intercept``) is replayed on new data, as R's ``makepredictcall`` does.

    Examples
    --------
    >>> b = ns([1.0, 2.0, 4.0, 8.0], df=2)
    >>> np.asarray(b).shape
    (4, 2)
    """
    xv = _vector(x, "ns")
    ok = ~np.isnan(xv)
    xs = xv[ok]
    if "knots" not in _state:
        interior, bk = _train_knots("ns", _var_name(x), xs, df, knots, Boundary_knots,
                                    1 + bool(intercept))
        _state.update(knots=interior, boundary_knots=bk, intercept=bool(intercept))
    basis = _ns_basis(xs, _state["knots"], _state["boundary_knots"], _state["intercept"])
    return _spline_values(basis, ok)


@stateful_transform
def bs(  # pylint: disable=dangerous-default-value  # always replaced by stateful_transform
    x: Any, df: int | None = None, knots: Sequence[float] | None = None, degree: int = 3,
    intercept: bool = False, Boundary_knots: Sequence[float] | None = None,  # noqa: N803
    _state: dict = {},
) -> FactorValues:
    """B-spline basis, as R's ``splines::bs``.

    Parameters
    ----------
    x : array-like of float, shape (n,)
    df : int, optional
        Columns of the basis; ``df - degree - intercept`` interior knots at quantiles.
    knots : sequence of float, optional
    degree : int
        Polynomial degree (>= 1).
    intercept : bool
    Boundary_knots : (float, float), optional
        Default: the range of ``x``. Values beyond them continue the end polynomial pieces
        (with R's warning, here a :class:`~aurora.errors.DataWarning`).

    Returns
    -------
    FactorValues wrapping an (n, k) array, columns ``1..k``; state as for :func:`ns` plus
    ``degree``.

    Examples
    --------
    >>> np.asarray(bs([0.0, 1.0, 2.0, 3.0], degree=2)).round(3)[1].tolist()
    [0.444, 0.111]
    """
    xv = _vector(x, "bs")
    ok = ~np.isnan(xv)
    xs = xv[ok]
    if "knots" not in _state:
        if int(degree) < 1 or int(degree) != degree:
            raise DataError(f"bs(): degree must be an integer >= 1, not {degree!r}",
                            "use degree=1, 2, 3...")
        interior, bk = _train_knots("bs", _var_name(x), xs, df, knots, Boundary_knots,
                                    int(degree) + bool(intercept))
        _state.update(knots=interior, boundary_knots=bk, intercept=bool(intercept),
                      degree=int(degree))
    basis = _bs_basis(xs, _state["knots"], _state["boundary_knots"], _state["degree"],
                      _state["intercept"])
    return _spline_values(basis, ok)
