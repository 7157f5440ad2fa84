"""The deviance functions lme4's profiles minimise, built on the engine's PLS factor.

* :func:`sdcor_from_theta` / :func:`theta_from_sdcor`: lme4's ``Cv_to_Sv`` / ``Sv_to_Cv``,
  between ``theta`` (relative Cholesky factors) and the standard-deviation/correlation
  scale with ``sigma`` last (``.sig01, ..., .sigma``); a term with a diagonal or identity
  covariance (not lme4's) has SDs only, ``sigma * theta``.
* :func:`sdcor_deviance`: lme4's ``devfun2`` for an LMM, the ML deviance as a function of
  the SDs, correlations and ``sigma`` with the fixed effects profiled out,
  ``ldL2 - ldW + pwrss / sigma^2 + n log(2 pi sigma^2)`` (Bates et al. 2015, JSS 67(1),
  eq. 34 before ``sigma`` is profiled out).
* :func:`drop_fixed`: the problem with fixed effect ``j`` held at a value (lme4 drops its
  column and moves ``X[:, j] * value`` into the offset), derived from the fitted problem
  without recomputing the random-effects cross-products.
* :func:`bobyqa`: lme4's ``nloptwrap`` (NLopt's BOBYQA, ``xtol_abs = ftol_abs = 1e-8``).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
from scipy.linalg.lapack import dpstrf

from aurora.compile.re_terms import term_theta_layout
from aurora.engine.lmm import LMMProblem, factorize
from aurora.engine.lmm_optimize import nlopt_bobyqa as bobyqa
from aurora.models._mixed_tables import sd_corr

__all__ = ["sdcor_from_theta", "theta_from_sdcor", "sdcor_deviance", "drop_fixed", "bobyqa"]

_LOG2PI = float(np.log(2 * np.pi))


def sdcor_from_theta(theta: np.ndarray, terms: Any, sigma: float) -> np.ndarray:
    """lme4's ``Cv_to_Sv(theta, n, s = sigma)``: per term the lower triangle (column-major)
    of the SD/correlation matrix of ``sigma^2 T T'``, then ``sigma``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"t": np.arange(9.), "g": list("aaabbbccc")})
    >>> rt = build_random_terms(parse("y ~ (1 + t | g)").random_effects, df)
    >>> sdcor_from_theta(np.array([1.0, 1.0, 1.0]), rt, 2.0).round(6).tolist()
    [2.0, 0.707107, 2.828427, 2.0]
    """
    theta = np.asarray(theta, dtype=float)
    off = terms.theta_offsets
    out = []
    for i, (t, T) in enumerate(zip(terms.terms, terms.lambda_blocks(theta))):
        if _covariance(t) != "unstructured":  # diagonal / identity: SDs only
            out.append(sigma * theta[off[i]:off[i + 1]])
            continue
        sd, R = sd_corr(T @ T.T * sigma ** 2)
        R[np.isnan(R)] = 0.0  # cov2sdcor: NA (a zero SD) becomes 0
        R[np.diag_indices_from(R)] = sd
        r, c = term_theta_layout(T.shape[0])
        out.append(R[r, c])
    out.append([sigma])
    return np.concatenate(out)


def theta_from_sdcor(pars: np.ndarray, terms: Any) -> np.ndarray:
    """lme4's ``Sv_to_Cv(pars, n, s = pars[-1])``: back to ``theta`` (lme4's
    ``safe_chol`` of ``cov / sigma^2``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"t": np.arange(9.), "g": list("aaabbbccc")})
    >>> rt = build_random_terms(parse("y ~ (1 + t | g)").random_effects, df)
    >>> theta_from_sdcor(np.array([2.0, 0.5 ** 0.5, 8 ** 0.5, 2.0]), rt).round(12).tolist()
    [1.0, 1.0, 1.0]
    """
    pars = np.asarray(pars, dtype=float)
    sigma = pars[-1]
    out = []
    off = 0
    for t in terms.terms:
        k, cov = t.k, _covariance(t)
        if cov != "unstructured":  # diagonal / identity terms: theta = SD / sigma
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append(pars[off:off + t.ntheta] / sigma)
            off += t.ntheta
            continue
        r, c = term_theta_layout(k)
        S = np.zeros((k, k))
        S[r, c] = pars[off:off + r.size]
        S[c, r] = S[r, c]
        off += r.size
        sd = np.diag(S).copy()
        np.fill_diagonal(S, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            V = S * np.outer(sd, sd) / sigma ** 2
        L = _safe_chol(V).T
        out.append(L[r, c])
    return np.concatenate(out)


def _covariance(term: Any) -> str:
    """A term's covariance structure (lme4's terms are all ``"unstructured"``)."""
    return getattr(getattr(term, "spec", None), "covariance", "unstructured")


def _safe_chol(m: np.ndarray) -> np.ndarray:
    """lme4's ``safe_chol``: the upper Cholesky factor, pivoted when ``chol`` fails."""
    if np.any(np.isnan(m)) or np.all(m == 0):
        return m
    if m.shape[0] == 1:
        return np.sqrt(m)
    if np.all(m[~np.eye(m.shape[0], dtype=bool)] == 0):
        return np.diag(np.sqrt(np.diag(m)))
    try:
        return np.linalg.cholesky(m).T
    except np.linalg.LinAlgError:
        pass
    # R's chol(pivot = TRUE): LAPACK dpstrf, lower triangle zeroed, columns unpivoted
    U, piv, _, _ = dpstrf(m.copy(), lower=0)
    U = np.triu(U)
    return U[:, np.argsort(piv - 1)]


