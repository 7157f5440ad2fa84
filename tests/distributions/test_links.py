"""Links: contract tests over the registry, R's values (incl. clamping), names and lookup."""
from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from _dist_ref import arr, reference
from aurora.distributions import LINKS, LinkFunction, get_link
from aurora.distributions.links import (
    CauchitLink,
    IdentityLink,
    InverseLink,
    LogLink,
    PowerLink,
    SqrtLink,
)
from aurora.distributions._link_names import link_from_string
from aurora.errors import AuroraWarning, UnknownNameError

MU = {
    "real": np.array([-3.0, -0.4, 0.0, 0.7, 2.5, 40.0]),
    "positive": np.array([1e-3, 0.2, 1.0, 2.5, 40.0]),
    "unit": np.array([1e-6, 0.01, 0.2, 0.5, 0.77, 0.99, 1 - 1e-6]),
}


def _instances() -> list[LinkFunction]:
    return [cls(**cls.example_params) for cls in LINKS.values()]


LINK_OBJECTS = _instances()
IDS = [lk.name for lk in LINK_OBJECTS]


@pytest.mark.parametrize("lk", LINK_OBJECTS, ids=IDS)
def test_round_trip(lk: LinkFunction) -> None:
    mu = MU[lk.domain]
    np.testing.assert_allclose(lk.inverse(lk.link(mu)), mu, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("lk", LINK_OBJECTS, ids=IDS)
def test_derivative_matches_finite_differences(lk: LinkFunction) -> None:
    mu = MU[lk.domain]
    mu = mu[(mu > 1e-4) & (mu < 1 - 1e-4)] if lk.domain == "unit" else mu
    h = 1e-6 * np.maximum(np.abs(mu), 1e-2) * (np.minimum(mu, 1 - mu) if lk.domain == "unit" else 1)
    fd = (lk.link(mu + h) - lk.link(mu - h)) / (2 * h)
    np.testing.assert_allclose(lk.derivative(mu), fd, rtol=1e-6)


@pytest.mark.parametrize("lk", LINK_OBJECTS, ids=IDS)
def test_inverse_derivative_matches_finite_differences(lk: LinkFunction) -> None:
    eta = lk.link(MU[lk.domain][1:-1])
    h = 1e-6 * np.maximum(np.abs(eta), 1e-2)
    fd = (lk.inverse(eta + h) - lk.inverse(eta - h)) / (2 * h)
    np.testing.assert_allclose(lk.inverse_derivative(eta), fd, rtol=1e-6)


@pytest.mark.parametrize("lk", LINK_OBJECTS, ids=IDS)
def test_derivatives_are_reciprocal(lk: LinkFunction) -> None:
    mu = MU[lk.domain][1:-1]
    np.testing.assert_allclose(lk.derivative(mu) * lk.inverse_derivative(lk.link(mu)), 1.0, rtol=1e-9)


@pytest.mark.parametrize("lk", LINK_OBJECTS, ids=IDS)
def test_accepts_scalars_and_lists(lk: LinkFunction) -> None:
    mu = MU[lk.domain][1:3]
    np.testing.assert_allclose(lk.link(list(mu)), lk.link(mu))
    assert float(lk.link(float(mu[0]))) == pytest.approx(float(lk.link(mu)[0]))


@pytest.mark.parametrize("case", reference()["links"], ids=lambda c: c["spec"])
def test_matches_r(case: dict) -> None:
    lk = get_link(case["spec"])
    assert lk.name == case["name"]
    mu, eta = arr(case["mu"]), arr(case["eta"])
    # R's exact clamping constants are part of what we compare: tight tolerances.
    np.testing.assert_allclose(lk.link(mu), arr(case["linkfun"]), rtol=1e-14, atol=0)
    # scipy's ndtr (Cephes) and R's pnorm (Cody 1993) differ by ~1e-14 relative in the tails.
    rtol_inv = 1e-13 if lk.name == "probit" else 2e-15
    np.testing.assert_allclose(lk.inverse(eta), arr(case["linkinv"]), rtol=rtol_inv, atol=0)
    np.testing.assert_allclose(lk.inverse_derivative(eta), arr(case["mu_eta"]), rtol=1e-13, atol=0)
    assert lk.valid_eta(eta) is case["valideta"]


def test_valid_eta() -> None:
    assert InverseLink().valid_eta([1.0, -2.0]) and not InverseLink().valid_eta([1.0, 0.0])
    assert not SqrtLink().valid_eta([1.0, -1.0])
    assert not SqrtLink().valid_eta([1.0, np.inf])
    assert LogLink().valid_eta([-1e3, 1e3])


def test_power_link_is_r_power() -> None:
    assert PowerLink(1 / 3).name == "mu^0.333"
    assert isinstance(PowerLink(1), IdentityLink)
    assert isinstance(PowerLink(0), LogLink)
    with pytest.warns(AuroraWarning, match="log link"):
        assert isinstance(PowerLink(-1), LogLink)  # as R's power(-1)
    assert PowerLink(0.5) == PowerLink(0.5) and PowerLink(0.5) != SqrtLink()
    assert PowerLink(0.5) != PowerLink(0.25)
    assert pickle.loads(pickle.dumps(PowerLink(0.25))) == PowerLink(0.25)


@pytest.mark.parametrize(
    "lambda_, name", list(zip(reference()["formats"]["power_lambda"], reference()["formats"]["power_names"]))
)
def test_power_names_match_r(lambda_: float, name: str) -> None:
    assert PowerLink(lambda_).name == name


@pytest.mark.parametrize(
    "text, name",
    [
        ("identity", "identity"),
        ("LOG", "log"),
        ("inverse_squared", "1/mu^2"),
        ("1/mu^2", "1/mu^2"),
        ("power(0.5)", "mu^0.5"),
        ("power(1/3)", "mu^0.333"),
        ("power(lambda = 2)", "mu^2"),
        ("mu^0.25", "mu^0.25"),
        ("power(1)", "identity"),
        ("cauchit", "cauchit"),
    ],
)
def test_get_link_spellings(text: str, name: str) -> None:
    assert get_link(text).name == name


def test_get_link_objects_and_classes() -> None:
    lk = CauchitLink()
    assert get_link(lk) is lk
    assert get_link(CauchitLink) == lk


@pytest.mark.parametrize("bad", ["logg", "power(x)", "", "probitt"])
def test_unknown_link_lists_valid_names(bad: str) -> None:
    with pytest.raises(UnknownNameError) as err:
        link_from_string(bad)
    assert "logit" in str(err.value) and "power(p)" in str(err.value)


def test_extreme_eta_gives_no_warnings() -> None:
    eta = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lk in (get_link("logit"), get_link("probit"), get_link("cloglog"), get_link("cauchit")):
            mu = lk.inverse(eta)
            assert np.all((mu > 0) & (mu < 1))
            assert np.all(lk.inverse_derivative(eta) > 0)
