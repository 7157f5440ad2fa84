"""summary.gam's statistics against mgcv 1.8-41 (validation_r/gam_summary_reference.R).

Each case holds what mgcv fitted (X, R, coefficients, Vp, Ve, edf/edf1/edf2, smooths with
their penalties, y, fitted values, weights, scale ...) and what ``summary(m)``,
``logLik(m)``, ``AIC(m)`` and ``BIC(m)`` report. Tolerances (relative): edf, Ref.df and
F/Chi.sq 1e-8; p-values 1e-9 where p > 1e-10 (below, 1e-12 absolute); the parametric
table, R-sq.(adj), deviance explained, logLik, its df, AIC and BIC 1e-10. The
distribution pieces (Davies' method, liu2, testStat) are compared on their own too.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from aurora.inference.smooth_tests import (SmoothFitSummaryInput, SmoothInfo, aic_gam,
                                           bic_gam, davies, liu2, loglik_gam, psum_chisq,
                                           re_test, smooth_test, summary_gam)

from reference import VALIDATION


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_summary_reference.json").read_text())


def _vec(x) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in x], dtype=float)


def _mat(x) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in x], dtype=float)


def build_input(case: dict, weighted_x: bool = False) -> SmoothFitSummaryInput:
    """The summary input of one mgcv fit; ``weighted_x`` gives ``sqrt(w) X`` for ``R``."""
    smooths = tuple(
        SmoothInfo(label=s["label"], start=s["first_para"] - 1, stop=s["last_para"],
                   null_space_dim=s["null_space_dim"], fixed=s["fixed"], random=s["random"],
                   penalties=tuple(_mat(S) for S in s["S"]), sp=tuple(_vec(s["sp"])))
        for s in case["smooths"])
    X = _mat(case["X"])
    R = np.sqrt(_vec(case["working_weights"]))[:, None] * X if weighted_x else _mat(case["R"])
    return SmoothFitSummaryInput(
        coef=_vec(case["coefficients"]), coef_names=case["coef_names"], Vp=_mat(case["Vp"]),
        edf=_vec(case["edf"]), smooths=smooths, y=_vec(case["y"]), fitted=_vec(case["fitted"]),
        prior_weights=_vec(case["prior_weights"]), scale=case["sig2"],
        scale_estimated=case["scale_estimated"], deviance=case["deviance"],
        null_deviance=case["null_deviance"], R=R, Ve=_mat(case["Ve"]),
        edf1=_vec(case["edf1"]), edf2=_vec(case["edf2"]) if case["edf2"] else None,
        n_parametric=case["nsdf"], assign=tuple(case["assign"]),
        term_labels=tuple(case["term_labels"]), df_residual=case["df_residual"],
        aic=case["aic_object"], family=case["family"], link=case["link"],
        formula=case["formula"], method=case["method"], sp_criterion=case["gcv_ubre"],
        rank=case["rank"], X=X)


def _table(ref: dict | None) -> pd.DataFrame:
    if ref is None:
        return pd.DataFrame(np.zeros((0, 4)))
    return pd.DataFrame(_mat(ref["values"]), index=ref["rows"], columns=ref["columns"])


CASES = {c["name"]: c for c in _reference()["cases"]}


def _rel(a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-300)


def _check_pvalues(got: np.ndarray, ref: np.ndarray, rtol: float = 1e-9) -> None:
    big = ref > 1e-10
    assert np.all(_rel(got[big], ref[big]) < rtol), (got, ref)
    assert np.all(np.abs(got[~big] - ref[~big]) < 1e-12), (got, ref)


@lru_cache(maxsize=None)
def _summary(name: str, weighted_x: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return summary_gam(build_input(CASES[name], weighted_x))


def test_reference_covers_the_brief():
    names = set(CASES)
    assert len(names) >= 8
    fams = {c["family"] for c in CASES.values()}
    assert {"gaussian", "poisson", "binomial", "Gamma"} <= fams
    assert {c["method"] for c in CASES.values()} >= {"REML", "ML", "GCV", "UBRE"}
    classes = {s["class"] for c in CASES.values() for s in c["smooths"]}
    assert {"cr.smooth", "tprs.smooth", "random.effect", "tensor.smooth"} <= classes
    assert any(":" in s["label"] for c in CASES.values() for s in c["smooths"])  # factor by


@pytest.mark.parametrize("name", list(CASES))
def test_smooth_table(name):
    case = CASES[name]
    got, ref = _summary(name).s_table, _table(case["s_table"])
    assert list(got.index) == list(ref.index)
    assert list(got.columns) == list(ref.columns)
    g, r = got.to_numpy(), ref.to_numpy()
    assert np.all(_rel(g[:, :3], r[:, :3]) < 1e-8), np.column_stack([g, r])
    _check_pvalues(g[:, 3], r[:, 3])


@pytest.mark.parametrize("name", list(CASES))
def test_smooth_table_from_weighted_model_matrix(name):
    """Any R with R'R = X'WX gives the same tests: sqrt(w) X instead of mgcv's R."""
    case = CASES[name]
    g = _summary(name, True).s_table.to_numpy()
    r = _table(case["s_table"]).to_numpy()
    assert np.all(_rel(g[:, :3], r[:, :3]) < 1e-8)
    _check_pvalues(g[:, 3], r[:, 3])


