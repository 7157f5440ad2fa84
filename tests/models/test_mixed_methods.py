"""MixedResult methods that route to other modules: lme4's default profile intervals
(``confint(m)``), ``profile``, ``plot_ranef``; and the GLMM default (Wald)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import aurora
from mixed_reference import as_table, mixed_case, mixed_data, mixed_extra


def _lmer(name: str):
    c = mixed_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aurora.lmer(c["formula"], mixed_data(name), REML=c["is_reml"],
                           weights=c["weights"], data_name=c["data_name"])


@pytest.fixture(scope="module")
def m():
    return _lmer("lmer_intercept_reml")


def test_conf_int_defaults_to_lme4s_profile_intervals(m):
    ex = mixed_extra("confint")
    want = as_table(ex["profile"])
    got = m.conf_int(level=ex["level"])
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-4)


def test_conf_int_wald_and_parm(m):
    ex = mixed_extra("confint")
    want = as_table(ex["wald"])
    got = m.conf_int(level=ex["level"], method="wald")
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-6)
    assert list(m.conf_int(method="Wald", parm="x").index) == ["x"]


def test_unknown_interval_method_is_refused(m):
    with pytest.raises(aurora.AuroraError, match="profile"):
        m.conf_int(method="boot")


def test_plot_ranef_returns_a_figure_and_saves(m, tmp_path):
    path = tmp_path / "cat.png"
    fig = m.plot_ranef(path=str(path))
    assert path.stat().st_size > 0
    assert len(fig.axes) >= 1
    fig_qq = m.plot_ranef(kind="qq")
    assert len(fig_qq.axes) >= 1


def test_glmm_intervals_default_to_wald():
    c = mixed_case("glmer_binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = aurora.glmer(c["formula"], mixed_data("glmer_binary"), family="binomial")
    ci = gm.conf_int()
    assert np.isnan(ci.iloc[0, 0]) and np.isfinite(ci.loc["x"]).all()
