"""``by`` variables, point constraints, id and sp (aurora/smooths/by.py) against mgcv 1.8-41.

Reference: validation_r/tensor_reference.R -> validation_r/tensor_reference.json (cases
``by_*``, ``id_sp``, ``te_id_sp``, ``pc_*``). Each case is the list of smooths
``smoothCon(term, data, absorb.cons = TRUE, scale.penalty = TRUE)`` returns: one per level
of a factor ``by`` (per level but the first for an ordered factor), with mgcv's labels,
X, each S, S.scale, rank, null.space.dim, number of constraints, id, sp and PredictMat
on new data. Tolerance 1e-10 relative to each matrix's largest entry (the largest
difference is ~1e-13). For the t2 cases the columns' signs are first set to mgcv's (see
tests/smooths/test_tensor_r.py: eigenvector signs are the LAPACK build's choice).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurora.errors import UnknownVariableError
from aurora.formula import parse
from aurora.smooths.by import (absorb_term, is_factor_by, predict_con, raw_smooth,
                               smooth_con)
from aurora.smooths.tensor import TENSORS

VALIDATION = Path(__file__).resolve().parents[2] / "validation_r"
TOL = 1e-10


@lru_cache(maxsize=None)
def ref() -> dict:
    return json.loads((VALIDATION / "tensor_reference.json").read_text())


def case(name: str) -> dict:
    return next(c for c in ref()["cases"] if c["name"] == name)


NAMES = [n for n in ref()["case_names"]
         if n.startswith(("by_", "pc_")) or n in ("id_sp", "te_id_sp")]


@lru_cache(maxsize=None)
def frame(which: str) -> dict:
    df = pd.read_csv(VALIDATION / "data" / ref()[which])
    out = {}
    for col in df.columns:
        if col in ref()["factors"]:
            out[col] = pd.Categorical(df[col], categories=ref()["factors"][col])
        elif col in ref()["ordered"]:
            out[col] = pd.Categorical(df[col], categories=ref()["ordered"][col], ordered=True)
        else:
            out[col] = df[col].to_numpy()
    return out


def mat(rows) -> np.ndarray:
    return np.array([[np.nan if e is None else e for e in r] for r in rows], dtype=float)


def assert_close(actual, expected, what: str, tol: float = TOL) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float).reshape(actual.shape)
    if expected.size == 0:
        return
    scale = max(float(np.nanmax(np.abs(expected))), np.finfo(float).tiny)
    err = float(np.nanmax(np.abs(actual - expected))) / scale
    assert err <= tol, f"{what}: max relative difference {err:.3g} > {tol:g}"


def term_of(spec: str):
    return parse("y ~ " + spec).terms[0]


@lru_cache(maxsize=None)
def built(name: str):
    c = case(name)
    term = term_of(c["spec"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        blocks = smooth_con(term, frame("data"), c["knots"])
    return c, term, blocks


@pytest.mark.parametrize("name", NAMES)
def test_labels_and_levels(name: str) -> None:
    c, _, blocks = built(name)
    assert [b.label for b in blocks] == [s["label"] for s in c["smooths"]]
    assert [b.state["by_level"] for b in blocks] == [s["by_level"] for s in c["smooths"]]


@pytest.mark.parametrize("name", NAMES)
def test_smoothcon_matches_mgcv(name: str) -> None:
    c, term, blocks = built(name)
    new_raw = None
    if term.kind == "t2":
        blocks, new_raw = _t2_with_mgcv_signs(term, c)
    for block, sm in zip(blocks, c["smooths"]):
        assert_close(block.X, mat(sm["X"]), f"{block.label} X")
        assert len(block.penalties) == len(sm["S"])
        for S, S_r in zip(block.penalties, sm["S"]):
            assert_close(S, mat(S_r), f"{block.label} S")
        assert_close(block.penalty_scale, sm["S_scale"], f"{block.label} S.scale")
        assert list(block.rank) == list(np.atleast_1d(sm["rank"]))
        assert block.null_space_dim == sm["null_space_dim"]
        assert block.state["n_cons"] == sm["n_cons"]
        if new_raw is None:
            X_new = predict_con(block.state, frame("newdata"), as_mgcv=True)
        else:
            X_new = _t2_predict(block.state, new_raw)
        assert_close(X_new, mat(sm["predict"]), f"{block.label} PredictMat")


def _t2_with_mgcv_signs(term, c):
    """Our t2 blocks rebuilt with mgcv's column signs (mgcv's unconstrained columns of the
    same t2 without by are case t2_k4's), and the raw columns at new data."""
    _, _, raw = raw_smooth(term, frame("data"))
    assert c["spec"].replace(f", by = {term.by}", "") == case("t2_k4")["spec"]
    X_r = mat(case("t2_k4")["raw"]["X"])
    D = np.where((raw.X * X_r).sum(axis=0) < 0, -1.0, 1.0)
    assert_close(raw.X * D, X_r, "smooth.construct X (signs aligned)")
    state = dict(raw.state)
    if state["Cp"] is not None:
        state["Cp"] = (np.asarray(state["Cp"]) * D).tolist()
    aligned = replace(raw, X=raw.X * D, state=state,
                      constraint=np.asarray(raw.constraint) * D[None, :])
    blocks = absorb_term(term, aligned, "t2", frame("data"))
    new_raw = TENSORS["t2"].predict_matrix(raw.state, frame("newdata")) * D
    return blocks, new_raw


