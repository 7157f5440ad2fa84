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

:func:`smooth_plot_data` returns the numbers behind the panels, the same as the list
mgcv's ``plot.gam`` returns invisibly (``x``, ``fit``, ``se`` already multiplied by 2 for
1-D and by 1 for 2-D smooths, ``exclude``, ``p.resid``).

Differences from mgcv: a single Figure holds every panel (mgcv's ``pages = 1`` layout
whatever ``pages`` is); ``scheme = 1`` is a heat map (mgcv's 1 is a perspective plot, its 2
the heat map, also accepted here); smooths of 3 or more covariates are not drawn (mgcv
draws slices); parametric terms (``all.terms``) are not drawn.

References: mgcv 1.8-41 ``plot.gam``, ``plot.mgcv.smooth``, ``plot.random.effect``,
``plot.fs.interaction``, ``exclude.too.far``; Wood (2017) *Generalized Additive Models*,
2nd ed., section 6.10.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats
from scipy.spatial import cKDTree

from aurora.errors import DataError

__all__ = ["plot_gam", "smooth_plot_data", "SmoothPlotData", "model_frame",
           "smooth_covariates", "exclude_too_far", "pretty"]


@dataclass(frozen=True, repr=False)
class SmoothPlotData:
    """The data of one panel (one entry of the list mgcv's ``plot.gam`` returns).

    Attributes
    ----------
    label : str
        The smooth's label (``s(x0)``, ``te(x2,x3)``).
    kind : {"1d", "2d", "re", "fs"}
    x : ndarray (n,) or (n2,)
        Grid of the (first) covariate; for ``re`` the normal quantiles of the Q-Q plot.
    y : ndarray (n2,) or None
        Grid of the second covariate of a 2-D smooth.
    fit : ndarray
        The smooth on the grid: ``(n,)`` for 1-D, ``(n2 * n2,)`` for 2-D with the first
        covariate varying fastest (NaN where excluded), ``(n * levels,)`` for ``fs``, the
        coefficients (model order) for ``re``.
    se : ndarray or None
        Standard errors times ``se_mult`` (NaN where excluded).
    se_mult : float
        2 for 1-D smooths, 1 for 2-D (mgcv's ``se1.mult``/``se2.mult``).
    xlab, ylab, main : str
    raw : ndarray (n_obs,) or (n_obs, 2)
        The covariate values of the data (rug or points).
    exclude : ndarray of bool or None
        Grid points left out as too far from the data (2-D).
    p_resid : ndarray (n_obs,) or None
        Partial residuals (``residuals=True``).
    levels : tuple of str
        The factor levels of an ``fs`` smooth.
    show_resid : bool
        Whether partial residuals are drawn (mgcv: not for ``by`` smooths).
    """

    label: str
    kind: str
    x: np.ndarray
    fit: np.ndarray
    xlab: str
    ylab: str
    main: str = ""
    y: np.ndarray | None = None
    se: np.ndarray | None = None
    se_mult: float = 1.0
    raw: np.ndarray | None = None
    exclude: np.ndarray | None = None
    p_resid: np.ndarray | None = None
    levels: tuple[str, ...] = ()
    show_resid: bool = True

    def __repr__(self) -> str:
        return f"SmoothPlotData({self.label!r}, kind={self.kind!r}, n={self.fit.size})"


# ------------------------------------------------------------------------------- data
def model_frame(result: Any, data: Any = None) -> pd.DataFrame:
    """The rows of the data the model was fitted on (mgcv's ``m$model``).

    ``data`` is the data frame given to :func:`aurora.gam`; without it the result's own
    ``model_frame`` (or ``model``/``data``) attribute is used when it has one. Rows are
    matched by label to the rows used in the fit (after ``subset`` and missing values).
    """
    if data is None:
        for name in ("model_frame", "model", "data"):
            data = getattr(result, name, None)
            if callable(data):
                data = data()
            if isinstance(data, pd.DataFrame):
                break
            data = None
    if data is None:
        raise DataError("the covariate values of the fit are needed for this plot/check",
                        "pass data=: the data frame the model was fitted on")
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    rows = result.plan.row_index
    n = len(rows)
    if len(frame) == n and frame.index.equals(rows):
        return frame
    if frame.index.is_unique and pd.Index(rows).isin(frame.index).all():
        return frame.loc[rows]
    if len(frame) == n:
        return frame
    raise DataError(f"data has {len(frame)} rows, which do not match the {n} rows of the fit",
                    "pass the data frame the model was fitted on")


def smooth_covariates(spec: Any) -> tuple[str, ...]:
    """The covariates a smooth is a function of (its ``by`` variable and, for ``fs``, its
    factor left out): mgcv's ``term`` (``base$term`` for ``fs``)."""
    state = spec.state
    if "fterm" in state and "base" in state:
        return tuple(state["base"]["variables"])
    names = tuple(spec.variables)
    return names[:-1] if state.get("by") else names


