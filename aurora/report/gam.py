"""R-style text and HTML for GAM summaries: mgcv's ``print.summary.gam`` layout.

The numbers come from :func:`aurora.inference.smooth_tests.summary_gam`; this module only
lays them out as mgcv does: ``print.family``, the formula (``deparse`` at 60 columns),
``printCoefmat`` for the parametric table (``cs.ind = 1:2``) and for the smooth table
(``cs.ind = 1``: edf rounded as a coefficient, Ref.df formatted alone, the statistic
rounded to 3 decimals), each followed by the significance legend when a p-value is below
0.1, then ``formatC`` for R-sq.(adj), deviance explained, the criterion and the scale.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from aurora.inference.smooth_tests import (GAMSummaryStats, SmoothFitSummaryInput,
                                           summary_gam)
from aurora.report._rdeparse import deparse_formula
from aurora.report.rformat import SIGNIF_LEGEND, format_pval, format_real, print_matrix
from aurora.report.rformat import signif_stars as _stars

__all__ = ["GAMSummary", "format_gam_summary", "format_gam_summary_html", "print_coefmat",
           "coefmat_cells", "format_c"]

_EPS = float(np.finfo(float).eps)


def format_c(x: float | None, digits: int, width: int | None = None, left: bool = False) -> str:
    """R's ``formatC(x, digits=, width=, flag=)`` for one double: C's ``%*.*g``.

    As R, a missing ``width`` is ``digits + 1`` and ``width = 0`` is ``digits``;
    ``left`` is ``flag = "-"``. Non-finite values print ``NA``/``NaN``/``Inf`` padded.

    Examples
    --------
    >>> format_c(0.7409, 3, 5), format_c(3.67254, 5, 8, left=True), format_c(653.1012, 5)
    ('0.741', '3.6725  ', ' 653.1')
    """
    w = digits + 1 if width is None else (digits if width == 0 else width)
    if x is None or math.isnan(x):
        s = "NA" if x is None else "NaN"
    elif math.isinf(x):
        s = "Inf" if x > 0 else "-Inf"
    else:
        s = f"{x:.{digits}g}"
    return s.ljust(w) if left else s.rjust(w)


def _round(x: np.ndarray, digits: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.round(np.asarray(x, dtype=float), digits)


def print_coefmat(table: pd.DataFrame, digits: int = 4, cs_ind: Sequence[int] | None = None,
                  tst_ind: Sequence[int] | None = None, signif_stars: bool = True
                  ) -> tuple[str, bool]:
    """R's ``printCoefmat`` of a table whose last column is a p-value.

    ``cs_ind`` (0-based) are coefficient-like columns, rounded together by the size of
    the smallest; ``tst_ind`` the statistic columns, rounded to ``dig.tst`` decimals;
    any other column is ``format(x, digits)`` alone. NaN prints ``NaN``. Returns the
    table text (without legend) and whether the legend follows.

    Examples
    --------
    >>> t = pd.DataFrame({"edf": [3.9171, 1.0], "Ref.df": [4.8131, 1.0001],
    ...                   "F": [5.2241, 0.625], "p-value": [0.000228, 0.43]},
    ...                  index=["s(x0)", "s(x3)"])
    >>> print(print_coefmat(t, cs_ind=[0])[0])
            edf Ref.df     F  p-value    
    s(x0) 3.917  4.813 5.224 0.000228 ***
    s(x3) 1.000  1.000 0.625 0.430000    
    """
    cols, cells, stars = coefmat_cells(table, digits, cs_ind, tst_ind, signif_stars)
    return print_matrix([str(r) for r in table.index], cols, cells), stars


def coefmat_cells(table: pd.DataFrame, digits: int = 4, cs_ind: Sequence[int] | None = None,
                  tst_ind: Sequence[int] | None = None, signif_stars: bool = True
                  ) -> tuple[list[str], list[list[str]], bool]:
    """The cells of :func:`print_coefmat`: column names (a last, unnamed stars column
    when shown), rows of strings, and whether the legend follows."""
    xm = table.to_numpy(dtype=float)
    n, nc = xm.shape
    k = nc - 1 - (1 if tst_ind is None else len(tst_ind))
    cs = list(range(k)) if cs_ind is None else list(cs_ind)
    tst = [k] if tst_ind is None else list(tst_ind)
    dig_tst = max(1, min(5, digits - 1))
    cf = np.full((n, nc), "", dtype=object)
    ok = ~np.isnan(xm)
    if cs and n:
        block = xm[:, cs]
        acs = np.abs(block)
        fin = np.isfinite(acs)
        if fin.any():
            nz = acs[fin & (acs != 0)]
            digmin = 1 + math.floor(math.log10(nz.min())) if nz.size else 0
            flat = format_real(list(_round(block, max(1, digits - digmin)).ravel(order="F")),
                               digits, na="NaN")
            cf[:, cs] = np.array(flat, dtype=object).reshape((n, len(cs)), order="F")
    if tst and n:
        flat = format_real(list(_round(xm[:, tst], dig_tst).ravel(order="F")), digits,
                           na="NaN")
        cf[:, tst] = np.array(flat, dtype=object).reshape((n, len(tst)), order="F")
    for j in range(nc - 1):
        if j not in cs and j not in tst and n:
            cf[:, j] = format_real(list(xm[:, j]), digits, na="NaN")
    ok_p = ok[:, :nc - 1].copy()
    ok_p[:, tst] = False
    # values that are not zero but print as zero (or the reverse) get their own digits
    idx = [(i, j) for j in range(nc - 1) for i in range(n) if ok_p[i, j]]
    fix = [(i, j) for i, j in idx if (xm[i, j] == 0) != (float(cf[i, j]) == 0)]
    if fix:
        for (i, j), s in zip(fix, format_real([xm[i, j] for i, j in fix], max(1, digits - 1))):
            cf[i, j] = s
    cf[np.isnan(xm)] = "NaN"
    pv = xm[:, nc - 1]
    okp = ok[:, nc - 1]
    stars = False
    if okp.any():
        for i, s in zip(np.flatnonzero(okp), format_pval(list(pv[okp]), dig_tst, eps=_EPS)):
            cf[i, nc - 1] = s
        stars = signif_stars and bool(np.any(pv[okp] < 0.1))
    cells = [list(row) for row in cf]
    cols = list(table.columns)
    if stars:
        syms = [("" if (math.isnan(p) or p < 0 or p > 1) else _stars(p)) for p in pv]
        w = max(len(s) for s in syms)
        for row, s in zip(cells, syms):
            row.append(s.ljust(w))
        cols.append("")
    return cols, cells, stars


def _legend(stars: bool) -> list[str]:
    return ["---", SIGNIF_LEGEND] if stars else []


def _method_label(method: str | None) -> str | None:
    """As ``print.summary.gam``: ``-REML``/``-ML``; no criterion for PQL/lme fits."""
    if method in ("PQL", "lme.ML", "lme.REML"):
        return None
    if method in ("REML", "ML"):
        return "-" + method
    return method


def format_gam_summary(s: GAMSummaryStats, digits: int = 4) -> str:
    """The text of mgcv's ``print(summary(m))``.

    Examples
    --------
    >>> from aurora.inference.smooth_tests import SmoothFitSummaryInput, SmoothInfo
    >>> rng = np.random.default_rng(0)
    >>> x = np.linspace(0, 1, 40)
    >>> X = np.column_stack([np.ones(40), x - x.mean()])
    >>> y = 1 + 2 * x + rng.normal(scale=0.1, size=40)
    >>> b = np.linalg.lstsq(X, y, rcond=None)[0]
    >>> inp = SmoothFitSummaryInput(
    ...     coef=b, coef_names=["(Intercept)", "s(x).1"], Vp=np.linalg.inv(X.T @ X) * 0.01,
    ...     edf=np.ones(2), smooths=[SmoothInfo("s(x)", 1, 2, fixed=True)], y=y,
    ...     fitted=X @ b, prior_weights=np.ones(40), scale=0.01, scale_estimated=True,
    ...     deviance=0.4, null_deviance=14.0, R=X, n_parametric=1, formula="y~s(x)",
    ...     sp_criterion=-30.5)
    >>> print(format_gam_summary(summary_gam(inp)).splitlines()[5])
    y ~ s(x)
    """
    out = ["", f"Family: {s.family} ", f"Link function: {s.link} ", "", "Formula:"]
    out += deparse_formula(s.formula, cutoff=60).split("\n")
    if len(s.p_table):
        out += ["", "Parametric coefficients:"]
        text, stars = print_coefmat(s.p_table, digits)
        out += text.split("\n") + _legend(stars)
    out.append("")
    if len(s.s_table):
        out.append("Approximate significance of smooth terms:")
        text, stars = print_coefmat(s.s_table, digits, cs_ind=[0])
        out += text.split("\n") + _legend(stars)
    out.append("")
    if s.rank is not None and s.rank < s.n_coef:
        out.append(f"Rank: {s.rank}/{s.n_coef}")
    line = ""
    if s.r_sq is not None:
        line = "R-sq.(adj) =  " + format_c(s.r_sq, 3, 5) + "   "
    line += "Deviance explained = " + format_c(s.dev_expl * 100, 3, 4) + "%"
    out.append(line)
    method = _method_label(s.method)
    crit = f"{method} = {format_c(s.sp_criterion, 5)}" if method else ""
    out.append(f"{crit}  Scale est. = {format_c(s.scale, 5, 8, left=True)}  n = {s.n}")
    return "\n".join(out)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_table(table: pd.DataFrame, digits: int, cs_ind: list[int] | None) -> str:
    """A table with the cells as printed (same rounding as the text)."""
    cols, cells, _ = coefmat_cells(table, digits, cs_ind=cs_ind)
    head = "".join(f"<th>{_esc(c)}</th>" for c in [""] + cols)
    rows = ["<tr><th>" + _esc(str(name)) + "</th>"
            + "".join(f"<td>{_esc(c.strip())}</td>" for c in row) + "</tr>"
            for name, row in zip(table.index, cells)]
    return ("<table class=\"aurora-table\"><thead><tr>" + head + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def format_gam_summary_html(s: GAMSummaryStats, digits: int = 4) -> str:
    """The summary as HTML for notebooks: the same numbers and rounding as the text."""
    parts = ["<div class=\"aurora-gam-summary\">",
             f"<p><b>Family:</b> {_esc(s.family)}<br><b>Link function:</b> {_esc(s.link)}"
             f"<br><b>Formula:</b> <code>{_esc(deparse_formula(s.formula))}</code></p>"]
    if len(s.p_table):
        parts += ["<p><b>Parametric coefficients:</b></p>", _html_table(s.p_table, digits, None)]
    if len(s.s_table):
        parts += ["<p><b>Approximate significance of smooth terms:</b></p>",
                  _html_table(s.s_table, digits, [0])]
    foot = []
    if s.rank is not None and s.rank < s.n_coef:
        foot.append(f"Rank: {s.rank}/{s.n_coef}")
    if s.r_sq is not None:
        foot.append("R-sq.(adj) = " + format_c(s.r_sq, 3, 0).strip())
    foot.append("Deviance explained = " + format_c(s.dev_expl * 100, 3, 0).strip() + "%")
    method = _method_label(s.method)
    if method:
        foot.append(f"{method} = {format_c(s.sp_criterion, 5, 0).strip()}")
    foot += [f"Scale est. = {format_c(s.scale, 5, 0).strip()}", f"n = {s.n}"]
    parts.append("<p>" + _esc(" &nbsp; ".join(foot)).replace("&amp;nbsp;", "&nbsp;") + "</p>")
    parts.append("<p><small>Signif. codes: 0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"
                 "</small></p></div>")
    return "".join(parts)


class GAMSummary:
    """Summary of a GAM; ``str()`` is mgcv's ``print(summary(m))``.

    Attributes
    ----------
    p_table, s_table, pterms_table : DataFrame
        mgcv's ``p.table``, ``s.table``, ``pTerms.table``.
    r_sq, dev_expl, residual_df, scale, n : float
    stats : GAMSummaryStats
        Everything computed by :func:`~aurora.inference.smooth_tests.summary_gam`.
    """

    def __init__(self, source: GAMSummaryStats | SmoothFitSummaryInput) -> None:
        stats_ = summary_gam(source) if isinstance(source, SmoothFitSummaryInput) else source
        self.stats = stats_
        self.p_table = stats_.p_table
        self.s_table = stats_.s_table
        self.pterms_table = stats_.pterms_table
        self.r_sq = stats_.r_sq
        self.dev_expl = stats_.dev_expl
        self.residual_df = stats_.residual_df
        self.scale = stats_.scale
        self.n = stats_.n

    def __str__(self) -> str:
        return format_gam_summary(self.stats)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return format_gam_summary_html(self.stats)

    def to_markdown(self) -> str:
        """The parametric and smooth tables as Markdown."""
        parts: list[Any] = []
        if len(self.p_table):
            parts.append(self.p_table.to_markdown())
        if len(self.s_table):
            parts.append(self.s_table.to_markdown())
        return "\n\n".join(parts)
