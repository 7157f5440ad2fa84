"""gam_check against mgcv's ``gam.check`` / ``k.check`` / ``qq.gam``
(validation_r/gam_check_reference.R).

What is compared, and how closely:

* ``k'``, ``edf`` and the k-index: 1e-8 (observed: below 1e-11).
* k-index p-values: a randomisation test; mgcv draws with R's RNG, aurora with NumPy's,
  so the two agree only within Monte Carlo error. aurora's p-value is computed with 2,000
  reshufflings (Monte Carlo s.e. about 0.011) and must lie within
  ``4 sqrt(p (1 - p) / 200) + 0.02`` of mgcv's 200-reshuffle value.
* The printed text: every line identical to mgcv's captured output once mgcv's p-values are
  put in the table, except the gradient range (numbers compared to 1e-3 relative: they
  are the criterion's gradient at the optimum, ~1e-5, where the last digits are noise of
  the optimiser) and, for the gaussian GCV fit, the RMS gradient (mgcv's ``magic`` reports
  the gradient at a point of its last iteration other than the optimum; both are tiny).
* qq.gam's theoretical quantiles: exact (1e-10) for the gaussian fits, where they do not
  depend on the random permutations; within Monte Carlo error otherwise.
* The ``fs`` case like the others, once aurora is given mgcv's basis for the base smooth's
  null space (``m$smooth[[1]]$P``, from validation_r/gam_rounding_reference.R). That
  basis spans the eigenspace of a repeated zero eigenvalue of ``R^-T S R^-1`` (mgcv's
  ``nat.param(type = 1)``), so which orthonormal pair LAPACK's dsyevr returns is decided
  by rounding, and each direction gets its own penalty: mgcv's own REML score for this
  model ranges over 303.6 to 312.6 when ``x1`` is perturbed by one unit in the last place.
  aurora's own basis (another rotation of the same plane, 2 degrees from mgcv's here) is
  checked to give a fit inside that range.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import DataError
from aurora.inference.gam_check import (GamCheck, convergence_report, gam_check, k_check,
                                        sturges_breaks)
from reference import VALIDATION

EXACT = ["gauss", "by_re", "pois_2d", "gauss_gcv", "fixed_df", "pois_ubre", "fs"]
GAUSSIAN = ["gauss", "by_re", "gauss_gcv", "fixed_df", "fs"]


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_check_reference.json").read_text())


def _case(name: str) -> dict:
    return next(c for c in _reference()["cases"] if c["name"] == name)


@lru_cache(maxsize=None)
def _data() -> pd.DataFrame:
    return pd.read_csv(VALIDATION / "data" / _reference()["data"])


def _gam(name: str):
    case = _case(name)
    method = "GCV.Cp" if name in ("gauss_gcv", "pois_ubre") else "REML"
    return aurora.gam(case["formula"], _data(), family=case["family"], method=method)


@lru_cache(maxsize=None)
def _rounding_case(name: str) -> dict:
    ref = json.loads((VALIDATION / "gam_rounding_reference.json").read_text())
    return next(c for c in ref["cases"] if c["name"] == name)


@lru_cache(maxsize=None)
def _fit_own_basis(name: str):
    """aurora's fit with its own fs null-space basis."""
    return _gam(name)


@lru_cache(maxsize=None)
def _fit(name: str):
    """The fit compared with mgcv's; for ``fs`` with mgcv's null-space basis of the base
    smooth (the natural parametrisation ``P`` of ``nat.param(type = 1)`` replaced by
    mgcv's: the same penalised columns, the null space rotated as mgcv's LAPACK left it)."""
    if name != "fs":
        return _gam(name)
    import aurora.smooths.fs as fs

    P = np.array(_rounding_case("fs")["base_P"], dtype=float)
    own = fs.nat_param

    def nat_param(X, S, rank, type, unit_fnorm=True):
        out = own(X, S, rank, type, unit_fnorm)
        # the penalised columns are the same up to sign; only the null space is rotated
        np.testing.assert_allclose(np.abs(out["P"][:, :rank]), np.abs(P[:, :rank]),
                                   rtol=1e-10, atol=1e-12)
        return {**out, "X": X @ P, "P": P}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fs, "nat_param", nat_param)
        return _gam(name)


@lru_cache(maxsize=None)
def _check(name: str) -> GamCheck:
    return gam_check(_fit(name), data=_data())


