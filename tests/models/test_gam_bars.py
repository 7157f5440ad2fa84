"""Random-effect bars in aurora.gam (mgcv's bs = "re" smooths) and aurora.gamm's refusals.

Numbers against mgcv are in test_gamm_reference.py (gam_re, gam_bars, gam_double_bar);
here: the translation of each bar, the refusals with their pointers, and gamm's bad input.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aurora.api import gam, gamm
from aurora.errors import ModelSpecError, UnknownVariableError
from aurora.formula import parse


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 240
    g = rng.integers(0, 12, n)
    a = rng.integers(0, 4, n)
    b = rng.integers(0, 3, n)
    x, t = rng.uniform(size=n), rng.uniform(size=n)
    y = (np.sin(5 * x) + rng.normal(0, 0.7, 12)[g] + rng.normal(0, 0.4, 12)[g] * t
         + rng.normal(0, 0.5, 4)[a] + rng.normal(scale=0.3, size=n))
    return pd.DataFrame({"y": y, "x": x, "t": t, "g": g, "a": a, "b": b,
                         "f": rng.choice(list("uvw"), n)})


@pytest.mark.parametrize("bars, mgcv", [
    ("(1 | g)", "s(g, bs = 're')"),
    ("(0 + t | g)", "s(t, g, bs = 're')"),
    ("(t || g)", "s(g, bs = 're') + s(t, g, bs = 're')"),
    ("(1 | a:b)", "s(a, b, bs = 're')"),
    ("(1 | a/b)", "s(a, bs = 're') + s(a, b, bs = 're')"),
])
def test_bar_is_its_re_smooth(data, bars, mgcv):
    m1 = gam(f"y ~ s(x) + {bars}", data)
    m2 = gam(f"y ~ s(x) + {mgcv}", data)
    assert list(m1.coef.index) == list(m2.coef.index)
    np.testing.assert_allclose(m1.coef.to_numpy(), m2.coef.to_numpy(), rtol=1e-12, atol=1e-12)
    assert m1.reml_score == pytest.approx(m2.reml_score, rel=1e-13)


def test_formula_is_printed_as_written(data):
    assert "y ~ s(x) + (1 | g)" in str(gam("y ~ s(x) + (1 | g)", data).summary())


@pytest.mark.parametrize("bars, what", [
    ("(1 + t | g)", "correlated"),
    ("(0 + t + x | g)", "correlated slopes"),
    ("(0 + f | g)", "factor slope"),
])
def test_correlated_terms_refused_with_pointer(data, bars, what):
    with pytest.raises(ModelSpecError) as e:
        gam(f"y ~ s(x) + {bars}", data)
    assert what in str(e.value) and "aurora.gamm" in str(e.value) and "aurora.lmer" in str(e.value)


def test_unknown_variables_in_bars(data):
    with pytest.raises(UnknownVariableError):
        gam("y ~ s(x) + (1 | nope)", data)
    with pytest.raises(UnknownVariableError):
        gam("y ~ s(x) + (0 + nope | g)", data)


def test_bars_pass_keeps_other_terms():
    from aurora.compile.bars_to_smooths import bars_as_smooths

    df = pd.DataFrame({"y": [1.0, 2], "x": [1.0, 2], "g": ["a", "b"]})
    ast = bars_as_smooths(parse("y ~ x + s(x) + (1 | g)"), df)
    assert [type(t).__name__ for t in ast.terms] == ["ParametricTerm", "Smooth", "Smooth"]
    assert ast.text == "y ~ x + s(x) + (1 | g)"


# ------------------------------------------------------------------ gamm bad input
def test_gamm_refuses_te_as_gamm4(data):
    with pytest.raises(ModelSpecError, match="t2"):
        gamm("y ~ te(x, t) + (1 | g)", data)


def test_gamm_refuses_linked_smooths(data):
    with pytest.raises(ModelSpecError, match="id="):
        gamm("y ~ s(x, id = 1) + s(t, id = 1) + (1 | g)", data)


def test_gamm_non_gaussian_uses_glmer(data):
    d = data.assign(c=(data.y > 0).astype(int))
    m = gamm("c ~ s(x) + (1 | g)", d, family="binomial")
    assert m.gam.family.name == "binomial" and m.gam.method == "glmer.ML"
    assert str(m.mer.summary()).startswith("Generalized linear mixed model fit by maximum")


def test_gamm_correlation_needs_integer_ar1_times(data):
    # smooths with correlation= fit as mgcv::gamm (test_gamm_corr_reference.py); an AR(1)
    # time that is not an integer is refused (nlme would truncate it silently)
    from aurora.errors import DataError

    with pytest.raises(DataError, match="non-integer"):
        gamm("y ~ s(x) + (1 | g)", data, correlation="ar1(t | g)")


def test_gamm_without_smooth_or_bar(data):
    with pytest.raises(ModelSpecError, match="at least one"):
        gamm("y ~ x", data)


def test_gamm_random_argument_equals_bars_in_formula(data):
    m1 = gamm("y ~ s(x)", data, random="~ (1 | g)")
    m2 = gamm("y ~ s(x) + (1 | g)", data)
    np.testing.assert_array_equal(m1.mer.fit.theta, m2.mer.fit.theta)
    assert m1.gam.formula == m2.gam.formula == "y ~ s(x)"


def test_gamm_bars_only_is_lmer(data):
    import aurora

    m = gamm("y ~ x + (1 | g)", data)
    ref = aurora.lmer("y ~ x + (1 | g)", data)
    np.testing.assert_allclose(m.mer.fit.theta, ref.fit.theta, rtol=1e-10)
    np.testing.assert_allclose(m.gam.coef.to_numpy(), ref.fixef.to_numpy(), rtol=1e-9)
