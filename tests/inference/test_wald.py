"""Wald tests against R's ``car::linearHypothesis`` and the hypothesis parser.

Statistics and p-values to 1e-6 relative.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurora.errors import DataError
from aurora.inference import make_hypothesis, wald_test
from aurora.inference._hypothesis import print_hypothesis
from reference import fit_case, glm_reference

WALD = glm_reference()["extras"]["wald"]
STAT_RTOL, P_RTOL = 1e-6, 1e-6


def _check(tab, ref):
    stat = "F" if ref["test"] == "F" else "Chisq"
    assert list(tab.columns) == ["Res.Df", "Df", stat, f"Pr(>{stat})"]
    assert tab["Res.Df"].tolist() == ref["res_df"]
    assert tab["Df"].iloc[1] == ref["df"]
    assert np.isnan(tab[stat].iloc[0])
    np.testing.assert_allclose(tab[stat].iloc[1], ref["chisq" if stat == "Chisq" else "F"],
                               rtol=STAT_RTOL)
    np.testing.assert_allclose(tab[f"Pr(>{stat})"].iloc[1], ref["p_value"], rtol=P_RTOL,
                               atol=1e-300)


@pytest.mark.parametrize("key", sorted(WALD))
def test_text_hypotheses_match_r(key):
    ref = WALD[key]
    m = fit_case(ref["case"])
    tab = wald_test(m, ref["hypothesis"], test=ref["test"])
    _check(tab, ref)
    np.testing.assert_array_equal(tab.attrs["L"], np.array(ref["L"], dtype=float))
    np.testing.assert_array_equal(tab.attrs["rhs"], np.array(ref["rhs"], dtype=float))


@pytest.mark.parametrize("key", sorted(WALD))
def test_matrix_hypotheses_match_r(key):
    ref = WALD[key]
    m = fit_case(ref["case"])
    tab = wald_test(m, np.array(ref["L"], dtype=float), rhs=ref["rhs"], test=ref["test"])
    _check(tab, ref)


def test_default_test_follows_the_scale():
    binom = fit_case(WALD["binomial_two"]["case"])
    gauss = fit_case(WALD["gaussian_two_F"]["case"])
    assert "Chisq" in wald_test(binom, "x1 = 0").columns
    assert "F" in wald_test(gauss, "x1 = 0").columns


def test_dataframe_and_series_hypotheses():
    ref = WALD["binomial_one"]
    m = fit_case(ref["case"])
    L = pd.Series({"x1": 1.0, "x2": 1.0})
    tab = wald_test(m, L, rhs=0.5)
    np.testing.assert_allclose(tab["Chisq"].iloc[1], ref["chisq"], rtol=STAT_RTOL)


def test_single_coefficient_is_squared_z():
    m = fit_case("binomial_logit")
    tab = wald_test(m, "x2")
    z = m.params["x2"] / m.bse["x2"]
    assert tab["Chisq"].iloc[1] == pytest.approx(z**2, rel=1e-12)
    assert tab["Pr(>Chisq)"].iloc[1] == pytest.approx(m.pvalues["x2"], rel=1e-10)


def test_heading_and_print():
    m = fit_case("binomial_logit")
    tab = wald_test(m, ["x1 + x2 = 0.5"])
    text = str(tab)
    assert text.startswith("Linear hypothesis test\n\nHypothesis:\nx1  + x2 = 0.5\n")
    assert "Model 1: restricted model\nModel 2: y ~ x1 + x2 + f" in text


def test_make_hypothesis_reads_r_spellings():
    names = ["(Intercept)", "x1", "x2", "x1:fB", "fB"]
    L, r = make_hypothesis(names, ["2*x1 - x2 = 1", "x1:fB + fB", "(Intercept) = x1"])
    np.testing.assert_array_equal(L, [[0, 2, -1, 0, 0], [0, 0, 0, 1, 1], [1, -1, 0, 0, 0]])
    np.testing.assert_array_equal(r, [1, 0, 0])
    L, r = make_hypothesis(names, "x1 + 3 = 2")
    np.testing.assert_array_equal(r, [-1])
    L, r = make_hypothesis(names, ["x1", "x2"], rhs=[1, 2])
    np.testing.assert_array_equal(r, [1, 2])


@pytest.mark.parametrize("bad", ["x9 = 0", "x1 = 0 = 1", "x1 + x1 = 0", "ax1 = 0"])
def test_bad_hypotheses_raise(bad):
    with pytest.raises(DataError):
        make_hypothesis(["(Intercept)", "x1", "x2"], bad)


def test_print_hypothesis_as_car():
    names = ["(Intercept)", "x1", "x2"]
    L = np.array([[1.0, 0, 0], [0, -1, 2], [0, 0.5, 0]])
    assert print_hypothesis(L, np.array([0.0, 1, 2]), names) == [
        "(Intercept) = 0", "- x1  + 2 x2 = 1", "0.5 x1 = 2"]  # car's spacing


def test_matrix_errors():
    m = fit_case("binomial_logit")
    with pytest.raises(DataError, match="columns"):
        wald_test(m, np.ones((1, 3)))
    with pytest.raises(DataError, match="singular"):
        wald_test(m, ["x1", "2*x1"])
    with pytest.raises(DataError, match="unknown test"):
        wald_test(m, "x1", test="LR")


def test_aliased_coefficients_are_skipped():
    m = fit_case("gaussian_rank_deficient")
    full = np.zeros((1, len(m.column_names)))
    full[0, list(m.column_names).index("x1")] = 1
    a = wald_test(m, full)
    b = wald_test(m, "x1 = 0")
    assert a["F"].iloc[1] == pytest.approx(b["F"].iloc[1])
    full[0, list(m.column_names).index("x3")] = 1
    with pytest.raises(DataError, match="aliased"):
        wald_test(m, full)
