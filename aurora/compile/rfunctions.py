"""R's formula functions whose output depends on the data, as formulaic stateful transforms.

``ns``/``bs`` (splines), ``cut``, ``interaction``, ``scale``, ``factor``/``as_factor``,
``relevel`` and ``as_numeric`` remember what they learnt from the training data in
formulaic's ``_state`` (plain lists, floats, strings and bools, so a saved model is JSON),
and a formulaic ``ModelSpec`` replays it on new data as R's ``makepredictcall`` and
``xlevels`` do. Plain elementwise functions (``log``, ``pmin``, ``ifelse``...) follow R's
semantics quietly (``log(-1)`` is NaN without a NumPy warning).

Use :data:`R_FUNCTIONS` as formulaic's evaluation context::

    >>> import pandas as pd, formulaic
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 4.0, 7.0, 11.0, 16.0]})
    >>> mm = formulaic.model_matrix("ns(x, df=2)", df, context=R_FUNCTIONS)
    >>> list(mm.columns)
    ['Intercept', 'ns(x, df=2)[1]', 'ns(x, df=2)[2]']

Inside a model formula (formulaic passes ``_context``) the factor-valued functions drop
levels no training row uses, as ``glm``'s ``model.frame(drop.unused.levels = TRUE)`` does;
a new row in such a level then raises :class:`~aurora.errors.FactorLevelError`, as R's
``predict`` does. Called directly they return every level, as R's functions do.

Errors are Aurora's (:class:`~aurora.errors.DataError`, ``FactorLevelError``); formulaic
re-raises an error from inside a formula as its ``FactorEvaluationError`` with the Aurora
error as ``__cause__``. Text levels sort as Aurora's data frames sort them (Python order).

References: R 4.2 ``splines::ns``, ``splines::bs``, ``splines::splineDesign`` (and its C
``spline_basis``), LINPACK ``dqrdc2``/``dqrsl`` (``qr``, ``qr.qty``), ``base::cut.default``,
``base::interaction``, ``base::scale.default``, ``base::factor``, ``stats::quantile`` type 7.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from formulaic.materializers.types import FactorValues
from formulaic.utils.stateful_transforms import stateful_transform

from aurora.errors import DataError, DataWarning, FactorLevelError

__all__ = [
    "ns", "bs", "cut", "interaction", "scale", "factor", "as_factor", "relevel", "as_numeric",
    "log", "log1p", "expm1", "sqrt", "exp", "r_abs", "sin", "cos", "pmin", "pmax", "ifelse",
    "c", "r_character", "R_FUNCTIONS", "KNOWN_FUNCTIONS",
]

_BIG_PRODUCT = 2_000_000  # interaction(): enumerate every combination's label up to this many


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def _var_name(x: Any, default: str = "x") -> str:
    name = getattr(x, "name", None)
    return str(name) if name is not None else default


def _is_factor(x: Any) -> bool:
    return isinstance(x, pd.Categorical) or isinstance(getattr(x, "dtype", None),
                                                       pd.CategoricalDtype)


def _index(x: Any) -> pd.Index | None:
    return x.index if isinstance(x, pd.Series) else None


def _numeric(x: Any, fname: str) -> np.ndarray:
    """``x`` as a float array (NaN where missing); a typed error for factors and text."""
    name = _var_name(x)
    if _is_factor(x):
        raise DataError(f"{fname}() needs a numeric variable, but {name!r} is a factor",
                        f"pass a numeric column to {fname}(), or as.numeric({name}) to use "
                        "its level codes")
    if isinstance(x, pd.Series) and pd.api.types.is_numeric_dtype(x.dtype):
        return x.to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray(x)
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    if arr.dtype.kind == "O" and pd.api.types.infer_dtype(arr.ravel(), skipna=True) in (
            "integer", "floating", "mixed-integer-float", "boolean", "decimal", "empty"):
        return pd.to_numeric(pd.Series(arr.ravel()), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan).reshape(arr.shape)
    raise DataError(f"{fname}() needs a numeric variable, but {name!r} holds "
                    f"{arr.dtype.kind == 'O' and 'text' or arr.dtype}",
                    f"convert {name!r} to numbers before using it in {fname}()")


def _vector(x: Any, fname: str) -> np.ndarray:
    v = _numeric(x, fname)
    return v.reshape(1) if v.ndim == 0 else v.ravel()


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


def _seq(start: float, end: float, n: int) -> np.ndarray:
    """``seq.int(start, end, length.out = n)`` (R 4.2: start + i * by, the end exact)."""
    out = start + np.arange(n) * ((end - start) / (n - 1)) if n > 1 else np.array([start])
    out[-1] = end
    return out


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


# --------------------------------------------------------------------------------------------
# Factors: R's labels and level order
# --------------------------------------------------------------------------------------------
def r_character(value: Any) -> str:
    """R's ``as.character()`` of one value: numbers to 15 significant digits, fixed or
    scientific notation as R chooses (the shorter; fixed on a tie).

    Examples
    --------
    >>> [r_character(v) for v in (1.0, 0.5, 1e-4, 1e5, 123456.0, 0.1 + 0.2, True)]
    ['1', '0.5', '1e-04', '1e+05', '123456', '0.3', 'TRUE']
    """
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if not isinstance(value, (float, np.floating)):
        return str(value)
    v = float(value)
    if math.isnan(v):
        return "NA"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    if v == 0:
        return "0"
    mantissa, exponent = f"{v:.14e}".split("e")
    nsig = max(1, len(mantissa.lstrip("-").replace(".", "").rstrip("0")))
    kp = int(exponent)
    rgt = max(0, nsig - kp - 1)  # digits right of the point in fixed notation
    width_fixed = max(1, kp + 1) + rgt + (rgt > 0)
    width_sci = (nsig - 1) + (nsig > 1) + 4 + (1 if -99 < kp < 100 else 2)
    return f"{v:.{rgt}f}" if width_fixed <= width_sci else f"{v:.{nsig - 1}e}"


def _dedupe(labels: list[str], codes: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Merge equal labels (the first keeps its place), as ``factor()`` does."""
    pos: dict[str, int] = {}
    remap = np.array([pos.setdefault(lab, len(pos)) for lab in labels], dtype=np.int64)
    if len(pos) == len(labels):
        return list(labels), codes
    return list(pos), np.where(codes >= 0, remap[np.clip(codes, 0, None)], -1)


