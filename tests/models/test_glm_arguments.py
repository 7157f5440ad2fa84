"""glm's other arguments (subset, na_action="exclude", control), pandas in and out, and
the input checks of issue 9 that need no R reference (the numbers are in
test_glm_reference.py)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import DataError, FormulaSyntaxError, ModelSpecError


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    out = pd.DataFrame({"x": rng.normal(size=n), "f": rng.choice(list("abc"), n),
                        "w": rng.uniform(0.5, 2, n)},
                       index=[f"r{i}" for i in range(n)])
    out["y"] = 1 + 2 * out["x"] + (out["f"] == "b") + rng.normal(scale=0.3, size=n)
    out["count"] = rng.poisson(np.exp(0.5 + 0.3 * out["x"]))
    return out


def test_subset_expression_equals_subsetting_the_data(df):
    a = aurora.glm("y ~ x + f", df, subset="x > -0.5 & f != 'c'")
    b = aurora.glm("y ~ x + f", df[(df.x > -0.5) & (df.f != "c")])
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)
    assert a.nobs == b.nobs < len(df)
    assert list(a.fitted.index) == list(b.fitted.index)


def test_subset_mask_and_weights_follow_the_rows(df):
    mask = (df.x > 0).to_numpy()
    a = aurora.glm("y ~ x", df, weights=df["w"].to_numpy(), subset=mask)
    b = aurora.glm("y ~ x", df[mask], weights="w")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


def test_subset_selecting_no_rows_is_refused(df):
    with pytest.raises(DataError, match="subset selects no rows"):
        aurora.glm("y ~ x", df, subset="x > 100")


def test_na_action_exclude_pads_per_row_results(df):
    d = df.copy()
    d.loc["r3", "x"] = np.nan
    d.loc["r10", "y"] = np.nan
    omit = aurora.glm("y ~ x + f", d)
    excl = aurora.glm("y ~ x + f", d, na_action="exclude")
    np.testing.assert_allclose(omit.params, excl.params, rtol=1e-14)
    for series in (excl.fitted, excl.residuals("deviance"), excl.residuals("pearson"),
                   excl.predict(), excl.predict(type="response")):
        assert list(series.index) == list(d.index)
        assert np.isnan(series["r3"]) and np.isnan(series["r10"])
        assert np.isfinite(series.drop(["r3", "r10"])).all()
    np.testing.assert_allclose(excl.fitted.dropna(), omit.fitted, rtol=1e-14)
    infl = excl.influence()
    assert list(infl.index) == list(d.index)
    assert infl.loc["r3", "hat"] == 0 and np.isnan(infl.loc["r3", "cooks_d"])
    assert list(omit.fitted.index) == [i for i in d.index if i not in ("r3", "r10")]


def test_unknown_na_action_lists_the_valid_values(df):
    with pytest.raises(DataError, match="'omit', 'exclude', 'raise'"):
        aurora.glm("y ~ x", df, na_action="bogus")


def test_control_dict_and_direct_arguments(df):
    from aurora.errors import ConvergenceWarning

    with pytest.warns(ConvergenceWarning):
        a = aurora.glm("count ~ x", df, family="poisson", control={"epsilon": 1e-30, "maxit": 3})
    with pytest.warns(ConvergenceWarning):
        b = aurora.glm("count ~ x", df, family="poisson", epsilon=1e-30, maxit=3)
    assert a.n_iter == b.n_iter == 3 and not a.converged
    assert a.control.maxit == 3
    with pytest.raises(DataError, match="unknown control"):
        aurora.glm("count ~ x", df, family="poisson", control={"eps": 1})
    with pytest.raises(DataError, match="epsilon must be > 0"):
        aurora.glm("count ~ x", df, family="poisson", control={"epsilon": 0})


def test_pandas_out_on_the_data_labels(df):
    m = aurora.glm("y ~ x + f", df)
    assert isinstance(m.fitted, pd.Series) and list(m.fitted.index) == list(df.index)
    assert isinstance(m.residuals(), pd.Series) and m.residuals().index.equals(df.index)
    assert m.predict().index.equals(df.index)
    new = df.iloc[[5, 2]]
    p = m.predict(new, type="response", se_fit=True)
    assert list(p.index) == ["r5", "r2"] and list(p.columns) == ["fit", "se_fit", "residual_scale"]
    assert m.influence().index.equals(df.index)


def test_infinite_values_are_refused_with_their_rows(df):
    d = df.copy()
    d.loc["r4", "x"] = np.inf
    with pytest.raises(DataError, match=r"column 'x' has infinite values in 1 row\(s\): 'r4'"):
        aurora.glm("y ~ x", d)
    w = np.ones(len(df))
    w[2] = np.inf
    with pytest.raises(DataError, match="weights has infinite values"):
        aurora.glm("y ~ x", df, weights=w)
    with pytest.raises(DataError, match="offset has infinite values"):
        aurora.glm("y ~ x", df, offset=w)
    d = df.copy()
    d["o"] = 0.0
    d.loc["r1", "o"] = -np.inf
    with pytest.raises(DataError, match="infinite"):
        aurora.glm("y ~ x", d, offset="o")


def test_nan_stays_missing_and_is_counted(df):
    d = df.copy()
    d.loc["r4", "x"] = np.nan
    m = aurora.glm("y ~ x", d)
    assert m.n_omitted == 1 and m.nobs == len(df) - 1


def test_datetime_and_timedelta_columns_enter_as_seconds(df):
    d = df.copy()
    start = pd.Timestamp("2024-01-01", tz="UTC")
    d["when"] = start + pd.to_timedelta(np.arange(len(d)) * 3600.0, unit="s")
    d["dur"] = pd.to_timedelta(np.arange(len(d)) * 3600.0, unit="s")
    d["secs"] = (d["when"] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    a = aurora.glm("y ~ when", d)
    b = aurora.glm("y ~ secs", d)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)
    c = aurora.glm("y ~ dur", d)
    assert c.params["dur"] == pytest.approx(b.params["secs"], rel=1e-10)
    # prediction on new datetimes uses the same scale
    new = d.iloc[[0, 3]]
    np.testing.assert_allclose(a.predict(new), b.predict(new), rtol=1e-12)


def test_predict_with_missing_factor_value_is_nan(df):
    m = aurora.glm("y ~ x + f", df)
    new = pd.DataFrame({"x": [0.1, 0.2, np.nan], "f": ["a", None, "b"]})
    p = m.predict(new)
    assert np.isfinite(p.iloc[0]) and np.isnan(p.iloc[1]) and np.isnan(p.iloc[2])
    se = m.predict(new, se_fit=True)
    assert np.isnan(se["se_fit"].iloc[1])


def test_binomial_zero_weight_rows_get_y_zero():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=30)})
    d["y"] = (rng.uniform(size=30) < 0.5).astype(float)
    d["w"] = 1.0
    d.loc[d.index[:4], "w"] = 0.0
    d.loc[d.index[:4], "y"] = 1.0
    m = aurora.glm("y ~ x", d, family="binomial", weights="w")
    assert np.all(m.y[:4] == 0.0)
    r = m.residuals("response")
    np.testing.assert_allclose(r.iloc[:4], -m.fitted.iloc[:4], rtol=1e-14)


def test_terms_with_standard_errors(df):
    m = aurora.glm("y ~ x + f", df)
    p = m.predict(df.iloc[:5], type="terms", se_fit=True)
    assert list(p["fit"].columns) == ["x", "f"] and list(p["se_fit"].columns) == ["x", "f"]
    # x's term: centred column times its coefficient, se = |x - mean| * se(beta_x)
    xc = df["x"].iloc[:5] - df["x"].mean()
    np.testing.assert_allclose(p["se_fit"]["x"], np.abs(xc) * m.bse["x"], rtol=1e-10)
    np.testing.assert_allclose(p["fit"]["x"], xc * m.params["x"], rtol=1e-10)


def test_unknown_function_has_a_caret_and_the_list(df):
    with pytest.raises(FormulaSyntaxError) as info:
        aurora.glm("y ~ x + foo(x)", df)
    text = str(info.value)
    lines = text.split("\n")
    caret = next(line for line in lines if line.strip() == "^")
    formula_line = next(line for line in lines if "foo(x)" in line and "~" in line)
    assert formula_line[caret.index("^"):].startswith("foo(")
    assert "factor" in text and "ns" in text and "cut" in text


def test_unknown_function_in_response_is_refused(df):
    with pytest.raises(FormulaSyntaxError, match="bar"):
        aurora.glm("bar(y) ~ x", df)


def test_dot_needs_other_columns():
    with pytest.raises(ModelSpecError, match="no column besides the response"):
        aurora.glm("y ~ .", pd.DataFrame({"y": [1.0, 2.0, 3.0]}))


def test_dot_expands_to_the_other_columns(df):
    d = df[["y", "x", "f"]]
    a = aurora.glm("y ~ .", d)
    b = aurora.glm("y ~ x + f", d)
    assert list(a.params.index) == list(b.params.index)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-13)
    c = aurora.glm("y ~ . - f", d)
    assert list(c.params.index) == ["(Intercept)", "x"]


def test_no_runtime_warning_from_a_normal_fit(df):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = aurora.glm("count ~ x + f", df, family="poisson")
        str(m.summary())
        m.influence()
        m.residuals("pearson")


def test_empty_model_as_r_glm_fit():
    """``y ~ 0`` (R's EMPTY branch of glm.fit): eta is the offset, 0 iterations, no
    warning; for a Gaussian the deviance is then sum(y^2)."""
    mt = aurora.datasets.load("mtcars")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = aurora.glm("mpg ~ 0", mt)
    assert m.n_iter == 0 and m.converged and len(m.params) == 0
    assert m.deviance == pytest.approx(float((mt["mpg"] ** 2).sum()), rel=1e-14)
    assert "No Coefficients" in str(m.summary()) and "No coefficients" in str(m)
    p = aurora.glm("count ~ 0", aurora.datasets.load("InsectSprays"), family="poisson",
                   offset=np.full(72, np.log(10.0)))
    assert np.allclose(p.fitted, 10.0)
