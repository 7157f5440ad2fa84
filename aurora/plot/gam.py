"""mgcv's ``plot.gam``: one panel per smooth term of a fitted GAM.

What each panel shows, as ``plot.mgcv.smooth`` and its methods draw it:

* **1-D smooths** (``s(x)``, a ``by`` variable set to 1, one panel per level of a factor
  ``by``): the centred smooth ``f(x)`` on ``n`` equally spaced points of the covariate's
  range, dashed lines at ``f +/- 2 se`` (``se`` from the smooth's own block of ``Vp``:
  mgcv's default ``seWithMean = FALSE``), a rug of the covariate, optionally the partial
  residuals ``f(x_i) + sqrt(w_i) r_i`` (working residuals ``r``, working weights ``w``);
  y-axis label ``s(x,6.84)`` with the edf rounded to 2 decimals; the 1-D panels share one
  y range (mgcv's ``scale = -1``).
* **2-D smooths** (``s(x, z)``, ``te``, ``ti``, ``t2``): the fit on an ``n2 x n2`` grid,
  grid points farther than ``too_far`` (in the unit square of the grid) from every datum
  left out (mgcv's ``exclude.too.far``), with the data points; ``scheme = 0`` draws
  contours of the fit (black) and of ``fit +/- 1 se`` (red dashed, green dotted, labelled
  as mgcv labels them), ``scheme = 1`` a heat map with contours.
* **random effects** (``bs = "re"``): a normal Q-Q plot of the coefficients.
* **factor-smooth interactions** (``bs = "fs"``): one curve per level.

Differences from mgcv: a single Figure holds every panel (mgcv's ``pages = 1`` layout
whatever ``pages`` is); ``scheme = 1`` is a heat map (mgcv's 1 is a perspective plot, its 2
the heat map, also accepted here); smooths of 3 or more covariates are not drawn (mgcv
draws slices); parametric terms (``all.terms``) are not drawn.

References: mgcv 1.8-41 ``plot.gam``, ``plot.mgcv.smooth``, ``plot.random.effect``,
``plot.fs.interaction``, ``exclude.too.far``; Wood (2017) *Generalized Additive Models*,
2nd ed., section 6.10.

The numbers come from :mod:`aurora.plot.gam_data` (re-exported here); this module draws.
"""
from __future__ import annotations

import math
import os
from typing import Any, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from aurora.errors import DataError
from aurora.plot.gam_data import (  # noqa: F401  (_block_matrix... serve gam_check)
    SmoothPlotData, _block_matrix, _is_factor, _numeric, exclude_too_far, model_frame,
    smooth_covariates, smooth_plot_data,
)

__all__ = ["plot_gam", "smooth_plot_data", "SmoothPlotData", "model_frame",
           "smooth_covariates", "exclude_too_far", "pretty"]


