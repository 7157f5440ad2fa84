"""The compile stage of a GAM against mgcv's ``gam(..., fit = FALSE)``: the model matrix
(parametric columns, then each smooth's constrained columns) and the scaled penalties at
their offsets (validation_r/gam_compile_reference.R)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from aurora.compile import compile_plan
from reference import VALIDATION

REF = json.loads((VALIDATION / "gam_compile_reference.json").read_text())
DATA = pd.read_csv(VALIDATION / "data" / REF["data"])


@pytest.mark.parametrize("case", REF["cases"], ids=[c["formula"] for c in REF["cases"]])
def test_model_matrix_and_penalties_as_mgcv(case):
    plan = compile_plan(case["formula"], DATA, smooths=True)
    X = np.asarray(case["X"], dtype=float)
    assert plan.X.shape == X.shape
    np.testing.assert_allclose(plan.X, X, rtol=0, atol=1e-9 * np.max(np.abs(X)))
    S = [np.asarray(s, dtype=float) for s in case["S"]]
    ours = [(b.start, m) for b in plan.penalties for m in b.matrices]
    assert [o for o, _ in ours] == [int(o) - 1 for o in np.atleast_1d(case["off"])]
    for (_, mine), theirs in zip(ours, S):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-9 * np.max(np.abs(theirs)))
    # new data: the same columns again
    np.testing.assert_allclose(plan.spec.model_matrix(DATA), plan.X, rtol=0,
                               atol=1e-8 * np.max(np.abs(X)))
