"""Reading the arguments of R's formula functions: numbers, factors, names and indexes.

Shared by every module of :mod:`aurora.compile.rfunctions`; a factor or text where a
number is needed raises :class:`~aurora.errors.DataError`, naming the variable.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import DataError


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