def _r(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _r_table(name: str) -> pd.DataFrame:
    k = _case(name)["k_check"]
    return pd.DataFrame({"k'": _r(k["kprime"]), "edf": _r(k["edf"]),
                         "k-index": _r(k["k_index"]), "p-value": _r(k["p_value"])},
                        index=k["rows"])


@pytest.mark.parametrize("name", EXACT)
def test_k_table_matches_mgcv(name):
    ours, theirs = _check(name).k_table, _r_table(name)
    assert list(ours.columns) == ["k'", "edf", "k-index", "p-value"]
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_array_equal(ours["k'"], theirs["k'"])
    for col in ("edf", "k-index"):
        assert np.array_equal(np.isnan(ours[col]), np.isnan(theirs[col]))
        np.testing.assert_allclose(ours[col], theirs[col], rtol=1e-8)


@pytest.mark.parametrize("name", EXACT)
def test_k_index_p_values_within_monte_carlo_error(name):
    ours = k_check(_fit(name), data=_data(), k_rep=2000, seed=11)["p-value"].to_numpy()
    theirs = _r_table(name)["p-value"].to_numpy()
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    ok = ~np.isnan(ours)
    tol = 4 * np.sqrt(ours[ok] * (1 - ours[ok]) / 200) + 0.02
    assert np.all(np.abs(ours[ok] - theirs[ok]) <= tol), (ours, theirs)


_NUM = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")


@pytest.mark.parametrize("name", EXACT)
def test_printed_text_matches_mgcv(name):
    check = _check(name).with_p_values(_r_table(name)["p-value"])
    ours, theirs = str(check).split("\n"), _case(name)["check_text"].split("\n")
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if b.startswith("Gradient range"):
            np.testing.assert_allclose([float(x) for x in _NUM.findall(a)],
                                       [float(x) for x in _NUM.findall(b)], rtol=1e-3, atol=1e-9)
        elif b.startswith("The RMS"):
            assert a.startswith("The RMS GCV score gradient at convergence was ")
            assert float(_NUM.findall(a)[0]) < 1e-4 and float(_NUM.findall(b)[0]) < 1e-4
        else:
            assert a == b


def test_report_lines():
    lines = convergence_report(_fit("gauss"))
    assert lines[0] == "Method: REML   Optimizer: outer newton"
    assert lines[1] == "full convergence after 9 iterations."
    assert lines[3] == "(score 321.5917 & scale 0.263953)."
    assert lines[-1] == "Model rank =  43 / 43 "
    assert convergence_report(_fit("gauss_gcv"))[0] == "Method: GCV   Optimizer: magic"


def test_fs_null_space_basis_is_mgcvs_rounding():
    """mgcv's fs fit is decided by rounding: refitted on data whose ``x1`` is perturbed by
    one unit in the last place its REML score and edf move in the third digit. aurora's
    own null-space basis gives a fit inside that range; given mgcv's basis it gives
    mgcv's fit (the EXACT tests, and the score to 1e-8 here)."""
    r = _rounding_case("fs")
    reml, edf = np.array(r["perturbed_reml"]), np.array(r["perturbed_edf"])
    assert np.ptp(reml) > 1.0 and np.ptp(edf) > 0.5, (reml, edf)
    assert _fit("fs").reml_score == pytest.approx(r["reml"], rel=1e-8)
    own = _fit_own_basis("fs")
    assert reml.min() <= own.reml_score <= reml.max()
    assert edf.min() <= 1 + own.edf.sum() <= edf.max()
    ours = k_check(own, data=_data(), k_rep=20)
    np.testing.assert_array_equal(ours["k'"], _r_table("fs")["k'"])  # 50: 10 levels x 5


@pytest.mark.parametrize("name", EXACT)
def test_residual_panels_data(name):
    check, case = _check(name), _case(name)
    np.testing.assert_allclose(check.residuals, case["qq"]["deviance_residuals"],
                               rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(sturges_breaks(check.residuals), case["qq"]["hist_breaks"])
    dq, rq = check.qq_theoretical, _r(case["qq"]["theoretical"])
    if name in GAUSSIAN:
        np.testing.assert_allclose(dq, rq, rtol=0, atol=1e-10)
    else:  # random permutations of the family's quantiles (poisson): Monte Carlo error
        assert np.mean(np.abs(dq - rq)) < 0.05 * np.std(check.residuals)


def test_four_panels_and_png(tmp_path):
    path = tmp_path / "check.png"
    fig = _check("pois_2d").plot(path=path)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[1:]] == [
        "Resids vs. linear pred.", "Histogram of residuals", "Response vs. Fitted Values"]
    assert fig.axes[0].get_xlabel() == "theoretical quantiles"
    assert fig.axes[0].get_ylabel() == "deviance residuals"
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_seed_subsample_and_types():
    m, d = _fit("gauss"), _data()
    a = k_check(m, data=d, seed=5)
    pd.testing.assert_frame_equal(a, k_check(m, data=d, seed=5))
    sub = k_check(m, data=d, k_sample=200, k_rep=50, seed=1)
    np.testing.assert_array_equal(sub[["k'", "edf"]], a[["k'", "edf"]])
    assert np.all(np.abs(sub["k-index"] - a["k-index"]) < 0.3)
    pearson = gam_check(m, data=d, type="pearson")
    assert pearson.residual_type == "pearson" and pearson.plot().axes[0].get_ylabel() == (
        "pearson residuals")
    with pytest.raises(DataError, match="residual type"):
        gam_check(m, data=d, type="working")
    frame, m.model_frame = m.model_frame, None  # as a result loaded from a file
    with pytest.raises(DataError, match="pass data="):
        gam_check(m)
    m.model_frame = frame
