"""Tensor products (te, ti, t2) and factor-smooth interactions (fs) against mgcv 1.8-41.

Reference: validation_r/tensor_reference.R -> validation_r/tensor_reference.json, data in
validation_r/data/tensor_data.csv and tensor_new.csv. Each case is ``smoothCon(term, data,
knots, absorb.cons = TRUE, scale.penalty = TRUE)`` (label, X, each S, S.scale, rank,
null.space.dim, PredictMat on new data) and the unconstrained ``smooth.construct``.

Tolerance: 1e-10 relative to the largest entry of each matrix for te and ti, which are
deterministic linear algebra (the largest difference is ~1e-13).

t2 and fs put each margin (each base smooth) in its "natural parametrisation" from an
eigen-decomposition (mgcv's ``nat.param``). Eigenvector signs are whatever the LAPACK
build returns (R's reference LAPACK 3.11 and the OpenBLAS under SciPy differ on some
columns, given the very same matrix), and the eigenvectors of a repeated (null-space) zero
eigenvalue are any orthonormal basis of the null space, chosen by rounding. mgcv's
numbers are therefore reproduced up to those choices, and tested so:

* t2: the unconstrained columns equal mgcv's up to a sign per column (1e-10); with our
  columns' signs set to mgcv's, the constraint, scaling and prediction (X, S, S.scale,
  PredictMat) agree to 1e-10; and Gaussian fits at fixed sp, which do not depend on the
  signs (the penalties are diagonal, the constraint and ``norm(X, "I")`` are sign-free),
  agree to 1e-8 without any alignment.
* fs: per factor level, mgcv's columns are ours times ``T``, with ``T`` diagonal +-1 on
  the penalty's range and orthogonal on its null space (1e-10); the range penalty and the
  sum of the null-space penalties agree to 1e-10, prediction agrees through the same ``T``,
  and Gaussian fits at a fixed sp with equal null-space sps (invariant under ``T``) agree
  to 1e-8 when the penalties are scaled by mgcv's S.scale (``norm(X, "I")`` depends on
  the rotation of the null-space columns, so S.scale does too).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurora.errors import DataWarning, ModelSpecError
from aurora.formula import parse
from aurora.formula.ast import Smooth
from aurora.smooths.by import absorb_term, predict_con, raw_smooth, smooth_con
from aurora.smooths.tensor import TENSORS, margin_terms, nat_param, row_kron

VALIDATION = Path(__file__).resolve().parents[2] / "validation_r"
TOL = 1e-10
FIT_TOL = 1e-8
# New-data columns at the fitting points vs X: ~1e-15 but for thin plate margins, whose
# radial functions are evaluated differently at prediction (up to 1.5e-11 here; 2.1e-9 in
# te_m, tp with m = 3, where mgcv's own PredictMat differs from its X by the same 2.1e-9).
PREDICT_TOL = {"te_m": 3e-9}


@lru_cache(maxsize=None)
def ref() -> dict:
    return json.loads((VALIDATION / "tensor_reference.json").read_text())


def case(name: str) -> dict:
    return next(c for c in ref()["cases"] if c["name"] == name)


NAMES = ref()["case_names"]
TE_TI = [n for n in NAMES if n.split("_")[0] in ("te", "ti") and "id" not in n]
T2 = [n for n in NAMES if n.startswith("t2_")]
FS = [n for n in NAMES if n.startswith("fs_")]
OURS = TE_TI + T2 + FS


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


@dataclass(frozen=True)
class SmoothD(Smooth):
    """A Smooth with te()'s ``d`` (the formula parser has no ``d`` option)."""

    d: tuple | None = None


def term_of(c: dict) -> Smooth:
    term = parse("y ~ " + (c["py_spec"] or c["spec"])).terms[0]
    if c["d"]:
        values = {f.name: getattr(term, f.name) for f in fields(Smooth)}
        term = SmoothD(**values, d=tuple(c["d"]))
    return term


