"""Predictions and the printed summary of an nlme-style fit (``predict.lme``,
``summary.lme``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import FactorLevelError, UnknownVariableError
from aurora.models._mixed_tables import sd_corr

__all__ = ["predict_lme", "build_nlme_summary", "level_labels"]


def level_labels(levels: list) -> list[str]:
    """nlme's names of the levels, outermost first: ``site``, ``g %in% site``.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> level_labels([N(name="site"), N(name="g")])
    ['site', 'g %in% site']
    """
    names = [lv.name for lv in levels]
    return [" %in% ".join(reversed(names[:i + 1])) for i in range(len(names))]


def _keep(m: Any, re_form: Any, level: int | None) -> list[int]:
    if level is not None:
        if level < 0 or level > len(m.levels):
            raise ValueError(f"level must be between 0 and {len(m.levels)}")
        return sorted(i for lv in m.levels[:level] for i in lv.term_index)
    from aurora.models._mixed_predict import select_terms

    return select_terms(m.terms, re_form)


def predict_lme(m: Any, newdata: Any, re_form: Any, level: int | None,
                new_levels: str = "na") -> pd.Series:
    """Predictions on the linear-predictor scale; see
    :meth:`aurora.models.lme_result.LMEResult.predict`."""
    if new_levels not in ("na", "population", "error"):
        raise ValueError(f"unknown new_levels {new_levels!r}; use 'na', 'population' or 'error'")
    keep = _keep(m, re_form, level)
    terms, fit = m.terms, m.fit
    off = terms.b_offsets
    if newdata is None:
        eta = fit.problem.X @ fit.beta + m.plan.offset
        for i in keep:
            t = terms.terms[i]
            bt = fit.b[off[i]:off[i + 1]].reshape(t.nl, t.k)
            eta = eta + np.einsum("nk,nk->n", t.X, bt[t.codes])
        return m._rows(eta, "predict")
    from aurora.compile.frame import as_frame

    data = as_frame(newdata)
    spec = m.plan.spec
    X = spec.model_matrix(data)
    cols = [list(spec.column_names).index(c) for c in m.column_names]
    eta = X[:, cols] @ fit.beta + spec.offset(data)
    for i in keep:
        t = terms.terms[i]
        needed = list(t.spec.group_variables) + [v for p in t.spec.bar.terms for v in p.variables]
        for v in dict.fromkeys(needed):
            if v not in data.columns:
                raise UnknownVariableError(v, [str(c) for c in data.columns])
        codes = t.spec.codes(data)
        new = codes < 0
        if new.any() and new_levels == "error":
            from aurora.compile.random_terms import factor_labels

            labels, _ = factor_labels(data, t.spec.group_variables)
            unseen = sorted({str(v) for v in labels[new]})
            raise FactorLevelError(
                f"new levels in newdata for grouping factor {t.spec.group_name!r}: {unseen[:10]}",
                "use new_levels='na' (nlme) or 'population' to predict them")
        Xt = t.spec.model_matrix(data)
        bt = fit.b[off[i]:off[i + 1]].reshape(t.nl, t.k)
        ok = ~new
        eta[ok] += np.einsum("nk,nk->n", Xt[ok], bt[codes[ok]])
        if new_levels == "na":
            eta[new] = np.nan
    return pd.Series(eta, index=data.index, name="predict")


def _random_levels(m: Any) -> tuple:
    from aurora.report.nlme import RandomLevel

    terms = m.terms
    blocks = terms.lambda_blocks(np.asarray(m.fit.theta, dtype=float))
    out = []
    labels = level_labels(m.levels)
    for lv, label, form in zip(m.levels, labels, m.info.level_formulas):
        t0 = terms.terms[lv.term_index[0]]
        if t0.dense:  # a GAMM smooth (mgcv's pdIdnot): r i.i.d. columns Xr1, Xr2...
            sd = np.full(t0.nl, m.sigma * abs(float(blocks[lv.term_index[0]][0, 0])))
            names = tuple(f"{t0.spec.column_names[0]}{j + 1}" for j in range(t0.nl))
            out.append(RandomLevel(form, label, names, sd, np.eye(t0.nl), "pdIdnot"))
            continue
        names: list[str] = []
        covs = []
        for i in lv.term_index:
            names += list(terms.terms[i].spec.column_names)
            covs.append(m.sigma ** 2 * (blocks[i] @ blocks[i].T))
        k = len(names)
        cov = np.zeros((k, k))
        r = 0
        for c in covs:
            cov[r:r + c.shape[0], r:r + c.shape[0]] = c
            r += c.shape[0]
        sd, corr = sd_corr(cov)
        diag = len(lv.term_index) > 1 and all(terms.terms[i].k == 1 for i in lv.term_index)
        out.append(RandomLevel(form, label, tuple(names), sd, corr,
                               "diag" if diag else "logchol"))
    return tuple(out)


def build_nlme_summary(m: Any, fixed_formula: str | None = None, loglik: float | None = None,
                       aic: float | None = None, bic: float | None = None):
    """The :class:`~aurora.report.nlme.NlmeSummary` of an :class:`LMEResult`."""
    from aurora.report.nlme import CorrBlock, NlmeSummary, r_quantile7

    corr = None
    cs = m.fit.problem.corr
    if cs is not None:
        corr = CorrBlock(cs.struct_name, m.info.corr_formula, cs.param_name, m.fit.rho)
    sd, C = sd_corr(m.fit.vcov)
    names = list(m.column_names)
    res = m.residuals("pearson").dropna()
    if len(res) > 5:
        q = r_quantile7(res.to_numpy())
        resid = pd.Series(q, index=["Min", "Q1", "Med", "Q3", "Max"])
    else:
        resid = pd.Series(res.to_numpy(), index=[str(i) for i in res.index])
    ngrps = tuple((lab, lv.nl) for lab, lv in zip(level_labels(m.levels), m.levels))
    return NlmeSummary(
        m.REML, m.info.data_name, m.aic if aic is None else aic, m.bic if bic is None else bic,
        m.loglik if loglik is None else loglik, _random_levels(m), m.sigma, corr,
        m.info.variance_formula, fixed_formula or m.info.fixed_formula, m.t_table,
        pd.DataFrame(C, index=names, columns=names), resid, m.nobs, ngrps, m.fixef)
