"""Load the R mixed-model reference cases (validation_r/mixed_reference.json and
validation_r/mixed_glmm_extra_reference.json).

The R side is ``validation_r/mixed_reference.R`` (lme4 ``lmer``/``glmer``/``glmer.nb``,
glmmTMB, ``MASS::glmmPQL``, gamm4, mgcv and ``nlme::lme``). Every case was fitted on the
CSV named by its ``data`` field *as read back*, so reading the same file here gives exactly
the numbers R used. Factor columns (grouping factors included) are stored as character
labels; their level order (R's, which is the sorted labels) is in the case's ``factors``.

``validation_r/mixed_glmm_extra_reference.R`` adds lme4 ``glmer`` cases (Gamma, prior
weights, offsets, probit, crossed, random slope, ``nAGQ = 0``, singular, observation-level)
with the same layout, on its own data sets: ``glmm_extra_case(name)``,
``glmm_extra_data(name)``, ``glmm_extra_newdata(name)``.

Only loading lives here: the tests that compare aurora with these values live elsewhere.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

from reference import VALIDATION

__all__ = ["mixed_reference", "mixed_cases", "mixed_case", "mixed_case_names",
           "mixed_datasets", "mixed_dataset", "mixed_data", "mixed_newdata",
           "mixed_extra", "glmm_extra_reference", "glmm_extra_cases", "glmm_extra_case",
           "glmm_extra_case_names", "glmm_extra_data", "glmm_extra_newdata",
           "as_array", "as_matrix", "as_table", "as_named"]

MIXED = "mixed_reference.json"
GLMM_EXTRA = "mixed_glmm_extra_reference.json"


@lru_cache(maxsize=None)
def _reference(file: str) -> dict:
    return json.loads((VALIDATION / file).read_text())


def mixed_reference() -> dict:
    return _reference(MIXED)


def mixed_cases() -> list[dict]:
    return mixed_reference()["cases"]


def mixed_case_names() -> list[str]:
    return [c["name"] for c in mixed_cases()]


def mixed_case(name: str) -> dict:
    for c in mixed_cases():
        if c["name"] == name:
            return c
    raise KeyError(f"no mixed reference case {name!r}")


def mixed_datasets() -> list[dict]:
    return mixed_reference()["datasets"]


def mixed_dataset(name: str) -> dict:
    """A data set's record (``name``, ``file``, ``newdata``, ``factors``, ...), by data-set
    name (``"long"``) or by the name of a case fitted on it."""
    for d in mixed_datasets():
        if d["name"] == name:
            return d
    try:
        file = mixed_case(name)["data"]
    except KeyError:
        raise KeyError(f"no mixed data set or case {name!r}") from None
    return next(d for d in mixed_datasets() if d["file"] == file)


def _read(file: str, factors: dict[str, list[str]], categorical: bool) -> pd.DataFrame:
    # 17 significant digits in the CSV: pandas' parser reads the doubles back exactly.
    # Factor columns are read as text (labels such as "s01", "b1"), never as numbers.
    frame = pd.read_csv(VALIDATION / "data" / file,
                        dtype={col: str for col in factors}, keep_default_na=False,
                        na_values=["NA"])
    if categorical:
        for col, levels in factors.items():
            if col in frame:
                frame[col] = pd.Categorical(frame[col], categories=levels)
    return frame


@lru_cache(maxsize=None)
def _data(file: str, categorical: bool, source: str = MIXED) -> pd.DataFrame:
    ds = next(d for d in _reference(source)["datasets"] if d["file"] == file)
    return _read(file, ds["factors"], categorical)


def mixed_data(name: str, categorical: bool = False) -> pd.DataFrame:
    """The data a case (or a data set, by its name) was fitted on, as a fresh copy.

    Factor columns hold R's labels as strings; ``categorical=True`` makes them pandas
    Categoricals with R's level order."""
    return _data(mixed_dataset(name)["file"], categorical).copy()


def mixed_newdata(name: str) -> pd.DataFrame:
    """The new data R predicted on (factor columns as labels; grouping columns include
    labels the data do not have: see ``predict.new_level_rows``, 1-based)."""
    ds = mixed_dataset(name)
    return _read(ds["newdata"], ds["factors"], False)


def mixed_extra(name: str) -> dict:
    """An entry of ``extras`` (``anova_lmer``, ``confint``, ...)."""
    return mixed_reference()["extras"][name]


def glmm_extra_reference() -> dict:
    """validation_r/mixed_glmm_extra_reference.json."""
    return _reference(GLMM_EXTRA)


def glmm_extra_cases() -> list[dict]:
    return glmm_extra_reference()["cases"]


def glmm_extra_case_names() -> list[str]:
    return [c["name"] for c in glmm_extra_cases()]


def glmm_extra_case(name: str) -> dict:
    for c in glmm_extra_cases():
        if c["name"] == name:
            return c
    raise KeyError(f"no glmm extra reference case {name!r}")


def _extra_dataset(name: str) -> dict:
    sets = glmm_extra_reference()["datasets"]
    for d in sets:
        if d["name"] == name:
            return d
    file = glmm_extra_case(name)["data"]
    return next(d for d in sets if d["file"] == file)


def glmm_extra_data(name: str, categorical: bool = False) -> pd.DataFrame:
    """The data an extra GLMM case (or data set, by its name) was fitted on, as a fresh
    copy (factor columns as labels, or Categoricals in R's level order)."""
    return _data(_extra_dataset(name)["file"], categorical, GLMM_EXTRA).copy()


def glmm_extra_newdata(name: str) -> pd.DataFrame:
    """The new data R predicted on for an extra GLMM case (see ``glmm_extra_data``)."""
    ds = _extra_dataset(name)
    return _read(ds["newdata"], ds["factors"], False)


def as_array(values) -> np.ndarray:
    """A JSON vector or matrix (null = R's NA) as floats with NaN."""
    if values is None:
        return np.array([], dtype=float)
    return np.array([[np.nan if v is None else v for v in row] if isinstance(row, list)
                     else (np.nan if row is None else row) for row in values], dtype=float)


def as_matrix(values) -> np.ndarray:
    """A JSON matrix (list of rows) as a 2-D float array."""
    out = as_array(values)
    return out.reshape(len(values), -1) if out.ndim == 1 else out


def as_table(table: dict) -> pd.DataFrame:
    """A ``{rows, columns, values}`` table as a DataFrame (null = NaN)."""
    return pd.DataFrame(as_matrix(table["values"]), index=table["rows"],
                        columns=table["columns"])


def as_named(named: dict) -> pd.Series:
    """A ``{names, values}`` vector as a Series."""
    return pd.Series(as_array(named["values"]), index=named["names"], dtype=float)
