"""Diagnostic panels: the plotted quantities against R's (hat values, rstandard, Cook's
distances, residuals, linear predictors), the figure's structure, and lowess."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import aurora
from aurora.plot import diagnostic_data, lowess, plot_glm_diagnostics
from aurora.plot.diagnostics import CAPTIONS
from reference import case_by_name, fit_case

CASES = ["gaussian_identity_interaction", "gaussian_weighted", "binomial_cloglog_cbind",
         "poisson_offset_formula", "gamma_log", "negbin_theta_fixed", "mtcars_binomial"]
RTOL = 1e-6


def _r(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("name", CASES)
def test_plotted_quantities_match_r(name):
    case = case_by_name(name)
    d = diagnostic_data(fit_case(name))
    hat = _r(case["hat"])
    np.testing.assert_allclose(d.eta, _r(case["linear_predictors"]), rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(d.residuals, _r(case["residuals"]["deviance"]), rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(d.hat, hat, rtol=RTOL)
    np.testing.assert_allclose(d.std_deviance, _r(case["rstandard"]), rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(d.cooks, _r(case["cooks"]), rtol=RTOL, atol=1e-12)
    pearson = _r(case["residuals"]["pearson"]) / np.sqrt(case["dispersion"] * (1 - hat))
    np.testing.assert_allclose(d.std_pearson, pearson, rtol=RTOL, atol=1e-10)
    # R's Cook's distance is what the contours assume: r_P^2 h / (p (1 - h))
    np.testing.assert_allclose(d.cooks, d.std_pearson**2 * d.hat / (d.rank * (1 - d.hat)), rtol=1e-10)


def test_figure_panels_show_r_quantities(tmp_path):
    name = "poisson_offset_formula"
    case = case_by_name(name)
    path = tmp_path / "diag.png"
    fig = fit_case(name).plot_diagnostics(path)
    assert [ax.get_title() for ax in fig.axes] == list(CAPTIONS)
    first = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(first[:, 0], _r(case["linear_predictors"]), rtol=RTOL)
    np.testing.assert_allclose(first[:, 1], _r(case["residuals"]["deviance"]), rtol=RTOL)
    qq = fig.axes[1].collections[0].get_offsets()
    rs = _r(case["rstandard"])
    np.testing.assert_allclose(np.sort(qq[:, 1]), np.sort(rs), rtol=RTOL)
    n = len(rs)
    ppoints = (np.arange(1, n + 1) - 0.5) / n
    np.testing.assert_allclose(np.sort(qq[:, 0]), stats.norm.ppf(ppoints), rtol=1e-12)
    lev = fig.axes[3].collections[0].get_offsets()
    np.testing.assert_allclose(lev[:, 0], _r(case["hat"]), rtol=RTOL)
    assert fig.axes[3].get_xlabel() == "Leverage"
    assert fig.axes[1].get_ylabel() == "Std. deviance resid."
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cook_contours_follow_the_formula():
    m = fit_case("mtcars_binomial")
    fig = plot_glm_diagnostics(m)
    dashed = [ln for ln in fig.axes[3].get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 4  # +- for 0.5 and 1
    for line, crit in zip(dashed[::2], (0.5, 1.0)):
        h, r = line.get_xdata(), line.get_ydata()
        np.testing.assert_allclose(r, np.sqrt(crit * m.rank * (1 - h) / h), rtol=1e-12)


def test_zero_weight_rows_are_left_out():
    d = aurora.datasets.load("mtcars")
    w = np.ones(len(d))
    w[:3] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = aurora.glm("mpg ~ wt", d, weights=w)
    data = diagnostic_data(m)
    assert len(data.hat) == len(d) - 3
    assert list(data.labels) == [str(v) for v in d.index[3:]]


def test_aurora_plot_generic_survives_the_import():
    import aurora.plot.diagnostics  # noqa: F401  (rebinds aurora.plot to the package)

    m = fit_case("gaussian_identity_interaction")
    assert len(aurora.plot(m).axes) == 4


def test_lowess_reproduces_lines_and_resists_outliers():
    x = np.linspace(0, 10, 50)
    xs, ys = lowess(x[::-1], 3 - 0.5 * x[::-1])
    np.testing.assert_allclose(xs, x)
    np.testing.assert_allclose(ys, 3 - 0.5 * x, atol=1e-12)
    y = 3 - 0.5 * x
    y[25] += 100
    _, ys = lowess(x, y)  # robustness iterations give the outlier weight 0
    np.testing.assert_allclose(ys, 3 - 0.5 * x, atol=1e-8)
    _, ys0 = lowess(x, y, iter=0)
    assert abs(ys0[25] - (3 - 0.5 * x[25])) > 1


def test_lowess_ties_and_small_inputs():
    x = np.array([1.0, 1, 1, 2, 2, 3])
    y = np.array([1.0, 2, 3, 2, 4, 5])
    xs, ys = lowess(x, y)
    assert xs.tolist() == sorted(x.tolist()) and np.all(np.isfinite(ys))
    assert ys[0] == ys[1] == ys[2]  # tied x share one fit, as R
    xs, ys = lowess(np.array([2.0]), np.array([5.0]))
    assert ys.tolist() == [5.0]


def test_pandas_index_labels():
    d = aurora.datasets.load("mtcars").copy()
    d.index = pd.Index([f"car{i}" for i in range(len(d))])
    m = aurora.glm("mpg ~ wt", d)
    assert diagnostic_data(m).labels[0] == "car0"