def _factor_parts(x: Any) -> tuple[list[str], np.ndarray]:
    """R's ``as.factor(x)``: level labels in R's order and 0-based codes (-1 = NA).

    A categorical keeps its categories (unused ones too); numbers sort numerically and are
    labelled as ``as.character`` prints them; text sorts as Aurora's data frames do.
    """
    if _is_factor(x):
        cat = x.cat if isinstance(x, pd.Series) else x
        labels = [r_character(c) for c in cat.categories]
        return _dedupe(labels, np.asarray(cat.codes, dtype=np.int64))
    arr = x.to_numpy() if isinstance(x, pd.Series) else np.asarray(x)
    codes, uniques = pd.factorize(arr.ravel())
    uniques = np.asarray(uniques)
    if uniques.size == 0:
        return [], codes.astype(np.int64)
    if uniques.dtype.kind in "biuf":
        order = np.argsort(uniques, kind="stable")
    else:
        try:
            order = np.array(sorted(range(uniques.size), key=lambda i: uniques[i]))
        except TypeError:
            order = np.array(sorted(range(uniques.size), key=lambda i: str(uniques[i])))
    rank = np.empty(uniques.size, dtype=np.int64)
    rank[order] = np.arange(uniques.size)
    labels = [r_character(uniques[i]) for i in order]
    return _dedupe(labels, np.where(codes >= 0, rank[np.clip(codes, 0, None)], -1))