def _t2_predict(state, new_raw):
    Z = state["Zp"] if state["Zp"] is not None else state["Z"]
    X = new_raw if Z is None else new_raw @ np.asarray(Z)
    by = state["by"]
    values = frame("newdata")[by]
    if state["by_level"] is None:
        return X * np.asarray(values, dtype=float)[:, None]
    return X * (np.asarray(values, dtype=object) == state["by_level"])[:, None]


@pytest.mark.parametrize("name", [n for n in NAMES if case(n).get("gam")])
def test_gaussian_fit_at_fixed_sp(name: str) -> None:
    c, _, blocks = built(name)
    X = np.column_stack([np.ones(len(frame("data")["y"]))] + [b.X for b in blocks])
    P = np.zeros((X.shape[1], X.shape[1]))
    start = 1
    for sp, block in zip(np.atleast_1d(c["gam"]["sp"]), blocks):
        stop = start + block.n_coef
        P[start:stop, start:stop] = sp * block.penalties[0]
        start = stop
    y = frame("data")["y"]
    fitted = X @ np.linalg.solve(X.T @ X + P, X.T @ y)
    assert X.shape[1] == c["gam"]["n_coef"]
    assert_close(fitted, c["gam"]["fitted"], "fitted values", tol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_id_and_sp_recorded(name: str) -> None:
    c, _, blocks = built(name)
    for block, sm in zip(blocks, c["smooths"]):
        assert block.state["id"] == sm["id"]
        expected = None if sm["sp"] is None else list(np.atleast_1d(sm["sp"]))
        assert block.state["sp"] == expected


@pytest.mark.parametrize("name", NAMES)
def test_new_data_at_fitting_points_gives_x(name: str) -> None:
    _, _, blocks = built(name)
    for block in blocks:
        # thin plate bases (s(x, by = ...) defaults to tp): mgcv's PredictMat reproduces X
        # to ~1e-10 as well
        assert_close(predict_con(block.state, frame("data")), block.X, block.label, tol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_state_is_json(name: str) -> None:
    _, _, blocks = built(name)
    for block in blocks:
        back = json.loads(json.dumps(block.state))
        assert_close(predict_con(back, frame("newdata")),
                     predict_con(block.state, frame("newdata")), block.label, tol=1e-15)


def test_numeric_by_drops_the_constraint_unless_constant() -> None:
    assert built("by_num_cr")[2][0].state["n_cons"] == 0
    assert built("by_const")[2][0].state["n_cons"] == 1
    assert built("by_num_pc")[2][0].state["n_cons"] == 1      # a point constraint stays
    negative = dict(frame("data"), c2=np.full(len(frame("data")["x"]), -2.0))
    (block,) = smooth_con(term_of('s(x, bs = "cr", k = 6, by = c2)'), negative)
    assert block.state["n_cons"] == 0   # mgcv: sd(by) > mean(by) * eps * 1000 when mean < 0


def test_factor_by_columns_vanish_off_their_level() -> None:
    _, _, blocks = built("by_fac_cr")
    f = np.asarray(frame("data")["f"])
    for block in blocks:
        off = f != block.state["by_level"]
        assert np.all(block.X[off] == 0) and np.abs(block.X[~off]).max() > 0


def test_logical_by_is_numeric_and_strings_are_factors() -> None:
    data = dict(frame("data"))
    data["flag"] = np.asarray(data["v"]) > 1
    data["txt"] = np.asarray(data["f"], dtype=object)
    assert not is_factor_by(data["flag"]) and is_factor_by(data["txt"])
    (block,) = smooth_con(term_of('s(x, bs = "cr", k = 6, by = flag)'), data)
    assert block.label == "s(x):flag" and block.state["n_cons"] == 0
    labels = [b.label for b in smooth_con(term_of('s(x, bs = "cr", k = 6, by = txt)'), data)]
    assert labels == ["s(x):txtA", "s(x):txtB", "s(x):txtC"]


def test_predict_factor_by_missing_and_other_levels() -> None:
    _, _, blocks = built("by_fac_cr")
    new = dict(frame("newdata"))
    new["f"] = np.array(["A", None, "Z"] + ["B"] * (len(new["x"]) - 3), dtype=object)
    X = predict_con(blocks[0].state, new)
    assert np.isnan(X[1]).all()
    assert np.all(X[2] == 0) and np.all(X[3:] == 0) and np.abs(X[0]).max() > 0


def test_missing_by_variable() -> None:
    _, _, blocks = built("by_num_cr")
    new = {k: v for k, v in frame("newdata").items() if k != "v"}
    with pytest.raises(UnknownVariableError):
        predict_con(blocks[0].state, new)
