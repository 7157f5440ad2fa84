"""lme4's printed summary of a linear mixed model (``print(summary(m))``), in text and HTML.

Each block follows lme4's printing helpers: ``.prt.methTit``, ``.prt.call`` (``cat(...,
fill = TRUE)``), ``.prt.aictab`` (``REML criterion at convergence:`` or the AIC/BIC/logLik/
deviance/df.resid vector), ``.prt.resids`` (quantiles of the scaled Pearson residuals,
``zapsmall`` to ``digits + 1``), ``.prt.VC``/``formatVC`` (a character matrix printed
left-aligned), ``.prt.grps``, ``printCoefmat`` of the fixed effects and the correlation of
fixed effects (``abbreviate``d names, shown for at most 12 coefficients), then fit and
optimizer messages.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from aurora.report._abbreviate import abbreviate
from aurora.report.rformat import SIGNIF_LEGEND, coef_table_strings, format_real, print_matrix, \
    zapsmall

__all__ = ["MixedSummary", "cat_fill", "format_vc", "print_left", "method_title", "glmm_title",
           "print_title"]

WIDTH = 80


def method_title(REML: bool) -> str:
    """lme4's ``methTitle`` followed by the class, as ``.prt.methTit`` prints it.

    Examples
    --------
    >>> method_title(False)
    "Linear mixed model fit by maximum likelihood  ['lmerMod']"
    """
    how = "REML" if REML else "maximum likelihood "
    return f"Linear mixed model fit by {how} ['lmerMod']"


def glmm_title(nAGQ: int) -> str:
    """lme4's ``methTitle`` of a GLMM.

    Examples
    --------
    >>> glmm_title(1)
    'Generalized linear mixed model fit by maximum likelihood (Laplace Approximation)'
    """
    how = ("(Laplace Approximation)" if nAGQ == 1 else
           f"(Adaptive Gauss-Hermite Quadrature, nAGQ = {nAGQ})")
    return f"Generalized linear mixed model fit by maximum likelihood {how}"


def print_title(title: str, cls: str, width: int = WIDTH) -> str:
    """lme4's ``.prt.methTit``: ``title ['cls']``, or when too wide, the title
    ``strwrap``ped (indent 2) and ``cat(..., " [", cls, "]", sep = "", fill = TRUE)``.

    Examples
    --------
    >>> print(print_title(glmm_title(1), "glmerMod"), end="")
    Generalized linear mixed model fit by maximum likelihood (Laplace
      Approximation) [glmerMod]
    """
    import textwrap

    if len(title) + 5 + len(cls) <= width:
        return f"{title} ['{cls}']\n"
    items = textwrap.wrap(title, width - 3, subsequent_indent="  ",
                          break_on_hyphens=False) + [" [", cls, "]"]
    out, line = [], 0
    for it in items:
        if line and line + len(it) > width:
            out.append("\n")
            line = 0
        out.append(it)
        line += len(it)
    return "".join(out) + "\n"


def cat_fill(items: Sequence[str], width: int = WIDTH) -> str:
    """R's ``cat(..., fill = TRUE)``: items separated by a space, a new line instead when
    the next item would pass ``width``; a final newline.

    Examples
    --------
    >>> cat_fill(["Formula:", "y ~ x"])
    'Formula: y ~ x\\n'
    """
    out, line = [], 0
    for i, s in enumerate(items):
        if i and line + 1 + len(s) > width:
            out.append("\n")
            line = 0
        elif i:
            out.append(" ")
            line += 1
        out.append(s)
        line += len(s)
    return "".join(out) + "\n"


def print_left(row_names: Sequence[str], col_names: Sequence[str],
               cells: list[list[str]]) -> str:
    """R's ``print(<character matrix>, quote = FALSE)``: columns and row names left-aligned,
    padded to their widest entry, one space between columns (trailing blanks kept)."""
    rw = max([len(r) for r in row_names] + [0])
    widths = [max([len(c)] + [len(row[j]) for row in cells]) for j, c in enumerate(col_names)]
    lines = [" " * rw + "".join(" " + c.ljust(w) for c, w in zip(col_names, widths))]
    for r, row in zip(row_names, cells):
        lines.append(r.ljust(rw) + "".join(" " + v.ljust(w) for v, w in zip(row, widths)))
    return "\n".join(lines)


def _named_vector(names: Sequence[str], values: Sequence[str]) -> str:
    """R's print of a named vector: every field right-aligned to the widest, each
    followed by a space."""
    w = max(len(s) for s in list(names) + list(values))
    return ("".join(n.rjust(w) + " " for n in names) + "\n"
            + "".join(v.rjust(w) + " " for v in values))


def _r_cat_number(x: float) -> str:
    """A number as ``cat`` prints it (7 significant digits)."""
    from aurora.distributions._rformat import r_format

    return r_format(x, 7)


def format_vc(vc: list[dict], sigma: float | None, digits: int = 4) -> str:
    """lme4's ``formatVC`` printed as ``.prt.VC`` does.

    Parameters
    ----------
    vc : list of dict
        One per term: ``group`` (printed name), ``names`` (columns), ``sd`` (standard
        deviations), ``corr`` (correlation matrix).
    sigma : float or None
        Residual standard deviation (None: no residual row).

    Examples
    --------
    >>> print(format_vc([{"group": "g", "names": ["(Intercept)"], "sd": [2.0],
    ...                   "corr": np.eye(1)}], 1.0))
     Groups   Name        Variance Std.Dev.
     g        (Intercept) 4        2       
     Residual             1        1       
    """
    groups, names, sds = [], [], []
    for t in vc:
        groups += [t["group"]] + [""] * (len(t["names"]) - 1)
        names += list(t["names"])
        sds += [float(s) for s in t["sd"]]
    if sigma is not None:
        groups.append("Residual")
        names.append("")
        sds.append(float(sigma))
    var_s = format_real([s * s for s in sds], digits)
    sd_s = format_real(sds, digits)
    cols = ["Groups", "Name", "Variance", "Std.Dev."]
    cells = [[g, n, v, s] for g, n, v, s in zip(groups, names, var_s, sd_s)]
    lens = [len(t["names"]) for t in vc]
    if any(k > 1 for k in lens):
        maxlen = max(lens)
        dig = max(2, digits - 2)
        rows = []
        for t in vc:
            C = np.asarray(t["corr"], dtype=float).reshape(len(t["names"]), len(t["names"]))
            k = C.shape[0]
            flat = format_real(list(np.round(C, dig).ravel(order="F")), 7, nsmall=dig)
            cc = [[flat[j * k + i] if i > j else "" for j in range(k)] for i in range(k)]
            rows += [r + [""] * (maxlen - k) for r in cc]
        rows = [r[:maxlen - 1] for r in rows]
        rows += [[""] * (maxlen - 1)] * (len(cells) - len(rows))
        cols += ["Corr"] + [""] * (maxlen - 2)
        cells = [c + r for c, r in zip(cells, rows)]
    return print_left([""] * len(cells), cols, cells)


@dataclass(frozen=True)
class MixedSummary:
    """What ``summary()`` of a :class:`~aurora.models.mixed_result.MixedResult` shows.

    ``str()`` gives lme4's ``print(summary(m))``; the tables are DataFrames:
    ``coefficients`` (Estimate, Std. Error, t value), ``varcor`` (R's
    ``as.data.frame(VarCorr(m))``), ``residuals`` (quantiles of the scaled residuals).
    """

    REML: bool
    call_lines: tuple[tuple[str, str], ...]
    criterion: float
    aictab: dict
    scaled_residuals: np.ndarray = field(repr=False)
    vc: list = field(repr=False)
    sigma: float
    nobs: int
    ngrps: dict
    coefficients: pd.DataFrame
    correlation: np.ndarray = field(repr=False)
    varcor: pd.DataFrame = field(repr=False)
    fit_messages: tuple[str, ...] = ()
    optimizer_messages: tuple[str, ...] = ()
    optimizer: str = "L-BFGS-B"
    digits: int = 4
    title: str | None = None
    family: tuple | None = None
    use_scale: bool = True
    optimizer_code: int = 0
    optimizer_message: str = ""

    @property
    def residuals(self) -> pd.Series:
        q = np.quantile(self.scaled_residuals, [0, 0.25, 0.5, 0.75, 1])
        return pd.Series(q, index=["Min", "1Q", "Median", "3Q", "Max"])

    def _header(self) -> list[str]:
        if self.title is not None:
            out = [print_title(self.title, "glmerMod")]
        else:
            out = [method_title(self.REML) + "\n"]
        if self.family is not None:
            out.append(cat_fill([" Family:", self.family[0], f" ( {self.family[1]} )"]))
        for label, text in self.call_lines:
            out.append(cat_fill([label] + text.split("\n")))
        out.append("\n")
        if self.REML:
            out.append(cat_fill(["REML criterion at convergence:",
                                 _r_cat_number(round(self.criterion, 1))]))
        else:
            keys = ["AIC", "BIC", "logLik", "deviance"]
            vals = format_real([round(self.aictab[k], 1) for k in keys], 7)
            vals.append(format_real([round(self.aictab["df.resid"], 1)], 7)[0])
            out.append(_named_vector(keys + ["df.resid"], vals) + "\n")
        out.append("\n")
        return out

    def _residual_block(self) -> str:
        d = self.digits
        q = zapsmall(self.residuals.to_numpy(), d + 1)
        return ("Scaled residuals: \n"
                + _named_vector(["Min", "1Q", "Median", "3Q", "Max"], format_real(list(q), d))
                + "\n\n")

    def _fixed_block(self) -> str:
        cf = self.coefficients
        if cf.shape[0] == 0:
            return ""
        est, se, tv = (cf.iloc[:, j].to_numpy(dtype=float) for j in range(3))
        if cf.shape[1] > 3:  # a GLMM: p-values and significance stars
            cells, stars = coef_table_strings(est, se, tv, cf.iloc[:, 3].to_numpy(dtype=float),
                                              self.digits)
            cols = list(cf.columns) + ([""] if stars else [])
            out = "\nFixed effects:\n" + print_matrix(list(cf.index), cols, cells) + "\n"
            if stars:
                out += "---\n" + SIGNIF_LEGEND + "\n"
        else:
            cells, _ = coef_table_strings(est, se, tv, np.full(len(est), np.nan), self.digits)
            cells = [c[:3] for c in cells]
            out = ("\nFixed effects:\n" + print_matrix(list(cf.index), list(cf.columns), cells)
                   + "\n")
        p = len(est)
        if 1 < p <= 12:
            rn = [str(i) for i in cf.index]
            rns = abbreviate(rn, 11)
            cns = abbreviate(rn, 6)
            C = np.asarray(self.correlation, dtype=float)
            flat = format_real(list(np.round(C, 3).ravel(order="F")), 7, nsmall=3)
            cc = [[flat[j * p + i] if i > j else "" for j in range(p)] for i in range(p)]
            out += ("\nCorrelation of Fixed Effects:\n"
                    + print_left(rns[1:], cns[:-1], [r[:-1] for r in cc[1:]]) + "\n")
        return out

    def __str__(self) -> str:
        out = self._header()
        out.append(self._residual_block())
        sig = self.sigma if self.use_scale else None
        out.append("Random effects:\n" + format_vc(self.vc, sig, self.digits) + "\n")
        grps = "; ".join(f"{k}, {v}" for k, v in self.ngrps.items())
        out.append(cat_fill([f"Number of obs: {self.nobs}, groups: ", grps]))
        out.append(self._fixed_block())
        if self.fit_messages:
            out.append("fit warnings:\n" + "\n".join(self.fit_messages) + "\n")
        text = "".join(out).rstrip("\n")
        if self.optimizer_messages or self.optimizer_code:  # lme4's .prt.warn
            code = self.optimizer_code
            why = "(OK)" if code == 0 else (f"({self.optimizer_message})"
                                            if self.optimizer_message else "")
            text += (f"\noptimizer ({self.optimizer}) convergence code: {code} {why}\n"
                     + "\n".join(self.optimizer_messages) + "\n")
        return text

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        return _summary_html(self)


def _summary_html(s: MixedSummary) -> str:
    """An HTML rendering of the summary: the header lines and the tables."""
    esc = html.escape
    title = s.title if s.title is not None else method_title(s.REML)
    parts = [f"<div class='aurora-mixed'><p><b>{esc(title)}</b><br>"]
    if s.family is not None:
        parts.append(f"Family: {esc(s.family[0])} ( {esc(s.family[1])} )<br>")
    for label, text in s.call_lines:
        parts.append(f"{esc(label.strip())} <code>{esc(' '.join(text.split()))}</code><br>")
    if s.REML:
        parts.append(f"REML criterion at convergence: {_r_cat_number(round(s.criterion, 1))}</p>")
    else:
        parts.append(" ".join(f"{k}: {v:.1f}" for k, v in s.aictab.items()) + "</p>")
    vc = s.varcor.copy()
    parts.append("<p><b>Random effects</b></p>" + vc.to_html(index=False, na_rep=""))
    grps = "; ".join(f"{k}, {v}" for k, v in s.ngrps.items())
    parts.append(f"<p>Number of obs: {s.nobs}, groups: {esc(grps)}</p>")
    parts.append("<p><b>Fixed effects</b></p>" + s.coefficients.to_html(float_format=_html_num))
    for m in s.fit_messages + s.optimizer_messages:
        parts.append(f"<p><i>{esc(m)}</i></p>")
    parts.append("</div>")
    return "".join(parts)


def _html_num(x: float) -> str:
    return "" if math.isnan(x) else f"{x:.4g}"
