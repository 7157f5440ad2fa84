"""nlme's printed summary of a linear mixed model (``print(summary(m))``) and ``print(m)``.

Each block follows nlme's printing code: ``print.summary.lme`` (title, ``Data:`` line, the
AIC/BIC/logLik data frame), ``print.reStruct`` / ``print.summary.pdMat`` (one block per
grouping level, outermost first: a ``StdDev:`` row for a single column, otherwise a
``StdDev``/``Corr`` character matrix; the residual standard deviation on the innermost
level), ``print.summary.corStruct`` (structure name, formula, parameter), the
``varFixed`` variance function, the fixed-effects table (``format(zapsmall(col))``,
p-values ``format(round(p, 4))``), ``print.correlation`` of the fixed effects, the
quantiles of the standardized within-group residuals and the numbers of observations and
groups. Numbers are formatted as R's ``format``/``print.default`` do (7 digits).
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from aurora.report._abbreviate import abbreviate
from aurora.report.mixed import print_left
from aurora.report.rformat import format_real, zapsmall

__all__ = ["NlmeSummary", "RandomLevel", "CorrBlock", "named_vector", "numeric_frame",
           "r_quantile7"]

WIDTH = 80


def named_vector(names: Sequence[str], values: Sequence[str], width: int = WIDTH) -> str:
    """R's print of a named vector of formatted values: every field right-aligned to the
    widest name or value, each followed by a space, as many per line as fit ``width``.

    Examples
    --------
    >>> print(named_vector(["Phi"], ["0.6076213"]))
          Phi 
    0.6076213 
    """
    w = max(len(s) for s in list(names) + list(values))
    per = max(1, width // (w + 1))
    lines = []
    for i in range(0, len(names), per):
        lines.append("".join(n.rjust(w) + " " for n in names[i:i + per]))
        lines.append("".join(v.rjust(w) + " " for v in values[i:i + per]))
    return "\n".join(lines)


def numeric_frame(row_name: str, names: Sequence[str], values: Sequence[float],
                  width: int = WIDTH) -> str:
    """R's print of a one-row numeric data frame or matrix (each column formatted alone
    with 7 digits, right-aligned; NaN printed ``NA``), its columns wrapped into blocks
    narrower than ``width`` as R's ``print.default`` wraps a matrix.

    Examples
    --------
    >>> print(numeric_frame(" ", ["AIC", "BIC", "logLik"], [1093.35, 1113.28, -541.675]))
          AIC     BIC   logLik
      1093.35 1113.28 -541.675
    >>> print(numeric_frame("StdDev:", ["Xr1", "Xr2", "Residual"], [2.5, 2.5, 0.96], 20))
            Xr1 Xr2
    StdDev: 2.5 2.5
            Residual
    StdDev:     0.96
    """
    cells = [format_real([v], 7)[0].strip() for v in values]
    widths = [max(len(n), len(c)) for n, c in zip(names, cells)]
    rw = len(row_name)
    lines, j = [], 0
    while j < len(cells) or not lines:
        stop, used = j, rw
        while stop < len(cells) and (stop == j or used + widths[stop] + 1 < width):
            used += widths[stop] + 1
            stop += 1
        cols = range(j, stop)
        lines.append(" " * rw + "".join(" " + names[c].rjust(widths[c]) for c in cols))
        lines.append(row_name.ljust(rw) + "".join(" " + cells[c].rjust(widths[c]) for c in cols))
        j = stop
    return "\n".join(lines)


def r_quantile7(x: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, na.rm = TRUE)`` (type 7) at 0, .25, .5, .75, 1.

    Examples
    --------
    >>> r_quantile7(np.array([4.0, 1.0, 3.0, 2.0])).tolist()
    [1.0, 1.75, 2.5, 3.25, 4.0]
    """
    x = np.asarray(x, dtype=float)
    x = np.sort(x[~np.isnan(x)])
    n = x.size
    out = []
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        index = (n - 1) * p  # 0-based
        lo, hi = int(math.floor(index)), int(math.ceil(index))
        q = x[lo]
        if index > lo and x[hi] != q:
            h = index - lo
            q = (1 - h) * q + h * x[hi]
        out.append(q)
    return np.array(out)


