"""``AnovaTable``: a DataFrame that prints like R's ``print.anova``.

R's ``print.anova`` hands the table to ``printCoefmat`` with no coefficient columns:
test statistics (``F``, ``Chisq``, ``* value``) are rounded to ``digits - 1`` decimals
of significance, other non-``Df`` columns are zapped, p-values go through
``format.pval`` and significance stars are added when some p-value is below 0.1.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from aurora.report.rformat import (
    SIGNIF_LEGEND,
    format_pval,
    format_real,
    print_matrix,
    signif_stars,
    zapsmall,
)

__all__ = ["AnovaTable", "format_anova", "format_frame"]

_TEST_COLUMNS = ("F", "Cp", "Chisq")


class AnovaTable(pd.DataFrame):
    """A pandas DataFrame with R's ``heading`` and R's printed layout.

    Columns and row labels are R's (``"Df"``, ``"Deviance"``, ``"Resid. Df"``,
    ``"Resid. Dev"``, ``"Pr(>Chi)"``...); missing entries are NaN (R's ``NA``).

    Attributes
    ----------
    heading : list of str
        The lines R prints above the table (R's ``attr(x, "heading")``).

    Examples
    --------
    >>> t = AnovaTable({"Df": [np.nan, 1.0], "Deviance": [np.nan, 2.5]}, index=["NULL", "x"],
    ...                heading=["Example\\n"])
    >>> print(t)
    Example
    <BLANKLINE>
         Df Deviance
    NULL            
    x     1      2.5
    """

    _metadata = ["heading", "layout"]

    def __init__(self, *args: Any, heading: Sequence[str] | None = None,
                 layout: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if heading is not None or not hasattr(self, "heading"):
            object.__setattr__(self, "heading", list(heading or []))
        if layout is not None or not hasattr(self, "layout"):
            object.__setattr__(self, "layout", layout or "anova")

    @property
    def _constructor(self):  # keep the subclass through pandas operations
        return AnovaTable

    def __str__(self) -> str:
        heading = list(getattr(self, "heading", []) or [])
        if getattr(self, "layout", "anova") == "frame":
            return format_frame(self, heading)
        return format_anova(self, heading)

    def __repr__(self) -> str:
        return self.__str__()

    def to_frame(self) -> pd.DataFrame:
        """A plain DataFrame copy (without the heading)."""
        return pd.DataFrame(self)


def _column_strings(values: np.ndarray, digits: int, zap: bool, test: bool) -> list[str]:
    x = np.asarray(values, dtype=float)
    if zap:
        x = zapsmall(x, digits)
    if test:
        dig_tst = max(1, min(5, digits - 1))
        x = np.where(np.isfinite(x), np.round(x, dig_tst), x)
    out = format_real(list(x), digits)
    if not test:
        # printCoefmat: non-zero numbers that print as zero get digits - 1 digits alone
        for i, (v, s) in enumerate(zip(x, out)):
            if np.isfinite(v) and (v == 0) != (float(s) == 0):
                out[i] = format_real([v], max(1, digits - 1))[0]
    return out


def format_anova(table: pd.DataFrame, heading: Sequence[str] = (), digits: int = 5) -> str:
    """Render an analysis-of-variance table as R's ``print.anova`` does.

    Parameters
    ----------
    table : DataFrame
        Numeric columns; the last is a p-value when its name starts ``Pr(``.
    heading : sequence of str
        Printed first, each followed by a newline (R's ``cat(heading, sep = "\\n")``).
    digits : int
        R's ``max(getOption("digits") - 2, 3)``.

    Returns
    -------
    str
    """
    cols = [str(c) for c in table.columns]
    nc = len(cols)
    has_p = nc > 0 and cols[-1].startswith(("Pr(", "P("))
    tst = {j for j, c in enumerate(cols) if c[1:7] == " value" or c in _TEST_COLUMNS}
    values = table.to_numpy(dtype=float) if nc else np.zeros((len(table), 0))
    cells = [["" for _ in range(nc)] for _ in range(len(table))]
    for j, name in enumerate(cols):
        if has_p and j == nc - 1:
            continue
        strs = _column_strings(values[:, j], digits, zap=j not in tst and not name.endswith("Df"),
                               test=j in tst)
        for i, s in enumerate(strs):
            cells[i][j] = "" if math.isnan(values[i, j]) else s
    col_names = list(cols)
    stars = False
    if has_p:
        p = values[:, -1]
        ok = ~np.isnan(p)
        if ok.any():
            dig_tst = max(1, min(5, digits - 1))
            for i, s in zip(np.flatnonzero(ok), format_pval(list(p[ok]), dig_tst)):
                cells[i][-1] = s
            stars = bool(np.any(p[ok] < 0.1))
            if stars:
                syms = [signif_stars(float(v)) if not math.isnan(v) else "" for v in p]
                width = max(len(s) for s in syms)
                for i, s in enumerate(syms):
                    cells[i].append(s.ljust(width))
                col_names.append("")
    rows = [str(r) for r in table.index]
    text = "".join(f"{h}\n" for h in heading)
    text += print_matrix(rows, col_names, cells)
    if stars:
        text += "\n---\n" + SIGNIF_LEGEND
    return text


def format_frame(table: pd.DataFrame, heading: Sequence[str] = (), digits: int = 7) -> str:
    """Render a mixed table as MASS's ``print.Anova``: ``format()`` per column, NA blank.

    Parameters
    ----------
    table : DataFrame
        Text columns print as they are; numeric ones as R's ``format(x, digits = 7)``.
    heading : sequence of str
    digits : int
    """
    cells = [["" for _ in table.columns] for _ in range(len(table))]
    for j, name in enumerate(table.columns):
        col = table[name]
        if pd.api.types.is_numeric_dtype(col.dtype):
            vals = col.to_numpy(dtype=float)
            for i, s in enumerate(format_real(list(vals), digits)):
                cells[i][j] = "" if math.isnan(vals[i]) else s
        else:
            for i, v in enumerate(col):
                cells[i][j] = "" if v is None else str(v)
    text = "".join(f"{h}\n" for h in heading)
    return text + print_matrix([str(r) for r in table.index], [str(c) for c in table.columns], cells)
