"""Load the R reference cases of validation_r/ and fit them with aurora (shared by tests)."""
from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "validation_r"


@lru_cache(maxsize=None)
def glm_reference() -> dict:
    return json.loads((VALIDATION / "glm_reference.json").read_text())


def glm_cases() -> list[dict]:
    return glm_reference()["cases"]


def case_by_name(name: str) -> dict:
    return next(c for c in glm_cases() if c["name"] == name)


def load_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(VALIDATION / "data" / name)


def _ordered(frame: pd.DataFrame, case: dict) -> pd.DataFrame:
    """Columns R used as ordered factors (the CSV keeps labels; the JSON the level order)
    and date-times (UTC text in the CSV; POSIXct in R)."""
    for col, levels in (case.get("ordered") or {}).items():
        frame[col] = pd.Categorical(frame[col].astype(str), categories=levels, ordered=True)
    for col in case.get("datetime_columns") or ():
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def case_data(case: dict) -> pd.DataFrame:
    import aurora

    if case["dataset"]:
        return aurora.datasets.load(case["dataset"])
    return _ordered(load_csv(case["data"]), case)


def case_newdata(case: dict, which: str | None = None) -> pd.DataFrame:
    """The new data R predicted on: ``case["predict"]["newdata"]``, or with
    ``which="newdata_na"`` the extra new data with missing values (empty cells: NaN)."""
    file = case["predict"]["newdata"] if which is None else case["predict"][which]["newdata"]
    new = _ordered(load_csv(file), case)
    if case["dataset"]:
        import aurora

        train = aurora.datasets.load(case["dataset"])
        for col in new.columns:
            if col in train and isinstance(train[col].dtype, pd.CategoricalDtype):
                new[col] = pd.Categorical(new[col].astype(str), categories=train[col].cat.categories)
    return new


def case_family(case: dict):
    """The aurora family object R's fit used."""
    from aurora.distributions import get_family
    from aurora.distributions.links import PowerLink

    fam, link, args = case["family"], case["link"], case["family_args"] or {}
    link_obj = PowerLink(args["link_power"]) if "link_power" in args else link
    if case["fitter"] == "glm.nb":
        return get_family("negative_binomial", link=link_obj, theta=None)
    if fam.startswith("Negative Binomial"):
        return get_family("negative_binomial", link=link_obj, theta=args["theta"])
    if fam.startswith("Tweedie"):
        return get_family("tweedie", link=link_obj, p=args["p"])
    return get_family(fam, link=link_obj)


def case_glm_args(case: dict, data: pd.DataFrame) -> dict:
    """glm's other arguments of a case, as aurora.glm keywords (only those the case uses):
    ``subset`` (an expression string, or a boolean mask from ``subset_column``),
    ``na_action``, ``control`` and ``start``."""
    kwargs: dict = {}
    if case.get("subset") is not None:
        kwargs["subset"] = case["subset"]
    if case.get("subset_column") is not None:
        kwargs["subset"] = data[case["subset_column"]].to_numpy(dtype=bool)
    if case.get("na_action") is not None:
        kwargs["na_action"] = case["na_action"]
    if case.get("control") is not None:
        kwargs["control"] = dict(case["control"])
    if case.get("start") is not None:
        kwargs["start"] = list(case["start"])
    return kwargs


@lru_cache(maxsize=None)
def fit_case(name: str, engine: str = "numpy", factor_coding: str = "auto"):
    import aurora

    case = case_by_name(name)
    data = case_data(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aurora.glm(case["formula"], data, family=case_family(case),
                          weights=case["weights"], offset=case["offset"], engine=engine,
                          factor_coding=factor_coding, **case_glm_args(case, data))
