"""mgcv's ``testStat`` (type 0) and ``reTest``: the tests of one smooth term behind
``summary.gam``'s "Approximate significance of smooth terms". Re-exported by
:mod:`aurora.inference.smooth_tests`, whose docstring gives the references.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import linalg, stats

from aurora.inference._davies import psum_chisq
from aurora.inference._smooth_input import SmoothFitSummaryInput, SmoothTestResult

__all__ = ["smooth_test", "re_test"]

_EPS = float(np.finfo(float).eps)


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

