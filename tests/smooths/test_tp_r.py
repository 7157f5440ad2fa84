"""Thin plate regression splines (bs = "tp", "ts") against mgcv 1.8-41.

Reference values: validation_r/tp_reference.R -> validation_r/tp_reference.json, data in
validation_r/data/tp_*.csv. Matrices are compared relative to their largest entry at 1e-8
(aurora replays mgcv's Lanczos iteration, so eigenvector signs agree and what is left is
rounding, ~1e-11 at worst); fitted values of Gaussian gam() fits at a fixed sp are a
sign-invariant check of the whole smooth.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurora.errors import DataError
from aurora.formula import parse
from aurora.formula.ast import Smooth
from aurora.smooths import get_basis
from aurora.smooths.constraints import absorb, predict_block
from aurora.smooths.tp import _r_sample, null_space_dimension

VALIDATION = Path(__file__).resolve().parents[2] / "validation_r"
RTOL = 1e-8


@lru_cache(maxsize=None)
def reference() -> dict:
    return json.loads((VALIDATION / "tp_reference.json").read_text())


CASES = {c["name"]: c for c in reference()["cases"]}


def mat(values) -> np.ndarray:
    return np.atleast_2d(np.asarray(values, dtype=float))


def assert_close(actual, expected, rtol=RTOL, what=""):
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float).reshape(actual.shape)
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    err = float(np.max(np.abs(actual - expected))) / scale
    assert err <= rtol, f"{what}: max difference {err:.2e} relative to the largest entry"


def term_of(spec: str) -> Smooth:
    return next(t for t in parse("y ~ " + spec).terms if isinstance(t, Smooth))


@lru_cache(maxsize=None)
def built(name: str):
    case = CASES[name]
    df = pd.read_csv(VALIDATION / "data" / case["data"])
    term = term_of(case["spec"])
    bs = term.bs or "tp"
    data = {v: df[v].to_numpy() for v in df.columns}
    raw = get_basis(bs).construct(term, data, knots=case["knots"])
    block = absorb(raw, f"s({','.join(term.variables)})", bs)
    return case, df, term, bs, raw, block


def rows(case, X):
    return X if case["rows"] is None else X[np.asarray(case["rows"]) - 1]


def newdata(case) -> dict:
    return {v: np.asarray(vals, dtype=float) for v, vals in case["newdata"].items()}


@pytest.mark.parametrize("name", list(CASES))
def test_raw_basis_matches_mgcv(name):
    case, _, _, bs, raw, _ = built(name)
    ref = case["raw"]
    assert raw.X.shape[1] == ref["bs_dim"]
    assert_close(rows(case, raw.X), mat(ref["X"]), what="X")
    assert raw.null_space_dim == ref["null_space_dim"]
    if "fx" in case["spec"]:
        assert raw.penalties == ()
    else:
        assert raw.rank == (ref["rank"],)
        assert len(raw.penalties) == 1
        assert_close(raw.penalties[0], mat(ref["S"][0]), what="S")
    assert_close(raw.state["shift"], ref["shift"], rtol=1e-14, what="shift")
    Xu = np.asarray(raw.state["Xu"])
    assert len(Xu) == case["n_knots"]
    if case["xu_rows"] is not None:
        Xu = Xu[np.asarray(case["xu_rows"]) - 1]
    assert_close(Xu, mat(ref["Xu"]).reshape(Xu.shape), rtol=1e-14, what="Xu")
    if ref["UZ"] is not None:
        assert_close(raw.state["UZ"], mat(ref["UZ"]), what="UZ")
    assert_close(get_basis(bs).predict_matrix(raw.state, newdata(case)), mat(ref["predict"]),
                 what="PredictMat")


@pytest.mark.parametrize("name", list(CASES))
def test_absorbed_smooth_matches_smoothcon(name):
    case, _, _, _, _, block = built(name)
    ref = case["absorbed"]
    assert_close(rows(case, block.X), mat(ref["X"]), what="X")
    assert list(block.penalty_scale) == pytest.approx(np.atleast_1d(ref["S_scale"]).tolist(),
                                                      rel=RTOL)
    for S, S_ref in zip(block.penalties, ref["S"]):
        assert_close(S, mat(S_ref), what="S")
    assert len(block.penalties) == len(ref["S"])
    assert block.null_space_dim == ref["null_space_dim"]
    assert_close(predict_block(block.state, newdata(case)), mat(ref["predict"]),
                 what="PredictMat")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.get("gam")])
def test_fitted_values_of_gam_at_fixed_sp(name):
    """Sign-invariant: y ~ s(...) at mgcv's fixed sp, Gaussian, by penalised least squares."""
    case, df, _, _, _, _ = built(name)
    fit = case["gam"]
    term = term_of(fit["formula"].split("~", 1)[1])
    bs = term.bs or "tp"
    data = {v: df[v].to_numpy() for v in df.columns}
    block = absorb(get_basis(bs).construct(term, data), "s", bs)
    X = np.column_stack([np.ones(len(df)), block.X])
    P = np.zeros((X.shape[1], X.shape[1]))
    P[1:, 1:] = fit["sp"] * block.penalties[0]
    y = df["y"].to_numpy()
    beta = np.linalg.solve(X.T @ X + P, X.T @ y)
    assert X.shape[1] == fit["coef_len"]
    assert_close(X @ beta, fit["fitted"], what="fitted")


