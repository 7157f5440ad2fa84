"""Printed GAM summaries against mgcv's ``capture.output(print(summary(m)))``.

The R side is ``validation_r/gam_summary_reference.R``: 17 mgcv fits (gaussian cr/tp by
REML, GCV, ML with weights, poisson REML and UBRE, binary and trials binomial, Gamma log,
parametric factor, ``re`` and ``cs``/``ts`` smooths, ``te``/``ti``, factor ``by``, a
formula printed over two lines, a rank-deficient fit, no parametric part, fixed smooths).
The text must match line for line.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from aurora.inference.smooth_tests import (SmoothFitSummaryInput, SmoothInfo, summary_gam)
from aurora.report.gam import (GAMSummary, format_c, format_gam_summary,
                               format_gam_summary_html, print_coefmat)

from reference import VALIDATION


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_summary_reference.json").read_text())


CASES = {c["name"]: c for c in _reference()["cases"]}


def _vec(x) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in x], dtype=float)


def _mat(x) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in x], dtype=float)


def _input(case: dict) -> SmoothFitSummaryInput:
    smooths = tuple(
        SmoothInfo(label=s["label"], start=s["first_para"] - 1, stop=s["last_para"],
                   null_space_dim=s["null_space_dim"], fixed=s["fixed"], random=s["random"],
                   penalties=tuple(_mat(S) for S in s["S"]), sp=tuple(_vec(s["sp"])))
        for s in case["smooths"])
    return SmoothFitSummaryInput(
        coef=_vec(case["coefficients"]), coef_names=case["coef_names"], Vp=_mat(case["Vp"]),
        edf=_vec(case["edf"]), smooths=smooths, y=_vec(case["y"]), fitted=_vec(case["fitted"]),
        prior_weights=_vec(case["prior_weights"]), scale=case["sig2"],
        scale_estimated=case["scale_estimated"], deviance=case["deviance"],
        null_deviance=case["null_deviance"], R=_mat(case["R"]), Ve=_mat(case["Ve"]),
        edf1=_vec(case["edf1"]), edf2=_vec(case["edf2"]) if case["edf2"] else None,
        n_parametric=case["nsdf"], assign=tuple(case["assign"]),
        term_labels=tuple(case["term_labels"]), df_residual=case["df_residual"],
        aic=case["aic_object"], family=case["family"], link=case["link"],
        formula=case["formula"], method=case["method"], sp_criterion=case["gcv_ubre"],
        rank=case["rank"])


@lru_cache(maxsize=None)
def _summary(name: str) -> GAMSummary:
    return GAMSummary(_input(CASES[name]))


@pytest.mark.parametrize("name", list(CASES))
def test_summary_text_matches_mgcv(name):
    got = str(_summary(name)).split("\n")
    want = CASES[name]["summary_text"].split("\n")
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"line {i + 1}:\n{g!r}\n{w!r}"
    assert len(got) == len(want)


def test_summary_from_stats_or_input_is_the_same():
    inp = _input(CASES["gauss_factor"])
    assert str(GAMSummary(summary_gam(inp))) == str(GAMSummary(inp))
    assert repr(GAMSummary(inp)) == format_gam_summary(summary_gam(inp))


def test_summary_exposes_mgcv_tables():
    s = _summary("binomial_reml")
    assert list(s.p_table.columns) == ["Estimate", "Std. Error", "z value", "Pr(>|z|)"]
    assert list(s.s_table.columns) == ["edf", "Ref.df", "Chi.sq", "p-value"]
    g = _summary("gauss_factor")
    assert list(g.p_table.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]
    assert list(g.s_table.columns) == ["edf", "Ref.df", "F", "p-value"]
    assert list(g.pterms_table.index) == ["fac", "x3"]
    assert 0 < g.r_sq < 1 and 0 < g.dev_expl < 1 and g.n == 300


def test_html_has_the_printed_cells():
    s = _summary("gauss_factor")
    html = s._repr_html_()
    assert html.startswith("<div") and html.endswith("</div>")
    assert "<th>facB</th>" in html and "<th>s(x0)</th>" in html
    assert "&lt;2e-16" in html and "<2e-16" not in html  # escaped
    assert "-REML = 445.4" in html and "R-sq.(adj) = 0.61" in html
    assert "Scale est. = 0.99102" in html and "n = 300" in html
    # the same rounding as the text
    assert "<td>7.887</td>" in html and "<td>6.69e-14</td>" in html
    md = s.to_markdown()
    assert "facB" in md and "s(x2)" in md


def test_html_without_parametric_part():
    html = format_gam_summary_html(_summary("no_parametric").stats)
    assert "Parametric coefficients" not in html and "s(x3)" in html


def test_format_c_as_r():
    # values checked in R 4.2: formatC(x, digits=5) pads to digits + 1
    assert format_c(653.10123, 5) == " 653.1"
    assert format_c(644.0321, 5) == "644.03"
    assert format_c(0.5, 5) == "   0.5"
    assert format_c(1.5e-7, 5) == "1.5e-07"
    assert format_c(12.5, 3, 4) == "12.5"
    assert format_c(2.77e-5, 3, 5) == "2.77e-05"
    assert format_c(1.0, 5, 8, left=True) == "1       "
    assert format_c(float("nan"), 3, 5) == "  NaN"
    assert format_c(None, 3, 0) == " NA"


def test_print_coefmat_layouts():
    t = pd.DataFrame({"edf": [1.0, 3.62], "Ref.df": [1.0, 4.49], "Chi.sq": [0.0281, 12.3],
                      "p-value": [0.87, 0.3]}, index=["s(a)", "s(bb)"])
    text, stars = print_coefmat(t, cs_ind=[0])
    assert not stars                       # no p below 0.1: no stars column, no legend
    assert text.split("\n") == ["       edf Ref.df Chi.sq p-value",
                                "s(a)  1.00   1.00  0.028    0.87",
                                "s(bb) 3.62   4.49 12.300    0.30"]
    nan = pd.DataFrame({"Estimate": [1.5, 0.0], "Std. Error": [0.1, 0.0],
                        "t value": [15.0, np.nan], "Pr(>|t|)": [1e-20, np.nan]},
                       index=["(Intercept)", "x"])
    text, stars = print_coefmat(nan)
    assert stars and text.split("\n")[2].split()[-2:] == ["NaN", "NaN"]


def test_criterion_line_variants():
    base = _summary("gauss_cr_tp").stats
    from dataclasses import replace

    pql = format_gam_summary(replace(base, method="PQL")).split("\n")[-1]
    assert pql.startswith("  Scale est. = 3.6725")
    gcv = format_gam_summary(replace(base, method="GCV", sp_criterion=3.93551)).split("\n")
    assert gcv[-1].startswith("GCV = 3.9355  Scale est.")
    rank = format_gam_summary(replace(base, rank=30)).split("\n")
    assert rank[-3] == "Rank: 30/37"
    nor2 = format_gam_summary(replace(base, r_sq=None)).split("\n")
    assert nor2[-2] == "Deviance explained = 75.7%"
