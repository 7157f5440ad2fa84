"""Factor-coded designs give the dummy-coded model's numbers exactly (R's, via the harness)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.engine.block_design import BlockDesign
from reference import case_by_name, case_newdata, fit_case, glm_cases

# reference cases with a plain factor main effect that can be coded
CODED = [c["name"] for c in glm_cases()
         if fit_case(c["name"], "numpy", "always").plan.spec.coded_factors]


def test_some_cases_are_coded():
    assert len(CODED) >= 8


@pytest.mark.parametrize("name", CODED)
def test_coded_equals_dense(name):
    dense = fit_case(name, "numpy", "never")
    coded = fit_case(name, "numpy", "always")
    assert isinstance(coded.plan.design(), BlockDesign)
    assert list(coded.params.index) == list(dense.params.index)
    np.testing.assert_allclose(coded.params, dense.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(coded.bse, dense.bse, rtol=1e-9)
    np.testing.assert_allclose(coded.deviance, dense.deviance, rtol=1e-12)
    np.testing.assert_array_equal(coded.plan.X, dense.plan.X)
    assert coded.plan.spec.term_labels == dense.plan.spec.term_labels
    assert coded.plan.spec.term_columns == dense.plan.spec.term_columns
    new = case_newdata(case_by_name(name))
    np.testing.assert_allclose(coded.predict(new), dense.predict(new), rtol=1e-10)
    if name != "dobson_poisson":  # its zero effects print rounding noise (see the R harness)
        assert str(coded.summary()) == str(dense.summary())


def test_coded_design_protocol_matches_dense():
    rng = np.random.default_rng(3)
    n = 500
    df = pd.DataFrame({"x": rng.normal(size=n), "f": rng.choice(list("abcdefgh"), n),
                       "g": rng.choice(list("pqr"), n), "y": rng.poisson(2.0, n).astype(float)})
    plan = aurora.compile_plan("y ~ x + f + g", df, "poisson", factor_coding="always")
    d = plan.design()
    X = plan.X
    w, z, b = rng.uniform(size=n), rng.normal(size=n), rng.normal(size=X.shape[1])
    A, r = d.weighted_normal_equations(w, z)
    np.testing.assert_allclose(A, X.T @ (w[:, None] * X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r, X.T @ (w * z), rtol=1e-12)
    np.testing.assert_allclose(d.matvec(b), X @ b, rtol=1e-12)
    np.testing.assert_allclose(d.rmatvec(z), X.T @ z, rtol=1e-12)
    keep = np.array([0, 1, 3, 4, 7, 9])
    np.testing.assert_allclose(d.subset(keep).to_dense(), X[:, keep])


def test_save_load_keeps_coded_predictions(tmp_path):
    m = fit_case("insectsprays_poisson", "numpy", "always")
    path = tmp_path / "m.aurora"
    m.save(path)
    m2 = aurora.load(path)
    new = case_newdata(case_by_name("insectsprays_poisson"))
    np.testing.assert_array_equal(m2.predict(new), m.predict(new))
