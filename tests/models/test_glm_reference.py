"""Every GLM quantity against R (validation_r/glm_reference.json).

Tolerances are the issue's: coefficients 1e-6 relative, standard errors 1e-5, deviance,
AIC and logLik 1e-7, p-values 1e-6.

Vectors are compared in data-row order. Under ``na_action="exclude"`` R pads fitted
values, residuals, influence measures and ``predict()`` without new data at the dropped
rows (NA, JSON null, NaN here; hat values and DFBETAS with 0 as R's ``lm.influence``),
so Aurora's results on the full data's rows compare element by element.
"""
from __future__ import annotations

import numpy as np
import pytest

from reference import case_by_name, case_newdata, fit_case, glm_cases

NAMES = [c["name"] for c in glm_cases()]
NA_NEWDATA = [c["name"] for c in glm_cases() if "newdata_na" in c["predict"]]


def _vec(d: dict, names: list[str]) -> np.ndarray:
    return np.array([np.nan if d.get(n) is None else d[n] for n in names], dtype=float)


def _arr(values) -> np.ndarray:
    """JSON vector (null = R's NA) as floats with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _absmax(values) -> float:
    return float(np.nanmax(np.abs(_arr(values)))) if len(values) else 0.0


def _close(actual, expected, rtol, atol=0.0, what=""):
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("name", NAMES)
def test_coefficients_and_errors(name):
    case = case_by_name(name)
    m = fit_case(name)
    names = case["coef_names"]
    assert list(m.params.index) == names
    scale = np.nanmax(np.abs(_vec(case["coefficients"], names)))
    _close(m.params, _vec(case["coefficients"], names), 1e-6, 1e-9 * scale, "coef")
    _close(m.bse, _vec(case["std_errors"], names), 1e-5, 0, "se")
    # statistics of coefficients that are exactly zero in exact arithmetic (Dobson's
    # treatment effects) are rounding noise in R and here: compare those absolutely
    stat = _vec(case["statistic"], names)
    _close(m.tvalues, stat, 1e-5, 1e-9 * np.nanmax(np.abs(stat)), "statistic")
    _close(m.pvalues, _vec(case["p_values"], names), 1e-6, 1e-300, "p")
    assert sorted(n for n, a in m.aliased.items() if a) == sorted(case["aliased"])


@pytest.mark.parametrize("name", NAMES)
def test_deviance_likelihood(name):
    case = case_by_name(name)
    m = fit_case(name)
    _close(m.deviance, case["deviance"], 1e-7, 1e-12)
    _close(m.null_deviance, case["null_deviance"], 1e-7)
    assert m.df_residual == case["df_residual"] and m.df_null == case["df_null"]
    _close(m.scale, case["dispersion"], 1e-6)
    if case["aic"] is None:
        assert np.isnan(m.aic)
    else:
        _close(m.aic, case["aic"], 1e-7)
        _close(m.loglik, case["loglik"], 1e-7)
        _close(m.bic, case["bic"], 1e-7)
        assert m.loglik_df == case["loglik_df"]
    assert m.converged == case["converged"]
    assert m.n_iter == case["iter"]
    if case["fitter"] == "glm.nb":
        _close(m.theta, case["theta"], 1e-6)
        _close(m.estimates.theta_se, case["se_theta"], 1e-5)
        _close(m.estimates.twologlik, case["twologlik"], 1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_fitted_and_residuals(name):
    case = case_by_name(name)
    m = fit_case(name)
    _close(m.fitted, _arr(case["fitted"]), 1e-6, 1e-10)
    # R's fit$linear.predictors covers the fitted rows only, also under na.exclude
    lp = np.asarray(m.linear_predictors, dtype=float)
    if lp.shape != (len(case["linear_predictors"]),):
        lp = lp[~np.isnan(lp)]
    _close(lp, case["linear_predictors"], 1e-6, 1e-9)
    for kind in ("deviance", "pearson", "response", "working"):
        ref = _arr(case["residuals"][kind])
        _close(m.residuals(kind), ref, 1e-5, 1e-7 * _absmax(ref), kind)


@pytest.mark.parametrize("name", NAMES)
def test_influence(name):
    case = case_by_name(name)
    m = fit_case(name)
    infl = m.influence()
    _close(infl["hat"], _arr(case["hat"]), 1e-5, 1e-10, "hat")
    _close(infl["cooks_d"], _arr(case["cooks"]), 1e-5, 1e-12, "cooks")
    _close(infl["rstandard"], _arr(case["rstandard"]), 1e-5, 1e-9, "rstandard")
    _close(infl["rstudent"], _arr(case["rstudent"]), 1e-5, 1e-9, "rstudent")
    dfb = np.array([[np.nan if v is None else v for v in row] for row in case["dfbetas"]], dtype=float)
    cols = [f"dfb_{n}" for n in case["dfbetas_names"]]
    _close(infl[cols].to_numpy(), dfb, 1e-5, 1e-9, "dfbetas")


@pytest.mark.parametrize("name", NAMES)
def test_vcov_and_confint(name):
    case = case_by_name(name)
    m = fit_case(name)
    V = m.vcov()
    assert list(V.index) == case["vcov_names"]
    ref = np.array(case["vcov"], dtype=float)
    _close(V.to_numpy(), ref, 1e-5, 1e-7 * np.max(np.abs(ref)), "vcov")
    ci = m.conf_int(method="Wald")
    for nm, (lo, hi) in case["confint_wald"].items():
        if lo is None:
            assert np.isnan(ci.loc[nm].iloc[0])
            continue
        _close(ci.loc[nm].to_numpy(), [lo, hi], 1e-6, 1e-9, nm)


@pytest.mark.parametrize("name", NAMES)
def test_predict_newdata(name):
    case = case_by_name(name)
    m = fit_case(name)
    new = case_newdata(case)
    pr = case["predict"]
    link = m.predict(new, type="link", se_fit=True)
    _close(link["fit"], pr["link"], 1e-6, 1e-9, "link")
    _close(link["se_fit"], pr["se_link"], 1e-5, 1e-12, "se_link")
    _close(link["residual_scale"].iloc[0], pr["residual_scale"], 1e-6, 0, "residual.scale")
    resp = m.predict(new, type="response", se_fit=True)
    _close(resp["fit"], pr["response"], 1e-6, 1e-10, "response")
    _close(resp["se_fit"], pr["se_response"], 1e-5, 1e-12, "se_response")


@pytest.mark.parametrize("name", NAMES)
def test_predict_without_newdata(name):
    """``predict(fit)`` and ``predict(fit, type = "response")``: the fitted rows, padded
    with NA at the rows na.exclude dropped."""
    case = case_by_name(name)
    m = fit_case(name)
    ref = case["predict"]["no_newdata"]
    _close(m.predict(type="link"), _arr(ref["link"]), 1e-6, 1e-9, "link")
    _close(m.predict(type="response"), _arr(ref["response"]), 1e-6, 1e-10, "response")


@pytest.mark.parametrize("name", NA_NEWDATA)
def test_predict_newdata_with_missing_values(name):
    """New data with an empty factor cell: R predicts NA at that row (no error, no
    silent number)."""
    case = case_by_name(name)
    m = fit_case(name)
    new = case_newdata(case, "newdata_na")
    ref = case["predict"]["newdata_na"]
    link = m.predict(new, type="link", se_fit=True)
    _close(link["fit"], _arr(ref["link"]), 1e-6, 1e-9, "link")
    _close(link["se_fit"], _arr(ref["se_link"]), 1e-5, 1e-12, "se_link")
    resp = m.predict(new, type="response", se_fit=True)
    _close(resp["fit"], _arr(ref["response"]), 1e-6, 1e-10, "response")
    _close(resp["se_fit"], _arr(ref["se_response"]), 1e-5, 1e-12, "se_response")
    _close(m.predict(new, type="response"), _arr(ref["response"]), 1e-6, 1e-10, "no se")


@pytest.mark.parametrize("name", NAMES)
def test_summary_text_matches_r(name):
    """The printed summary, after the call, is R's text line for line."""
    case = case_by_name(name)
    m = fit_case(name)
    ours = str(m.summary()).split("\n")
    theirs = case["summary_text"].split("\n")
    start_o = ours.index("Deviance Residuals: ")
    start_t = theirs.index("Deviance Residuals: ")
    if name == "dobson_poisson":
        # R's estimates of the two treatment effects are exactly zero up to rounding
        # noise (~1e-15); the noise sets that coefficient block's layout, so compare
        # everything but those rows
        ours = [l for l in ours if not l.startswith(("treatment", "(Intercept)", "outcome"))]
        theirs = [l for l in theirs if not l.startswith(("treatment", "(Intercept)", "outcome"))]
    assert [l.rstrip() for l in ours[start_o:]] == [l.rstrip() for l in theirs[start_t:]]


