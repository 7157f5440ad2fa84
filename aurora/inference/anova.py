"""Analysis of deviance for GLMs (R: ``anova.glm``, ``anova.glmlist``, ``stat.anova``).

One model gives the sequential table: terms are added first to last by refitting the
model on the leading columns of its model matrix (same family, prior weights, offset),
as ``stats:::anova.glm`` does. Several models give the comparison table of
``anova(m0, m1, ...)``. Tests use the dispersion of the (largest) model, as R's
``summary.glm`` reports it, and treat it as known only when it is exactly 1.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import stats

from aurora.errors import AuroraWarning, DataError
from aurora.inference._table import AnovaTable

__all__ = ["anova_glm", "stat_anova", "refit_columns", "SubFit", "term_assign"]

_TESTS = ("Chisq", "LRT", "F", "Cp")


@dataclass(frozen=True)
class SubFit:
    """Deviance, residual df and rank of a refit on a subset of the model's columns."""

    deviance: float
    df_residual: int
    rank: int


def refit_columns(model: Any, columns: Sequence[int], family: Any = None) -> SubFit:
    """Refit ``model`` on the given columns of its model matrix (R's ``glm.fit(x[, cols])``).

    The family is the fitted one (a ``glm.nb`` fit keeps its theta, as R's ``anova``
    does), with the model's prior weights, offset and binomial trials.

    Parameters
    ----------
    model : GLMResult
    columns : sequence of int
        Indices into ``model.plan.X``.
    family : Family, optional
        Defaults to the family of the model's last PIRLS fit (for ``glm.nb``, R's
        ``object$family``).

    Returns
    -------
    SubFit
    """
    from aurora.engine.glm import fit_glm_arrays

    from aurora.inference._negbin import fitting_family

    plan = model.plan
    cols = list(columns)
    if len(cols) == plan.X.shape[1] and cols == list(range(plan.X.shape[1])):
        return SubFit(model.deviance, model.df_residual, model.rank)
    fam = fitting_family(model) if family is None else family
    X = plan.X[:, cols]
    n_ok = int(np.sum(plan.weights > 0))
    if X.shape[1] == 0:
        # an empty model: deviance of mu = linkinv(offset), as glm.fit with no columns
        mu = np.asarray(fam.link.inverse(plan.offset), dtype=float)
        dev = float(np.sum(np.asarray(fam.deviance_residuals(plan.y, mu, plan.weights), dtype=float)))
        return SubFit(dev, n_ok, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = fit_glm_arrays(X, plan.y, fam, plan.weights, plan.offset,
                             n_trials=plan.n_trials, has_intercept=plan.spec.has_intercept,
                             backend=getattr(model, "engine", None), warn=False)
    return SubFit(float(est.irls.deviance), int(est.df_residual), int(est.irls.rank))


def term_assign(model: Any) -> tuple[list[str], np.ndarray]:
    """Term labels without the intercept, and R's ``assign`` vector of the columns.

    Returns
    -------
    labels : list of str
        R's ``term.labels``.
    assign : ndarray of int, shape (p,)
        0 for the intercept column, ``k`` for the columns of the k-th label.
    """
    spec = model.plan.spec
    assign = np.zeros(len(spec.column_names), dtype=int)
    labels: list[str] = []
    for label, cols in zip(spec.term_labels, spec.term_columns):
        if label == "(Intercept)":
            continue
        labels.append(label)
        assign[list(cols)] = len(labels)
    return labels, assign


def _dispersion(model: Any, dispersion: float | None, df_residual: float) -> tuple[float, float]:
    """R: ``dispersion`` from summary.glm; its df is Inf when it equals 1 (or is given)."""
    if dispersion is not None:
        return float(dispersion), float("inf")
    disp = float(model.scale)
    return disp, (float("inf") if disp == 1 else float(df_residual))


def stat_anova(table: AnovaTable, test: str, scale: float, df_scale: float, n: int) -> AnovaTable:
    """Add test columns to an analysis-of-deviance table (R's ``stat.anova``).

    Parameters
    ----------
    table : AnovaTable
        With ``Df`` and ``Deviance`` columns (and ``Resid. Dev``/``Resid. Df`` for Cp).
    test : {"Chisq", "LRT", "F", "Cp"}
    scale : float
        Dispersion.
    df_scale : float
        Its degrees of freedom (``inf`` when known).
    n : int
        Number of observations (for Cp).

    Returns
    -------
    AnovaTable
    """
    out = table.copy()
    dfs = out["Df"].to_numpy(dtype=float)
    dev = out["Deviance"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if test in ("Chisq", "LRT"):
            vals = dev / scale * np.sign(dfs)
            vals[(dfs == 0) | (vals < 0)] = np.nan
            out["Pr(>Chi)"] = stats.chi2.sf(vals, np.abs(dfs))
        elif test == "F":
            fval = dev / dfs / scale
            fval[(dfs == 0) | (fval < 0)] = np.nan
            if np.isinf(df_scale):
                p = stats.chi2.sf(fval * np.abs(dfs), np.abs(dfs))
            else:
                p = stats.f.sf(fval, np.abs(dfs), df_scale)
            out["F"] = fval
            out["Pr(>F)"] = p
        else:  # Cp
            out["Cp"] = out["Resid. Dev"].to_numpy(dtype=float) + 2 * scale * (
                n - out["Resid. Df"].to_numpy(dtype=float))
    return out


def _check_test(test: str | None) -> str | None:
    if test is None:
        return None
    if test not in _TESTS:
        raise DataError(f"unknown test {test!r} for an analysis of deviance",
                        "use test='Chisq' (alias 'LRT'), 'F', 'Cp' or None")
    return test


def _warn_f(model: Any, df_scale: float, test: str | None) -> None:
    if test == "F" and np.isinf(df_scale):
        fam = model.family.name
        if fam in ("binomial", "poisson"):
            msg = f"using F test with a '{fam}' family is inappropriate"
        else:
            msg = "using F test with a fixed dispersion is inappropriate"
        warnings.warn(msg, AuroraWarning, stacklevel=4)


def _null_deviance(model: Any) -> float:
    from aurora.inference._negbin import fitting_family, null_deviance

    fam = fitting_family(model)
    if fam is model.family:
        return float(model.null_deviance)
    return null_deviance(model, fam)


def _sequential(model: Any, test: str | None, dispersion: float | None) -> AnovaTable:
    labels, assign = term_assign(model)
    nvars = len(labels)
    resdf = [float(model.df_null)]
    resdev = [_null_deviance(model)]
    for i in range(1, nvars):
        fit = refit_columns(model, np.flatnonzero(assign <= i))
        resdf.append(float(fit.df_residual))
        resdev.append(fit.deviance)
    if nvars:
        resdf.append(float(model.df_residual))
        resdev.append(float(model.deviance))
    rdf, rdev = np.array(resdf), np.array(resdev)
    df = np.concatenate([[np.nan], -np.diff(rdf)])
    dev = np.concatenate([[np.nan], np.maximum(0.0, -np.diff(rdev))])
    fam = model.family
    response = _response_text(model)
    heading = [f"Analysis of Deviance Table\n\nModel: {fam.name}, link: {fam.link.name}\n\n"
               f"Response: {response}\n\nTerms added sequentially (first to last)\n\n"]
    table = AnovaTable({"Df": df, "Deviance": dev, "Resid. Df": rdf, "Resid. Dev": rdev},
                       index=["NULL"] + labels, heading=heading)
    if getattr(model.estimates, "twologlik", None) is not None:
        warnings.warn("tests made without re-estimating 'theta'", AuroraWarning, stacklevel=3)
    if test is None:
        return table
    scale, df_scale = _dispersion(model, dispersion, model.df_residual)
    _warn_f(model, df_scale, test)
    out = stat_anova(table, test, scale, df_scale, model.plan.nobs)
    out.heading = heading
    return out


def _formula_text(model: Any) -> str:
    """R's ``deparse(formula(fit))``: R's spacing, lines of 60 characters joined."""
    from aurora.report.call import deparse_formula

    return deparse_formula(model.plan.spec.written_formula, cutoff=60)


def _response_text(model: Any) -> str:
    from aurora.report.call import deparse_formula

    return deparse_formula(str(model.plan.spec.formula.response))


def _compare(models: list[Any], test: str | None, dispersion: float | None) -> AnovaTable:
    responses = [str(m.plan.spec.formula.response) for m in models]
    same = [r == responses[0] for r in responses]
    if not all(same):
        dropped = [r for r, s in zip(responses, same) if not s]
        warnings.warn(f"models with response {dropped} removed because response differs "
                      "from model 1", AuroraWarning, stacklevel=3)
        models = [m for m, s in zip(models, same) if s]
    ns = {int(m.plan.nobs) for m in models}
    if len(ns) > 1:
        raise DataError("models were not all fitted to the same size of dataset",
                        "fit every model to the same rows (drop missing values first)")
    if len(models) == 1:
        return _sequential(models[0], test, dispersion)
    if all(getattr(m.estimates, "twologlik", None) is not None for m in models):
        from aurora.inference._negbin import anova_negbin

        return anova_negbin(models, test)
    rdf = np.array([float(m.df_residual) for m in models])
    rdev = np.array([float(m.deviance) for m in models])
    return comparison_table(models, rdf, rdev, [_formula_text(m) for m in models], test,
                            lambda big: _dispersion(big, dispersion, rdf.min()))


def comparison_table(models: list[Any], rdf: np.ndarray, rdev: np.ndarray,
                     formulas: list[str], test: str | None, dispersion_of: Any,
                     index: list | None = None) -> AnovaTable:
    """R's ``anova.glmlist`` table of nested models (GLMs and GAMs alike): residual df
    and deviance, their differences, and the test; ``dispersion_of(model)`` gives
    ``(scale, df_scale)`` for the model with the fewest residual df."""
    table = AnovaTable({"Resid. Df": rdf, "Resid. Dev": rdev,
                        "Df": np.concatenate([[np.nan], -np.diff(rdf)]),
                        "Deviance": np.concatenate([[np.nan], -np.diff(rdev)])},
                       index=index if index is not None else list(range(1, len(models) + 1)))
    width = len(str(len(models)))
    topnote = "\n".join(f"Model {str(i + 1).rjust(width)}: {f}"
                        for i, f in enumerate(formulas))
    heading = ["Analysis of Deviance Table\n", topnote]
    table.heading = heading
    if test is None:
        return table
    big = models[int(np.argsort(rdf, kind="stable")[0])]
    scale, df_scale = dispersion_of(big)
    _warn_f(big, df_scale, test)
    out = stat_anova(table, test, scale, df_scale, big.plan.nobs)
    out.heading = heading
    return out


def anova_glm(model: Any, *others: Any, test: str | None = None,
              dispersion: float | None = None) -> AnovaTable:
    """Analysis of deviance of one GLM, or comparison of nested GLMs (R's ``anova.glm``).

    Parameters
    ----------
    model : GLMResult
    *others : GLMResult
        Further models, compared in the order given (R's ``anova(m0, m1, ...)``).
    test : {None, "Chisq", "LRT", "F", "Cp"}
        ``"Chisq"`` and ``"LRT"`` add ``Pr(>Chi)``; ``"F"`` adds ``F`` and ``Pr(>F)``.
    dispersion : float, optional
        Use this dispersion (taken as known) instead of the model's.

    Returns
    -------
    AnovaTable
        One model: rows ``"NULL"`` and the term labels; columns ``Df``, ``Deviance``,
        ``Resid. Df``, ``Resid. Dev`` (+ tests). Several models: rows 1, 2, ...;
        columns ``Resid. Df``, ``Resid. Dev``, ``Df``, ``Deviance`` (+ tests). Two
        ``glm.nb`` fits give MASS's likelihood-ratio table instead.

    Notes
    -----
    Chi-square tests divide deviance differences by the dispersion; F tests use
    ``(deviance / df) / dispersion`` on ``(df, df_residual)`` degrees of freedom.
    Negative binomial models keep their fitted theta in the refits (R warns
    "tests made without re-estimating 'theta'").

    Examples
    --------
    >>> import aurora
    >>> m = aurora.glm("count ~ spray", aurora.datasets.load("InsectSprays"), family="poisson")
    >>> tab = m.anova(test="Chisq")
    >>> list(tab.index), list(tab.columns)
    (['NULL', 'spray'], ['Df', 'Deviance', 'Resid. Df', 'Resid. Dev', 'Pr(>Chi)'])
    """
    test = _check_test(test)
    if others:
        return _compare([model, *others], test, dispersion)
    return _sequential(model, test, dispersion)