def _encode(x: Any, levels: Sequence[str], what: str, unseen: str = "raise") -> np.ndarray:
    """Codes of ``x`` in the training ``levels``; an unseen value raises or becomes NA."""
    labels, codes = _factor_parts(x)
    pos = {lab: i for i, lab in enumerate(levels)}
    remap = np.array([pos.get(lab, -1) for lab in labels] + [-1], dtype=np.int64)
    new = remap[np.where(codes >= 0, codes, len(labels))]
    if unseen == "raise" and np.any((codes >= 0) & (new < 0)):
        bad = labels[int(codes[(codes >= 0) & (new < 0)][0])]
        name = _var_name(x)
        raise FactorLevelError(
            f"{what}: {name!r} has the value {bad!r} in the new data, which is not one of "
            f"the levels the model was fitted with",
            f"drop or recode those rows; the model's levels are {', '.join(map(repr, levels))}")
    return new


def _restrict(codes: np.ndarray, declared: Sequence[str], kept: Sequence[str],
              what: str, name: str) -> np.ndarray:
    """Codes over ``declared`` levels to codes over the ``kept`` ones; a row in a declared
    level the training data never used raises, as R's ``predict`` does."""
    pos = {lab: i for i, lab in enumerate(kept)}
    remap = np.array([pos.get(lab, -1) for lab in declared] + [-1], dtype=np.int64)
    new = remap[np.where(codes >= 0, codes, len(declared))]
    if np.any((codes >= 0) & (new < 0)):
        bad = declared[int(codes[(codes >= 0) & (new < 0)][0])]
        raise FactorLevelError(
            f"{what}: {name!r} falls in level {bad!r} in the new data, a level no training "
            "row had (it was dropped from the model, as glm drops unused levels)",
            f"predict only where the training data had levels {', '.join(map(repr, kept))}")
    return new


def _drop_unused(codes: np.ndarray, levels: list[str]) -> tuple[np.ndarray, list[str]]:
    used = np.zeros(len(levels), dtype=bool)
    used[codes[codes >= 0]] = True
    if used.all():
        return codes, levels
    new_pos = np.cumsum(used) - 1
    return (np.where(codes >= 0, new_pos[np.clip(codes, 0, None)], -1),
            [lab for lab, u in zip(levels, used) if u])


def _categorical(codes: np.ndarray, levels: Sequence[str], like: Any) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(levels)), index=_index(like))


def _factor_state(x: Any, codes: np.ndarray, levels: list[str], declared: list[str] | None,
                  _state: dict, _context: Any) -> pd.Series:
    """Record the levels on the training data (dropping unused ones inside a model formula,
    as glm's model.frame does) and return the factor."""
    if _context is not None:
        codes, levels = _drop_unused(codes, levels)
    _state["levels"] = list(levels)
    if declared is not None:
        _state["declared"] = list(declared)
    return _categorical(codes, levels, x)


def _replay_factor(x: Any, _state: dict, what: str) -> pd.Series:
    kept = _state["levels"]
    declared = _state.get("declared")
    if declared is None:
        return _categorical(_encode(x, kept, what), kept, x)
    codes = _encode(x, declared, what, unseen="na")  # R: values outside `levels` are NA
    return _categorical(_restrict(codes, declared, kept, what, _var_name(x)), kept, x)


@stateful_transform
def factor(  # pylint: disable=dangerous-default-value  # always replaced by stateful_transform
    x: Any, levels: Sequence[Any] | None = None, _state: dict = {}, _context: Any = None,
) -> pd.Series:
    """R's ``factor(x, levels)``: a categorical Series with R's levels.

    Without ``levels``: the sorted distinct values (numbers labelled as R prints them:
    ``1``, ``0.5``, ``1e-04``); a categorical keeps its order, unused levels dropped.
    With ``levels``: values outside them are NaN, as in R. The training levels are kept;
    an unseen value in new data raises :class:`~aurora.errors.FactorLevelError`.

    Examples
    --------
    >>> factor([2.0, 0.5, 1.0]).cat.categories.tolist()
    ['0.5', '1', '2']
    """
    if "levels" in _state:
        return _replay_factor(x, _state, "factor()")
    if levels is not None:
        declared, _ = _dedupe([r_character(v) for v in np.asarray(levels).ravel().tolist()],
                              np.zeros(0, dtype=np.int64))
        codes = _encode(x, declared, "factor()", unseen="na")
        return _factor_state(x, codes, declared, declared, _state, _context)
    labels, codes = _factor_parts(x)
    if _is_factor(x):
        codes, labels = _drop_unused(codes, labels)
    return _factor_state(x, codes, labels, None, _state, _context)


