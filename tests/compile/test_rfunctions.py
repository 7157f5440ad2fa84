"""aurora.compile.rfunctions against R (validation_r/rfunctions_reference.json).

Tolerances: basis matrices and scaled values 1e-10 (R writes 15 significant digits);
knots, labels, level orders and codes exactly.
"""
from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix
from formulaic.errors import FactorEvaluationError

from aurora.compile import rfunctions as rf
from aurora.compile.rfunctions import KNOWN_FUNCTIONS, R_FUNCTIONS
from aurora.errors import DataError, DataWarning, FactorLevelError

REFERENCE = Path(__file__).resolve().parents[2] / "validation_r" / "rfunctions_reference.json"
TOL = 1e-10


@lru_cache(maxsize=None)
def ref() -> dict:
    return json.loads(REFERENCE.read_text())


def inputs() -> dict:
    raw = ref()["inputs"]
    return {k: (np.array([np.nan if e is None else e for e in v], dtype=float)
                if k not in ("a", "b", "b_levels") else v) for k, v in raw.items()}


def matrix(rows: list) -> np.ndarray:
    return np.array([[np.nan if e is None else e for e in r] for r in rows], dtype=float)


def codes(values: list) -> list:
    return [None if v is None else int(v) for v in values]


def as_codes(series: pd.Series) -> list:
    return [None if c < 0 else int(c) + 1 for c in series.cat.codes]


def kwargs(case: dict) -> dict:
    args = case["args"] if isinstance(case["args"], dict) else {}
    return {k.replace(".", "_"): v for k, v in args.items()}


SPLINES = [c["name"] for c in ref()["splines"]]


def spline_case(name: str) -> dict:
    return next(c for c in ref()["splines"] if c["name"] == name)


# ------------------------------------------------------------------------------ splines
@pytest.mark.parametrize("name", SPLINES)
def test_spline_basis_knots_and_predict_match_r(name: str) -> None:
    case = spline_case(name)
    fn = R_FUNCTIONS[case["fun"]]
    data = inputs()
    state: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # bs beyond the boundary knots, as R
        basis = np.asarray(fn(data[case["input"]], _state=state, **kwargs(case)))
        pred = np.asarray(fn(data[case["newx"]], _state=state, **kwargs(case)))
    assert state["knots"] == case["knots"]
    assert state["boundary_knots"] == case["boundary_knots"]
    np.testing.assert_allclose(basis, matrix(case["basis"]), rtol=0, atol=TOL)
    np.testing.assert_allclose(pred, matrix(case["predict"]), rtol=0, atol=TOL)
    json.dumps(state)  # the state a saved model writes


def test_ns_keeps_missing_rows_as_nan() -> None:
    out = np.asarray(rf.ns(inputs()["xna"], df=3))
    expected = matrix(ref()["ns_na"]["basis"])
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_allclose(out, expected, rtol=0, atol=TOL)


def test_bs_warns_beyond_the_boundary_knots_as_r() -> None:
    state: dict = {}
    rf.bs([1.0, 2.0, 3.0, 4.0, 5.0], df=4, _state=state)
    with pytest.warns(DataWarning, match="beyond boundary knots"):
        rf.bs([0.0, 6.0], df=4, _state=state)


def test_ns_inside_formulaic_names_and_replays() -> None:
    data = inputs()
    case = spline_case("ns_df3")
    df = pd.DataFrame({"x": data["x"]})
    mm = model_matrix("ns(x, df=3)", df, context=R_FUNCTIONS)
    assert list(mm.columns) == ["Intercept", "ns(x, df=3)[1]", "ns(x, df=3)[2]", "ns(x, df=3)[3]"]
    np.testing.assert_allclose(mm.to_numpy()[:, 1:], matrix(case["basis"]), rtol=0, atol=TOL)
    new = mm.model_spec.get_model_matrix(pd.DataFrame({"x": data["newx"]}), context=R_FUNCTIONS)
    np.testing.assert_allclose(new.to_numpy()[:, 1:], matrix(case["predict"]), rtol=0, atol=TOL)
    state = mm.model_spec.transform_state["ns(x, df=3)"]
    assert json.loads(json.dumps(state)) == state


