"""The contract every registered smooth basis keeps (aurora/smooths/base.py).

Every name in ``basis_names()`` is enrolled automatically and built on one standard data
set: penalties symmetric positive semi-definite, the identifiability constraint
satisfied, new-data columns equal to the fitting columns on the fitting data (also after
a JSON round trip of the state), extrapolation finite, ``fx=True`` unpenalised, ``k``
larger than the number of unique values refused (or warned about, where mgcv only warns),
factors refused except by bases that take them.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from aurora.errors import DataError, DataWarning, UnknownNameError, UnknownVariableError
from aurora.formula.ast import Smooth
from aurora.smooths import basis_names, get_basis
from aurora.smooths.constraints import absorb, predict_block

NAMES = basis_names()
# New-data columns on the fitting data equal the fitting columns to this, relative to the
# largest entry: exact for the spline bases; a thin plate basis evaluates its radial
# functions differently at prediction (mgcv's own tp differs by about 1e-10).
PREDICT_TOL = 1e-9

# Covariates of the standard smooth of a basis (default: one numeric covariate).
TERM_VARIABLES = {"re": ("g",), "fs": ("x", "g")}
# Bases that take factor covariates.
TAKES_FACTORS = {"re", "fs"}


def standard_data(n: int = 120, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    z = rng.normal(2, 1, n)
    g = pd.Categorical(rng.choice(list("abcde"), n), categories=list("abcde"))
    return {"x": x, "z": z, "g": g}


def term_for(name: str, **options) -> Smooth:
    return Smooth("s", TERM_VARIABLES.get(name, ("x",)), bs=name, **options)


def build(name: str, data: dict | None = None, **options):
    data = standard_data() if data is None else data
    term = term_for(name, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        raw = get_basis(name).construct(term, data)
    block = absorb(raw, f"s({','.join(term.variables)})", name)
    return raw, block, data


def assert_psd(S: np.ndarray, what: str) -> None:
    scale = max(float(np.abs(S).max()), np.finfo(float).tiny)
    assert np.abs(S - S.T).max() <= 1e-12 * scale, f"{what} is not symmetric"
    values = np.linalg.eigvalsh((S + S.T) / 2)
    assert values.min() >= -1e-9 * max(values.max(), 0.0), f"{what}: eigenvalue {values.min()}"


@pytest.mark.parametrize("name", NAMES)
def test_registered_under_its_name(name: str) -> None:
    assert get_basis(name).name == name


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_penalties(name: str) -> None:
    raw, block, data = build(name)
    n = len(data["x"])
    k = raw.X.shape[1]
    assert raw.X.shape[0] == block.X.shape[0] == n
    assert np.isfinite(raw.X).all() and np.isfinite(block.X).all()
    assert len(block.penalties) == len(raw.penalties) == len(block.penalty_scale)
    assert len(block.rank) == len(raw.rank)
    for S in raw.penalties:
        assert S.shape == (k, k)
        assert_psd(S, f"{name} raw penalty")
    p = block.n_coef
    for S, r in zip(block.penalties, block.rank):
        assert S.shape == (p, p)
        assert_psd(S, f"{name} constrained penalty")
        assert 0 <= r <= p
        assert np.linalg.matrix_rank(S, tol=1e-9 * np.abs(S).max()) == r
    assert all(s > 0 for s in block.penalty_scale)
    assert 0 <= block.null_space_dim <= p


@pytest.mark.parametrize("name", NAMES)
def test_constraint_satisfied(name: str) -> None:
    raw, block, _ = build(name)
    n_cons = block.state["n_cons"]
    assert block.n_coef == raw.X.shape[1] - n_cons
    if raw.constraint is None:  # mgcv's default: sum-to-zero
        assert n_cons == 1
        sums = block.X.sum(axis=0)
        assert np.abs(sums).max() <= 1e-10 * np.abs(block.X).sum(axis=0).max()
        Z = np.asarray(block.state["Z"])
        assert np.allclose(Z.T @ Z, np.eye(Z.shape[1]), atol=1e-12)
    else:
        C = np.asarray(raw.constraint, dtype=float)
        if C.shape[0]:
            Z = np.asarray(block.state["Z"])
            assert np.abs(C @ Z).max() <= 1e-10 * max(np.abs(C).max(), 1.0)
        else:
            assert block.state["Z"] is None
            np.testing.assert_array_equal(block.X, raw.X)


@pytest.mark.parametrize("name", NAMES)
def test_predict_reproduces_fitting_columns(name: str) -> None:
    raw, block, data = build(name)
    builder = get_basis(name)
    np.testing.assert_allclose(builder.predict_matrix(raw.state, data), raw.X,
                               rtol=0, atol=PREDICT_TOL * np.abs(raw.X).max())
    np.testing.assert_allclose(predict_block(block.state, data), block.X,
                               rtol=0, atol=PREDICT_TOL * np.abs(block.X).max())


@pytest.mark.parametrize("name", NAMES)
def test_state_is_json(name: str) -> None:
    _, block, data = build(name)
    text = json.dumps(block.state)
    back = json.loads(text)
    np.testing.assert_allclose(predict_block(back, data), predict_block(block.state, data),
                               rtol=0, atol=1e-15 * np.abs(block.X).max())


@pytest.mark.parametrize("name", NAMES)
def test_predict_outside_the_range(name: str) -> None:
    _, block, data = build(name)
    new = {key: value[:6] for key, value in data.items()}
    new["x"] = np.array([-0.5, -0.01, 0.0, 0.5, 1.0, 1.3])
    X = predict_block(block.state, new)
    assert X.shape == (6, block.n_coef)
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", NAMES)
def test_missing_covariate_in_newdata(name: str) -> None:
    _, block, data = build(name)
    new = {key: value for key, value in data.items() if key not in TERM_VARIABLES.get(name, ("x",))}
    with pytest.raises((UnknownVariableError, KeyError)):
        predict_block(block.state, new)


@pytest.mark.parametrize("name", NAMES)
def test_fx_has_no_penalty(name: str) -> None:
    raw, block, _ = build(name, fx=True)
    assert raw.penalties == () and block.penalties == () and block.penalty_scale == ()


@pytest.mark.parametrize("name", NAMES)
def test_k_too_large(name: str) -> None:
    policy = getattr(get_basis(name), "k_too_large", "error")
    if policy == "ignored":
        pytest.skip(f"{name}: k is not used (mgcv takes the dimension from the data)")
    data = standard_data()
    data["x"] = np.round(data["x"] * 5) / 5          # 6 unique values
    if policy == "error":
        with pytest.raises(DataError) as info:
            build(name, data=data, k=8)
        assert "6" in str(info.value) and "s(" in str(info.value)
    else:
        assert policy == "warn", policy
        with pytest.warns(DataWarning, match="unique"):
            get_basis(name).construct(term_for(name, k=8), data)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in TAKES_FACTORS])
def test_factor_covariate_refused(name: str) -> None:
    data = standard_data()
    data["x"] = data["g"]
    with pytest.raises(DataError, match="factor"):
        get_basis(name).construct(term_for(name), data)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in TAKES_FACTORS])
def test_constant_covariate_refused(name: str) -> None:
    data = standard_data()
    data["x"] = np.full(len(data["x"]), 0.5)
    with pytest.raises(DataError):
        get_basis(name).construct(term_for(name, k=5), data)


def test_unknown_basis_lists_the_registered_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_basis("nope")
    for name in NAMES:
        assert name in str(info.value)


def test_every_mgcv_basis_of_this_module_set_is_registered() -> None:
    assert {"cr", "cs", "cc", "ps", "cp", "bs", "re"} <= set(NAMES)