@stateful_transform
def as_factor(  # pylint: disable=dangerous-default-value  # always replaced
    x: Any, _state: dict = {}, _context: Any = None,
) -> pd.Series:
    """R's ``as.factor(x)`` (a categorical is returned with all its levels)."""
    if "levels" in _state:
        return _replay_factor(x, _state, "as.factor()")
    labels, codes = _factor_parts(x)
    return _factor_state(x, codes, labels, None, _state, _context)


@stateful_transform
def relevel(  # pylint: disable=dangerous-default-value  # always replaced
    f: Any, ref: Any, _state: dict = {}, _context: Any = None,
) -> pd.Series:
    """R's ``relevel(f, ref)``: level ``ref`` first, the others in their order.

    ``ref`` is a level's label, or (as in R) a number meaning its 1-based position.
    Raises :class:`~aurora.errors.DataError` naming the valid levels if ``ref`` is not one.

    Examples
    --------
    >>> relevel(pd.Categorical(["b", "a", "c"]), "c").cat.categories.tolist()
    ['c', 'a', 'b']
    """
    if "levels" in _state:
        return _replay_factor(f, _state, "relevel()")
    name = _var_name(f, "f")
    labels, codes = _factor_parts(f)
    shown = ", ".join(map(repr, labels))
    if isinstance(ref, (int, float, np.integer, np.floating)) and not isinstance(ref, bool):
        hint = (f"; for the level named {r_character(ref)!r} write ref={r_character(ref)!r}"
                if r_character(ref) in labels else "")
        if float(ref) != int(ref) or not 1 <= int(ref) <= len(labels):
            raise DataError(f"relevel(): ref = {ref} is read as a position (as R does) and must "
                            f"be in 1..{len(labels)}{hint}",
                            f"give the reference level as a string, one of: {shown}")
        k = int(ref) - 1
    elif str(ref) in labels:
        k = labels.index(str(ref))
    else:
        raise DataError(f"relevel(): {ref!r} is not a level of {name!r}",
                        f"use one of its levels: {shown}")
    order = [k] + [i for i in range(len(labels)) if i != k]
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    new = np.where(codes >= 0, rank[np.clip(codes, 0, None)], -1) if labels else codes
    return _factor_state(f, new, [labels[i] for i in order], None, _state, _context)


