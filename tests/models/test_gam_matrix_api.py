"""The matrix-level GAM API (SPEC §2, aurora.models.gam) and the backends' array/grad.

Each adapter must equal aurora.gam on the formula it spells (identical coefficients), and
fit_gam / fit_additive_gam must match mgcv (validation_r/gam_matrix_api_reference.R):
fitted values within 1e-6 of mgcv relative to their range, per-smooth edf within 1e-3,
the GCV/UBRE/REML score within 1e-6 relative.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

import aurora
from aurora.errors import DataError, UnknownNameError, UnknownVariableError
from aurora.models.gam import (ParametricTerm, SmoothTerm, TensorTerm, fit_additive_gam,
                               fit_gam, fit_gam_formula, plot_all_smooths, plot_smooth)
from reference import VALIDATION


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_matrix_api_reference.json").read_text())


def _data(which: str) -> pd.DataFrame:
    return pd.read_csv(VALIDATION / "data" / _reference()["data"][which])


def _case_names() -> list[str]:
    return [c["name"] for c in _reference()["cases"]]


def _case(name: str) -> dict:
    return next(c for c in _reference()["cases"] if c["name"] == name)


def _fit_case(case: dict):
    a = case["args"]
    if a["api"] == "fit_gam":
        one = _data("one")
        return fit_gam(one["x"].to_numpy(), one["y"].to_numpy(), n_basis=a["n_basis"],
                       basis_type=a["basis_type"], knot_method=a["knot_method"],
                       method=a["method"], lambda_=a.get("lambda_"),
                       weights=one[a["weights"]].to_numpy() if "weights" in a else None)
    add = _data("additive")
    X = add[["x1", "x2", "x3", "f"]]
    if case["name"] == "additive_gaussian_reml":
        return fit_additive_gam(X, add["y"], [SmoothTerm("x1", 8, "cubic"),
                                              TensorTerm(["x2", "x3"], 4)],
                                [ParametricTerm("f")], method=a["method"])
    return fit_additive_gam(X, add["count"], [SmoothTerm("x1", 8, "cubic"),
                                              SmoothTerm("x2", 6, "bspline")],
                            ["x3", "f"], family="poisson", method=a["method"])


# ---------------------------------------------------------------- against mgcv
def test_reference_covers_each_basis_knot_method_and_method():
    combos = {(c["args"]["basis_type"], c["args"]["knot_method"], c["args"]["method"])
              for c in _reference()["cases"] if c["args"]["api"] == "fit_gam"}
    assert {(b, k, m) for b in ("bspline", "cubic") for k in ("quantile", "uniform")
            for m in ("GCV", "REML")} <= combos


@pytest.mark.parametrize("name", _case_names())
def test_matches_mgcv(name):
    case = _case(name)
    r = _fit_case(case)
    ref = np.array(case["fitted"])
    scale = np.ptp(ref)
    np.testing.assert_allclose(r.fitted.to_numpy(), ref, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(r.edf.to_numpy(), case["edf"], rtol=0, atol=1e-3)
    assert r.reml_score == pytest.approx(case["gcv_ubre"], rel=1e-6)
    assert r.method == case["method"]
    names = ["intercept" if n == "(Intercept)" else n for n in case["coef_names"]]
    assert list(r.params.index) == names
    if case["sp"]:
        np.testing.assert_allclose(np.log(r.sp.to_numpy()), np.log(case["sp"]), atol=1e-3)


def test_mgcv_knots_are_the_ones_fit_gam_places():
    one = _data("one")
    case = _case("fit_gam_bspline_quantile_REML")
    knots = SmoothTerm("x", 10, "bspline").knots(one["x"].to_numpy())
    np.testing.assert_allclose(knots, case["knots"]["x"], rtol=1e-14)
    uni = SmoothTerm("x", 10, "cubic", knot_method="uniform").knots(one["x"].to_numpy())
    np.testing.assert_allclose(uni, _case("fit_gam_cubic_uniform_GCV")["knots"]["x"],
                               rtol=1e-14)
    # mgcv places these itself
    assert SmoothTerm("x", 10, "cubic").knots(one["x"].to_numpy()) is None
    assert SmoothTerm("x", 10, "bspline", knot_method="uniform").knots(one["x"]) is None


# ---------------------------------------------------------------- same as aurora.gam
def _same_fit(r, m):
    np.testing.assert_array_equal(r.params.to_numpy(), m.params.to_numpy())
    assert [n.replace("intercept", "(Intercept)") for n in r.params.index] == \
        list(m.params.index)
    np.testing.assert_array_equal(r.sp.to_numpy(), m.sp.to_numpy())
    np.testing.assert_array_equal(r.fit.Vp, m.fit.Vp)
    assert r.reml_score == m.reml_score


@pytest.mark.parametrize("basis_type,bs", [("bspline", "bs"), ("cubic", "cr")])
@pytest.mark.parametrize("knot_method", ["quantile", "uniform"])
@pytest.mark.parametrize("method,mgcv_method", [("GCV", "GCV.Cp"), ("REML", "REML")])
def test_fit_gam_is_aurora_gam(basis_type, bs, knot_method, method, mgcv_method):
    one = _data("one")
    r = fit_gam(one["x"], one["y"], n_basis=9, basis_type=basis_type,
                knot_method=knot_method, method=method)
    knots = SmoothTerm("x", 9, basis_type, knot_method=knot_method).knots(one["x"].to_numpy())
    m = aurora.gam(f'y ~ s(x, k = 9, bs = "{bs}")', one[["x", "y"]], method=mgcv_method,
                   knots=None if knots is None else {"x": knots})
    _same_fit(r, m)
    assert r.formula == f'y ~ s(x, k = 9, bs = "{bs}")'


def test_fit_gam_fixed_lambda_and_weights():
    one = _data("one")
    r = fit_gam(one["x"], one["y"], n_basis=8, basis_type="cubic", lambda_=0.3,
                weights=one["w"], method="REML")
    assert r.sp.to_numpy() == pytest.approx([0.3])
    m = aurora.gam('y ~ s(x, k = 8, bs = "cr", sp = 0.3)', one, weights=one["w"])
    _same_fit(r, m)


def test_fit_gam_accepts_torch_and_jax_inputs():
    one = _data("one")
    base = fit_gam(one["x"].to_numpy(), one["y"].to_numpy(), basis_type="cubic")
    torch = pytest.importorskip("torch")
    r = fit_gam(torch.tensor(one["x"].to_numpy()), torch.tensor(one["y"].to_numpy()),
                basis_type="cubic")
    np.testing.assert_array_equal(r.params.to_numpy(), base.params.to_numpy())
    pytest.importorskip("jax")
    from aurora.core.backends import get_backend

    jax = get_backend("jax")  # switches on float64, so the arrays below hold the data exactly
    r = fit_gam(jax.array(one["x"]), jax.array(one["y"]), basis_type="cubic")
    np.testing.assert_array_equal(r.params.to_numpy(), base.params.to_numpy())


def test_additive_with_array_columns_named_x0_x1():
    add = _data("additive")
    X = add[["x1", "x2", "x3"]].to_numpy()
    r = fit_additive_gam(X, add["y"].to_numpy(),
                         [SmoothTerm("X0", 8, "cubic"), TensorTerm(("X1", "X2"), (4, 5))],
                         method="GCV")
    frame = pd.DataFrame({"X0": X[:, 0], "X1": X[:, 1], "X2": X[:, 2], "y": add["y"]})
    m = aurora.gam('y ~ s(X0, k = 8, bs = "cr") + te(X1, X2, k = c(4, 5), '
                   'bs = c("cr", "cr"))', frame, method="GCV.Cp")
    _same_fit(r, m)
    assert list(r.edf.index) == ["s(X0)", "te(X1,X2)"]
    assert "intercept " in str(r.summary())


def test_additive_poisson_with_parametric_terms_is_aurora_gam():
    add = _data("additive")
    X = add[["x1", "x2", "x3", "f"]]
    r = fit_additive_gam(X, add["count"], [SmoothTerm("x1", 7, "bspline")],
                         [ParametricTerm("x3"), "f"], family="poisson", method="REML")
    kn = SmoothTerm("x1", 7, "bspline").knots(add["x1"].to_numpy())
    m = aurora.gam('count ~ x3 + f + s(x1, k = 7, bs = "bs")', add, family="poisson",
                   knots={"x1": kn})
    _same_fit(r, m)
    assert list(r.params.index[:4]) == ["intercept", "x3", "fb", "fc"]


def test_additive_response_name_avoids_a_column_called_y():
    add = _data("additive")
    X = add[["x1", "y"]]
    r = fit_additive_gam(X, add["count"], [SmoothTerm("x1", 6, "cubic")], ["y"],
                         family="poisson")
    assert r.formula.startswith("y_ ~ y + s(x1")


def test_tensor_term_lambda_and_odd_column_names():
    add = _data("additive").rename(columns={"x2": "x 2"})
    r = fit_additive_gam(add[["x 2", "x3"]], add["y"],
                         [TensorTerm(["x 2", "x3"], 4, lambda_=[0.5, 2.0])])
    assert r.sp.to_numpy() == pytest.approx([0.5, 2.0])
    m = aurora.gam('y ~ te(`x 2`, x3, k = c(4, 4), bs = c("cr", "cr"), sp = c(0.5, 2.0))',
                   add)
    _same_fit(r, m)


def test_fit_gam_formula_is_aurora_gam():
    add = _data("additive")
    r = fit_gam_formula("y ~ s(x1) + s(x2, bs = 'cr') + f", add, method="GCV")
    m = aurora.gam("y ~ s(x1) + s(x2, bs = 'cr') + f", add, method="GCV.Cp")
    np.testing.assert_array_equal(r.params.to_numpy(), m.params.to_numpy())
    assert list(r.params.index) == list(m.params.index)  # a formula fit keeps R's names
    r = fit_gam_formula("count ~ s(x1)", add, family="poisson", sp=[0.1])
    assert r.family.name == "poisson" and r.sp.to_numpy() == pytest.approx([0.1])


def test_matrix_result_round_trips_through_save(tmp_path):
    one = _data("one")
    r = fit_gam(one["x"], one["y"])
    path = tmp_path / "m.aurora"
    r.save(str(path))
    back = aurora.load(str(path))
    pd.testing.assert_series_equal(back.params, r.params)
    new = pd.DataFrame({"x": [0.1, 0.5]})
    pd.testing.assert_series_equal(back.predict(new), r.predict(new))


# ---------------------------------------------------------------- bad input
def test_mismatched_lengths():
    with pytest.raises(DataError, match="y has 9 values but X has 10 rows"):
        fit_gam(np.arange(10.0), np.arange(9.0), n_basis=5)
    with pytest.raises(DataError, match="weights has 3 values"):
        fit_gam(np.linspace(0, 1, 30), np.ones(30), n_basis=5, weights=[1, 2, 3])


def test_unknown_basis_type_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="basis_type") as info:
        fit_gam(np.linspace(0, 1, 30), np.ones(30), basis_type="thinplate")
    assert "bspline" in str(info.value) and "cubic" in str(info.value)
    with pytest.raises(UnknownNameError, match="knot_method"):
        SmoothTerm("x", knot_method="random")
    with pytest.raises(UnknownNameError, match="REML"):
        fit_gam(np.linspace(0, 1, 30), np.ones(30), method="AIC")


def test_n_basis_too_large_or_too_small():
    x = np.repeat(np.linspace(0, 1, 6), 5)
    with pytest.raises(DataError, match="n_basis = 10 but 'x' has only 6 unique values"):
        fit_gam(x, np.sin(x), n_basis=10)
    with pytest.raises(DataError, match="too small"):
        SmoothTerm("x", n_basis=4, basis_type="bspline")
    with pytest.raises(DataError, match="integer"):
        SmoothTerm("x", n_basis=5.5)
    with pytest.raises(DataError, match="lambda_"):
        SmoothTerm("x", lambda_=-1.0)


def test_bad_terms_are_named():
    add = _data("additive")
    with pytest.raises(UnknownVariableError, match="nope"):
        fit_additive_gam(add[["x1", "f"]], add["y"], [SmoothTerm("nope", 5, "cubic")])
    with pytest.raises(DataError, match="not numeric"):
        fit_additive_gam(add[["x1", "f"]], add["y"], [SmoothTerm("f", 3, "cubic")])
    with pytest.raises(DataError, match="two or more"):
        TensorTerm(["x1"])
    with pytest.raises(DataError, match="one covariate"):
        fit_gam(np.ones((10, 2)), np.ones(10))
    with pytest.raises(DataError, match="SmoothTerm or TensorTerm"):
        fit_additive_gam(add[["x1"]], add["y"], ["x1"])


# ---------------------------------------------------------------- plots
def test_plot_smooth_draws_the_smooths_own_contribution():
    one = _data("one")
    r = fit_gam(one["x"], one["y"], basis_type="cubic", method="REML")
    fig = plot_smooth(r, "s(x)", confidence_level=0.9, n_points=50)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    grid, curve = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    assert len(grid) == 50 and grid[0] == one["x"].min() and grid[-1] == one["x"].max()
    # y ~ s(x): the smooth is the linear predictor less the intercept
    new = pd.DataFrame({"x": grid})
    pred = r.predict(new, se_fit=True)
    np.testing.assert_allclose(curve, pred["fit"] - r.params["intercept"], atol=1e-10)
    Xp = r.predict(new, type="lpmatrix").to_numpy()[:, 1:]
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xp, r.Vp.to_numpy()[1:, 1:], Xp))
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(ax.lines[2].get_ydata(), curve + z * se, atol=1e-10)
    assert ax.get_ylabel() == f"s(x,{round(float(r.edf.iloc[0]), 2):g})"


def test_plot_smooth_partial_residuals_labels_and_selection():
    add = _data("additive")
    r = fit_additive_gam(add[["x1", "x2", "x3"]], add["y"],
                         [SmoothTerm("x1", 8, "cubic"), SmoothTerm("x2", 6)], ["x3"])
    fig = plot_smooth(r, ["x2"], partial_residuals=True, title="T", xlabel="X", ylabel="Y")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "X", "Y")
    points = [ln for ln in ax.lines if ln.get_marker() == "."]
    assert len(points) == 1 and len(points[0].get_xdata()) == len(add)
    work = r.residuals("working").to_numpy()
    X = r.plan.X[:, r.smooths[1].start:r.smooths[1].stop]
    beta = r.params.to_numpy()[r.smooths[1].start:r.smooths[1].stop]
    np.testing.assert_allclose(points[0].get_ydata(), X @ beta + work, atol=1e-10)
    with pytest.raises(UnknownNameError, match="s\\(x1\\)"):
        plot_smooth(r, "s(z)")
    with pytest.raises(DataError, match="confidence_level"):
        plot_smooth(r, 0, confidence_level=95)


def test_plot_all_smooths_and_plain_gam_results():
    add = _data("additive")
    r = fit_additive_gam(add[["x1", "x2", "x3"]], add["y"],
                         [SmoothTerm("x1", 8, "cubic"), TensorTerm(["x2", "x3"], 4)])
    fig = plot_all_smooths(r, ncols=2)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_xlabel() for ax in panels] == ["x1", "x2"]
    assert panels[0].get_ylabel().startswith("s(x1,") and panels[1].get_ylabel() == "x3"
    m = aurora.gam("y ~ s(x1) + s(x2, by = f) + s(g, bs = 're')",
                   add.assign(g=pd.Categorical(np.arange(len(add)) % 7)))
    fig = plot_all_smooths(m, ncols=3, data=add.assign(g=pd.Categorical(np.arange(len(add)) % 7)),
                           partial_residuals=True, confidence_level=0.8)
    assert len(fig.axes) == 5
    assert fig.axes[1].get_ylabel().endswith(":fa")
    # partial residuals on s(x1) only: mgcv draws none for by smooths
    assert [any(ln.get_marker() == "." for ln in ax.lines) for ax in fig.axes[:4]] == \
        [True, False, False, False]


# ---------------------------------------------------------------- backends
@pytest.mark.parametrize("name", ["numpy", "jax", "torch", "pytorch"])
def test_backend_array_and_grad(name):
    pytest.importorskip({"pytorch": "torch"}.get(name, name))
    from aurora.core.backends import get_backend

    be = get_backend(name)
    x = be.array([0.3, -1.2, 2.0])
    assert np.array_equal(be.to_numpy(x), [0.3, -1.2, 2.0])
    assert be.to_numpy(x).dtype == np.float64
    f = lambda b: be.sum(be.exp(b) * b ** 2) + be.sum(b[:2] * b[1:])  # noqa: E731
    g = be.grad(f)(x)
    x0 = np.array([0.3, -1.2, 2.0])
    fn = lambda v: float(be.to_numpy(f(be.array(v))))  # noqa: E731
    h = 1e-6
    fd = np.array([(fn(x0 + h * e) - fn(x0 - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-8)
    exact = np.exp(x0) * (x0 ** 2 + 2 * x0) + np.array([x0[1], x0[0] + x0[2], x0[1]])
    np.testing.assert_allclose(g, exact, rtol=1e-7)
    with pytest.raises(AttributeError, match="no operation"):
        be.not_an_operation  # noqa: B018
