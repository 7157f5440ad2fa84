"""mgcv's ``summary.gam`` (parametric table, parametric Wald terms, smooth table, R-sq.(adj),
deviance explained) and ``logLik.gam`` / ``AIC`` / ``BIC`` from plain arrays.
Re-exported by :mod:`aurora.inference.smooth_tests`, whose docstring gives the references.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from aurora.inference._smooth_input import SmoothFitSummaryInput
from aurora.inference._smooth_stat import _EPS, _full_r, _sym_eigen, re_test, smooth_test

__all__ = ["GAMSummaryStats", "LogLik", "summary_gam", "loglik_gam", "aic_gam", "bic_gam"]


@dataclass(frozen=True, eq=False)
class GAMSummaryStats:
    """The numbers of mgcv's ``summary.gam``, with mgcv's table and column names.

    Attributes
    ----------
    p_table : DataFrame
        ``Estimate``, ``Std. Error``, ``t value``/``z value``, ``Pr(>|t|)``/``Pr(>|z|)``.
    s_table : DataFrame
        ``edf``, ``Ref.df``, ``F``/``Chi.sq``, ``p-value``, indexed by smooth label.
    pterms_table : DataFrame
        Wald tests of the parametric terms: ``df``, ``F``/``Chi.sq``, ``p-value``.
    r_sq : float or None
        R-sq.(adj) (None for general families).
    dev_expl : float
        Proportion of the null deviance explained.
    residual_df : float
        ``n - sum(edf)``.
    se : Series
        Standard errors of every coefficient (from ``Vp``).
    The rest (family, link, formula, method, sp_criterion, scale, scale_estimated, n,
    rank, n_coef) is carried for printing.
    """

    p_table: pd.DataFrame
    s_table: pd.DataFrame
    pterms_table: pd.DataFrame
    r_sq: float | None
    dev_expl: float
    residual_df: float
    se: pd.Series
    scale: float
    scale_estimated: bool
    n: int
    family: str
    link: str
    formula: str
    method: str
    sp_criterion: float
    rank: int | None
    n_coef: int


def _pinv_rank(V: np.ndarray, M: int, rank_tol: float) -> tuple[np.ndarray, int]:
    """``summary.gam``'s rank-``M`` pseudo-inverse of a symmetric matrix."""
    vals, vecs = _sym_eigen(V)
    M = min(M, int(np.sum(vals > rank_tol * vals[0])))
    inv = np.zeros_like(vals)
    inv[:M] = 1 / vals[:M]
    return vecs @ (inv[:, None] * vecs.T), M


def _parametric_tables(inp: SmoothFitSummaryInput, se: np.ndarray, residual_df: float
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    est = inp.scale_estimated
    ind = np.arange(inp.n_parametric)
    b = inp.coef[ind]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = b / se[ind]
    if est:
        pv = 2 * stats.t.sf(np.abs(t), residual_df)
        cols = ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]
    else:
        pv = 2 * stats.norm.sf(np.abs(t))
        cols = ["Estimate", "Std. Error", "z value", "Pr(>|z|)"]
    names = [inp.coef_names[i] for i in ind]
    p_table = pd.DataFrame(np.column_stack([b, se[ind], t, pv]) if ind.size else
                           np.zeros((0, 4)), index=names, columns=cols)
    assign = np.asarray(inp.assign, dtype=int)
    rows = []
    for k, label in enumerate(inp.term_labels, start=1):
        sel = np.flatnonzero(assign == k)
        bk = inp.coef[sel]
        V = inp.Vp[np.ix_(sel, sel)]
        if sel.size == 1:
            with np.errstate(invalid="ignore", divide="ignore"):
                nb, chi = 1, float(bk[0] * bk[0] / V[0, 0])
        else:
            Vi, nb = _pinv_rank(V, sel.size, math.sqrt(_EPS))
            chi = float(bk @ Vi @ bk)
        pvk = (stats.f.sf(chi / nb, nb, residual_df) if est else stats.chi2.sf(chi, nb))
        rows.append((nb, chi / nb if est else chi, pvk))
    pcols = ["df", "F" if est else "Chi.sq", "p-value"]
    pterms = pd.DataFrame(rows, index=list(inp.term_labels), columns=pcols) if rows else \
        pd.DataFrame(np.zeros((0, 3)), columns=pcols)
    return p_table, pterms


