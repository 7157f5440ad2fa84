"""Wald tests of linear hypotheses and likelihood-ratio tests of nested GLMs.

R: ``car::linearHypothesis`` (``L b = rhs``, chi-square or F) and ``anova(m0, m1,
test = "LRT")``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from aurora.errors import DataError
from aurora.inference._hypothesis import make_hypothesis, print_hypothesis
from aurora.inference._table import AnovaTable

__all__ = ["wald_test", "lr_test", "make_hypothesis"]


def _estimable(model: Any) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    aliased = np.asarray(model.aliased, dtype=bool)
    names = [n for n, a in zip(model.column_names, aliased) if not a]
    b = model.params.to_numpy(dtype=float)[~aliased]
    V = model.vcov().to_numpy(dtype=float)
    return names, b, V, aliased


def _as_matrix(model: Any, L: Any, names: list[str], aliased: np.ndarray) -> np.ndarray:
    if isinstance(L, pd.Series):
        L = L.to_frame().T
    if isinstance(L, pd.DataFrame):
        unknown = [c for c in L.columns if c not in model.column_names]
        if unknown:
            raise DataError(f"L has columns {unknown} that are not coefficients",
                            f"name L's columns after the coefficients: {', '.join(names)}")
        full = L.reindex(columns=list(model.column_names), fill_value=0.0).to_numpy(dtype=float)
    else:
        full = np.atleast_2d(np.asarray(L, dtype=float))
    p_all = len(model.column_names)
    if full.shape[1] == p_all and p_all != len(names):
        if np.any(full[:, aliased] != 0):
            raise DataError("the hypothesis involves aliased (NA) coefficients",
                            "test only estimable coefficients")
        full = full[:, ~aliased]
    if full.shape[1] != len(names):
        raise DataError(f"L has {full.shape[1]} columns but the model has {len(names)} "
                        "estimable coefficients", f"use one column per coefficient: {', '.join(names)}")
    return full


def wald_test(model: Any, L: Any, rhs: Any = None, test: str | None = None) -> AnovaTable:
    """Wald test of the linear hypothesis ``L beta = rhs`` (R's ``car::linearHypothesis``).

    Parameters
    ----------
    model : GLMResult
    L : array-like, DataFrame, str or list of str
        A ``(q, p)`` matrix over the estimable coefficients (or over all coefficients,
        aliased ones having zero entries), a DataFrame whose columns are coefficient
        names, or hypotheses as text over the coefficient names: ``"x1 = 0"``,
        ``"x1 + x2 = 0.5"``, ``"2*x1 - x2 = 1"``.
    rhs : float or array-like, optional
        Right-hand side (default 0, or as written in the text).
    test : {None, "Chisq", "F"}
        ``None`` uses chi-square when the dispersion is known (binomial, poisson,
        ``glm.nb``) and F when it is estimated. ``"Chisq"`` is car's default for a glm.

    Returns
    -------
    AnovaTable
        Rows 1 (restricted model) and 2 (the model); columns ``Res.Df``, ``Df``,
        ``Chisq``/``F`` and ``Pr(>Chisq)``/``Pr(>F)``. ``attrs["value"]`` holds
        ``L b - rhs`` and ``attrs["vcov"]`` its covariance, ``attrs["L"]`` the matrix.

    Notes
    -----
    With ``d = L b - rhs`` and ``V`` the coefficient covariance (dispersion included),
    the statistic is ``W = d' (L V L')^{-1} d``: chi-square on ``q`` df, or ``F = W / q``
    on ``(q, df_residual)`` df.

    Examples
    --------
    >>> import aurora
    >>> m = aurora.glm("mpg ~ wt + hp", aurora.datasets.load("mtcars"))
    >>> t = wald_test(m, ["wt = 0", "hp = 0"])
    >>> list(t.columns)
    ['Res.Df', 'Df', 'F', 'Pr(>F)']
    """
    names, b, V, aliased = _estimable(model)
    if isinstance(L, str) or (isinstance(L, (list, tuple)) and L and all(isinstance(h, str) for h in L)):
        Lm, r = make_hypothesis(names, L, rhs)
    else:
        Lm = _as_matrix(model, L, names, aliased)
        r = np.zeros(Lm.shape[0]) if rhs is None else np.resize(np.asarray(rhs, dtype=float), Lm.shape[0])
    if test is None:
        test = "F" if getattr(model, "uses_t", False) else "Chisq"
    if test not in ("Chisq", "F"):
        raise DataError(f"unknown test {test!r}", "use test='Chisq' or 'F'")
    df_res = float(model.df_residual)
    if df_res == 0:
        raise DataError("residual df = 0", "a Wald test needs residual degrees of freedom")
    q = Lm.shape[0]
    value = Lm @ b - r
    vh = Lm @ V @ Lm.T
    try:
        ssh = float(value @ np.linalg.solve(vh, value))
    except np.linalg.LinAlgError:
        raise DataError("the hypothesis matrix is singular (redundant hypotheses)",
                        "drop hypotheses that are linear combinations of others") from None
    if not (np.isfinite(df_res) and df_res > 0):
        test = "Chisq"
    if test == "F":
        stat, p = ssh / q, float(stats.f.sf(ssh / q, q, df_res))
    else:
        stat, p = ssh, float(stats.chi2.sf(ssh, q))
    table = AnovaTable({"Res.Df": [df_res + q, df_res], "Df": [np.nan, q],
                        test: [np.nan, stat], f"Pr(>{test})": [np.nan, p]}, index=[1, 2])
    table.heading = (["Linear hypothesis test\n\nHypothesis:"] + print_hypothesis(Lm, r, names)
                     + ["", f"Model 1: restricted model\nModel 2: {model.plan.spec.formula}", ""])
    table.attrs.update({"value": value, "vcov": vh, "L": Lm, "rhs": r})
    return table


def lr_test(m0: Any, m1: Any, dispersion: float | None = None) -> AnovaTable:
    """Likelihood-ratio (analysis of deviance) test of two nested GLMs.

    The model with more residual df is put first; the table is R's
    ``anova(m0, m1, test = "LRT")`` (for two ``glm.nb`` fits, MASS's table that compares
    twice the log-likelihoods, each with its own theta).

    Parameters
    ----------
    m0, m1 : GLMResult
        Nested models fitted to the same rows.
    dispersion : float, optional
        Known dispersion to use instead of the larger model's estimate.

    Returns
    -------
    AnovaTable

    Examples
    --------
    >>> import aurora
    >>> d = aurora.datasets.load("mtcars")
    >>> m0 = aurora.glm("am ~ wt", d, family="binomial")
    >>> m1 = aurora.glm("am ~ wt + hp", d, family="binomial")
    >>> t = lr_test(m0, m1)
    >>> int(t["Df"].iloc[1])
    1
    """
    from aurora.inference.anova import anova_glm

    if float(m0.df_residual) < float(m1.df_residual):
        m0, m1 = m1, m0
    return anova_glm(m0, m1, test="LRT", dispersion=dispersion)


def _wald_rows(model: Any, rows: Sequence[np.ndarray]) -> list[float]:
    """Chi-square Wald statistics of several hypotheses ``L b = 0`` (helper for car.py)."""
    _, b, V, _ = _estimable(model)
    out = []
    for Lm in rows:
        value = Lm @ b
        out.append(float(value @ np.linalg.solve(Lm @ V @ Lm.T, value)))
    return out
