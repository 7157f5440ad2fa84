"""MASS::theta.ml and glm.nb's log-likelihood, against R."""
from __future__ import annotations

import numpy as np
import pytest

from _dist_ref import arr, num, reference
from aurora.distributions import NegativeBinomialFamily, loglik_negbin, nb, theta_ml, twologlik
from aurora.errors import ConvergenceWarning

REF = reference()["negbin"]
Y = arr(REF["y"])


def test_theta_ml_matches_mass() -> None:
    ref = REF["theta_ml"]
    th, se = theta_ml(Y, arr(ref["mu"]), limit=25)
    assert th == pytest.approx(num(ref["theta"]), rel=1e-12)
    assert se == pytest.approx(num(ref["se"]), rel=1e-12)


def test_theta_ml_weighted_matches_mass() -> None:
    ref = REF["theta_ml_weighted"]
    th, se = theta_ml(Y, arr(ref["mu"]), arr(REF["weights"]))
    assert th == pytest.approx(num(ref["theta"]), rel=1e-12)
    assert se == pytest.approx(num(ref["se"]), rel=1e-12)


def test_theta_ml_iteration_limit_warns_and_matches() -> None:
    ref = REF["theta_ml_limit3"]
    with pytest.warns(ConvergenceWarning, match=ref["warn"]):
        th, se = theta_ml(Y, arr(ref["mu"]), limit=3)
    assert th == pytest.approx(num(ref["theta"]), rel=1e-12)
    assert se == pytest.approx(num(ref["se"]), rel=1e-12)


def test_theta_ml_trace(capsys: pytest.CaptureFixture[str]) -> None:
    theta_ml(Y, arr(REF["theta_ml"]["mu"]), trace=True)
    assert "theta.ml: iter 0" in capsys.readouterr().err


def test_theta_ml_rejects_limit_below_two() -> None:
    with pytest.raises(ValueError):
        theta_ml(Y, arr(REF["theta_ml"]["mu"]), limit=1)


def test_glm_nb_loglik_aic_and_family() -> None:
    ref = REF["glm_nb"]
    mu = arr(ref["mu"])
    two = twologlik(Y, mu, num(ref["theta"]))
    assert two == pytest.approx(num(ref["twologlik"]), rel=1e-12)
    assert -two + 2 * ref["rank"] + 2 == pytest.approx(num(ref["aic"]), rel=1e-12)
    assert loglik_negbin(Y, mu, num(ref["theta"])) == pytest.approx(num(ref["logLik"]), rel=1e-12)
    fam = NegativeBinomialFamily(theta=num(ref["theta"]))
    assert fam.name == ref["family"]
    assert fam.aic(Y, mu) == pytest.approx(num(ref["family_aic"]), rel=1e-12)
    assert fam.log_likelihood(Y, mu) == pytest.approx(num(ref["logLik"]), rel=1e-12)
    assert ref["df"] == ref["rank"] + 1  # theta counts in logLik.negbin's df


def test_nb_helper() -> None:
    assert nb().theta is None and not nb().theta_fixed
    assert nb(2.0).theta_fixed and nb(2.0).name == "Negative Binomial(2)"
    start = nb(-3.0)  # mgcv: a negative theta is the starting value of an estimate
    assert start.theta == 3.0 and not start.theta_fixed
    assert nb(link="sqrt").link.name == "sqrt"


def test_weights_as_frequencies() -> None:
    mu = arr(REF["theta_ml"]["mu"])
    w = np.tile([1.0, 2.0], Y.size // 2)
    stacked_y = np.concatenate([Y, Y[w == 2]])
    stacked_mu = np.concatenate([mu, mu[w == 2]])
    assert theta_ml(Y, mu, w)[0] == pytest.approx(theta_ml(stacked_y, stacked_mu)[0], rel=1e-12)
    assert loglik_negbin(Y, mu, 2.0, w) == pytest.approx(loglik_negbin(stacked_y, stacked_mu, 2.0), rel=1e-13)
