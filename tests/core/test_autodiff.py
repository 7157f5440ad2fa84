"""Tests of aurora.core.autodiff: analytic derivatives of a logistic log-likelihood."""
from __future__ import annotations

import numpy as np
import pytest

from aurora.core import autodiff
from aurora.core.autodiff import gradient, hessian, jacobian
from aurora.errors import UnknownNameError

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 3))
Y = RNG.integers(0, 2, 40).astype(float)
BETA = np.array([0.4, -0.3, 0.2])


def _backend(name):
    if name == "jax":
        pytest.importorskip("jax")
    if name in ("torch", "pytorch"):
        pytest.importorskip("torch")
    from aurora.backends import get_backend

    return get_backend(name)


def _nll(be):
    """Logistic negative log-likelihood written with the backend's namespace."""
    xp, Xb, yb = be.xp, be.asarray(X), be.asarray(Y)

    def f(b):
        eta = Xb @ b
        return xp.sum(xp.log(1 + xp.exp(eta)) - yb * eta)

    return f


def _analytic():
    mu = 1 / (1 + np.exp(-X @ BETA))
    return X.T @ (mu - Y), (X * (mu * (1 - mu))[:, None]).T @ X


# tolerances: exact derivatives for jax and torch; the accuracy documented for numpy
TOL = {"numpy": (1e-8, 1e-6), "jax": (1e-12, 1e-12), "torch": (1e-12, 1e-12), "pytorch": (1e-12, 1e-12)}


@pytest.mark.parametrize("name", ["numpy", "jax", "torch", "pytorch"])
def test_gradient_and_hessian_match_analytic(name):
    be = _backend(name)
    g_true, h_true = _analytic()
    g = gradient(_nll(be), BETA, backend=name)
    h = hessian(_nll(be), BETA, backend=name)
    rtol_g, rtol_h = TOL[name]
    assert g.dtype == np.float64 and g.shape == (3,)
    assert h.dtype == np.float64 and h.shape == (3, 3)
    np.testing.assert_allclose(g, g_true, rtol=0, atol=rtol_g * np.abs(g_true).max())
    np.testing.assert_allclose(h, h_true, rtol=0, atol=rtol_h * np.abs(h_true).max())
    np.testing.assert_array_equal(h, h.T)


@pytest.mark.parametrize("name", ["numpy", "jax", "torch"])
def test_jacobian_matches_analytic(name):
    be = _backend(name)
    xp, Xb = be.xp, be.asarray(X)
    J = jacobian(lambda b: xp.exp(Xb @ b), BETA, backend=name)
    J_true = X * np.exp(X @ BETA)[:, None]
    assert J.shape == (40, 3) and J.dtype == np.float64
    tol = 1e-8 if name == "numpy" else 1e-12
    np.testing.assert_allclose(J, J_true, rtol=0, atol=tol * np.abs(J_true).max())


@pytest.mark.parametrize("name", ["numpy", "jax", "torch"])
def test_scalar_argument_keeps_its_shape(name):
    _backend(name)
    assert gradient(lambda b: b**3, 2.0, backend=name) == pytest.approx(12.0, rel=1e-9)
    assert hessian(lambda b: b**3, 2.0, backend=name) == pytest.approx(12.0, rel=1e-6)
    assert np.shape(gradient(lambda b: b**3, 2.0, backend=name)) == ()


def test_backends_agree_on_inputs_of_any_kind():
    torch = pytest.importorskip("torch")
    f_np = _nll(_backend("numpy"))
    f_t = _nll(_backend("torch"))
    for x in (list(BETA), BETA, torch.tensor(BETA)):
        np.testing.assert_allclose(gradient(f_t, x, backend="torch"), gradient(f_np, x), rtol=1e-7)


def test_finite_difference_step_is_relative():
    # at x ~ 1e6 an absolute step of 6e-6 would lose all accuracy in f = sum(log x)
    x = np.array([1e6, 3e6])
    np.testing.assert_allclose(gradient(lambda b: np.sum(np.log(b)), x), 1 / x, rtol=1e-8)
    np.testing.assert_allclose(
        np.diag(hessian(lambda b: np.sum(np.log(b)), x)), -1 / x**2, rtol=1e-5
    )
    assert autodiff.FD_STEP_GRADIENT == pytest.approx(np.finfo(float).eps ** (1 / 3))


def test_backend_grad_uses_autodiff():
    be = _backend("numpy")
    g_true, _ = _analytic()
    np.testing.assert_allclose(be.grad(_nll(be))(BETA), g_true, rtol=1e-7)


def test_unknown_backend():
    with pytest.raises(UnknownNameError, match="numpy"):
        gradient(lambda b: b @ b, [1.0], backend="tensorflow")