@dataclass(frozen=True)
class RandomLevel:
    """One grouping level of nlme's random-effects block.

    Attributes
    ----------
    formula : str
        ``~1``, ``~time``... (the level's random-effects formula).
    label : str
        nlme's level name (``g``, ``g %in% site``).
    names : tuple of str
        Column names.
    sd : ndarray
        Standard deviations (absolute).
    corr : ndarray
        Correlation matrix.
    structure : {"logchol", "diag", "pdIdnot"}
        ``"pdIdnot"``: mgcv's i.i.d. smooth coefficients (a GAMM smooth's level).
    """

    formula: str
    label: str
    names: tuple[str, ...]
    sd: np.ndarray = field(repr=False)
    corr: np.ndarray = field(repr=False)
    structure: str = "logchol"


@dataclass(frozen=True)
class CorrBlock:
    """A residual correlation structure as nlme prints it."""

    struct_name: str
    formula: str
    param_name: str
    value: float


def _random_level(lv: RandomLevel, sigma: float, resid: bool) -> str:
    out = [f" Formula: {lv.formula} | {lv.label}"]
    k = len(lv.names)
    sd = list(np.asarray(lv.sd, dtype=float))
    if k > 1:
        name = {"diag": "Diagonal", "pdIdnot": "pdIdnot"}.get(
            lv.structure, "General positive-definite, Log-Cholesky parametrization")
        out.append(f" Structure: {name}")
    if k == 1 or lv.structure in ("diag", "pdIdnot"):
        names = list(lv.names) + (["Residual"] if resid else [])
        vals = sd + ([sigma] if resid else [])
        out.append(numeric_frame("StdDev:", names, vals))
        return "\n".join(out)
    C = np.asarray(lv.corr, dtype=float)
    ll = [(i, j) for j in range(k) for i in range(k) if i > j]
    fmt = format_real([round(float(C[i, j]), 3) for i, j in ll], 7)
    cell = dict(zip(ll, fmt))
    rows = list(lv.names) + (["Residual"] if resid else [])
    sds = format_real(sd + ([sigma] if resid else []), 7)
    cols = ["StdDev", "Corr"] + [""] * (k - 2)
    abbr = abbreviate(list(lv.names)[:-1], 6)
    cells = []
    for r in range(len(rows)):
        row = [sds[r]] + [""] * (k - 1)
        if r == 0:
            row[1:] = abbr
        elif r < k:
            for j in range(r):
                row[1 + j] = cell[(r, j)]
        cells.append(row)
    out.append(print_left(rows, cols, cells))
    return "\n".join(out)


