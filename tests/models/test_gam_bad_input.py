"""aurora.gam refuses bad input with typed errors that name the problem (issue 10)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import AuroraError, DataError, ModelSpecError, UnknownVariableError


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    n = 80
    d = pd.DataFrame({"x": rng.uniform(size=n), "z": rng.uniform(size=n),
                      "f": rng.choice(list("abc"), n), "c": 1.0})
    d["y"] = np.sin(4 * d.x) + rng.normal(scale=0.2, size=n)
    return d


def test_k_larger_than_unique_values_names_the_term(df):
    d = df.copy()
    d["x"] = np.round(d["x"] * 4) / 4  # 5 unique values
    with pytest.raises(DataError, match=r"s\(x\)"):
        aurora.gam("y ~ s(x, bs = 'cr', k = 10)", d)


def test_smooth_of_a_factor_or_a_constant(df):
    with pytest.raises(DataError, match="factor"):
        aurora.gam("y ~ s(f)", df)
    with pytest.raises(AuroraError):
        aurora.gam("y ~ s(c)", df)


def test_unknown_basis_lists_the_valid_ones(df):
    with pytest.raises(AuroraError, match="cr") as info:
        aurora.gam("y ~ s(x, bs = 'zz')", df)
    assert "tp" in str(info.value)


def test_more_coefficients_than_data(df):
    with pytest.raises(DataError, match="more coefficients"):
        aurora.gam("y ~ s(x, k = 40) + s(z, k = 45)", df.iloc[:60])


def test_knots_for_a_variable_not_in_the_model(df):
    with pytest.raises(ModelSpecError, match="knots"):
        aurora.gam("y ~ s(x, bs = 'cr')", df, knots={"w": [0, 0.5, 1]})


def test_missing_smooth_covariate_in_newdata(df):
    m = aurora.gam("y ~ s(x) + s(z)", df)
    with pytest.raises(UnknownVariableError, match="z"):
        m.predict(pd.DataFrame({"x": [0.5]}))


def test_newdata_outside_the_range_extrapolates(df):
    m = aurora.gam("y ~ s(x, bs = 'cr')", df)
    p = m.predict(pd.DataFrame({"x": [-0.5, 1.5]}))
    assert np.isfinite(p).all()


def test_nan_in_a_smooth_covariate_is_omitted_or_raised(df):
    d = df.copy()
    d.loc[[3, 7], "x"] = np.nan
    m = aurora.gam("y ~ s(x)", d)
    assert m.nobs == len(d) - 2
    with pytest.raises(DataError):
        aurora.gam("y ~ s(x)", d, na_action="raise")


def test_unknown_method(df):
    with pytest.raises(DataError, match="REML"):
        aurora.gam("y ~ s(x)", df, method="AIC")


def test_glm_points_smooths_to_gam(df):
    with pytest.raises(ModelSpecError, match="aurora.gam"):
        aurora.glm("y ~ s(x)", df)


def test_id_linking_different_covariates_with_a_by_variable_is_refused(df):
    from aurora.errors import ModelSpecError

    d = df.assign(f=pd.Categorical(np.where(np.arange(len(df)) % 2 == 0, "a", "b")))
    with pytest.raises(ModelSpecError, match="by variable"):
        aurora.gam("y ~ f + s(x, id = 1) + s(z, by = f, id = 1)", d)
