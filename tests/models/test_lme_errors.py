"""Bad input to aurora.models.lme.lme / glmm_pql, and what nlme does with it.

* An unknown correlation structure: a typed error listing the valid spellings.
* Correlation groups not nested in the random-effect groups: nlme stops with
  "incompatible formulas for groups in 'random' and 'correlation'"; so do we (we check
  the nesting in the data, so ``cs(g)`` with ``(1 | site)`` is accepted when every ``g``
  lies within one site, where nlme insists on ``site/g``).
* A correlation grouping coarser than the random one: nlme warns "cannot use smaller level
  of grouping for 'correlation' than for 'random'" and uses the random grouping; so do we.
* The time (or grouping) variable missing from the data: UnknownVariableError.
* AR(1) times repeated within a group: nlme stops ("covariate must have unique values
  within groups for "corAR1" objects"); we raise DataError with that text.
* Non-integer times: nlme fits with the row order when they rise by exactly 1 within every
  group (so do we) and otherwise truncates them to integers silently (``as.integer`` in
  corARMA; times 0.5, 1, 1.5 become 0, 1, 1); we raise DataError.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from aurora.errors import (AuroraError, DataError, MissingDataError, ModelSpecError,
                           UnknownNameError, UnknownVariableError)
from aurora.models.lme import lme, parse_correlation
from mixed_reference import mixed_data


def _ar1():
    return mixed_data("lme_ar1")


def test_unknown_correlation_lists_valid_ones():
    with pytest.raises(UnknownNameError) as e:
        lme("y ~ time + (1 | g)", _ar1(), correlation="ar2(time | g)")
    msg = str(e.value)
    assert "ar2" in msg and "ar1(time | g)" in msg and "cs(g)" in msg
    assert isinstance(e.value, AuroraError)
    with pytest.raises(UnknownNameError):
        parse_correlation("corExp(form = ~ time | g)")


def test_correlation_spellings():
    assert parse_correlation("corAR1(form = ~ time | g)") == parse_correlation("ar1(time | g)")
    cs = parse_correlation("cs(site/g)")
    assert cs.kind == "cs" and cs.groups == ("site", "g") and cs.time is None
    assert parse_correlation("compound_symmetry(g)").kind == "cs"
    assert parse_correlation("ar1()").time is None and parse_correlation("ar1").groups is None
    with pytest.raises(ModelSpecError, match="no covariate"):
        parse_correlation("cs(time | g)")


def test_correlation_not_nested_in_random_groups():
    d = mixed_data("lme_cs")
    d["half"] = np.where(d["time"] <= 4, "a", "b")  # crosses the sites
    with pytest.raises(ModelSpecError, match="incompatible formulas for groups"):
        lme("y ~ time + (1 | site)", d, correlation="cs(half)")


def test_nested_by_data_is_accepted():
    d = mixed_data("lme_cs")
    a = lme("y ~ time + (1 | site)", d, correlation="cs(g)")  # every g lies in one site
    b = lme("y ~ time + (1 | site)", d, correlation="cs(site/g)")
    assert np.isclose(a.loglik, b.loglik, rtol=1e-12)


def test_coarser_correlation_grouping_is_replaced_as_nlme():
    d = mixed_data("lme_cs")
    with pytest.warns(UserWarning, match="cannot use smaller level of grouping"):
        m = lme("y ~ time + (1 | site/g)", d, correlation="ar1(time | site)")
    assert m.fit.problem.corr.n_groups == 50


def test_time_variable_missing():
    with pytest.raises(UnknownVariableError, match="tme"):
        lme("y ~ time + (1 | g)", _ar1(), correlation="ar1(tme | g)")
    with pytest.raises(UnknownVariableError, match="grp"):
        lme("y ~ time + (1 | g)", _ar1(), correlation="ar1(time | grp)")


def test_duplicated_times_within_a_group():
    d = _ar1()
    d.loc[1, "time"] = d.loc[0, "time"]
    with pytest.raises(DataError, match="unique values within groups"):
        lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)")


def test_non_integer_times():
    d = _ar1()
    d["time"] = d["time"] / 2
    with pytest.raises(DataError, match="non-integer"):
        lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)")
    d = _ar1()
    ref = lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)")
    d["time"] = d["time"] + 0.5  # rises by exactly 1: nlme's corAR1 on the row order
    m = lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)")
    assert np.isclose(m.fit.rho, ref.fit.rho, rtol=1e-8)


def test_gaps_switch_to_arma_as_nlme():
    d = _ar1()
    d = d[d["time"] != 3]
    m = lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)")
    text = str(m.summary())
    assert "Correlation Structure: ARMA(1,0)" in text and "Phi1" in text
    assert m.fit.problem.corr.matrix(m.fit.corr_par, 0)[1, 2] == pytest.approx(m.fit.rho ** 2)


def test_missing_values_in_correlation_variables():
    d = _ar1()
    d.loc[[3, 17], "time"] = np.nan
    with pytest.raises(MissingDataError):
        lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)", na_action="raise")
    m = lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)")
    assert m.nobs == 398 and len(m.fitted) == 398
    m = lme("y ~ time + (1 | g)", d, correlation="ar1(time | g)", na_action="exclude")
    assert len(m.fitted) == 400 and m.fitted.isna().sum() == 2


def test_needs_random_effects_and_nested_groupings():
    with pytest.raises(ModelSpecError, match="no random-effect terms"):
        lme("y ~ time", _ar1(), correlation="ar1(time | g)")
    d = mixed_data("lme_cs")
    d["h"] = np.where(d["time"] % 2 == 0, "even", "odd")
    with pytest.raises(ModelSpecError, match="nested"):
        lme("y ~ time + (1 | site) + (1 | h)", d)


def test_rank_deficient_fixed_effects():
    d = _ar1()
    d["t2"] = 2 * d["time"]
    with pytest.raises(DataError, match="rank deficient"):
        lme("y ~ time + t2 + (1 | g)", d, correlation="ar1(time | g)")


def test_new_levels_at_predict():
    from aurora.errors import FactorLevelError

    m = lme("y ~ time + (1 | g)", _ar1(), correlation="ar1(time | g)")
    nd = pd.DataFrame({"g": ["s01", "zz"], "time": [1, 2]})
    assert np.isnan(m.predict(nd).iloc[1])
    with pytest.raises(FactorLevelError):
        m.predict(nd, new_levels="error")
    with pytest.raises(ValueError):
        m.predict(nd, new_levels="maybe")


def test_matrix_level_blocks_must_contain_correlation_groups():
    from aurora.engine.lme import ZBlock, fit_lme_corr

    g = np.repeat(np.arange(10), 4)
    h = np.tile(np.arange(4), 10)  # each correlation group g spans 4 levels of h
    with pytest.raises(ValueError, match="within one level"):
        fit_lme_corr(np.ones((40, 1)), np.arange(40.0), [ZBlock(h, np.ones(40))], g, "cs")


def test_pql_refuses_zero_weights():
    from aurora.models.pql import glmm_pql

    d = mixed_data("glmmpql_binary")
    d["w"] = 1.0
    d.loc[0, "w"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError, match="positive prior weights"):
            glmm_pql("yb ~ x + (1 | g)", d, "binomial", weights="w")
