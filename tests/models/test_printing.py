"""Printed output, call line included, against text captured from R.

The R side is ``validation_r/printing_reference.R`` (-> ``printing_reference.json``):
each case holds the fit as an R user types it, the arguments an Aurora user passes for
the same fit, and R's ``print(fit)``, ``print(summary(fit))`` and ``print(anova(...))``.
Fits, summaries, prints and anova tables must not let a NumPy ``RuntimeWarning`` or a
pandas ``PerformanceWarning`` reach the user.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.report._rparse import parse_r
from aurora.report.call import deparse, deparse_formula, deparse_number, glm_call, glm_nb_call
from aurora.report.rformat import print_matrix, signif

from reference import VALIDATION, fit_case, glm_cases

REFERENCE = json.loads((VALIDATION / "printing_reference.json").read_text())
CASES = {c["name"]: c for c in REFERENCE["cases"]}
NAMES = list(CASES)
_NOISE = (RuntimeWarning, pd.errors.PerformanceWarning)


def _data(case: dict) -> pd.DataFrame:
    if case["dataset"]:
        return aurora.datasets.load(case["dataset"])
    return pd.read_csv(VALIDATION / "data" / case["data"])


def _fit(spec: dict, data: pd.DataFrame):
    from aurora.distributions import get_family

    kw = {k: v for k, v in spec.items() if k not in ("formula", "family_object")}
    if spec.get("family_object"):
        kw["family"] = get_family(kw["family"], link=kw.pop("link", None))
    if "start" in kw:
        kw["start"] = np.asarray(kw["start"], dtype=float)
    return aurora.glm(spec["formula"], data, **kw)


def _quiet(fn):
    """Run ``fn``; fail on a raw NumPy/pandas warning, ignore aurora's own warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    noise = [w for w in caught if issubclass(w.category, _NOISE)]
    assert not noise, [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
                       for w in noise]
    return out


@lru_cache(maxsize=None)
def _model(name: str):
    case = CASES[name]
    return _quiet(lambda: _fit(case["aurora"], _data(case)))


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


@pytest.mark.parametrize("name", NAMES)
def test_call_line_is_r_deparse(name):
    assert _model(name).call == CASES[name]["call"]


def _comparable(name: str, lines: list[str]) -> list[str]:
    if name == "gaussian_saturated":
        # a saturated fit: the residual deviance (and so the AIC) is rounding noise,
        # ~1e-30 in both R and aurora but not the same noise
        return [l for l in lines if not l.startswith(("Residual", "AIC"))]
    return lines


@pytest.mark.parametrize("name", NAMES)
def test_print_is_r_print_glm(name):
    ours = _quiet(lambda: str(_model(name)))
    assert _comparable(name, _lines(ours)) == _comparable(name, _lines(CASES[name]["print_text"]))


@pytest.mark.parametrize("name", NAMES)
def test_summary_is_r_print_summary_glm(name):
    ours = _quiet(lambda: str(_model(name).summary()))
    theirs = CASES[name]["summary_text"]
    assert _comparable(name, _lines(ours)) == _comparable(name, _lines(theirs))


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n]["anova_test"]])
def test_anova_is_r_print_anova(name):
    case = CASES[name]
    ours = _quiet(lambda: str(_model(name).anova(test=case["anova_test"])))
    assert _lines(ours) == _lines(case["anova_text"])


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n]["compare"]])
def test_anova_comparison_is_r(name):
    case = CASES[name]
    cmp = case["compare"]
    other = _quiet(lambda: _fit(cmp["aurora"], _data(case)))
    ours = _quiet(lambda: str(_model(name).anova(other, test=cmp["test"])))
    assert _lines(ours) == _lines(cmp["text"])


def _r_print_call(case: dict) -> str:
    """The call in R's ``print(fit)``: from "Call:  " to the first blank line."""
    lines = case["print_text"].split("\n")  # "", "Call:  glm(...", ..., "", "Coefficients:"
    return "\n".join(lines[1:lines.index("", 1)])[len("Call:  "):]


# R's calls there name packages (MASS::glm.nb, mgcv::Tweedie) or a mask's column; the
# rest must be R's text exactly, line breaks included
_REFERENCE_CALLS = [c["name"] for c in glm_cases()
                    if "::" not in c["print_text"] and not c.get("subset_column")]


@pytest.mark.parametrize("name", _REFERENCE_CALLS)
def test_reference_case_call_lines(name):
    """The call of every glm_reference case (family objects print as R's calls,
    ``poisson()``, ``binomial(link = "probit")``) is the one in R's ``print(fit)``."""
    case = next(c for c in glm_cases() if c["name"] == name)
    assert fit_case(name).call == _r_print_call(case)


# --- the deparser alone: R's own output for each rule ---------------------------------

