"""Small real datasets from R, shipped with Aurora for the demo, the docs and the tests.

Each dataset is stored as ``data/<name>.csv`` (factor columns written as their labels)
next to ``data/<name>.json``, which records the title, the R source, a short
description, the column types and every factor's levels in R's order. The files are
produced by ``validation_r/export_datasets.R``.

Examples
--------
>>> from aurora import datasets
>>> datasets.list_datasets()  # doctest: +NORMALIZE_WHITESPACE
['ChickWeight', 'InsectSprays', 'PlantGrowth', 'ToothGrowth', 'airquality', 'birthwt',
 'dobson', 'mtcars', 'quine', 'trees', 'warpbreaks']
>>> df = datasets.load("warpbreaks")
>>> df.shape
(54, 3)
>>> list(df["tension"].cat.categories)
['L', 'M', 'H']
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

import pandas as pd

from aurora.errors import UnknownNameError

__all__ = ["load", "list_datasets", "describe"]

_DATA = files("aurora.datasets") / "data"

# R storage modes -> pandas dtypes; factors are handled separately.
_DTYPES = {"double": "float64", "integer": "int64", "logical": "bool", "character": "object"}


def list_datasets() -> list[str]:
    """Names of the datasets shipped with Aurora.

    Returns
    -------
    list of str
        Sorted dataset names, usable with :func:`load` and :func:`describe`.

    Examples
    --------
    >>> from aurora.datasets import list_datasets
    >>> "mtcars" in list_datasets()
    True
    """
    return sorted(
        entry.name[: -len(".json")]
        for entry in _DATA.iterdir()
        if entry.name.endswith(".json")
    )


@lru_cache(maxsize=None)
def _metadata(name: str) -> dict[str, Any]:
    valid = list_datasets()
    if name not in valid:
        raise UnknownNameError("dataset", name, valid)
    return json.loads((_DATA / f"{name}.json").read_text(encoding="utf-8"))


def load(name: str) -> pd.DataFrame:
    """Load a shipped dataset as a new DataFrame.

    Parameters
    ----------
    name : str
        Dataset name, spelled as in R (e.g. ``"InsectSprays"``); see :func:`list_datasets`.

    Returns
    -------
    pandas.DataFrame
        One row per observation (shape ``(n_rows, n_cols)`` from the metadata). Factor
        columns are ``pandas.Categorical`` with R's level order (ordered where R's factor
        is ordered); R doubles are ``float64`` and R integers ``int64``. R's ``NA`` is
        ``NaN`` (an integer column with missing values, such as airquality's ``Ozone``,
        is therefore ``float64``). A fresh copy is returned on each call, so callers
        may modify it.

    Raises
    ------
    aurora.errors.UnknownNameError
        If ``name`` is not a shipped dataset; the message lists the valid names.

    Examples
    --------
    >>> from aurora.datasets import load
    >>> sprays = load("InsectSprays")
    >>> sprays.shape
    (72, 2)
    >>> list(sprays["spray"].cat.categories)
    ['A', 'B', 'C', 'D', 'E', 'F']
    """
    meta = _metadata(name)
    types: dict[str, str] = meta["types"]
    # Read factor and character columns as text so labels such as "1" stay labels.
    text_cols = {col: str for col, kind in types.items() if kind in ("factor", "character")}
    with (_DATA / f"{name}.csv").open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=text_cols, keep_default_na=False, na_values=["NA"])
    ordered = set(meta["ordered"])
    for col, kind in types.items():
        if kind == "factor":
            dtype = pd.CategoricalDtype(meta["factors"][col], ordered=col in ordered)
            frame[col] = frame[col].astype(dtype)
        elif kind in _DTYPES and not frame[col].isna().any():
            frame[col] = frame[col].astype(_DTYPES[kind])
    return frame[meta["columns"]]


def describe(name: str) -> str:
    """A short text description of a shipped dataset.

    Parameters
    ----------
    name : str
        Dataset name; see :func:`list_datasets`.

    Returns
    -------
    str
        Title, R source, size, description and the levels of each factor.

    Raises
    ------
    aurora.errors.UnknownNameError
        If ``name`` is not a shipped dataset.

    Examples
    --------
    >>> from aurora.datasets import describe
    >>> print(describe("dobson").splitlines()[0])
    dobson: Dobson's Randomized Controlled Trial Counts
    """
    meta = _metadata(name)
    lines = [
        f"{meta['name']}: {meta['title']}",
        f"Source: {meta['source']}",
        f"{meta['n_rows']} rows x {meta['n_cols']} columns: {', '.join(meta['columns'])}",
        meta["description"],
    ]
    for col, levels in meta["factors"].items():
        kind = "ordered factor" if col in meta["ordered"] else "factor"
        lines.append(f"  {col} ({kind}): {', '.join(levels)}")
    return "\n".join(lines)
