"""Penalised iteratively reweighted least squares for GLMMs, as lme4's ``pwrssUpdate``.

A GLMM is the linear mixed model of :mod:`aurora.engine.lmm` reweighted (MixedModels.jl's
design): each PIRLS step forms the working weights ``w = mu_eta^2 prior / V(mu)`` and the
working response ``z = eta - offset + (y - mu) / mu_eta``, takes the weighted
cross-products of the random-effect terms (their sparsity pattern is found once, so a
step costs a few ``bincount`` passes over the rows) and solves the penalised least
squares problem with the blocked Cholesky factor of :func:`aurora.engine.lmm.factorize`:

* ``u_only=False`` (lme4's ``nAGQ = 0`` stage): ``u`` and ``beta`` together;
* ``u_only=True`` (the Laplace and quadrature stage): ``u`` alone, ``beta`` sitting in the
  offset.

The step sequence is lme4's (``internal_glmerWrkIter`` / ``pwrssUpdate`` in
``external.cpp``): factor at the current weights, solve, move ``mu``; stop when the
penalised deviance ``sum(dev.resid) + ||u||^2`` changes by less than ``tol`` relatively;
halve the step (towards the previous increment) while the penalised deviance grows. The
Laplace deviance is lme4's ``ldL2 + ||u||^2 + aic(mu)`` with ``ldL2`` of the last factor
(Bates et al. 2015, JSS 67(1), section 5; lme4 ``respModule.cpp``, ``glmResp::Laplace``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from aurora.engine.glmm_family import LmeFamily
from aurora.engine.lmm import LMMProblem, PLSFactor, factorize, z_times

__all__ = ["GLMMModel", "PirlsState", "glmm_model", "pirls", "lambda_times", "PIRLSError",
           "weighted_problem"]


class PIRLSError(RuntimeError):
    """lme4's PIRLS failures (NaN, step halving that cannot reduce the deviance, no
    convergence in ``maxit`` steps)."""


@dataclass(frozen=True)
class _Structure:
    """Sparsity pattern of the weighted cross-products, found once per model."""

    s1_codes: np.ndarray          # (n,) level of each row in the first term
    b21_pos: np.ndarray | None    # (n, k1 * K2) position in B21.data of each contribution
    b21_a: np.ndarray | None      # first-term column of each contribution
    b21_b: np.ndarray | None      # column of Z2 (within the row's K2 entries)
    B21: Any                      # pattern (csr, q2 x q1)
    B21_rows: np.ndarray
    m22_flat: np.ndarray | None   # (n, K2 * K2) flat index into M22
    Z2vals: np.ndarray | None     # (n, K2) values of Z2's entries on each row
    Zt: Any                       # csr (q, n)
    pairs: Any = None             # (rows, P pattern, csc order, e1, e2, P order)


@dataclass(frozen=True)
class GLMMModel:
    """Frozen data of a GLMM (lme4's ``merPredD`` and ``glmResp`` inputs).

    Attributes
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Response (proportions for binomial ``cbind``).
    weights : ndarray, shape (n,)
        Prior weights, binomial trials folded in (lme4's ``resp$weights``).
    n_trials : ndarray, shape (n,)
        lme4's ``resp$n`` (trials of ``cbind``, else ones).
    offset : ndarray, shape (n,)
        The model's offset (lme4's ``baseOffset``).
    terms : RandomTerms
    family : LmeFamily
    """

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    n_trials: np.ndarray = field(repr=False)
    offset: np.ndarray = field(repr=False)
    terms: Any = field(repr=False)
    family: LmeFamily
    struct: _Structure = field(repr=False, default=None)
    cache: dict = field(repr=False, default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def q(self) -> int:
        return self.terms.q

    @property
    def ntheta(self) -> int:
        return int(self.terms.theta_offsets[-1])

    def with_family(self, family: LmeFamily) -> "GLMMModel":
        from dataclasses import replace

        return replace(self, family=family, cache={})


def _structure(terms: Any) -> _Structure:
    first, rest = terms.terms[0], terms.terms[1:]
    n = first.codes.shape[0]
    q1 = first.q
    Zt = terms.Z().T.tocsr()
    if not rest:
        return _Structure(first.codes, None, None, None, sp.csr_matrix((0, q1)),
                          np.zeros(0, dtype=np.intp), None, None, Zt)
    cols2, vals2, off = [], [], 0
    for t in rest:  # Z2's column and value for each of the row's K2 entries
        for b in range(t.k):
            cols2.append(off + t.codes * t.k + b)
            vals2.append(t.X[:, b])
        off += t.q
    q2 = off
    C2 = np.column_stack(cols2).astype(np.int64)          # (n, K2)
    V2 = np.column_stack(vals2)
    k1 = first.k
    C1 = first.codes[:, None].astype(np.int64) * k1 + np.arange(k1)[None, :]  # (n, k1)
    flat = (C2[:, None, :] * q1 + C1[:, :, None]).reshape(n, -1)   # (n, k1 * K2)
    uniq, inv = np.unique(flat.ravel(), return_inverse=True)
    rows, cols = uniq // q1, uniq % q1
    B21 = sp.csr_matrix((np.ones(uniq.size), (rows, cols)), shape=(q2, q1))
    B21.sort_indices()
    # csr of sorted unique (row, col) keeps them in the same order as uniq
    K2 = C2.shape[1]
    a_idx = np.repeat(np.arange(k1), K2)
    b_idx = np.tile(np.arange(K2), k1)
    m22 = (C2[:, :, None] * q2 + C2[:, None, :]).reshape(n, -1)
    B21_rows = np.repeat(np.arange(q2), np.diff(B21.indptr))
    return _Structure(first.codes, inv.reshape(n, -1), a_idx, b_idx, B21, B21_rows, m22, V2, Zt,
                      _pair_structure(B21, first.nl, k1))


def _pair_structure(B21: sp.csr_matrix, nl1: int, k1: int, limit: int = 10_000_000) -> Any:
    """The symbolic form of ``B21 diag(D_l) B21'`` that :func:`aurora.engine.lmm_factor.
    factorize` reads (``LMMProblem.pairs``: ``(rows, P)``), found once; each step only
    fills ``P``'s values from ``B21``'s (see ``lmm_problem._pair_matrix``)."""
    q2 = B21.shape[0]
    ii, jj = np.tril_indices(q2)
    if ii.size * B21.shape[1] * k1 <= 2_000_000:  # small: a dense P is faster to fill
        o = np.argsort(ii * q2 + jj)
        ii, jj = ii[o], jj[o]
        return "dense", ii.astype(np.int64) * q2 + jj, ii, jj
    Bc = sp.csr_matrix((np.arange(1, B21.nnz + 1, dtype=float), B21.indices, B21.indptr),
                       shape=B21.shape).tocsc()
    Bc.sort_indices()
    csc_order = Bc.data.astype(np.int64) - 1     # csc position -> csr position
    lev_ptr = Bc.indptr[::k1]
    counts = np.diff(lev_ptr)
    if int(np.sum(counts.astype(np.int64) ** 2)) > 2 * limit:
        return None
    nnz = Bc.nnz
    col = np.repeat(np.arange(Bc.shape[1]), np.diff(Bc.indptr))
    lev, a = col // k1, col % k1
    reps = counts[lev]
    e1 = np.repeat(np.arange(nnz), reps)
    starts = np.cumsum(reps) - reps
    e2 = lev_ptr[lev[e1]] + (np.arange(e1.size) - np.repeat(starts, reps))
    i = Bc.indices.astype(np.int64)
    low = i[e1] >= i[e2]
    e1, e2 = e1[low], e2[low]
    rows, inv = np.unique(i[e1] * q2 + i[e2], return_inverse=True)
    cols = lev[e1].astype(np.int64) * k1 * k1 + a[e1] * k1 + a[e2]
    P0 = sp.csr_matrix((np.arange(1, e1.size + 1, dtype=float), (inv.ravel(), cols)),
                       shape=(rows.size, nl1 * k1 * k1))
    order = P0.data.astype(np.int64) - 1
    return rows, P0, csc_order[e1[order]], csc_order[e2[order]]


def glmm_model(X: np.ndarray, y: np.ndarray, terms: Any, family: LmeFamily,
               weights: np.ndarray | None = None, n_trials: np.ndarray | None = None,
               offset: np.ndarray | None = None) -> GLMMModel:
    """Bind the data of a GLMM and find the sparsity pattern of its cross-products.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.glmm_family import lme_family
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": np.repeat(list("abcd"), 3)}))
    >>> m = glmm_model(np.ones((12, 1)), np.arange(12.0) % 3, rt, lme_family("poisson"))
    >>> m.n, m.p, m.q
    (12, 1, 4)
    """
    X = np.ascontiguousarray(np.asarray(X, dtype=float))
    n = X.shape[0]
    y = np.asarray(y, dtype=float)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    nt = np.ones(n) if n_trials is None else np.asarray(n_trials, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    return GLMMModel(X, y, w, nt, off, terms, family, _structure(terms))


def weighted_problem(m: GLMMModel, w: np.ndarray, z: np.ndarray, with_x: bool) -> LMMProblem:
    """The :class:`~aurora.engine.lmm.LMMProblem` of the working weights ``w`` and the
    working response ``z`` (with the fixed effects, or ``u`` only)."""
    st, terms = m.struct, m.terms
    first = terms.terms[0]
    k1, nl1 = first.k, first.nl
    S1 = np.empty((nl1, k1, k1))
    for a in range(k1):
        wa = w * first.X[:, a]
        for b in range(a + 1):
            s = np.bincount(st.s1_codes, weights=wa * first.X[:, b], minlength=nl1)
            S1[:, a, b] = s
            S1[:, b, a] = s
    X = m.X if with_x else np.zeros((m.n, 0))
    Xy = np.column_stack([X, z])
    WXy = Xy * w[:, None]
    ZtWXy = st.Zt @ WXy
    if st.b21_pos is not None:
        vals = (w[:, None] * first.X[:, st.b21_a]) * st.Z2vals[:, st.b21_b]
        data = np.bincount(st.b21_pos.ravel(), weights=vals.ravel(), minlength=st.B21.nnz)
        B21 = sp.csr_matrix((data, st.B21.indices, st.B21.indptr), shape=st.B21.shape)
        q2 = st.B21.shape[0]
        wv = (st.Z2vals * np.sqrt(w)[:, None])
        mv = (wv[:, :, None] * wv[:, None, :]).reshape(m.n, -1)
        M22 = np.bincount(st.m22_flat.ravel(), weights=mv.ravel(),
                          minlength=q2 * q2).reshape(q2, q2)
    else:
        B21, M22 = st.B21, np.zeros((0, 0))
    pairs = None
    if st.pairs is not None and st.pairs[0] == "dense":
        _, rows, ii, jj = st.pairs
        pairs = (rows, _DensePairs(B21.toarray().reshape(B21.shape[0], nl1, k1), ii, jj))
    elif st.pairs is not None:
        rows, P0, p1, p2 = st.pairs
        P = sp.csr_matrix((B21.data[p1] * B21.data[p2], P0.indices, P0.indptr), shape=P0.shape)
        pairs = (rows, P)
    return LMMProblem(X, z, w, terms, S1, B21, M22, ZtWXy, Xy.T @ WXy, 0.0, st.B21_rows,
                      pairs, np.zeros(X.shape[1]))


class _DensePairs:
    """``P`` of ``LMMProblem.pairs`` for a small second block, as the linear map it stands
    for: ``P @ vec(D)`` is the lower triangle (``ii >= jj``) of ``B21 blockdiag(D) B21'``,
    formed densely (``q2`` small) instead of from the stored pair products."""

    def __init__(self, Bd: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> None:
        self.Bd, self.ii, self.jj = Bd, ii, jj

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        q2, nl, k = self.Bd.shape
        D = np.asarray(v, dtype=float).reshape(nl, k, k)
        B = self.Bd.reshape(q2, -1)
        if k == 1:
            M = (B * D[:, 0, 0]) @ B.T
        else:
            M = np.einsum("ila,lab->ilb", self.Bd, D).reshape(q2, -1) @ B.T
        return M[self.ii, self.jj]


def lambda_times(terms: Any, blocks: list[np.ndarray], u: np.ndarray) -> np.ndarray:
    """``Lambda u`` (lme4's ``b``) for the relative covariance blocks ``blocks``."""
    out = np.empty_like(u)
    r = 0
    for t, T in zip(terms.terms, blocks):
        out[r:r + t.q] = (u[r:r + t.q].reshape(t.nl, t.k) @ T.T).ravel()
        r += t.q
    return out


@dataclass
class PirlsState:
    """The mutable state lme4 keeps in ``pp`` and ``resp`` between evaluations.

    Attributes
    ----------
    eta, mu : ndarray
        Linear predictor (offset included) and mean.
    offset : ndarray
        The response module's current offset (``baseOffset + X beta`` in the Laplace stage).
    delu, delb : ndarray
        lme4's ``delu`` (the conditional modes ``u``) and ``delb`` (``beta`` in the
        joint stage, zero in the ``u``-only stage).
    theta : ndarray
    w : ndarray
        Working weights of the last factorisation.
    problem, factor : LMMProblem, PLSFactor
        The last factorisation (its ``ldL2`` enters the Laplace deviance).
    """

    eta: np.ndarray
    mu: np.ndarray
    offset: np.ndarray
    delu: np.ndarray
    delb: np.ndarray
    theta: np.ndarray
    w: np.ndarray | None = None
    problem: LMMProblem | None = None
    factor: PLSFactor | None = None
    blocks: list | None = None

    def copy(self) -> "PirlsState":
        return PirlsState(self.eta.copy(), self.mu.copy(), self.offset.copy(), self.delu.copy(),
                          self.delb.copy(), self.theta.copy(), self.w, self.problem,
                          self.factor, self.blocks)

    def update_mu(self, m: GLMMModel, gamma: np.ndarray) -> None:
        """lme4's ``resp$updateMu(gamma)``: ``eta = offset + gamma``."""
        self.eta = self.offset + gamma
        self.mu = m.family.linkinv(self.eta)

    def lin_pred(self, m: GLMMModel) -> np.ndarray:
        """lme4's ``pp$linPred(1)``: ``X delb + Z Lambda delu``."""
        out = z_times(m.terms, lambda_times(m.terms, self.blocks, self.delu))
        if m.p and np.any(self.delb != 0):
            out = out + m.X @ self.delb
        return out

    def set_theta(self, m: GLMMModel, theta: np.ndarray) -> None:
        self.theta = np.asarray(theta, dtype=float).copy()
        self.blocks = m.terms.lambda_blocks(self.theta)


def initial_state(m: GLMMModel, theta: np.ndarray, eta: np.ndarray | None = None) -> PirlsState:
    """lme4's starting state: ``mu = mustart`` (R's ``initialize``), ``u = beta = 0``."""
    if eta is None:
        eta = m.offset + m.family.linkfun(m.family.mustart(m.y, m.weights, m.n_trials))
    st = PirlsState(eta, m.family.linkinv(eta), m.offset.copy(), np.zeros(m.q), np.zeros(m.p),
                    np.asarray(theta, dtype=float).copy())
    st.set_theta(m, theta)
    return st


def _pdev(m: GLMMModel, st: PirlsState) -> float:
    return float(np.sum(m.family.dev_resid(m.y, st.mu, m.weights))) + float(st.delu @ st.delu)


def pirls(m: GLMMModel, st: PirlsState, u_only: bool, tol: float = 1e-7,
          maxit: int = 100) -> float:
    """lme4's ``pwrssUpdate``: PIRLS from the state's current ``eta``; returns the
    penalised deviance. The state holds the result (``delu``, ``delb``, ``mu``, the last
    factor).

    Raises
    ------
    PIRLSError
        As lme4 stops: NaN, step halving failed, or no convergence in ``maxit`` steps.
    """
    fam = m.family
    oldpdev = np.finfo(float).max
    for _ in range(maxit):
        olddelu, olddelb = st.delu, st.delb
        mueta = fam.mu_eta(st.eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            sw = mueta * np.sqrt(m.weights / fam.variance(st.mu))
            z = (st.eta - st.offset) + (m.y - st.mu) / mueta
        w = sw * sw
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(z))):
            raise PIRLSError("PIRLS loop resulted in NaN value")
        pr = weighted_problem(m, w, z, not u_only)
        try:
            f = factorize(pr, st.theta)
        except (np.linalg.LinAlgError, ValueError) as e:
            raise PIRLSError(f"Downdated VtV is not positive definite ({e})") from None
        st.w, st.problem, st.factor = w, pr, f
        st.delu = f.u
        st.delb = np.zeros(m.p) if u_only else f.beta
        st.update_mu(m, st.lin_pred(m))
        pdev = _pdev(m, st)
        if abs((oldpdev - pdev) / pdev) < tol:
            return pdev
        if np.isnan(pdev) or pdev > oldpdev:
            for _k in range(20):
                if not (np.isnan(pdev) or pdev > oldpdev):
                    break
                st.delu = (olddelu + st.delu) / 2.0
                if not u_only:
                    st.delb = (olddelb + st.delb) / 2.0
                st.update_mu(m, st.lin_pred(m))
                pdev = _pdev(m, st)
            if np.isnan(pdev):
                raise PIRLSError("PIRLS loop resulted in NaN value")
            if pdev - oldpdev > tol:
                raise PIRLSError("(maxstephalfit) PIRLS step-halvings failed to reduce "
                                 "deviance in pwrssUpdate")
        oldpdev = pdev
    raise PIRLSError("pwrssUpdate did not converge in (maxit) iterations")


def laplace(m: GLMMModel, st: PirlsState) -> float:
    """lme4's ``glmResp::Laplace``: ``ldL2 + ||u||^2 + aic(mu)``."""
    dev = float(np.sum(m.family.dev_resid(m.y, st.mu, m.weights)))
    return st.factor.ldL2 + float(st.delu @ st.delu) + m.family.aic(
        m.y, m.n_trials, st.mu, m.weights, dev, m.cache)


def unscaled_vcov(m: GLMMModel, st: PirlsState) -> np.ndarray:
    """lme4's ``pp$unsc()``: ``(RX'RX)^{-1}`` at the last working weights."""
    if m.p == 0:
        return np.zeros((0, 0))
    f = st.factor
    if f.RX.shape[0] != m.p:  # the u-only stage: lme4 still updates RX; do it here
        pr = weighted_problem(m, st.w, st.problem.y, True)
        f = factorize(pr, st.theta)
    from scipy.linalg import cho_solve

    return cho_solve((f.RX, True), np.eye(m.p), check_finite=False)
