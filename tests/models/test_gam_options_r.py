"""aurora.gam's options against mgcv (validation_r/gam_options_reference.R): select=True,
id= shared by the smooths of a factor by=, sp fixed in s() and through sp=, gamma with
GCV. Tolerances are issue 10's: score 1e-6 relative, edf 1e-3, log(sp) 1e-3, fitted 1e-6
of their range."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import aurora
from reference import VALIDATION

REF = json.loads((VALIDATION / "gam_options_reference.json").read_text())
DATA = pd.read_csv(VALIDATION / "data" / REF["data"])
IDS = [f"{c['formula']} select={c['select']}" + (f" sp={c['sp_arg']}" if "sp_arg" in c else "")
       + (f" gamma={c['gamma']}" if "gamma" in c else "") for c in REF["cases"]]


@pytest.mark.parametrize("case", REF["cases"], ids=IDS)
def test_gam_options_as_mgcv(case):
    kw = {"select": case["select"], "method": case["method"]}
    if "sp_arg" in case:
        kw["sp"] = case["sp_arg"]
    if "gamma" in case:
        kw["gamma"] = case["gamma"]
    m = aurora.gam(case["formula"], DATA, **kw)
    assert m.reml_score == pytest.approx(case["gcv_ubre"], rel=1e-6)
    labels = np.atleast_1d(case["labels"]).tolist()
    assert list(m.edf.index) == labels
    np.testing.assert_allclose(m.edf.to_numpy(), np.atleast_1d(case["edf"]), atol=1e-3)
    full = np.atleast_1d(np.asarray(case["full_sp"], dtype=float))
    ours = m.full_sp.to_numpy()
    free = full < 1e6
    np.testing.assert_allclose(np.log(ours[free]), np.log(full[free]), atol=1e-3)
    fitted = np.asarray(case["fitted"], dtype=float)
    np.testing.assert_allclose(m.fitted.to_numpy(), fitted, rtol=0,
                               atol=1e-6 * (fitted.max() - fitted.min()))
    assert m.scale == pytest.approx(case["scale"], rel=1e-6)
