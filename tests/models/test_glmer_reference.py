"""aurora.glmer / aurora.glmer_nb against lme4 (validation_r/mixed_reference.R).

Tolerances (issue 11, Laplace and AGQ GLMMs): the Laplace / quadrature deviance 1e-5
relative; fixed effects and theta 1e-3; their standard errors, the conditional modes and
their SDs, fitted values and predictions 1e-3; the printed summary identical to lme4's.

aurora follows lme4's own steps (PIRLS as ``pwrssUpdate``, stage 1 by a transcription of
minqa's BOBYQA, stage 2 by a transcription of lme4's Nelder-Mead, ``deriv12`` for the
covariance), so the estimates agree far below these tolerances and the evaluation counts
are lme4's. The deviances agree to ~1e-15 relative, not bitwise (summation order, the
sparse Cholesky), and near the flat stage-1 optimum that rounding moves BOBYQA's last
steps by ~1e-7 in theta, which Nelder-Mead's stopping rule carries into the estimates: where
that moves a printed number by one unit in its last digit (estimates apart by more than
1e-7) the summary is compared token by token with that slack, as the lmer tests do.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import aurora
from mixed_reference import as_array, mixed_case, mixed_case_names, mixed_data, mixed_newdata

GLMER = [n for n in mixed_case_names() if mixed_case(n)["function"] in ("glmer", "glmer.nb")]

_FITS: dict = {}


def fit(name: str):
    if name not in _FITS:
        c = mixed_case(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if c["function"] == "glmer.nb":
                _FITS[name] = aurora.glmer_nb(c["formula"], mixed_data(name),
                                              data_name=c["data_name"])
            else:
                _FITS[name] = aurora.glmer(c["formula"], mixed_data(name), family=c["family"],
                                           nAGQ=c["nAGQ"] or 1, weights=c["weights"],
                                           data_name=c["data_name"])
    return _FITS[name]


def _rel(a, b, floor: float = 0.0) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


def test_every_glmm_case_is_tested():
    assert set(GLMER) == {"glmer_poisson", "glmer_binary", "glmer_cbind", "glmer_agq10",
                          "glmer_nb"}


@pytest.mark.parametrize("name", GLMER)
def test_deviance_and_criteria(name):
    c, m = mixed_case(name), fit(name)
    assert _rel(-2 * m.loglik, c["laplace_deviance"]) < 1e-5
    assert _rel(m.deviance, c["deviance"]) < 1e-5  # lme4's deviance(): sum of dev.resid^2
    assert _rel([m.aic, m.bic], [c["aic"], c["bic"]]) < 1e-5
    assert m.npar == c["loglik_df"] and m.df_resid == c["df_residual"]
    assert m.nobs == c["nobs"]
    assert m.singular == c["singular"] and m.converged == c["converged"]
    assert m.sigma == c["sigma"]
    assert m.family == c["family"] and m.link == c["link"]


@pytest.mark.parametrize("name", GLMER)
def test_parameters(name):
    c, m = mixed_case(name), fit(name)
    assert list(m.fixef.index) == c["fixef_names"]
    assert list(m.theta.index) == c["theta_names"]
    assert _rel(m.fixef, c["fixef"], floor=0.1) < 1e-3
    assert _rel(m.theta, c["theta"], floor=0.1) < 1e-3
    assert _rel(m.bse, c["se"]) < 1e-3
    assert _rel(m.vcov().to_numpy(), as_array(c["vcov"]),
                floor=0.1 * np.max(np.abs(c["vcov"]))) < 1e-3
    vc = m.varcorr()
    assert list(vc["grp"]) == c["varcorr"]["grp"]
    assert np.allclose(vc["sdcor"], as_array(c["varcorr"]["sdcor"]), rtol=1e-3, atol=1e-4)
    if c["function"] == "glmer.nb":
        assert _rel(m.nb_theta, c["nb_theta"]) < 1e-3


@pytest.mark.parametrize("name", GLMER)
def test_conditional_modes(name):
    c, m = mixed_case(name), fit(name)
    scale = max(1.0, float(np.max(np.abs(c["b"]))))
    assert np.allclose(m.u, c["conditional_modes_u"], atol=1e-3 * scale)
    ref, got = c["ranef"]["table"], m.ranef_table()
    assert list(got["grp"]) == ref["grp"] and list(got["term"]) == ref["term"]
    assert np.allclose(got["condval"], ref["condval"], rtol=1e-3, atol=1e-3 * scale)
    assert np.allclose(got["condsd"], ref["condsd"], rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("name", GLMER)
def test_fitted_residuals(name):
    c, m = mixed_case(name), fit(name)
    assert np.allclose(m.fitted, c["fitted"], rtol=1e-3, atol=1e-5)
    assert np.allclose(m.predict(), c["linear_predictor"], rtol=1e-3, atol=1e-4)
    for kind in ("response", "pearson", "deviance", "working"):
        assert np.allclose(m.residuals(kind), c["residuals"][kind], rtol=1e-3, atol=1e-4), kind
    assert np.allclose(m.residuals(), c["residuals"]["deviance"], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", GLMER)
def test_predictions(name):
    c, m = mixed_case(name), fit(name)
    pred, nd = c["predict"], mixed_newdata(name)
    assert np.allclose(m.predict(nd), as_array(pred["re_form_null"]), atol=1e-3)
    assert np.allclose(m.predict(nd, re_form="~0"), as_array(pred["re_form_na"]), atol=1e-3)
    assert np.allclose(m.predict(nd, type="response"),
                       as_array(pred["re_form_null_response"]), rtol=1e-3, atol=1e-5)
    assert np.allclose(m.predict(nd, re_form="~0", type="response"),
                       as_array(pred["re_form_na_response"]), rtol=1e-3, atol=1e-5)
    new = [i - 1 for i in pred["new_level_rows"]]
    if new:  # unseen levels: the population prediction
        assert np.allclose(m.predict(nd).to_numpy()[new], m.predict(nd, re_form="~0")
                           .to_numpy()[new])
        with pytest.raises(aurora.errors.FactorLevelError):
            m.predict(nd, allow_new_levels=False)


@pytest.mark.parametrize("name", GLMER)
def test_summary_text(name):
    from test_lmer_reference import _same_text

    c, m = mixed_case(name), fit(name)
    pars = np.r_[m.theta.to_numpy(), m.fixef.to_numpy()]
    ref = np.r_[c["theta"], c["fixef"]]
    drift = float(np.max(np.abs(pars - ref) / np.maximum(np.abs(ref), 1e-3)))
    ours = str(m.summary())
    assert _same_text(ours, c["summary_text"], slack=drift > 1e-7), ours


def test_summary_tables():
    c, m = mixed_case("glmer_poisson"), fit("glmer_poisson")
    s = m.summary()
    ref = c["coef_table"]
    assert list(s.coefficients.columns) == ref["columns"]
    assert np.allclose(s.coefficients.to_numpy(), as_array(ref["values"]), rtol=1e-3)
    assert "Residual" not in list(m.varcorr()["grp"])
    assert "<div" in m._repr_html_()


def test_wald_confint_and_simulate():
    m = fit("glmer_binary")
    ci = m.conf_int(method="Wald")
    assert list(ci.index) == [".sig01", "(Intercept)", "x"]
    assert np.isnan(ci.iloc[0]).all()
    assert np.allclose(ci.iloc[1:, 0], m.fixef - 1.959963984540054 * m.bse)
    sims = m.simulate(3, seed=1)
    assert sims.shape == (800, 3) and set(np.unique(sims.to_numpy())) <= {0.0, 1.0}
    cb = fit("glmer_cbind").simulate(1, seed=2)
    assert ((cb.to_numpy() >= 0) & (cb.to_numpy() <= 1)).all()