@pytest.mark.parametrize("text, r", [
    ("y~x+I(x^2)", "y ~ x + I(x^2)"),
    ("log(y)~x", "log(y) ~ x"),
    ("y ~ Eth*Lrn", "y ~ Eth * Lrn"),
    ("y ~ a:b + a %in% b + a/b - 1 + x^2 + (a+b)^2", "y ~ a:b + a %in% b + a/b - 1 + x^2 + (a + b)^2"),
    ("y ~ poly(x,3) + ns(x,df=3) + I(x== 2) + I(x!=2) + I(x>=1) + -x",
     "y ~ poly(x, 3) + ns(x, df = 3) + I(x == 2) + I(x != 2) + I(x >= 1) + -x"),
    ("y ~ offset(log(expo)) + I(x*2) + I(x/2) + I(x-1) + I(2^-1)",
     "y ~ offset(log(expo)) + I(x * 2) + I(x/2) + I(x - 1) + I(2^-1)"),
    ("y ~ I(x^-1) + I(-x^2) + I((x+1)^2) + I(1e-3*x) + I(x %% 2) + I(x %/% 2)",
     "y ~ I(x^-1) + I(-x^2) + I((x + 1)^2) + I(0.001 * x) + I(x%%2) + I(x%/%2)"),
    ("y ~ x + I(3.0 * x) + I(.5*x) + I(1L*x) + I(TRUE) + I('a')",
     'y ~ x + I(3 * x) + I(0.5 * x) + I(1L * x) + I(TRUE) + I("a")'),
    ("y ~ x + `my var` + f[1] + x$y + x[ , 1]", "y ~ x + `my var` + f[1] + x$y + x[, 1]"),
    ("y ~ x + I(x < 2 & x > 0) + I(!a) + I(a||b) + a|b", "y ~ x + I(x < 2 & x > 0) + I(!a) + I(a || b) + a | b"),
    ("y~.-x", "y ~ . - x"),
    ("~x", "~x"),
    ("y ~ 0 + x", "y ~ 0 + x"),
    ('y ~ s(x, k=-1, bs="cr")', 'y ~ s(x, k = -1, bs = "cr")'),
    ("y ~ x**2", "y ~ x^2"),
])
def test_formula_deparse(text, r):
    assert deparse_formula(text) == r


def test_deparse_breaks_lines_as_r():
    # R 4.2: print(quote(y ~ poly(x, 3) + ns(x, df=3) + f(x,3) + -x + I(-x) + I(x== 2) + ...))
    text = "y ~ poly(x, 3) + ns(x, df=3) + f(x,3) + -x + I(-x) + I(x== 2) + I(x!=2) + I(x>=1)"
    assert deparse(parse_r(text)) == ("y ~ poly(x, 3) + ns(x, df = 3) + f(x, 3) + -x + I(-x) + I(x == \n"
                                      "    2) + I(x != 2) + I(x >= 1)")


def test_deparse_numbers():
    # R: deparse(c(0.1, 1/3, 1e-20, 100000, 123456.7, 2))
    got = [deparse_number(v) for v in (0.1, 1 / 3, 1e-20, 100000.0, 123456.7, 2.0)]
    assert got == ["0.1", "0.333333333333333", "1e-20", "1e+05", "123456.7", "2"]


def test_calls_as_r():
    # R 4.2: print(quote(glm(...))) for each, the data frame renamed `data`
    assert glm_call("Days ~ Eth", "poisson", weights="rep(1:2, length.out=146)",
                    start=[2.5, -0.1], offset="lg") == (
        "glm(formula = Days ~ Eth, family = poisson, data = data, weights = rep(1:2, \n"
        "    length.out = 146), start = c(2.5, -0.1), offset = lg)")
    assert glm_call("cbind(ncases, ncontrols) ~ agegp + tobgp * alcgp", "binomial",
                    link="logit", weights="w", start=[0.1, 0.2, 0.3], offset="log(expo)") == (
        "glm(formula = cbind(ncases, ncontrols) ~ agegp + tobgp * alcgp, \n"
        '    family = binomial(link = "logit"), data = data, weights = w, \n'
        "    start = c(0.1, 0.2, 0.3), offset = log(expo))")
    assert glm_nb_call("Days ~ Eth*Lrn", 1.1393911154, weights="rep(1:2, length.out=146)") == (
        "glm.nb(formula = Days ~ Eth * Lrn, data = data, weights = rep(1:2, \n"
        "    length.out = 146), init.theta = 1.139391115, link = log)")
    assert glm_nb_call("Days ~ Eth", 1.157165436, link="sqrt") == (
        "glm.nb(formula = Days ~ Eth, data = data, link = sqrt, init.theta = 1.157165436)")


def test_arrays_print_as_argument_names():
    """Arrays have no R expression: they print as the argument's name."""
    d = aurora.datasets.load("InsectSprays")
    m = _quiet(lambda: aurora.glm("count ~ spray", d, family="poisson",
                                  weights=np.ones(len(d)), offset=np.zeros(len(d))))
    assert m.call == ("glm(formula = count ~ spray, family = poisson, data = data, weights = weights, \n"
                      "    offset = offset)")


def test_signif_as_r():
    # R: signif(c(124856.3, 124850, 0.000123456, 1234567), c(4, 4, 3, 4))
    assert [signif(124856.3, 4), signif(124850, 4), signif(0.000123456, 3),
            signif(1234567, 4)] == [124900.0, 124800.0, 0.000123, 1235000.0]


def test_print_matrix_wraps_at_80_columns():
    # R: print(m, quote = FALSE, right = TRUE) puts "third" on the first line for a
    # 60-character row name (79 columns) and wraps it for 61 (80 columns)
    assert len(print_matrix(["a" * 60, "b"], ["first", "second", "third"],
                            [["1.00", "2.00", "3.00"], ["4.00", "5.00", "6.00"]]).split("\n")) == 3
    names = ["a" * 61, "b"]
    cells = [["1.00", "2.00", "3.00"], ["4.00", "5.00", "6.00"]]
    text = print_matrix(names, ["first", "second", "third"], cells)
    lines = text.split("\n")
    assert len(lines) == 6 and all(len(line) < 80 for line in lines)
    assert lines[0].split() == ["first", "second"] and lines[3].split() == ["third"]
