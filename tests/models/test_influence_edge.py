"""Influence measures at leverage 1 against R (validation_r/influence_reference.json).

Each case has one observation with leverage 1 (a factor level seen in a single row, or a
row with a dummy column of its own). R forces that hat value to 1, gives it DFBETAS 0 and
``sigma = sqrt(sum(e^2) / (n - p - 1))``, and turns the infinite Cook's distance and
standardized/studentized residuals into NaN. Aurora must give the same numbers (1e-6
relative), NaN exactly where R has NaN, and no NumPy RuntimeWarning on the way.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aurora

VALIDATION = Path(__file__).resolve().parents[2] / "validation_r"
COLUMNS = {"hat": "hat", "cooks": "cooks_d", "rstandard": "rstandard",
           "rstudent": "rstudent", "sigma": "sigma"}


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "influence_reference.json").read_text())


CASES = {c["name"]: c for c in _reference()["cases"]}


def _values(values: list, markers: list) -> np.ndarray:
    """A JSON vector as floats: R's NaN as NaN; R's NA and +-Inf do not occur here."""
    assert all(m in (None, "NaN") for m in markers), markers
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@lru_cache(maxsize=None)
def _fit(name: str):
    case = CASES[name]
    data = pd.read_csv(VALIDATION / "data" / case["data"]).set_index("row")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = aurora.glm(case["formula"], data, family=case["family"], weights=case["weights"])
        infl = m.influence()
    return m, infl


@pytest.mark.parametrize("name", sorted(CASES))
def test_rows_are_the_data_rows_used(name):
    case = CASES[name]
    m, infl = _fit(name)
    assert list(infl.index) == case["row_names"]
    assert list(infl.columns) == (list(COLUMNS.values())
                                  + [f"dfb_{c}" for c in case["coef_names"]])
    assert list(infl.index[infl["hat"] == 1.0]) == case["leverage_one"] != []


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("quantity", sorted(COLUMNS))
def test_influence_matches_r(name, quantity):
    case = CASES[name]
    _, infl = _fit(name)
    expected = _values(case[quantity], case[f"{quantity}_nonfinite"])
    actual = infl[COLUMNS[quantity]].to_numpy()
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_dfbetas_match_r(name):
    case = CASES[name]
    _, infl = _fit(name)
    expected = np.array([_values(r, m) for r, m in
                         zip(case["dfbetas"], case["dfbetas_nonfinite"])])
    actual = infl[[f"dfb_{c}" for c in case["coef_names"]]].to_numpy()
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-12, equal_nan=True)
    lev1 = infl["hat"].to_numpy() == 1.0
    assert (actual[lev1] == 0).all()


def test_leverage_one_gives_nan_not_inf():
    for name in CASES:
        _, infl = _fit(name)
        row = infl[infl["hat"] == 1.0]
        assert row[["cooks_d", "rstandard", "rstudent"]].isna().all(axis=None)
        assert np.isfinite(infl.to_numpy()[~np.isnan(infl.to_numpy())]).all()