def sdcor_deviance(pr: LMMProblem, pars: np.ndarray) -> tuple[float, Any]:
    """lme4's ``devfun2``: ML deviance at SDs/correlations/``sigma`` ``pars``, the fixed
    effects at their conditional optimum. Returns the deviance and the PLS factor.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.lmm import lmm_problem, pls_deviance
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": np.repeat(list("abcd"), 3)}))
    >>> pr = lmm_problem(np.ones((12, 1)), np.arange(12.0) ** 1.5, rt)
    >>> f = factorize(pr, np.array([0.5]))
    >>> s = np.sqrt(f.pwrss / 12)   # the optimal sigma: devfun2 = the profiled deviance
    >>> d, _ = sdcor_deviance(pr, np.array([0.5 * s, s]))
    >>> bool(np.isclose(d, pls_deviance(pr, f, REML=False), rtol=1e-12))
    True
    """
    sigma = float(pars[-1])
    f = factorize(pr, theta_from_sdcor(pars, pr.terms))
    s2 = sigma * sigma
    return f.ldL2 - pr.ldW + f.pwrss / s2 + pr.n * (_LOG2PI + np.log(s2)), f


def drop_fixed(pr: LMMProblem, j: int) -> Callable[[float], LMMProblem]:
    """The problem with fixed effect ``j`` fixed: ``value -> LMMProblem`` without column
    ``j`` and with ``X[:, j] * value`` in the offset (lme4's ``.modelMatrixDrop`` and
    ``setOffset`` in ``profile.merMod``).

    The random-effects cross-products (``S1``, ``B21``, ``M22``, the pair pattern) do not
    depend on ``X`` or ``y``; only ``Z'W[X y]`` and ``[X y]'W[X y]`` are rebuilt, from
    the response shifted (as :func:`~aurora.engine.lmm.lmm_problem` does) by its weighted
    least-squares fit on the remaining columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.lmm import lmm_problem, pls_deviance
    >>> rng = np.random.default_rng(1)
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": np.repeat(list("abcd"), 3)}))
    >>> X = np.column_stack([np.ones(12), rng.normal(size=12)])
    >>> y = rng.normal(size=12)
    >>> at = drop_fixed(lmm_problem(X, y, rt), 1)(0.3)
    >>> direct = lmm_problem(X[:, :1], y - 0.3 * X[:, 1], rt)
    >>> th = np.array([0.7])
    >>> a = pls_deviance(at, factorize(at, th), False)
    >>> bool(np.isclose(a, pls_deviance(direct, factorize(direct, th), False), rtol=1e-12))
    True
    """
    X, w = pr.X, pr.w
    keep = np.delete(np.arange(pr.p), j)
    Xk = X[:, keep]
    y0 = pr.y + X @ pr.beta0  # the response minus the offset
    xj = X[:, j]
    sw = np.sqrt(w)
    if keep.size:
        Q = np.linalg.lstsq(Xk * sw[:, None], np.column_stack([y0, xj]) * sw[:, None],
                            rcond=None)[0]
        b_y, b_x = Q[:, 0], Q[:, 1]
    else:
        b_y = b_x = np.zeros(0)
    ry = y0 - Xk @ b_y  # residuals of y0 and of X[:, j] on the other columns
    rx = xj - Xk @ b_x
    Zt = pr.eterms.Z().T.tocsr()  # the rows of ZtWXy are in the engine's term order
    cols = np.r_[keep, pr.p]
    ZtWX = pr.ZtWXy[:, keep]
    XWX = pr.XyWXy[np.ix_(keep, keep)]
    WXk = Xk * w[:, None]

    def at(value: float) -> LMMProblem:
        y = ry - value * rx
        wy = w * y
        ZtWXy = np.column_stack([ZtWX, Zt @ wy])
        XyWXy = np.empty((cols.size, cols.size))
        XyWXy[:-1, :-1] = XWX
        XyWXy[:-1, -1] = XyWXy[-1, :-1] = WXk.T @ y
        XyWXy[-1, -1] = y @ wy
        return dataclasses.replace(pr, X=Xk, y=y, ZtWXy=ZtWXy, XyWXy=XyWXy,
                                   beta0=b_y - value * b_x)

    return at
