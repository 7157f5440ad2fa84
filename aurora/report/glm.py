"""R-style text for GLM results: ``summary.glm`` and ``print.glm`` layouts."""
from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from aurora.report.rformat import (SIGNIF_LEGEND, coef_table_strings, format_number,
                                   format_real, print_matrix, signif, zapsmall)

__all__ = ["GLMSummary", "format_glm_print"]


class GLMSummary:
    """Summary of a GLM; ``str()`` is laid out like R's ``summary.glm``.

    Attributes
    ----------
    coefficients : DataFrame
        Estimate, Std. Error, z/t value, Pr(>|z|)/Pr(>|t|); aliased rows are NaN.
    deviance_residuals : Series
        Quantiles (Min, 1Q, Median, 3Q, Max) of the deviance residuals.
    dispersion, null_deviance, deviance, df_null, df_residual, aic, n_iter
    """

    def __init__(self, result: Any) -> None:
        self.result = result
        r = result
        stat = "t" if r.uses_t else "z"
        self.statistic_name = stat
        self.coefficients = pd.DataFrame({
            "Estimate": r.params, "Std. Error": r.bse,
            f"{stat} value": r.tvalues, f"Pr(>|{stat}|)": r.pvalues})
        self.dispersion = r.scale
        self.null_deviance = r.null_deviance
        self.deviance = r.deviance
        self.df_null = r.df_null
        self.df_residual = r.df_residual
        self.aic = r.aic
        self.n_iter = r.n_iter

    @cached_property
    def deviance_residuals(self) -> pd.Series:
        d = np.asarray(self.result.residuals("deviance"), dtype=float)
        # zero-weight rows included, na.exclude's NA padding dropped (R: na.rm = TRUE)
        d = d[~np.isnan(d)]
        q = np.quantile(d, [0, 0.25, 0.5, 0.75, 1.0])  # R's type 7 quantiles
        return pd.Series(q, index=["Min", "1Q", "Median", "3Q", "Max"])

    def coefficient_text(self, digits: int = 4) -> str:
        """The coefficient block of ``printCoefmat``, legend included."""
        c = self.coefficients
        cells, stars = coef_table_strings(c.iloc[:, 0].to_numpy(), c.iloc[:, 1].to_numpy(),
                                          c.iloc[:, 2].to_numpy(), c.iloc[:, 3].to_numpy(), digits,
                                          aliased=_aliased(self.result))
        cols = list(c.columns) + ([""] if stars else [])
        text = print_matrix(list(c.index), cols, cells)
        if stars:
            text += "\n---\n" + SIGNIF_LEGEND
        return text

    def __str__(self) -> str:
        r = self.result
        digits = 4
        out = ["", "Call:", r.call, "", "Deviance Residuals: "]
        if r.df_residual > 5:
            q = self.deviance_residuals
            vals = format_real(list(zapsmall(q.to_numpy(), digits + 1)), digits)
            out.append(_named_vector(list(q.index), vals))
        elif r.df_residual == 0:
            # R's residuals.glm: rep.int(0, n) -- unnamed zeros -- for a saturated fit
            out.append(_unnamed_vector(["0"] * len(np.asarray(r.residuals("deviance")))))
        else:
            d = np.asarray(r.residuals("deviance"), dtype=float)
            vals = format_real(list(zapsmall(d, digits + 1)), digits, na="")  # na.print = ""
            out.append(_named_vector(_residual_names(r, len(d)), vals))
        n_alias = int(r.estimates.irls.aliased.sum())
        out.append("")
        if len(self.coefficients) == 0:
            out.append("No Coefficients")
        else:
            out.append("Coefficients:" if not n_alias else
                       f"Coefficients: ({n_alias} not defined because of singularities)")
            out.append(self.coefficient_text(digits))
        disp = _format_or_nan(self.dispersion, 7)
        out.append("")
        out.append(f"(Dispersion parameter for {r.family.name} family taken to be {disp})")
        out.append("")
        devs = format_real([self.null_deviance, self.deviance], max(5, digits + 1), na="NaN")
        dfs = [str(self.df_null), str(self.df_residual)]
        w = max(len(s) for s in dfs)
        out.append(f"    Null deviance: {devs[0]}  on {dfs[0].rjust(w)}  degrees of freedom")
        out.append(f"Residual deviance: {devs[1]}  on {dfs[1].rjust(w)}  degrees of freedom")
        if r.n_omitted:
            out.append(f"  ({r.n_omitted} observation{'s' if r.n_omitted > 1 else ''} "
                       "deleted due to missingness)")
        aic = "NA" if np.isnan(self.aic) else format_number(self.aic, max(4, digits + 1))
        out.append(f"AIC: {aic}")
        out.append("")
        out.append(f"Number of Fisher Scoring iterations: {self.n_iter}")
        out.append("")
        if r.estimates.theta is not None:
            # MASS's print.summary.negbin: decimals from the size of the standard error
            se_v = r.estimates.theta_se
            dp = max(2 - math.floor(math.log10(se_v)), 0) if se_v and se_v > 0 else 2
            th = format_real([round(r.estimates.theta, dp)], 7, nsmall=dp)[0]
            se = format_real([round(se_v, dp)], 7, nsmall=dp)[0] if se_v is not None else "NA"
            tw = format_real([round(r.estimates.twologlik, 3)], 7, nsmall=dp)[0]
            out += ["", f"              Theta:  {th} ", f"          Std. Err.:  {se} ", "",
                    f" 2 x log-likelihood:  {tw} "]
        if r.separation or not r.converged:
            out.append("Warning: " + "; ".join(r.estimates.messages))
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return "<pre>" + _html_escape(str(self)) + "</pre>" + self.coefficients.to_html()

    def to_markdown(self) -> str:
        """The coefficient table as Markdown."""
        return self.coefficients.to_markdown()


