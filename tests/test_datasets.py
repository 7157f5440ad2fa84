"""Tests for aurora.datasets: every shipped dataset loads as R describes it."""
from __future__ import annotations

import json
from importlib.resources import files

import pandas as pd
import pytest

from aurora import datasets
from aurora.errors import AuroraError, UnknownNameError

EXPECTED = ["InsectSprays", "dobson", "mtcars", "quine", "warpbreaks"]


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
    assert not df.isna().any().any()
    for col, kind in meta["types"].items():
        if kind == "factor":
            assert isinstance(df[col].dtype, pd.CategoricalDtype)
            assert list(df[col].cat.categories) == meta["factors"][col]
            assert df[col].cat.ordered == (col in meta["ordered"])
        elif kind == "double":
            assert df[col].dtype == "float64"
        elif kind == "integer":
            assert df[col].dtype == "int64"


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