@dataclass(frozen=True)
class NlmeSummary:
    """What ``summary()`` of an nlme-style fit shows; ``str()`` is nlme's
    ``print(summary(m))``.

    Attributes
    ----------
    t_table : DataFrame
        ``Value``, ``Std.Error``, ``DF``, ``t-value``, ``p-value`` (nlme's ``tTable``).
    corr_fixed : DataFrame
        Correlation of the fixed-effect estimates.
    residuals : Series
        Quantiles of the standardized within-group residuals.
    """

    REML: bool
    data_name: str
    aic: float
    bic: float
    loglik: float
    levels: tuple[RandomLevel, ...]
    sigma: float
    corr: CorrBlock | None
    variance_formula: str | None
    fixed_formula: str
    t_table: pd.DataFrame
    corr_fixed: pd.DataFrame = field(repr=False)
    residuals: pd.Series = field(repr=False)
    nobs: int = 0
    ngrps: tuple[tuple[str, int], ...] = ()
    fixef: pd.Series = field(default=None, repr=False)

    def _title(self) -> list[str]:
        how = "REML" if self.REML else "maximum likelihood"
        return [f"Linear mixed-effects model fit by {how}", f"  Data: {self.data_name} "]

    def _model_struct(self) -> list[str]:
        out = ["Random effects:"]
        for i, lv in enumerate(self.levels):
            out.append(_random_level(lv, self.sigma, i == len(self.levels) - 1))
            out.append("")
        if self.corr is not None:
            c = self.corr
            out += [f"Correlation Structure: {c.struct_name}", f" Formula: {c.formula} ",
                    " Parameter estimate(s):",
                    named_vector([c.param_name], [format_real([c.value], 7)[0].strip()])]
        if self.variance_formula is not None:
            out += ["Variance function:", " Structure: fixed weights",
                    f" Formula: {self.variance_formula} "]
        return out

    def _groups(self) -> list[str]:
        out = [f"Number of Observations: {self.nobs}"]
        if len(self.ngrps) == 1:
            out.append(f"Number of Groups: {self.ngrps[0][1]} ")
        else:
            out.append("Number of Groups: ")
            out.append(named_vector([n for n, _ in self.ngrps], [str(v) for _, v in self.ngrps]))
        return out

    def _fixed_table(self) -> list[str]:
        tt = self.t_table
        cols = {}
        for c in ("Value", "Std.Error", "DF", "t-value"):
            cols[c] = format_real(list(zapsmall(tt[c].to_numpy(dtype=float), 7)), 7)
        pv = tt["p-value"].to_numpy(dtype=float)
        cols["p-value"] = format_real([round(float(v), 4) for v in pv], 7)
        names = [str(i) for i in tt.index]
        rw = max(len(n) for n in names) if names else 0
        widths = {c: max(len(c), max(len(s) for s in v)) for c, v in cols.items()}
        lines = [" " * rw + "".join(" " + c.rjust(widths[c]) for c in cols)]
        for i, n in enumerate(names):
            lines.append(n.ljust(rw) + "".join(" " + cols[c][i].rjust(widths[c]) for c in cols))
        return lines

    def _corr_fixed(self) -> list[str]:
        C = self.corr_fixed.to_numpy(dtype=float)
        p = C.shape[0]
        if p <= 1:
            return []
        names = [str(i) for i in self.corr_fixed.index]
        ll = [(i, j) for j in range(p) for i in range(p) if i > j]
        fmt = format_real([round(float(C[i, j]), 3) for i, j in ll], 7)
        cell = dict(zip(ll, fmt))
        abbr = abbreviate(names, 6)
        cells = [[cell[(i, j)] if i > j else "" for j in range(p - 1)] for i in range(1, p)]
        return [" Correlation: ", print_left(names[1:], abbr[:-1], cells)]

    def __str__(self) -> str:
        out = self._title()
        out.append(numeric_frame(" ", ["AIC", "BIC", "logLik"], [self.aic, self.bic, self.loglik]))
        out.append("")
        out += self._model_struct()
        out.append(f"Fixed effects:  {self.fixed_formula} ")
        out += self._fixed_table()
        out += self._corr_fixed()
        out += ["", "Standardized Within-Group Residuals:"]
        q = self.residuals.to_numpy(dtype=float)
        out.append(named_vector(list(self.residuals.index), format_real(list(q), 7)))
        out.append("")
        out += self._groups()
        return "\n".join(out)

    def print_fit(self) -> str:
        """nlme's ``print(m)``: the short form (log-likelihood, fixed effects, random
        effects, correlation structure, numbers of observations and groups)."""
        out = self._title()
        how = "restricted-" if self.REML else ""
        ll = format_real([self.loglik], 7)[0].strip()
        out.append(f"  Log-{how}likelihood: {ll}")
        out.append(f"  Fixed: {self.fixed_formula} ")
        fx = self.fixef
        out.append(named_vector([str(i) for i in fx.index], format_real(list(fx.to_numpy()), 7)))
        out.append("")
        out += self._model_struct()
        out += self._groups()
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        esc = html.escape
        how = "REML" if self.REML else "maximum likelihood"
        parts = [f"<div class='aurora-nlme'><p><b>Linear mixed-effects model fit by {how}</b>"
                 f"<br>Data: {esc(self.data_name)}<br>AIC {self.aic:.4f}, BIC {self.bic:.4f}, "
                 f"logLik {self.loglik:.4f}</p>",
                 f"<p><b>Fixed effects</b>: <code>{esc(self.fixed_formula)}</code></p>",
                 self.t_table.to_html(float_format=lambda v: f"{v:.6g}")]
        parts.append(f"<pre>{esc(chr(10).join(self._model_struct()))}</pre>")
        parts.append(f"<p>{esc(' '.join(self._groups()))}</p></div>")
        return "".join(parts)