def test_bs_with_r_vector_knots_inside_formulaic() -> None:
    data = inputs()
    case = spline_case("bs_deg2_knots")
    df = pd.DataFrame({"x": data["x"]})
    mm = model_matrix("bs(x, degree=2, knots=c(3, 5, 7))", df, context=R_FUNCTIONS)
    np.testing.assert_allclose(mm.to_numpy()[:, 1:], matrix(case["basis"]), rtol=0, atol=TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        new = mm.model_spec.get_model_matrix(pd.DataFrame({"x": data["newx"]}),
                                             context=R_FUNCTIONS)
    np.testing.assert_allclose(new.to_numpy()[:, 1:], matrix(case["predict"]), rtol=0, atol=TOL)


@pytest.mark.parametrize("fn", [rf.ns, rf.bs])
def test_spline_df_beyond_distinct_values_is_a_data_error(fn) -> None:
    x = pd.Series([1.0, 2.0, 2.0, 3.0, 1.0, 3.0], name="dose")
    with pytest.raises(DataError, match=r"distinct values of 'dose'.*has 3") as err:
        fn(x, df=5)
    assert "df=3" in err.value.fix


@pytest.mark.parametrize("fn", [rf.ns, rf.bs, rf.scale])
def test_spline_and_scale_reject_factors_and_text(fn) -> None:
    with pytest.raises(DataError, match="'g' is a factor"):
        fn(pd.Series(pd.Categorical(["a", "b", "a"]), name="g"))
    with pytest.raises(DataError, match="needs a numeric variable"):
        fn(pd.Series(["a", "b", "c"], name="s"))


def test_bs_degree_must_be_positive() -> None:
    with pytest.raises(DataError, match="degree"):
        rf.bs([1.0, 2.0, 3.0, 4.0], degree=0)


# ------------------------------------------------------------------------------ cut
@pytest.mark.parametrize("case", ref()["cut"], ids=lambda c: c["name"])
def test_cut_labels_and_codes_match_r(case: dict) -> None:
    out = rf.cut(np.array(case["x"], dtype=float), **kwargs(case))
    if "levels" in case:
        assert list(out.cat.categories) == case["levels"]
        assert as_codes(out) == codes(case["codes"])
    else:
        assert [None if np.isnan(v) else int(v) for v in out] == codes(case["codes"])


def test_cut_reuses_the_training_breaks_on_new_data() -> None:
    data = inputs()
    state: dict = {}
    rf.cut(data["x"], 3, _state=state)
    assert state["breaks"] == ref()["cut_predict"]["breaks"]
    new = rf.cut(data["newx"], 3, _state=state)
    assert as_codes(new) == codes(ref()["cut_predict"]["codes"])


def test_cut_in_a_formula_drops_empty_intervals_as_glm_and_refuses_them_at_predict() -> None:
    df = pd.DataFrame({"x": [0.5, 1.5, 0.7, 1.2, 1.4, 0.9]})
    mm = model_matrix("cut(x, c(0, 1, 2, 10))", df, context=R_FUNCTIONS)
    assert list(mm.columns) == ["Intercept", "cut(x, c(0, 1, 2, 10))[T.(1,2]]"]
    new = mm.model_spec.get_model_matrix(pd.DataFrame({"x": [0.5, 1.9]}), context=R_FUNCTIONS)
    assert new.iloc[:, 1].tolist() == [0, 1]
    with pytest.raises(FactorEvaluationError) as err:
        mm.model_spec.get_model_matrix(pd.DataFrame({"x": [3.0]}), context=R_FUNCTIONS)
    assert isinstance(err.value.__cause__, FactorLevelError)
    assert "(2,10]" in str(err.value.__cause__)


@pytest.mark.parametrize("breaks", [1, [], [1.0], 1.5, 0])
def test_cut_needs_two_breaks(breaks) -> None:
    with pytest.raises(DataError, match="two"):
        rf.cut([1.0, 2.0, 3.0], breaks)


def test_cut_rejects_repeated_breaks_and_text() -> None:
    with pytest.raises(DataError, match="not unique"):
        rf.cut([1.0, 2.0], [0, 1, 1, 3])
    with pytest.raises(DataError, match="numeric"):
        rf.cut(pd.Series(["a", "b"], name="s"), 2)


# ------------------------------------------------------------------------------ interaction
def interaction_args(case: dict) -> tuple[list, dict]:
    raw = ref()["inputs"]
    b = pd.Categorical(raw["b"], categories=raw["b_levels"])
    n3 = np.array(raw["n3"], dtype=float)
    table = {
        "ab": ([raw["a"], b], {}),
        "ab_lex": ([raw["a"], b], {"lex_order": True}),
        "ab_drop": ([raw["a"], b], {"drop": True}),
        "abn_sep": ([raw["a"], b, n3], {"sep": ":"}),
        "abn_lex_drop": ([raw["a"], b, n3], {"lex_order": True, "drop": True}),
        "duplicate_labels": ([["a", "a.b", "a"], ["b.c", "c", "c"]], {}),
    }
    return table[case["name"]]


@pytest.mark.parametrize("case", ref()["interaction"], ids=lambda c: c["name"])
def test_interaction_levels_and_codes_match_r(case: dict) -> None:
    args, kw = interaction_args(case)
    out = rf.interaction(*args, **kw)
    assert list(out.cat.categories) == case["levels"]
    assert as_codes(out) == codes(case["codes"])


def test_interaction_replays_levels_and_refuses_unseen_combinations() -> None:
    df = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": ["p", "p", "q", "p"]})
    mm = model_matrix("interaction(a, b)", df, context=R_FUNCTIONS)
    assert list(mm.columns) == ["Intercept", "interaction(a, b)[T.y.p]", "interaction(a, b)[T.x.q]"]
    new = mm.model_spec.get_model_matrix(pd.DataFrame({"a": ["x"], "b": ["q"]}),
                                         context=R_FUNCTIONS)
    assert new.iloc[0].tolist() == [1.0, 0, 1]
    with pytest.raises(FactorEvaluationError) as err:
        mm.model_spec.get_model_matrix(pd.DataFrame({"a": ["y"], "b": ["q"]}),
                                       context=R_FUNCTIONS)
    assert isinstance(err.value.__cause__, FactorLevelError)
    assert "'y.q'" in str(err.value.__cause__)


# ------------------------------------------------------------------------------ scale
@pytest.mark.parametrize("case", ref()["scale"], ids=lambda c: c["name"])
def test_scale_matches_r(case: dict) -> None:
    kw = {"default": {}, "no_center": {"center": False}, "no_scale": {"scale": False},
          "numeric": {"center": 2, "scale": 3}}[case["name"]]
    state: dict = {}
    out = rf.scale(inputs()["x"], _state=state, **kw)
    np.testing.assert_allclose(out, case["values"], rtol=0, atol=TOL)
    for key in ("center", "scale"):
        if case.get(key) in (None, {}):  # R's NULL is written as {}
            assert state[key] is None
        else:
            assert state[key] == pytest.approx(case[key], abs=TOL)


def test_scale_reuses_training_centre_and_scale() -> None:
    data = inputs()
    df = pd.DataFrame({"x": data["x"]})
    mm = model_matrix("scale(x)", df, context=R_FUNCTIONS)
    new = mm.model_spec.get_model_matrix(pd.DataFrame({"x": data["newx"]}), context=R_FUNCTIONS)
    np.testing.assert_allclose(new["scale(x)"], ref()["scale_predict"], rtol=0, atol=TOL)


# ------------------------------------------------------------------------------ factors
def test_as_character_of_numbers_matches_r() -> None:
    case = ref()["as_character"]
    assert [rf.r_character(float(v)) for v in case["x"]] == case["text"]


@pytest.mark.parametrize("case", ref()["factor_levels"], ids=lambda c: str(c["levels"]))
def test_factor_levels_of_numbers_match_r(case: dict) -> None:
    out = rf.factor(np.array(case["x"], dtype=float))
    assert list(out.cat.categories) == case["levels"]
    if "codes" in case:
        assert as_codes(out) == codes(case["codes"])


def test_relevel_as_numeric_and_given_levels_match_r() -> None:
    other = ref()["others"]
    f = rf.factor(["b", "a", "c", "a"])
    r = rf.relevel(f, "c")
    assert list(r.cat.categories) == other["relevel_levels"]
    assert as_codes(r) == other["relevel_codes"]
    assert rf.as_numeric(f).tolist() == other["as_numeric_factor"]
    assert rf.as_numeric(rf.factor([10.0, 5.0, 10.0, 7.5])).tolist() == \
        other["as_numeric_numeric_factor"]
    assert as_codes(rf.factor([4.0, 6.0, 8.0, 6.0], levels=[8, 6])) == \
        codes(other["factor_given_levels"])


def test_relevel_to_a_missing_level_names_it_and_the_valid_ones() -> None:
    f = pd.Series(pd.Categorical(["b", "a", "c"]), name="grp")
    with pytest.raises(DataError, match=r"'z' is not a level of 'grp'") as err:
        rf.relevel(f, "z")
    assert "'a', 'b', 'c'" in err.value.fix
    with pytest.raises(DataError, match="position"):
        rf.relevel(rf.factor(pd.Series([4.0, 6.0, 8.0], name="cyl")), 6)


def test_factor_keeps_training_levels_and_refuses_unseen_values() -> None:
    df = pd.DataFrame({"cyl": [4.0, 6.0, 8.0, 4.0]})
    mm = model_matrix("factor(cyl)", df, context=R_FUNCTIONS)
    assert list(mm.columns) == ["Intercept", "factor(cyl)[T.6]", "factor(cyl)[T.8]"]
    new = mm.model_spec.get_model_matrix(pd.DataFrame({"cyl": [8.0]}), context=R_FUNCTIONS)
    assert new.iloc[0].tolist() == [1.0, 0, 1]
    with pytest.raises(FactorEvaluationError) as err:
        mm.model_spec.get_model_matrix(pd.DataFrame({"cyl": [5.0]}), context=R_FUNCTIONS)
    cause = err.value.__cause__
    assert isinstance(cause, FactorLevelError)
    assert "'cyl'" in str(cause) and "'5'" in str(cause)
    assert json.loads(json.dumps(mm.model_spec.transform_state)) == \
        mm.model_spec.transform_state


def test_as_factor_relevel_and_as_numeric_replay_training_levels() -> None:
    df = pd.DataFrame({"g": pd.Categorical(["a", "b", "c", "b"]), "y": [1.0, 2, 3, 4]})
    mm = model_matrix("relevel(g, 'b') + as_numeric(g) + as_factor(y)", df, context=R_FUNCTIONS)
    assert "relevel(g, 'b')[T.a]" in mm.columns
    new = pd.DataFrame({"g": pd.Categorical(["c"]), "y": [3.0]})  # only one category present
    row = mm.model_spec.get_model_matrix(new, context=R_FUNCTIONS).iloc[0]
    assert row["as_numeric(g)"] == 3.0
    assert row["relevel(g, 'b')[T.c]"] == 1
    assert row["as_factor(y)[T.3]"] == 1


# ------------------------------------------------------------------------------ elementwise
def test_elementwise_functions_follow_r_quietly() -> None:
    x = np.array([-1.0, 0.0, 1.0, 100.0, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rf.log(x)
        np.testing.assert_array_equal(np.isnan(out), [True, False, False, False, True])
        assert out[1] == -np.inf
        assert rf.log(100.0, base=10) == 2.0
        assert rf.log(8.0, 2) == 3.0
        assert rf.log(27.0, 3) == pytest.approx(3.0)
        assert np.isnan(rf.sqrt(-4.0))
        np.testing.assert_allclose(rf.log1p(np.array([1e-20])), [1e-20])
        np.testing.assert_allclose(rf.expm1(np.array([1e-20])), [1e-20])
        assert rf.exp(0.0) == 1.0 and R_FUNCTIONS["abs"](-2.0) == 2.0
        assert rf.sin(0.0) == 0.0 and rf.cos(0.0) == 1.0
    np.testing.assert_array_equal(rf.pmin([1.0, 5.0, np.nan], 2.0), [1.0, 2.0, np.nan])
    np.testing.assert_array_equal(rf.pmax([1.0, 5.0], [3.0, 4.0], 0.0), [3.0, 5.0])
    out = rf.ifelse(pd.Series([True, False, None]), 1.0, 0.0)
    np.testing.assert_array_equal(out, [1.0, 0.0, np.nan])
    with pytest.raises(DataError):
        rf.log(pd.Series(pd.Categorical(["a"]), name="g"))


def test_registry_and_known_names() -> None:
    assert set(R_FUNCTIONS) >= {"ns", "bs", "cut", "interaction", "scale", "factor",
                                "as_factor", "relevel", "as_numeric", "log", "pmin", "ifelse"}
    assert {"as.factor", "as.numeric", "I", "C", "poly", "offset", "ns"} <= set(KNOWN_FUNCTIONS)
    df = pd.DataFrame({"x": [1.0, 4.0, 9.0], "y": [-1.0, 0.0, 2.0]})
    mm = model_matrix("0 + log(x) + pmax(y, 0)", df, context=R_FUNCTIONS)
    np.testing.assert_allclose(mm["log(x)"], np.log([1.0, 4.0, 9.0]))
    np.testing.assert_allclose(mm["pmax(y, 0)"], [0.0, 0.0, 2.0])
