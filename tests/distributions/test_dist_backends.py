"""NumPy, PyTorch and JAX give the same links, variances, deviances and special functions."""
from __future__ import annotations

import numpy as np
import pytest

from _dist_ref import backends, from_backend, to_backend
from aurora.distributions import FAMILIES, LINKS
from aurora.distributions import _utils as U

OTHER = [b for b in backends() if b != "numpy"]
pytestmark = pytest.mark.skipif(not OTHER, reason="neither torch nor jax installed")

LINK_OBJECTS = [cls(**cls.example_params) for cls in LINKS.values()]
FAMILY_OBJECTS = [cls(**cls.example_params) for cls in FAMILIES.values()]
MU = {
    "real": np.linspace(-3.0, 3.0, 13),
    "positive": np.linspace(0.05, 6.0, 13),
    "unit": np.linspace(0.01, 0.99, 13),
}
ETA_EXTREME = np.array([-800.0, -35.0, -29.0, -8.2, -1.0, 0.0, 0.5, 8.2, 29.0, 35.0, 800.0])
Y = {
    "real": np.linspace(-2.0, 4.0, 13),
    "counts": np.array([0, 1, 2, 3, 0, 5, 8, 1, 2, 4, 0, 6, 3], dtype=float),
    "nonnegative": np.array([0, 0.4, 2.2, 3, 0, 5.5, 8, 1, 2, 4, 0, 6, 3.3]),
    "positive": np.linspace(0.1, 5.0, 13),
    "unit": np.array([0, 0.25, 0.5, 1, 0.75, 0, 1, 0.5, 0.25, 1, 0, 0.5, 1]),
    "open_unit": np.linspace(0.03, 0.97, 13),
}


def _close(a, b) -> None:
    np.testing.assert_allclose(from_backend(a), b, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("backend", OTHER)
@pytest.mark.parametrize("lk", LINK_OBJECTS, ids=[lk.name for lk in LINK_OBJECTS])
def test_links_agree(backend: str, lk) -> None:
    mu = MU[lk.domain]
    eta = lk.link(mu)
    _close(lk.link(to_backend(mu, backend)), eta)
    _close(lk.inverse(to_backend(eta, backend)), lk.inverse(eta))
    _close(lk.derivative(to_backend(mu, backend)), lk.derivative(mu))
    _close(lk.inverse_derivative(to_backend(eta, backend)), lk.inverse_derivative(eta))
    assert lk.valid_eta(to_backend(eta, backend)) == lk.valid_eta(eta)
    if lk.domain == "unit":
        _close(lk.inverse(to_backend(ETA_EXTREME, backend)), lk.inverse(ETA_EXTREME))
        _close(lk.inverse_derivative(to_backend(ETA_EXTREME, backend)), lk.inverse_derivative(ETA_EXTREME))


def _mu_for(fam) -> np.ndarray:
    if fam.support in ("unit", "open_unit"):
        return MU["unit"]
    return MU["real"] if fam.support == "real" else MU["positive"]


@pytest.mark.parametrize("backend", OTHER)
@pytest.mark.parametrize("fam", FAMILY_OBJECTS, ids=list(FAMILIES))
def test_families_agree(backend: str, fam) -> None:
    y, mu = Y[fam.support], _mu_for(fam)
    w = np.linspace(0.5, 2.0, 13)
    yb, mub, wb = (to_backend(v, backend) for v in (y, mu, w))
    _close(fam.variance(mub), fam.variance(mu))
    _close(fam.deviance_residuals(yb, mub, wb), fam.deviance_residuals(y, mu, w))
    _close(fam.initialize(yb, wb), fam.initialize(y, w))
    assert fam.deviance(yb, mub, wb) == pytest.approx(fam.deviance(y, mu, w), rel=1e-12)
    assert fam.valid_mu(mub) == fam.valid_mu(mu)
    a, b = fam.aic(yb, mub, wb), fam.aic(y, mu, w)
    assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("backend", OTHER)
def test_special_functions_agree(backend: str) -> None:
    x = np.array([0.01, 0.3, 1.0, 2.5, 7.0, 40.0])
    z = np.array([-9.0, -6.0, -1.0, 0.0, 0.5, 5.5])
    p = np.array([1e-12, 0.01, 0.3, 0.5, 0.9, 1 - 1e-9])
    for fn, arg in [(U.erf, z), (U.ndtr, z), (U.ndtri, p), (U.norm_pdf, z), (U.lgamma, x), (U.digamma, x),
                    (U.log1p, x), (U.expm1, z)]:
        _close(fn(to_backend(arg, backend)), fn(arg))
    _close(U.polygamma(1, to_backend(x, backend)), U.polygamma(1, x))
    zero = np.array([0.0, 0.0, 2.0])
    _close(U.xlogy(to_backend(zero, backend), to_backend(np.array([0.0, 3.0, 3.0]), backend)), [0.0, 0.0, 2 * np.log(3)])
    _close(U.xlog1py(to_backend(zero, backend), to_backend(np.array([-1.0, 3.0, 3.0]), backend)), [0.0, 0.0, 2 * np.log(4)])


def test_namespace_helpers() -> None:
    import array_api_compat

    assert U.namespace(1.0, [1, 2], None) is U.namespace(np.ones(2))
    for backend in OTHER:
        arr = to_backend(np.ones(3), backend)
        xp = U.namespace(arr, 2.0)
        assert U.backend_name(xp) == backend and U.backend_name(arr) == backend
        out = U.as_namespace_array([1, 2, 3], xp, like=arr)
        assert U.backend_name(out) == backend and str(out.dtype).endswith("float64")
        assert array_api_compat.device(out) == array_api_compat.device(arr)
        back = U.as_namespace_array(arr, U.namespace(np.ones(1)))
        assert isinstance(back, np.ndarray) and back.dtype == np.float64
        with pytest.raises(TypeError):
            U.namespace(arr, np.ones(2))
