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


# validation cases of gam_reference.R / gam_extended_reference.R: one per family and kind of
# term (each fit runs on the backend three times over, so a selection keeps the suite quick)
_CASES = ["tp_default", "te_default", "by_factor", "poisson", "binomial_cbind", "gamma_log",
          "gcv", "nb", "tw"]


@pytest.mark.parametrize("engine", ["jax", "torch"])
@pytest.mark.parametrize("name", _CASES)
def test_validation_cases_agree_across_engines(engine, name):
    import warnings

    from gam_reference import fit_gam_case, gam_case, gam_data, gam_family, gam_kwargs

    case = gam_case(name)
    ref = fit_gam_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = aurora.gam(case["formula"], gam_data(case), family=gam_family(case),
                       engine=engine, **gam_kwargs(case))
    assert m.reml_score == pytest.approx(ref.reml_score, rel=1e-8)
    span = float(np.ptp(ref.fitted))
    assert np.max(np.abs(np.asarray(m.fitted) - np.asarray(ref.fitted))) <= 1e-8 * span
    np.testing.assert_allclose(m.edf, ref.edf, rtol=0, atol=1e-8)