# ------------------------------------------------------------------------------- pretty
def pretty(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """R's ``pretty(c(lo, hi), n)``: about ``n + 1`` equally spaced round values covering
    the range (R's ``R_pretty`` with ``pretty.default``'s biases: ``min.n = n %/% 3``,
    ``shrink.sml = 0.75``, ``high.u.bias = 1.5``, ``u5.bias = 2.75``).

    Examples
    --------
    >>> pretty(0.13, 0.87).tolist()
    [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    >>> pretty(-2.3, 3.1, 7).tolist()
    [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    """
    h, h5, reps, eps = 1.5, 2.75, 1e-10, np.finfo(float).eps
    min_n = n // 3
    dx = hi - lo
    if dx == 0 and hi == 0:
        cell, small = 1.0, True
    else:
        cell = max(abs(lo), abs(hi))
        u = (1 + (1 / (1 + h) if h5 >= 1.5 * h + 0.5 else 1.5 / (1 + h5))) * max(1, n) * eps
        small = dx < cell * u * 3
    if small:
        if cell > 10:
            cell = 9 + cell / 10
        cell *= 0.75
        if min_n > 1:
            cell /= min_n
    else:
        cell = dx / n if n > 1 else dx
    cell = max(cell, np.finfo(float).tiny)
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if 2 * base - cell < h * (cell - unit):
        unit = 2 * base
        if 5 * base - cell < h5 * (cell - unit):
            unit = 5 * base
            if 10 * base - cell < h * (cell - unit):
                unit = 10 * base
    ns, nu = math.floor(lo / unit + reps), math.ceil(hi / unit - reps)
    while ns * unit > lo + reps * unit:
        ns -= 1
    while nu * unit < hi - reps * unit:
        nu += 1
    k = int(0.5 + nu - ns)
    if k < min_n:
        k = min_n - k
        if ns >= 0:
            nu += k // 2
            ns -= k // 2 + k % 2
        else:
            ns -= k // 2
            nu += k // 2 + k % 2
        k = min_n
    a, b = ns * unit, nu * unit
    if k == 0:
        return np.array([a])
    s = a + np.arange(k + 1) * ((b - a) / k)
    s[-1] = b
    s[np.abs(s) < 1e-14 * (b - a) / k] = 0.0
    return s


# ------------------------------------------------------------------------------- drawing
def _layout(k: int) -> tuple[int, int]:
    """mgcv's panel grid for ``k`` panels on one page: ``(rows, cols)``."""
    c = r = max(1, int(math.sqrt(k)))
    if c * r < k:
        c += 1
    if c * r < k:
        r += 1
    return r, c


def _common_ylim(panels: Sequence[SmoothPlotData], se: bool, residuals: bool):
    lo, hi = np.inf, -np.inf
    for p in panels:
        if p.kind not in ("1d", "fs"):
            continue
        if se and p.se is not None:
            lo, hi = min(lo, np.nanmin(p.fit - p.se)), max(hi, np.nanmax(p.fit + p.se))
        else:
            lo, hi = min(lo, np.nanmin(p.fit)), max(hi, np.nanmax(p.fit))
        if residuals and p.p_resid is not None:
            lo, hi = min(lo, np.nanmin(p.p_resid)), max(hi, np.nanmax(p.p_resid))
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None


def _rug(ax: Any, values: np.ndarray) -> None:
    ax.plot(values, np.zeros_like(values), "|", color="black", markersize=6,
            markeredgewidth=0.5, transform=ax.get_xaxis_transform(), clip_on=False)


def _draw_1d(ax: Any, p: SmoothPlotData, se: bool, rug: bool, residuals: bool) -> None:
    ax.plot(p.x, p.fit, color="black", linewidth=1.0)
    if se and p.se is not None:
        for sgn in (1, -1):
            ax.plot(p.x, p.fit + sgn * p.se, color="black", linestyle="--", linewidth=0.8)
    if residuals and p.p_resid is not None and p.show_resid:
        ax.plot(p.raw, p.p_resid, ".", color="black", markersize=2)
    if rug:
        _rug(ax, p.raw)
    ax.set_xlim(p.x[0], p.x[-1])


def _draw_fs(ax: Any, p: SmoothPlotData) -> None:
    n = p.x.size
    styles = ("-", "--", ":", "-.")
    for i, level in enumerate(p.levels):
        ax.plot(p.x, p.fit[i * n:(i + 1) * n], linestyle=styles[i % 4], color=f"C{i % 10}",
                linewidth=1.0, label=str(level))


def _draw_2d(ax: Any, p: SmoothPlotData, se: bool, rug: bool, scheme: int) -> None:
    m = p.x.size
    Z = p.fit.reshape(m, m)  # rows: second covariate (fit has the first varying fastest)
    Zm = np.ma.masked_invalid(Z)
    if scheme in (1, 2, 3):
        cmap = "gray" if scheme == 3 else "YlOrRd_r"
        ax.pcolormesh(p.x, p.y, Zm, cmap=cmap, shading="nearest")
        if np.isfinite(Z).sum() > 3:
            ax.contour(p.x, p.y, Zm, colors="blue", linewidths=0.8, linestyles="solid")
        ax.set_title(p.main, fontsize=10)
    else:
        S = p.se.reshape(m, m) if (se and p.se is not None) else np.zeros_like(Z)
        gap = np.nanmedian(S) if np.isfinite(S).any() else 0.0
        zr = np.nanmax(Z + S) - np.nanmin(Z - S)
        nlev = 10
        while nlev > 1 and zr / nlev < 2.5 * gap:
            nlev -= 1
        levels = pretty(float(np.nanmin(Z - S)), float(np.nanmax(Z + S)), nlev)
        if np.isfinite(Z).sum() > 3:
            cs = ax.contour(p.x, p.y, Zm, levels=levels, colors="black", linewidths=1.5,
                            linestyles="solid")
            ax.clabel(cs, fontsize=6)
            if se and p.se is not None:
                up = ax.contour(p.x, p.y, np.ma.masked_invalid(Z + S), levels=levels,
                                colors="red", linestyles="--", linewidths=0.8)
                lo = ax.contour(p.x, p.y, np.ma.masked_invalid(Z - S), levels=levels,
                                colors="green", linestyles=":", linewidths=0.8)
                ax.clabel(up, fontsize=5)
                ax.clabel(lo, fontsize=5)
                # mgcv's legend: contours of fit + se mark where the fit is 1 se below
                ax.plot([], [], color="red", linestyle="--", label=f"-{round(p.se_mult)}se")
                ax.plot([], [], color="green", linestyle=":", label=f"+{round(p.se_mult)}se")
                ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2,
                          frameon=False, fontsize=7)
        ax.set_title(p.main, fontsize=10, pad=16 if se else 6)
    if rug:
        ax.plot(p.raw[:, 0], p.raw[:, 1], ".", color="black", markersize=1.5)
    ax.set_xlim(p.x[0], p.x[-1])
    ax.set_ylim(p.y[0], p.y[-1])


