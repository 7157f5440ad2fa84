"""aurora.glmer on bad input and hard fits: lme4's errors, warnings and messages."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import ConvergenceWarning, DataError, FamilyDomainError, ModelSpecError
from mixed_reference import mixed_data


@pytest.fixture(scope="module")
def glmm() -> pd.DataFrame:
    return mixed_data("glmer_poisson")


def _quiet(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aurora.glmer(*args, **kw)


@pytest.mark.parametrize("formula", ["yb ~ x + (1 + x | g)", "yb ~ x + (1 | g) + (1 | h)",
                                     "yb ~ x + (x || g)"])
def test_nagq_above_one_needs_a_single_scalar_term(glmm, formula):
    df = glmm.assign(h=np.tile(["a", "b", "c", "d"], len(glmm) // 4))
    with pytest.raises(ModelSpecError, match="nAGQ > 1 is only available for models with a "
                                             "single, scalar random-effects term"):
        aurora.glmer(formula, df, family="binomial", nAGQ=5)


def test_nagq_range(glmm):
    with pytest.raises(ModelSpecError, match="between 0 and 25"):
        aurora.glmer("yb ~ x + (1 | g)", glmm, family="binomial", nAGQ=30)


def test_nagq_zero_is_the_first_stage(glmm):
    m = _quiet("yb ~ x + (1 | g)", glmm, family="binomial", nAGQ=0)
    m1 = _quiet("yb ~ x + (1 | g)", glmm, family="binomial")
    assert m.nAGQ == 0 and abs(m.fixef["x"] - m1.fixef["x"]) < 0.05  # lme4: 0.665817
    assert abs(m.fixef["x"] - 0.665817034224) < 1e-5  # lme4 1.1-31, nAGQ = 0
    assert "(Adaptive\n  Gauss-Hermite Quadrature, nAGQ = 0) [glmerMod]" in str(m.summary())


@pytest.mark.parametrize("family, values, match", [
    ("binomial", [0, 1, 2], "y values must be 0 <= y <= 1"),
    ("poisson", [0, -1, 3], "negative values not allowed"),
])
def test_response_outside_support(glmm, family, values, match):
    df = glmm.assign(bad=np.resize(np.array(values, dtype=float), len(glmm)))
    with pytest.raises(FamilyDomainError, match=match):
        aurora.glmer("bad ~ x + (1 | g)", df, family=family)


def test_negative_count_refused_by_glmer_nb(glmm):
    df = glmm.assign(bad=np.resize(np.array([0.0, -2.0, 3.0]), len(glmm)))
    with pytest.raises(FamilyDomainError):
        aurora.glmer_nb("bad ~ x + (1 | g)", df)


def test_grouping_factor_with_one_level(glmm):
    with pytest.raises(DataError, match="grouping factors must have > 1 sampled level"):
        aurora.glmer("count ~ x + (1 | one)", glmm.assign(one="a"), family="poisson")


def test_nan_in_grouping_factor_is_omitted_and_counted(glmm):
    df = glmm.copy()
    df["g"] = df["g"].astype(object)
    df.loc[[3, 10, 50], "g"] = np.nan
    m = _quiet("count ~ x + (1 | g)", df, family="poisson")
    assert m.nobs == len(df) - 3
    assert m.plan.frame.n_omitted == 3 if hasattr(m.plan.frame, "n_omitted") else True
    assert len(m.fitted) == len(df) - 3
    with pytest.raises(DataError):
        aurora.glmer("count ~ x + (1 | g)", df, family="poisson", na_action="raise")


def test_non_convergence_warns_with_the_gradient(glmm):
    with pytest.warns(ConvergenceWarning,
                      match=r"Model failed to converge with max\|grad\| = [0-9.e-]+ "
                            r"\(tol = 0\.002, component 1\)"):
        m = aurora.glmer("count ~ x + (1 + x | g)", glmm, family="poisson",
                         control={"maxfun": 30})
    assert not m.converged
    assert any(s.startswith("Model failed to converge") for s in m.messages)
    text = str(m.summary())
    assert "optimizer (Nelder_Mead) convergence code: 4 (failure to converge in 30 " \
           "evaluations)" in text
    assert "Model failed to converge with max|grad|" in text


def test_singular_fit_is_a_message_not_an_error(glmm):
    rng = np.random.default_rng(7)
    df = glmm.assign(noise=rng.integers(0, 2, len(glmm)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = aurora.glmer("noise ~ 1 + (1 | g)", df, family="binomial")
    if m.singular:
        assert "boundary (singular) fit: see help('isSingular')" in m.messages
        assert any("boundary (singular)" in str(w.message) for w in caught)
        assert "boundary (singular) fit" in str(m.summary())
    assert m.theta.iloc[0] < 0.3


def test_gaussian_family_goes_to_lmer(glmm):
    with pytest.warns(FutureWarning, match="shortcut to lmer"):
        m = aurora.glmer("x ~ 1 + (1 | g)", glmm, family="gaussian")
    assert type(m).__name__ == "MixedResult"


def test_bad_family_link_and_method(glmm):
    with pytest.raises(ModelSpecError, match="quasi"):
        aurora.glmer("count ~ x + (1 | g)", glmm, family="quasipoisson")
    from aurora.distributions import get_family

    with pytest.raises(ModelSpecError, match="link 'mu\\^0.5' is not available"):
        aurora.glmer("count ~ x + (1 | g)", glmm, family=get_family("Gamma", link="power(0.5)"))
    with pytest.raises(ModelSpecError, match="unknown method"):
        aurora.glmer("count ~ x + (1 | g)", glmm, family="poisson", method="EM")
    with pytest.raises(ModelSpecError, match="no random-effect terms"):
        aurora.glmer("count ~ x", glmm, family="poisson")


def test_constant_response(glmm):
    with pytest.raises(DataError, match="Response is constant"):
        aurora.glmer("one ~ x + (1 | g)", glmm.assign(one=1.0), family="poisson")


def test_new_levels_at_predict(glmm):
    m = _quiet("count ~ x + (1 | g)", glmm, family="poisson")
    nd = pd.DataFrame({"x": [0.0, 1.0], "g": ["g01", "zz"]})
    p = m.predict(nd, type="response")
    assert np.isclose(p.iloc[1], np.exp(m.fixef.iloc[0] + m.fixef.iloc[1]))
    with pytest.raises(aurora.errors.FactorLevelError, match="new levels"):
        m.predict(nd, allow_new_levels=False)


def test_pql_dispatches_to_glmm_pql():
    from aurora.models.pql import glmm_pql

    df = mixed_data("glmmpql_binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = aurora.glmer("yb ~ x + (1 | g)", df, family="binomial", method="PQL")
        b = glmm_pql("yb ~ x + (1 | g)", df, "binomial")
    assert np.allclose(np.asarray(a.fixef, dtype=float), np.asarray(b.fixef, dtype=float))


def test_control_and_start_are_checked(glmm):
    with pytest.raises(ModelSpecError, match="unknown glmer control"):
        aurora.glmer("yb ~ x + (1 | g)", glmm, family="binomial", control={"maxiter": 3})
    with pytest.raises(ModelSpecError, match="bad name"):
        aurora.glmer("yb ~ x + (1 | g)", glmm, family="binomial", start={"beta": [0, 0]})
    a = _quiet("yb ~ x + (1 | g)", glmm, family="binomial", start={"theta": [1.1]})
    b = _quiet("yb ~ x + (1 | g)", glmm, family="binomial", start=[1.1])
    assert np.allclose(a.fixef, b.fixef)
