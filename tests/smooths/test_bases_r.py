"""aurora.smooths against mgcv (validation_r/smooths_reference.json).

Each case is ``smoothCon(s(...), data, knots, absorb.cons = TRUE, scale.penalty = TRUE)``
and the unconstrained ``smooth.construct`` in mgcv 1.8-41. Tolerance: 1e-10 relative to
the largest absolute entry of each matrix (R writes 15 significant digits; these are
deterministic linear algebra). Counts (rank, null-space dimension, bs.dim) exactly.

The one exception is the ``cs`` shrinkage penalty: mgcv gives the two null-space
eigenvalues of the ``cr`` penalty ``0.1 l`` and ``0.01 l`` in the order LAPACK returns two
zero-but-for-rounding eigenvalues, which is rounding noise. For ``cs`` the penalty is checked
by its invariants (eigenvalues; its action on the range of the ``cr`` penalty), by being
mgcv's with the two null-space directions in one of their two orders, and the scaling and
constraint by absorbing mgcv's own raw penalty.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import eigh

from aurora.errors import DataError, DataWarning
from aurora.formula.ast import Smooth
from aurora.smooths import RawBasis, get_basis
from aurora.smooths.constraints import absorb, predict_block

ROOT = Path(__file__).resolve().parents[2] / "validation_r"
TOL = 1e-10


@lru_cache(maxsize=None)
def ref() -> dict:
    return json.loads((ROOT / "smooths_reference.json").read_text())


CASES = ref()["case_names"]


def case_by_name(name: str) -> dict:
    return next(c for c in ref()["cases"] if c["name"] == name)


@lru_cache(maxsize=None)
def frame(file: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / file)


def data_of(case: dict, which: str) -> dict:
    fit = frame(case["data"])
    df = frame(case[which])
    out = {}
    for col in df.columns:
        if df[col].dtype == object:  # factors: R's levels are the sorted labels
            out[col] = pd.Categorical(df[col], categories=sorted(fit[col].unique()))
        else:
            out[col] = df[col].to_numpy()
    return out


def matrix(rows: list) -> np.ndarray:
    return np.array([[np.nan if e is None else e for e in r] for r in rows], dtype=float)


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str, tol: float = TOL) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if expected.size == 0:
        return
    scale = max(float(np.nanmax(np.abs(expected))), np.finfo(float).tiny)
    err = float(np.nanmax(np.abs(actual - expected))) / scale
    assert err <= tol, f"{what}: max relative difference {err:.3g} > {tol:g}"


def term_of(case: dict) -> Smooth:
    m = case["m"]
    m = tuple(m) if isinstance(m, list) else m
    return Smooth("s", tuple(case["vars"]), k=case["k"], bs=case["bs"], m=m, fx=case["fx"])


@lru_cache(maxsize=None)
def built(name: str):
    case = case_by_name(name)
    knots = {k: v for k, v in (case["knots"] or {}).items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = get_basis(case["bs"]).construct(term_of(case), data_of(case, "data"), knots)
    block = absorb(raw, case["label"], case["bs"])
    return case, raw, block, [str(w.message) for w in caught if w.category is DataWarning]


@pytest.mark.parametrize("name", CASES)
def test_unconstrained_basis(name: str) -> None:
    case, raw, _, _ = built(name)
    assert_close(raw.X, matrix(case["raw_X"]), "smooth.construct X")
    assert len(raw.penalties) == len(case["raw_S"])
    assert raw.null_space_dim == case["raw_null_space_dim"]
    assert list(raw.rank) == case["raw_rank"]
    if case["bs"] == "cs":
        return  # test_cs_penalty
    for S, S_r in zip(raw.penalties, case["raw_S"]):
        assert_close(S, matrix(S_r), "smooth.construct S")


@pytest.mark.parametrize("name", CASES)
def test_smoothcon(name: str) -> None:
    case, raw, block, _ = built(name)
    assert block.label == case["label"]
    assert_close(block.X, matrix(case["X"]), "sm$X")
    assert block.null_space_dim == case["null_space_dim"]
    assert list(block.rank) == case["rank"]
    assert block.state["bs_dim"] == case["bs_dim"]
    assert len(block.penalties) == len(case["S"]) == len(case["S_scale"])
    if case["bs"] == "cs":
        return  # test_cs_penalty
    for S, S_r in zip(block.penalties, case["S"]):
        assert_close(S, matrix(S_r), "sm$S")
    assert_close(block.penalty_scale, case["S_scale"], "sm$S.scale")


@pytest.mark.parametrize("name", CASES)
def test_predictmat(name: str) -> None:
    case, _, block, _ = built(name)
    state = json.loads(json.dumps(block.state))  # what save() writes and load() reads
    X_new = predict_block(state, data_of(case, "newdata"))
    assert_close(X_new, matrix(case["predict"]), "PredictMat")


@pytest.mark.parametrize("name", CASES)
def test_knots_and_warnings(name: str) -> None:
    case, raw, _, caught = built(name)
    if case["knots_used"] is not None:
        assert_close(raw.state["knots"], case["knots_used"], "knots", tol=1e-14)
    for message in case["warnings"]:
        assert any(message in text for text in caught), (message, caught)
    if not case["warnings"]:
        assert caught == []


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("cs")])
def test_cs_penalty(name: str) -> None:
    case, raw, block, _ = built(name)
    S = raw.penalties[0]
    S_r = matrix(case["raw_S"][0])
    # invariants: the spectrum, and the action on the range of the cr penalty
    assert_close(np.linalg.eigvalsh(S), np.linalg.eigvalsh(S_r), "eigenvalues of S")
    cr_term = Smooth("s", tuple(case["vars"]), k=case["k"], bs="cr")
    cr = get_basis("cr").construct(cr_term, data_of(case, "data"))
    values, vectors = eigh(cr.penalties[0])
    U = vectors[:, 2:]                                  # range of the cr penalty
    assert_close(U.T @ S @ U, U.T @ S_r @ U, "cs penalty on the range of cr's")
    # mgcv's, with the two null-space directions in one order or the other
    values, vectors = eigh(S, driver="evr")
    swapped = values.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    S_swapped = vectors @ (swapped[:, None] * vectors.T)
    errs = [np.abs(A - S_r).max() / np.abs(S_r).max() for A in (S, S_swapped)]
    assert min(errs) < 1e-8, errs
    # scaling and constraint: absorbing mgcv's own raw penalty gives mgcv's sm$S
    again = absorb(RawBasis(X=raw.X, penalties=(S_r,), null_space_dim=raw.null_space_dim,
                            rank=raw.rank, state=raw.state), case["label"], "cs")
    assert_close(again.penalties[0], matrix(case["S"][0]), "sm$S from mgcv's raw S")
    assert_close(again.penalty_scale, case["S_scale"], "sm$S.scale from mgcv's raw S")
    # ours: S.scale within what the order of the null-space directions moves it
    assert_close(block.penalty_scale, case["S_scale"], "sm$S.scale", tol=1e-3)


def test_k_too_large_messages() -> None:
    errors = ref()["errors"]
    ties = {"x": frame("smooths_ties.csv")["x"].to_numpy()}
    n_unique = len(np.unique(ties["x"]))
    with pytest.raises(DataError) as info:
        get_basis("cr").construct(Smooth("s", ("x",), k=25, bs="cr"), ties)
    assert errors["cr"].rstrip(".") in str(info.value)
    assert f"{n_unique} unique values" in str(info.value)
    with pytest.raises(DataError, match=f"{n_unique} unique values"):
        get_basis("cc").construct(Smooth("s", ("x",), k=25, bs="cc"), ties)
    with pytest.warns(DataWarning, match="larger than number of unique covariates"):
        get_basis("ps").construct(Smooth("s", ("x",), k=25, bs="ps"), ties)
    assert "larger than number of unique covariates" in errors["ps_warning"]


# --- bad input and missing values (mgcv's behaviour, checked here without R) ------------

SPLINES = ("cr", "cs", "cc", "ps", "cp", "bs")


def _uniform() -> dict:
    return data_of(case_by_name("re_xg"), "data")


@pytest.mark.parametrize("bs", SPLINES)
def test_nan_in_newdata_gives_nan_rows(bs: str) -> None:
    raw = get_basis(bs).construct(Smooth("s", ("x",), k=6, bs=bs), _uniform())
    block = absorb(raw, "s(x)", bs)
    X = predict_block(block.state, {"x": np.array([0.2, np.nan, 0.7])})
    assert np.isnan(X[1]).all() and np.isfinite(X[[0, 2]]).all()
    np.testing.assert_allclose(X[[0, 2]], predict_block(block.state, {"x": [0.2, 0.7]}))


def test_re_new_levels_and_missing_values() -> None:
    from aurora.errors import FactorLevelError

    raw = get_basis("re").construct(Smooth("s", ("g",), bs="re"), _uniform())
    block = absorb(raw, "s(g)", "re")
    X = predict_block(block.state, {"g": np.array(["b", None, "f"], dtype=object)})
    assert X.tolist()[1] == [0.0] * 6 and X[0, 1] == 1.0 and X[2, 5] == 1.0
    with pytest.raises(FactorLevelError, match="zz"):
        predict_block(block.state, {"g": np.array(["a", "zz"], dtype=object)})


@pytest.mark.parametrize("bs, k, n_knots", [("cr", 6, 5), ("cc", 6, 5), ("ps", 6, 9),
                                            ("cp", 5, 5), ("bs", 6, 9)])
def test_wrong_number_of_knots(bs: str, k: int, n_knots: int) -> None:
    knots = {"x": list(np.linspace(-0.5, 1.5, n_knots))}
    with pytest.raises(DataError, match="knots"):
        get_basis(bs).construct(Smooth("s", ("x",), k=k, bs=bs), _uniform(), knots)


@pytest.mark.parametrize("bs", ("ps", "cp", "bs"))
def test_knot_range_must_include_data(bs: str) -> None:
    with pytest.raises(DataError, match="knot range does not include data"):
        get_basis(bs).construct(Smooth("s", ("x",), k=6, bs=bs), _uniform(),
                                {"x": [0.2, 0.8]})


def test_too_small_and_multivariate() -> None:
    from aurora.errors import ModelSpecError

    with pytest.raises(ModelSpecError, match="too small"):
        get_basis("bs").construct(Smooth("s", ("x",), k=4, bs="bs"), _uniform())
    with pytest.raises(ModelSpecError, match="1-D"):
        get_basis("cr").construct(Smooth("s", ("x", "z"), bs="cr"), _uniform())
    with pytest.warns(DataWarning, match="increased to minimum"):
        raw = get_basis("cc").construct(Smooth("s", ("x",), k=3, bs="cc"), _uniform())
    assert raw.state["bs_dim"] == 4
