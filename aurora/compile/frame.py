"""Turn user data into the frame the compiler reads: columns checked, factors typed,
incomplete rows handled as R's ``na.action`` does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from aurora.errors import DataError, MissingDataError, UnknownVariableError

__all__ = ["as_frame", "FrameInfo", "prepare_frame", "NA_ACTIONS", "factor_levels", "numeric_time",
           "refuse_infinite", "typed_columns"]

NA_ACTIONS = ("omit", "exclude", "raise")


@dataclass(frozen=True)
class FrameInfo:
    """What the compiler did to the rows.

    Attributes
    ----------
    n_input : int
        Rows in the data as given.
    n_omitted : int
        Rows dropped for missing values (R's ``na.omit``).
    omitted_index : tuple
        Labels of the dropped rows.
    na_action : {"omit", "exclude", "raise"}
    input_index : pandas.Index or None
        Row labels of the data as given (after ``subset``), for ``na.exclude`` padding.
    """

    n_input: int
    n_omitted: int
    omitted_index: tuple[Any, ...] = ()
    na_action: str = "omit"
    input_index: Any = None

    @property
    def exclude(self) -> bool:
        """Whether per-row results are padded with NaN at the omitted rows (``na.exclude``)."""
        return self.na_action == "exclude" and self.n_omitted > 0 and self.input_index is not None


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
    """Missing values: NaN/None/NaT (infinite values are refused separately, as R does)."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        return np.isnan(vals)
    return col.isna().to_numpy()


def _infinite_mask(col: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        m = np.isinf(vals)
        return m if m.any() else None
    return None


def _rows_text(index: pd.Index, mask: np.ndarray, limit: int = 6) -> str:
    labels = [repr(v) if isinstance(v, str) else str(v) for v in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def numeric_time(col: pd.Series) -> pd.Series:
    """Datetimes as seconds since 1970-01-01 UTC (R's ``POSIXct``; naive datetimes are
    taken as UTC) and timedeltas as seconds; other columns unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_time(pd.Series(pd.to_datetime(["1970-01-01 00:01:00"]))).tolist()
    [60.0]
    """
    dtype = col.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = col.dt.tz_convert("UTC").dt.tz_localize(None) if getattr(dtype, "tz", None) else col
        seconds = (values - pd.Timestamp("1970-01-01")).dt.total_seconds()
        return pd.Series(seconds.to_numpy(dtype=float), index=col.index, name=col.name)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return pd.Series(col.dt.total_seconds().to_numpy(dtype=float), index=col.index, name=col.name)
    return col


def refuse_infinite(name: str, values: Any, index: pd.Index) -> None:
    """Raise :class:`DataError` naming the rows where ``values`` is infinite (R refuses
    ``Inf`` in a model frame, while ``NaN`` is missing)."""
    arr = np.asarray(values, dtype=float)
    m = np.isinf(arr)
    if m.any():
        raise DataError(f"{name} has infinite values in {int(m.sum())} row(s): "
                        f"{_rows_text(index, m)}",
                        "replace Inf/-Inf by finite values, or by NaN to treat them as missing")


def typed_columns(data: pd.DataFrame, variables: list[str], factors: Iterable[str] = (),
                  logical: Iterable[str] = ()) -> pd.DataFrame:
    """The columns a model reads, typed as R's model frame types them: factors as
    ``Categorical``, datetimes as seconds, logicals read inside calls kept logical. Every
    row is kept (no copy of numeric data, no block consolidation: both cost seconds at a
    million rows; the user's frame is never modified)."""
    factors, logical = set(factors), set(logical)
    columns = {}
    for name in variables:
        col = numeric_time(data[name])
        if name in logical and name not in factors and pd.api.types.is_bool_dtype(col.dtype):
            columns[name] = col
            continue
        columns[name] = _to_factor(col) if (name in factors or _is_factor(col)) else col
    if not variables:
        return pd.DataFrame(index=data.index)
    return pd.DataFrame(columns, index=data.index, copy=False)


def prepare_frame(
    data: pd.DataFrame,
    variables: Iterable[str],
    extra: dict[str, np.ndarray] | None = None,
    na_action: str = "omit",
    factors: Iterable[str] = (),
    logical: Iterable[str] = (),
) -> tuple[pd.DataFrame, np.ndarray, FrameInfo]:
    """Select, check and clean the columns a model uses.

    Parameters
    ----------
    data : DataFrame
    variables : iterable of str
        Columns the formula reads.
    extra : dict, optional
        Arrays that travel with the rows (weights, offsets), checked for NaN too.
    na_action : {"omit", "exclude", "raise"}
        ``"exclude"`` drops rows as ``"omit"`` does; results pad them back with NaN.
    factors : iterable of str
        Columns to treat as factors whatever their dtype (grouping variables).
    logical : iterable of str
        Boolean columns to keep as booleans (read only inside calls such as
        ``as.numeric(flag)``, where R sees a logical, not the FALSE/TRUE factor a bare
        logical term becomes).

    Returns
    -------
    frame : DataFrame
        The used columns of the complete rows; factors as ``Categorical``.
    keep : ndarray of bool
        Which input rows were kept.
    info : FrameInfo
    """
    if na_action not in NA_ACTIONS:
        raise DataError(f"unknown na_action {na_action!r}",
                        f"use one of {', '.join(repr(a) for a in NA_ACTIONS)} "
                        "(R's na.omit, na.exclude, na.fail)")
    variables = list(dict.fromkeys(variables))
    missing = [v for v in variables if v not in data.columns]
    if missing:
        err = UnknownVariableError(missing[0], [str(c) for c in data.columns])
        err.names = tuple(missing)
        raise err
    frame = typed_columns(data, variables, factors, logical)
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    problems = []
    for name in frame.columns:
        if _infinite_mask(frame[name]) is not None:
            refuse_infinite(f"column {name!r}", frame[name].to_numpy(dtype=float, na_value=np.nan),
                            frame.index)
    for name, arr in (extra or {}).items():
        refuse_infinite(name, arr, frame.index)
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
        m = np.isnan(arr)
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
    return frame, keep, FrameInfo(n, int(bad.sum()), omitted, na_action, data.index)


def factor_levels(frame: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Levels of every factor column, in order."""
    return {str(c): tuple(frame[c].cat.categories) for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)}
