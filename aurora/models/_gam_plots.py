"""Plots of the matrix-level GAM API: :func:`plot_smooth` and :func:`plot_all_smooths`.

They draw the numbers of :func:`aurora.plot.gam.smooth_plot_data` (mgcv's ``plot.gam``),
with the band at any ``confidence_level`` and a smooth chosen by index, label or covariate.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from aurora.errors import DataError, ModelSpecError, UnknownNameError

__all__ = ["plot_smooth", "plot_all_smooths"]


def _smooth_index(result: Any, term: Any) -> int:
    from aurora.plot.gam import smooth_covariates

    specs = result.plan.spec.smooths
    labels = [s.label for s in specs]
    if isinstance(term, (int, np.integer)) and not isinstance(term, bool):
        if 0 <= term < len(specs):
            return int(term)
    elif term in labels:
        return labels.index(term)
    else:
        want = tuple(term) if isinstance(term, (list, tuple)) else (term,)
        hits = [i for i, s in enumerate(specs) if smooth_covariates(s) == want]
        if len(hits) == 1:
            return hits[0]
    raise UnknownNameError("smooth term", str(term), labels or ["(the model has no smooths)"])


def _panels(result: Any, data: Any, residuals: bool, n_points: int, level: float) -> list:
    """The numbers of each smooth's panel from :func:`aurora.plot.gam.smooth_plot_data`
    (mgcv's plot.gam: the smooth's own columns of the lpmatrix times its coefficients,
    standard errors from its block of ``Vp``), the band rescaled to ``level``."""
    from scipy.stats import norm

    from aurora.plot.gam import smooth_plot_data

    if not 0 < level < 1:
        raise DataError(f"confidence_level must be in (0, 1), got {level}")
    n = int(n_points)
    z = float(norm.ppf(0.5 + level / 2))
    panels = smooth_plot_data(result, data=data, residuals=residuals, n=n,
                              n2=max(10, min(n, 40)))
    return [p if p is None or p.se is None else
            dataclasses.replace(p, se=p.se / p.se_mult * z, se_mult=z) for p in panels]


def _draw(ax: Any, p: Any, residuals: bool, title: Any, xlabel: Any, ylabel: Any) -> None:
    """One panel: 1-D band, rug and partial residuals; 2-D filled contours with the data;
    random effects as a normal Q-Q plot; factor-smooth curves one per level."""
    if p.kind == "1d":
        ax.fill_between(p.x, p.fit - p.se, p.fit + p.se, color="0.88", linewidth=0)
        ax.plot(p.x, p.fit, color="black", linewidth=1.0)
        for sgn in (-1, 1):
            ax.plot(p.x, p.fit + sgn * p.se, color="black", linestyle="--", linewidth=0.8)
        if residuals and p.p_resid is not None and p.show_resid:
            ax.plot(p.raw, p.p_resid, ".", color="0.35", markersize=3)
        ax.plot(p.raw, np.zeros_like(p.raw), "|", color="black", markersize=6,
                transform=ax.get_xaxis_transform(), clip_on=False)
        ax.set_xlim(p.x[0], p.x[-1])
    elif p.kind == "2d":
        Z = np.ma.masked_invalid(p.fit.reshape(p.y.size, p.x.size))
        filled = ax.contourf(p.x, p.y, Z, levels=12, cmap="viridis")
        ax.contour(p.x, p.y, Z, levels=filled.levels, colors="black", linewidths=0.4)
        ax.plot(p.raw[:, 0], p.raw[:, 1], ".", color="white", markersize=2)
        ax.figure.colorbar(filled, ax=ax)
    elif p.kind == "re":
        ax.plot(p.x, np.sort(p.fit), "o", mfc="none", color="black", markersize=4)
    else:
        k = p.x.size
        for i, lev in enumerate(p.levels):
            ax.plot(p.x, p.fit[i * k:(i + 1) * k], linewidth=1.0, label=str(lev))
    ax.set_xlabel(p.xlab if xlabel is None else xlabel)
    ax.set_ylabel(p.ylab if ylabel is None else ylabel)
    ax.set_title(p.main if title is None else title)


def _figure(nrows: int, ncols: int, size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())


def plot_smooth(result: Any, term: Any = 0, confidence_level: float = 0.95,
                partial_residuals: bool = False, title: str | None = None,
                xlabel: str | None = None, ylabel: str | None = None, n_points: int = 100,
                data: Any = None):
    """Plot one smooth with its pointwise confidence band (R: ``plot.gam(m, select = j)``).

    The numbers are mgcv's (:func:`aurora.plot.gam.smooth_plot_data`); the band is
    ``fit +- z se`` with ``z`` the normal quantile of ``confidence_level`` (mgcv draws
    2 se).

    Parameters
    ----------
    result : GAMResult
    term : int or str
        Index of the smooth (from 0), its label (``"s(x)"``) or its covariate (``"x"``).
    confidence_level : float
    partial_residuals : bool
        Add mgcv's partial residuals (not for ``by`` smooths, as mgcv).
    title, xlabel, ylabel : str, optional
        Default: mgcv's labels (``s(x,6.85)`` on the y axis).
    n_points : int
        Grid points of a 1-D smooth (a 2-D smooth uses ``min(n_points, 40)`` per side).
    data : DataFrame, optional
        The fitting data, when the result does not carry it (``result.model_frame``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    i = _smooth_index(result, term)
    p = _panels(result, data, partial_residuals, n_points, confidence_level)[i]
    if p is None:
        raise ModelSpecError(f"{result.plan.spec.smooths[i].label} cannot be drawn "
                             "(3 or more covariates)", "use result.predict(type='lpmatrix')")
    fig, axes = _figure(1, 1, (6.0, 4.5))
    _draw(axes[0], p, partial_residuals, title, xlabel, ylabel)
    return fig


def plot_all_smooths(result: Any, ncols: int = 2, confidence_level: float = 0.95,
                     partial_residuals: bool = False, n_points: int = 100, data: Any = None):
    """Every smooth of ``result`` on one figure, ``ncols`` panels a row (R: ``plot.gam``);
    smooths of 3 or more covariates are left out. Keywords as :func:`plot_smooth`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = [p for p in _panels(result, data, partial_residuals, n_points,
                                 confidence_level) if p is not None]
    if not panels:
        raise DataError("the model has no smooth terms to plot")
    ncols = max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    fig, axes = _figure(nrows, ncols, (4.5 * ncols, 3.6 * nrows))
    for ax, p in zip(axes, panels):
        _draw(ax, p, partial_residuals, None, None, None)
    for ax in axes[len(panels):]:
        fig.delaxes(ax)
    return fig
