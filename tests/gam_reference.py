"""Load the mgcv ``gam()`` reference cases (validation_r/gam_reference.json) and fit them
with :func:`aurora.gam` on the same data.

The R side is ``validation_r/gam_reference.R``. Every case was fitted on
``validation_r/data/gam_ref.csv`` as read back from the CSV; its ``formula`` is the exact
text R was given, and the extra arguments (``method``, ``sp``, ``gamma``, ``knots``,
``weights``, ``offset``) are passed here as :func:`aurora.gam` keywords.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from reference import VALIDATION

__all__ = ["gam_reference", "gam_cases", "gam_case", "gam_data", "gam_newdata",
           "gam_family", "gam_kwargs", "fit_gam_case", "as_array"]

# family_arg of a case -> aurora family and link
_FAMILIES = {"gaussian": ("gaussian", None), "poisson": ("poisson", None),
             "binomial": ("binomial", None), "gamma_log": ("Gamma", "log")}


@lru_cache(maxsize=None)
def gam_reference() -> dict:
    return json.loads((VALIDATION / "gam_reference.json").read_text())


def gam_cases() -> list[dict]:
    return gam_reference()["cases"]


def gam_case(name: str) -> dict:
    return next(c for c in gam_cases() if c["name"] == name)


def _read(file: str) -> pd.DataFrame:
    # 17 significant digits in the CSV: pandas' parser reads them back exactly
    return pd.read_csv(VALIDATION / "data" / file)


@lru_cache(maxsize=None)
def _data() -> pd.DataFrame:
    return _read(gam_reference()["data"])


def gam_data() -> pd.DataFrame:
    """The data every case was fitted on (a fresh copy)."""
    return _data().copy()


def gam_newdata() -> pd.DataFrame:
    """The new data R predicted on (factor columns as labels)."""
    return _read(gam_reference()["newdata"])


def gam_family(case: dict):
    from aurora.distributions import get_family

    name, link = _FAMILIES[case["family_arg"]]
    return get_family(name, link=link)


def gam_kwargs(case: dict) -> dict:
    """The :func:`aurora.gam` keywords of a case besides formula, data and family."""
    kwargs: dict = {"method": case["method_arg"]}
    if case.get("sp_arg") is not None:
        kwargs["sp"] = list(case["sp_arg"])
    if case.get("gamma") is not None:
        kwargs["gamma"] = case["gamma"]
    if case.get("knots") is not None:
        kwargs["knots"] = {k: list(v) for k, v in case["knots"].items()}
    if case.get("weights") is not None:
        kwargs["weights"] = case["weights"]
    if case.get("offset") is not None:
        kwargs["offset"] = case["offset"]
    return kwargs


@lru_cache(maxsize=None)
def fit_gam_case(name: str):
    """``aurora.gam`` of a case (cached: every test of a case shares one fit)."""
    import aurora

    case = gam_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aurora.gam(case["formula"], gam_data(), family=gam_family(case),
                          **gam_kwargs(case))


def as_array(values) -> np.ndarray:
    """A JSON vector (null = R's NA) as floats with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
