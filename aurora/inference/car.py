"""Type I, II and III tests for GLMs (R: ``car::Anova``).

Type II respects marginality: a term is tested after every term that does not contain
it; its *relatives* (higher-order terms whose factors include all of the term's) are
left out of both models. Type III drops each term's columns from the full model, so it
depends on the contrasts (R's default treatment contrasts here).

- ``test="LR"``: likelihood-ratio chi-square (``Anova.II.LR.glm``, ``Anova.III.LR.glm``).
- ``test="Wald"``: Wald chi-square (``Anova.II.default``; type III includes the
  intercept).
- ``test="F"``: for gaussian identity models the sums of squares of ``Anova.lm``; for
  other families ``Anova.II.F.glm``/``Anova.III.F.glm`` (error from Pearson residuals).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.linalg
from scipy import stats

from aurora.errors import AuroraWarning, DataError
from aurora.inference._table import AnovaTable
from aurora.inference.anova import anova_glm, refit_columns, term_assign
from aurora.inference.tests import _wald_rows

__all__ = ["anova_type", "relatives"]

_TYPES = {1: 1, "1": 1, "I": 1, 2: 2, "2": 2, "II": 2, 3: 3, "3": 3, "III": 3}
_ROMAN = {1: "I", 2: "II", 3: "III"}


def _term_factors(model: Any, labels: list[str]) -> list[frozenset[str]]:
    by_expr = {t.expr: frozenset(t.factors) for t in model.plan.spec.formula.parametric}
    return [by_expr.get(lab, frozenset(lab.split(":"))) for lab in labels]


def relatives(term: int, factors: list[frozenset[str]]) -> list[int]:
    """Indices of the terms that contain every factor of ``factors[term]`` (car's rule).

    Examples
    --------
    >>> f = [frozenset("a"), frozenset("b"), frozenset("ab")]
    >>> relatives(0, f), relatives(2, f)
    ([2], [])
    """
    return [j for j, other in enumerate(factors) if j != term and factors[term] <= other]


def _columns_without(p: int, drop: np.ndarray) -> np.ndarray:
    return np.setdiff1d(np.arange(p), drop)


def _heading(kind: str, model: Any, typ: int, extra: str | None = None) -> list[str]:
    head = [f"{kind} (Type {_ROMAN[typ]} tests)\n", f"Response: {model.plan.spec.formula.response}"]
    return head + ([extra] if extra else [])


def _deviance_pairs(model: Any, typ: int) -> tuple[list[str], list[tuple[Any, Any]]]:
    """For each term, the (smaller, larger) refits whose deviances are compared."""
    labels, assign = term_assign(model)
    p = len(model.column_names)
    full = refit_columns(model, range(p))
    pairs = []
    if typ == 2:
        factors = _term_factors(model, labels)
        for k in range(len(labels)):
            rels = relatives(k, factors)
            rel_cols = np.flatnonzero(np.isin(assign, [r + 1 for r in rels]))
            term_cols = np.flatnonzero(assign == k + 1)
            small = refit_columns(model, _columns_without(p, np.concatenate([term_cols, rel_cols])))
            large = full if not rels else refit_columns(model, _columns_without(p, rel_cols))
            pairs.append((small, large))
    else:
        for k in range(len(labels)):
            small = refit_columns(model, _columns_without(p, np.flatnonzero(assign == k + 1)))
            pairs.append((small, full))
    return labels, pairs


def _df(typ: int, small: Any, large: Any) -> float:
    # car: type II compares residual df, type III (drop1) compares ranks
    if typ == 2:
        return float(small.df_residual - large.df_residual)
    return float(large.rank - small.rank)


def _lr(model: Any, typ: int) -> AnovaTable:
    labels, pairs = _deviance_pairs(model, typ)
    disp = float(model.scale)
    lr, dfs, pv = [], [], []
    for small, large in pairs:
        df = _df(typ, small, large)
        stat = np.nan if df == 0 else (small.deviance - large.deviance) / disp
        lr.append(stat)
        dfs.append(df)
        pv.append(float(stats.chi2.sf(stat, df)) if df else np.nan)
    return AnovaTable({"LR Chisq": lr, "Df": dfs, "Pr(>Chisq)": pv}, index=labels,
                      heading=_heading("Analysis of Deviance Table", model, typ))


def _f(model: Any, typ: int) -> AnovaTable:
    labels, pairs = _deviance_pairs(model, typ)
    df_res = float(model.df_residual)
    lm = _is_lm(model)
    if lm:
        error_ss = float(model.deviance)
    else:
        error_ss = float(np.nansum(model._residuals("pearson") ** 2))
    disp = error_ss / df_res
    ss, dfs = [], []
    if lm and typ == 3 and model.plan.spec.has_intercept:
        _, assign = term_assign(model)
        p = len(model.column_names)
        small = refit_columns(model, _columns_without(p, np.flatnonzero(assign == 0)))
        ss.append(small.deviance - float(model.deviance))
        dfs.append(float(model.rank - small.rank))
        labels = ["(Intercept)"] + labels
    for small, large in pairs:
        df = _df(typ, small, large)
        ss.append(np.nan if df == 0 else small.deviance - large.deviance)
        dfs.append(df)
    ss_a, df_a = np.array(ss), np.array(dfs)
    with np.errstate(invalid="ignore", divide="ignore"):
        fval = ss_a / df_a / disp
    pv = stats.f.sf(fval, df_a, df_res)
    fname = "F value" if (lm or typ == 2) else "F values"  # car's own spelling for III
    table = AnovaTable({"Sum Sq": np.append(ss_a, error_ss), "Df": np.append(df_a, df_res),
                        fname: np.append(fval, np.nan), "Pr(>F)": np.append(pv, np.nan)},
                       index=labels + ["Residuals"])
    if lm:
        table.heading = _heading("Anova Table", model, typ)
    else:
        table.heading = _heading("Analysis of Deviance Table", model, typ,
                                 "Error estimate based on Pearson residuals \n")
    return table


def _conj_comp(X: np.ndarray, Z: np.ndarray, ip: np.ndarray) -> np.ndarray:
    """car's ``ConjComp``: the part of span(Z) orthogonal to X in the metric ``ip``."""
    M = Z.T @ ip @ X
    if M.size == 0:
        return Z
    Q, R, _ = scipy.linalg.qr(M, pivoting=True)
    d = np.abs(np.diag(R))
    rank = int(np.sum(d > 1e-7 * d.max())) if d.size and d.max() > 0 else 0
    if rank == 0:
        return Z
    return Z @ Q[:, rank:]


def _wald(model: Any, typ: int) -> AnovaTable:
    labels, assign = term_assign(model)
    aliased = np.asarray(model.aliased, dtype=bool)
    keep_assign = assign[~aliased]
    V = model.vcov().to_numpy(dtype=float)
    I = np.eye(len(keep_assign))
    rows, names = [], []
    if typ == 3 and model.plan.spec.has_intercept:
        rows.append(I[keep_assign == 0])
        names.append("(Intercept)")
    factors = _term_factors(model, labels)
    for k, label in enumerate(labels):
        term = I[keep_assign == k + 1]
        if typ == 2:
            rels = relatives(k, factors)
            rel = I[np.isin(keep_assign, [r + 1 for r in rels])]
            if rel.shape[0]:
                both = np.vstack([rel, term])
                term = _conj_comp(rel.T, both.T, V).T
        term = term[~np.all(term == 0, axis=1)]
        rows.append(term)
        names.append(label)
    stat, dfs, pv = [], [], []
    for Lm in rows:
        if Lm.shape[0] == 0:
            stat.append(np.nan), dfs.append(0.0), pv.append(np.nan)
            continue
        w = _wald_rows(model, [Lm])[0]
        stat.append(w), dfs.append(float(Lm.shape[0])), pv.append(float(stats.chi2.sf(w, Lm.shape[0])))
    keep = [d > 0 for d in dfs]
    return AnovaTable({"Df": np.array(dfs)[keep], "Chisq": np.array(stat)[keep],
                       "Pr(>Chisq)": np.array(pv)[keep]},
                      index=[n for n, k in zip(names, keep) if k],
                      heading=_heading("Analysis of Deviance Table", model, typ))


def _is_lm(model: Any) -> bool:
    return model.family.name == "gaussian" and model.family.link.name == "identity"


def anova_type(model: Any, type: int | str = 2, test: str = "LR") -> AnovaTable:
    """Type I, II or III analysis of deviance of a GLM (R's ``car::Anova``).

    Parameters
    ----------
    model : GLMResult
    type : {1, 2, 3} (or "I", "II", "III")
        1 gives R's sequential ``anova`` (LR: chi-square tests; F: F tests).
    test : {"LR", "Wald", "F"}
        Likelihood-ratio chi-square, Wald chi-square, or F tests (sums of squares and
        ``Anova.lm``'s layout for gaussian identity models).

    Returns
    -------
    AnovaTable
        Rows named by term labels; LR: ``LR Chisq``, ``Df``, ``Pr(>Chisq)``; Wald:
        ``Df``, ``Chisq``, ``Pr(>Chisq)``; F: ``Sum Sq``, ``Df``, ``F value``,
        ``Pr(>F)`` with a ``Residuals`` row (type III gaussian adds ``(Intercept)``).

    Notes
    -----
    LR statistics are deviance differences divided by the model's dispersion, as car
    does. Type III needs a full-rank model (car's ``singular.ok = FALSE``).

    Examples
    --------
    >>> import aurora
    >>> w = aurora.datasets.load("warpbreaks")
    >>> m = aurora.glm("breaks ~ wool * tension", w, family="poisson")
    >>> list(anova_type(m, 2).index)
    ['wool', 'tension', 'wool:tension']
    """
    if type not in _TYPES:
        raise DataError(f"unknown type {type!r}", "use type=1, 2 or 3 ('I', 'II', 'III')")
    typ = _TYPES[type]
    if test not in ("LR", "Wald", "F"):
        raise DataError(f"unknown test {test!r}", "use test='LR', 'Wald' or 'F'")
    if typ == 1:
        if test == "Wald":
            raise DataError("type I tests are sequential likelihood-ratio or F tests",
                            "use test='LR' or 'F', or type=2/3 for Wald tests")
        return anova_glm(model, test="Chisq" if test == "LR" else "F")
    labels, _ = term_assign(model)
    if not labels:
        if typ == 2 and model.plan.spec.has_intercept:
            warnings.warn("the model contains only an intercept: Type III test substituted",
                          AuroraWarning, stacklevel=2)
            typ = 3
        if test != "Wald" and not (test == "F" and _is_lm(model)):
            raise DataError("the model has no terms to test", "add terms to the formula")
    if typ == 3 and np.any(np.asarray(model.aliased)):
        raise DataError("there are aliased coefficients in the model",
                        "type III tests need a full-rank model; drop the aliased terms")
    if test == "LR":
        return _lr(model, typ)
    if test == "F":
        return _f(model, typ)
    return _wald(model, typ)
