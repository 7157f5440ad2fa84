"""``aurora.gam`` end to end against mgcv's ``gam()`` (validation_r/gam_reference.json).

The R side is ``validation_r/gam_reference.R``: 35 fits on gamSim(1)-like data (each basis
tp, cr, cs, cc, ps, cp, bs, ts; te, te with tp/cr margins, ti with main effects, t2;
numeric and factor ``by``; ``fs``; ``re``; gaussian, poisson, binary and cbind binomial,
Gamma(log); REML, ML, GCV and UBRE; fixed, partly fixed and in-formula ``sp``;
``gamma = 1.4``; prior weights; ``offset()`` and ``offset=``; given knots for cr and cc;
a parametric factor). Each quantity is its own test, so a failure names the case and
the quantity. Tolerances are issue 10's:

=========================================  ==========================================
fitted values                              1e-6 relative to their range
edf per smooth (and per coefficient)       1e-3
reml_score (mgcv's gcv.ubre)               1e-6 relative
log(sp)                                    1e-3, where mgcv's sp < 1e6 (not at a bound)
Ref.df                                     1e-3
smooth p-values                            1e-3 relative, where mgcv's p > 1e-10
scale, AIC, logLik, R-sq.(adj), dev. expl  1e-6 relative
predictions on new data and their se       1e-6 relative
printed summary                            identical, line for line
=========================================  ==========================================

``scale`` is compared with mgcv's ``m$sig2`` (the scale estimate ``summary`` prints, and
what mgcv documents ``m$scale`` to be): for gaussian GCV fits mgcv leaves ``m$scale`` at
1 (the JSON records both).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from gam_reference import as_array, fit_gam_case, gam_case, gam_cases, gam_newdata

NAMES = [c["name"] for c in gam_cases()]
SP_BOUND = 1e6      # larger smoothing parameters are at mgcv's "infinite" end: not compared
P_FLOOR = 1e-10     # smaller p-values are not compared (both print "<2e-16")


@lru_cache(maxsize=None)
def _summary(name: str):
    return fit_gam_case(name).summary()


@lru_cache(maxsize=None)
def _predict(name: str):
    return fit_gam_case(name).predict(gam_newdata(), type="link", se_fit=True)


def _rel(actual: float, expected: float, rtol: float, what: str) -> None:
    assert actual == pytest.approx(expected, rel=rtol, abs=0), (
        f"{what}: aurora {actual!r}, mgcv {expected!r}, "
        f"relative difference {abs(actual - expected) / abs(expected):.3g}")


def _table(case: dict, key: str) -> tuple[list[str], list[str], np.ndarray]:
    t = case[key]
    return t["rows"], t["columns"], np.array(
        [[np.nan if v is None else v for v in row] for row in t["values"]], dtype=float)


@pytest.mark.parametrize("name", NAMES)
def test_coefficient_names(name):
    case = gam_case(name)
    m = fit_gam_case(name)
    assert len(m.params) == case["n_coef"]
    assert list(m.params.index) == case["coef_names"]


@pytest.mark.parametrize("name", NAMES)
def test_fitted_values(name):
    case = gam_case(name)
    ref = as_array(case["fitted"])
    got = np.asarray(fit_gam_case(name).fitted, dtype=float)
    assert got.shape == ref.shape
    span = float(ref.max() - ref.min())
    err = float(np.max(np.abs(got - ref)))
    assert err <= 1e-6 * span, f"max |difference| {err:.3g} = {err / span:.3g} of the range"


@pytest.mark.parametrize("name", NAMES)
def test_smooth_edf(name):
    case = gam_case(name)
    edf = fit_gam_case(name).edf
    assert list(edf.index) == case["smooth_labels"]
    np.testing.assert_allclose(edf.to_numpy(), as_array(case["smooth_edf"]), rtol=0, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_coefficient_edf(name):
    """mgcv's ``m$edf``, one per coefficient."""
    case = gam_case(name)
    np.testing.assert_allclose(fit_gam_case(name).coef_edf.to_numpy(), as_array(case["edf"]),
                               rtol=0, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_reml_score(name):
    case = gam_case(name)
    _rel(fit_gam_case(name).reml_score, case["gcv_ubre"], 1e-6, f"{case['method']} score")


@pytest.mark.parametrize("name", NAMES)
def test_log_sp(name):
    """Every smoothing parameter (mgcv's ``m$full.sp`` where some are fixed in the formula
    or all by ``sp=``, else ``m$sp``), on the log scale, below :data:`SP_BOUND`."""
    case = gam_case(name)
    full = case["full_sp"] is not None
    ref = as_array(case["full_sp"] if full else case["sp"])
    names = case["full_sp_names"] if full else case["sp_names"]
    sp = fit_gam_case(name).sp
    assert len(sp) == len(ref)
    keep = ref < SP_BOUND
    np.testing.assert_allclose(np.log(sp.to_numpy()[keep]), np.log(ref[keep]), rtol=0,
                               atol=1e-3, err_msg=f"log(sp) of {np.array(names)[keep]}")
    assert list(sp.index) == names


@pytest.mark.parametrize("name", NAMES)
def test_ref_df(name):
    case = gam_case(name)
    rows, cols, ref = _table(case, "s_table")
    s = _summary(name).s_table
    assert list(s.index) == rows and list(s.columns) == cols
    np.testing.assert_allclose(s["Ref.df"].to_numpy(), ref[:, 1], rtol=0, atol=1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_smooth_p_values(name):
    case = gam_case(name)
    _, _, ref = _table(case, "s_table")
    p = _summary(name).s_table["p-value"].to_numpy()
    keep = ref[:, 3] > P_FLOOR
    np.testing.assert_allclose(p[keep], ref[keep, 3], rtol=1e-3, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_scale(name):
    case = gam_case(name)
    _rel(fit_gam_case(name).scale, case["sig2"], 1e-6, "scale")


@pytest.mark.parametrize("name", NAMES)
def test_aic(name):
    case = gam_case(name)
    _rel(fit_gam_case(name).aic, case["aic"], 1e-6, "AIC")


@pytest.mark.parametrize("name", NAMES)
def test_loglik(name):
    """mgcv's ``logLik.gam``, its value and degrees of freedom."""
    case = gam_case(name)
    m = fit_gam_case(name)
    _rel(m.loglik, case["loglik"], 1e-6, "logLik")
    _rel(m.bic, case["bic"], 1e-6, "BIC")


@pytest.mark.parametrize("name", NAMES)
def test_deviance(name):
    case = gam_case(name)
    m = fit_gam_case(name)
    _rel(m.deviance, case["deviance"], 1e-6, "deviance")
    _rel(m.null_deviance, case["null_deviance"], 1e-6, "null deviance")


@pytest.mark.parametrize("name", NAMES)
def test_r_sq(name):
    case = gam_case(name)
    _rel(_summary(name).r_sq, case["r_sq"], 1e-6, "R-sq.(adj)")


@pytest.mark.parametrize("name", NAMES)
def test_deviance_explained(name):
    case = gam_case(name)
    _rel(_summary(name).dev_expl, case["dev_expl"], 1e-6, "deviance explained")


@pytest.mark.parametrize("name", NAMES)
def test_predict_fit(name):
    """``predict(m, newd, se.fit = TRUE)$fit`` (link scale): 1e-6 relative (to the largest
    prediction for values near zero)."""
    case = gam_case(name)
    ref = as_array(case["predict"]["fit"])
    got = _predict(name)["fit"].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * np.max(np.abs(ref)))


@pytest.mark.parametrize("name", NAMES)
def test_predict_se(name):
    case = gam_case(name)
    np.testing.assert_allclose(_predict(name)["se_fit"].to_numpy(),
                               as_array(case["predict"]["se_fit"]), rtol=1e-6, atol=0)


# Known difference, kept visible: mgcv's summary.gam tests a t2 smooth with object$R (the
# fitting parametrisation) and coefficients/Vp mapped to the prediction parametrisation by
# its G$P; aurora does the same. Our t2 coefficients equal mgcv's up to the sign of some
# columns (eigenvector signs from LAPACK), and the fitting and prediction columns are not
# flipped alike, so the mixed statistic differs (202.68 against 219.28) while fit, edf,
# Ref.df, sp and score agree to 1e-13. Open in issue 10.
_SUMMARY_XFAIL = {"t2": "t2 smooth test statistic differs from mgcv's (see above)"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    reason=_SUMMARY_XFAIL[n], strict=True)) if n in _SUMMARY_XFAIL else n for n in NAMES])
def test_summary_text(name):
    """``str(m.summary())`` is mgcv's ``print(summary(m))``, line for line."""
    got = str(_summary(name)).split("\n")
    want = gam_case(name)["summary_text"].split("\n")
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"line {i + 1}:\naurora {g!r}\nmgcv   {w!r}"
    assert len(got) == len(want)
