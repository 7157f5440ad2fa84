"""The numbers behind :func:`aurora.plot.gam.plot_gam`'s panels, as mgcv computes them.

:func:`smooth_plot_data` returns one :class:`SmoothPlotData` per smooth, the same as the
list mgcv's ``plot.gam`` returns invisibly (``x``, ``fit``, ``se`` already multiplied by 2
for 1-D and by 1 for 2-D smooths, ``exclude``, ``p.resid``). :func:`model_frame` and the
smooth's columns on a grid (``_block_matrix``) serve ``gam_check`` too.

References: mgcv 1.8-41 ``plot.gam``, ``plot.mgcv.smooth``, ``plot.random.effect``,
``plot.fs.interaction``, ``exclude.too.far``, ``sub.edf``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from aurora.errors import DataError

__all__ = ["smooth_plot_data", "SmoothPlotData", "model_frame", "smooth_covariates",
           "exclude_too_far"]


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
