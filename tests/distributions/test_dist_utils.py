"""Helpers of aurora.distributions._utils: R number formatting and special functions vs R."""
from __future__ import annotations

import numpy as np
import pytest

from _dist_ref import arr, backends, from_backend, reference, to_backend
from aurora.distributions import _utils as U
from aurora.distributions._rformat import r_format

FMT = reference()["formats"]
SP = reference()["special"]


@pytest.mark.parametrize("x, text", list(zip(FMT["x"], FMT["as_character"])))
def test_r_format_as_character(x: float, text: str) -> None:
    assert r_format(x) == text


@pytest.mark.parametrize("x, text", list(zip(FMT["x"], FMT["format_round4"])))
def test_r_format_format(x: float, text: str) -> None:
    assert r_format(round(x, 4), digits=7) == text


def test_r_format_specials() -> None:
    assert [r_format(v) for v in (float("inf"), float("-inf"), float("nan"), 0.0)] == ["Inf", "-Inf", "NaN", "0"]


@pytest.mark.parametrize("backend", backends())
def test_special_functions_match_r(backend: str) -> None:
    z, p, g = (to_backend(arr(SP[k]), backend) for k in ("z", "p", "g"))
    # R's dnorm splits x for |x| >= 5 to keep full accuracy; norm_pdf does the same.
    np.testing.assert_allclose(from_backend(U.norm_pdf(z)), arr(SP["dnorm"]), rtol=1e-14, atol=0)
    # Cephes (scipy, JAX, our torch path) vs R's pnorm (Cody): up to ~1e-13 relative at z = -37.
    np.testing.assert_allclose(from_backend(U.ndtr(z)), arr(SP["pnorm"]), rtol=2e-13, atol=0)
    np.testing.assert_allclose(from_backend(U.ndtri(p)), arr(SP["qnorm"]), rtol=1e-14, atol=0)
    np.testing.assert_allclose(from_backend(U.lgamma(g)), arr(SP["lgamma"]), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(from_backend(U.digamma(g)), arr(SP["digamma"]), rtol=1e-13, atol=0)
    np.testing.assert_allclose(from_backend(U.polygamma(1, g)), arr(SP["trigamma"]), rtol=1e-13, atol=0)


def test_scalars_and_lists_use_numpy() -> None:
    assert float(U.lgamma(3.0)) == pytest.approx(np.log(2.0), rel=1e-15)
    assert float(U.xlogy(0, 0)) == 0.0
    assert U.coerce(None, [1, 2])[1] is None
    xp, a = U.coerce(np.array([1, 2]))
    assert a.dtype == np.float64
    assert U.to_numpy([1, 2]).dtype == np.float64
