"""Caterpillar and Q-Q plots of random effects (lme4's dotplot/qqmath of ranef(m, condVar =
TRUE)): the plotted numbers against lme4's ``as.data.frame(ranef(m, condVar = TRUE))``
(validation_r/mixed_reference.json; conditional modes and SDs within 1e-4, issue 11's
tolerance), lme4's ordering rules, and the figure's panels, points, labels and file."""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from scipy import stats

import aurora
from aurora.errors import UnknownNameError
from aurora.plot.mixed import plot_ranef, ranef_plot_data
from mixed_reference import as_array, mixed_case, mixed_data

CASES = ["lmer_slope_corr", "lmer_crossed", "lmer_multi_term", "lmer_nested"]
TOL = 1e-4


@lru_cache(maxsize=None)
def fit(name: str):
    c = mixed_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aurora.lmer(c["formula"], mixed_data(name), REML=c["is_reml"],
                           weights=c["weights"], data_name=c["data_name"])


def lme4_table(name: str) -> pd.DataFrame:
    t = mixed_case(name)["ranef"]["table"]
    return pd.DataFrame({"grpvar": t["grpvar"], "term": t["term"], "grp": t["grp"],
                         "condval": as_array(t["condval"]), "condsd": as_array(t["condsd"])})


@pytest.mark.parametrize("kind", ["caterpillar", "qq"])
@pytest.mark.parametrize("name", CASES)
def test_plotted_numbers_are_lme4s(name, kind):
    ref = lme4_table(name)
    panels = ranef_plot_data(fit(name), kind)
    assert [(p.group, p.column) for p in panels] == \
        list(dict.fromkeys(zip(ref["grpvar"], ref["term"])))
    for p in panels:
        r = ref[(ref["grpvar"] == p.group) & (ref["term"] == p.column)].set_index("grp")
        assert sorted(p.levels) == sorted(r.index)
        np.testing.assert_allclose(p.values, r.loc[list(p.levels), "condval"], rtol=TOL,
                                   atol=TOL * r["condval"].abs().max())
        np.testing.assert_allclose(p.se, r.loc[list(p.levels), "condsd"], rtol=TOL)


@pytest.mark.parametrize("name", CASES)
def test_caterpillar_order_is_lme4s_reorder_by_first_column(name):
    panels = ranef_plot_data(fit(name), "caterpillar")
    ref = lme4_table(name)
    for g in dict.fromkeys(p.group for p in panels):
        mine = [p for p in panels if p.group == g]
        assert np.all(np.diff(mine[0].values) >= 0)
        for p in mine[1:]:  # every panel of a factor in the first column's order
            assert p.levels == mine[0].levels
        first = ref[(ref["grpvar"] == g) & (ref["term"] == mine[0].column)]
        want = first["grp"].to_numpy()[np.argsort(first["condval"].to_numpy(), kind="stable")]
        assert list(mine[0].levels) == list(want)
        np.testing.assert_array_equal(mine[0].y, np.arange(1, len(want) + 1))


@pytest.mark.parametrize("name", CASES)
def test_qq_positions_are_lme4s(name):
    for p in ranef_plot_data(fit(name), "qq"):
        n = len(p.levels)
        assert np.all(np.diff(p.values) >= 0)  # each column sorted by itself
        np.testing.assert_allclose(p.y, stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n),
                                   rtol=1e-15)


def _points(ax):
    return next(line for line in ax.lines if line.get_marker() == "o")


def _segments(ax):
    return next(c for c in ax.collections if isinstance(c, LineCollection))


@pytest.mark.parametrize("kind", ["caterpillar", "qq"])
def test_figure_panels_points_and_intervals(kind):
    m = fit("lmer_slope_corr")
    fig = plot_ranef(m, kind)
    panels = ranef_plot_data(m, kind)
    assert len(fig.axes) == len(panels) == 2
    assert [ax.get_title() for ax in fig.axes] == ["(Intercept)", "t"]
    assert fig.get_suptitle() == "g"
    for ax, p in zip(fig.axes, panels):
        pts = _points(ax)
        np.testing.assert_array_equal(pts.get_xdata(), p.values)
        np.testing.assert_array_equal(pts.get_ydata(), p.y)
        segs = np.array(_segments(ax).get_segments())
        assert segs.shape == (40, 2, 2)
        np.testing.assert_allclose(segs[:, 0, 0], p.values - 1.96 * p.se, rtol=1e-12)
        np.testing.assert_allclose(segs[:, 1, 0], p.values + 1.96 * p.se, rtol=1e-12)
    if kind == "caterpillar":
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert labels == list(panels[0].levels)
        assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim()  # shared scale
    else:
        assert fig.axes[0].get_ylabel() == "Standard normal quantiles"


def test_several_grouping_factors_one_row_each_and_term():
    m = fit("lmer_crossed")
    fig = plot_ranef(m)
    assert [ax.get_title() for ax in fig.axes] == ["a: (Intercept)", "b: (Intercept)"]
    fig = plot_ranef(m, "qqmath", term="b")
    assert [ax.get_title() for ax in fig.axes] == ["(Intercept)"]
    assert fig.get_suptitle() == "b"
    assert len(_points(fig.axes[0]).get_xdata()) == 24
    assert len(plot_ranef(m, "dotplot", term=["a", "b"]).axes) == 2


def test_factor_with_different_numbers_of_columns():
    m = fit("lmer_multi_term")  # (1 + t | g) + (0 + x | g): one factor, three columns
    fig = plot_ranef(m)
    assert [ax.get_title() for ax in fig.axes] == ["(Intercept)", "t", "x"]


def test_many_levels_hide_the_labels():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(80), 3)
    df = pd.DataFrame({"y": rng.normal(size=80)[g] + rng.normal(size=240), "g": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = aurora.lmer("y ~ 1 + (1 | g)", df)
    ax = plot_ranef(m).axes[0]
    assert all(t.get_text() == "" for t in ax.get_yticklabels())
    assert len(_points(ax).get_xdata()) == 80
    ax = plot_ranef(m, labels=True).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][:1] != [""]


def test_saving_writes_a_png(tmp_path):
    m = fit("lmer_slope_corr")
    for kind in ("caterpillar", "qq"):
        path = tmp_path / f"{kind}.png"
        plot_ranef(m, kind, path=path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5000


def test_bad_arguments():
    m = fit("lmer_slope_corr")
    with pytest.raises(UnknownNameError, match="caterpillar"):
        plot_ranef(m, "violin")
    with pytest.raises(UnknownNameError, match="g"):
        plot_ranef(m, term="nope")
