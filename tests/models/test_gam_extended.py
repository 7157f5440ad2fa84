"""mgcv's extended families in ``aurora.gam``: nb(), tw(), betar(), scat().

The fits themselves (coefficients, edf, sp, REML score, summaries, predictions) are
compared with mgcv case by case in test_gam_reference.py, which runs the cases of
``validation_r/gam_extended_reference.R`` too. Here: the estimated family parameter, the
residuals, the family on the result and the refusals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import AuroraError
from gam_reference import as_array, fit_gam_case, gam_case, gam_cases

EXTENDED = [c["name"] for c in gam_cases() if c.get("family_theta") is not None]


def _estimate(m) -> np.ndarray:
    fam = m.family
    if hasattr(fam, "p"):
        return np.array([fam.p])
    th = fam.theta
    return np.atleast_1d(np.asarray(th, dtype=float))


def test_the_extended_cases_are_there():
    assert {"nb", "nb_ml", "nb_fixed", "nb_offset", "tw", "tw_fixed", "betar",
            "scat"} <= set(EXTENDED)


@pytest.mark.parametrize("name", EXTENDED)
def test_family_parameter(name):
    np.testing.assert_allclose(_estimate(fit_gam_case(name)),
                               as_array(gam_case(name)["family_theta"]), rtol=1e-5, atol=0)


@pytest.mark.parametrize("name", EXTENDED)
@pytest.mark.parametrize("kind", ["deviance", "pearson"])
def test_residuals(name, kind):
    ref = as_array(gam_case(name)[f"residuals_{kind}"])
    got = np.asarray(fit_gam_case(name).residuals(kind), dtype=float)
    assert np.max(np.abs(got - ref)) <= 1e-6 * np.ptp(ref)


@pytest.mark.parametrize("name", EXTENDED)
def test_estimated_parameters_are_counted_in_loglik_df(name):
    m = fit_gam_case(name)
    fixed = name.endswith("_fixed")
    assert m.fit.n_theta == (0 if fixed else (2 if name == "scat" else 1))


def _counts(n=200, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=n)
    mu = np.exp(1 + np.sin(3 * x))
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    return pd.DataFrame({"x": x, "y": y.astype(float)})


@pytest.mark.parametrize("method", ["GCV.Cp", "UBRE"])
def test_extended_families_take_reml_or_ml_only(method):
    with pytest.raises(AuroraError, match="REML"):
        aurora.gam("y ~ s(x)", _counts(), family="nb", method=method)


def test_betar_refuses_responses_outside_the_unit_interval():
    d = _counts()
    d["y"] = d["y"] / d["y"].max()  # includes 0 and 1
    with pytest.raises(AuroraError, match="between 0 and 1"):
        aurora.gam("y ~ s(x)", d, family="betar")


def test_nb_negative_counts_are_refused():
    d = _counts()
    d.loc[0, "y"] = -1.0
    with pytest.raises(AuroraError, match="negative"):
        aurora.gam("y ~ s(x)", d, family="nb")


def test_estimated_theta_is_on_the_result_and_in_the_summary(tmp_path):
    m = aurora.gam("y ~ s(x)", _counts(), family="nb")
    theta = m.family.theta
    assert 0.5 < theta < 8
    assert f"Negative Binomial({round(theta, 3):g})" in str(m.summary())
    path = tmp_path / "nb.aurora"
    m.save(str(path))
    back = aurora.load(str(path))
    np.testing.assert_allclose(back.fitted, m.fitted, rtol=1e-12)