def _smooth_table(inp: SmoothFitSummaryInput, residual_df: float, re_tests: bool
                  ) -> pd.DataFrame:
    use_r = inp.R is not None
    if not use_r:
        warnings.warn("p-values for any terms that can be penalized to zero will be "
                      "unreliable: give R (R'R = X'WX) to fix this", RuntimeWarning,
                      stacklevel=3)
        X = inp.X[~np.isnan(inp.X.sum(axis=1))]
    else:
        X = _full_r(inp)
    rows, labels = [], []
    for i, sm in enumerate(inp.smooths):
        cols = slice(sm.start, sm.stop)
        edfi = float(np.sum(inp.edf[cols]))
        edf1i = float(np.sum(inp.edf1[cols])) if inp.edf1 is not None else edfi
        if not sm.fixed and sm.null_space_dim == 0 and use_r:
            res = re_test(inp, i) if re_tests else None
        else:
            res = smooth_test(inp.coef[cols], X[:, cols], inp.Vp[cols, cols],
                              min(sm.stop - sm.start, edf1i),
                              residual_df if inp.scale_estimated else -1.0)
        if res is None:
            continue
        stat = res.stat / res.rank if inp.scale_estimated else res.stat
        rows.append((edfi, res.rank, stat, res.p_value))
        labels.append(sm.label)
    cols_out = ["edf", "Ref.df", "F" if inp.scale_estimated else "Chi.sq", "p-value"]
    return pd.DataFrame(rows if rows else np.zeros((0, 4)), index=labels, columns=cols_out)


def summary_gam(inp: SmoothFitSummaryInput, re_tests: bool = True) -> GAMSummaryStats:
    """mgcv's ``summary.gam`` (``freq=FALSE``, ``dispersion=NULL``) from plain arrays.

    Parametric rows use the Bayesian covariance ``Vp`` (t tests on ``n - sum(edf)`` df
    when the scale is estimated, z tests otherwise). Each smooth is tested by
    :func:`smooth_test` with reference rank ``min(q, sum(edf1))``, or, when it is
    penalised and has no null space, by :func:`re_test` (``re_tests=False`` drops those
    rows, as mgcv's ``re.test = FALSE``).

    ``R-sq.(adj) = 1 - var(sqrt(w) (y - mu)) (n - 1) / (var(sqrt(w) (y - mean_w(y)))
    (n - sum(edf)))`` and ``deviance explained = (null deviance - deviance) / null
    deviance``.

    Without ``R`` the tests use the unweighted model matrix ``X`` (every row; mgcv
    subsamples 1,000 rows with its own seed when ``n`` is larger) and warn, as mgcv does.
    """
    residual_df = inp.residual_df
    se = np.sqrt(np.diag(inp.Vp))
    p_table, pterms = _parametric_tables(inp, se, residual_df)
    s_table = _smooth_table(inp, residual_df, re_tests)
    w = inp.prior_weights
    mean_y = float(np.sum(w * inp.y) / np.sum(w))
    sw = np.sqrt(w)
    n = inp.n
    r_sq = None
    if inp.has_r_sq:
        r_sq = 1 - (np.var(sw * (inp.y - inp.fitted), ddof=1) * (n - 1)
                    / (np.var(sw * (inp.y - mean_y), ddof=1) * residual_df))
        r_sq = float(r_sq)
    dev_expl = (inp.null_deviance - inp.deviance) / inp.null_deviance
    return GAMSummaryStats(
        p_table=p_table, s_table=s_table, pterms_table=pterms, r_sq=r_sq,
        dev_expl=float(dev_expl), residual_df=residual_df,
        se=pd.Series(se, index=list(inp.coef_names)), scale=float(inp.scale),
        scale_estimated=bool(inp.scale_estimated), n=n, family=inp.family, link=inp.link,
        formula=inp.formula, method=inp.method, sp_criterion=float(inp.sp_criterion),
        rank=inp.rank, n_coef=int(inp.coef.shape[0]))


# --------------------------------------------------------------------------- logLik
@dataclass(frozen=True)
class LogLik:
    """Log-likelihood ``value`` and its degrees of freedom ``df`` (R's ``logLik``)."""

    value: float
    df: float


def loglik_gam(inp: SmoothFitSummaryInput) -> LogLik:
    """mgcv's ``logLik.gam``.

    ``value = sum(edf) + s - aic / 2`` with ``s = 1`` when the scale is estimated and
    ``aic`` mgcv's ``object$aic``; ``df = sum(edf2) + s`` (``sum(edf)`` without ``edf2``),
    at most ``p + s``, plus the extended family's parameters.
    """
    sc_p = float(bool(inp.scale_estimated))
    p = float(np.sum(inp.edf)) + sc_p
    value = p - inp.aic / 2
    if inp.edf2 is not None:
        p = float(np.sum(inp.edf2)) + sc_p
    p = min(p, inp.coef.shape[0] + sc_p)
    return LogLik(value=float(value), df=p + inp.n_theta)


def aic_gam(inp: SmoothFitSummaryInput, k: float = 2.0) -> float:
    """``AIC(m) = -2 logLik + k df`` with :func:`loglik_gam`'s df."""
    ll = loglik_gam(inp)
    return -2 * ll.value + k * ll.df


def bic_gam(inp: SmoothFitSummaryInput) -> float:
    """``BIC(m)``: ``k = log(nobs)``, ``nobs`` the observations with non-zero weight."""
    return aic_gam(inp, k=math.log(int(np.sum(inp.prior_weights != 0))))
