"""The four diagnostic panels of R's ``plot.lm`` for a GLM (``which = c(1, 2, 3, 5)``).

1. Residuals vs Fitted: deviance residuals against the linear predictor ("Predicted
   values"), with R's ``lowess`` smooth in red and a dotted line at zero.
2. Normal Q-Q of the standardized deviance residuals (``ppoints`` positions) with the
   line through the quartiles.
3. Scale-Location: ``sqrt(|std. deviance resid.|)`` against the linear predictor.
4. Residuals vs Leverage: standardized Pearson residuals against the hat values, with
   Cook's distance contours at 0.5 and 1 (``|r| = sqrt(c p (1 - h) / h)``).

The three most extreme points of each panel are labelled with their row labels, as
R's ``id.n = 3``. Rows with zero prior weight are left out, as R does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from aurora.plot._lowess import lowess

__all__ = ["plot_glm_diagnostics", "DiagnosticData", "diagnostic_data"]

CAPTIONS = ("Residuals vs Fitted", "Normal Q-Q", "Scale-Location", "Residuals vs Leverage")
COOK_LEVELS = (0.5, 1.0)


@dataclass(frozen=True)
class DiagnosticData:
    """What the panels show (R's quantities in ``plot.lm``), one entry per used row.

    Attributes
    ----------
    labels : ndarray
        Row labels.
    eta : ndarray
        Linear predictor (``predict(x)``).
    residuals : ndarray
        Deviance residuals.
    std_deviance : ndarray
        ``rstandard(x)``: deviance residuals / sqrt(dispersion (1 - h)); NaN where h = 1.
    std_pearson : ndarray
        ``rstandard(x, type = "pearson")``.
    hat : ndarray
        Leverages.
    cooks : ndarray
        Cook's distances.
    rank : int
        ``p`` of the Cook's contours.
    """

    labels: np.ndarray
    eta: np.ndarray
    residuals: np.ndarray
    std_deviance: np.ndarray
    std_pearson: np.ndarray
    hat: np.ndarray
    cooks: np.ndarray
    rank: int


def diagnostic_data(result: Any) -> DiagnosticData:
    """Collect the quantities plotted by :func:`plot_glm_diagnostics`."""
    keep = np.asarray(result.prior_weights) != 0
    infl = result.influence()  # rows with non-zero weight only, as R
    hat = infl["hat"].to_numpy(dtype=float)
    disp = float(result.scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        pear = result._residuals("pearson")[keep] / np.sqrt(disp * (1 - hat))
    rs = infl["rstandard"].to_numpy(dtype=float)
    inf = hat >= 1.0  # R's dropInf
    rs, pear = np.where(inf, np.nan, rs), np.where(inf, np.nan, pear)
    labels = np.asarray([str(v) for v in result.plan.row_index])
    return DiagnosticData(labels[keep], np.asarray(result.linear_predictors)[keep],
                          result._residuals("deviance")[keep], rs, pear, hat,
                          infl["cooks_d"].to_numpy(dtype=float), int(result.rank))


def _points(ax: Any, x: np.ndarray, y: np.ndarray) -> None:
    ax.scatter(x, y, s=14, facecolors="none", edgecolors="black", linewidths=0.8)


def _smooth(ax: Any, x: np.ndarray, y: np.ndarray) -> None:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() > 2:
        xs, ys = lowess(x[ok], y[ok])
        ax.plot(xs, ys, color="red", linewidth=1.0)


def _label(ax: Any, x: np.ndarray, y: np.ndarray, score: np.ndarray, labels: np.ndarray,
           n: int = 3) -> None:
    score = np.where(np.isfinite(score), score, -np.inf)
    for i in np.argsort(-score, kind="stable")[:n]:
        if np.isfinite(x[i]) and np.isfinite(y[i]):
            ax.annotate(labels[i], (x[i], y[i]), xytext=(4, 0), textcoords="offset points",
                        fontsize=7, va="center")


def _qq(d: DiagnosticData) -> tuple[np.ndarray, np.ndarray, float, float]:
    rs = d.std_deviance
    ok = np.isfinite(rs)
    n = int(ok.sum())
    a = 3 / 8 if n <= 10 else 0.5
    order = np.argsort(rs[ok], kind="stable")
    theo = np.empty(n)
    theo[order] = stats.norm.ppf((np.arange(1, n + 1) - a) / (n + 1 - 2 * a))
    q = np.quantile(rs[ok], [0.25, 0.75])
    z = stats.norm.ppf([0.25, 0.75])
    slope = (q[1] - q[0]) / (z[1] - z[0])
    return theo, rs[ok], slope, q[0] - slope * z[0]


def _leverage_panel(ax: Any, d: DiagnosticData) -> None:
    h, r = d.hat, d.std_pearson
    ok = np.isfinite(r)
    _points(ax, h[ok], r[ok])
    _smooth(ax, h, r)
    ax.axhline(0, linestyle=":", color="gray", linewidth=0.8)
    ax.axvline(0, linestyle=":", color="gray", linewidth=0.8)
    hmax = float(np.nanmax(np.where(h < 1, h, np.nan))) if np.any(h < 1) else 1.0
    rr = np.nanmax(np.abs(r[ok])) if ok.any() else 1.0
    ax.set_xlim(0, hmax * 1.04)
    lo, hi = (np.nanmin(r[ok]), np.nanmax(r[ok])) if ok.any() else (-1.0, 1.0)
    pad = 0.08 * (hi - lo if hi > lo else 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    hmin = min(np.nanmin(h), np.nanmax(h) / 100)
    hh = np.linspace(max(hmin, 1e-12), hmax * 1.04, 101)
    for k, crit in enumerate(COOK_LEVELS):
        cl = np.sqrt(crit * d.rank * (1 - hh) / hh)
        ax.plot(hh, cl, linestyle="--", color="red", linewidth=0.9,
                label="Cook's distance" if k == 0 else None)
        ax.plot(hh, -cl, linestyle="--", color="red", linewidth=0.9)
        xm = min(0.99, hmax * 1.04)
        y_at = np.sqrt(crit * d.rank * (1 - xm) / xm)
        for s in (1, -1):
            if abs(y_at) <= max(rr, abs(lo), abs(hi)) + pad:
                ax.annotate(f"{crit:g}", (1.0, s * y_at), xycoords=("axes fraction", "data"),
                            xytext=(2, 0), textcoords="offset points", color="red", fontsize=7,
                            va="center", annotation_clip=False)
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    _label(ax, h, r, d.cooks, d.labels)
    ax.set_xlabel("Leverage")
    ax.set_ylabel("Std. Pearson resid.")


def plot_glm_diagnostics(result: Any, path: str | os.PathLike | None = None,
                         figsize: tuple[float, float] = (10.0, 9.0), dpi: int = 100) -> Figure:
    """Draw R's four ``plot.lm`` diagnostic panels for a fitted GLM.

    Parameters
    ----------
    result : GLMResult
    path : str or path-like, optional
        Save the figure there as PNG.
    figsize : (float, float)
        Inches.
    dpi : int
        Resolution of the saved PNG.

    Returns
    -------
    matplotlib.figure.Figure
        Four axes, in R's order, titled as R captions them; rendered with the Agg
        backend (no display needed).

    Examples
    --------
    >>> import aurora
    >>> m = aurora.glm("count ~ spray", aurora.datasets.load("InsectSprays"), family="poisson")
    >>> fig = plot_glm_diagnostics(m)
    >>> [ax.get_title() for ax in fig.axes]
    ['Residuals vs Fitted', 'Normal Q-Q', 'Scale-Location', 'Residuals vs Leverage']
    """
    d = diagnostic_data(result)
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2).ravel()

    ax = axes[0]
    _points(ax, d.eta, d.residuals)
    _smooth(ax, d.eta, d.residuals)
    ax.axhline(0, linestyle=":", color="gray", linewidth=0.8)
    _label(ax, d.eta, d.residuals, np.abs(d.residuals), d.labels)
    ax.set_xlabel("Predicted values")
    ax.set_ylabel("Residuals")

    ax = axes[1]
    theo, rs, slope, icpt = _qq(d)
    _points(ax, theo, rs)
    xl = np.array([theo.min(), theo.max()]) if theo.size else np.array([-1.0, 1.0])
    ax.plot(xl, icpt + slope * xl, linestyle=":", color="0.5", linewidth=1.0)
    labels = d.labels[np.isfinite(d.std_deviance)]
    _label(ax, theo, rs, np.abs(rs), labels)
    ax.set_xlabel("Theoretical Quantiles")
    ax.set_ylabel("Std. deviance resid.")

    ax = axes[2]
    sq = np.sqrt(np.abs(d.std_deviance))
    ok = np.isfinite(sq)
    _points(ax, d.eta[ok], sq[ok])
    _smooth(ax, d.eta, sq)
    _label(ax, d.eta, sq, sq, d.labels)
    ax.set_xlabel("Predicted values")
    ax.set_ylabel(r"$\sqrt{|\mathrm{Std.\ deviance\ resid.}|}$")

    _leverage_panel(axes[3], d)
    for ax, caption in zip(axes, CAPTIONS):
        ax.set_title(caption, fontsize=10)
    fig.suptitle(str(result.plan.spec.formula), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    if path is not None:
        fig.savefig(path, format="png", dpi=dpi)
    return fig
