"""R's formula functions and glm's other arguments in ``aurora.glm`` (issue 9).

The numbers of every reference case are checked by ``test_glm_reference.py``. This file
adds what that generic harness does not: every function of the issue has an R case,
coefficient names are exactly R's, predictions replay the state learnt on the data
(spline knots, cut breaks, centre and scale, factor levels) on any new rows, and bad
input raises the errors the issue asks for.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import AuroraError, DataError, FormulaSyntaxError
from reference import case_by_name, case_data, case_newdata, fit_case

# R function -> the reference case that uses it
FUNCTIONS = {
    ".": "gaussian_dot_all",
    "factor": "birthwt_binomial",
    "as.factor": "gaussian_factor_conversions",
    "as.numeric": "gaussian_factor_conversions",
    "relevel": "plantgrowth_relevel",
    "ns": "gaussian_splines_df",
    "bs": "poisson_splines_knots",
    "sqrt": "gaussian_math_functions",
    "exp": "gaussian_math_functions",
    "log": "gaussian_math_functions",
    "log1p": "gaussian_math_functions",
    "expm1": "gamma_math_functions2",
    "abs": "gamma_math_functions2",
    "sin": "gamma_math_functions2",
    "cos": "gamma_math_functions2",
    "pmin": "gaussian_pmin_pmax_ifelse",
    "pmax": "gaussian_pmin_pmax_ifelse",
    "ifelse": "gaussian_pmin_pmax_ifelse",
    "cut": "binomial_cut_breaks",
    "interaction": "gaussian_interaction_ifelse",
    "scale": "poisson_scale",
    "I": "gaussian_arithmetic_in_calls",
    "poly": "trees_poly_raw",
}
# glm argument (case JSON field) -> the reference case that uses it
ARGUMENTS = {
    "subset": "mtcars_subset_expr",
    "subset_column": "gaussian_subset_column",
    "na_action": "airquality_na_exclude",
    "control": "gamma_control",
    "start": "poisson_start",
    "datetime_columns": "gaussian_datetime",
}
NEW_CASES = [
    "gaussian_dot_all", "mtcars_dot", "gaussian_factor_conversions", "gaussian_splines_df",
    "poisson_splines_knots", "gaussian_math_functions", "gamma_math_functions2",
    "gaussian_pmin_pmax_ifelse", "binomial_cut_breaks", "gaussian_interaction_ifelse",
    "poisson_scale", "gaussian_arithmetic_in_calls", "gaussian_sqrt_response",
    "trees_loglog", "trees_poly_raw", "birthwt_binomial", "toothgrowth_factor_dose",
    "plantgrowth_relevel", "mtcars_subset_expr", "binomial_subset_compound",
    "gaussian_subset_column", "airquality_na_exclude", "gamma_control", "poisson_start",
    "binomial_zero_weights", "gaussian_datetime", "poisson_factor_newdata_na",
]
# cases whose terms keep state learnt on the data (knots, breaks, centre and scale, levels)
STATEFUL = [
    "gaussian_splines_df", "poisson_splines_knots", "binomial_cut_breaks", "poisson_scale",
    "gaussian_factor_conversions", "gaussian_interaction_ifelse", "birthwt_binomial",
    "toothgrowth_factor_dose", "plantgrowth_relevel", "trees_poly_raw", "gaussian_dot_all",
]


def _close(actual, expected, rtol=1e-6, atol=1e-9, what=""):
    expected = np.array([np.nan if v is None else v for v in expected], dtype=float)
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=rtol,
                               atol=atol, equal_nan=True, err_msg=what)


def _fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aurora.glm(*args, **kwargs)


def _frame(n: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    return pd.DataFrame({
        "y": 1 + 0.3 * x + rng.normal(size=n),
        "x": x,
        "z": rng.normal(size=n),
        "g": pd.Categorical(rng.choice(["a", "b", "c"], n)),
    })


# -- every function and argument has an R reference case ------------------------------

@pytest.mark.parametrize(("function", "name"), FUNCTIONS.items())
def test_every_function_has_a_reference_case(function, name):
    formula = case_by_name(name)["formula"]
    if function == ".":
        assert re.search(r"~\s*\.\s*$", formula)
    else:
        assert re.search(rf"(?<![\w.]){re.escape(function)}\(", formula), formula


@pytest.mark.parametrize(("field", "name"), ARGUMENTS.items())
def test_every_argument_has_a_reference_case(field, name):
    assert case_by_name(name).get(field) is not None


def test_reference_names_as_the_issue_gives_them():
    assert {"factor(race)2", "I(ptl > 0)TRUE"} <= set(case_by_name("birthwt_binomial")["coef_names"])
    assert {"factor(dose)1", "factor(dose)2"} <= set(
        case_by_name("toothgrowth_factor_dose")["coef_names"])
    assert 'relevel(group, ref = "trt1")ctrl' in case_by_name("plantgrowth_relevel")["coef_names"]
    assert "cut(z, breaks = c(0, 2, 5, 10))(2,5]" in case_by_name("binomial_cut_breaks")["coef_names"]


# -- coefficient names exactly as R's ---------------------------------------------------

@pytest.mark.parametrize("name", NEW_CASES)
def test_coefficient_names_as_r(name):
    m = fit_case(name)
    assert list(m.params.index) == case_by_name(name)["coef_names"]


# -- predictions replay the data's state on any new rows --------------------------------

@pytest.mark.parametrize("name", STATEFUL)
def test_predict_one_row_at_a_time(name):
    """A single new row has no range, no quantiles and one level: everything must come
    from the fit."""
    case = case_by_name(name)
    m = fit_case(name)
    new = case_newdata(case)
    ours = [float(np.asarray(m.predict(new.iloc[[i]], type="link"))[0]) for i in range(len(new))]
    _close(ours, case["predict"]["link"], what="one row at a time")


@pytest.mark.parametrize("name", STATEFUL)
def test_predict_rows_reversed(name):
    case = case_by_name(name)
    m = fit_case(name)
    new = case_newdata(case).iloc[::-1]
    _close(m.predict(new, type="link"), case["predict"]["link"][::-1], what="reversed")


@pytest.mark.parametrize("name", STATEFUL)
def test_predict_on_the_data_gives_the_linear_predictors(name):
    """The data themselves as new data (reversed) give R's linear predictors."""
    case = case_by_name(name)
    m = fit_case(name)
    data = case_data(case).iloc[::-1]
    _close(m.predict(data, type="link"), case["linear_predictors"][::-1], what="data as new")


