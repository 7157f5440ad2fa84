"""Save/load round trips (identical predictions), bad files, read_csv and coefficient export."""
from __future__ import annotations

import io
import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import AuroraError, DataError
from aurora.io import FORMAT_VERSION, export_coefficients, load, read_csv, save_result
from aurora.models.glm import fit_glm
from reference import case_by_name, case_newdata, fit_case

# factor, interaction, poly()/I()/log()/C(), offset() term and offset= argument,
# binomial cbind, NB with theta estimated and fixed, Tweedie, power link, no intercept,
# rank deficiency, real datasets
ROUND_TRIP = ["gaussian_identity_interaction", "gaussian_poly_terms", "poisson_offset_formula",
              "poisson_weights_offset_arg", "binomial_cloglog_cbind", "negbin_theta_estimated",
              "negbin_theta_fixed", "tweedie_p15_log", "gaussian_power_third",
              "gaussian_no_intercept", "gaussian_rank_deficient", "dobson_poisson",
              "warpbreaks_negbin"]


def _predict_all(m, new):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = [m.predict(new), m.predict(new, type="response")]
        out.append(m.predict(new, type="response", se_fit=True).to_numpy())
        out.extend(m.predict(new, type="response", interval="confidence"))
        return out


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_predicts_identically(name, tmp_path):
    m = fit_case(name)
    path = tmp_path / f"{name}.aurora"
    m.save(path)
    m2 = aurora.load(path)
    new = case_newdata(case_by_name(name))
    for a, b in zip(_predict_all(m, new), _predict_all(m2, new)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    pd.testing.assert_series_equal(m2.params, m.params)
    pd.testing.assert_frame_equal(m2.vcov(), m.vcov())
    np.testing.assert_array_equal(m2.fitted, m.fitted)
    assert m2.family == m.family and m2.theta == m.theta
    assert (m2.deviance, m2.aic, m2.df_residual) == (m.deviance, m.aic, m.df_residual)
    assert m2.plan.spec.levels == m.plan.spec.levels
    assert str(m2.summary()) == str(m.summary())


def test_round_trip_keeps_inference(tmp_path):
    m = fit_case("poisson_factorial_2x3")
    save_result(m, tmp_path / "m.aurora")
    m2 = load(tmp_path / "m.aurora")
    pd.testing.assert_frame_equal(m2.anova(test="Chisq"), m.anova(test="Chisq"))
    pd.testing.assert_frame_equal(m2.influence(), m.influence())


def test_matrix_level_fit_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"dose": rng.uniform(0, 2, 40), "age": rng.uniform(20, 60, 40)})
    y = rng.poisson(np.exp(0.3 + 0.5 * X["dose"]))
    m = fit_glm(X, y, family="poisson")
    m.save(tmp_path / "mat.aurora")
    m2 = load(tmp_path / "mat.aurora")
    assert list(m2.params.index) == ["intercept", "dose", "age"]
    Xn = X.iloc[:5].to_numpy()
    np.testing.assert_array_equal(m2.predict(Xn, type="response"), m.predict(Xn, type="response"))


def test_the_file_is_json_npy_and_checksums_only(tmp_path):
    path = tmp_path / "m.aurora"
    fit_case("gaussian_poly_terms").save(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta = json.loads(zf.read("aurora.json"))
        for n in names:
            if n.endswith(".npy"):
                np.load(io.BytesIO(zf.read(n)), allow_pickle=False)
    assert names[0] == "aurora.json" and names[-1] == "SHA256SUMS"  # text, checksums of the rest
    assert all(n.startswith("arrays/") and n.endswith(".npy") for n in names[1:-1])
    assert meta["format"] == "aurora-result" and meta["version"] == FORMAT_VERSION
    assert meta["description"]["coefficients"][1] == "poly(x1, 3)1"


def test_new_levels_still_refused_after_load(tmp_path):
    name = "gaussian_identity_interaction"
    fit_case(name).save(tmp_path / "m.aurora")
    m2 = load(tmp_path / "m.aurora")
    new = case_newdata(case_by_name(name)).copy()
    new["f"] = "Z"
    with pytest.raises(DataError, match="new level"):
        m2.predict(new)


# ---------------------------------------------------------------- saving
def test_user_family_cannot_be_saved(tmp_path):
    from aurora.distributions.families import PoissonFamily

    class MyPoisson(PoissonFamily):
        pass

    d = aurora.datasets.load("InsectSprays")
    m = aurora.glm("count ~ spray", d, family=MyPoisson())
    with pytest.raises(AuroraError, match="not a registered"):
        m.save(tmp_path / "u.aurora")
    assert not (tmp_path / "u.aurora").exists()


# ---------------------------------------------------------------- csv helpers
def test_read_csv_makes_sorted_factors(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("y,g,x\n1,b,0.5\n2,a,1.5\n3,,2.5\n4,c,3.5\n")
    df = read_csv(p)
    assert list(df["g"].cat.categories) == ["a", "b", "c"]
    assert df["g"].isna().sum() == 1 and df["x"].dtype == float


def test_export_coefficients_csv_and_json(tmp_path):
    m = fit_case("binomial_logit")
    table = export_coefficients(m, tmp_path / "c.csv")
    back = pd.read_csv(tmp_path / "c.csv", index_col="term")
    np.testing.assert_array_equal(back.to_numpy(), table.to_numpy())
    np.testing.assert_array_equal(back["estimate"].to_numpy(), m.params.to_numpy())
    ci = m.conf_int(0.9, method="Wald")
    export_coefficients(m, tmp_path / "c.json", level=0.9)
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["statistic"] == "z" and doc["level"] == 0.9
    rec = {r["term"]: r for r in doc["coefficients"]}
    assert rec["x1"]["conf_low"] == ci.loc["x1"].iloc[0]
    assert rec["x1"]["p_value"] == m.pvalues["x1"]
    with pytest.raises(DataError, match="extension"):
        export_coefficients(m, tmp_path / "c.xlsx")


def test_export_aliased_as_null(tmp_path):
    m = fit_case("gaussian_rank_deficient")
    export_coefficients(m, tmp_path / "c.json")
    rec = {r["term"]: r for r in json.loads((tmp_path / "c.json").read_text())["coefficients"]}
    assert rec["x3"]["estimate"] is None and rec["x1"]["estimate"] is not None


def test_gam_round_trip(tmp_path):
    """A saved GAM loads with the same numbers, summary and predictions on new data."""
    import aurora

    rng = np.random.default_rng(5)
    d = pd.DataFrame({"x": rng.uniform(size=150), "z": rng.uniform(size=150),
                      "f": rng.choice(list("abc"), 150)})
    d["y"] = np.sin(6 * d.x) + d.z + rng.normal(scale=0.3, size=150)
    m = aurora.gam("y ~ f + s(x) + te(x, z, k = 4) + s(z, by = f, bs = 'cr', k = 5)", d)
    path = tmp_path / "g.aurora"
    m.save(path)
    m2 = aurora.load(path)
    assert type(m2).__name__ == "GAMResult"
    np.testing.assert_array_equal(m2.params.to_numpy(), m.params.to_numpy())
    assert str(m2.summary()) == str(m.summary())
    new = d.iloc[:7].copy()
    new["x"] = new["x"] * 0.9
    np.testing.assert_allclose(m2.predict(new, se_fit=True), m.predict(new, se_fit=True),
                               rtol=1e-13)
