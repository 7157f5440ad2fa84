"""Caterpillar and normal Q-Q plots of the random effects of a mixed model (R: lattice's
``dotplot(ranef(m, condVar = TRUE))`` and ``qqmath(ranef(m, condVar = TRUE))``).

What each panel shows, as lme4's ``dotplot.ranef.mer`` and ``qqmath.ranef.mer`` draw it
(one panel per random-effect column of a grouping factor):

* **caterpillar** (``kind="caterpillar"``): each level's conditional mode with the interval
  ``mode +/- 1.96 sd`` (``sd`` the conditional standard deviation, from lme4's
  ``condVar``), the levels on the vertical axis sorted by the *first* column's modes
  (lme4's ``reorder``), the same order in every panel of the factor; a grey line per level
  and at 0; the panels of a factor share the horizontal scale (lattice's default).
* **Q-Q** (``kind="qq"``): each column's modes sorted against the normal quantiles
  ``qnorm((i - 0.5) / n)``, with the same intervals, a grid and a line at 0; free
  horizontal scales; vertical axis "Standard normal quantiles".

One figure holds every grouping factor (a row of panels each); ``term`` picks factors.
lme4 draws one lattice plot per factor, titled with its name: with one factor the figure
is titled so and the panels with the columns; with several, each panel is titled
``"factor: column"``.

References: lme4 1.1 ``R/lmer.R`` (``dotplot.ranef.mer``, ``qqmath.ranef.mer``,
``asDf0``); Bates et al. (2015), JSS 67(1), §5.2.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from aurora.errors import UnknownNameError

__all__ = ["RanefPanel", "ranef_plot_data", "plot_ranef", "RANEF_PLOT_KINDS"]

RANEF_PLOT_KINDS = ("caterpillar", "qq")
_ALIASES = {"caterpillar": "caterpillar", "dotplot": "caterpillar", "qq": "qq",
            "qqmath": "qq"}


@dataclass(frozen=True)
class RanefPanel:
    """The numbers of one panel.

    Attributes
    ----------
    group : str
        Grouping factor (lme4's ``names(ranef(m))``).
    column : str
        Random-effect column (``"(Intercept)"``, ``"t"``, ...).
    levels : tuple of str
        Levels in plotted order (bottom to top).
    values : ndarray, shape (n,)
        Conditional modes, in plotted order.
    se : ndarray, shape (n,)
        Conditional standard deviations (NaN when the fit has none).
    y : ndarray, shape (n,)
        Vertical positions: ``1..n`` (caterpillar) or ``qnorm((i - 0.5) / n)`` (Q-Q).
    """

    group: str
    column: str
    levels: tuple[str, ...] = field(repr=False)
    values: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)

    def interval(self, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
        """Ends of the plotted intervals, ``values -/+ z se``."""
        return self.values - z * self.se, self.values + z * self.se


def ranef_plot_data(result: Any, kind: str = "caterpillar",
                    term: str | Sequence[str] | None = None) -> list[RanefPanel]:
    """The panels of :func:`plot_ranef`, without drawing.

    Parameters
    ----------
    result : MixedResult
        Anything whose ``ranef(cond_var=True)`` gives lme4's frames (one DataFrame per
        grouping factor, conditional SDs in ``attrs["condsd"]``).
    kind : {"caterpillar", "qq"}
        Also lattice's names ``"dotplot"``, ``"qqmath"``.
    term : str or list of str, optional
        Grouping factors to draw (all when None).

    Returns
    -------
    list of RanefPanel
        Factor by factor, column by column.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(6), 5)
    >>> df = pd.DataFrame({"y": rng.normal(size=6)[g] + rng.normal(size=30), "g": g})
    >>> p = ranef_plot_data(aurora.lmer("y ~ 1 + (1 | g)", df), "qq")[0]
    >>> p.group, p.column, bool(np.all(np.diff(p.values) >= 0)), p.y.round(3).tolist()
    ('g', '(Intercept)', True, [-1.383, -0.674, -0.21, 0.21, 0.674, 1.383])
    """
    kind = _kind(kind)
    frames = result.ranef(cond_var=True)
    groups = list(frames)
    if term is not None:
        wanted = [term] if isinstance(term, str) else list(term)
        for t in wanted:
            if t not in frames:
                raise UnknownNameError("grouping factor", str(t), groups)
        groups = [g for g in groups if g in wanted]
    panels = []
    for g in groups:
        df = frames[g]
        sd = df.attrs.get("condsd")
        vals = df.to_numpy(dtype=float)
        ses = sd.to_numpy(dtype=float) if sd is not None else np.full(vals.shape, np.nan)
        levels = np.array([str(v) for v in df.index], dtype=object)
        n = vals.shape[0]
        first = np.argsort(vals[:, 0], kind="stable")  # lme4's reorder(.., xt[[1]])
        for c, col in enumerate(df.columns):
            o = first if kind == "caterpillar" else np.argsort(vals[:, c], kind="stable")
            y = (np.arange(1, n + 1, dtype=float) if kind == "caterpillar"
                 else stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n))
            panels.append(RanefPanel(g, str(col), tuple(levels[o]), vals[o, c], ses[o, c], y))
    return panels


def plot_ranef(result: Any, kind: str = "caterpillar", term: str | Sequence[str] | None = None,
               path: str | os.PathLike | None = None, *, z: float = 1.96,
               labels: bool | None = None, figsize: tuple[float, float] | None = None,
               dpi: int = 100) -> Figure:
    """Caterpillar or normal Q-Q plots of the conditional modes (lme4's
    ``dotplot(ranef(m, condVar = TRUE))``, ``qqmath(ranef(m, condVar = TRUE))``).

    Parameters
    ----------
    result : MixedResult
    kind : {"caterpillar", "qq"}
    term : str or list of str, optional
        Grouping factors to draw (all when None): one row of panels each.
    path : str or path, optional
        Where to save the figure as PNG.
    z : float
        Half-width of the intervals in conditional SDs (lme4: 1.96).
    labels : bool, optional
        Level names on the caterpillar's vertical axis; by default when a factor has at
        most 60 levels.
    figsize : (float, float), optional
    dpi : int
        Resolution of the saved PNG.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(8), 6)
    >>> t = np.tile(np.arange(6.0), 8)
    >>> y = rng.normal(size=8)[g] + 0.5 * rng.normal(size=8)[g] * t + rng.normal(size=48)
    >>> m = aurora.lmer("y ~ t + (1 + t | g)", pd.DataFrame({"y": y, "t": t, "g": g}))
    >>> fig = plot_ranef(m)
    >>> [ax.get_title() for ax in fig.axes], fig.get_suptitle()
    (['(Intercept)', 't'], 'g')
    >>> len(plot_ranef(m, "qq").axes[1].lines[-1].get_xdata())
    8
    """
    kind = _kind(kind)
    panels = ranef_plot_data(result, kind, term)
    groups = list(dict.fromkeys(p.group for p in panels))
    ncol = max(sum(p.group == g for p in panels) for g in groups)
    nrow = len(groups)
    if figsize is None:
        tall = max(sum(len(p.levels) for p in panels if p.group == g) /
                   sum(p.group == g for p in panels) for g in groups)
        h = min(max(3.0, 0.16 * tall + 1.2), 12.0) if kind == "caterpillar" else 3.6
        figsize = (3.6 * ncol + 0.8, h * nrow + (0.4 if nrow == 1 else 0.0))
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    axes = np.atleast_2d(fig.subplots(nrow, ncol, squeeze=False))
    for r, g in enumerate(groups):
        row = [p for p in panels if p.group == g]
        for c in range(ncol):
            ax = axes[r, c]
            if c >= len(row):
                fig.delaxes(ax)
                continue
            p = row[c]
            title = p.column if nrow == 1 else f"{g}: {p.column}"
            if kind == "caterpillar":
                show = labels if labels is not None else len(p.levels) <= 60
                _caterpillar(ax, p, z, show and c == 0)
            else:
                _qq(ax, p, z, c == 0)
            ax.set_title(title, fontsize=10)
        if kind == "caterpillar":  # lattice's relation = "same" within a factor
            lo = min(np.nanmin(_finite_range(p, z)[0]) for p in row)
            hi = max(np.nanmax(_finite_range(p, z)[1]) for p in row)
            pad = 0.04 * (hi - lo if hi > lo else 1.0)
            for ax in axes[r, :len(row)]:
                ax.set_xlim(lo - pad, hi + pad)
    if nrow == 1:
        fig.suptitle(groups[0])
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png", dpi=dpi)
    return fig


def _kind(kind: str) -> str:
    if not isinstance(kind, str) or kind.lower() not in _ALIASES:
        raise UnknownNameError("random-effects plot", str(kind), RANEF_PLOT_KINDS)
    return _ALIASES[kind.lower()]


def _finite_range(p: RanefPanel, z: float) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = p.interval(z)
    return np.where(np.isnan(lo), p.values, lo), np.where(np.isnan(hi), p.values, hi)


def _caterpillar(ax: Any, p: RanefPanel, z: float, show_labels: bool) -> None:
    for y in p.y:  # lattice's panel.abline(h = levels)
        ax.axhline(y, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0.0, color="0.6", lw=0.8, zorder=0)
    lo, hi = p.interval(z)
    ax.hlines(p.y, lo, hi, color="black", lw=1.0)
    ax.plot(p.values, p.y, "o", color="#0080ff", ms=4)
    ax.set_ylim(0.4, len(p.y) + 0.6)
    ax.set_yticks(p.y)
    ax.set_yticklabels(list(p.levels) if show_labels else [], fontsize=7)
    if not show_labels:
        ax.tick_params(axis="y", length=0)


def _qq(ax: Any, p: RanefPanel, z: float, first: bool) -> None:
    ax.grid(True, color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.axvline(0.0, color="black", lw=0.8)
    lo, hi = p.interval(z)
    ax.hlines(p.y, lo, hi, color="black", lw=1.0)
    ax.plot(p.values, p.y, "o", color="#0080ff", ms=4)
    if first:
        ax.set_ylabel("Standard normal quantiles")