# -- glm's arguments: equivalent spellings -----------------------------------------------

def test_subset_expression_equals_mask_and_dropped_rows():
    d = _frame()
    by_text = _fit("y ~ x + g", d, subset="x > 3")
    by_mask = _fit("y ~ x + g", d, subset=(d["x"] > 3).to_numpy())
    by_rows = _fit("y ~ x + g", d[d["x"] > 3])
    for m in (by_text, by_mask):
        np.testing.assert_allclose(m.params, by_rows.params, rtol=1e-10)
        assert m.nobs == by_rows.nobs


def test_na_exclude_pads_on_the_row_labels():
    d = _frame()
    d.index = pd.RangeIndex(1000, 1000 + len(d))
    d.loc[[1003, 1011], "x"] = np.nan
    d.loc[1020, "y"] = np.nan
    dropped = [1003, 1011, 1020]
    m = _fit("y ~ x + g", d, family="gaussian", na_action="exclude")
    m_omit = _fit("y ~ x + g", d, family="gaussian", na_action="omit")
    kept = d.index.difference(dropped)
    for what, values in [("fitted", m.fitted), ("residuals", m.residuals("deviance")),
                         ("pearson", m.residuals("pearson"))]:
        assert isinstance(values, pd.Series), what
        assert values.index.equals(d.index), what
        assert values.loc[dropped].isna().all(), what
        assert not values.loc[kept].isna().any(), what
    np.testing.assert_allclose(m.fitted.loc[kept], np.asarray(m_omit.fitted), rtol=1e-12)
    infl = m.influence()
    assert infl.index.equals(d.index)
    assert infl.loc[dropped, "cooks_d"].isna().all()
    pred = np.asarray(m.predict(type="response"), dtype=float)
    assert pred.shape == (len(d),) and np.isnan(pred[[3, 11, 20]]).all()
    assert m.n_omitted == 3 and m.nobs == len(d) - 3


def test_timedelta_enters_as_seconds():
    d = _frame()
    d["dt"] = pd.to_timedelta(d["x"] * 3600, unit="s")
    d["secs"] = d["x"] * 3600
    a = _fit("y ~ dt", d)
    b = _fit("y ~ secs", d)
    np.testing.assert_allclose(np.asarray(a.params), np.asarray(b.params), rtol=1e-8)


def test_datetime_is_the_same_instant_in_any_time_zone():
    d = _frame()
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(d["x"] * 86400 * 30, unit="s")
    d["t_utc"] = t
    d["t_ny"] = t.dt.tz_convert("America/New_York")
    a = _fit("y ~ t_utc", d)
    b = _fit("y ~ t_ny", d)
    np.testing.assert_allclose(np.asarray(a.params), np.asarray(b.params), rtol=1e-8)