@pytest.mark.parametrize("name", NAMES)
def test_predict_terms(name):
    """``type="terms"``: each term's centred contribution, as R's predict(type = "terms")."""
    case = case_by_name(name)
    m = fit_case(name)
    ours = m.predict(case_newdata(case), type="terms")
    ref = case["predict"]["terms"]
    assert list(ours.columns) == list(ref)
    for term, values in ref.items():
        values = np.asarray(values, dtype=float)
        _close(ours[term], values, 1e-6, 1e-9 * max(1.0, np.max(np.abs(values))), term)


@pytest.mark.parametrize("name", NAMES)
def test_predict_terms_se(name):
    """``type="terms", se_fit=True``: a DataFrame with two-level columns, ``p["fit"]`` and
    ``p["se_fit"]`` one column per term, as R's ``predict(type = "terms", se.fit = TRUE)``."""
    case = case_by_name(name)
    m = fit_case(name)
    p = m.predict(case_newdata(case), type="terms", se_fit=True)
    ref_fit, ref_se = case["predict"]["terms"], case["predict"]["terms_se"]
    assert list(p["fit"].columns) == list(ref_fit)
    assert list(p["se_fit"].columns) == list(ref_se)
    for term, values in ref_fit.items():
        _close(p["fit"][term], _arr(values), 1e-6, 1e-9 * max(1.0, _absmax(values)), term)
    for term, values in ref_se.items():
        _close(p["se_fit"][term], _arr(values), 1e-5, 1e-12 * max(1.0, _absmax(values)), term)


