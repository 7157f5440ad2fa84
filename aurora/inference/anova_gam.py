"""mgcv's ``anova.gam``: Wald tables of one GAM, analysis of deviance between GAMs.

One model gives what ``summary.gam`` computes, printed as ``print.anova.gam`` prints it:
a Wald test per parametric term (``df``, ``F`` or ``Chi.sq``, ``p-value``; the Bayesian
covariance ``Vp``, or the frequentist ``Ve`` with ``freq=True``) and the approximate
significance of each smooth (``edf``, ``Ref.df``, ``F`` or ``Chi.sq``, ``p-value``: Wood
2013a, always from ``Vp``, as mgcv).

Several models give R's ``anova.glmlist`` table, after mgcv replaces each model's
residual degrees of freedom by ``n - sum(edf1) - (sum(edf2) - sum(edf))`` (the last term
only when ``edf2`` exists, i.e. for REML/ML fits): ``edf1`` is the ``tr(2F - F^2)``
effective degrees of freedom and the ``edf2 - edf`` correction accounts for smoothing
parameter uncertainty (Wood, Pya & Saefken 2016, JASA 111:1548-1563, section 4.2). Tests
are R's ``stat.anova`` with the dispersion of the model with the fewest residual df
(``summary.gam``'s ``sig2``), known when it equals 1.
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import AuroraWarning, DataError
from aurora.inference._table import AnovaTable
from aurora.inference.anova import comparison_table

__all__ = ["GAMAnova", "anova_gam", "gam_df_residual", "format_anova_gam"]

_TESTS = ("Chisq", "LRT", "F")


@dataclass(frozen=True, eq=False)
class GAMAnova:
    """mgcv's ``anova(m)`` for one GAM; ``str()`` prints as ``print.anova.gam``.

    Attributes
    ----------
    pterms_table : DataFrame
        One row per parametric term (the intercept excluded): ``df``, ``F`` (scale
        estimated) or ``Chi.sq``, ``p-value``. Empty without parametric terms.
    s_table : DataFrame
        One row per smooth: ``edf``, ``Ref.df``, ``F`` or ``Chi.sq``, ``p-value``.
    family, link, formula : str
        As printed.
    residual_df : float
        ``n - sum(edf)``, the F tests' denominator df.
    freq : bool
        Whether the parametric tests used the frequentist covariance ``Ve``.
    """

    pterms_table: pd.DataFrame
    s_table: pd.DataFrame
    family: str
    link: str
    formula: str
    residual_df: float
    freq: bool = False

    def __str__(self) -> str:
        return format_anova_gam(self)

    def __repr__(self) -> str:
        return str(self)


def format_anova_gam(a: GAMAnova, digits: int = 4) -> str:
    """The text of mgcv's ``print(anova(m))`` (``print.anova.gam``).

    ``print.family``, the formula (R's ``deparse``, 60 columns), then each table through
    ``printCoefmat`` with its default columns (``df``, or ``edf`` and ``Ref.df``, rounded
    together as coefficients; the statistic to ``digits - 1`` decimals) and no stars.
    """
    from aurora.report.call import deparse_formula
    from aurora.report.gam import print_coefmat

    out = ["", f"Family: {a.family} ", f"Link function: {a.link} ", "", "Formula:"]
    out += deparse_formula(a.formula, cutoff=60).split("\n")
    if len(a.pterms_table):
        out += ["", "Parametric Terms:"]
        out += print_coefmat(a.pterms_table, digits, signif_stars=False)[0].split("\n")
    out.append("")
    if len(a.s_table):
        out.append("Approximate significance of smooth terms:")
        out += print_coefmat(a.s_table, digits, signif_stars=False)[0].split("\n")
    return "\n".join(out)


def gam_df_residual(result: Any) -> float:
    """The residual df mgcv's ``anova.gam`` gives a GAM before comparing models.

    ``n - sum(edf1) - (sum(edf2) - sum(edf))``; without ``edf2`` (GCV/UBRE fits) the
    correction is 0. This is not ``df.residual`` (``n - sum(edf)``).
    """
    fit = result.fit
    dfc = 0.0 if fit.edf2 is None else float(np.sum(fit.edf2) - np.sum(fit.edf))
    return float(result.nobs - np.sum(fit.edf1) - dfc)


def _single(result: Any, freq: bool) -> GAMAnova:
    from aurora.inference.smooth_tests import summary_gam

    inp = result._summary_input()
    s = summary_gam(inp)
    pterms = s.pterms_table
    if freq and len(pterms):
        # summary.gam(freq = TRUE): the parametric Wald tests use Ve; the smooth tests
        # keep Vp (mgcv's testStat reads object$Vp either way)
        pterms = summary_gam(dataclasses.replace(inp, Vp=inp.Ve, smooths=())).pterms_table
    return GAMAnova(pterms_table=pterms, s_table=s.s_table, family=s.family, link=s.link,
                    formula=s.formula, residual_df=s.residual_df, freq=freq)


def _response(result: Any) -> str:
    return str(result.plan.spec.formula.response)


def _compare(models: list[Any], test: str | None, freq: bool) -> AnovaTable | GAMAnova:
    from aurora.report.call import deparse_formula

    responses = [_response(m) for m in models]
    same = [r == responses[0] for r in responses]
    if not all(same):
        dropped = ", ".join(f'"{r}"' for r, s in zip(responses, same) if not s)
        warnings.warn(f"models with response {dropped} removed because response differs "
                      "from model 1", AuroraWarning, stacklevel=3)
        models = [m for m, s in zip(models, same) if s]
    if len({m.nobs for m in models}) > 1:
        raise DataError("models were not all fitted to the same size of dataset",
                        "fit every model to the same rows (drop missing values first)")
    if len(models) == 1:
        return _single(models[0], freq)
    rdf = np.array([gam_df_residual(m) for m in models])
    rdev = np.array([m.deviance for m in models])
    formulas = [deparse_formula(m.plan.spec.written_formula, cutoff=60) for m in models]

    def dispersion_of(big: Any) -> tuple[float, float]:
        scale = float(big.scale)  # treated as known when it is 1, as mgcv does
        return scale, (float("inf") if scale == 1 else float(rdf.min()))

    return comparison_table(models, rdf, rdev, formulas, test, dispersion_of,
                            index=[str(i) for i in range(1, len(models) + 1)])


def anova_gam(result: Any, *others: Any, test: str | None = None,
              freq: bool = False) -> GAMAnova | AnovaTable:
    """mgcv's ``anova.gam``: term tests of one GAM, or a comparison of nested GAMs.

    Parameters
    ----------
    result : GAMResult
    *others : GAMResult
        Further models, compared in the order given (R's ``anova(m0, m1, ...)``).
    test : {None, "F", "Chisq", "LRT"}
        With several models: ``"F"`` adds ``F`` and ``Pr(>F)``, ``"Chisq"`` (alias
        ``"LRT"``) adds ``Pr(>Chi)``. Ignored, with a warning, for one model (as mgcv).
    freq : bool
        One model: Wald tests of the parametric terms from the frequentist covariance
        ``Ve`` instead of the Bayesian ``Vp``.

    Returns
    -------
    GAMAnova
        For one model: ``pterms_table`` and ``s_table``; ``str()`` is mgcv's printout.
    AnovaTable
        For several: rows ``"1"``, ``"2"``...; columns ``Resid. Df``, ``Resid. Dev``,
        ``Df``, ``Deviance`` (+ the test's), printed as R's ``print.anova``.

    Notes
    -----
    The comparison's ``Resid. Df`` is :func:`gam_df_residual`, not ``n - sum(edf)``;
    differences of deviance are referred to chi-square or F distributions with these
    (fractional) df, an approximation mgcv documents as rough for penalized terms.
    mgcv's extended-family branch (deviance replaced by ``-2 logLik`` times the scale)
    is not needed: ``aurora.gam`` has no extended families yet.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"x": rng.uniform(size=200), "z": rng.uniform(size=200)})
    >>> d["y"] = np.sin(6 * d.x) + rng.normal(scale=0.3, size=200)
    >>> m0, m1 = aurora.gam("y ~ s(x)", d), aurora.gam("y ~ s(x) + s(z)", d)
    >>> list(anova_gam(m1).s_table.columns)
    ['edf', 'Ref.df', 'F', 'p-value']
    >>> list(anova_gam(m0, m1, test="F").columns)
    ['Resid. Df', 'Resid. Dev', 'Df', 'Deviance', 'F', 'Pr(>F)']
    """
    from aurora.models.gam_result import GAMResult

    for m in (result, *others):
        if not isinstance(m, GAMResult):
            raise DataError(f"anova_gam needs fitted GAMs, got {type(m).__name__}",
                            "fit each model with aurora.gam")
    if others:
        if test is not None and test not in _TESTS:
            raise DataError(f"un-supported test {test!r}",
                            "use test='F', 'Chisq' (alias 'LRT') or None")
        return _compare([result, *others], test, freq)
    if test is not None:
        warnings.warn("test argument ignored", AuroraWarning, stacklevel=2)
    return _single(result, freq)