@stateful_transform
def as_numeric(  # pylint: disable=dangerous-default-value  # always replaced
    x: Any, _state: dict = {},
) -> np.ndarray:
    """R's ``as.numeric``: a factor's level codes 1..k (training levels kept for new data),
    numbers as they are, text parsed as numbers (NaN where it is not one, as R's NA)."""
    if "levels" in _state:
        codes = _encode(x, _state["levels"], "as.numeric()")
    elif _is_factor(x):
        labels, codes = _factor_parts(x)
        _state["levels"] = labels
    else:
        arr = x.to_numpy() if isinstance(x, pd.Series) else np.asarray(x)
        if arr.dtype.kind in "biuf":
            return arr.astype(float)
        return pd.to_numeric(pd.Series(arr.ravel()), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
    return np.where(codes >= 0, codes + 1.0, np.nan)


# --------------------------------------------------------------------------------------------
# cut, interaction, scale
# --------------------------------------------------------------------------------------------
def _cut_breaks(xv: np.ndarray, breaks: Any, name: str) -> np.ndarray:
    """The cut points ``cut.default`` uses: given ones sorted, or ``breaks`` equal-width
    intervals over the range of x, widened by 1/1000 of it at both ends."""
    try:
        b = np.asarray(breaks, dtype=float).ravel()
    except (TypeError, ValueError):
        raise DataError(f"cut(): breaks must be numbers, not {breaks!r}",
                        "give the number of intervals or a list of cut points") from None
    if b.size == 1:
        if np.isnan(b[0]) or b[0] < 2:
            raise DataError(f"cut(): breaks = {breaks!r} asks for fewer than two intervals",
                            "give the number of intervals (2 or more) or at least two cut points")
        nb = int(b[0] + 1)
        finite = xv[~np.isnan(xv)]
        if finite.size == 0:
            raise DataError(f"cut(): {name!r} has no non-missing values to take a range from",
                            "give the cut points explicitly")
        lo, hi = float(finite.min()), float(finite.max())
        dx = hi - lo
        if dx == 0:
            dx = abs(lo) if lo != 0 else 1.0
            return _seq(lo - dx / 1000, hi + dx / 1000, nb)
        out = _seq(lo, hi, nb)
        out[0], out[-1] = lo - dx / 1000, hi + dx / 1000
        return out
    if b.size < 2:
        raise DataError("cut(): breaks is empty; at least two cut points are needed",
                        "give the number of intervals (2 or more) or at least two cut points")
    out = np.sort(b)
    if np.any(np.diff(out) == 0):
        raise DataError(f"cut(): the cut points are not unique: {out.tolist()}",
                        "remove the repeated cut points")
    return out


def _cut_labels(br: np.ndarray, right: bool, include_lowest: bool, dig_lab: int) -> list[str]:
    """Interval labels as ``cut.default`` writes them: ``formatC(breaks, digits = d)`` with
    d raised from ``dig_lab`` (up to 12) until neighbouring cut points differ."""
    nb = len(br)
    for dig in range(int(dig_lab), max(12, int(dig_lab)) + 1):
        ch = [f"{0 + float(v):.{dig}g}" for v in br]
        ok = all(ch[i] != ch[i + 1] for i in range(nb - 1))
        if ok:
            break
    if not ok:
        return [f"Range_{i}" for i in range(1, nb)]
    left, close = ("(", "]") if right else ("[", ")")
    labels = [f"{left}{ch[i]},{ch[i + 1]}{close}" for i in range(nb - 1)]
    if include_lowest:
        if right:
            labels[0] = "[" + labels[0][1:]
        else:
            labels[-1] = labels[-1][:-1] + "]"
    return labels


def _bincode(xv: np.ndarray, br: np.ndarray, right: bool, include_lowest: bool) -> np.ndarray:
    """R's ``.bincode``: 0-based interval of each x, -1 outside the breaks or NaN."""
    nb = len(br)
    code = np.searchsorted(br, xv, side="left" if right else "right") - 1
    if include_lowest:
        if right:
            code = np.where(xv == br[0], 0, code)
        else:
            code = np.where(xv == br[-1], nb - 2, code)
    return np.where((code >= 0) & (code <= nb - 2) & ~np.isnan(xv), code, -1).astype(np.int64)


@stateful_transform
def cut(  # pylint: disable=dangerous-default-value  # always replaced by stateful_transform
    x: Any, breaks: Any, labels: Any = None, right: bool = True, include_lowest: bool = False,
    dig_lab: int = 3, _state: dict = {}, _context: Any = None,
) -> pd.Series | np.ndarray:
    """R's ``cut(x, breaks)``: a categorical Series of intervals, in R's order and labels.

    Parameters
    ----------
    x : array-like of float
    breaks : int or sequence of float
        A number of intervals (equal width over the range of x, widened by 0.1%) or the
        cut points.
    labels : None, False or sequence of str
        None: R's labels (``"(0,10]"``); False: integer codes 1..k (floats, NaN outside).
    right, include_lowest, dig_lab
        As in R.

    Returns
    -------
    Series (categorical) with every interval as a level, or the codes; values outside the
    breaks are NaN. The breaks are kept, so new data fall in the training intervals (R's
    own ``predict`` would recompute ``breaks = k`` from the new data).

    Examples
    --------
    >>> cut([1.0, 5.0, 12.0, 20.0], [0, 10, 20]).tolist()
    ['(0,10]', '(0,10]', '(10,20]', '(10,20]']
    """
    xv = _vector(x, "cut")
    if "breaks" not in _state:
        br = _cut_breaks(xv, breaks, _var_name(x))
        if labels is None:
            made: list[str] | None = _cut_labels(br, right, include_lowest, dig_lab)
        elif labels is False:
            made = None
        else:
            made = [str(v) for v in labels]
            if len(made) != len(br) - 1:
                raise DataError(f"cut(): {len(made)} labels for {len(br) - 1} intervals",
                                f"give {len(br) - 1} labels, or labels=None for R's own")
        _state.update(breaks=br.tolist(), right=bool(right),
                      include_lowest=bool(include_lowest), labels=made)
    br = np.asarray(_state["breaks"], dtype=float)
    code = _bincode(xv, br, _state["right"], _state["include_lowest"])
    if _state["labels"] is None:
        return np.where(code >= 0, code + 1.0, np.nan)
    declared, code = _dedupe(list(_state["labels"]), code)
    if "levels" in _state:
        kept = _state["levels"]
        return _categorical(_restrict(code, declared, kept, "cut()", _var_name(x)), kept, x)
    return _factor_state(x, code, declared, None, _state, _context)


def _combine(codes: list[np.ndarray], sizes: list[int], lex_order: bool) -> np.ndarray:
    """One code per row over all combinations (R's order), -1 where any factor is NA."""
    order = range(len(codes)) if lex_order else range(len(codes) - 1, -1, -1)
    full = np.zeros(len(codes[0]), dtype=np.int64)
    for i in order:
        full = full * sizes[i] + codes[i]
    return np.where(np.all([c >= 0 for c in codes], axis=0), full, -1)


def _combo_label(k: int, levels: list[list[str]], sep: str, lex_order: bool) -> str:
    parts = [""] * len(levels)
    order = range(len(levels) - 1, -1, -1) if lex_order else range(len(levels))
    for i in order:
        k, r = divmod(k, len(levels[i]))
        parts[i] = levels[i][r]
    return sep.join(parts)


@stateful_transform
def interaction(  # pylint: disable=dangerous-default-value  # always replaced
    *factors: Any, sep: str = ".", lex_order: bool = False, drop: bool = False,
    _state: dict = {}, _context: Any = None,
) -> pd.Series:
    """R's ``interaction(a, b, ...)``: one factor whose levels are the combinations.

    Levels are labelled ``"a.b"``; the first factor varies fastest (``lex_order=False``).
    With ``drop=False`` every combination is a level, as in R (inside a model formula the
    unused ones are dropped, as glm does). Unseen combinations in new data raise
    :class:`~aurora.errors.FactorLevelError`.

    Examples
    --------
    >>> interaction(["x", "y"], ["p", "q"]).cat.categories.tolist()
    ['x.p', 'y.p', 'x.q', 'y.q']
    """
    if not factors:
        raise DataError("interaction() needs at least one factor", "interaction(a, b)")
    if "factor_levels" in _state:
        per = [list(lv) for lv in _state["factor_levels"]]
        codes = [_encode(f, lv, "interaction()") for f, lv in zip(factors, per)]
    else:
        parts = [_factor_parts(f) for f in factors]
        if drop:
            parts = [_drop_unused(c, lv)[::-1] for lv, c in parts]
        per = [lv for lv, _ in parts]
        codes = [c for _, c in parts]
        if len({len(c) for c in codes}) != 1:
            raise DataError("interaction(): the factors have different lengths",
                            "give factors of the same length")
    sizes = [len(lv) for lv in per]
    full = _combine(codes, sizes, lex_order)
    present = np.unique(full[full >= 0])
    if "levels" in _state:
        kept = _state["levels"]
        pos = {lab: i for i, lab in enumerate(kept)}
        mapped = []
        for k in present.tolist():
            label = _combo_label(k, per, sep, lex_order)
            if label not in pos:
                raise FactorLevelError(
                    f"interaction(): the combination {label!r} occurs in the new data but "
                    "not in the training data", f"predict only for combinations among "
                    f"{', '.join(map(repr, kept[:20]))}{', ...' if len(kept) > 20 else ''}")
            mapped.append(pos[label])
        code = np.full(full.shape, -1, dtype=np.int64)
        if present.size:
            code[full >= 0] = np.asarray(mapped)[np.searchsorted(present, full[full >= 0])]
        return _categorical(code, kept, factors[0])
    total = math.prod(sizes)
    if (drop or _context is not None) and total > _BIG_PRODUCT:
        indices = present  # too many to list: label only the combinations that occur
    else:
        indices = np.arange(total)
    labels = [_combo_label(k, per, sep, lex_order) for k in indices.tolist()]
    levels, remap = _dedupe(labels, np.arange(len(labels), dtype=np.int64))
    code = np.full(full.shape, -1, dtype=np.int64)
    ok = full >= 0
    code[ok] = remap[np.searchsorted(indices, full[ok])]
    if drop:
        code, levels = _drop_unused(code, levels)
    _state["factor_levels"] = per
    return _factor_state(factors[0], code, levels, None, _state, _context)


@stateful_transform
def scale(  # pylint: disable=dangerous-default-value  # always replaced by stateful_transform
    x: Any, center: bool | float = True, scale: bool | float = True, _state: dict = {},
) -> np.ndarray:
    """R's ``scale(x)`` of one variable: ``(x - center) / scale``.

    ``center=True`` is the mean, ``scale=True`` the root mean square of the centred values
    with divisor n - 1 (the standard deviation when centred); numbers are used as given.
    The centre and scale are kept for new data (R's ``makepredictcall``).

    Examples
    --------
    >>> scale([1.0, 2.0, 3.0]).tolist()
    [-1.0, 0.0, 1.0]
    """
    xv = _numeric(x, "scale")
    if "center" not in _state:
        ok = xv[~np.isnan(xv)].ravel()
        if isinstance(center, (bool, np.bool_)):
            c = math.fsum(ok) / ok.size if center and ok.size else None
        else:
            c = float(np.asarray(center, dtype=float).item())
        v = ok - c if c is not None else ok
        if isinstance(scale, (bool, np.bool_)):
            s = math.sqrt(math.fsum(v * v) / max(1, v.size - 1)) if scale else None
        else:
            s = float(np.asarray(scale, dtype=float).item())
        _state.update(center=c, scale=s)
    out = xv
    if _state["center"] is not None:
        out = out - _state["center"]
    if _state["scale"] is not None:
        out = out / _state["scale"]
    return out


# --------------------------------------------------------------------------------------------
# Elementwise functions: R's values, no NumPy warnings (R's NaN warnings are not repeated)
# --------------------------------------------------------------------------------------------
def _elementwise(fn: Any, x: Any, fname: str) -> np.ndarray | float:
    v = _numeric(x, fname)
    with np.errstate(all="ignore"):
        out = fn(v)
    return float(out) if np.ndim(out) == 0 else out


def log(x: Any, base: float = math.e) -> np.ndarray | float:
    """R's ``log(x, base)``: NaN below 0, -Inf at 0."""
    if base == math.e:
        return _elementwise(np.log, x, "log")
    if base == 10:
        return _elementwise(np.log10, x, "log")
    if base == 2:
        return _elementwise(np.log2, x, "log")
    with np.errstate(all="ignore"):
        return _elementwise(lambda v: np.log(v) / np.log(float(base)), x, "log")


def log1p(x: Any) -> np.ndarray | float:
    """R's ``log1p``."""
    return _elementwise(np.log1p, x, "log1p")


def expm1(x: Any) -> np.ndarray | float:
    """R's ``expm1``."""
    return _elementwise(np.expm1, x, "expm1")


def sqrt(x: Any) -> np.ndarray | float:
    """R's ``sqrt`` (NaN below 0)."""
    return _elementwise(np.sqrt, x, "sqrt")


def exp(x: Any) -> np.ndarray | float:
    """R's ``exp``."""
    return _elementwise(np.exp, x, "exp")


def r_abs(x: Any) -> np.ndarray | float:
    """R's ``abs`` (``R_FUNCTIONS["abs"]``)."""
    return _elementwise(np.abs, x, "abs")


def sin(x: Any) -> np.ndarray | float:
    """R's ``sin``."""
    return _elementwise(np.sin, x, "sin")


def cos(x: Any) -> np.ndarray | float:
    """R's ``cos``."""
    return _elementwise(np.cos, x, "cos")


def _parallel(fn: Any, args: tuple[Any, ...], fname: str) -> np.ndarray | float:
    if not args:
        raise DataError(f"{fname}() needs at least one argument", f"{fname}(x, 0)")
    vals = [_numeric(a, fname) for a in args]
    out = vals[0]
    for v in vals[1:]:
        out = fn(out, v)  # NaN propagates, as R's default na.rm = FALSE
    return float(out) if np.ndim(out) == 0 else out


def pmin(*args: Any) -> np.ndarray | float:
    """R's ``pmin``: elementwise minimum; NaN if any argument is NaN."""
    return _parallel(np.minimum, args, "pmin")


def pmax(*args: Any) -> np.ndarray | float:
    """R's ``pmax``: elementwise maximum; NaN if any argument is NaN."""
    return _parallel(np.maximum, args, "pmax")


def ifelse(test: Any, yes: Any, no: Any) -> np.ndarray:
    """R's ``ifelse``: ``yes`` where test is true, ``no`` where false, NaN where test is NA."""
    t = test.to_numpy() if isinstance(test, pd.Series) else np.asarray(test)
    na = np.asarray(pd.isna(t))
    tb = np.where(na, False, t).astype(bool)
    y = yes.to_numpy() if isinstance(yes, pd.Series) else np.asarray(yes)
    n = no.to_numpy() if isinstance(no, pd.Series) else np.asarray(no)
    out = np.where(tb, y, n)
    if na.any():
        out = out.astype(float) if out.dtype.kind in "biuf" else out.astype(object)
        out[na] = np.nan
    return out


def c(*args: Any) -> np.ndarray:
    """R's ``c()``: the arguments as one vector (for ``knots = c(4, 6)``, ``breaks = c(...)``)."""
    return np.concatenate([np.atleast_1d(np.asarray(a)).ravel() for a in args]) if args else \
        np.zeros(0)


R_FUNCTIONS: dict[str, Any] = {
    "ns": ns, "bs": bs, "cut": cut, "interaction": interaction, "scale": scale,
    "factor": factor, "as_factor": as_factor, "relevel": relevel, "as_numeric": as_numeric,
    "log": log, "log1p": log1p, "expm1": expm1, "sqrt": sqrt, "exp": exp, "abs": r_abs,
    "sin": sin, "cos": cos, "pmin": pmin, "pmax": pmax, "ifelse": ifelse, "c": c,
}
"""Python-safe name -> function: pass as formulaic's ``context`` (formulaic's own ``I``,
``C`` and ``poly`` stay available beneath it)."""

KNOWN_FUNCTIONS: tuple[str, ...] = (
    "ns", "bs", "cut", "interaction", "scale", "factor", "as.factor", "relevel", "as.numeric",
    "log", "log1p", "expm1", "sqrt", "exp", "abs", "sin", "cos", "pmin", "pmax", "ifelse", "c",
    "I", "C", "poly", "offset",
)
"""The R spellings of the functions a formula may call (for error messages)."""
