"""The weighted cross-products of a GLMM's random-effect terms, refilled at every PIRLS step.

PIRLS factors the penalised least-squares system again at every step with new working
weights ``w`` (MixedModels.jl's and lme4's design: the sparsity pattern, and here also the
symbolic part of the blocked factorisation, :mod:`aurora.engine.lmm_plan`, are found once
per model; lme4 likewise keeps CHOLMOD's symbolic factor and only refactors numerically).
:func:`glmm_structure` finds, once, where each row's contributions go; a step
(:func:`weighted_problem`) is then a few ``bincount`` passes over the rows:

* ``S1``: the first term's per-level ``k x k`` blocks of ``Z_1'WZ_1``;
* ``B21 = Z_2'WZ_1``: a dense ``q2 x q1`` array when ``q2^2 q1`` is small (VerbAgg's 24
  items by 316 subjects: the Schur complement is then one small dense product), else the
  values of a fixed sparse pattern, with the pair products ``B21 D B21'`` reads;
* ``M22 = Z_2'WZ_2`` (dense), ``Z'W[X z]`` and ``[X z]'W[X z]``.

The row values that do not depend on the weights (products of the terms' model-matrix
entries) are multiplied out once too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from aurora.engine.lmm import LMMProblem
from aurora.engine.lmm_plan import factor_plan
from aurora.engine.lmm_problem import _pair_entries

__all__ = ["GLMMStructure", "glmm_structure", "weighted_problem", "z_lambda_u",
           "DENSE_B21_LIMIT"]

#: ``B21`` is held dense when ``q2 * q2 * q1`` is at most this (the flops of ``L21 L21'``)
DENSE_B21_LIMIT = 2_000_000


@dataclass(frozen=True)
class GLMMStructure:
    """Where each row's weighted contributions go, found once per model.

    Attributes
    ----------
    s1_codes : ndarray, shape (n,)
        Level of each row in the first term.
    s1_vals : ndarray or None, shape (n, k1 (k1 + 1) / 2)
        ``X_1[:, a] X_1[:, b]`` (``a >= b``); None for an intercept-only first term.
    b21_index, b21_vals : ndarray or None
        Flat target (dense: ``row * q1 + col``; sparse: position in ``B21.data``) of every
        contribution to ``B21`` (rows x ``k1 K2``, raveled) and its weight-free value,
        shape (n, k1 K2) (None when all are 1).
    B21 : csr matrix
        The pattern of ``B21`` (q2 x q1).
    dense : bool
        Whether ``B21`` is handed on as a dense array.
    m22_index, m22_vals : ndarray or None
        The same for ``M22`` (flat index into the ``q2 x q2`` array; values (n, K2^2)).
    Zt : csr matrix, shape (q, n)
    pairs : tuple or None
        The pair products of a sparse ``B21`` (``(rows, P pattern, e1, e2)``).
    plan : FactorPlan
    k1, nl1, q2 : int
    zterms : tuple
        What :func:`z_lambda_u` reads, per term.
    """

    s1_codes: np.ndarray
    s1_vals: np.ndarray | None
    b21_index: np.ndarray | None
    b21_vals: np.ndarray | None
    B21: Any
    dense: bool
    m22_index: np.ndarray | None
    m22_vals: np.ndarray | None
    Zt: Any
    pairs: Any
    plan: Any
    k1: int
    nl1: int
    q2: int
    zterms: tuple = ()


def _zterms(terms: Any) -> tuple:
    """Per term: first effect, ``q``, ``k``, level codes (intp) and the per-row matrix
    (None for an intercept: all ones)."""
    out, r = [], 0
    for t in terms.terms:
        X = np.asarray(t.X, dtype=float)
        ones = t.k == 1 and bool(np.all(X == 1.0))
        out.append((r, t.q, t.k, np.asarray(t.codes, dtype=np.intp), None if ones else X))
        r += t.q
    return tuple(out)


def z_lambda_u(st: GLMMStructure, blocks: list[np.ndarray], u: np.ndarray) -> np.ndarray:
    """``Z Lambda u`` from the level codes (``blocks``: each term's ``T``)."""
    out = None
    for (r, q, k, codes, X), T in zip(st.zterms, blocks):
        if k == 1:
            b = T[0, 0] * u[r:r + q]
            zb = b[codes] if X is None else X[:, 0] * b[codes]
        else:
            B = u[r:r + q].reshape(-1, k) @ T.T
            zb = X[:, 0] * B[codes, 0]
            for j in range(1, k):
                zb += X[:, j] * B[codes, j]
        if out is None:
            out = zb
        else:
            out += zb
    return out


def glmm_structure(terms: Any) -> GLMMStructure:
    """The :class:`GLMMStructure` of the terms (lme4's order is the engine's for a GLMM).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3), "h": list("xyz") * 4})
    >>> rt = build_random_terms(parse("y ~ (1 | g) + (1 | h)").random_effects, df)
    >>> st = glmm_structure(rt)
    >>> st.dense, st.B21.shape
    (True, (3, 4))
    """
    first, rest = terms.terms[0], terms.terms[1:]
    n = first.codes.shape[0]
    k1, nl1, q1 = first.k, first.nl, first.q
    X1 = np.asarray(first.X, dtype=float)
    s1_vals = None
    if not (k1 == 1 and np.all(X1 == 1.0)):
        s1_vals = np.column_stack([X1[:, a] * X1[:, b] for a in range(k1) for b in range(a + 1)])
    Zt = terms.Z().T.tocsr()
    if not rest:
        B21 = sp.csr_matrix((0, q1))
        return GLMMStructure(first.codes, s1_vals, None, None, B21, False, None, None, Zt, None,
                             factor_plan(terms, terms, None, B21), k1, nl1, 0, _zterms(terms))
    cols2, vals2, off = [], [], 0
    for t in rest:  # Z2's column and value for each of the row's K2 entries
        for b in range(t.k):
            cols2.append(off + t.codes * t.k + b)
            vals2.append(np.asarray(t.X[:, b], dtype=float))
        off += t.q
    q2 = off
    C2 = np.column_stack(cols2).astype(np.int64)          # (n, K2)
    V2 = np.column_stack(vals2)
    K2 = C2.shape[1]
    C1 = first.codes[:, None].astype(np.int64) * k1 + np.arange(k1)[None, :]  # (n, k1)
    flat = (C2[:, None, :] * q1 + C1[:, :, None]).reshape(n, -1)   # (n, k1 * K2)
    b21_vals = (X1[:, :, None] * V2[:, None, :]).reshape(n, -1)  # (n, k1 K2)
    uniq, inv = np.unique(flat.ravel(), return_inverse=True)
    B21 = sp.csr_matrix((np.ones(uniq.size), (uniq // q1, uniq % q1)), shape=(q2, q1))
    B21.sort_indices()  # csr of sorted unique (row, col) keeps uniq's order
    dense = q2 * q2 * q1 <= DENSE_B21_LIMIT
    m22_index = (C2[:, :, None] * q2 + C2[:, None, :]).ravel()
    m22_vals = (V2[:, :, None] * V2[:, None, :]).reshape(n, -1)
    pairs = None if dense else _pair_structure(B21, nl1, k1)
    plan = factor_plan(terms, terms, None, B21.toarray() if dense else B21)
    return GLMMStructure(first.codes, s1_vals, flat.ravel() if dense else inv.ravel(),
                         _unless_ones(b21_vals), B21, dense, m22_index, _unless_ones(m22_vals),
                         Zt, pairs, plan,
                         k1, nl1, q2, _zterms(terms))


def _unless_ones(V: np.ndarray) -> np.ndarray | None:
    """The (n, K) row values, or None when they are all 1 (intercepts only)."""
    return None if bool(np.all(V == 1.0)) else V


def _pair_structure(B21: sp.csr_matrix, nl1: int, k1: int, limit: int = 10_000_000) -> Any:
    """The symbolic form of ``B21 diag(D_l) B21'`` that :func:`aurora.engine.lmm_factor.
    factorize` reads (``LMMProblem.pairs``: ``(rows, P)``), found once; each step only
    fills ``P``'s values from ``B21``'s (see ``lmm_problem._pair_matrix``)."""
    q2 = B21.shape[0]
    Bc = sp.csr_matrix((np.arange(1, B21.nnz + 1, dtype=float), B21.indices, B21.indptr),
                       shape=B21.shape).tocsc()
    Bc.sort_indices()
    csc_order = Bc.data.astype(np.int64) - 1     # csc position -> csr position
    entries = _pair_entries(Bc, k1, limit)
    if entries is None:
        return None
    e1, e2, i, lev, a = entries
    rows, inv = np.unique(i[e1] * q2 + i[e2], return_inverse=True)
    cols = lev[e1].astype(np.int64) * k1 * k1 + a[e1] * k1 + a[e2]
    P0 = sp.csr_matrix((np.arange(1, e1.size + 1, dtype=float), (inv.ravel(), cols)),
                       shape=(rows.size, nl1 * k1 * k1))
    order = P0.data.astype(np.int64) - 1
    return rows, P0, csc_order[e1[order]], csc_order[e2[order]]


def _first_blocks(st: GLMMStructure, w: np.ndarray) -> np.ndarray:
    """``S1`` (nl1, k1, k1) at the weights ``w``."""
    k1, nl1 = st.k1, st.nl1
    if st.s1_vals is None:
        return np.bincount(st.s1_codes, weights=w, minlength=nl1).reshape(nl1, 1, 1)
    S1 = np.empty((nl1, k1, k1))
    j = 0
    for a in range(k1):
        for b in range(a + 1):
            s = np.bincount(st.s1_codes, weights=w * st.s1_vals[:, j], minlength=nl1)
            S1[:, a, b] = s
            S1[:, b, a] = s
            j += 1
    return S1


def _times_w(w: np.ndarray, K: int, V: np.ndarray | None) -> np.ndarray:
    """``w`` times the (n, K) row values, raveled (``V`` None: all ones)."""
    if V is None:
        return w if K == 1 else np.repeat(w, K)
    return (w[:, None] * V).ravel()


def weighted_problem(m: Any, w: np.ndarray, z: np.ndarray, with_x: bool) -> LMMProblem:
    """The :class:`~aurora.engine.lmm.LMMProblem` of the working weights ``w`` and the
    working response ``z`` (with the fixed effects, or ``u`` only) of the GLMM ``m``."""
    st = m.struct
    S1 = _first_blocks(st, w)
    if with_x and m.p:
        Xy = np.column_stack([m.X, z])
        WXy = Xy * w[:, None]
        ZtWXy = st.Zt @ WXy
        XyWXy = Xy.T @ WXy
        X = m.X
    else:
        wz = w * z
        ZtWXy = (st.Zt @ wz)[:, None]
        XyWXy = np.array([[float(z @ wz)]])
        X = np.zeros((m.n, 0))
    pairs = None
    if st.q2:
        q2 = st.q2
        K = st.b21_index.size // m.n
        wb = _times_w(w, K, st.b21_vals)
        if st.dense:
            q1 = st.B21.shape[1]
            B21 = np.bincount(st.b21_index, weights=wb, minlength=q2 * q1).reshape(q2, q1)
        else:
            data = np.bincount(st.b21_index, weights=wb, minlength=st.B21.nnz)
            B21 = sp.csr_matrix((data, st.B21.indices, st.B21.indptr), shape=st.B21.shape)
            if st.pairs is not None:
                rows, P0, p1, p2 = st.pairs
                pairs = (rows, sp.csr_matrix((data[p1] * data[p2], P0.indices, P0.indptr),
                                             shape=P0.shape))
        K = st.m22_index.size // m.n
        wm = _times_w(w, K, st.m22_vals)
        M22 = np.bincount(st.m22_index, weights=wm, minlength=q2 * q2).reshape(q2, q2)
    else:
        B21, M22 = st.B21, np.zeros((0, 0))
    return LMMProblem(X, z, w, m.terms, S1, B21, M22, ZtWXy, XyWXy, 0.0, None, pairs,
                      np.zeros(X.shape[1]), plan=st.plan)
