"""The 1-D thin plate basis on large data is built without the n x n_knots radial matrix
(a piecewise cubic from prefix sums); it must equal the direct evaluation, which the mgcv
reference tests check."""
from __future__ import annotations

import numpy as np

from aurora.smooths import tp


def test_piecewise_cubic_equals_the_radial_matrix():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-1, 2, size=(6000, 1)), [[-5.0], [7.0]]])  # extrapolate
    Xu = rng.uniform(size=(500, 1))
    U = rng.normal(size=(502, 9))
    fast = tp._basis_at(x, Xu, U, 2, 2)
    powers = tp._poly_powers(2, 2, 1)
    direct = tp._radial(x, Xu, 2) @ U[:500] + tp._poly(x, powers) @ U[500:]
    np.testing.assert_allclose(fast, direct, rtol=0, atol=1e-12 * np.max(np.abs(direct)))


def test_large_gam_fits_use_it_and_agree():
    import pandas as pd

    import aurora

    rng = np.random.default_rng(3)
    n = 3000
    d = pd.DataFrame({"x": rng.uniform(size=n)})
    d["y"] = np.sin(6 * d["x"]) + rng.normal(scale=0.3, size=n)
    m = aurora.gam("y ~ s(x, k = 12)", d)
    # the same columns rebuilt for new data on the slow path (a few rows)
    X_new = m.plan.spec.model_matrix(d.iloc[:5])
    np.testing.assert_allclose(X_new, m.plan.X[:5], rtol=0, atol=1e-9 * np.abs(m.plan.X).max())
