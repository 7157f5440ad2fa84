"""Families: contract tests over the registry and R's family functions on fixed y, mu, w."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from _dist_ref import arr, num, reference
from aurora.distributions import FAMILIES, Family, get_family
from aurora.distributions.families import (
    BetaFamily,
    BinomialFamily,
    GammaFamily,
    GaussianFamily,
    InverseGaussianFamily,
    NegativeBinomialFamily,
    PoissonFamily,
    QuasiPoissonFamily,
    StudentTFamily,
    TweedieFamily,
    WaldFamily,
)
from aurora.distributions.links import LogLink, PowerLink
from aurora.errors import DataError, DataWarning, FamilyDomainError, MissingDataError, ModelSpecError, UnknownNameError

RNG = np.random.default_rng(1)
# y and mu drawn inside each support; mu also inside the default link's range.
Y = {
    "real": RNG.normal(1.0, 2.0, 30),
    "counts": RNG.poisson(3.0, 30).astype(float),
    "nonnegative": np.where(RNG.random(30) < 0.3, 0.0, RNG.gamma(2.0, 1.0, 30)),
    "positive": RNG.gamma(2.0, 1.0, 30) + 0.05,
    "unit": RNG.integers(0, 5, 30) / 4.0,
    "open_unit": RNG.uniform(0.02, 0.98, 30),
}


def _mu(support: str) -> np.ndarray:
    if support in ("unit", "open_unit"):
        return RNG.uniform(0.05, 0.95, 30)
    if support == "real":
        return RNG.normal(1.0, 2.0, 30)
    return RNG.gamma(2.0, 1.0, 30) + 0.1


FAMILY_OBJECTS = [cls(**cls.example_params) for cls in FAMILIES.values()]
IDS = list(FAMILIES)


@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=IDS)
def test_deviance_nonnegative_and_zero_at_y(fam: Family) -> None:
    y, mu = Y[fam.support], _mu(fam.support)
    w = RNG.uniform(0.5, 2.0, 30)
    d = fam.deviance_residuals(y, mu, w)
    assert d.shape == y.shape and np.all(d >= 0)
    assert fam.deviance(y, mu, w) == pytest.approx(float(d.sum()), rel=1e-14)
    if fam.deviance_zero_at_y:
        keep = (y > 0) & (y < 1) if fam.support == "unit" else (y > 0) | (fam.support == "real")
        y_in, w_in = y[keep], w[keep]
        np.testing.assert_allclose(fam.deviance_residuals(y_in, y_in, w_in), 0.0, atol=1e-12)


@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=IDS)
def test_variance_positive(fam: Family) -> None:
    mu = _mu(fam.support)
    v = fam.variance(mu)
    assert v.shape == mu.shape and np.all(v > 0)


@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=IDS)
def test_variance_derivative(fam: Family) -> None:
    mu = _mu(fam.support)
    h = 1e-6 * np.maximum(np.abs(mu), 1e-3)
    fd = (fam.variance(mu + h) - fam.variance(mu - h)) / (2 * h)
    np.testing.assert_allclose(fam.variance_derivative(mu), fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=IDS)
def test_initialize_gives_valid_start(fam: Family) -> None:
    y = Y[fam.support]
    mustart = fam.initialize(y, np.ones_like(y))
    eta = fam.link.link(mustart)
    assert fam.link.valid_eta(eta)
    assert fam.valid_mu(fam.link.inverse(eta))


@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=IDS)
def test_loglik_is_minus_half_aic_plus_extra(fam: Family) -> None:
    y, mu = Y[fam.support], _mu(fam.support)
    w = RNG.uniform(0.5, 2.0, 30)
    if fam.support == "unit":
        w = np.full(30, 4.0)  # binomial: integer successes
    ll, aic = fam.log_likelihood(y, mu, w), fam.aic(y, mu, w)
    if fam.name.startswith("quasi"):
        assert math.isnan(ll) and math.isnan(aic)
    else:
        assert ll == pytest.approx(-aic / 2 + fam.n_extra_loglik_params, rel=1e-12)


@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=IDS)
def test_repr_eq_hash(fam: Family) -> None:
    again = type(fam)(**fam.example_params)
    assert fam == again and hash(fam) == hash(again)
    assert repr(fam).startswith(type(fam).__name__ + "(")
    assert get_family(fam) is fam
    assert fam.name in str(fam)


def _family_for(case: dict) -> Family:
    key = case["key"]
    fam_name = case["family"]
    if fam_name.startswith("Negative Binomial"):
        return NegativeBinomialFamily(link=case["link"], theta=2.5)
    if fam_name.startswith("Tweedie"):
        return TweedieFamily(link=case["link"], p=float(fam_name[8:-1]))
    return get_family(key.split("_")[0] if key != "inverse_gaussian" else key, link=case["link"])


@pytest.mark.parametrize("case", reference()["families"], ids=lambda c: c["key"])
def test_family_functions_match_r(case: dict) -> None:
    fam = _family_for(case)
    assert fam.name == case["family"] and fam.link.name == case["link"]
    y, mu, w = arr(case["y"]), arr(case["mu"]), arr(case["weights"])
    n = None if case["n_trials"] is None else arr(case["n_trials"])
    np.testing.assert_allclose(fam.variance(mu), arr(case["variance"]), rtol=1e-14)
    np.testing.assert_allclose(fam.deviance_residuals(y, mu, w), arr(case["dev_resids"]), rtol=1e-13, atol=1e-15)
    assert fam.deviance(y, mu, w) == pytest.approx(num(case["deviance"]), rel=1e-13)
    aic = fam.aic(y, mu, w, num(case["deviance"]), n_trials=n)
    if math.isnan(num(case["aic"])):
        assert math.isnan(aic)
    else:
        # the Tweedie density is a series sum: 1e-10 there, 1e-13 elsewhere
        assert aic == pytest.approx(num(case["aic"]), rel=1e-10 if "tweedie" in case["key"] else 1e-13)
    assert fam.valid_mu(mu) is case["validmu"]
    if n is None:
        mustart = fam.initialize(y, w)
    else:
        mustart = fam.initialize(y, w / n, n_trials=n)
    np.testing.assert_allclose(mustart, arr(case["mustart"]), rtol=1e-15)


def test_beta_matches_mgcv() -> None:
    ref = reference()["beta"]
    fam = BetaFamily(theta=ref["theta"])
    assert fam.name == ref["family"] and fam.link.name == ref["link"]
    y, mu, w = arr(ref["y"]), arr(ref["mu"]), arr(ref["weights"])
    np.testing.assert_allclose(fam.variance(mu), arr(ref["variance"]), rtol=1e-14)
    # mgcv's saturated.ll stops at |gradient| < 1e-8 * mean(|l| + 0.1): agreement ~1e-12.
    np.testing.assert_allclose(fam.deviance_residuals(y, mu, w), arr(ref["dev_resids"]), rtol=1e-9, atol=1e-12)
    assert fam.aic(y, mu, w) == pytest.approx(num(ref["aic"]), rel=1e-13)
    np.testing.assert_allclose(fam.initialize(y, w), arr(ref["mustart"]))


def test_student_t_matches_mgcv() -> None:
    ref = reference()["scat"]
    fam = StudentTFamily(df=ref["df"], scale=ref["scale"])
    y, mu, w = arr(ref["y"]), arr(ref["mu"]), arr(ref["weights"])
    # mgcv returns one number; we return it for every mu
    np.testing.assert_allclose(fam.variance(mu), np.broadcast_to(arr(ref["variance"]), mu.shape), rtol=1e-13)
    np.testing.assert_allclose(fam.deviance_residuals(y, mu, w), arr(ref["dev_resids"]), rtol=1e-13)
    assert fam.aic(y, mu, w) == pytest.approx(num(ref["aic"]), rel=1e-13)
    np.testing.assert_allclose(fam.initialize(y, w), arr(ref["mustart"]))


@pytest.mark.parametrize(
    "theta, name", list(zip(reference()["formats"]["nb_theta"], reference()["formats"]["nb_names"]))
)
def test_negative_binomial_names_match_mass(theta: float, name: str) -> None:
    assert NegativeBinomialFamily(theta=theta).name == name


@pytest.mark.parametrize(
    "p, name", list(zip(reference()["formats"]["tweedie_p"], reference()["formats"]["tweedie_names"]))
)
def test_tweedie_names_match_mgcv(p: float, name: str) -> None:
    assert TweedieFamily(p=p).name == name


def test_family_names_and_defaults() -> None:
    assert [GaussianFamily().name, GammaFamily().name, InverseGaussianFamily().name] == [
        "gaussian", "Gamma", "inverse.gaussian"]
    assert WaldFamily is InverseGaussianFamily
    assert InverseGaussianFamily().link.name == "1/mu^2"
    assert GammaFamily().link.name == "inverse"
    assert TweedieFamily(p=1.4123, p_fixed=False).name == "Tweedie(p=1.412)"
    assert StudentTFamily(df=8.6934, scale=0.6981).name == "Scaled t(8.693,0.698)"
    assert StudentTFamily(df=2000.0, scale=1.0).name == "Scaled t(Inf,1)"
    assert BetaFamily().name == "Beta regression" and not BetaFamily().theta_fixed
    assert [f.scale_known for f in (PoissonFamily(), QuasiPoissonFamily(), GaussianFamily())] == [True, False, False]
    assert [f.n_extra_loglik_params for f in (GaussianFamily(), GammaFamily(), TweedieFamily(), PoissonFamily())] == [
        1, 1, 1, 0]


def test_links_restricted_to_r_ok_links() -> None:
    with pytest.raises(UnknownNameError) as err:
        PoissonFamily(link="logit")
    assert "log, identity, sqrt" in str(err.value)
    with pytest.raises(UnknownNameError):
        BinomialFamily(link="inverse")
    # link objects and power spellings are always accepted, as R accepts link objects
    assert PoissonFamily(link=PowerLink(0.5)).link.name == "mu^0.5"
    assert TweedieFamily(link="power(0.1)").link.name == "mu^0.1"
    assert BinomialFamily(link=LogLink()).link.name == "log"
    with pytest.raises(TypeError):
        PoissonFamily(link=3)


def test_parameters_to_be_estimated() -> None:
    fam = NegativeBinomialFamily()
    assert fam.theta is None and not fam.theta_fixed and fam.name == "negative binomial"
    with pytest.raises(ModelSpecError, match="with_theta"):
        fam.variance([1.0])
    est = fam.with_theta(3.0)
    assert est.theta == 3.0 and not est.theta_fixed and est.name == "Negative Binomial(3)"
    assert NegativeBinomialFamily(theta=3.0) != est
    assert StudentTFamily().with_theta((5.0, 2.0)).name == "Scaled t(5,2)"
    with pytest.raises(ValueError):
        StudentTFamily(df=4.0)
    with pytest.raises(ValueError):
        NegativeBinomialFamily(theta=-1.0)
    with pytest.raises(ValueError, match="1<p<=2"):
        TweedieFamily(p=1.0)


@pytest.mark.parametrize(
    "fam, y, message",
    [
        (PoissonFamily(), [1.0, -1.0, 2.0], "negative values"),
        (NegativeBinomialFamily(theta=1.0), [-2.0, 1.0], "negative values"),
        (QuasiPoissonFamily(), [-2.0, 1.0], "negative values"),
        (BinomialFamily(), [0.0, 1.5, 0.5, -0.1], "0 <= y <= 1"),
        (GammaFamily(), [1.0, 0.0], "non-positive"),
        (InverseGaussianFamily(), [-1.0, 2.0], "positive values only"),
        (BetaFamily(theta=2.0), [0.5, 1.0], "strictly between 0 and 1"),
        (TweedieFamily(), [0.0, -3.0], "negative values"),
    ],
)
def test_validate_response_errors(fam: Family, y: list, message: str) -> None:
    with pytest.raises(FamilyDomainError, match=message) as err:
        fam.validate_response(np.array(y))
    assert fam.name in str(err.value) and err.value.fix


def test_validate_response_collects_every_bad_value() -> None:
    y = np.array([0.5, 2.0, -1.0, 0.3, 3.0])
    with pytest.raises(FamilyDomainError, match=r"3 values violate this: y\[1\]=2, y\[2\]=-1, y\[4\]=3"):
        BinomialFamily().validate_response(y)


def test_validate_response_warnings_and_other_errors() -> None:
    with pytest.warns(DataWarning, match="non-integer"):
        PoissonFamily().validate_response(np.array([0.5, 1.0]))
    with pytest.warns(DataWarning, match="#successes"):
        BinomialFamily().validate_response(np.array([0.3, 1.0]), np.array([1.0, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        QuasiPoissonFamily().validate_response(np.array([0.5, 1.0]))
        BinomialFamily().validate_response(np.array([0.25, 1.0]), np.array([4.0, 1.0]))
        # R sets y to 0 where the weight is 0 before checking the range
        BinomialFamily().validate_response(np.array([0.5, 7.0]), np.array([2.0, 0.0]))
    with pytest.raises(MissingDataError):
        GaussianFamily().validate_response(np.array([1.0, np.nan]))
    with pytest.raises(DataError, match="negative weights"):
        GaussianFamily().validate_response(np.array([1.0, 2.0]), np.array([1.0, -1.0]))


def test_gaussian_log_link_needs_positive_start() -> None:
    with pytest.raises(FamilyDomainError, match="starting values"):
        GaussianFamily(link="log").initialize(np.array([1.0, 0.0]))


def test_binomial_aic_uses_trials_or_weights() -> None:
    fam = BinomialFamily()
    y, mu = np.array([0.5, 0.25]), np.array([0.4, 0.3])
    # with cbind the trials define m; weights = prior * trials
    by_trials = fam.aic(y, mu, np.array([2.0, 4.0]), n_trials=np.array([2.0, 4.0]))
    by_weights = fam.aic(y, mu, np.array([2.0, 4.0]))
    assert by_trials == pytest.approx(by_weights)


def test_scale_argument() -> None:
    y, mu = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    gauss = GaussianFamily()
    expected = float(np.sum(-0.5 * np.log(2 * np.pi * 0.7) - (y - mu) ** 2 / (2 * 0.7)))
    assert gauss.log_likelihood(y, mu, scale=0.7) == pytest.approx(expected, rel=1e-14)
    gam = GammaFamily(link="log")
    from scipy.stats import gamma as gamma_dist

    expected = float(np.sum(gamma_dist.logpdf(y, a=1 / 0.3, scale=mu * 0.3)))
    assert gam.log_likelihood(y, mu, scale=0.3) == pytest.approx(expected, rel=1e-13)
    ig = InverseGaussianFamily()
    from scipy.stats import invgauss

    expected = float(np.sum(invgauss.logpdf(y, mu=mu * 0.5, scale=1 / 0.5)))
    assert ig.log_likelihood(y, mu, scale=0.5) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="fixed at 1"):
        PoissonFamily().log_likelihood(y, mu, scale=2.0)
    assert PoissonFamily().log_likelihood(y, mu, scale=1.0) == PoissonFamily().log_likelihood(y, mu)


def test_poisson_aic_non_integer_is_infinite_as_r() -> None:
    assert PoissonFamily().aic(np.array([0.5]), np.array([1.0])) == math.inf


def test_gaussian_zero_weight_aic_is_infinite_as_r() -> None:
    y, mu = np.array([1.0, 2.0, 3.0]), np.array([1.1, 2.0, 2.5])
    assert GaussianFamily().aic(y, mu, np.array([1.0, 0.0, 1.0])) == math.inf
