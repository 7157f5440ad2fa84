"""Simple random effects as smooths, mgcv's ``bs = "re"``.

``s(g, bs = "re")`` is a random intercept per level of the factor ``g``, ``s(x, g, bs =
"re")`` a random slope of ``x`` per level of ``g``: the columns are R's
``model.matrix(~ g - 1)`` / ``model.matrix(~ x:g - 1)`` (the variables' interaction, each
factor coded by one indicator per level, the first variable varying fastest), the penalty
is the identity (i.i.d. normal coefficients, variance ``scale / sp``) and there is no
identifiability constraint. ``k`` is ignored: the dimension comes from the data.

References: Wood (2017) *Generalized Additive Models*, 2nd ed., section 5.8; mgcv's
``smooth.construct.re.smooth.spec`` and ``Predict.matrix.random.effect`` (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> g = np.array(["a", "b", "a", "c"], dtype=object)
>>> raw = RandomEffect("re").construct(Smooth("s", ("g",), bs="re"), {"g": g})
>>> raw.X.tolist()
[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
>>> raw.state["columns"]
['ga', 'gb', 'gc']
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from aurora.errors import FactorLevelError, ModelSpecError
from aurora.smooths.base import (RawBasis, data_column, is_factor_like, register_basis,
                                 smooth_label)

__all__ = ["RandomEffect", "factor_levels"]


def _level_text(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def factor_levels(values: Any) -> list[str]:
    """R's levels of a factor-like column: a categorical's categories in order, otherwise
    the sorted distinct non-missing values (``FALSE``/``TRUE`` for logicals)."""
    cats = getattr(getattr(values, "cat", None), "categories", None)
    if cats is None:
        cats = getattr(values, "categories", None)
    if cats is not None:
        return [_level_text(c) for c in cats]
    arr = np.asarray(values, dtype=object).reshape(-1)
    present = [v for v in arr if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return [_level_text(v) for v in sorted(set(present))]


def _factor_codes(values: Any, levels: list[str], name: str) -> np.ndarray:
    """0-based level codes, -1 where missing; an unseen level is refused."""
    arr = pd.Series(np.asarray(values, dtype=object).reshape(-1), dtype=object)
    missing = arr.isna().to_numpy()
    index = {lev: i for i, lev in enumerate(levels)}
    codes = np.full(len(arr), -1, dtype=int)
    present = arr[~missing]
    inverse, uniques = pd.factorize(present)
    mapped = np.array([index.get(_level_text(u), -1) for u in uniques], dtype=int)
    unseen = sorted({_level_text(u) for u, c in zip(uniques, mapped) if c < 0})
    if unseen:
        raise FactorLevelError(
            f"new data hold level(s) {unseen} of {name} that the model never saw",
            f"use only the levels {levels}")
    codes[~missing] = mapped[inverse] if len(uniques) else codes[~missing]
    return codes


def _design(variables: list[str], levels: Mapping[str, list[str] | None],
            data: Mapping[str, Any]) -> np.ndarray:
    """``model.matrix(~ v1:v2:... - 1)`` with every factor as indicators; non-finite
    entries set to 0 (mgcv's ``Predict.matrix.random.effect``)."""
    cols: list[np.ndarray] | None = None
    for var in variables:
        values = data_column(data, var)
        levs = levels[var]
        if levs is None:
            new = [np.asarray(values, dtype=float).reshape(-1)]
        else:
            codes = _factor_codes(values, levs, var)
            new = [(codes == i).astype(float) for i in range(len(levs))]
        cols = new if cols is None else [c1 * c2 for c2 in new for c1 in cols]
    X = np.column_stack(cols) if cols else np.zeros((0, 0))
    X[~np.isfinite(X)] = 0.0
    return X


def _column_names(variables: list[str], levels: Mapping[str, list[str] | None]) -> list[str]:
    names: list[str] | None = None
    for var in variables:
        levs = levels[var]
        new = [var] if levs is None else [f"{var}{lev}" for lev in levs]
        names = new if names is None else [f"{a}:{b}" for b in new for a in names]
    return names or []


@register_basis("re")
class RandomEffect:
    """mgcv's ``re``: indicator (or interaction) columns, identity penalty, no constraint."""

    k_too_large = "ignored"

    def __init__(self, name: str) -> None:
        self.name = name

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        if term.id is not None:
            raise ModelSpecError(f"{smooth_label(term)}: random effects don't work with ids")
        variables = list(term.variables)
        levels: dict[str, list[str] | None] = {}
        for var in variables:
            values = data_column(data, var)
            levels[var] = factor_levels(values) if is_factor_like(values) else None
        X = _design(variables, levels, data)
        p = X.shape[1]
        penalties = () if term.fx else (np.eye(p),)
        state = {"term": variables, "levels": levels, "bs_dim": p,
                 "columns": _column_names(variables, levels)}
        return RawBasis(X=X, penalties=penalties, null_space_dim=0, rank=(p,), state=state,
                        constraint=np.zeros((0, p)))

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        return _design(list(state["term"]), state["levels"], data)
