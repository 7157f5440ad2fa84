"""The NumPy, JAX and PyTorch engines agree to 1e-8 on every GLM reference case."""
from __future__ import annotations

import numpy as np
import pytest

from reference import fit_case, glm_cases

NAMES = [c["name"] for c in glm_cases()]


@pytest.mark.parametrize("engine", ["jax", "torch"])
@pytest.mark.parametrize("name", NAMES)
def test_engines_agree(name, engine):
    ref = fit_case(name, "numpy")
    other = fit_case(name, engine)
    assert other.engine == engine
    for attr in ("params", "bse"):
        a = getattr(ref, attr).to_numpy()
        b = getattr(other, attr).to_numpy()
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10 * np.nanmax(np.abs(a)), equal_nan=True)
    np.testing.assert_allclose(other.fitted, ref.fitted, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(other.deviance, ref.deviance, rtol=1e-8)
    assert other.n_iter == ref.n_iter
