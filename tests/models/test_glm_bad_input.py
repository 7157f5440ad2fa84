"""Every bad input of the GLM issue gets a clear, typed error or a recorded warning."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import (ConvergenceWarning, DataError, FactorLevelError, FamilyDomainError,
                           FormulaSyntaxError, MissingDataError, SeparationWarning,
                           UnknownVariableError)


@pytest.fixture
def df():
    rng = np.random.default_rng(1)
    n = 60
    x = rng.normal(size=n)
    return pd.DataFrame({"y": rng.poisson(np.exp(0.3 + 0.5 * x)).astype(float), "x": x,
                         "f": rng.choice(list("abc"), n), "z": rng.uniform(1, 2, n)})


def test_syntax_error_has_caret(df):
    with pytest.raises(FormulaSyntaxError) as info:
        aurora.glm("y ~ x +* z", df)
    text = str(info.value)
    assert "^" in text and "y ~ x +* z" in text


def test_unknown_variable(df):
    with pytest.raises(UnknownVariableError) as info:
        aurora.glm("y ~ x + nope", df)
    assert "nope" in str(info.value) and "Fix" in str(info.value)


@pytest.mark.parametrize("bad", [np.nan, None])
def test_missing_values_are_omitted_and_counted(df, bad):
    df = df.copy()
    df.loc[[3, 7], "x"] = bad
    m = aurora.glm("y ~ x", df, family="poisson")
    assert m.nobs == len(df) - 2 and m.n_omitted == 2
    assert "2 observations deleted due to missingness" in str(m.summary())
    with pytest.raises(MissingDataError):
        aurora.glm("y ~ x", df, family="poisson", na_action="raise")


def test_negative_counts(df):
    df = df.copy()
    df.loc[0, "y"] = -1
    with pytest.raises(FamilyDomainError, match="negative"):
        aurora.glm("y ~ x", df, family="poisson")


def test_binomial_outside_unit_interval(df):
    df = df.assign(p=np.linspace(-0.1, 1.1, len(df)))
    with pytest.raises(FamilyDomainError):
        aurora.glm("p ~ x", df, family="binomial")


def test_gamma_nonpositive(df):
    df = df.assign(g=np.r_[0.0, np.ones(len(df) - 1)])
    with pytest.raises(FamilyDomainError):
        aurora.glm("g ~ x", df, family="Gamma")


@pytest.mark.parametrize("arg", ["weights", "offset"])
def test_length_mismatch(df, arg):
    with pytest.raises(DataError, match=arg):
        aurora.glm("y ~ x", df, family="poisson", **{arg: np.ones(len(df) - 1)})


def test_negative_weights(df):
    w = np.ones(len(df))
    w[4] = -1
    with pytest.raises(DataError, match="negative weights"):
        aurora.glm("y ~ x", df, family="poisson", weights=w)


def test_constant_column(df):
    with pytest.raises(DataError, match="constant"):
        aurora.glm("y ~ x + k", df.assign(k=3.0), family="poisson")


def test_single_level_factor(df):
    with pytest.raises(DataError, match="one level"):
        aurora.glm("y ~ x + g", df.assign(g="only"), family="poisson")


def test_empty_data(df):
    with pytest.raises(DataError):
        aurora.glm("y ~ x", df.iloc[:0], family="poisson")


def test_perfect_separation_warns_and_marks_result():
    x = np.linspace(-2, 2, 40)
    d = pd.DataFrame({"x": x, "y": (x > 0).astype(float)})
    # R warns twice here too: no convergence in 25 iterations, and fitted probabilities 0 or 1
    with pytest.warns(SeparationWarning), pytest.warns(ConvergenceWarning):
        m = aurora.glm("y ~ x", d, family="binomial")
    assert m.separation and not m.converged


def test_non_convergence_warns_and_is_recorded(df):
    with pytest.warns(ConvergenceWarning):
        m = aurora.glm("y ~ x + f", df, family="poisson", maxit=1)
    assert m.converged is False


def test_unseen_level_at_predict(df):
    m = aurora.glm("y ~ x + f", df, family="poisson")
    new = pd.DataFrame({"x": [0.0, 1.0], "f": ["a", "zz"]})
    with pytest.raises(FactorLevelError, match="zz"):
        m.predict(new)


def test_missing_column_at_predict(df):
    m = aurora.glm("y ~ x + f", df, family="poisson")
    with pytest.raises(UnknownVariableError):
        m.predict(pd.DataFrame({"x": [0.0]}))


def test_user_data_not_mutated(df):
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aurora.glm("y ~ x + f", df, family="poisson")
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize("family", ["student_t", "beta", "tweedie"])
def test_families_glm_cannot_fit_are_refused(df, family):
    from aurora.errors import ModelSpecError

    y = {"student_t": df["x"], "beta": 1 / (1 + np.exp(-df["x"])), "tweedie": df["z"]}[family]
    with pytest.raises(ModelSpecError, match="family"):
        aurora.glm("yy ~ x", df.assign(yy=y), family=family)


def test_fixed_p_tweedie_fits(df):
    from aurora.distributions import tw

    m = aurora.glm("z ~ x", df, family=tw(p=1.5))
    assert m.converged and m.family.name == "Tweedie(1.5)"


def test_array_offset_must_be_given_at_predict(df):
    off = np.log(df["z"].to_numpy())
    m = aurora.glm("y ~ x", df, family="poisson", offset=off)
    new = df.head(3)
    with pytest.raises(DataError, match="offset"):
        m.predict(new)
    got = m.predict(new, offset=off[:3])
    np.testing.assert_allclose(got, m.linear_predictors[:3])


def test_unseen_value_of_numeric_factor_at_predict():
    mt = aurora.datasets.load("mtcars")
    m = aurora.glm("mpg ~ wt + C(cyl)", mt)
    ok = m.predict(pd.DataFrame({"wt": [3.0], "cyl": [6]}))
    assert np.isfinite(ok).all()
    with pytest.raises(FactorLevelError, match="5"):
        m.predict(pd.DataFrame({"wt": [3.0], "cyl": [5]}))


def test_rank_deficiency_warns_and_is_recorded(df):
    from aurora.errors import RankDeficiencyWarning

    d = df.assign(x2=2 * df["x"] - 1)
    with pytest.warns(RankDeficiencyWarning, match="x2"):
        m = aurora.glm("y ~ x + x2", d, family="poisson")
    assert m.aliased["x2"] and np.isnan(m.params["x2"])
    assert any("singularities" in msg for msg in m.messages)
