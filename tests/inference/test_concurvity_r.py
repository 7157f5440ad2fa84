"""concurvity against mgcv 1.8-41 (validation_r/gam_anova_reference.R).

The models of the reference are refitted with aurora.gam on the data mgcv fitted;
every measure is compared at 1e-8 relative (absolute where mgcv's value is below 1e-10,
rounding noise: the intercept against sum-to-zero smooths).
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import DataError
from aurora.inference.concurvity import MEASURES, concurvity

from reference import VALIDATION


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_anova_reference.json").read_text())


@lru_cache(maxsize=None)
def _data() -> pd.DataFrame:
    return pd.read_csv(VALIDATION / "data" / _reference()["data"])


CASES = {c["name"]: c for c in _reference()["single"]}


@lru_cache(maxsize=None)
def _fit(name: str):
    c = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return aurora.gam(c["formula"], _data(), family=c["family"], method=c["method"])


def _close(got: np.ndarray, ref) -> None:
    ref = np.array(ref, dtype=float)
    assert got.shape == ref.shape
    big = np.abs(ref) > 1e-10
    assert np.all(np.abs(got[big] - ref[big]) <= 1e-8 * np.abs(ref[big])), (got, ref)
    assert np.all(np.abs(got[~big]) < 1e-10), (got, ref)


@pytest.mark.parametrize("name", list(CASES))
def test_full(name):
    ref = CASES[name]["concurvity_full"]
    got = concurvity(_fit(name))
    assert list(got.index) == ref["rows"] == list(MEASURES)
    assert list(got.columns) == ref["columns"]
    _close(got.to_numpy(), ref["values"])


@pytest.mark.parametrize("name", list(CASES))
def test_pairwise(name):
    got = concurvity(_fit(name), full=False)
    refs = CASES[name]["concurvity_pairwise"]
    assert list(got) == [r["measure"] for r in refs] == list(MEASURES)
    for r in refs:
        tab = got[r["measure"]]
        assert list(tab.index) == list(tab.columns) == r["labels"]
        _close(tab.to_numpy(), r["values"])


def test_para_is_the_first_column_as_in_mgcv():
    """mgcv's "para" block is column 1 alone: one column, so its three measures agree."""
    got = concurvity(_fit("gauss_factor"))
    assert len(set(np.round(got["para"].to_numpy(), 12))) == 1


def test_row_order_does_not_matter():
    c = CASES["gauss_te"]
    d = _data().sample(frac=1.0, random_state=7)
    m = aurora.gam(c["formula"], d, family=c["family"], method=c["method"])
    np.testing.assert_allclose(concurvity(m).to_numpy(), concurvity(_fit("gauss_te")).to_numpy(),
                               rtol=1e-7, atol=1e-12)


def test_model_without_smooths():
    m = aurora.gam("y ~ x3 + f", _data())
    with pytest.raises(DataError, match="nothing to do"):
        concurvity(m)
