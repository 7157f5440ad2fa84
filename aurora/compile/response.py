"""The response: plain column, transform (``log(y)``) or ``cbind(successes, failures)``."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aurora.compile.spec import evaluate_expression
from aurora.compile.translate import split_top_level, to_python
from aurora.errors import DataError, ModelSpecError
from aurora.formula.ast import Response

__all__ = ["ResponseData", "build_response", "cbind_arguments"]


@dataclass(frozen=True)
class ResponseData:
    """The response as the engine sees it.

    Attributes
    ----------
    y : ndarray
        Response values (proportions for binomial ``cbind`` and factor responses).
    n_trials : ndarray or None
        Binomial trials when they come from ``cbind`` (R's ``n``); ``None`` otherwise.
    levels : tuple of str or None
        For a factor response, its levels (the first means failure, as in R).
    """

    y: np.ndarray
    n_trials: np.ndarray | None = None
    levels: tuple[str, ...] | None = None


def cbind_arguments(expr: str) -> list[str]:
    """Split ``cbind(a, b - a)`` into its argument texts."""
    inner = expr[expr.index("(") + 1: expr.rindex(")")]
    args = [a.strip() for a in split_top_level(inner, ",")]
    return args


def build_response(response: Response | None, frame: pd.DataFrame, family_name: str) -> ResponseData:
    """Evaluate the response on the (cleaned) frame.

    Parameters
    ----------
    response : Response
    frame : DataFrame
    family_name : str
        R name of the family (``"binomial"`` enables ``cbind`` and factor responses).
    """
    if response is None:
        raise ModelSpecError("the formula has no response", "write the formula as 'y ~ terms'")
    binomial = family_name in ("binomial", "quasibinomial")
    if response.kind == "cbind":
        args = cbind_arguments(response.expr)
        if len(args) != 2:
            raise ModelSpecError(f"cbind() needs two columns (successes, failures), got {len(args)}")
        if not binomial:
            raise ModelSpecError("a cbind(successes, failures) response needs a binomial family",
                                 "use family='binomial' or 'quasibinomial'")
        succ = evaluate_expression(to_python(args[0]), frame)
        fail = evaluate_expression(to_python(args[1]), frame)
        if np.any(succ < 0) or np.any(fail < 0):
            raise DataError("cbind(successes, failures) has negative counts",
                            "counts of successes and failures must be >= 0")
        n = succ + fail
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(n > 0, succ / np.where(n > 0, n, 1.0), 0.0)
        return ResponseData(y, n)
    if response.kind == "variable" and response.expr in frame.columns:
        col = frame[response.expr]
    else:
        from aurora.compile.context import evaluate_python

        with np.errstate(all="ignore"):
            col = evaluate_python(to_python(response.expr), frame, response.expr)
        if not isinstance(col, pd.Series):
            arr = np.asarray(col)
            if arr.dtype == bool:
                arr = arr.astype(float)
            elif arr.dtype.kind in "USO":
                col = pd.Series(pd.Categorical(arr), index=frame.index)
            if not isinstance(col, pd.Series):
                col = pd.Series(np.broadcast_to(arr, (len(frame),)), index=frame.index)
        elif pd.api.types.is_bool_dtype(col.dtype):
            col = col.astype(float)
    if True:  # one path for plain columns and transforms (sqrt(y), factor(y), I(y > 2))
        if isinstance(col.dtype, pd.CategoricalDtype):
            if not binomial:
                raise DataError(f"the response {response.expr!r} is a factor",
                                "use a numeric response, or family='binomial' for a two-level factor")
            levels = tuple(str(c) for c in col.cat.categories)
            y = (col.cat.codes.to_numpy() > 0).astype(float)
            return ResponseData(y, None, levels)
        try:
            return ResponseData(col.to_numpy(dtype=float))
        except (TypeError, ValueError):
            raise DataError(f"the response {response.expr} does not give numbers",
                            "use a numeric response (or a factor with family='binomial')") from None
