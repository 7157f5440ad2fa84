"""Turn user data into the frame the compiler reads: columns checked, factors typed,
incomplete rows handled as R's ``na.action`` does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from aurora.errors import DataError, MissingDataError, UnknownVariableError

__all__ = ["as_frame", "FrameInfo", "prepare_frame", "NA_ACTIONS", "factor_levels"]

NA_ACTIONS = ("omit", "raise")


@dataclass(frozen=True)
class FrameInfo:
    """What the compiler did to the rows.

    Attributes
    ----------
    n_input : int
        Rows in the data as given.
    n_omitted : int
        Rows dropped for missing or non-finite values (R's ``na.omit``).
    omitted_index : tuple
        Labels of the dropped rows.
    """

    n_input: int
    n_omitted: int
    omitted_index: tuple[Any, ...] = ()


def as_frame(data: Any) -> pd.DataFrame:
    """Accept a pandas DataFrame, a dict of columns or a structured array."""
    if isinstance(data, pd.DataFrame):
        return data
    if data is None:
        raise DataError("no data given", "pass data=<pandas DataFrame>")
    try:
        return pd.DataFrame(data)
    except Exception as exc:  # pragma: no cover - pandas decides
        raise DataError(f"cannot use data of type {type(data).__name__}",
                        "pass a pandas DataFrame or a dict of equal-length columns") from exc


def _is_factor(col: pd.Series) -> bool:
    return isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or \
        pd.api.types.is_string_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)


def _to_factor(col: pd.Series) -> pd.Series:
    """R's factor(): categorical with sorted levels; logicals become FALSE/TRUE."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.remove_unused_categories() if col.notna().all() else col
    if pd.api.types.is_bool_dtype(col.dtype):
        return pd.Series(pd.Categorical(col.map({False: "FALSE", True: "TRUE"}),
                                        categories=["FALSE", "TRUE"]), index=col.index, name=col.name)
    values = col.dropna().unique()
    try:
        levels = sorted(values)
    except TypeError:
        levels = sorted(values, key=str)
    return pd.Series(pd.Categorical(col, categories=levels), index=col.index, name=col.name)


def _bad_mask(col: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        return ~np.isfinite(vals)
    return col.isna().to_numpy()


def prepare_frame(
    data: pd.DataFrame,
    variables: Iterable[str],
    extra: dict[str, np.ndarray] | None = None,
    na_action: str = "omit",
    factors: Iterable[str] = (),
) -> tuple[pd.DataFrame, np.ndarray, FrameInfo]:
    """Select, check and clean the columns a model uses.

    Parameters
    ----------
    data : DataFrame
    variables : iterable of str
        Columns the formula reads.
    extra : dict, optional
        Arrays that travel with the rows (weights, offsets), checked for NaN too.
    na_action : {"omit", "raise"}
    factors : iterable of str
        Columns to treat as factors whatever their dtype (grouping variables).

    Returns
    -------
    frame : DataFrame
        The used columns of the complete rows; factors as ``Categorical``.
    keep : ndarray of bool
        Which input rows were kept.
    info : FrameInfo
    """
    if na_action not in NA_ACTIONS:
        raise DataError(f"na_action must be one of {NA_ACTIONS}, not {na_action!r}")
    variables = list(dict.fromkeys(variables))
    missing = [v for v in variables if v not in data.columns]
    if missing:
        err = UnknownVariableError(missing[0], [str(c) for c in data.columns])
        err.names = tuple(missing)
        raise err
    # Build the frame column by column: no copy of numeric data, no block consolidation
    # (both cost seconds at a million rows); the user's frame is never modified.
    factors = set(factors)
    columns = {}
    for name in variables:
        col = data[name]
        columns[name] = _to_factor(col) if (name in factors or _is_factor(col)) else col
    frame = pd.DataFrame(columns, index=data.index, copy=False) if variables else \
        pd.DataFrame(index=data.index)
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    problems = []
    for name in frame.columns:
        m = _bad_mask(frame[name])
        if m.any():
            problems.append(f"{name!r} ({int(m.sum())} rows)")
        bad |= m
    for name, arr in (extra or {}).items():
        arr = np.asarray(arr, dtype=float)
        if arr.shape[0] != n:
            raise DataError(f"{name} has length {arr.shape[0]} but the data has {n} rows",
                            f"give {name} one value per row of the data")
        m = ~np.isfinite(arr)
        if m.any():
            problems.append(f"{name} ({int(m.sum())} rows)")
        bad |= m
    if bad.any() and na_action == "raise":
        raise MissingDataError(
            "missing or non-finite values in " + ", ".join(problems),
            "clean the data, or use na_action='omit' to drop incomplete rows as R does",
        )
    keep = ~bad
    omitted = tuple(frame.index[bad]) if bad.any() else ()
    if bad.any():
        frame = frame.loc[keep]
    if len(frame) == 0:
        raise DataError("no complete rows left to fit" if n else "the data has no rows",
                        "check the data for missing values in the formula's columns")
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].cat.remove_unused_categories()
    return frame, keep, FrameInfo(n, int(bad.sum()), omitted)


def factor_levels(frame: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Levels of every factor column, in order."""
    return {str(c): tuple(frame[c].cat.categories) for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)}
