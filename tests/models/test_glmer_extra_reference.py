"""aurora.glmer against lme4 beyond the five cases of test_glmer_reference.py
(validation_r/mixed_glmm_extra_reference.R): Gamma with a log link, binomial proportions
with prior weights, a Poisson offset in the formula and as ``offset=``, a probit link,
crossed random intercepts, a correlated random slope, ``nAGQ = 0``, a singular fit and an
observation-level random effect.

Tolerances: the Laplace deviance (and lme4's ``deviance()``, AIC, BIC) 1e-5 relative; fixed
effects, theta, their standard errors, the covariance of the fixed effects and the
variance components 1e-3; the conditional modes (``u``, ``b``, ``ranef``) and their
conditional variances 1e-4; fitted values, residuals and predictions 1e-3 (as
test_glmer_reference.py); the printed summary identical to lme4's (with test_lmer_reference's
one-unit-in-the-last-digit slack when the estimates drift by more than 1e-7, see
test_glmer_reference.py's docstring: in the observation-level case a 1e-13 change in the
deviance already moves minqa's own BOBYQA path, so both stop ~1e-5 apart on a flat
optimum).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import aurora
from mixed_reference import (as_array, as_matrix, glmm_extra_case, glmm_extra_case_names,
                             glmm_extra_data, glmm_extra_newdata)
from test_glmer_reference import _rel
from test_lmer_reference import _same_text

# lme4's glFormula checks the levels with allow.n = TRUE (nlevels <= n and q <= n are
# allowed for glmer, unlike lmer): glmer_obs_level has one level per row
MARKS: dict = {}
NAMES = glmm_extra_case_names()
CASES = [pytest.param(n, marks=MARKS.get(n, ())) for n in NAMES]

_FITS: dict = {}


def fit(name: str):
    if name not in _FITS:
        c = glmm_extra_case(name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = aurora.glmer(c["formula"], glmm_extra_data(name), family=c["family_arg"],
                             nAGQ=1 if c["nAGQ"] is None else c["nAGQ"],
                             weights=c["weights"], offset=c["offset_arg"],
                             data_name=c["data_name"])
        _FITS[name] = (m, [str(w.message) for w in caught])
    return _FITS[name][0]


def test_every_case_is_tested():
    assert NAMES == ["glmer_gamma_log", "glmer_binomial_weights",
                     "glmer_poisson_offset_formula", "glmer_poisson_offset_arg",
                     "glmer_probit", "glmer_poisson_crossed", "glmer_binomial_slope",
                     "glmer_nagq0", "glmer_singular", "glmer_obs_level"]


@pytest.mark.parametrize("name", NAMES)
def test_reference_data_read_back(name):
    """The CSV read here is what R fitted: response - fitted = R's response residuals."""
    c = glmm_extra_case(name)
    d = glmm_extra_data(name)
    assert len(d) == c["nobs"]
    lhs = c["formula"].split("~")[0].strip()
    if lhs.startswith("cbind("):
        s, f = (v.strip() for v in lhs[6:-1].split(","))
        y = d[s] / (d[s] + d[f])
    else:
        y = d[lhs]
    assert np.allclose(y - as_array(c["fitted"]), as_array(c["residuals"]["response"]),
                       rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_deviance_and_criteria(name):
    c, m = glmm_extra_case(name), fit(name)
    assert _rel(-2 * m.loglik, c["laplace_deviance"]) < 1e-5
    assert _rel(m.deviance, c["deviance"]) < 1e-5  # lme4's deviance(): sum of dev.resid^2
    assert _rel([m.aic, m.bic], [c["aic"], c["bic"]]) < 1e-5
    assert m.npar == c["loglik_df"] and m.df_resid == c["df_residual"]
    assert m.nobs == c["nobs"]
    assert list(m.ngrps) == c["ngrps"]["names"]
    assert list(m.ngrps.values()) == c["ngrps"]["values"]
    assert m.singular == c["singular"] and m.converged == c["converged"]
    assert m.family == c["family"] and m.link == c["link"]
    assert m.nAGQ == (1 if c["nAGQ"] is None else c["nAGQ"])
    if c["family"] == "Gamma":  # the scale is estimated
        assert _rel(m.sigma, c["sigma"]) < 1e-3
    else:
        assert m.sigma == c["sigma"]


@pytest.mark.parametrize("name", CASES)
def test_parameters(name):
    c, m = glmm_extra_case(name), fit(name)
    assert list(m.fixef.index) == c["fixef_names"]
    assert list(m.theta.index) == c["theta_names"]
    assert _rel(m.fixef, c["fixef"], floor=0.1) < 1e-3
    assert _rel(m.theta, c["theta"], floor=0.1) < 1e-3
    lower = as_array(c["theta_lower"])  # -Inf is null in the JSON
    assert np.array_equal(m.terms.lower, np.where(np.isnan(lower), -np.inf, lower))
    assert _rel(m.bse, c["se"]) < 1e-3
    assert _rel(m.vcov().to_numpy(), as_matrix(c["vcov"]),
                floor=0.1 * np.max(np.abs(as_matrix(c["vcov"])))) < 1e-3
    vc, ref = m.varcorr(), c["varcorr"]
    assert list(vc["grp"]) == ref["grp"]
    assert [None if v is None or v != v else v for v in vc["var1"]] == ref["var1"]
    assert [None if v is None or v != v else v for v in vc["var2"]] == ref["var2"]
    assert np.allclose(vc["vcov"], as_array(ref["vcov"]), rtol=1e-3, atol=1e-4)
    assert np.allclose(vc["sdcor"], as_array(ref["sdcor"]), rtol=1e-3, atol=1e-4)
    s = m.summary().coefficients
    assert list(s.columns) == c["coef_table"]["columns"]
    assert np.allclose(s.to_numpy(dtype=float), as_matrix(c["coef_table"]["values"]),
                       rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_conditional_modes(name):
    c, m = glmm_extra_case(name), fit(name)
    assert np.allclose(m.u, c["conditional_modes_u"], rtol=0, atol=1e-4)
    assert np.allclose(m._b(), c["b"], rtol=0, atol=1e-4)
    ref, got = c["ranef"]["table"], m.ranef_table()
    assert list(got["grpvar"]) == ref["grpvar"]
    assert list(got["term"]) == ref["term"] and list(got["grp"]) == ref["grp"]
    assert np.allclose(got["condval"], ref["condval"], rtol=0, atol=1e-4)
    assert np.allclose(got["condsd"], ref["condsd"], rtol=1e-4, atol=1e-8)
    frames = m.ranef()
    assert list(frames) == [f["group"] for f in c["ranef"]["factors"]]
    for f in c["ranef"]["factors"]:
        df = frames[f["group"]]
        assert list(df.index) == f["levels"] and list(df.columns) == f["terms"]
        assert np.allclose(df.to_numpy(), as_matrix(f["values"]), rtol=0, atol=1e-4)
        cv = df.attrs["condVar"]
        cv = cv if isinstance(cv, list) else [cv]
        assert len(cv) == len(f["blocks"])
        for got_b, blk in zip(cv, f["blocks"]):
            want = np.array([as_matrix(v) for v in blk["condvar"]])
            assert np.allclose(got_b, want, rtol=1e-4, atol=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_fitted_residuals(name):
    c, m = glmm_extra_case(name), fit(name)
    assert np.allclose(m.fitted, c["fitted"], rtol=1e-3, atol=1e-5)
    assert np.allclose(m.predict(), c["linear_predictor"], rtol=1e-3, atol=1e-4)
    for kind in ("response", "pearson", "deviance", "working"):
        assert np.allclose(m.residuals(kind), c["residuals"][kind], rtol=1e-3, atol=1e-4), kind
    assert np.allclose(m.residuals(), c["residuals"]["deviance"], rtol=1e-3, atol=1e-4)


def _offset_ignored_by_lme4(c: dict) -> bool:
    # lme4's predict.merMod with newdata adds only the formula's offset() terms; an
    # offset given as the offset = argument is dropped (lme4 issue #447). aurora, as R's
    # predict.glm does, evaluates that column on the new data.
    return c["offset_arg"] is not None


@pytest.mark.parametrize("name", CASES)
def test_predictions(name):
    c, m = glmm_extra_case(name), fit(name)
    pred, nd = c["predict"], glmm_extra_newdata(name)
    off = np.zeros(len(nd))
    if _offset_ignored_by_lme4(c):
        off = nd[c["offset_arg"]].to_numpy(dtype=float)
    inv = m.problem.family.linkinv
    null, na = as_array(pred["re_form_null"]) + off, as_array(pred["re_form_na"]) + off
    assert np.allclose(m.predict(nd), null, atol=1e-3)
    assert np.allclose(m.predict(nd, re_form="~0"), na, atol=1e-3)
    assert np.allclose(m.predict(nd, type="response"), inv(null), rtol=1e-3, atol=1e-5)
    assert np.allclose(m.predict(nd, re_form="~0", type="response"), inv(na),
                       rtol=1e-3, atol=1e-5)
    if not _offset_ignored_by_lme4(c):
        assert np.allclose(m.predict(nd, type="response"),
                           as_array(pred["re_form_null_response"]), rtol=1e-3, atol=1e-5)
        assert np.allclose(m.predict(nd, re_form="~0", type="response"),
                           as_array(pred["re_form_na_response"]), rtol=1e-3, atol=1e-5)
    new = [i - 1 for i in pred["new_level_rows"]]
    assert new  # every new data set has unseen levels: the population prediction
    full, pop = m.predict(nd).to_numpy(), m.predict(nd, re_form="~0").to_numpy()
    if len(c["ngrps"]["names"]) == 1:
        assert np.allclose(full[new], pop[new])
    with pytest.raises(aurora.errors.FactorLevelError):
        m.predict(nd, allow_new_levels=False)
    assert c["predict_warnings"] == []


def test_offset_argument_and_formula_offset_agree():
    """``offset(log(e))`` in the formula and ``offset = loge`` fit the same model; with new
    data aurora applies both (lme4 drops the argument's: its re.form = NA predictions of
    the offset = fit are X beta alone)."""
    a, b = fit("glmer_poisson_offset_formula"), fit("glmer_poisson_offset_arg")
    ca, cb = glmm_extra_case("glmer_poisson_offset_formula"), glmm_extra_case(
        "glmer_poisson_offset_arg")
    assert _rel(a.fixef, b.fixef) < 1e-10 and _rel(a.theta, b.theta) < 1e-10
    assert np.allclose(as_array(ca["fitted"]), as_array(cb["fitted"]), rtol=1e-6)
    nd = glmm_extra_newdata("glmer_poisson_offset_arg")
    assert np.allclose(a.predict(nd), b.predict(nd), rtol=0, atol=1e-8)
    assert np.allclose(b.predict(nd), as_array(ca["predict"]["re_form_null"]), atol=1e-3)
    X = np.column_stack([np.ones(len(nd)), nd["x"]])
    assert np.allclose(as_array(cb["predict"]["re_form_na"]), X @ np.asarray(cb["fixef"]),
                       rtol=0, atol=1e-12)


def test_offset_array_needs_offset_for_new_data():
    """An ``offset=`` array fits as the column does; new data then need ``offset=``."""
    d, nd = glmm_extra_data("glmer_poisson_offset_arg"), glmm_extra_newdata(
        "glmer_poisson_offset_arg")
    b = fit("glmer_poisson_offset_arg")
    m = aurora.glmer("count ~ x + (1 | g)", d, family="poisson", offset=np.log(d["e"]))
    assert _rel(m.fixef, b.fixef) < 1e-12 and _rel(m.theta, b.theta) < 1e-12
    with pytest.raises(aurora.errors.DataError, match="offset"):
        m.predict(nd)
    got = m.predict(nd, offset=np.log(nd["e"]), type="response")
    assert np.allclose(got, b.predict(nd, type="response"), rtol=1e-12)
    assert np.allclose(b.predict(nd, offset=np.zeros(len(nd))),
                       as_array(glmm_extra_case("glmer_poisson_offset_arg")["predict"]
                                ["re_form_null"]), atol=1e-3)


@pytest.mark.parametrize("name", CASES)
def test_messages_and_warnings(name):
    c, m = glmm_extra_case(name), fit(name)
    caught = _FITS[name][1]
    assert list(m.fit.messages) == list(c["messages"])
    assert sorted(caught) == sorted(list(c["warnings"]) + list(c["messages"]))


@pytest.mark.parametrize("name", CASES)
def test_optimizer(name):
    c, m = glmm_extra_case(name), fit(name)
    assert m.fit.optimizer == c["optimizer"]
    assert m.fit.optimizer_code == c["optimizer_code"]
    # lme4's optinfo$feval: Nelder-Mead's evaluations (BOBYQA's for nAGQ = 0)
    assert m.fit.feval == c["feval"]


@pytest.mark.parametrize("name", CASES)
def test_summary_text(name):
    c, m = glmm_extra_case(name), fit(name)
    pars = np.r_[m.theta.to_numpy(), m.fixef.to_numpy()]
    ref = np.r_[c["theta"], c["fixef"]]
    drift = float(np.max(np.abs(pars - ref) / np.maximum(np.abs(ref), 1e-3)))
    ours = str(m.summary())
    assert _same_text(ours, c["summary_text"], slack=drift > 1e-7), ours
