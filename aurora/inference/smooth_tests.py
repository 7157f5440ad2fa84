"""Approximate significance of GAM smooths and the rest of mgcv's ``summary.gam``.

Reimplements, from the algorithms, mgcv (1.8-41):

* ``testStat`` (type 0): Wood (2013a), "On p-values for smooth components of an extended
  generalized additive model", Biometrika 100(1), 221-228. The statistic uses a rank-``r``
  pseudo-inverse of the smooth's Bayesian covariance, ``r`` the smooth's ``edf1``; a
  fractional ``r`` blends the last two eigen-directions, and the null distribution is a
  weighted sum of chi-squares evaluated by Davies' (1980) algorithm.
* ``reTest``: Wood (2013b), "A simple test for random effects in regression models",
  Biometrika 100(4), 1005-1010, used for penalised smooths without a null space (``re``,
  ``cs``, ``ts``).
* ``psum.chisq`` / Davies (1980), Algorithm AS 155, J. R. Statist. Soc. C 29, 323-333, and
  the ``liu2`` fallback (Liu, Tang & Zhang 2009).
* ``summary.gam``'s parametric table (Bayesian ``Vp``), parametric Wald terms, R-sq.(adj),
  deviance explained, and ``logLik.gam``'s degrees of freedom (``edf2`` based).

Everything works on plain arrays gathered in :class:`SmoothFitSummaryInput`, so any fitted
GAM can fill it.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

__all__ = ["SmoothInfo", "SmoothFitSummaryInput", "SmoothTestResult", "GAMSummaryStats",
           "LogLik", "smooth_test", "re_test", "psum_chisq", "liu2", "davies",
           "summary_gam", "loglik_gam", "aic_gam", "bic_gam"]

_EPS = float(np.finfo(float).eps)


# --------------------------------------------------------------------------- inputs
@dataclass(frozen=True, eq=False)
class SmoothInfo:
    """One smooth term as ``summary.gam`` needs it (mgcv's ``object$smooth[[i]]``).

    Attributes
    ----------
    label : str
        As printed: ``"s(x)"``, ``"te(x,z)"``, ``"s(x):fB"``.
    start, stop : int
        Its coefficient columns ``start:stop`` (0-based, ``stop`` exclusive; mgcv's
        ``first.para - 1`` and ``last.para``).
    null_space_dim : int
        Dimension of the penalty null space (0 for ``re``, ``cs``, ``ts``: tested by
        :func:`re_test`).
    fixed : bool
        Unpenalised (``fx=TRUE``; for a tensor product, every margin fixed).
    random : bool
        mgcv's ``smooth$random`` (``bs="re"``): treated as a random effect when another
        smooth is tested by :func:`re_test`.
    penalties : tuple of ndarray
        The smooth's penalty matrices ``S_j`` (``smooth$S``), each ``(q, q)``; when
        ``q < stop - start`` the block repeats down the diagonal (mgcv's ``packing.ind``).
    sp : tuple of float
        The smoothing parameter of each penalty (mgcv's ``full.sp`` entries).
    """

    label: str
    start: int
    stop: int
    null_space_dim: int = 1
    fixed: bool = False
    random: bool = False
    penalties: tuple = ()
    sp: tuple = ()


@dataclass(frozen=True, eq=False)
class SmoothFitSummaryInput:
    """What ``summary.gam``, ``logLik.gam`` and the smooth tests read from a fitted GAM.

    Arrays are converted to float NumPy arrays. ``p`` coefficients, ``n`` observations.

    Attributes
    ----------
    coef : (p,) coefficients; ``coef_names`` their names (parametric ones first).
    Vp : (p, p) Bayesian posterior covariance (scale included).
    edf : (p,) per-coefficient effective degrees of freedom (mgcv's ``m$edf``).
    smooths : the smooth terms (:class:`SmoothInfo`), in model order.
    y, fitted, prior_weights : (n,) response (proportions for a binomial with trials),
        fitted means and prior weights.
    scale : mgcv's ``sig2`` (1 for poisson/binomial); ``scale_estimated`` whether it was
        estimated (then t and F tests with ``n - sum(edf)`` residual df).
    deviance, null_deviance : model and null deviance.
    R : (m, p), optional
        Any matrix with ``R'R = X'WX`` at convergence, ``W`` the working weights: mgcv's
        ``object$R`` or ``sqrt(w)[:, None] * X``. Without it the unweighted model matrix
        ``X`` is used and shrinkage/random smooths are tested by ``smooth_test``, as mgcv
        does (with a warning) for a fit without ``R``.
    Ve : (p, p), optional
        Frequentist covariance; needed by :func:`re_test`.
    edf1, edf2 : (p,), optional
        mgcv's ``m$edf1`` (tests' reference rank) and ``m$edf2`` (``logLik`` df).
    n_parametric : int
        Number of parametric coefficients (mgcv's ``nsdf``), the first columns.
    assign : per parametric column, its term index (0 the intercept, 1.. ``term_labels``).
    df_residual : mgcv's ``df.residual`` (``reTest``'s F df); default ``n - sum(edf)``.
    aic : mgcv's ``object$aic``: ``family.aic(y, mu, w, dev) + 2 * sum(edf)``.
    family, link, formula : text as printed (``"gaussian"``, ``"identity"``, the formula).
    method : mgcv's ``object$method``: ``"REML"``, ``"ML"``, ``"GCV"``, ``"UBRE"``, ...
    sp_criterion : mgcv's ``gcv.ubre`` (the REML/ML/GCV/UBRE score).
    rank : numerical rank of the fit (``Rank: r/p`` is printed when below ``p``).
    n_theta : number of extended-family parameters (added to the logLik df).
    has_r_sq : False for general families (mgcv prints no R-sq.(adj)).
    X : (n, p), optional: the model matrix, used only when ``R`` is absent.
    """

    coef: np.ndarray
    coef_names: tuple
    Vp: np.ndarray
    edf: np.ndarray
    smooths: tuple
    y: np.ndarray
    fitted: np.ndarray
    prior_weights: np.ndarray
    scale: float
    scale_estimated: bool
    deviance: float
    null_deviance: float
    R: np.ndarray | None = None
    Ve: np.ndarray | None = None
    edf1: np.ndarray | None = None
    edf2: np.ndarray | None = None
    n_parametric: int = 0
    assign: tuple = ()
    term_labels: tuple = ()
    df_residual: float | None = None
    aic: float = float("nan")
    family: str = "gaussian"
    link: str = "identity"
    formula: str = ""
    method: str = "REML"
    sp_criterion: float = float("nan")
    rank: int | None = None
    n_theta: int = 0
    has_r_sq: bool = True
    X: np.ndarray | None = None

    def __post_init__(self) -> None:
        arr = lambda v: None if v is None else np.asarray(v, dtype=float)  # noqa: E731
        for name in ("coef", "Vp", "edf", "y", "fitted", "prior_weights", "R", "Ve", "edf1",
                     "edf2", "X"):
            object.__setattr__(self, name, arr(getattr(self, name)))
        for name in ("edf1", "edf2"):  # an empty vector is mgcv's NULL
            if getattr(self, name) is not None and getattr(self, name).size == 0:
                object.__setattr__(self, name, None)
        object.__setattr__(self, "coef_names", tuple(str(c) for c in self.coef_names))
        object.__setattr__(self, "smooths", tuple(self.smooths))
        p = self.coef.shape[0]
        if self.Vp.shape != (p, p) or self.edf.shape != (p,) or len(self.coef_names) != p:
            raise ValueError(f"coef ({p}), coef_names, edf and Vp ({self.Vp.shape}) disagree")
        if self.R is None and self.X is None:
            raise ValueError("give R (R'R = X'WX) or the model matrix X")
        if self.y.shape != self.fitted.shape or self.y.shape != self.prior_weights.shape:
            raise ValueError("y, fitted and prior_weights must have the same length")

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def residual_df(self) -> float:
        """``summary.gam``'s ``n - sum(edf)``."""
        return self.n - float(np.sum(self.edf))


@dataclass(frozen=True)
class SmoothTestResult:
    """``stat`` (chi-square scale), ``p_value`` and ``rank`` (the Ref.df)."""

    stat: float
    p_value: float
    rank: float


# --------------------------------------------------------------------------- Davies
from aurora.inference._davies import davies, liu2, psum_chisq  # noqa: E402,F401


def _sym_eigen(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (decreasing) and vectors of a symmetric matrix, as R's ``eigen``."""
    vals, vecs = linalg.eigh(a)
    return vals[::-1], vecs[:, ::-1]


def smooth_test(coef: np.ndarray, X: np.ndarray, V: np.ndarray, rank: float,
                res_df: float = -1.0) -> SmoothTestResult:
    """Wald-type test of ``f = 0`` for one smooth (mgcv's ``testStat``, type 0).

    Parameters
    ----------
    coef : (q,) the smooth's coefficients.
    X : (m, q) its columns of ``R`` (``R'R = X'WX``) or of the model matrix.
    V : (q, q) its block of the Bayesian covariance ``Vp``.
    rank : the reference rank, ``min(q, sum(edf1))``; a fractional part blends the last
        two eigen-directions (Wood 2013a, section 3).
    res_df : residual df for the F version (scale estimated); ``<= 0`` for chi-square.

    Returns
    -------
    SmoothTestResult
        ``stat`` (chi-square scale; mgcv prints ``stat / rank`` as F), ``p_value`` and
        ``rank`` (mgcv's ``Ref.df``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(50, 3))
    >>> res = smooth_test(np.array([0.3, -0.2, 0.1]), X, np.eye(3) * 0.01, 3.0)
    >>> res.rank, round(res.stat, 10)        # full rank: b' V^-1 b
    (3.0, 14.0)
    """
    coef = np.asarray(coef, dtype=float)
    R = _upper_r(np.asarray(X, dtype=float))
    Vr = R @ np.asarray(V, dtype=float) @ R.T
    vals, vecs = _sym_eigen((Vr + Vr.T) / 2)
    siv = np.sign(vecs[0, :])
    siv[siv == 0] = 1
    vecs = vecs * siv
    k = max(0, math.floor(rank))
    nu = abs(rank - k)
    k1 = k + 1 if nu > 0 else k
    r_est = int(np.sum(vals > vals.max() * _EPS ** 0.9))
    if r_est < k1:
        k1 = k = r_est
        nu = 0.0
        rank = float(r_est)
    # R's vec[, 1:k1] with k1 = 0 keeps the first column
    vec = vecs[:, :max(k1, 1)].copy() if k1 < vecs.shape[1] else vecs.copy()
    if nu > 0 and k > 0:
        if k > 1:
            vec[:, :k - 1] = vec[:, :k - 1] / np.sqrt(vals[:k - 1])
        b12 = math.sqrt(max(0.5 * nu * (1 - nu), 0.0))
        ev = np.diag(vals[k - 1:k1] ** -0.5)
        B = ev @ np.array([[1.0, b12], [b12, nu]]) @ ev
        eb_val, eb_vec = _sym_eigen(B)
        rB = eb_vec @ np.diag(np.sqrt(eb_val)) @ eb_vec.T
        vec1 = vec.copy()
        vec1[:, k - 1:k1] = (rB @ np.diag([-1.0, 1.0]) @ vec[:, k - 1:k1].T).T
        vec[:, k - 1:k1] = (rB @ vec[:, k - 1:k1].T).T
    else:
        vec = vec * math.sqrt(1 / vals[0]) if k == 0 else vec / np.sqrt(vals[:vec.shape[1]])
        vec1 = vec
        if k == 1:
            rank = 1.0
    Rp = R @ coef
    d = float(np.sum((vec.T @ Rp) ** 2))
    d1 = float(np.sum((vec1.T @ Rp) ** 2))
    rank1 = rank
    pval = 2.0
    if nu > 0:
        if k1 == 1:
            rank1 = 1.0
            val = [1.0]
        else:
            val = [1.0] * k1
            rp = nu + 1
            val[k - 1] = (rp + math.sqrt(rp * (2 - rp))) / 2
            val[k1 - 1] = rp - val[k - 1]
        if res_df <= 0:
            pval = (psum_chisq(d, val) + psum_chisq(d1, val)) / 2
        else:
            k0 = max(1, round(res_df))
            dfs = [1] * len(val) + [k0]
            pval = (psum_chisq(0, val + [-d / k0], df=dfs)
                    + psum_chisq(0, val + [-d1 / k0], df=dfs)) / 2
    if pval > 1:
        if res_df <= 0:
            pval = (stats.chi2.sf(d, rank1) + stats.chi2.sf(d1, rank1)) / 2
        else:
            pval = (stats.f.sf(d / rank1, rank1, res_df)
                    + stats.f.sf(d1 / rank1, rank1, res_df)) / 2
    return SmoothTestResult(stat=d, p_value=float(min(1.0, pval)), rank=float(rank))


def _embed(S: np.ndarray, start: int, stop: int, out: np.ndarray, weight: float) -> None:
    """Add ``weight * S`` on the diagonal block ``start:stop`` of ``out`` (repeated when
    ``S`` is smaller than the block, as mgcv's ``packing.ind``)."""
    q = S.shape[0]
    for b in range(start, stop, q):
        out[b:b + q, b:b + q] += weight * S


def _root_rows(S: np.ndarray) -> np.ndarray:
    """Rows ``C`` with ``C'C = S`` for a positive semi-definite ``S``."""
    vals, vecs = _sym_eigen((S + S.T) / 2)
    keep = vals > max(vals.max(), 0.0) * _EPS ** 0.8 if vals.size else vals > 0
    return np.sqrt(vals[keep])[:, None] * vecs[:, keep].T


def _upper_r(a: np.ndarray) -> np.ndarray:
    return linalg.qr(a, mode="r")[0][:min(a.shape), :]


def re_test(inp: SmoothFitSummaryInput, which: int) -> SmoothTestResult:
    """Test of a smooth without a null space, as a random effect (mgcv's ``reTest``).

    Wood (2013b): the statistic ``b' Rm'Rm b / sig2`` with ``Rm`` the smooth's block of
    the penalised factor after the other coefficients are profiled out (the other
    ``random`` smooths integrated out, ``recov``); its null distribution is a weighted sum
    of chi-squares with weights the eigenvalues of ``Rm Ve Rm' / sig2``.
    """
    if inp.R is None or inp.Ve is None:
        raise ValueError(f"testing {inp.smooths[which].label} as a random effect needs R and "
                         "Ve (the frequentist covariance)")
    R = _full_r(inp)
    p = inp.coef.shape[0]
    sm = inp.smooths[which]
    ind = np.arange(sm.start, sm.stop)
    rind = np.zeros(p, dtype=bool)
    for i, s in enumerate(inp.smooths):
        if s.random and i != which:
            rind[s.start:s.stop] = True
    if not rind.any():
        S1 = np.zeros((p, p))
        for s in inp.smooths:
            for S, sp in zip(s.penalties, s.sp):
                _embed(np.asarray(S, dtype=float), s.start, s.stop, S1, sp)
        LRB = np.vstack([R, _root_rows(S1)])
        Ve = (inp.Ve.T + inp.Ve) * 0.5
        cols = np.concatenate([np.setdiff1d(np.arange(p), ind), ind])
    else:
        keep = ~rind
        pos = np.cumsum(keep) - 1           # position of a kept column among the kept
        pos_r = np.cumsum(rind) - 1
        p2, p1 = int(rind.sum()), int(keep.sum())
        S1, S2 = np.zeros((p1, p1)), np.zeros((p2, p2))
        for s in inp.smooths:
            random = bool(rind[s.start])
            posv, target = (pos_r, S2) if random else (pos, S1)
            for S, sp in zip(s.penalties, s.sp):
                _embed(np.asarray(S, dtype=float), int(posv[s.start]),
                       int(posv[s.start]) + s.stop - s.start, target, sp)
        S2 = _inverse_root(S2)
        R1, R2 = R[:, keep], R[:, rind]
        A = S2 @ R2.T
        L = linalg.cholesky(np.eye(R.shape[0]) + A.T @ A, lower=False)
        LRB = np.vstack([L @ R1, _root_rows(S1)])
        LRVp = L @ R @ inp.Vp
        Ve = LRVp.T @ LRVp / inp.scale
        ind_m = pos[ind]
        cols = np.concatenate([np.setdiff1d(np.arange(p1), ind_m), ind_m])
    q = ind.size
    Rm = _upper_r(LRB[:, cols])[-q:, -q:]
    b = inp.coef[ind]
    stat = float(np.sum((Rm @ b) ** 2)) / inp.scale
    M = Rm @ Ve[np.ix_(ind, ind)] @ Rm.T / inp.scale
    ev = np.linalg.eigvalsh((M + M.T) / 2)[::-1].copy()
    ev[ev < 0] = 0
    rank = int(np.sum(ev > ev.max() * _EPS ** 0.8))
    if inp.scale_estimated:
        df_res = inp.df_residual if inp.df_residual is not None else inp.residual_df
        k = max(1, round(df_res))
        pval = psum_chisq(0, list(ev) + [-stat / k], df=[1] * ev.size + [k])
    else:
        pval = psum_chisq(stat, ev)
    return SmoothTestResult(stat=stat, p_value=float(pval), rank=float(rank))


def _inverse_root(S2: np.ndarray) -> np.ndarray:
    """``recov``'s transform of the random-effect penalty: rows ``D`` with
    ``D'D = S2^+`` (diagonal and 1x1 cases as mgcv writes them)."""
    if S2.shape[0] == 1:
        return 1 / np.sqrt(S2)
    d = np.diag(S2)
    if np.max(np.abs(np.diag(d) - S2)) == 0:
        ok = d > d.max() * _EPS ** 0.8
        inv = np.where(ok, 1 / np.where(ok, d, 1), 0.0)
        return np.diag(np.sqrt(inv))
    vals, vecs = _sym_eigen((S2 + S2.T) / 2)
    ok = vals > vals.max() * _EPS ** 0.8
    inv = np.where(ok, 1 / np.where(ok, vals, 1), 0.0)
    return np.sqrt(inv)[:, None] * vecs.T


def _full_r(inp: SmoothFitSummaryInput) -> np.ndarray:
    """A square ``p x p`` factor: ``R`` itself, or the triangle of a taller one (rotating
    the rows changes none of the statistics)."""
    R = inp.R
    return _upper_r(R) if R.shape[0] > R.shape[1] else R



# --------------------------------------------------------------------------- summary.gam
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
