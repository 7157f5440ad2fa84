"""aurora.gam gives the same fit on the NumPy, JAX and PyTorch backends (the data-sized work
goes through the design protocol; the p x p work stays in NumPy)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aurora
from reference import VALIDATION

DATA = pd.read_csv(VALIDATION / "data" / "gam_compile.csv")


@pytest.mark.parametrize("engine", ["jax", "torch"])
@pytest.mark.parametrize("formula,family", [
    ("y ~ f + s(x) + te(x, z, k = 4)", "gaussian"),
    ("count ~ s(x) + s(z, bs = 'cr')", "poisson"),
])
def test_gam_backends_agree(engine, formula, family):
    d = DATA.assign(count=np.random.default_rng(1).poisson(np.exp(DATA["x"])))
    ref = aurora.gam(formula, d, family=family)
    m = aurora.gam(formula, d, family=family, engine=engine)
    assert m.reml_score == pytest.approx(ref.reml_score, rel=1e-10)
    np.testing.assert_allclose(m.fitted, ref.fitted, rtol=1e-9)
    np.testing.assert_allclose(m.edf, ref.edf, rtol=1e-8)
