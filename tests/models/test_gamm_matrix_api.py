"""The matrix-level mixed-model API of SPEC §2 (aurora.models.gamm): RandomEffect,
fit_gamm (array and formula forms), predict_from_gamm, fit_pql_smooth.

References (validation_r/gamm_reference.R -> gamm_reference.json, ``matrix_api``): nlme's
``pdIdent`` for ``covariance="identity"``, lme4's ``(t || g)`` for ``"diagonal"`` and
``(1 + t | g)`` by ML for ``"unstructured"``, ``MASS::glmmPQL`` for ``fit_pql_smooth``,
``nlme::gls`` with ``corAR1`` for ``covariance="ar1"``, and mgcv's ``gamm`` (PQL) for a
PQL fit with a smooth. Optimiser tolerances of nlme and lme4 bound the agreement (1e-6).
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import aurora.models as am
from aurora.errors import DataError, ModelSpecError, UnknownNameError
from aurora.models import RandomEffect, SmoothTerm, fit_gamm, fit_pql_smooth, predict_from_gamm
from reference import VALIDATION


@lru_cache(maxsize=None)
def _ref() -> dict:
    return json.loads((VALIDATION / "gamm_reference.json").read_text())


def api(name: str) -> dict:
    return _ref()["matrix_api"][name]


@lru_cache(maxsize=None)
def _df() -> pd.DataFrame:
    d = _ref()
    return pd.read_csv(VALIDATION / "data" / d["data"], dtype={k: str for k in d["factors"]})


def df() -> pd.DataFrame:
    return _df().copy()


def _close(a, b, tol):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=tol, atol=tol)


def test_reexported_from_aurora_models():
    for name in ("RandomEffect", "fit_gamm", "predict_from_gamm", "fit_pql_smooth"):
        assert name in am.__all__ and hasattr(am, name)


def test_identity_covariance_is_nlme_pdident():
    d, r = df(), api("identity")
    m = fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g", ("t",))],
                 groups_data=d[["g"]], covariance="identity")
    assert list(m.fixef.index) == ["intercept", "t"]
    _close(m.beta_parametric, r["fixef"], 1e-6)
    _close(m.bse, r["se"], 1e-6)
    _close(m.sigma, r["sigma"], 1e-6)
    _close(m.variance_components, r["psi"], 1e-6)  # 2 x 2, equal variances, no covariance
    _close(m.loglik, r["loglik"], 1e-9)
    assert m.variance_components[0, 1] == 0.0
    _close(m.covariance_params[0], [np.log(r["psi"][0][0])], 1e-6)
    assert m.residual_variance == pytest.approx(m.sigma ** 2)


def test_diagonal_covariance_is_lme4_double_bar():
    d, r = df(), api("diagonal")
    m = fit_gamm(y=d.y, X=d[["t"]], random_effects=[
        RandomEffect("g", ("t",), covariance="diagonal")], groups_data=d[["g"]])
    _close(m.beta_parametric, r["fixef"], 1e-6)
    _close(m.bse, r["se"], 1e-5)
    _close(m.reml_criterion, r["reml_criterion"], 1e-10)
    vc = m.variance_components
    _close(np.sqrt(np.diag(vc)), r["sd"][:2], 1e-6)
    assert vc[0, 1] == 0.0
    _close(m.covariance_params[0], np.log(np.diag(vc)), 1e-12)


def test_unstructured_ml_is_lme4():
    d, r = df(), api("unstructured")
    m = fit_gamm(y=d.y.to_numpy(), X=d[["t"]].to_numpy(), random_effects=[
        RandomEffect("g", variables=(0,))], groups_data={"g": d.g.to_numpy()},
        covariance="unstructured", method="ML")
    assert list(m.fixef.index) == ["intercept", "X0"]
    _close(m.beta_parametric, r["fixef"], 1e-6)
    _close(m.variance_components, r["psi"], 1e-4)
    _close([m.aic, m.bic], [r["aic"], r["bic"]], 1e-9)
    L = np.linalg.cholesky(m.variance_components)
    _close(m.covariance_params[0], [np.log(L[0, 0]), np.log(L[1, 1]), L[1, 0]], 1e-12)


def test_ar1_is_nlme_gls():
    d, r = df(), api("ar1")
    m = fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g", covariance="ar1")],
                 groups_data=d[["g"]])
    _close(m.beta_parametric, r["fixef"], 1e-6)
    _close(m.bse, r["se"], 1e-6)
    _close(m.sigma, r["sigma"], 1e-6)
    _close(m.rho, r["phi"], 1e-6)
    _close(m.loglik, r["loglik"], 1e-9)
    lsig, arho = m.covariance_params[0]
    _close([np.exp(lsig), np.tanh(arho)], [r["sigma"] ** 2, r["phi"]], 1e-6)


def test_compound_symmetry_equals_random_intercept_when_positive():
    d = df()
    cs = fit_gamm(y=d.y, X=d[["t"]], random_effects=[
        RandomEffect("g", covariance="compound_symmetry")], groups_data=d[["g"]])
    ri = fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g")], groups_data=d[["g"]])
    _close(cs.beta_parametric, ri.beta_parametric, 1e-5)
    _close(cs.loglik, ri.loglik, 1e-7)
    _close(cs.residual_variance, ri.residual_variance + ri.variance_components[0, 0], 1e-5)


def test_pql_is_glmmpql():
    d, r = df(), api("pql")
    m = fit_pql_smooth(d["count"], d[["x"]], d["g"], "poisson")
    assert m.converged
    _close(m.beta, r["fixef"], 1e-6)
    np.testing.assert_array_equal(m.beta, m.beta_parametric)
    _close(m.sigma, r["sigma"], 1e-6)
    _close(m.variance_components, [[r["psi"]]], 1e-5)
    _close(m.linear_predictor[:10], r["fitted"], 1e-6)


def test_pql_with_smooth_close_to_mgcv_gamm():
    """mgcv's gamm fixes the PQL scale at 1 for Poisson (glmmPQL estimates it): close,
    not equal."""
    d, r = df(), api("pql_smooth")
    m = fit_pql_smooth(d["count"], d[["x"]], d["g"], "poisson",
                       smooth_terms=[SmoothTerm("x", n_basis=8, basis_type="cubic")])
    assert m.converged and len(m.beta) == 1
    ours = m.smooth_coefficients["s(x)"]
    theirs = np.asarray(r["coefficients"][1:])
    assert np.max(np.abs(ours - theirs)) < 0.02 * np.max(np.abs(theirs))
    assert abs(m.beta[0] - r["coefficients"][0]) < 0.01


def test_formula_form_equals_gamm():
    import aurora.api as api_

    d = df()
    for k in ("g",):
        d[k] = pd.Categorical(d[k])
    m = fit_gamm(formula="y ~ s(x) + (1 | g)", data=d)
    g = api_.gamm("y ~ s(x) + (1 | g)", d)
    np.testing.assert_array_equal(m.fit.theta, g.mer.fit.theta)
    np.testing.assert_array_equal(m.beta_parametric, g.gam.coef.to_numpy()[:1])
    assert m.gam is not None and isinstance(m.variance_components, np.ndarray)
    lm = fit_gamm(formula="y ~ t + (1 | g)", data=d)
    assert lm.gam is None and lm.beta_parametric.size == 2


def test_several_terms_give_a_list_in_formula_order():
    d = df()
    m = fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("h"), RandomEffect("g")],
                 groups_data=d[["g", "h"]])
    vc = m.variance_components
    assert isinstance(vc, list) and len(vc) == 2
    sd = m.varcorr().set_index("grp")["sdcor"]
    _close([np.sqrt(vc[0][0, 0]), np.sqrt(vc[1][0, 0])], [sd["h"], sd["g"]], 1e-12)


def test_predict_from_gamm():
    d = df()
    m = fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g", ("t",),
                                                                 covariance="unstructured")],
                 groups_data=d[["g"]])
    pop = predict_from_gamm(m, d[["t"]].iloc[:5])
    _close(pop, m.fixef["intercept"] + m.fixef["t"] * d.t.iloc[:5], 1e-12)
    cond = predict_from_gamm(m, d[["t"]].iloc[:5], groups_new=d.g.iloc[:5], include_random=True)
    _close(cond, m.fitted.to_numpy()[:5], 1e-10)
    new = predict_from_gamm(m, d[["t"]].iloc[:2], groups_new=np.array(["zz", "zz"]),
                            include_random=True)
    _close(new, pop[:2], 1e-12)


def test_summary_prints_like_lme4():
    d = df()
    m = fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g")], groups_data=d[["g"]])
    text = str(m.summary())
    assert text.startswith("Linear mixed model fit by REML ['lmerMod']")
    assert "Formula: y ~ t + (1 | g)" in text and "intercept" in text


def test_bad_input():
    d = df()
    with pytest.raises(UnknownNameError):
        RandomEffect("g", covariance="toeplitz")
    with pytest.raises(ModelSpecError):
        RandomEffect("g", include_intercept=False)
    with pytest.raises(ModelSpecError):
        fit_gamm(y=d.y, X=d[["t"]], random_effects=[])
    with pytest.raises(DataError):
        fit_gamm(y=d.y, X=d[["t"]].iloc[:10], random_effects=[RandomEffect("g")],
                 groups_data=d[["g"]])
    with pytest.raises(DataError):
        fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("nope")], groups_data=d[["g"]])
    with pytest.raises(DataError):
        fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g")], groups_data=d[["g"]],
                 method="GCV")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError):
            predict_from_gamm(fit_gamm(y=d.y, X=d[["t"]], random_effects=[RandomEffect("g")],
                                       groups_data=d[["g"]]), d[["t", "x"]])


def test_non_gaussian_is_glmer_laplace():
    import aurora

    d = df()
    m = fit_gamm(y=d["count"], X=d[["x"]], random_effects=[RandomEffect("g")],
                 groups_data=d[["g"]], family="poisson")
    ref = aurora.glmer("count ~ x + (1 | g)", d, family="poisson")
    _close(m.beta_parametric, ref.fixef, 1e-10)
    _close(m.variance_components, [[ref.varcorr()["vcov"].iloc[0]]], 1e-10)
    assert m.residual_variance == 1.0 and m.aic == pytest.approx(ref.aic, rel=1e-12)
    f = fit_gamm(formula="count ~ s(x) + (1 | g)", data=d, family="poisson")
    assert f.gam is not None and f.gam.method == "glmer.ML"
    assert f.beta_parametric.shape == (1,)
