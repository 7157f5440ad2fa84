"""Quantities of a fitted linear mixed model read off its PLS factor.

* ``vcov(beta) = sigma^2 (RX RX')^{-1}`` (lme4's ``vcov.merMod``);
* conditional variances of the random effects (lme4's ``condVar``): the diagonal
  ``k x k`` blocks of ``sigma^2 Lambda (L L')^{-1} Lambda'``, one per level of each term.
  With the blocked factor, ``(L L')^{-1}``'s first-term blocks are
  ``L11^{-T} L11^{-1} + G'G`` with ``G = L22^{-1} L21 L11^{-1}`` (taken in column chunks),
  and the other terms' blocks are those of ``L22^{-T} L22^{-1}``;
* fitted values ``X beta + Z b`` and residuals.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from aurora.engine.lmm import LMMProblem, PLSFactor, block_diag_bsr, z_times

__all__ = ["vcov_beta", "cond_var", "fitted_values"]

_CHUNK = 4_000_000  # entries of G held at once


def vcov_beta(f: PLSFactor, sigma: float) -> np.ndarray:
    """``sigma^2 (RX RX')^{-1}``, the covariance of the fixed effects (lme4's ``vcov``).

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.engine.lmm import PLSFactor
    >>> f = PLSFactor(np.zeros(1), [], None, None, None, None, None, np.array([[2.0]]),
    ...               np.zeros(1), np.zeros(0))
    >>> vcov_beta(f, 1.0).tolist()
    [[0.25]]
    """
    p = f.RX.shape[0]
    if p == 0:
        return np.zeros((0, 0))
    return sigma ** 2 * cho_solve((f.RX, True), np.eye(p), check_finite=False)


def cond_var(pr: LMMProblem, f: PLSFactor, sigma: float) -> list[np.ndarray]:
    """Conditional covariance of each level's random effects, per term.

    Parameters
    ----------
    pr : LMMProblem
    f : PLSFactor
    sigma : float

    Returns
    -------
    list of ndarray, shape (nl, k, k)
        One per term, in the order of ``pr.terms``: lme4's ``attr(ranef(m, condVar =
        TRUE)[[g]], "postVar")`` (levels first here).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.lmm import lmm_problem, factorize
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": np.repeat(list("ab"), 2)}))
    >>> pr = lmm_problem(np.ones((4, 1)), np.array([1., 2, 4, 5]), rt)
    >>> round(float(cond_var(pr, factorize(pr, np.array([1.0])), 1.0)[0][0, 0, 0]), 6)
    0.333333
    """
    terms = pr.eterms
    first = terms.terms[0]
    k1 = first.k
    # (L L')^{-1} blocks of the first term: L11^{-T} L11^{-1} + G'G
    V1 = np.matmul(np.swapaxes(f.L11inv, 1, 2), f.L11inv)
    q2 = pr.q2
    out_u: list[np.ndarray] = [V1]
    if q2:
        L21L11inv = (f.L21 @ block_diag_bsr(f.L11inv)).tocsc()
        step = max(1, _CHUNK // max(q2, 1) // k1) * k1
        for c0 in range(0, first.q, step):
            c1 = min(first.q, c0 + step)
            G = solve_triangular(f.L22.T, L21L11inv[:, c0:c1].toarray(), trans="T",
                                 lower=False, check_finite=False)
            Gb = G.reshape(q2, (c1 - c0) // k1, k1)
            V1[c0 // k1:c1 // k1] += np.einsum("ila,ilb->lab", Gb, Gb)
        L22inv = solve_triangular(f.L22.T, np.eye(q2), trans="T", lower=False,
                                  check_finite=False)
        c = 0
        for t in terms.terms[1:]:
            blk = L22inv[:, c:c + t.q].reshape(q2, t.nl, t.k)
            out_u.append(np.einsum("ila,ilb->lab", blk, blk))
            c += t.q
    s2 = sigma ** 2
    eng = [s2 * np.einsum("ab,lbc,dc->lad", T, V, T) for T, V in zip(f.eblocks, out_u)]
    return _lme4_order(pr, eng)


def _lme4_order(pr: LMMProblem, per_engine_term: list[np.ndarray]) -> list[np.ndarray]:
    """Per-term arrays from the engine's order back to lme4's; a dense term factored as
    one level of ``r`` columns gives its ``r`` variances as ``(r, 1, 1)``."""
    if pr.u_perm is None:
        return per_engine_term
    ets, ts = pr.eterms.terms, pr.terms.terms
    out: list[np.ndarray] = [None] * len(ts)  # type: ignore[list-item]
    used = set()
    for et, V in zip(ets, per_engine_term):
        i = next(j for j, t in enumerate(ts) if j not in used and
                 (t is et or (t.dense and t.Zd is et.X)))
        used.add(i)
        if ts[i].dense and V.shape[0] == 1 and V.shape[1] > 1:
            V = np.diagonal(V[0]).reshape(-1, 1, 1).copy()
        out[i] = V
    return out


def fitted_values(pr: LMMProblem, f: PLSFactor, offset: np.ndarray | None = None) -> np.ndarray:
    """``X beta + Z b (+ offset)`` on the rows of the fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.lmm import lmm_problem, factorize
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": np.repeat(list("ab"), 2)}))
    >>> pr = lmm_problem(np.ones((4, 1)), np.array([1., 2, 4, 5]), rt)
    >>> fitted_values(pr, factorize(pr, np.array([0.0]))).tolist()
    [3.0, 3.0, 3.0, 3.0]
    """
    mu = pr.X @ f.beta + z_times(pr.terms, f.b(pr.terms))
    return mu if offset is None else mu + offset
