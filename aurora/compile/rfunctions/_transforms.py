"""``cut``, ``interaction`` and ``scale``: R's data-dependent transforms of one or more
variables, as formulaic stateful transforms.

The breaks, combination levels, centre and scale learnt on the training data are kept in
``_state`` and replayed on new data.

References: R 4.2 ``base::cut.default`` (and ``.bincode``), ``base::interaction``,
``base::scale.default``, ``base::seq.int``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from formulaic.utils.stateful_transforms import stateful_transform

from aurora.compile.rfunctions._factors import (
    _categorical, _dedupe, _drop_unused, _encode, _factor_parts, _factor_state, _restrict,
)
from aurora.compile.rfunctions._inputs import _numeric, _var_name, _vector
from aurora.errors import DataError, FactorLevelError

__all__ = ["cut", "interaction", "scale"]

_BIG_PRODUCT = 2_000_000  # interaction(): enumerate every combination's label up to this many


def _seq(start: float, end: float, n: int) -> np.ndarray:
    """``seq.int(start, end, length.out = n)`` (R 4.2: start + i * by, the end exact)."""
    out = start + np.arange(n) * ((end - start) / (n - 1)) if n > 1 else np.array([start])
    out[-1] = end
    return out


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