def _draw_re(ax: Any, p: SmoothPlotData) -> None:
    b = np.sort(p.fit)
    x = p.x  # already increasing
    ax.scatter(x, b, s=14, facecolors="none", edgecolors="black", linewidths=0.8)
    if b.size > 1:  # R's qqline: through the quartiles
        q = np.quantile(b, [0.25, 0.75])
        z = stats.norm.ppf([0.25, 0.75])
        slope = (q[1] - q[0]) / (z[1] - z[0])
        xl = np.array([x[0], x[-1]])
        ax.plot(xl, q[0] + slope * (xl - z[0]), color="black", linewidth=0.8)
    ax.set_title(p.main, fontsize=10)


def _selected(panels: Sequence[SmoothPlotData | None], select: Any) -> list[SmoothPlotData]:
    drawn = [(i, p) for i, p in enumerate(panels) if p is not None]
    if select is None:
        return [p for _, p in drawn]
    wanted = [select] if isinstance(select, (int, np.integer, str)) else list(select)
    labels = [p.label if p is not None else None for p in panels]
    out = []
    for s in wanted:
        if isinstance(s, str):
            if s not in labels:
                raise DataError(f"no smooth labelled {s!r}", f"smooths: {labels}")
            i = labels.index(s)
        else:
            i = int(s) - 1
            if not 0 <= i < len(panels):
                raise DataError(f"select = {s} but the model has {len(panels)} smooth(s)",
                                "select counts smooths from 1, as mgcv")
        if panels[i] is not None:
            out.append(panels[i])
    return out


def plot_gam(result: Any, select: Any = None, pages: int = 0, residuals: bool = False,
             rug: bool = True, se: bool = True, scheme: int = 0, n: int = 100, n2: int = 40,
             path: str | os.PathLike | None = None, *, data: Any = None, too_far: float = 0.1,
             scale: int = -1, figsize: tuple[float, float] | None = None,
             dpi: int = 100) -> Figure:
    """Draw the smooth terms of a fitted GAM (mgcv's ``plot.gam``).

    Parameters
    ----------
    result : GAMResult
    select : int, str or sequence, optional
        Which smooths: numbers counted from 1 in model order (mgcv's ``select``) or labels
        (``"te(x2,x3)"``). Default: all.
    pages : int
        Accepted for mgcv's signature: the panels always share one Figure, laid out as
        mgcv lays out one page.
    residuals : bool
        Add partial residuals to 1-D panels (not for ``by`` smooths, as mgcv).
    rug : bool
        Rug of the covariate (1-D); data points (2-D).
    se : bool
        The ``+/- 2 se`` band (1-D) or ``+/- 1 se`` contours (2-D, ``scheme = 0``).
    scheme : {0, 1}
        2-D smooths as contours (0) or a heat map (1; mgcv's 2 is accepted too, 3 grey).
    n, n2 : int
        Grid sizes (1-D, and each side of the 2-D grid).
    path : str or path-like, optional
        Save the figure there as PNG.
    data : DataFrame, optional
        The data the model was fitted on, for the covariate values (see
        :func:`model_frame`).
    too_far : float
        Leave out 2-D grid points this far from the data (unit-square scale; 0: none).
    scale : {-1, 0}
        -1: the 1-D panels share one y range (mgcv's default); 0: each its own.
    figsize, dpi
        Inches (default about 4 x 3.6 per panel) and PNG resolution.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel (Agg backend, no display needed).

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"x": rng.uniform(size=200), "z": rng.uniform(size=200)})
    >>> d["y"] = np.sin(6 * d.x) + d.z + rng.normal(scale=0.3, size=200)
    >>> m = aurora.gam("y ~ s(x) + s(z)", d)
    >>> fig = plot_gam(m, data=d)
    >>> [ax.get_ylabel()[:5] for ax in fig.axes]
    ['s(x,7', 's(z,1']
    """
    if scheme not in (0, 1, 2, 3):
        raise DataError(f"scheme = {scheme} is not available",
                        "use 0 (contours) or 1 (heat map)")
    panels = smooth_plot_data(result, data=data, residuals=residuals, n=n, n2=n2,
                              too_far=too_far)
    chosen = _selected(panels, select)
    if not chosen:
        raise DataError("no smooth terms to plot", "plot_gam draws the smooths of a GAM")
    ylim = _common_ylim(chosen, se, residuals) if scale == -1 else None
    r, c = _layout(len(chosen))
    fig = Figure(figsize=figsize or (4.0 * c, 3.6 * r))
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(r, c)).ravel()
    for ax in axes[len(chosen):]:
        fig.delaxes(ax)
    for ax, p in zip(axes, chosen):
        if p.kind == "1d":
            _draw_1d(ax, p, se, rug, residuals)
        elif p.kind == "fs":
            _draw_fs(ax, p)
            ax.set_xlim(p.x[0], p.x[-1])
        elif p.kind == "2d":
            _draw_2d(ax, p, se, rug, scheme)
        else:
            _draw_re(ax, p)
        if p.kind in ("1d", "fs") and ylim is not None:
            pad = 0.04 * (ylim[1] - ylim[0] or 1.0)
            ax.set_ylim(ylim[0] - pad, ylim[1] + pad)
        ax.set_xlabel(p.xlab)
        ax.set_ylabel(p.ylab)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png", dpi=dpi)
    return fig
