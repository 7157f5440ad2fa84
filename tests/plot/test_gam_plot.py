"""plot_gam: the plotted numbers against mgcv's ``plot.gam`` (validation_r/gam_check_reference.R)
and the figure's structure.

Tolerances: grids, fits, ``se`` bands and partial residuals within 1e-6 of mgcv relative to
their range (observed: below 1e-10); the ``fs`` case only within 2% because aurora's fit of
that model differs from mgcv's (REML score 312.12 against 312.22, edf 43.94 against 43.95:
an engine difference, not a plotting one).
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.errors import DataError
from aurora.plot.gam import exclude_too_far, plot_gam, pretty, smooth_plot_data
from reference import VALIDATION

RTOL = 1e-6
EXACT = ["gauss", "by_re", "pois_2d", "gauss_gcv", "fixed_df", "pois_ubre"]


@lru_cache(maxsize=None)
def _reference() -> dict:
    return json.loads((VALIDATION / "gam_check_reference.json").read_text())


def _case(name: str) -> dict:
    return next(c for c in _reference()["cases"] if c["name"] == name)


@lru_cache(maxsize=None)
def _data() -> pd.DataFrame:
    return pd.read_csv(VALIDATION / "data" / _reference()["data"])


@lru_cache(maxsize=None)
def _fit(name: str):
    case = _case(name)
    method = "GCV.Cp" if name in ("gauss_gcv", "pois_ubre") else "REML"
    return aurora.gam(case["formula"], _data(), family=case["family"], method=method)


def _r(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _close(ours: np.ndarray, theirs: np.ndarray, rel: float) -> None:
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    span = np.nanmax(theirs) - np.nanmin(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=rel * span)


@pytest.mark.parametrize("name", EXACT)
def test_plot_data_match_mgcv(name):
    case = _case(name)
    panels = smooth_plot_data(_fit(name), data=_data(), residuals=True)
    assert len(panels) == len(case["plot"])
    for p, r in zip(panels, case["plot"]):
        assert p.label == r["label"]
        assert (p.xlab, p.ylab, p.main or None) == (r["xlab"], r["ylab"], r.get("main") or None)
        _close(p.fit, _r(r["fit"]), RTOL)
        _close(p.p_resid, _r(r["p_resid"]), RTOL)
        if p.kind == "re":
            continue
        np.testing.assert_allclose(p.x, r["x"], rtol=1e-12)
        np.testing.assert_allclose(p.se, _r(r["se"]), rtol=RTOL)  # mgcv's se is se * se.mult
        assert p.se_mult == r["se_mult"]
        if p.kind == "2d":
            np.testing.assert_allclose(p.y, r["y"], rtol=1e-12)
            np.testing.assert_array_equal(p.exclude, np.array(r["exclude"]))


def test_plot_data_fs_close_to_mgcv():
    case = _case("fs")
    (p,), (r,) = smooth_plot_data(_fit("fs"), data=_data()), case["plot"]
    assert p.kind == "fs" and len(p.levels) == r["n_levels"] == 10
    assert p.fit.size == len(r["fit"]) == 100 * 10
    np.testing.assert_allclose(p.x, r["x"], rtol=1e-12)
    _close(p.fit, _r(r["fit"]), 0.02)
    assert p.ylab.startswith("s(x1,g,43.9") and r["ylab"].startswith("s(x1,g,43.9")


def test_band_is_two_se_of_the_smooth_block():
    m = _fit("gauss")
    p = smooth_plot_data(m, data=_data())[0]
    X = m.plan.spec.smooths[0]
    from aurora.smooths.by import predict_con

    B = predict_con(X.state, {"x0": p.x})
    V = np.asarray(m.fit.Vp)[X.start:X.stop, X.start:X.stop]
    np.testing.assert_allclose(p.se, 2 * np.sqrt(np.einsum("ij,jk,ik->i", B, V, B)), rtol=1e-12)


def test_rows_matched_by_label():
    d = _data()
    shuffled = d.sample(frac=1.0, random_state=3)
    a = smooth_plot_data(_fit("gauss"), data=d, residuals=True)
    b = smooth_plot_data(_fit("gauss"), data=shuffled, residuals=True)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.fit, q.fit)
        np.testing.assert_array_equal(p.raw, q.raw)


def test_figure_panels_and_labels(tmp_path):
    fig = plot_gam(_fit("gauss"), data=_data(), residuals=True)
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["s(x0,5.52)", "s(x1,3.48)", "x3"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["x0", "x1", "x2"]
    assert fig.axes[2].get_title() == "te(x2,x3,7.21)"
    # the 1-D panels share mgcv's common y range, which holds the partial residuals
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    lo, hi = fig.axes[0].get_ylim()
    p_resid = _r(_case("gauss")["plot"][0]["p_resid"])
    assert lo <= p_resid.min() and p_resid.max() <= hi
    path = tmp_path / "gam.png"
    plot_gam(_fit("gauss"), data=_data(), path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_factor_by_re_and_numeric_by_panels():
    fig = plot_gam(_fit("by_re"), data=_data())
    assert len(fig.axes) == 5
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels[:3] == ["s(x0,3.51):faca", "s(x0,1):facb", "s(x0,2.61):facc"]
    assert labels[3] == "effects" and fig.axes[3].get_xlabel() == "Gaussian quantiles"
    assert fig.axes[3].get_title() == "s(g,8.9)"
    assert labels[4] == "s(x2,5.11):x3"


def test_select_and_heat_map(tmp_path):
    m, d = _fit("gauss"), _data()
    assert [ax.get_ylabel() for ax in plot_gam(m, select=2, data=d).axes] == ["s(x1,3.48)"]
    fig = plot_gam(m, select="te(x2,x3)", scheme=1, data=d, path=tmp_path / "heat.png")
    assert len(fig.axes) == 1
    assert any(type(c).__name__ == "QuadMesh" for c in fig.axes[0].collections)
    assert (tmp_path / "heat.png").stat().st_size > 1000
    fig = plot_gam(m, select=[1, 3], se=False, rug=False, data=d)
    assert len(fig.axes) == 2


def test_contour_levels_and_se_contours():
    fig = plot_gam(_fit("pois_2d"), data=_data(), select=1)
    ax = fig.axes[0]
    assert ax.get_title() == "s(x0,x1,7.46)"
    colours = {tuple(np.round(c.get_edgecolor()[0][:3], 3)) for c in ax.collections
               if len(c.get_edgecolor())}
    assert {(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)} <= colours
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["-1se", "+1se"]


def test_bad_arguments():
    m, d = _fit("gauss"), _data()
    frame, m.model_frame = m.model_frame, None  # as a result loaded from a file
    with pytest.raises(DataError, match="pass data="):
        plot_gam(m)
    m.model_frame = frame
    with pytest.raises(DataError, match="select"):
        plot_gam(m, select=7, data=d)
    with pytest.raises(DataError, match="no smooth labelled"):
        plot_gam(m, select="s(x9)", data=d)
    with pytest.raises(DataError, match="scheme"):
        plot_gam(m, scheme=5, data=d)
    with pytest.raises(DataError, match="rows"):
        plot_gam(m, data=d.iloc[:10])


def test_exclude_too_far_and_pretty():
    gx, gy = np.tile(np.linspace(0, 1, 3), 3), np.repeat(np.linspace(0, 1, 3), 3)
    far = exclude_too_far(gx, gy, np.array([0.0, 0.1]), np.array([0.0, 0.0]), 0.3)
    assert far.tolist() == [False, True, True, True, True, True, True, True, True]
    assert not exclude_too_far(gx, gy, gx, gy, 0.0).any()
    assert pretty(-2.3, 3.1, 7).tolist() == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    assert pretty(0.5, 123.4, 3).tolist() == [0.0, 50.0, 100.0, 150.0]
