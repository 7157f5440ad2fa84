"""Tests for aurora.datasets: every shipped dataset loads as R describes it."""
from __future__ import annotations

import json
from importlib.resources import files

import pandas as pd
import pytest

from aurora import datasets
from aurora.errors import AuroraError, UnknownNameError

EXPECTED = [
    "ChickWeight", "InsectSprays", "PlantGrowth", "ToothGrowth", "airquality", "birthwt", "dobson",
    "mtcars", "quine", "trees", "warpbreaks",
]
# R's NA counts per column, where a dataset has any
MISSING = {"airquality": {"Ozone": 37, "Solar.R": 7}}


def _meta(name: str) -> dict:
    path = files("aurora.datasets") / "data" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_list_datasets() -> None:
    assert datasets.list_datasets() == EXPECTED


def test_all_matches_public_functions() -> None:
    assert sorted(datasets.__all__) == ["describe", "list_datasets", "load"]


@pytest.mark.parametrize("name", EXPECTED)
def test_load_matches_metadata(name: str) -> None:
    meta = _meta(name)
    df = datasets.load(name)
    assert isinstance(df, pd.DataFrame)
    assert df.shape == (meta["n_rows"], meta["n_cols"])
    assert list(df.columns) == meta["columns"]
    n_missing = {col: int(k) for col, k in df.isna().sum().items() if k}
    assert n_missing == MISSING.get(name, {})
    for col, kind in meta["types"].items():
        if kind == "factor":
            assert isinstance(df[col].dtype, pd.CategoricalDtype)
            assert list(df[col].cat.categories) == meta["factors"][col]
            assert df[col].cat.ordered == (col in meta["ordered"])
        elif kind == "double":
            assert df[col].dtype == "float64"
        elif kind == "integer":
            # NaN needs a float column; whole numbers either way
            assert df[col].dtype == ("float64" if col in n_missing else "int64")
            assert (df[col].dropna() % 1 == 0).all()


@pytest.mark.parametrize(
    ("name", "column", "levels"),
    [
        ("warpbreaks", "tension", ["L", "M", "H"]),
        ("warpbreaks", "wool", ["A", "B"]),
        ("InsectSprays", "spray", ["A", "B", "C", "D", "E", "F"]),
        ("quine", "Age", ["F0", "F1", "F2", "F3"]),
        ("quine", "Lrn", ["AL", "SL"]),
        ("dobson", "outcome", ["1", "2", "3"]),
        ("dobson", "treatment", ["1", "2", "3"]),
        ("ToothGrowth", "supp", ["OJ", "VC"]),
        ("PlantGrowth", "group", ["ctrl", "trt1", "trt2"]),
        ("ChickWeight", "Diet", ["1", "2", "3", "4"]),
    ],
)
def test_factor_levels_in_r_order(name: str, column: str, levels: list[str]) -> None:
    assert list(datasets.load(name)[column].cat.categories) == levels


def test_known_values() -> None:
    mtcars = datasets.load("mtcars")
    assert mtcars.loc[0, "model"] == "Mazda RX4"
    assert mtcars["wt"].iloc[0] == pytest.approx(2.62)
    assert mtcars["am"].sum() == 13
    dobson = datasets.load("dobson")
    assert dobson["counts"].tolist() == [18, 17, 15, 20, 10, 20, 25, 13, 12]
    assert dobson["outcome"].astype(str).tolist() == ["1", "2", "3"] * 3
    assert dobson["treatment"].astype(str).tolist() == ["1"] * 3 + ["2"] * 3 + ["3"] * 3
    assert datasets.load("InsectSprays")["count"].sum() == pytest.approx(684)
    assert datasets.load("warpbreaks")["breaks"].sum() == pytest.approx(1520)
    assert datasets.load("quine")["Days"].sum() == 2403
    birthwt = datasets.load("birthwt")
    assert birthwt.shape == (189, 10)
    assert birthwt["low"].sum() == 59
    assert sorted(birthwt["race"].unique()) == [1, 2, 3]
    trees = datasets.load("trees")
    assert trees.loc[0, ["Girth", "Height", "Volume"]].tolist() == [8.3, 70.0, 10.3]
    tooth = datasets.load("ToothGrowth")
    assert sorted(tooth["dose"].unique()) == [0.5, 1.0, 2.0]
    assert tooth["len"].sum() == pytest.approx(1128.8)
    assert datasets.load("PlantGrowth")["weight"].sum() == pytest.approx(152.19)
    air = datasets.load("airquality")
    assert air.loc[0, ["Ozone", "Solar.R", "Wind", "Temp", "Month", "Day"]].tolist() == [
        41.0, 190.0, 7.4, 67, 5, 1]
    assert air["Ozone"].isna().sum() == 37 and air["Ozone"].sum() == 4887


def test_chickweight_as_r_has_it() -> None:
    """R's ChickWeight: 578 rows, 50 chicks, Chick's levels in R's order (by final weight
    within diet) but unordered, so that it groups random effects and never gets
    polynomial contrasts."""
    chick = datasets.load("ChickWeight")
    assert chick.shape == (578, 4)
    assert list(chick.columns) == ["weight", "Time", "Chick", "Diet"]
    assert chick["weight"].sum() == pytest.approx(70411)
    assert sorted(chick["Time"].unique()) == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21]
    levels = list(chick["Chick"].cat.categories)
    assert len(levels) == 50 and not chick["Chick"].cat.ordered
    assert levels[:5] == ["18", "16", "15", "13", "9"] and levels[-3:] == ["50", "42", "48"]
    sizes = chick.groupby("Chick", observed=True).size()
    assert sizes.value_counts().to_dict() == {12: 45, 2: 1, 7: 1, 8: 1, 10: 1, 11: 1}
    assert sizes["18"] == 2
    # each chick is on one diet: 20, 10, 10 and 10 chicks
    diets = chick.groupby("Chick", observed=True)["Diet"].nunique()
    assert (diets == 1).all()
    per_diet = chick.drop_duplicates("Chick")["Diet"].value_counts().sort_index()
    assert per_diet.tolist() == [20, 10, 10, 10]
    assert chick.loc[0, ["weight", "Time"]].tolist() == [42.0, 0.0]
    assert chick.loc[0, "Chick"] == "1" and chick.loc[0, "Diet"] == "1"


def test_load_returns_fresh_copy() -> None:
    first = datasets.load("dobson")
    first.loc[0, "counts"] = -1
    assert datasets.load("dobson").loc[0, "counts"] == 18


def test_unknown_name() -> None:
    with pytest.raises(UnknownNameError) as info:
        datasets.load("iris_typo")
    err = info.value
    assert isinstance(err, AuroraError)
    assert err.kind == "dataset"
    assert err.name == "iris_typo"
    assert list(err.valid) == EXPECTED
    assert "mtcars" in str(err)
    with pytest.raises(UnknownNameError):
        datasets.describe("nope")


@pytest.mark.parametrize("name", EXPECTED)
def test_describe(name: str) -> None:
    text = datasets.describe(name)
    meta = _meta(name)
    assert text.startswith(f"{name}: {meta['title']}")
    assert meta["source"] in text
    for col, levels in meta["factors"].items():
        assert f"{col} (factor): {', '.join(levels)}" in text
