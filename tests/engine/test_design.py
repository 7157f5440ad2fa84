"""The design protocol: every backend computes the same X'WX, X'Wz, Xb and X'v."""
from __future__ import annotations

import numpy as np
import pytest

from aurora.engine.design import DenseDesign
from aurora.engine.linalg import detect_aliased, spd_inverse, spd_solve


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_protocol_matches_numpy(backend):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    w = rng.uniform(0, 2, 50)
    z = rng.normal(size=50)
    b = rng.normal(size=4)
    d = DenseDesign(X, backend)
    be = d.backend
    xtwx, xtwz = d.weighted_normal_equations(be.asarray(w), be.asarray(z))
    np.testing.assert_allclose(xtwx, X.T @ (w[:, None] * X), rtol=1e-12)
    np.testing.assert_allclose(xtwz, X.T @ (w * z), rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(d.matvec(b)), X @ b, rtol=1e-12)
    np.testing.assert_allclose(d.rmatvec(be.asarray(z)), X.T @ z, rtol=1e-12)
    np.testing.assert_allclose(d.sandwich(be.asarray(w)), xtwx, rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(d.subset(np.array([0, 2])).matvec(b[[0, 2]])),
                               X[:, [0, 2]] @ b[[0, 2]], rtol=1e-12)


def test_detect_aliased_in_column_order():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    X = np.column_stack([X, X[:, 0] + 2 * X[:, 1], rng.normal(size=30)])
    assert detect_aliased(X.T @ X).tolist() == [False, False, False, True, False]


def test_spd_solve_and_inverse_badly_scaled():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) * np.array([1e-4, 1.0, 1e5])
    A = X.T @ X
    x_true = rng.normal(size=3) / np.array([1e-4, 1.0, 1e5])
    # Jacobi scaling makes column scale irrelevant: the solution is accurate to rounding
    np.testing.assert_allclose(spd_solve(A, A @ x_true), x_true, rtol=1e-8)
    d = np.sqrt(np.diag(A))
    inv_scaled = spd_inverse(A) * d[:, None] * d[None, :]
    np.testing.assert_allclose(inv_scaled @ (A / d[:, None] / d[None, :]), np.eye(3), atol=1e-10)