def test_predict_on_fitting_data_reproduces_X():
    """As in mgcv, to the accuracy of the Lanczos eigenvectors (mgcv's own PredictMat on
    the fitting data differs from X by up to 2e-9 relative in these cases)."""
    for name in CASES:
        case, df, _, bs, raw, block = built(name)
        data = {v: df[v].to_numpy() for v in df.columns}
        assert_close(get_basis(bs).predict_matrix(raw.state, data), raw.X, what=name)
        assert_close(predict_block(block.state, data), block.X, what=name)


def test_state_is_json_serialisable():
    _, df, _, _, _, block = built("tp2")
    state = json.loads(json.dumps(block.state))
    new = {"x": np.array([0.1, 0.5, 1.4]), "z": np.array([0.2, 0.9, -0.3])}
    assert np.array_equal(predict_block(state, new), predict_block(block.state, new))


def test_k_larger_than_unique_values_names_the_term():
    x = np.repeat(np.arange(7.0), 3)
    with pytest.raises(DataError, match=r"s\(x\).*k = 10.*only 7 unique"):
        get_basis("tp").construct(Smooth("s", ("x",)), {"x": x})
    with pytest.raises(DataError, match=r"s\(x,z\)"):
        get_basis("ts").construct(Smooth("s", ("x", "z"), k=8), {"x": x, "z": x})


def test_factor_covariate_is_refused():
    f = pd.Series(pd.Categorical(list("abcab") * 10))
    with pytest.raises(DataError, match=r"s\(f\)"):
        get_basis("tp").construct(Smooth("s", ("f",)), {"f": f})
    with pytest.raises(DataError, match=r"s\(x,g\)"):
        get_basis("tp").construct(Smooth("s", ("x", "g")),
                                  {"x": np.arange(50.0), "g": np.array(list("ab") * 25)})


def test_default_k_and_penalty_order():
    """mgcv: m is the smallest with 2m > d + 1 and k = M + 8, 27, 100 for d = 1, 2, >= 3."""
    assert [null_space_dimension(d, 0) for d in (1, 2, 3)] == [2, 3, 10]
    rng = np.random.default_rng(1)
    data = {v: rng.uniform(size=150) for v in "xzw"}
    for vars_, k in ((("x",), 10), (("x", "z"), 30), (("x", "z", "w"), 110)):
        raw = get_basis("tp").construct(Smooth("s", vars_), data)
        assert raw.X.shape == (150, k)


def test_ts_penalty_has_full_rank():
    _, _, _, _, raw, _ = built("ts1")
    eig = np.linalg.eigvalsh(raw.penalties[0])
    assert eig.min() > 0 and raw.null_space_dim == 0


def test_r_sample_replays_r():
    """R 4.2: set.seed(1); sample(2500, 10) and set.seed(1); sample(70000, 5)."""
    assert (_r_sample(2500, 10, 1) + 1).tolist() == [1017, 679, 2177, 930, 1533, 471, 2347,
                                                     270, 1211, 597]
    assert (_r_sample(70000, 5, 1) + 1).tolist() == [24388, 59521, 43307, 69586, 11571]


def test_subset_leaves_numpy_random_state_alone():
    x = np.linspace(0, 1, 2100)
    state = np.random.get_state()[1].copy()
    raw = get_basis("tp").construct(Smooth("s", ("x",), k=5), {"x": x})
    assert len(raw.state["Xu"]) == 2000
    assert np.array_equal(np.random.get_state()[1], state)
