"""AIC and logLik of models fitted in R, recomputed from their fitted values.

R's ``glm`` stores ``aic = family$aic(...) + 2 * rank`` and ``logLik.glm`` returns
``rank + extra - aic / 2``; mgcv's ``logLik.gam`` counts the scale when it is
estimated. ``Family.log_likelihood`` at the fitted values must give those numbers.
"""
from __future__ import annotations

import pytest

from _dist_ref import arr, num, reference
from aurora.distributions import get_family
from aurora.distributions.families import (
    BetaFamily,
    NegativeBinomialFamily,
    StudentTFamily,
    TweedieFamily,
)

FITS = {f["key"]: f for f in reference()["fits"]}
GLM_KEYS = ["gaussian", "poisson", "binomial_cbind", "binomial_prop", "Gamma", "inverse_gaussian",
            "negative_binomial_fixed", "tweedie_glm"]


def _family(fit: dict):
    name = fit["family"]
    if name.startswith("Negative Binomial"):
        return NegativeBinomialFamily(link=fit["link"], theta=2.0)
    if name.startswith("Tweedie"):
        return TweedieFamily(link=fit["link"], p=1.5)
    if name.startswith("Beta"):
        return BetaFamily(link=fit["link"], theta=5.0)
    if name.startswith("Scaled t"):
        return StudentTFamily(link=fit["link"], df=4.0, scale=1.5)
    return get_family(name, link=fit["link"])


def _data(fit: dict):
    n = None if fit["n_trials"] is None else arr(fit["n_trials"])
    return arr(fit["y"]), arr(fit["fitted"]), arr(fit["prior_weights"]), n


@pytest.mark.parametrize("key", GLM_KEYS)
def test_glm_aic_and_loglik(key: str) -> None:
    fit = FITS[key]
    fam = _family(fit)
    assert fam.name == fit["family"]
    y, mu, w, n = _data(fit)
    rel = 1e-10 if key.startswith("tweedie") else 1e-12
    assert fam.deviance(y, mu, w) == pytest.approx(num(fit["deviance"]), rel=1e-12)
    aic = fam.aic(y, mu, w, num(fit["deviance"]), n_trials=n) + 2 * fit["rank"]
    assert aic == pytest.approx(num(fit["aic_object"]), rel=rel)
    assert aic == pytest.approx(num(fit["AIC"]), rel=rel)
    ll = fam.log_likelihood(y, mu, w, n_trials=n)
    if key == "tweedie_glm":
        # logLik.glm does not count the Tweedie scale (mgcv's logLik.gam does)
        assert ll - 1 == pytest.approx(num(fit["logLik"]), rel=rel)
        assert fit["df"] == fit["rank"]
    else:
        assert ll == pytest.approx(num(fit["logLik"]), rel=rel)
        assert fit["df"] == fit["rank"] + fam.n_extra_loglik_params


@pytest.mark.parametrize("key", ["tweedie_gam", "beta_gam", "scat_gam"])
def test_gam_loglik_and_deviance(key: str) -> None:
    fit = FITS[key]
    fam = _family(fit)
    assert fam.name == fit["family"]
    y, mu, w, _ = _data(fit)
    rel = 1e-10 if key.startswith("tweedie") else 1e-12
    # beta: mgcv's saturated log-likelihood is found to ~1e-8 in the gradient
    assert fam.deviance(y, mu, w) == pytest.approx(num(fit["deviance"]), rel=1e-9 if key == "beta_gam" else 1e-12)
    # gam.fit3 evaluates family$aic with dev = scale * sum(w) (its "dev1"), i.e. at
    # gam's own scale estimate sig2; logLik.gam then adds the scale to the df.
    scale = num(fit["sig2"])
    sc = None if fam.scale_known else scale
    assert fam.log_likelihood(y, mu, w, scale=sc) == pytest.approx(num(fit["logLik"]), rel=rel)
    aic = fam.aic(y, mu, w, scale * float(w.sum())) + 2 * num(fit["edf"])
    assert aic == pytest.approx(num(fit["aic_object"]), rel=rel)
