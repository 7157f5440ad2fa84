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


# Known difference, kept visible (validation_r/gam_rounding_reference.R shows why). mgcv's
# summary.gam tests a t2 smooth with object$R, which is in the fitting parametrisation
# (only the null-space group constrained to sum to zero), but with coefficients and Vp
# mapped by G$P into the prediction parametrisation (all columns constrained, mgcv's Cp);
# aurora does the same. The two parametrisations absorb their constraints from different
# columns, so a sign flip of a t2 column does not cancel from the statistic. Those signs
# come from LAPACK's dsyevr in nat.param (eigen() of each margin's penalty, then of its
# centred null-space cross-product) and are decided by rounding: here the first
# eigenvector of the x1 margin's penalty comes out with the other sign, and the two zero
# eigenvalues of the x2 margin's penalty (noise of size 1e-13) in the other order, which
# flips that margin's last null-space column. mgcv's own F for this t2 takes values from
# 196.82 to 219.28 when x1 and x2 are perturbed by one unit in the last place (its REML
# score stays put); aurora prints 202.68. Given mgcv's signs (its margin P), aurora prints
# mgcv's summary exactly: test_t2_summary_with_mgcv_margin_signs.
_SUMMARY_XFAIL = {"t2": "t2 smooth F statistic depends on LAPACK's eigenvector signs (see "
                        "above)"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    reason=_SUMMARY_XFAIL[n], strict=True)) if n in _SUMMARY_XFAIL else n for n in NAMES])
def test_summary_text(name):
    """``str(m.summary())`` is mgcv's ``print(summary(m))``, line for line."""
    got = str(_summary(name)).split("\n")
    want = gam_case(name)["summary_text"].split("\n")
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"line {i + 1}:\naurora {g!r}\nmgcv   {w!r}"
    assert len(got) == len(want)


@lru_cache(maxsize=None)
def _rounding(name: str) -> dict:
    import json

    from reference import VALIDATION

    ref = json.loads((VALIDATION / "gam_rounding_reference.json").read_text())
    return next(c for c in ref["cases"] if c["name"] == name)


def _fit_with_mgcv_t2_signs(monkeypatch):
    """The t2 case fitted with each margin's natural-parametrisation columns given the
    signs of mgcv's (``m$smooth[[2]]$P``): aurora's ``nat_param`` otherwise unchanged."""
    import warnings

    import aurora
    import aurora.smooths.tensor as tensor
    from gam_reference import gam_data, gam_family, gam_kwargs

    margin_P = [np.array(P, dtype=float) for P in _rounding("t2")["margin_P"]]
    own = tensor.nat_param
    calls = []

    def nat_param(X, S, rank, type, unit_fnorm=True):
        out = own(X, S, rank, type, unit_fnorm)
        ref = margin_P[len(calls)]
        calls.append(rank)
        # the same columns up to sign (checked): flip ours to mgcv's
        np.testing.assert_allclose(np.abs(out["P"]), np.abs(ref), rtol=1e-10, atol=1e-12)
        sign = np.sign(np.sum(out["P"] * ref, axis=0))
        return {**out, "X": out["X"] * sign, "P": out["P"] * sign}

    monkeypatch.setattr(tensor, "nat_param", nat_param)
    case = gam_case("t2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = aurora.gam(case["formula"], gam_data(case), family=gam_family(case),
                       **gam_kwargs(case))
    assert len(calls) == 2
    return m, case


def test_t2_summary_with_mgcv_margin_signs(monkeypatch):
    """With mgcv's eigenvector signs in t2's margins, aurora's t2 test statistic is mgcv's
    (to 1e-6 relative) and its summary prints mgcv's, line for line: what remains of the
    xfail of test_summary_text[t2] is the signs alone."""
    m, case = _fit_with_mgcv_t2_signs(monkeypatch)
    s = m.summary()
    _, _, ref = _table(case, "s_table")
    np.testing.assert_allclose(s.s_table["F"].to_numpy(), ref[:, 2], rtol=1e-6, atol=0)
    _rel(float(s.s_table["F"].iloc[1]), _rounding("t2")["F"], 1e-6, "t2 F")
    got, want = str(s).split("\n"), case["summary_text"].split("\n")
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"line {i + 1}:\naurora {g!r}\nmgcv   {w!r}"
    assert len(got) == len(want)


def test_t2_statistic_is_decided_by_rounding_in_mgcv():
    """The reason test_summary_text[t2] cannot pass by construction: refitted on data
    perturbed by one unit in the last place, mgcv's REML score stays put (1e-12) while its
    t2 F statistic takes several values (validation_r/gam_rounding_reference.R)."""
    r = _rounding("t2")
    reml = np.array(r["perturbed_reml"])
    np.testing.assert_allclose(reml, r["reml"], rtol=1e-12, atol=0)
    F = np.array(r["perturbed_F"])
    distinct = np.unique(np.round(F, 6))
    assert distinct.size >= 3 and np.ptp(F) > 0.05 * r["F"], distinct
    assert gam_case("t2")["s_table"]["values"][1][2] == r["F"]