def _named_vector(names: list[str], vals: list[str], gap: int = 2, width: int = 80) -> str:
    """R's print of a named numeric vector (print.gap = 2), wrapped at ``width``."""
    w = max([len(n) for n in names] + [len(v) for v in vals])
    per_line = max(1, width // (w + gap))
    lines = []
    for i in range(0, len(vals), per_line):
        lines.append("".join(n.rjust(w) + " " * gap for n in names[i:i + per_line]))
        lines.append("".join(v.rjust(w) + " " * gap for v in vals[i:i + per_line]))
    return "\n".join(lines)


def _unnamed_vector(vals: list[str], gap: int = 2, width: int = 80) -> str:
    """R's print of an unnamed vector: ``[i]`` labels, as many values a line as fit."""
    n = len(vals)
    lab = len(str(n)) + 2
    w = max((len(v) for v in vals), default=0)
    per_line = max(1, (width - lab) // (w + gap))
    lines = []
    for i in range(0, n, per_line):
        lines.append(f"[{i + 1}]".rjust(lab)
                     + "".join(" " * gap + v.rjust(w) for v in vals[i:i + per_line]))
    return "\n".join(lines)


def _residual_names(r: Any, n: int) -> list[str]:
    """Names of the deviance residuals, as R's row names: an integer (pandas default)
    index counts from 1 as R's automatic row names do; other labels print as they are."""
    index = getattr(r.residuals("deviance"), "index", None)
    if index is None or len(index) != n:
        return [str(i + 1) for i in range(n)]
    if pd.api.types.is_integer_dtype(index.dtype):
        return [str(int(i) + 1) for i in index]
    return [str(x) for x in index]


def _html_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _aliased(r: Any) -> np.ndarray:
    """Which coefficients are aliased (R's ``NA``), in coefficient order."""
    return np.asarray(r.estimates.irls.aliased, dtype=bool)


def _format_or_nan(x: float, digits: int) -> str:
    """R's ``format(x, digits)`` of one number; a NaN is R's ``NaN`` (computed, not missing)."""
    return "NaN" if isinstance(x, float) and math.isnan(x) else format_number(x, digits)


def _print_signif(x: float, digits: int, na: str = "NA") -> str:
    """``format(signif(x, digits))`` as ``print.glm`` writes deviances and the AIC."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return na
    return format_number(signif(float(x), digits), 7)


def format_glm_print(r: Any) -> str:
    """R's ``print.glm``: call, coefficients, degrees of freedom, deviances, AIC.

    Coefficients are ``format(coef, digits = 4)`` (aliased ones ``NA``) printed as a
    named vector wrapped at 80 columns; deviances and AIC are
    ``format(signif(x, 4))`` (a quasi family's AIC is ``NA``).
    """
    digits = 4
    coefs = r.params
    alias = _aliased(r)
    values = coefs.to_numpy(dtype=float)
    vals = format_real(list(values), digits)
    vals = [("NA" if alias[i] else "NaN") if math.isnan(v) else s
            for i, (v, s) in enumerate(zip(values, vals))]
    width = max(len(v) for v in vals) if vals else 0
    vals = [v.rjust(width) for v in vals]  # format() pads to a common width
    names = list(coefs.index)
    lines = ["", "Call:  " + r.call, ""]
    if names:
        lines += ["Coefficients:", _named_vector(names, vals)]
    else:
        lines += ["No coefficients", ""]
    lines.append("")
    lines.append(f"Degrees of Freedom: {r.df_null} Total (i.e. Null);  {r.df_residual} Residual")
    if r.n_omitted:
        lines.append(f"  ({r.n_omitted} observation{'s' if r.n_omitted > 1 else ''} "
                     "deleted due to missingness)")
    lines.append(f"Null Deviance:\t    {_print_signif(r.null_deviance, digits, 'NaN')} ")
    aic = _print_signif(r.aic, digits)
    lines.append(f"Residual Deviance: {_print_signif(r.deviance, digits, 'NaN')} \tAIC: {aic}")
    return "\n".join(lines)