@lru_cache(maxsize=None)
def built(name: str):
    c = case(name)
    term = term_of(c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        blocks = smooth_con(term, frame("data"), c["knots"])
        _, _, raw = raw_smooth(term, frame("data"), c["knots"])
    return c, term, raw, blocks


def gaussian_fit(X: np.ndarray, penalties) -> np.ndarray:
    """Fitted values of y ~ 1 + smooth by penalised least squares."""
    y = frame("data")["y"]
    X1 = np.column_stack([np.ones(len(y)), X])
    P = np.zeros((X1.shape[1], X1.shape[1]))
    for S in penalties:
        P[1:, 1:] += S
    return X1 @ np.linalg.solve(X1.T @ X1 + P, X1.T @ y)


# --- te and ti: mgcv's numbers ----------------------------------------------------------

@pytest.mark.parametrize("name", TE_TI)
def test_unconstrained_tensor(name: str) -> None:
    c, _, raw, _ = built(name)
    assert_close(raw.X, mat(c["raw"]["X"]), "smooth.construct X")
    assert len(raw.penalties) == len(c["raw"]["S"])
    for S, S_r in zip(raw.penalties, c["raw"]["S"]):
        assert_close(S, mat(S_r), "smooth.construct S")
    assert list(raw.rank) == list(np.atleast_1d(c["raw"]["rank"])) or not raw.penalties
    assert raw.null_space_dim == c["raw"]["null_space_dim"]


@pytest.mark.parametrize("name", TE_TI)
def test_smoothcon_te_ti(name: str) -> None:
    c, _, _, blocks = built(name)
    (block,), (sm,) = blocks, c["smooths"]
    assert block.label == sm["label"]
    assert_close(block.X, mat(sm["X"]), "X")
    assert len(block.penalties) == len(sm["S"])
    for S, S_r in zip(block.penalties, sm["S"]):
        assert_close(S, mat(S_r), "S")
    if block.penalties:
        assert_close(block.penalty_scale, sm["S_scale"], "S.scale")
        assert list(block.rank) == list(np.atleast_1d(sm["rank"]))
    assert block.null_space_dim == sm["null_space_dim"]
    assert block.state["n_cons"] == sm["n_cons"]
    assert_close(predict_con(block.state, frame("newdata")), mat(sm["predict"]), "PredictMat")


@pytest.mark.parametrize("name", [n for n in TE_TI + T2 if case(n).get("gam")])
def test_gaussian_fit_at_fixed_sp(name: str) -> None:
    c, _, _, (block,) = built(name)
    sp = np.atleast_1d(c["gam"]["sp"])
    fitted = gaussian_fit(block.X, [s * S for s, S in zip(sp, block.penalties)])
    assert block.n_coef + 1 == c["gam"]["n_coef"]
    assert_close(fitted, c["gam"]["fitted"], "fitted values", tol=FIT_TOL)


# --- t2: mgcv's numbers up to eigenvector signs -----------------------------------------

def column_signs(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """+-1 per column making ours match theirs (the larger entries decide)."""
    return np.where((ours * theirs).sum(axis=0) < 0, -1.0, 1.0)


@pytest.mark.parametrize("name", T2)
def test_t2_unconstrained_up_to_signs(name: str) -> None:
    c, _, raw, _ = built(name)
    X_r = mat(c["raw"]["X"])
    D = column_signs(raw.X, X_r)
    assert_close(raw.X * D, X_r, "smooth.construct X (signs aligned)")
    for S, S_r in zip(raw.penalties, c["raw"]["S"]):
        assert_close(S, mat(S_r), "smooth.construct S")
    assert list(raw.rank) == list(np.atleast_1d(c["raw"]["rank"]))
    assert raw.null_space_dim == c["raw"]["null_space_dim"]


@pytest.mark.parametrize("name", T2)
def test_t2_smoothcon_with_mgcv_signs(name: str) -> None:
    c, term, raw, blocks = built(name)
    D = column_signs(raw.X, mat(c["raw"]["X"]))
    state = dict(raw.state)
    if state["Cp"] is not None:
        state["Cp"] = (np.asarray(state["Cp"]) * D).tolist()
    aligned = replace(raw, X=raw.X * D, state=state,
                      constraint=np.asarray(raw.constraint) * D[None, :])
    again = absorb_term(term, aligned, "t2", frame("data"))
    assert [b.label for b in again] == [b.label for b in blocks] == [
        s["label"] for s in c["smooths"]]
    new_raw = TENSORS["t2"].predict_matrix(raw.state, frame("newdata")) * D
    for block, sm in zip(again, c["smooths"]):
        assert_close(block.X, mat(sm["X"]), "X")
        for S, S_r in zip(block.penalties, sm["S"]):
            assert_close(S, mat(S_r), "S")
        assert_close(block.penalty_scale, sm["S_scale"], "S.scale")
        assert list(block.rank) == list(np.atleast_1d(sm["rank"]))
        assert block.null_space_dim == sm["null_space_dim"]
        assert block.state["n_cons"] == sm["n_cons"]
        Z = block.state["Zp"] if block.state["Zp"] is not None else block.state["Z"]
        X_new = new_raw if Z is None else new_raw @ np.asarray(Z)
        assert_close(X_new, mat(sm["predict"]), "PredictMat")


def test_t2_prediction_constraint_is_mgcvs_cp() -> None:
    """mgcv fits t2 with a null-space constraint and predicts with colSums(X) (Cp): both
    parametrisations span the same functions once an intercept is added."""
    _, _, _, (block,) = built("t2_default")
    data = frame("data")
    fit_cols = predict_con(block.state, data)
    mgcv_cols = predict_con(block.state, data, as_mgcv=True)
    assert_close(fit_cols, block.X, "fit parametrisation")
    assert abs(mgcv_cols.sum(axis=0)).max() < 1e-10 * abs(mgcv_cols).max() * len(mgcv_cols)
    ones = np.ones((len(fit_cols), 1))
    A, B = np.hstack([ones, fit_cols]), np.hstack([ones, mgcv_cols])
    coef, *_ = np.linalg.lstsq(B, A, rcond=None)
    assert_close(B @ coef, A, "same span with an intercept")


# --- fs: mgcv's numbers up to the eigenvectors of nat.param -----------------------------

def fs_transform(block_X: np.ndarray, X_r: np.ndarray, p: int, rank: int) -> np.ndarray:
    """T with X_r = X T, checked: +-1 diagonal on the range, orthogonal on the null space,
    the same for every level."""
    levels = block_X.shape[1] // p
    T, *_ = np.linalg.lstsq(block_X[:, :p], X_r[:, :p], rcond=None)
    T = np.where(np.abs(T) < 1e-12, 0.0, T)
    assert_close(np.abs(T[:rank, :rank]), np.eye(rank), "range: signs only")
    assert np.abs(T[:rank, rank:]).max() < 1e-10 and np.abs(T[rank:, :rank]).max() < 1e-10
    N = T[rank:, rank:]
    assert_close(N.T @ N, np.eye(p - rank), "null space: a rotation")
    return np.kron(np.eye(levels), T)


@pytest.mark.parametrize("name", FS)
def test_fs_matches_mgcv_up_to_eigenvectors(name: str) -> None:
    c, _, raw, (block,) = built(name)
    (sm,) = c["smooths"]
    assert block.label == sm["label"]
    assert list(block.rank) == list(sm["rank"])
    assert block.null_space_dim == sm["null_space_dim"] == 0
    assert block.state["n_cons"] == sm["n_cons"] == 0
    n_levels = len(block.state["flev"])
    p = block.n_coef // n_levels
    rank = sm["rank"][0] // n_levels
    X_r = mat(c["raw"]["X"])
    T = fs_transform(raw.X, X_r, p, rank)
    assert_close(raw.X @ T, X_r, "smooth.construct X through T")
    assert_close(block.X, raw.X, "smoothCon leaves X as it is (no constraint)")
    S_r = [mat(S) for S in c["raw"]["S"]]
    assert_close(raw.penalties[0], S_r[0], "range penalty")
    assert_close(sum(raw.penalties[1:]), sum(S_r[1:]), "sum of the null-space penalties")
    for S, scale, S_raw in zip(block.penalties, block.penalty_scale, raw.penalties):
        assert_close(S * scale, S_raw, "S * S.scale")
    assert_close(predict_con(block.state, frame("newdata")) @ T, mat(sm["predict"]),
                 "PredictMat through T")


@pytest.mark.parametrize("name", [n for n in FS if case(n).get("gam")])
def test_fs_gaussian_fit_at_fixed_sp(name: str) -> None:
    c, _, raw, (block,) = built(name)
    sp = np.atleast_1d(c["gam"]["sp"])
    scale = c["smooths"][0]["S_scale"]
    fitted = gaussian_fit(block.X, [s * S / sc for s, S, sc in zip(sp, raw.penalties, scale)])
    assert block.n_coef + 1 == c["gam"]["n_coef"]
    assert_close(fitted, c["gam"]["fitted"], "fitted values", tol=FIT_TOL)


# --- every case: prediction, JSON state -------------------------------------------------

@pytest.mark.parametrize("name", OURS)
def test_new_data_at_fitting_points_gives_x(name: str) -> None:
    _, _, _, blocks = built(name)
    for block in blocks:
        assert_close(predict_con(block.state, frame("data")), block.X, block.label,
                     tol=PREDICT_TOL.get(name, 1e-10))


@pytest.mark.parametrize("name", OURS)
def test_state_is_json(name: str) -> None:
    _, _, _, blocks = built(name)
    for block in blocks:
        back = json.loads(json.dumps(block.state))
        assert_close(predict_con(back, frame("newdata")),
                     predict_con(block.state, frame("newdata")), block.label, tol=1e-15)


@pytest.mark.parametrize("name", OURS)
def test_penalties_symmetric_psd(name: str) -> None:
    _, _, _, blocks = built(name)
    for block in blocks:
        for S in block.penalties:
            scale = np.abs(S).max()
            assert np.abs(S - S.T).max() <= 1e-12 * scale
            assert np.linalg.eigvalsh(S).min() >= -1e-9 * scale


def test_te_default_shape() -> None:
    _, _, raw, (block,) = built("te_default")
    assert raw.X.shape[1] == 25 and len(raw.penalties) == 2
    assert block.n_coef == 24 and block.label == "te(x,z)"
    assert abs(block.X.sum(axis=0)).max() < 1e-12 * abs(block.X).max() * len(block.X)


def test_ti_has_no_constraint_of_its_own() -> None:
    _, _, raw, (block,) = built("ti_default")
    assert raw.X.shape[1] == 16 and block.state["n_cons"] == 0 and block.state["Z"] is None


# --- the pieces -------------------------------------------------------------------------

def test_row_kron_first_matrix_slowest() -> None:
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    B = np.array([[5.0, 6.0, 7.0], [8.0, 9.0, 10.0]])
    np.testing.assert_array_equal(row_kron(A, B)[1], np.kron(A[1], B[1]))


def test_margin_defaults_and_resets() -> None:
    margins = margin_terms(parse("y ~ te(x, z)").terms[0])
    assert [(m.variables, m.k, m.bs) for m in margins] == [
        (("x",), 5, "cr"), (("z",), 5, "cr")]
    with pytest.warns(DataWarning, match="too small"):
        margins = margin_terms(parse("y ~ te(x, z, k = 2)").terms[0])
    assert [m.k for m in margins] == [5, 5]
    with pytest.warns(DataWarning, match="bs wrong length"):
        margins = margin_terms(parse('y ~ te(x, z, bs = c("cr", "tp", "ps"))').terms[0])
    assert [m.bs for m in margins] == ["cr", "cr"]
    d_term = SmoothD(kind="te", variables=("x", "z", "w"), bs="cr", d=(2, 1))
    margins = margin_terms(d_term)
    assert [(m.variables, m.k, m.bs) for m in margins] == [(("x", "z"), 25, "tp"),
                                                           (("w",), 5, "cr")]


def test_unsuitable_margins_refused() -> None:
    data = frame("data")
    with pytest.raises(ModelSpecError, match="unsuitable marginal"):
        smooth_con(parse('y ~ te(x, z, bs = "fs")').terms[0], data)
    with pytest.raises(ModelSpecError, match="fx"):
        smooth_con(parse("y ~ t2(x, z, fx = TRUE)").terms[0], data)
    with pytest.raises(ModelSpecError, match="one factor"):
        smooth_con(parse('y ~ s(x, f, g, bs = "fs")').terms[0], data)


def test_fs_without_a_factor_is_its_base_smooth() -> None:
    data = frame("data")
    (block,) = smooth_con(parse('y ~ s(x, bs = "fs", xt = "cr", k = 6)').terms[0], data)
    (plain,) = smooth_con(parse('y ~ s(x, bs = "cr", k = 6)').terms[0], data)
    assert_close(block.X, plain.X, "X")
    assert_close(predict_con(block.state, frame("newdata")),
                 predict_con(plain.state, frame("newdata")), "PredictMat")


def test_nat_param_type1_unit_penalty() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 6))
    A = rng.normal(size=(4, 6))
    out = nat_param(X, A.T @ A, rank=4, type=1)
    np.testing.assert_allclose(out["X"], X @ out["P"], atol=1e-12)
    S_new = out["P"].T @ (A.T @ A) @ out["P"]
    np.testing.assert_allclose(S_new, np.diag(np.r_[out["D"], 0, 0]), atol=1e-9)
