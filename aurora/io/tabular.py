"""Tables in and out: ``read_csv`` with R's factor convention, coefficient export."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from aurora.errors import DataError

__all__ = ["read_csv", "coefficient_table", "export_coefficients"]


def read_csv(path: str | os.PathLike, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV file; text columns become factors with sorted levels (R's ``read.csv``
    with ``stringsAsFactors = TRUE``).

    Parameters
    ----------
    path : str or path-like
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    DataFrame
        Text columns as ``Categorical`` (levels sorted, missing values kept as NaN).

    Examples
    --------
    >>> import io
    >>> df = read_csv(io.StringIO("y,g\\n1,b\\n2,a\\n3,b\\n"))
    >>> list(df["g"].cat.categories)
    ['a', 'b']
    """
    df = pd.read_csv(path, **kwargs)
    for name in df.columns:
        col = df[name]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            values = col.dropna().unique()
            if not all(isinstance(v, str) for v in values):
                continue
            df[name] = pd.Categorical(col, categories=sorted(values))
    return df


def coefficient_table(result: Any, level: float = 0.95) -> pd.DataFrame:
    """Estimates, standard errors, z/t statistics, p-values and Wald confidence limits
    (R's ``confint.default``; the profile limits are ``result.conf_int()``).

    Returns
    -------
    DataFrame
        Indexed by coefficient name; columns ``estimate``, ``std_error``,
        ``statistic``, ``p_value``, ``conf_low``, ``conf_high``.
    """
    ci = result.conf_int(level, method="Wald")
    return pd.DataFrame({
        "estimate": result.params.to_numpy(dtype=float),
        "std_error": result.bse.to_numpy(dtype=float),
        "statistic": result.tvalues.to_numpy(dtype=float),
        "p_value": result.pvalues.to_numpy(dtype=float),
        "conf_low": ci.iloc[:, 0].to_numpy(dtype=float),
        "conf_high": ci.iloc[:, 1].to_numpy(dtype=float),
    }, index=pd.Index(list(result.column_names), name="term"))


def _clean(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


def export_coefficients(result: Any, path: str | os.PathLike, level: float = 0.95) -> pd.DataFrame:
    """Write the coefficient table to CSV or JSON, chosen by the file extension.

    Parameters
    ----------
    result : GLMResult
    path : str or path-like
        ``*.csv`` (one row per coefficient, first column ``term``) or ``*.json`` (an
        object with ``formula``, ``family``, ``link``, ``statistic`` ("z" or "t"),
        ``level`` and ``coefficients``, a list of records; NaN written as null).
    level : float
        Confidence level of the Wald intervals (R's ``confint.default``).

    Returns
    -------
    DataFrame
        The table written.

    Examples
    --------
    >>> import aurora, tempfile, os
    >>> m = aurora.glm("mpg ~ wt", aurora.datasets.load("mtcars"))
    >>> p = os.path.join(tempfile.mkdtemp(), "coef.csv")
    >>> list(export_coefficients(m, p).columns)
    ['estimate', 'std_error', 'statistic', 'p_value', 'conf_low', 'conf_high']
    """
    path = Path(path)
    table = coefficient_table(result, level)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table.to_csv(path, float_format="%.17g")
    elif suffix == ".json":
        records = [{"term": term, **{k: _clean(float(v)) for k, v in row.items()}}
                   for term, row in table.iterrows()]
        doc = {"formula": str(result.plan.spec.formula), "family": result.family.name,
               "link": result.family.link.name, "statistic": "t" if result.uses_t else "z",
               "level": level, "coefficients": records}
        path.write_text(json.dumps(doc, indent=1, allow_nan=False))
    else:
        raise DataError(f"cannot tell the format of {path.name!r} from its extension",
                        "use a path ending in .csv or .json")
    return table
