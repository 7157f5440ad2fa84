"""MASS's ``anova.negbin`` for several ``glm.nb`` fits: likelihood-ratio tests in which
each model keeps its own estimated theta (twice the log-likelihood is compared)."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import stats

from aurora.errors import AuroraWarning
from aurora.inference._table import AnovaTable

__all__ = ["anova_negbin", "fitting_family", "null_deviance"]


def fitting_family(model: Any) -> Any:
    """The family of a model's last PIRLS fit (R's ``object$family``).

    ``MASS::glm.nb`` updates theta *after* its last inner fit, so ``object$family`` (used
    by R's ``anova`` refits and for ``null.deviance``) holds the previous theta, not
    ``object$theta``. That theta is recovered here as the root of
    ``deviance(y, mu; theta) = fit deviance`` next to the reported theta; other
    models return ``model.family`` unchanged.
    """
    est = model.estimates
    fam = model.family
    if getattr(est, "twologlik", None) is None or getattr(est, "theta", None) is None:
        return fam
    from aurora.distributions import get_family

    y, w, mu = model.plan.y, model.plan.weights, est.irls.mu
    target = float(est.irls.deviance)

    def gap(theta: float) -> float:
        f = get_family("negative_binomial", link=fam.link, theta=theta)
        return float(np.sum(np.asarray(f.deviance_residuals(y, mu, w), dtype=float))) - target

    t0 = float(est.theta)
    g0 = gap(t0)
    if abs(g0) <= 1e-14 * abs(target):
        return fam
    t1 = t0 * (1 + 1e-7)
    g1 = gap(t1)
    for _ in range(30):  # secant steps; the root is within a few ulps-to-1e-6 of t0
        if g1 == g0:
            break
        t0, g0, t1 = t1, g1, t1 - g1 * (t1 - t0) / (g1 - g0)
        g1 = gap(t1)
        if abs(g1) <= 1e-14 * abs(target) or abs(t1 - t0) <= 1e-15 * abs(t1):
            break
    if not (np.isfinite(t1) and t1 > 0 and abs(t1 / float(est.theta) - 1) < 1e-3
            and abs(g1) <= 1e-10 * abs(target)):
        return fam
    return get_family("negative_binomial", link=fam.link, theta=float(t1))


def null_deviance(model: Any, family: Any) -> float:
    """R's ``null.deviance`` of ``model`` under ``family`` (as ``glm.fit`` computes it)."""
    from aurora.inference.anova import refit_columns

    plan = model.plan
    if plan.spec.has_intercept and np.any(plan.offset != 0):
        return refit_columns(model, [plan.spec.term_columns[0][0]], family).deviance
    if plan.spec.has_intercept:
        mu = np.full(len(plan.y), np.sum(plan.weights * plan.y) / np.sum(plan.weights))
    else:
        mu = np.asarray(family.link.inverse(plan.offset), dtype=float)
    return float(np.sum(np.asarray(family.deviance_residuals(plan.y, mu, plan.weights), dtype=float)))


def _rhs(model: Any) -> str:
    """The right-hand side as MASS prints it (R's deparse: ``wool * tension``)."""
    from aurora.report.call import deparse_formula

    text = deparse_formula(model.plan.spec.written_formula, cutoff=500)
    return text.split("~", 1)[1].strip() if "~" in text else text


def anova_negbin(models: list[Any], test: str | None = "Chisq") -> AnovaTable:
    """Likelihood-ratio table of negative binomial models (R: ``MASS:::anova.negbin``).

    Models are sorted by decreasing residual df; the ``LR stat.`` column is the change
    in ``2 x log-lik.`` and ``Pr(Chi)`` its chi-square p-value.

    Parameters
    ----------
    models : list of GLMResult
        ``glm.nb``-style fits (theta estimated).
    test : str, optional
        Only chi-square tests exist; anything else warns as MASS does.

    Returns
    -------
    AnovaTable
        Columns ``Model``, ``theta``, ``Resid. df``, ``   2 x log-lik.``, ``Test``,
        ``   df``, ``LR stat.``, ``Pr(Chi)`` (R's spellings, leading spaces included).
    """
    if test not in (None, "Chisq", "LRT"):
        warnings.warn("only Chi-squared LR tests are implemented", AuroraWarning, stacklevel=4)
    dfs = np.array([float(m.df_residual) for m in models])
    order = np.argsort(-dfs, kind="stable")
    ms = [models[i] for i in order]
    dfs = dfs[order]
    lls = np.array([float(m.estimates.twologlik) for m in ms])
    nt = len(ms)
    df = np.concatenate([[np.nan], -np.diff(dfs)])
    x2 = np.concatenate([[np.nan], np.diff(lls)])
    pr = np.concatenate([[np.nan], 1 - stats.chi2.cdf(x2[1:], df[1:])])
    table = AnovaTable({
        "Model": [_rhs(m) for m in ms],
        "theta": [float(m.theta) for m in ms],
        "Resid. df": dfs,
        "   2 x log-lik.": lls,
        "Test": [""] + [f"{i} vs {i + 1}" for i in range(1, nt)],
        "   df": df,
        "LR stat.": x2,
        "Pr(Chi)": pr,
    }, index=list(range(1, nt + 1)), layout="frame")
    table.heading = ["Likelihood ratio tests of Negative Binomial Models\n",
                     f"Response: {ms[0].plan.spec.formula.response}"]
    return table