# -- bad input ----------------------------------------------------------------------------

def _reason(err: Exception) -> str:
    """The first line of an error: what is wrong, without the echoed formula (whose text
    would otherwise match any word of the formula) and the fix."""
    text = str(err)
    assert "unknown function" not in text, text  # the function itself must be known
    return text.split("\n")[0]


def test_unknown_function_points_at_it_and_lists_the_known_ones():
    formula = "y ~ x + foo(z)"
    with pytest.raises(FormulaSyntaxError) as info:
        _fit(formula, _frame())
    text = str(info.value)
    lines = text.split("\n")
    row = next(i for i, line in enumerate(lines) if line.strip() == formula)
    assert lines[row + 1].index("^") == lines[row].index("foo")
    for known in ("log", "sqrt", "exp", "ns", "bs", "cut", "relevel", "factor", "scale", "poly"):
        assert re.search(rf"(?<![\w.]){re.escape(known)}(?![\w.])", text), known


def test_relevel_to_a_missing_level_names_it():
    plants = aurora.datasets.load("PlantGrowth")
    with pytest.raises(AuroraError) as info:
        _fit('weight ~ relevel(group, ref = "trt9")', plants)
    assert "trt9" in _reason(info.value)


def test_ns_with_more_df_than_unique_values():
    d = _frame()
    d["x"] = np.tile([1.0, 2.0, 3.0], len(d))[: len(d)]
    with pytest.raises(AuroraError) as info:
        _fit("y ~ ns(x, df = 5)", d)
    assert re.search(r"\bdf\b|unique|distinct", _reason(info.value))


@pytest.mark.parametrize("term", ["cut(x, breaks = 1)", "cut(x, breaks = 0)"])
def test_cut_with_fewer_than_two_breaks(term):
    with pytest.raises(AuroraError) as info:
        _fit(f"y ~ {term}", _frame())
    assert re.search(r"breaks|interval", _reason(info.value))


def test_dot_with_only_the_response():
    with pytest.raises(AuroraError) as info:
        _fit("y ~ .", _frame()[["y"]])
    assert "response" in _reason(info.value)


@pytest.mark.parametrize("subset", ["x > 100", "mask"])
def test_subset_selecting_no_rows(subset):
    d = _frame()
    if subset == "mask":
        subset = np.zeros(len(d), dtype=bool)
    with pytest.raises(AuroraError) as info:
        _fit("y ~ x", d, subset=subset)
    assert "subset" in _reason(info.value)


def test_unknown_na_action_lists_the_valid_ones():
    with pytest.raises(DataError) as info:
        _fit("y ~ x", _frame(), na_action="bogus")
    text = str(info.value)
    assert "bogus" in text and "omit" in text and "exclude" in text


@pytest.mark.parametrize(("argument", "column"), [("weights", "w"), ("offset", "off")])
def test_infinite_weight_or_offset_names_argument_and_rows(argument, column):
    d = _frame()
    d["w"] = 1.0
    d["off"] = 0.0
    d.loc[[13, 27], column] = [np.inf, -np.inf] if column == "off" else np.inf
    with pytest.raises(DataError) as info:
        _fit("y ~ x", d, **{argument: column})
    text = str(info.value)
    assert argument in text
    assert re.search(r"\b13\b", text) and re.search(r"\b27\b", text)


@pytest.mark.parametrize("column", ["x", "y"])
def test_infinite_value_in_a_used_column_names_column_and_rows(column):
    d = _frame()
    d.loc[[7, 19], column] = [np.inf, -np.inf]
    with pytest.raises(DataError) as info:
        _fit("y ~ x + g", d)
    text = str(info.value)
    assert re.search(rf"\b{column}\b", text)
    assert re.search(r"\b7\b", text) and re.search(r"\b19\b", text)


def test_infinite_value_in_an_unused_column_is_ignored():
    d = _frame()
    d.loc[5, "z"] = np.inf
    m = _fit("y ~ x + g", d)
    assert m.nobs == len(d)


def test_nan_stays_missing_omitted_and_counted():
    d = _frame()
    d.loc[[3, 9], "x"] = np.nan
    m = _fit("y ~ x + g", d)
    assert m.n_omitted == 2 and m.nobs == len(d) - 2
    ref = _fit("y ~ x + g", d.dropna())
    np.testing.assert_allclose(m.params, ref.params, rtol=1e-12)
