"""The committed R mixed-model reference (validation_r/mixed_reference.json) is well formed.

These tests check the file and its data, not aurora: every case names a data file that
exists and holds what R fitted (response = fitted + residuals on the CSV as read here),
carries the fields its function's comparisons need, and its numbers agree with each other
(standard errors with the covariance matrix, AIC with the log-likelihood, ...).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from mixed_reference import (as_array, as_matrix, as_named, as_table, mixed_case,
                             mixed_cases, mixed_data, mixed_dataset, mixed_datasets,
                             mixed_extra, mixed_newdata, mixed_reference)
from reference import VALIDATION

# case name -> function: the cases the mixed-model tests rely on
REQUIRED = {
    "lmer_intercept_reml": "lmer",
    "lmer_intercept_ml": "lmer",
    "lmer_slope_corr": "lmer",
    "lmer_slope_uncorr": "lmer",
    "lmer_nested": "lmer",
    "lmer_crossed": "lmer",
    "lmer_factor_slopes": "lmer",
    "lmer_weights": "lmer",
    "lmer_multi_term": "lmer",
    "lmer_singular": "lmer",
    "lmer_fixed_factor": "lmer",
    "glmer_poisson": "glmer",
    "glmer_binary": "glmer",
    "glmer_cbind": "glmer",
    "glmer_agq10": "glmer",
    "glmer_nb": "glmer.nb",
    "glmmpql_binary": "glmmPQL",
    "gamm4_re": "gamm4",
    "gam_re": "gam",
    "lme_ar1": "lme",
    "lme_cs": "lme",
}
FUNCTIONS = {"lmer", "glmer", "glmer.nb", "glmmPQL", "gamm4", "gam", "lme"}
MER = {"lmer", "glmer", "glmer.nb"}

COMMON_FIELDS = ("name", "description", "function", "formula", "call", "data", "newdata",
                 "data_name", "factors", "summary_text", "warnings", "messages")
MER_FIELDS = ("formula_deparsed", "REML", "is_reml", "family", "link", "nAGQ", "weights",
              "n", "nobs", "ngrps", "fixef_names", "fixef", "vcov", "se", "coef_table",
              "theta_names", "theta", "theta_lower", "cnms", "sigma", "varcorr", "ranef",
              "reml_criterion", "deviance", "loglik", "loglik_df", "aic", "bic",
              "df_residual", "singular", "converged", "fitted", "residuals", "predict",
              "print_text", "devcomp_cmp")

CASES = mixed_cases()
IDS = [c["name"] for c in CASES]
MER_CASES = [c for c in CASES if c["function"] in MER]
MER_IDS = [c["name"] for c in MER_CASES]


def test_header():
    ref = mixed_reference()
    assert ref["generated_by"] == "validation_r/mixed_reference.R"
    assert (VALIDATION / "mixed_reference.R").is_file()
    assert ref["r_version"].startswith("R version")
    assert {"lme4", "nlme", "mgcv"} <= set(ref["package_versions"])
    assert ref["case_names"] == IDS
    assert len(set(IDS)) == len(IDS)


def test_required_cases_present():
    assert len(CASES) >= 18
    got = {c["name"]: c["function"] for c in CASES}
    missing = sorted(set(REQUIRED) - set(got))
    assert not missing, f"missing cases: {missing}"
    assert {k: got[k] for k in REQUIRED} == REQUIRED


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_common_fields(case):
    missing = [f for f in COMMON_FIELDS if f not in case]
    assert not missing, missing
    assert case["function"] in FUNCTIONS
    assert isinstance(case["formula"], str) and "~" in case["formula"]
    assert case["call"].startswith(case["function"] + "(")
    assert case["data_name"] == "dat"
    assert isinstance(case["summary_text"], str) and case["summary_text"].strip()
    for key in ("data", "newdata"):
        assert (VALIDATION / "data" / case[key]).is_file(), case[key]


@pytest.mark.parametrize("ds", mixed_datasets(), ids=[d["name"] for d in mixed_datasets()])
def test_datasets(ds):
    frame = mixed_data(ds["name"])
    assert list(frame.columns) == ds["columns"]
    assert len(frame) == ds["n"]
    assert 200 <= len(frame) <= 1500
    assert not frame.isna().any().any()
    new = mixed_newdata(ds["name"])
    assert 1 <= len(new) <= 20
    for col, levels in ds["factors"].items():
        # R's level order is the sorted labels, each one present in the data
        assert levels == sorted(levels) == sorted(frame[col].unique())
        assert frame[col].map(type).eq(str).all()
        assert col in new.columns
    cat = mixed_data(ds["name"], categorical=True)
    for col, levels in ds["factors"].items():
        assert list(cat[col].cat.categories) == levels
        assert (cat[col].astype(str) == frame[col]).all()


@pytest.mark.parametrize("case", MER_CASES, ids=MER_IDS)
def test_mer_fields(case):
    missing = [f for f in MER_FIELDS if f not in case]
    assert not missing, missing
    frame = mixed_data(case["name"])
    n = len(frame)
    assert case["n"] == case["nobs"] == n
    p = len(case["fixef_names"])
    fixef = as_array(case["fixef"])
    assert fixef.shape == (p,) and np.isfinite(fixef).all()
    vcov = as_matrix(case["vcov"])
    assert vcov.shape == (p, p)
    np.testing.assert_array_equal(vcov, vcov.T)
    np.testing.assert_allclose(as_array(case["se"]), np.sqrt(np.diag(vcov)), rtol=1e-14)
    coef_table = as_table(case["coef_table"])
    assert list(coef_table.index) == case["fixef_names"]
    np.testing.assert_allclose(coef_table.iloc[:, 0], fixef, rtol=1e-15)
    np.testing.assert_allclose(coef_table.iloc[:, 1], as_array(case["se"]), rtol=1e-12)
    theta = as_array(case["theta"])
    assert len(theta) == len(case["theta_names"]) == len(as_array(case["theta_lower"]))
    lower = np.nan_to_num(as_array(case["theta_lower"]), nan=-np.inf)  # null = -Inf
    assert np.all(theta >= lower)
    # one theta per lower-triangle entry of each term's relative covariance factor; the
    # diagonal entries (lower bound 0) first in each column
    assert len(theta) == sum(len(t["terms"]) * (len(t["terms"]) + 1) // 2 for t in case["cnms"])
    assert set(lower) <= {0.0, -np.inf}
    assert case["singular"] == bool(np.any(theta[lower == 0] == 0))
    assert case["sigma"] > 0

    vc = case["varcorr"]
    assert len({len(vc[k]) for k in ("grp", "var1", "var2", "vcov", "sdcor")}) == 1
    if case["function"] == "lmer":
        assert vc["grp"][-1] == "Residual"
        assert vc["sdcor"][-1] == pytest.approx(case["sigma"], rel=1e-14)
    for var2, v, s in zip(vc["var2"], vc["vcov"], vc["sdcor"]):
        if var2 is None:  # a variance row: sdcor is its square root
            assert s == pytest.approx(np.sqrt(v), rel=1e-12, abs=1e-300)

    # groups and conditional modes: one row per level of each grouping factor
    ngrps = dict(zip(case["ngrps"]["names"], case["ngrps"]["values"]))
    table = case["ranef"]["table"]
    assert len({len(table[k]) for k in table}) == 1
    expected_rows = 0
    for fac in case["ranef"]["factors"]:
        g = fac["group"]
        levels = fac["levels"]
        assert len(levels) == ngrps[g] == len(set(levels))
        labels = frame[g.split(":")].astype(str).agg(":".join, axis=1)
        assert sorted(levels) == sorted(labels.unique())
        values = as_matrix(fac["values"])
        assert values.shape == (len(levels), len(fac["terms"]))
        terms = [t for b in fac["blocks"] for t in b["terms"]]
        assert terms == fac["terms"]
        for block in fac["blocks"]:
            k = len(block["terms"])
            assert len(block["condvar"]) == len(levels)
            for cv in block["condvar"]:
                cv = as_matrix(cv)
                assert cv.shape == (k, k)
                np.testing.assert_allclose(cv, cv.T, rtol=1e-12, atol=1e-300)
                assert np.all(np.diag(cv) >= 0)
        expected_rows += values.size
    assert len(table["condval"]) == expected_rows

    # criteria
    ll, df = case["loglik"], case["loglik_df"]
    assert df == len(theta) + p + (case["family"] == "gaussian" or case["function"] == "glmer.nb")
    assert case["aic"] == pytest.approx(-2 * ll + 2 * df, rel=1e-12)
    assert case["bic"] == pytest.approx(-2 * ll + np.log(n) * df, rel=1e-12)
    assert case["df_residual"] == n - df
    if case["is_reml"]:
        assert case["REML"] in (None, True)
        assert case["reml_criterion"] == pytest.approx(-2 * ll, rel=1e-12)
    else:
        assert case["reml_criterion"] is None
        if case["function"] == "lmer":
            assert case["deviance"] == pytest.approx(-2 * ll, rel=1e-12)

    # fitted + response residuals = the response of the CSV as read here
    fitted = as_array(case["fitted"])
    resid = as_array(case["residuals"]["response"])
    assert fitted.shape == resid.shape == (n,)
    np.testing.assert_allclose(fitted + resid, _response(case, frame), rtol=1e-12, atol=1e-12)
    for kind, values in case["residuals"].items():
        assert len(values) == n, kind

    # predictions on the new data
    new = mixed_newdata(case["name"])
    pred = case["predict"]
    assert pred["newdata"] == case["newdata"]
    for key in ("re_form_null", "re_form_na"):
        assert len(pred[key]) == len(new)
    rows = np.array(pred["new_level_rows"], dtype=int) - 1
    assert len(rows) >= 1
    unseen = {}
    for fac in case["ranef"]["factors"]:
        cols = fac["group"].split(":")
        unseen[fac["group"]] = ~new[cols].astype(str).agg(":".join, axis=1).isin(fac["levels"])
    any_new = np.logical_or.reduce([u.to_numpy() for u in unseen.values()])
    all_new = np.logical_and.reduce([u.to_numpy() for u in unseen.values()])
    assert np.flatnonzero(any_new).tolist() == rows.tolist()
    assert all_new.any()
    null, na = as_array(pred["re_form_null"]), as_array(pred["re_form_na"])
    # levels unseen in every grouping factor: the population prediction
    np.testing.assert_allclose(null[all_new], na[all_new], rtol=1e-12)
    assert np.all(null[~any_new] != na[~any_new]) or case["singular"]
    numeric = [nm for nm in case["fixef_names"] if nm != "(Intercept)"]
    if all(nm in new.columns and new[nm].dtype.kind == "f" for nm in numeric):
        X = np.column_stack([np.ones(len(new))] + [new[nm] for nm in numeric])
        np.testing.assert_allclose(X @ fixef, na, rtol=1e-12, atol=1e-12)

    if case["function"] != "lmer":
        dev = as_array(case["residuals"]["deviance"])
        assert case["deviance"] == pytest.approx(np.sum(dev ** 2), rel=1e-10)
        assert case["laplace_deviance"] == pytest.approx(-2 * ll, rel=1e-14)
        u = as_array(case["conditional_modes_u"])
        assert len(u) == len(as_array(case["b"])) == expected_rows
        assert case["REML"] is None and not case["is_reml"]
        mu = as_array(case["fitted"])
        np.testing.assert_allclose(as_array(case["linear_predictor"]),
                                   np.log(mu) if case["link"] == "log"
                                   else np.log(mu / (1 - mu)), rtol=1e-8, atol=1e-10)
        assert len(pred["re_form_null_response"]) == len(pred["re_form_na_response"]) == len(new)

    head = ("Linear mixed model fit by " if case["function"] == "lmer"
            else "Generalized linear mixed model fit by ")
    for text in (case["summary_text"], case["print_text"]):
        assert text.startswith(head)
        assert "Formula: " + case["formula_deparsed"] in text
        assert "   Data: dat" in text


def _response(case, frame):
    lhs = case["formula"].split("~")[0].strip()
    m = re.fullmatch(r"cbind\((\w+),\s*(\w+)\)", lhs)
    if m:
        s, f = frame[m.group(1)], frame[m.group(2)]
        return (s / (s + f)).to_numpy()
    return frame[lhs].to_numpy(dtype=float)


def test_reml_and_ml_pair():
    reml, ml = mixed_case("lmer_intercept_reml"), mixed_case("lmer_intercept_ml")
    assert reml["formula"] == ml["formula"]
    assert reml["is_reml"] and not ml["is_reml"]
    assert ml["REML"] is False
    # the ML fit maximises the likelihood that the REML fit's deviance_ml evaluates
    assert ml["deviance"] <= reml["deviance_ml"]


def test_singular_case():
    case = mixed_case("lmer_singular")
    assert case["singular"] is True
    assert as_array(case["theta"]).tolist() == [0.0]
    assert any("singular" in m for m in case["messages"])
    assert "boundary (singular) fit" in case["summary_text"]


def test_weights_case():
    case = mixed_case("lmer_weights")
    assert case["weights"] == "w"
    assert "weights = w" in case["call"]
    assert "Weights: w" in case["summary_text"]


def test_anova_extra():
    an = mixed_extra("anova_lmer")
    for name in an["cases"]:
        mixed_case(name)
    tab = as_table(an["table"])
    assert list(tab.index) == ["m1", "m2"]
    assert list(tab.columns) == ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df",
                                 "Pr(>Chisq)"]
    np.testing.assert_allclose(tab["deviance"], -2 * tab["logLik"], rtol=1e-12)
    assert tab["Chisq"].iloc[1] == pytest.approx(tab["deviance"].iloc[0] - tab["deviance"].iloc[1],
                                                 rel=1e-10)
    assert np.isnan(tab["Chisq"].iloc[0])
    # lme4 refits REML fits by ML: the first row is the ML fit of case lmer_intercept_ml
    ml = mixed_case("lmer_intercept_ml")
    assert ml["formula"] == an["formula0"]
    assert tab["logLik"].iloc[0] == pytest.approx(ml["loglik"], rel=1e-6)
    assert any("refitting model(s) with ML" in m for m in an["messages"])
    assert an["text"].startswith("Data: dat\nModels:\nm1: " + an["formula0"])


def test_confint_extra():
    ci = mixed_extra("confint")
    case = mixed_case(ci["case"])
    rows = [".sig01", ".sigma"] + case["fixef_names"]
    wald, prof = as_table(ci["wald"]), as_table(ci["profile"])
    assert list(wald.index) == list(prof.index) == rows
    assert wald.iloc[:2].isna().all().all()  # Wald: no interval for the variance parameters
    z = 1.959963984540054
    fixef, se = as_array(case["fixef"]), as_array(case["se"])
    np.testing.assert_allclose(wald.iloc[2:, 0], fixef - z * se, rtol=1e-12)
    np.testing.assert_allclose(wald.iloc[2:, 1], fixef + z * se, rtol=1e-12)
    assert np.isfinite(prof.to_numpy()).all()
    assert (prof.iloc[:, 0] < prof.iloc[:, 1]).all()
    assert prof.loc[".sigma", "2.5 %"] < case["sigma"] < prof.loc[".sigma", "97.5 %"]


def test_dataset_lookup():
    assert mixed_dataset("lmer_crossed")["name"] == "crossed"
    with pytest.raises(KeyError):
        mixed_dataset("no_such_case")
    assert isinstance(as_named(mixed_case("lmer_intercept_reml")["devcomp_cmp"])["REML"], float)


def test_glmer_family_arguments():
    assert mixed_case("glmer_poisson")["family"] == "poisson"
    for name in ("glmer_binary", "glmer_cbind", "glmer_agq10"):
        assert mixed_case(name)["family"] == "binomial"
        assert mixed_case(name)["link"] == "logit"
    agq, laplace = mixed_case("glmer_agq10"), mixed_case("glmer_binary")
    assert agq["nAGQ"] == 10 and laplace["nAGQ"] is None
    assert agq["formula"] == laplace["formula"]
    assert "nAGQ = 10" in agq["summary_text"]
    assert "Laplace" in laplace["summary_text"]
    # a single scalar random effect, as nAGQ > 1 requires
    assert [len(t["terms"]) for t in agq["cnms"]] == [1]
    assert agq["laplace_deviance"] != laplace["laplace_deviance"]


def test_glmer_nb_and_glmmtmb():
    case = mixed_case("glmer_nb")
    assert case["nb_theta"] > 0
    assert case["family"].startswith("Negative Binomial(")
    tmb = case["glmmtmb"]
    assert tmb["family"] == "nbinom2"
    assert tmb["fixef_names"] == case["fixef_names"]
    assert tmb["loglik_df"] == case["loglik_df"] == 4
    assert tmb["aic"] == pytest.approx(-2 * tmb["loglik"] + 2 * tmb["loglik_df"], rel=1e-12)
    # the same model: theta and the variance agree to a few digits (lme4's Laplace uses
    # expected-information weights with the non-canonical log link, glmmTMB the exact Hessian)
    assert tmb["sigma"] == pytest.approx(case["nb_theta"], rel=1e-2)
    tmb_sd = as_array(tmb["varcorr_sd"][0]["sd"])[0]
    assert tmb_sd == pytest.approx(case["varcorr"]["sdcor"][0], rel=1e-2)
    np.testing.assert_allclose(as_array(tmb["fixef"]), as_array(case["fixef"]), rtol=2e-2)
    assert tmb["converged"]


LME_FIELDS = ("random", "correlation", "method", "n", "ngrps", "fixef_names", "fixef", "vcov",
              "se", "t_table", "sigma", "varcorr", "random_struct", "cor_struct", "ranef",
              "loglik", "fitted", "residuals", "predict", "print_text")


@pytest.mark.parametrize("name", ["lme_ar1", "lme_cs", "glmmpql_binary"])
def test_lme_fields(name):
    case = mixed_case(name)
    missing = [f for f in LME_FIELDS if f not in case]
    assert not missing, missing
    pql = case["function"] == "glmmPQL"
    frame = mixed_data(name)
    new = mixed_newdata(name)
    n, p = len(frame), len(case["fixef_names"])
    assert case["n"] == n
    fixef, vcov = as_array(case["fixef"]), as_matrix(case["vcov"])
    assert vcov.shape == (p, p)
    # summary.lme: ML fits (glmmPQL's) scale the standard errors by sqrt(N / (N - p))
    adjust = np.sqrt(n / (n - p)) if case["method"] == "ML" else 1.0
    np.testing.assert_allclose(as_array(case["se"]), np.sqrt(np.diag(vcov)) * adjust, rtol=1e-14)
    tt = as_table(case["t_table"])
    assert list(tt.columns) == ["Value", "Std.Error", "DF", "t-value", "p-value"]
    np.testing.assert_allclose(tt["Value"], fixef, rtol=1e-15)
    np.testing.assert_allclose(tt["Std.Error"], as_array(case["se"]), rtol=1e-12)
    vc = case["varcorr"]
    assert vc["rows"][-1] == "Residual"
    assert as_array(vc["stddev"])[-1] == pytest.approx(case["sigma"], rel=1e-14)
    np.testing.assert_allclose(as_array(vc["stddev"]) ** 2, as_array(vc["variance"]), rtol=1e-12)
    for level, eff in zip(case["random_struct"], case["ranef"]):
        assert level["group"] == eff["group"]
        assert eff["levels"] == mixed_dataset(name)["factors"][eff["group"]]
        assert as_matrix(eff["values"]).shape == (len(eff["levels"]), len(eff["terms"]))
    for key in ("level0", "level1"):
        assert len(case["fitted"][key]) == n
        assert len(case["predict"][key]) == len(new)
    for key in ("response", "pearson"):
        assert len(case["residuals"][key]) == n
    if pql:
        assert case["cor_struct"] is None and case["loglik"] is None
        assert case["pql_iterations"] >= 1
        assert case["family"] == "binomial" and case["link"] == "logit"
        assert case["summary_text"].startswith(
            "Linear mixed-effects model fit by maximum likelihood")
        fr = as_array(case["fitted_response"])
        assert np.all((fr > 0) & (fr < 1))
        return
    # lme: y = fitted (level 1) + response residuals on the CSV as read here
    y = frame[case["formula"].split("~")[0].strip()].to_numpy(dtype=float)
    fitted = as_array(case["fitted"]["level1"])
    np.testing.assert_allclose(fitted + as_array(case["residuals"]["response"]), y,
                               rtol=1e-12, atol=1e-12)
    X = np.column_stack([np.ones(len(new))] + [new[nm] for nm in case["fixef_names"][1:]])
    np.testing.assert_allclose(X @ fixef, as_array(case["predict"]["level0"]), rtol=1e-12)
    assert case["method"] == "REML"
    assert case["reml_criterion"] == pytest.approx(-2 * case["loglik"], rel=1e-14)
    df = case["loglik_df"]
    n_cor = len(case["cor_struct"]["constrained"]["values"])
    assert df == p + len(case["random_struct"]) + 1 + n_cor
    assert case["aic"] == pytest.approx(-2 * case["loglik"] + 2 * df, rel=1e-12)
    assert case["bic"] == pytest.approx(-2 * case["loglik"] + np.log(n - p) * df, rel=1e-12)
    cs = case["cor_struct"]
    assert cs["class"] == {"lme_ar1": "corAR1", "lme_cs": "corCompSymm"}[name]
    rho = cs["constrained"]["values"][0]
    assert -1 < rho < 1
    assert f"{rho:.7f}" in case["summary_text"]
    assert case["summary_text"].startswith("Linear mixed-effects model fit by REML\n  Data: dat")


def test_gamm4_and_gam_re():
    g4, gm = mixed_case("gamm4_re"), mixed_case("gam_re")
    assert g4["data"] == gm["data"]
    frame = mixed_data("gamm4_re")
    n = len(frame)
    assert g4["n"] == gm["n"] == n
    part = g4["gam"]
    assert part["coef_names"][0] == "(Intercept)"
    assert len(part["coefficients"]) == len(part["edf"]) == len(part["coef_names"])
    assert as_matrix(part["Vp"]).shape == (len(part["coef_names"]),) * 2
    assert [s["label"] for s in part["smooths"]] == ["s(x)"]
    assert list(as_table(part["s_table"]).index) == ["s(x)"]
    assert len(part["fitted"]) == n
    assert "Formula:\ny ~ s(x)\n" in g4["summary_text"] and "<environment" not in g4["summary_text"]
    mer = g4["mer"]
    assert set(mer["ngrps"]["names"]) == {"g", "Xr"}
    assert mer["varcorr"]["grp"][-1] == "Residual"
    assert mer["ranef_g_levels"] == mixed_dataset("gamm4_re")["factors"]["g"]
    assert mer["summary_text"].startswith("Linear mixed model fit by REML")
    # mgcv's s(g, bs = "re") fit of the same model agrees with gamm4 to a few digits
    assert [s["label"] for s in gm["smooths"]] == ["s(x)", "s(g)"]
    assert gm["method"] == "REML" and gm["reml_score"] > 0
    vcomp = as_table(gm["vcomp"])
    assert list(vcomp.index) == ["s(x)", "s(g)", "scale"]
    assert vcomp.loc["scale", "std.dev"] == pytest.approx(mer["sigma"], rel=1e-3)
    assert vcomp.loc["s(g)", "std.dev"] == pytest.approx(mer["varcorr"]["sdcor"][0], rel=1e-3)
    assert part["coefficients"][0] == pytest.approx(gm["coefficients"][0], rel=1e-3)
    rows = np.array(gm["predict"]["rows"]) - 1
    np.testing.assert_allclose(as_array(gm["predict_exclude_re"]["fit"]),
                               as_array(part["predict"]["fit"])[rows], rtol=1e-3)