@pytest.mark.parametrize("name", NAMES)
def test_print_text_matches_r(name):
    """``str(result)`` is R's ``print.glm`` from the coefficients on (the call differs only
    in how the family was spelled)."""
    case = case_by_name(name)
    ours = str(fit_case(name)).split("\n")
    theirs = case["print_text"].split("\n")
    start_o, start_t = ours.index("Coefficients:"), theirs.index("Coefficients:")
    ours, theirs = ours[start_o:], theirs[start_t:]
    if name == "dobson_poisson":  # rounding-noise estimates set that row's layout (see above)
        ours, theirs = ours[3:], theirs[3:]
    assert [l.rstrip() for l in ours if l.strip()] == [l.rstrip() for l in theirs if l.strip()]


@pytest.mark.parametrize("name", NAMES)
def test_anova_text_matches_r(name):
    """The printed sequential analysis of deviance is R's ``print(anova(fit, test=))``."""
    case = case_by_name(name)
    m = fit_case(name)
    if case["fitter"] == "glm.nb":  # R warns too: "tests made without re-estimating 'theta'"
        with pytest.warns(UserWarning, match="theta"):
            table = m.anova(test=case["anova_seq"]["test"])
    else:
        table = m.anova(test=case["anova_seq"]["test"])
    ours = str(table).split("\n")
    theirs = case["anova_text"].split("\n")
    assert [l.rstrip() for l in ours if l.strip()] == [l.rstrip() for l in theirs if l.strip()]
