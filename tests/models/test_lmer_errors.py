"""Bad input to aurora.lmer (issue 11): each refused, reported or handled as lme4 does."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import (ConvergenceWarning, DataError, FactorLevelError, MissingDataError,
                           ModelSpecError, UnknownVariableError)


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    g = np.repeat([f"s{i:02d}" for i in range(10)], 6)
    t = np.tile(np.arange(6.0), 10)
    y = 1 + 0.5 * t + rng.normal(size=10).repeat(6) + rng.normal(0, 0.5, 60)
    return pd.DataFrame({"y": y, "t": t, "g": g, "one": "a", "row": np.arange(60),
                         "pair": np.repeat(np.arange(30), 2)})


def test_grouping_variable_missing(df):
    with pytest.raises(UnknownVariableError, match="'h'"):
        aurora.lmer("y ~ t + (1 | h)", df)


def test_random_slope_not_in_data(df):
    with pytest.raises(UnknownVariableError, match="'z'"):
        aurora.lmer("y ~ t + (1 + z | g)", df)


def test_grouping_factor_with_one_level(df):
    with pytest.raises(DataError, match="grouping factors must have > 1 sampled level"):
        aurora.lmer("y ~ t + (1 | one)", df)


def test_as_many_levels_as_observations(df):
    with pytest.raises(DataError, match="must be < number of observations .problems: row"):
        aurora.lmer("y ~ t + (1 | row)", df)


def test_as_many_random_effects_as_observations(df):
    # 30 levels x (intercept, slope) = 60 random effects for 60 rows (lme4's checkZdims)
    with pytest.raises(DataError, match=r"number of observations \(=60\) <= number of "
                                        r"random effects \(=60\)"):
        aurora.lmer("y ~ t + (1 + t | pair)", df)


def test_numeric_grouping_variable_is_a_factor(df):
    d = df.assign(gnum=df["g"].str[1:].astype(int))
    a = aurora.lmer("y ~ t + (1 | g)", d)
    b = aurora.lmer("y ~ t + (1 | gnum)", d)
    assert b.ngrps == {"gnum": 10}
    assert np.isclose(a.reml_criterion, b.reml_criterion, rtol=1e-12)
    assert list(b.ranef()["gnum"].index) == [str(i) for i in range(10)]


def test_nan_in_grouping_factor_omitted_and_counted(df):
    d = df.copy()
    d.loc[[3, 17], "g"] = np.nan
    m = aurora.lmer("y ~ t + (1 | g)", d)
    assert m.nobs == 58 and m.plan.frame.n_omitted == 2
    ref = aurora.lmer("y ~ t + (1 | g)", d.drop(index=[3, 17]))
    assert np.isclose(m.reml_criterion, ref.reml_criterion, rtol=1e-12)
    with pytest.raises(MissingDataError):
        aurora.lmer("y ~ t + (1 | g)", d, na_action="raise")


def test_singular_fit_is_a_warning_not_an_error():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(8), 5)
    e = rng.normal(size=40)
    y = e - 0.9 * pd.Series(e).groupby(g).transform("mean").to_numpy()
    with pytest.warns(UserWarning, match=r"boundary \(singular\) fit"):
        m = aurora.lmer("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": g}))
    assert m.singular and m.theta.iloc[0] < 1e-4
    assert "boundary (singular) fit: see help('isSingular')" in str(m.summary())


def test_non_convergence_warns_with_gradient(df):
    with pytest.warns(ConvergenceWarning, match=r"max\|grad\| = .* \(tol = 0.002, component"):
        m = aurora.lmer("y ~ t + (1 + t | g)", df, control={"maxeval": 4})
    assert not m.converged


def test_new_levels_at_predict(df):
    m = aurora.lmer("y ~ t + (1 | g)", df)
    new = pd.DataFrame({"t": [1.0, 2.0], "g": ["s01", "zz"]})
    p = m.predict(new)
    pop = m.predict(new, re_form="~0")
    assert p.iloc[1] == pytest.approx(pop.iloc[1])
    assert p.iloc[0] == pytest.approx(pop.iloc[0] + m.ranef()["g"].loc["s01", "(Intercept)"])
    with pytest.raises(FactorLevelError, match="zz"):
        m.predict(new, allow_new_levels=False)


def test_formula_without_bars_or_with_smooths(df):
    with pytest.raises(ModelSpecError, match="no random-effect terms"):
        aurora.lmer("y ~ t", df)
    with pytest.raises(ModelSpecError, match="smooth"):
        aurora.lmer("y ~ s(t) + (1 | g)", df)


def test_glm_still_refuses_bars(df):
    with pytest.raises(ModelSpecError):
        aurora.glm("y ~ t + (1 | g)", df)


def test_nonpositive_weights(df):
    with pytest.raises(DataError):
        aurora.lmer("y ~ t + (1 | g)", df, weights=np.r_[0.0, np.ones(59)])
    with pytest.raises(DataError, match="negative"):
        aurora.lmer("y ~ t + (1 | g)", df, weights=np.r_[-1.0, np.ones(59)])


def test_rank_deficient_fixed_effects_dropped(df):
    d = df.assign(t2=2 * df["t"])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = aurora.lmer("y ~ t + t2 + (1 | g)", d)
    assert list(m.fixef.index) == ["(Intercept)", "t"]
    assert any("rank deficient so dropping 1 column / coefficient" in str(x.message) for x in w)
    assert "fit warnings:\nfixed-effect model matrix is rank deficient" in str(m.summary())
