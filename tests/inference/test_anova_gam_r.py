"""anova_gam against mgcv 1.8-41's anova.gam (validation_r/gam_anova_reference.R).

Every model is refitted with aurora.gam on validation_r/data/gamanova_data.csv, the data
mgcv fitted. Tolerances: table numbers 1e-6 relative; p-values 1e-6 relative where
mgcv's p > 1e-10 (below, both under 1e-9); printed text identical line for line.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import AuroraWarning, DataError
from aurora.inference.anova_gam import GAMAnova, anova_gam, gam_df_residual

from reference import VALIDATION

RTOL = 1e-6


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_anova_reference.json").read_text())


@lru_cache(maxsize=None)
def _data() -> pd.DataFrame:
    return pd.read_csv(VALIDATION / "data" / _reference()["data"])


@lru_cache(maxsize=None)
def _fit(formula: str, family: str, method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return aurora.gam(formula, _data(), family=family, method=method)


SINGLE = {c["name"]: c for c in _reference()["single"]}
COMPARE = {c["name"]: c for c in _reference()["compare"]}
RUNS = [(name, i) for name, c in COMPARE.items() for i in range(len(c["runs"]))]


def _single_fit(name: str):
    c = SINGLE[name]
    return _fit(c["formula"], c["family"], c["method"])


def _compare_fits(name: str) -> list:
    c = COMPARE[name]
    return [_fit(f, c["family"], c["method"]) for f in c["formulas"]]


def _frame(ref: dict | None) -> pd.DataFrame:
    if ref is None:
        return pd.DataFrame(np.zeros((0, 0)))
    values = [[np.nan if v is None else v for v in row] for row in ref["values"]]
    return pd.DataFrame(np.array(values, dtype=float), index=ref["rows"],
                        columns=ref["columns"])


def _check_numbers(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(got.index) == list(ref.index)
    assert list(got.columns) == list(ref.columns)
    for col in ref.columns:
        g, r = got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(g), np.isnan(r)), (col, g, r)
        ok = ~np.isnan(r)
        g, r = g[ok], r[ok]
        if col.startswith(("Pr(", "p-value")):
            big = r > 1e-10
            assert np.all(np.abs(g[big] - r[big]) <= RTOL * r[big]), (col, g, r)
            assert np.all(g[~big] < 1e-9), (col, g, r)
        else:
            assert np.all(np.abs(g - r) <= RTOL * np.abs(r)), (col, g, r)


def test_reference_covers_the_brief():
    fams = {c["family"] for c in SINGLE.values()}
    assert {"gaussian", "poisson", "binomial"} <= fams
    assert any("te(" in c["formula"] for c in SINGLE.values())
    gauss = SINGLE["gauss_factor"]
    assert gauss["formula"].count("s(") == 3 and " f " in gauss["formula"]
    tests = {r["test"] for c in COMPARE.values() for r in c["runs"]}
    assert {"F", "Chisq", "none"} <= tests
    assert {c["method"] for c in SINGLE.values()} >= {"REML", "ML", "GCV.Cp"}


@pytest.mark.parametrize("freq", [False, True])
@pytest.mark.parametrize("name", list(SINGLE))
def test_single_model_tables(name, freq):
    ref = SINGLE[name]["anova_freq" if freq else "anova"]
    got = anova_gam(_single_fit(name), freq=freq)
    assert isinstance(got, GAMAnova)
    if ref["pterms"] is None:
        assert len(got.pterms_table) == 0
    else:
        _check_numbers(got.pterms_table, _frame(ref["pterms"]))
    _check_numbers(got.s_table, _frame(ref["s_table"]))


@pytest.mark.parametrize("freq", [False, True])
@pytest.mark.parametrize("name", list(SINGLE))
def test_single_model_printed(name, freq):
    ref = SINGLE[name]["anova_freq" if freq else "anova"]["text"]
    got = str(anova_gam(_single_fit(name), freq=freq))
    assert got.split("\n") == ref.split("\n")


def test_freq_changes_only_the_parametric_tests():
    m = _single_fit("gauss_factor")
    bayes, freq = anova_gam(m), anova_gam(m, freq=True)
    assert not np.allclose(bayes.pterms_table["F"], freq.pterms_table["F"], rtol=1e-9)
    pd.testing.assert_frame_equal(bayes.s_table, freq.s_table)


@pytest.mark.parametrize("name", list(COMPARE))
def test_residual_df_of_the_comparison(name):
    ref = COMPARE[name]
    got = np.array([gam_df_residual(m) for m in _compare_fits(name)])
    assert np.all(np.abs(got - ref["df_residual"]) <= RTOL * np.abs(ref["df_residual"]))
    assert [m.fit.edf2 is not None for m in _compare_fits(name)] == ref["has_edf2"]


@pytest.mark.parametrize("name,i", RUNS)
def test_comparison_table(name, i):
    run = COMPARE[name]["runs"][i]
    test = None if run["test"] == "none" else run["test"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = anova_gam(*_compare_fits(name), test=test)
    assert [str(w.message) for w in caught] == run["warnings"]
    assert got.heading == run["heading"]
    _check_numbers(got, _frame(run["table"]))


@pytest.mark.parametrize("name,i", RUNS)
def test_comparison_printed(name, i):
    run = COMPARE[name]["runs"][i]
    test = None if run["test"] == "none" else run["test"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = str(anova_gam(*_compare_fits(name), test=test))
    assert got.split("\n") == run["text"].split("\n")


def test_lrt_is_chisq():
    m0, m1 = _compare_fits("gauss_pair")
    a, b = anova_gam(m0, m1, test="LRT"), anova_gam(m0, m1, test="Chisq")
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_bad_test_and_arguments():
    m0, m1 = _compare_fits("gauss_pair")
    with pytest.raises(DataError, match="un-supported test"):
        anova_gam(m0, m1, test="Cp")
    with pytest.warns(AuroraWarning, match="test argument ignored"):
        anova_gam(m1, test="F")
    with pytest.raises(DataError, match="fitted GAMs"):
        anova_gam(m0, "not a model")


def test_models_of_different_data_or_response():
    m0, m1 = _compare_fits("gauss_pair")
    small = _fit_rows("y ~ f + s(x0)", 250)
    with pytest.raises(DataError, match="same size"):
        anova_gam(m0, small)
    other = _fit(COMPARE["pois_pair"]["formulas"][0], "poisson", "REML")
    with pytest.warns(AuroraWarning, match="response"):
        got = anova_gam(m0, m1, other, test="F")
    assert list(got.index) == ["1", "2"]


def _fit_rows(formula: str, n: int):
    return aurora.gam(formula, _data().iloc[:n])