@pytest.mark.parametrize("name", list(CASES))
def test_parametric_tables(name):
    case = CASES[name]
    s = _summary(name)
    for got, ref in ((s.p_table, case["p_table"]), (s.pterms_table, case["pterms_table"])):
        if ref is None:
            assert len(got) == 0
            continue
        ref = _table(ref)
        assert list(got.index) == list(ref.index)
        assert list(got.columns) == list(ref.columns)
        g, r = got.to_numpy(), ref.to_numpy()
        assert np.array_equal(np.isnan(g), np.isnan(r))
        ok = ~np.isnan(r)
        assert np.all(_rel(g[ok], r[ok]) < 1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_rsq_deviance_loglik_aic(name):
    case = CASES[name]
    inp = build_input(case)
    s = _summary(name)
    assert s.r_sq == pytest.approx(case["r_sq"], rel=1e-10, abs=1e-12)
    assert s.dev_expl == pytest.approx(case["dev_expl"], rel=1e-10, abs=1e-12)
    assert s.residual_df == pytest.approx(case["residual_df"], rel=1e-12)
    assert s.scale == case["summary_scale"]
    ll = loglik_gam(inp)
    assert ll.value == pytest.approx(case["loglik"], rel=1e-10)
    assert ll.df == pytest.approx(case["loglik_df"], rel=1e-10)
    assert aic_gam(inp) == pytest.approx(case["aic"], rel=1e-10)
    assert bic_gam(inp) == pytest.approx(case["bic"], rel=1e-10)


@pytest.mark.parametrize("i", range(len(_reference()["psum_chisq"])))
def test_psum_chisq_matches_mgcv(i):
    c = _reference()["psum_chisq"][i]
    p = psum_chisq(c["q"], _vec(c["lb"]), df=_vec(c["df"]))
    if c["p"] > 1e-10:
        assert p == pytest.approx(c["p"], rel=1e-12)
    else:
        assert abs(p - c["p"]) < 1e-14


def test_liu2_matches_mgcv():
    for c in _reference()["liu2"]:
        assert liu2(c["x"], _vec(c["lb"]), _vec(c["h"])) == pytest.approx(c["p"], rel=1e-12)


@pytest.mark.parametrize("i", range(len(_reference()["test_stat"])))
def test_smooth_test_matches_testStat(i):
    c = _reference()["test_stat"][i]
    res_df = c["res_df"] if c["res_df"] is not None else -1.0
    r = smooth_test(_vec(c["coef"]), _mat(c["X"]), _mat(c["V"]), c["rank_in"], res_df)
    assert r.stat == pytest.approx(c["stat"], rel=1e-10)
    assert r.p_value == pytest.approx(c["p"], rel=1e-9)
    assert r.rank == c["rank"]


def test_davies_known_distributions():
    # chi^2_3 and an exponential difference: closed forms
    from scipy import stats

    for q in (0.5, 2.0, 7.5):
        p, fault = davies([1.0, 1.0, 1.0], q)
        assert fault == 0 and p == pytest.approx(stats.chi2.cdf(q, 3), abs=2e-5)
    p, _ = davies([2.0], 3.0, df=[4])  # 2 * chi^2_4 < 3
    assert p == pytest.approx(stats.chi2.cdf(1.5, 4), abs=2e-5)
    assert davies([0.0, 0.0], 1.0) == (1.0, 0)                 # degenerate at zero
    assert davies([1.0], 1.0, nc=[-1.0])[1] == 3                # invalid parameters


def test_psum_chisq_bad_input():
    with pytest.raises(ValueError, match="positive integers"):
        psum_chisq(1.0, [1.0, 2.0], df=[0, 1])
    with pytest.raises(ValueError, match="non-zero"):
        psum_chisq(1.0, [0.0, 0.0])


def test_re_tests_false_drops_random_rows():
    inp = build_input(CASES["gauss_re"])
    full = summary_gam(inp)
    no_re = summary_gam(inp, re_tests=False)
    # s(g) (re) and s(x3) (cs: no null space) are the random-effect style rows
    assert list(no_re.s_table.index) == ["s(x0)", "s(x2)"]
    pd.testing.assert_frame_equal(no_re.s_table, full.s_table.loc[["s(x0)", "s(x2)"]])


def test_re_test_direct_and_needs_ve():
    case = CASES["poisson_re"]
    inp = build_input(case)
    ref = _table(case["s_table"])
    res = re_test(inp, 1)
    assert res.stat == pytest.approx(ref.loc["s(g)", "Chi.sq"], rel=1e-10)
    assert res.rank == ref.loc["s(g)", "Ref.df"]
    with pytest.raises(ValueError, match="Ve"):
        re_test(build_input(case).__class__(**{**_fields(inp), "Ve": None}), 1)


def _fields(inp: SmoothFitSummaryInput) -> dict:
    return {f: getattr(inp, f) for f in inp.__dataclass_fields__}


def test_without_r_uses_the_model_matrix_and_warns():
    inp = build_input(CASES["gauss_cr_tp"])
    no_r = SmoothFitSummaryInput(**{**_fields(inp), "R": None})
    with pytest.warns(RuntimeWarning, match="unreliable"):
        s = summary_gam(no_r)
    # gaussian, no prior weights: X'X is X'WX, so the tests agree with mgcv's
    ref = _table(CASES["gauss_cr_tp"]["s_table"]).to_numpy()
    assert np.all(_rel(s.s_table.to_numpy()[:, :3], ref[:, :3]) < 1e-8)


def test_input_validation():
    inp = build_input(CASES["gauss_cr_tp"])
    f = _fields(inp)
    with pytest.raises(ValueError, match="disagree"):
        SmoothFitSummaryInput(**{**f, "edf": f["edf"][:-1]})
    with pytest.raises(ValueError, match="R"):
        SmoothFitSummaryInput(**{**f, "R": None, "X": None})
    with pytest.raises(ValueError, match="same length"):
        SmoothFitSummaryInput(**{**f, "fitted": f["fitted"][:-1]})
    assert inp.n == 300 and inp.residual_df == pytest.approx(300 - f["edf"].sum())


def test_general_family_has_no_rsq():
    inp = build_input(CASES["gauss_cr_tp"])
    s = summary_gam(SmoothFitSummaryInput(**{**_fields(inp), "has_r_sq": False}))
    assert s.r_sq is None
