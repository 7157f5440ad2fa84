"""``ModelSpec``: everything needed to rebuild a model's matrices for new data."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aurora.compile.frame import as_frame
from aurora.errors import DataError, FactorLevelError, UnknownVariableError
from aurora.formula.ast import Formula

__all__ = ["ModelSpec", "evaluate_expression"]


def evaluate_expression(py_expr: str, frame: pd.DataFrame) -> np.ndarray:
    """Evaluate one R-style expression (already in Python spelling) on ``frame``.

    Plain column names are read directly; anything else is evaluated with R's functions
    (:func:`aurora.compile.context.r_context`), the same as in terms.
    """
    if py_expr in frame.columns:
        col = frame[py_expr]
        if isinstance(col.dtype, pd.CategoricalDtype):
            raise DataError(f"{py_expr!r} is a factor; a numeric column is needed here")
        return col.to_numpy(dtype=float)
    from aurora.compile.context import evaluate_python

    with np.errstate(all="ignore"):
        value = evaluate_python(py_expr, frame)
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value)
    if arr.dtype == bool:
        arr = arr.astype(float)
    try:
        arr = np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{py_expr!r} does not give numbers",
                        "use a numeric expression here") from None
    if arr.ndim == 0:
        arr = np.full(len(frame), float(arr))
    return arr.ravel()


@dataclass(frozen=True)
class ModelSpec:
    """How a model's columns were built; replays on new data.

    Attributes
    ----------
    formula : Formula
        The parsed formula.
    rhs : str
        The parametric right-hand side in formulaic's (Python) spelling.
    column_names : tuple of str
        Coefficient names as R prints them.
    term_labels : tuple of str
        R term labels (``"(Intercept)"`` first when present), in column order.
    term_columns : tuple of tuple of int
        Column indices of each term.
    levels : dict
        Training levels of each factor variable.
    numeric : tuple of str
        Variables used as numbers.
    offset_exprs : tuple of str
        Python expressions of ``offset()`` terms.
    offset_arg : str or None
        Column name given as ``offset=`` (evaluated on new data at predict time).
    offset_array : bool
        ``offset=`` was an array: new data need their own ``offset=`` at predict time.
    dense_columns : tuple of int or None
        Model columns produced by formulaic (None: all of them).
    coded_factors : tuple of CodedFactor
        Factor terms kept as level codes (their dummy columns are built here on demand).
    numeric_factor_values : dict
        Numeric columns used as factors (``C(cyl)``): the values seen in training.
    direct_columns : tuple of (str, int)
        Plain numeric columns read straight from the data, with their model column.
    has_intercept : bool
    smooths : tuple of SmoothSpec
        Smooth blocks (after the parametric columns), rebuilt for new data by their bases.
    formulaic_spec : formulaic.ModelSpec
        The stateful transforms and encoders of the parametric part.
    """

    formula: Formula
    rhs: str
    column_names: tuple[str, ...]
    term_labels: tuple[str, ...]
    term_columns: tuple[tuple[int, ...], ...]
    levels: dict[str, tuple[str, ...]]
    numeric: tuple[str, ...]
    offset_exprs: tuple[str, ...]
    offset_arg: str | None
    has_intercept: bool
    formulaic_spec: Any = field(repr=False, compare=False)
    offset_array: bool = False
    dense_columns: tuple[int, ...] | None = None
    coded_factors: tuple = ()
    numeric_factor_values: dict = field(default_factory=dict)
    direct_columns: tuple = ()
    smooths: tuple = ()

    @property
    def written_formula(self) -> str:
        """The formula as the user wrote it, whitespace normalised (what R's calls show)."""
        return " ".join(self.formula.text.split()) or str(self.formula)

    @property
    def dense_model_columns(self) -> tuple[int, ...]:
        """Model column of each dense column of a plan: formulaic's, then direct ones."""
        return tuple(self.dense_columns or ()) + tuple(c for _, c in self.direct_columns)

    @property
    def rhs_variables(self) -> tuple[str, ...]:
        """Data columns the right-hand side reads (terms and offsets)."""
        resp = set(self.formula.response.variables) if self.formula.response else set()
        rhs = [v for v in self.formula.variables if v not in resp or self._used_on_rhs(v)]
        if self.offset_arg:
            rhs.append(self.offset_arg)
        return tuple(dict.fromkeys(rhs))

    def _used_on_rhs(self, name: str) -> bool:
        for t in self.formula.terms:
            if name in getattr(t, "variables", ()):
                return True
        return False

    def check_newdata(self, data: pd.DataFrame) -> pd.DataFrame:
        """Check columns and factor levels of new data; return the typed frame."""
        needed = [v for v in self.rhs_variables if v != self.offset_arg]
        missing = [v for v in needed if v not in data.columns]
        if missing:
            err = UnknownVariableError(missing[0], [str(c) for c in data.columns])
            err.names = tuple(missing)
            raise err
        from aurora.compile.frame import numeric_time, refuse_infinite

        frame = data.loc[:, needed].copy()
        for name in needed:
            frame[name] = numeric_time(frame[name])
            col = frame[name]
            if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
                refuse_infinite(f"column {name!r} of newdata",
                                col.to_numpy(dtype=float, na_value=np.nan), frame.index)
        for name, seen in self.numeric_factor_values.items():
            vals = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            new = sorted(set(vals[np.isfinite(vals)].tolist()) - set(seen))
            if new:
                raise FactorLevelError(
                    f"{name!r} is used as a factor and has new value(s) {new} not seen when the "
                    f"model was fitted (values: {list(seen)})",
                    "predict only for the values the model knows")
        for name, lv in self.levels.items():
            if name not in frame.columns:
                continue
            col = frame[name]
            if pd.api.types.is_bool_dtype(col.dtype):
                col = col.map({False: "FALSE", True: "TRUE"})
            values = pd.Series(col.astype(object)).dropna()
            as_text = {str(v) for v in lv}
            unseen = sorted({str(v) for v in values.unique()} - as_text)
            if unseen:
                raise FactorLevelError(
                    f"factor {name!r} has new level(s) {unseen} not seen when the model was fitted "
                    f"(levels: {list(lv)})",
                    "predict only for the levels the model knows, or refit with data that contains them",
                )
            lookup = {str(v): v for v in lv}
            frame[name] = pd.Categorical([lookup[str(v)] if pd.notna(v) else np.nan for v in col],
                                         categories=list(lv))
        return frame

    def model_matrix(self, data: Any) -> np.ndarray:
        """The parametric model matrix of new data (rows with missing values give NaN).

        Examples
        --------
        >>> import aurora, pandas as pd
        >>> df = pd.DataFrame({"y": [1., 2, 4, 3], "x": [0., 1, 2, 3]})
        >>> m = aurora.glm("y ~ x", df)
        >>> m.plan.spec.model_matrix(pd.DataFrame({"x": [5.0]})).tolist()
        [[1.0, 5.0]]
        """
        frame = self.check_newdata(as_frame(data))
        n = len(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from aurora.compile.context import r_context, run_formulaic

            mm = run_formulaic(self.formulaic_spec.get_model_matrix, frame, na_action="ignore",
                               context=r_context())
        dense = np.asarray(mm, dtype=float)
        p_par = self.smooths[0].start if self.smooths else len(self.column_names)
        if not self.coded_factors and not self.direct_columns:
            X = dense
        else:
            X = np.zeros((n, p_par))
            X[:, list(self.dense_columns)] = dense
            for var, col in self.direct_columns:
                X[:, col] = pd.to_numeric(frame[var], errors="coerce").to_numpy(dtype=float)
            for cf in self.coded_factors:
                codes = frame[cf.variable].cat.codes.to_numpy()
                rows = np.where(codes >= 1)[0]
                X[rows, np.asarray(cf.columns)[codes[rows] - 1]] = 1.0
                X[codes < 0] = np.nan  # missing factor value
        if self.smooths:
            from aurora.compile.smooth_terms import smooth_columns

            X = np.column_stack([X, smooth_columns(self.smooths, frame)])
        # a row with a missing value in any variable the terms read predicts NA, as R's
        # predict (na.pass): never the baseline level of a factor
        missing = frame.isna().any(axis=1).to_numpy() if frame.shape[1] else np.zeros(n, bool)
        if missing.any():
            X = np.array(X, dtype=float, copy=True)
            X[missing] = np.nan
        if X.shape != (n, len(self.column_names)):  # pragma: no cover - defensive
            raise DataError("new data produced a model matrix of the wrong shape "
                            f"{X.shape}; expected ({n}, {len(self.column_names)})")
        return X

    def offset(self, data: Any, offset: Any = None) -> np.ndarray:
        """Total offset for new data: ``offset()`` terms plus the ``offset=`` column/array."""
        frame = as_frame(data)
        total = np.zeros(len(frame))
        for expr in self.offset_exprs:
            total = total + evaluate_expression(expr, frame)
        if offset is not None:
            arr = np.asarray(offset, dtype=float)
            if arr.ndim == 0:
                arr = np.full(len(frame), float(arr))
            if arr.shape[0] != len(frame):
                raise DataError(f"offset has length {arr.shape[0]} but newdata has {len(frame)} rows")
            total = total + arr
        elif self.offset_array:
            raise DataError("the model was fitted with an offset= array, which new data cannot supply",
                            "pass offset= (one value per row of newdata) to predict")
        elif self.offset_arg is not None:
            if self.offset_arg not in frame.columns:
                raise UnknownVariableError(self.offset_arg, [str(c) for c in frame.columns])
            total = total + frame[self.offset_arg].to_numpy(dtype=float)
        return total
