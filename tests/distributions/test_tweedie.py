"""mgcv::ldTweedie by series evaluation (Dunn & Smyth 2005) and the Tweedie family."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate

from _dist_ref import arr, reference
from aurora.distributions import TweedieFamily, ld_tweedie, tw
from aurora.errors import FamilyDomainError

LD = reference()["ldtweedie"]


def test_series_matches_ldtweedie() -> None:
    g = LD["series"]
    ld = ld_tweedie(arr(g["y"]), arr(g["mu"]), arr(g["p"]), arr(g["phi"]))
    np.testing.assert_allclose(ld, arr(g["ld"]), rtol=1e-8, atol=0)


def test_series_vectorised_equals_elementwise() -> None:
    g = LD["series"]
    y, mu, p, phi = (arr(g[k]) for k in ("y", "mu", "p", "phi"))
    one = [ld_tweedie(y[i], mu[i], p[i], phi[i])[0] for i in range(0, y.size, 37)]
    np.testing.assert_allclose(one, ld_tweedie(y, mu, p, phi)[::37], rtol=1e-14)


@pytest.mark.parametrize("part, p", [("gamma", 2.0), ("poisson", 1.0)])
def test_boundary_powers_match_ldtweedie(part: str, p: float) -> None:
    g = LD[part]
    np.testing.assert_allclose(ld_tweedie(arr(g["y"]), arr(g["mu"]), p, arr(g["phi"])), arr(g["ld"]), rtol=1e-13)


@pytest.mark.parametrize("p, phi, mu", [(1.3, 0.7, 1.5), (1.7, 2.0, 0.4)])
def test_density_integrates_to_one(p: float, phi: float, mu: float) -> None:
    mass0 = np.exp(ld_tweedie([0.0], [mu], p, phi)[0])
    dens = lambda y: float(np.exp(ld_tweedie([y], [mu], p, phi)[0]))  # noqa: E731
    cont, _ = integrate.quad(dens, 0, np.inf, limit=200)
    assert mass0 + cont == pytest.approx(1.0, abs=1e-7)


def test_extreme_dispersion_converges() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ld = ld_tweedie([5.0, 50.0], [5.0, 40.0], 1.5, 1e-3)
    assert np.all(np.isfinite(ld))


def test_family_basics() -> None:
    fam = TweedieFamily(p=1.5)
    assert fam.link.name == "log" and fam.p_fixed
    assert tw().name == "Tweedie(p=1.5)" and not tw().p_fixed
    assert tw(1.3) == TweedieFamily(p=1.3)
    assert fam.with_p(1.7).p == 1.7
    np.testing.assert_allclose(fam.variance([4.0]), [8.0])
    np.testing.assert_allclose(fam.initialize([0.0, 2.0]), [0.1, 2.0])
    assert fam.valid_mu([0.0, 1.0]) and not fam.valid_mu([-1.0])
    with pytest.raises(FamilyDomainError, match="negative"):
        fam.validate_response(np.array([0.0, -1.0]))
    with pytest.raises(FamilyDomainError, match="non-positive"):
        TweedieFamily(p=2.0).validate_response(np.array([0.0, 1.0]))


def test_log_likelihood_with_scale() -> None:
    fam = TweedieFamily(p=1.6)
    y, mu, w = np.array([0.0, 0.4, 2.0]), np.array([0.5, 0.6, 1.5]), np.array([1.0, 2.0, 1.0])
    expected = float(np.sum(w * ld_tweedie(y, mu, 1.6, 0.8)))
    assert fam.log_likelihood(y, mu, w, scale=0.8) == pytest.approx(expected, rel=1e-14)
