"""R's elementwise functions in formulas: ``log``, ``sqrt``, ``pmin``, ``ifelse``, ``c``...

They keep no state; they return R's values without NumPy warnings (``log(-1)`` is NaN,
``log(0)`` is -Inf; R's own NaN warnings are not repeated).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from aurora.compile.rfunctions._inputs import _numeric
from aurora.errors import DataError

__all__ = ["log", "log1p", "expm1", "sqrt", "exp", "r_abs", "sin", "cos", "pmin", "pmax",
           "ifelse", "c"]


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
