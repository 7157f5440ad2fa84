"""R's factors: ``factor``, ``as_factor``, ``relevel``, ``as_numeric`` and R's labels.

Levels are labelled as ``as.character`` prints them (:func:`r_character`) and sorted in
R's order; the helpers here (encoding new data in the training levels, dropping unused
levels inside a model formula) serve ``cut`` and ``interaction`` too.

References: R 4.2 ``base::factor``, ``base::as.character``, ``stats::relevel``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from formulaic.utils.stateful_transforms import stateful_transform

from aurora.compile.rfunctions._inputs import _index, _is_factor, _var_name
from aurora.errors import DataError, FactorLevelError

__all__ = ["r_character", "factor", "as_factor", "relevel", "as_numeric"]


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