def _is_factor(values: Any) -> bool:
    dtype = getattr(values, "dtype", np.asarray(values).dtype)
    return str(dtype) == "category" or getattr(dtype, "kind", "O") not in "biufc"


def _numeric(frame: pd.DataFrame, name: str) -> np.ndarray:
    return np.asarray(frame[name], dtype=float).reshape(-1)


def _block_matrix(spec: Any, grid: dict[str, Any], n: int) -> np.ndarray:
    """The smooth's columns at the grid, its ``by`` variable set as mgcv's plot sets it
    (1 for a numeric ``by``, the smooth's own level for a factor ``by``)."""
    from aurora.smooths.by import predict_con

    state = spec.state
    dat = dict(grid)
    by = state.get("by")
    if by:
        level = state.get("by_level")
        dat[by] = np.ones(n) if level is None else np.array([level] * n, dtype=object)
    X = np.asarray(predict_con(state, dat), dtype=float)
    deleted = state.get("del_index")  # columns mgcv's side constraints removed
    return np.delete(X, deleted, axis=1) if deleted else X


def _t2_centre(spec: Any, frame: pd.DataFrame, covs: Sequence[str]) -> np.ndarray | None:
    """mgcv fits a ``t2`` smooth under one constraint and reports it under another (sum
    to zero over the data, its ``Cp``), moving a constant between the smooth and the
    intercept. aurora keeps the fitting parametrisation, so the plotted curve (and the
    partial residuals) subtract the smooth's mean over the data: the same function as
    mgcv's, with its ``se`` from the same block of ``Vp``. None for other smooths."""
    if spec.state.get("Zp") is None:
        return None
    at_data = {v: _numeric(frame, v) for v in covs}
    return _block_matrix(spec, at_data, len(frame)).mean(axis=0)


def exclude_too_far(gx: np.ndarray, gy: np.ndarray, dx: np.ndarray, dy: np.ndarray,
                    dist: float) -> np.ndarray:
    """mgcv's ``exclude.too.far``: grid points whose nearest datum is farther than
    ``dist``, both scaled so that the grid spans the unit square.

    Examples
    --------
    >>> g = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0, 1.0])
    >>> exclude_too_far(*g, np.array([0.0]), np.array([0.0]), 0.5).tolist()
    [False, True, True, True]
    """
    if dist < 0:
        raise DataError("too_far must be non-negative")
    pts = []
    for g, d in ((gx, dx), (gy, dy)):
        lo = np.min(g)
        span = np.max(g - lo)
        span = span if span > 0 else 1.0
        pts.append(((g - lo) / span, (d - lo) / span))
    grid = np.column_stack([pts[0][0], pts[1][0]])
    data = np.column_stack([pts[0][1], pts[1][1]])
    distance = cKDTree(data).query(grid, k=1)[0]
    return distance > dist


def _edf_label(label: str, edf: float) -> str:
    """mgcv's ``sub.edf``: ``s(x)`` -> ``s(x,6.84)``, ``s(x):fa`` -> ``s(x,6.84):fa``."""
    value = f"{round(float(edf), 2):.15g}"
    pos = label.find(":")
    if pos < 0:
        return f"{label[:-1]},{value})"
    return f"{label[:pos - 1]},{value}{label[pos - 1:]}"


def _partial_residuals(result: Any, start: int, stop: int, centre: Any = 0.0) -> np.ndarray:
    """mgcv's ``p.resid``: the smooth at the data plus ``sqrt(w)`` times the working
    residuals (working weights ``w``)."""
    fit = result.fit
    X = np.asarray(result.plan.X, dtype=float)[:, start:stop] - centre
    term = X @ np.asarray(fit.coefficients, dtype=float)[start:stop]
    eta = np.asarray(fit.linear_predictors, dtype=float)
    mu = np.asarray(fit.fitted_values, dtype=float)
    link = result.family.link
    with np.errstate(divide="ignore", invalid="ignore"):
        working = (result.plan.y - mu) / np.asarray(link.inverse_derivative(eta), dtype=float)
    w = np.asarray(fit.working_weights, dtype=float)
    return term + working * np.sqrt(np.maximum(w, 0))


