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
# mgcv's extended-family calls -> aurora's spelling (R's call text is also accepted)
_EXTENDED = {"nb()": "nb", "nb(theta = 3)": "nb(theta = 3)", "tw()": "tw",
             "tw(theta = 1.5)": "Tweedie(p = 1.5)", "betar()": "betar", "scat()": "scat"}


# the R scripts whose cases every test of tests/models/test_gam_reference.py runs:
# gam_reference.R (exponential families) and gam_extended_reference.R (nb, tw, betar, scat)
_FILES = ("gam_reference.json", "gam_extended_reference.json")


@lru_cache(maxsize=None)
def gam_reference() -> dict:
    """The reference of gam_reference.R, with the cases of gam_extended_reference.R added
    (each of those names its own data file)."""
    out = json.loads((VALIDATION / _FILES[0]).read_text())
    for file in _FILES[1:]:
        more = json.loads((VALIDATION / file).read_text())
        out["cases"] = out["cases"] + more["cases"]
    return out


def gam_cases() -> list[dict]:
    return gam_reference()["cases"]


def gam_case(name: str) -> dict:
    return next(c for c in gam_cases() if c["name"] == name)


def _read(file: str) -> pd.DataFrame:
    # 17 significant digits in the CSV: pandas' parser reads them back exactly
    return pd.read_csv(VALIDATION / "data" / file)


@lru_cache(maxsize=None)
def _data(file: str) -> pd.DataFrame:
    return _read(file)


def gam_data(case: dict | None = None) -> pd.DataFrame:
    """The data a case was fitted on (a fresh copy; gam_ref.csv unless the case names
    another file)."""
    file = (case or {}).get("data") or gam_reference()["data"]
    return _data(file).copy()


def gam_newdata() -> pd.DataFrame:
    """The new data R predicted on (factor columns as labels)."""
    return _read(gam_reference()["newdata"])


def gam_family(case: dict):
    from aurora.distributions import get_family

    if case["family_arg"] in _FAMILIES:
        name, link = _FAMILIES[case["family_arg"]]
        return get_family(name, link=link)
    return get_family(_EXTENDED[case["family_call"]])


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
        return aurora.gam(case["formula"], gam_data(case), family=gam_family(case),
                          **gam_kwargs(case))


def as_array(values) -> np.ndarray:
    """A JSON vector (null = R's NA) as floats with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)
