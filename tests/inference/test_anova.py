"""Analysis of deviance against R: ``anova.glm`` (every reference case), ``anova(m0, m1)``
and ``car::Anova`` (types II/III, LR, Wald, F).

Tolerances: deviances 1e-7 relative, statistics and p-values 1e-6 relative.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import aurora
from aurora.errors import AuroraWarning, DataError
from aurora.inference import AnovaTable, anova_glm, anova_type, lr_test
from reference import case_by_name, fit_case, glm_cases, glm_reference, load_csv

NAMES = [c["name"] for c in glm_cases()]
DEV_RTOL, STAT_RTOL, P_RTOL = 1e-7, 1e-6, 1e-6


def _arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _close(actual, expected, rtol, what, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), _arr(expected), rtol=rtol,
                               atol=atol, equal_nan=True, err_msg=what)


def _seq(name: str) -> tuple[dict, AnovaTable]:
    ref = case_by_name(name)["anova_seq"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuroraWarning)
        return ref, fit_case(name).anova(test=ref["test"])


@pytest.mark.parametrize("name", NAMES)
def test_sequential_table_matches_r(name):
    ref, tab = _seq(name)
    assert list(tab.index) == ref["terms"]
    np.testing.assert_array_equal(tab["Df"].to_numpy(), _arr(ref["df"]))
    np.testing.assert_array_equal(tab["Resid. Df"].to_numpy(), _arr(ref["resid_df"]))
    scale = max(abs(v) for v in ref["resid_dev"])
    _close(tab["Resid. Dev"], ref["resid_dev"], DEV_RTOL, "Resid. Dev")
    # a term's deviance is a difference of residual deviances: absolute slack at their scale
    _close(tab["Deviance"], ref["deviance"], DEV_RTOL, "Deviance", atol=1e-9 * scale)


@pytest.mark.parametrize("name", NAMES)
def test_sequential_tests_match_r(name):
    ref, tab = _seq(name)
    if ref["test"] == "F":
        assert list(tab.columns)[-2:] == ["F", "Pr(>F)"]
        _close(tab["F"], ref["F"], STAT_RTOL, "F")
        _close(tab["Pr(>F)"], ref["p_value"], P_RTOL, "Pr(>F)", atol=1e-300)
    else:
        assert list(tab.columns)[-1] == "Pr(>Chi)"
        _close(tab["Pr(>Chi)"], ref["p_value"], P_RTOL, "Pr(>Chi)", atol=1e-300)


def test_table_without_test_and_heading():
    tab = fit_case("poisson_factorial_2x3").anova()
    assert list(tab.columns) == ["Df", "Deviance", "Resid. Df", "Resid. Dev"]
    assert tab.heading[0].startswith("Analysis of Deviance Table\n\nModel: poisson, link: log")
    assert "Response: y" in tab.heading[0]
    assert tab.attrs == {} and isinstance(tab, AnovaTable)


def test_printed_layout_is_r_like():
    text = str(fit_case("poisson_factorial_2x3").anova(test="Chisq"))
    lines = text.splitlines()
    header = next(line for line in lines if "Resid. Dev" in line)
    assert header.split() == ["Df", "Deviance", "Resid.", "Df", "Resid.", "Dev", "Pr(>Chi)"]
    null = next(line for line in lines if line.startswith("NULL"))
    assert null.split()[1:] == ["119", "172.89"]  # R prints 5 significant digits
    assert lines[-1].startswith("Signif. codes:")
    assert "Terms added sequentially (first to last)" in text


def test_f_test_on_known_scale_warns():
    m = fit_case("poisson_factorial_2x3")
    with pytest.warns(AuroraWarning, match="F test with a 'poisson' family"):
        m.anova(test="F")


def test_unknown_test_is_an_error():
    with pytest.raises(DataError, match="unknown test"):
        fit_case("poisson_factorial_2x3").anova(test="Wald")


@pytest.mark.parametrize("key", ["poisson_chisq", "gaussian_F"])
def test_model_comparison_matches_r(key):
    ref = glm_reference()["extras"]["lrt"][key]
    data = load_csv(ref["data"])
    m0 = aurora.glm(ref["formula0"], data, family=ref["family"])
    m1 = aurora.glm(ref["formula1"], data, family=ref["family"])
    tab = m0.anova(m1, test=ref["test"])
    assert list(tab.index) == [1, 2]
    np.testing.assert_array_equal(tab["Resid. Df"].to_numpy(), _arr(ref["resid_df"]))
    np.testing.assert_array_equal(tab["Df"].to_numpy(), _arr(ref["df"]))
    _close(tab["Resid. Dev"], ref["resid_dev"], DEV_RTOL, "Resid. Dev")
    _close(tab["Deviance"], ref["deviance"], DEV_RTOL, "Deviance")
    pcol = "Pr(>F)" if ref["test"] == "F" else "Pr(>Chi)"
    _close(tab[pcol], ref["p_value"], P_RTOL, pcol, atol=1e-300)
    if ref["test"] == "F":
        _close(tab["F"], ref["F"], STAT_RTOL, "F")
    assert tab.heading[1].startswith("Model 1: ")
    if ref["test"] == "Chisq":
        lr = lr_test(m1, m0)  # order does not matter for lr_test
        _close(lr["Pr(>Chi)"], ref["p_value"], P_RTOL, "lr_test", atol=1e-300)


def test_comparison_needs_same_rows():
    d = aurora.datasets.load("mtcars")
    m0 = aurora.glm("mpg ~ wt", d)
    m1 = aurora.glm("mpg ~ wt", d.iloc[:20])
    with pytest.raises(DataError, match="same size"):
        anova_glm(m0, m1)


def test_negative_binomial_comparison_keeps_each_theta():
    data = load_csv(case_by_name("negbin_theta_estimated")["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m1 = aurora.glm("y ~ x1 + f", data, family="negative_binomial")
        m0 = aurora.glm("y ~ x1", data, family="negative_binomial")
    tab = lr_test(m0, m1)
    assert list(tab.columns) == ["Model", "theta", "Resid. df", "   2 x log-lik.", "Test",
                                 "   df", "LR stat.", "Pr(Chi)"]
    lr = m1.estimates.twologlik - m0.estimates.twologlik
    assert tab["LR stat."].iloc[1] == pytest.approx(lr, rel=1e-12)
    assert tab["Test"].tolist() == ["", "1 vs 2"]
    assert "Likelihood ratio tests of Negative Binomial Models" in str(tab)


# ---------------------------------------------------------------- car::Anova
CAR = glm_reference()["extras"]["car_anova"]


def _car_model():
    return fit_case(CAR["case"])


@pytest.mark.parametrize("typ", [2, 3])
def test_car_lr_tests_match_r(typ):
    ref = CAR[f"glm_type{typ}"]
    tab = anova_type(_car_model(), typ, "LR")
    assert list(tab.index) == ref["terms"]
    assert list(tab.columns) == ["LR Chisq", "Df", "Pr(>Chisq)"]
    np.testing.assert_array_equal(tab["Df"].to_numpy(), _arr(ref["df"]))
    _close(tab["LR Chisq"], ref["lr_chisq"], STAT_RTOL, "LR Chisq")
    _close(tab["Pr(>Chisq)"], ref["p_value"], P_RTOL, "p")


def test_car_type2_wald_matches_r():
    ref = CAR["glm_type2_wald"]
    tab = anova_type(_car_model(), "II", "Wald")
    assert list(tab.index) == ref["terms"]
    assert list(tab.columns) == ["Df", "Chisq", "Pr(>Chisq)"]
    np.testing.assert_array_equal(tab["Df"].to_numpy(), _arr(ref["df"]))
    _close(tab["Chisq"], ref["chisq"], STAT_RTOL, "Chisq")
    _close(tab["Pr(>Chisq)"], ref["p_value"], P_RTOL, "p")


def test_car_type3_wald_tests_the_intercept_and_last_term_agrees():
    m = _car_model()
    t3 = anova_type(m, 3, "Wald")
    t2 = anova_type(m, 2, "Wald")
    assert list(t3.index) == ["(Intercept)", "a", "b", "a:b"]
    # the highest-order term has no relatives: types II and III coincide on it
    assert t3.loc["a:b", "Chisq"] == pytest.approx(t2.loc["a:b", "Chisq"], rel=1e-10)
    se = m.bse["(Intercept)"]
    assert t3.loc["(Intercept)", "Chisq"] == pytest.approx((m.params["(Intercept)"] / se) ** 2)


@pytest.mark.parametrize("typ", [2, 3])
def test_car_gaussian_sums_of_squares_match_r(typ):
    ref = CAR[f"lm_type{typ}"]
    data = load_csv(CAR["data"])
    m = aurora.glm(CAR["lm_formula"], data)
    tab = anova_type(m, typ, "F")
    assert list(tab.index) == ref["terms"]
    assert list(tab.columns) == ["Sum Sq", "Df", "F value", "Pr(>F)"]
    np.testing.assert_array_equal(tab["Df"].to_numpy(), _arr(ref["df"]))
    _close(tab["Sum Sq"], ref["sum_sq"], DEV_RTOL, "Sum Sq")
    _close(tab["F value"], ref["F"], STAT_RTOL, "F")
    _close(tab["Pr(>F)"], ref["p_value"], P_RTOL, "p", atol=1e-300)
    assert tab.heading[0] == f"Anova Table (Type {'I' * typ} tests)\n"


def test_car_glm_f_uses_pearson_error():
    m = _car_model()
    tab = anova_type(m, 2, "F")
    pearson = float(np.sum(m.residuals("pearson") ** 2))
    assert tab.loc["Residuals", "Sum Sq"] == pytest.approx(pearson)
    lr = anova_type(m, 2, "LR")
    expect = lr["LR Chisq"] / lr["Df"] / (pearson / m.df_residual)
    np.testing.assert_allclose(tab["F value"].iloc[:-1], expect, rtol=1e-12)
    assert "Pearson residuals" in str(tab)


def test_type1_is_the_sequential_table():
    m = _car_model()
    t1 = anova_type(m, 1, "LR")
    seq = m.anova(test="Chisq")
    np.testing.assert_allclose(t1["Pr(>Chi)"], seq["Pr(>Chi)"], equal_nan=True)
    with pytest.raises(DataError):
        anova_type(m, 1, "Wald")
    with pytest.raises(DataError, match="unknown type"):
        anova_type(m, 4)


def test_type3_refuses_aliased_coefficients():
    with pytest.raises(DataError, match="aliased"):
        anova_type(fit_case("gaussian_rank_deficient"), 3, "LR")
    tab = anova_type(fit_case("gaussian_rank_deficient"), 2, "LR")
    assert np.isnan(tab.loc["x3", "LR Chisq"]) and tab.loc["x3", "Df"] == 0