def smooth_plot_data(result: Any, data: Any = None, residuals: bool = False, n: int = 100,
                     n2: int = 40, too_far: float = 0.1) -> tuple[SmoothPlotData | None, ...]:
    """The numbers of every smooth's panel, as mgcv's ``plot.gam`` returns them.

    Parameters
    ----------
    result : GAMResult
    data : DataFrame, optional
        The data the model was fitted on (see :func:`model_frame`).
    residuals : bool
        Add the partial residuals.
    n, n2 : int
        Grid sizes for 1-D and 2-D smooths (``n2`` at least 10, as mgcv).
    too_far : float
        Exclusion distance for 2-D grids (0: keep every grid point).

    Returns
    -------
    tuple
        One :class:`SmoothPlotData` per smooth in model order; None for a smooth that
        is not drawn (3 or more covariates).
    """
    frame = model_frame(result, data)
    fit = result.fit
    beta = np.asarray(fit.coefficients, dtype=float)
    Vp = np.asarray(fit.Vp, dtype=float)
    edf = np.asarray(fit.edf, dtype=float)
    out: list[SmoothPlotData | None] = []
    for spec, block in zip(result.plan.spec.smooths, result.plan.penalties):
        a, b = block.start, block.stop
        covs = smooth_covariates(spec)
        cm = _t2_centre(spec, frame, covs)
        centre = 0.0 if cm is None else cm
        common = dict(label=block.label, main=_edf_label(block.label, edf[a:b].sum()),
                      p_resid=_partial_residuals(result, a, b, centre) if residuals else None)
        coef, V = beta[a:b], Vp[a:b, a:b]
        if block.bs == "re":
            out.append(SmoothPlotData(kind="re", x=_qq_x(b - a), fit=coef.copy(),
                                      xlab="Gaussian quantiles", ylab="effects",
                                      show_resid=False, **common))
        elif "fterm" in spec.state and "base" in spec.state:
            out.append(_fs_panel(spec, frame, covs, coef, n, common) if len(covs) == 1
                       else None)
        elif len(covs) == 1:
            raw = _numeric(frame, covs[0])
            xx = np.linspace(raw.min(), raw.max(), n)
            X = _block_matrix(spec, {covs[0]: xx}, n) - centre
            common["ylab"], common["main"] = common["main"], ""
            out.append(SmoothPlotData(kind="1d", x=xx, fit=X @ coef, xlab=covs[0],
                                      se=_se(X, V) * 2.0, se_mult=2.0, raw=raw,
                                      show_resid=not spec.state.get("by"), **common))
        elif len(covs) == 2:
            out.append(_surface_panel(spec, frame, covs, coef, V, centre, n2, too_far, common))
        else:
            out.append(None)
    return tuple(out)


def _se(X: np.ndarray, V: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(0, np.einsum("ij,jk,ik->i", X, V, X)))


def _fs_panel(spec: Any, frame: pd.DataFrame, covs: Sequence[str], coef: np.ndarray, n: int,
              common: dict) -> SmoothPlotData:
    """``plot.fs.interaction``: every level's curve on one grid (no se)."""
    raw = _numeric(frame, covs[0])
    xx = np.linspace(raw.min(), raw.max(), n)
    levels = tuple(spec.state["flev"])
    grid = {covs[0]: np.tile(xx, len(levels)),
            spec.state["fterm"]: pd.Categorical(np.repeat(levels, n), categories=levels)}
    X = _block_matrix(spec, grid, n * len(levels))
    common = {**common, "ylab": common["main"], "main": ""}
    return SmoothPlotData(kind="fs", x=xx, fit=X @ coef, xlab=covs[0], raw=raw, levels=levels,
                          show_resid=False, **common)


def _surface_panel(spec: Any, frame: pd.DataFrame, covs: Sequence[str], coef: np.ndarray,
                   V: np.ndarray, centre: Any, n2: int, too_far: float,
                   common: dict) -> SmoothPlotData:
    """A 2-D smooth on mgcv's ``n2 x n2`` grid, the first covariate varying fastest."""
    rx, ry = _numeric(frame, covs[0]), _numeric(frame, covs[1])
    m = max(10, int(n2))
    xm, ym = np.linspace(rx.min(), rx.max(), m), np.linspace(ry.min(), ry.max(), m)
    xx, yy = np.tile(xm, m), np.repeat(ym, m)
    excl = (exclude_too_far(xx, yy, rx, ry, too_far) if too_far > 0
            else np.zeros(m * m, dtype=bool))
    X = _block_matrix(spec, {covs[0]: xx, covs[1]: yy}, m * m) - centre
    f, se = X @ coef, _se(X, V)
    f[excl], se[excl] = np.nan, np.nan
    return SmoothPlotData(kind="2d", x=xm, y=ym, fit=f, xlab=covs[0], ylab=covs[1], se=se,
                          se_mult=1.0, raw=np.column_stack([rx, ry]), exclude=excl,
                          show_resid=False, **common)


def _qq_x(k: int) -> np.ndarray:
    """R's ``qnorm(ppoints(k))``."""
    a = 3 / 8 if k <= 10 else 0.5
    return stats.norm.ppf((np.arange(1, k + 1) - a) / (k + 1 - 2 * a))


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
