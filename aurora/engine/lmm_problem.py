"""The data of a linear mixed model's penalised least-squares problem, taken once per fit.

See :mod:`aurora.engine.lmm` for the formulation. The factorisation is blocked as
MixedModels.jl blocks it: one grouped term (the one with most random effects) comes first
and its block ``Lambda_1'Z_1'WZ_1 Lambda_1 + I`` is block diagonal (one ``k x k`` block
per level); every other term (other grouped terms and dense ones, such as a GAMM's
smooths) forms the dense block ``L22``. The engine therefore works on its own order of
the terms (``LMMProblem.eterms``); ``theta`` and the random effects are given and
returned in lme4's order (``LMMProblem.terms``). A model with dense terms only factors
one of them as a single ``r x r`` "level" of an ``identity``-covariance term.

All the products with the data are taken here: per-level blocks ``S1`` of ``Z_1'WZ_1``,
the sparse ``B21 = Z_2'WZ_1``, the dense ``M22 = Z_2'WZ_2``, ``Z'W[X y]`` and
``[X y]'W[X y]``, plus the symbolic form of ``B21 D B21'`` for diagonal-block ``D``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from aurora.engine.lmm_blocks import soa
from aurora.engine.lmm_plan import factor_plan

__all__ = ["LMMProblem", "lmm_problem", "engine_terms", "lambda_t_times", "times_lambda",
           "z_times", "problem_plan"]


@dataclass(frozen=True)
class LMMProblem:
    """Frozen data of a linear mixed model: theta-independent cross-products.

    Attributes
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Response minus the offset and minus ``X beta0``.
    w : ndarray, shape (n,)
        Prior weights.
    terms : RandomTerms
        In lme4's order (the order of ``theta`` and of the random effects).
    S1 : ndarray, shape (nl1, k1, k1)
        Per-level blocks of ``Z_1'WZ_1`` (``Z_1``: the engine's first term).
    B21 : sparse matrix, shape (q2, q1)
        ``Z_2'WZ_1`` (``Z_2``: the other terms, in engine order).
    M22 : ndarray, shape (q2, q2)
        ``Z_2'WZ_2``.
    ZtWXy : ndarray, shape (q, p + 1)
        ``Z'W[X y]``, rows in engine order.
    XyWXy : ndarray, shape (p + 1, p + 1)
        ``[X y]'W[X y]``.
    ldW : float
        ``sum(log w)``.
    B21_rows : ndarray
        Row of each stored entry of ``B21``.
    pairs : tuple or None
        Symbolic form of ``B21 D B21'`` (see :func:`_pair_matrix`).
    beta0 : ndarray, shape (p,)
        Weighted least-squares coefficients taken out of ``y``.
    eterms : RandomTerms
        The terms in engine order (first: the block-diagonal one).
    theta_perm, u_perm : ndarray or None
        ``theta_engine = theta[theta_perm]`` and ``u = u_engine[u_perm]`` (None when the
        two orders agree).
    plan : FactorPlan or None
        The symbolic part of the factorisation (:mod:`aurora.engine.lmm_plan`); found on
        first use when not given.
    S1_soa : ndarray, shape (k1, k1, nl1)
        ``S1`` with the levels last (set on construction).
    """

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    w: np.ndarray = field(repr=False)
    terms: Any = field(repr=False)
    S1: np.ndarray = field(repr=False)
    B21: Any = field(repr=False)
    M22: np.ndarray = field(repr=False)
    ZtWXy: np.ndarray = field(repr=False)
    XyWXy: np.ndarray = field(repr=False)
    ldW: float = 0.0
    B21_rows: np.ndarray = field(default=None, repr=False)
    pairs: Any = field(default=None, repr=False)
    beta0: np.ndarray = field(default=None, repr=False)
    eterms: Any = field(default=None, repr=False)
    theta_perm: np.ndarray | None = field(default=None, repr=False)
    u_perm: np.ndarray | None = field(default=None, repr=False)
    plan: Any = field(default=None, repr=False, compare=False)
    S1_soa: np.ndarray = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.eterms is None:  # built by hand in lme4's order: the engine keeps it
            object.__setattr__(self, "eterms", self.terms)
        S1 = np.asarray(self.S1, dtype=float)
        nl, k = S1.shape[0], S1.shape[1]
        object.__setattr__(self, "S1_soa", S1.reshape(1, 1, nl) if k == 1 else soa(S1))

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def q1(self) -> int:
        return self.eterms.terms[0].q

    @property
    def q2(self) -> int:
        return self.eterms.q - self.q1

    def engine_theta(self, theta: np.ndarray) -> np.ndarray:
        """``theta`` (lme4's order) in the engine's order."""
        return theta if self.theta_perm is None else theta[self.theta_perm]

    def lme4_u(self, u_engine: np.ndarray) -> np.ndarray:
        """Random effects in engine order back in lme4's order."""
        return u_engine if self.u_perm is None else u_engine[self.u_perm]


def engine_terms(terms: Any) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    """The terms in the engine's order, with the permutations of theta and of ``u``.

    The first is the grouped term with the most random effects (the earliest of equals),
    then the others in lme4's order. Without grouped terms, the widest dense term is
    turned into one level of ``r`` columns with ``T = theta I`` (the same ``Lambda``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3), "h": list("xyz") * 4})
    >>> rt = build_random_terms(parse("y ~ (1 | g) + (1 | h)").random_effects, df)
    >>> et, tp, up = engine_terms(rt)
    >>> [t.spec.group_name for t in et.terms], tp is None
    (['g', 'h'], True)
    """
    from aurora.compile.re_terms import RandomTerms, ReTerm

    ts = terms.terms
    m = len(ts)
    grouped = [i for i, t in enumerate(ts) if not t.dense]
    pool = grouped if grouped else list(range(m))
    first = max(pool, key=lambda i: (ts[i].q, -i))
    order = [first] + [i for i in range(m) if i != first]
    ets = [ts[i] for i in order]
    if ts[first].dense:
        t = ts[first]
        spec = dataclasses.replace(t.spec, levels=("1",),
                                   column_names=tuple(str(j + 1) for j in range(t.q)),
                                   covariance="identity")
        ets[0] = ReTerm(spec, np.zeros(t.Zd.shape[0], dtype=np.intp), t.Zd)
    if order == list(range(m)) and not ts[first].dense:
        return terms, None, None
    toff, boff = terms.theta_offsets, terms.b_offsets
    theta_perm = np.concatenate([np.arange(toff[i], toff[i + 1]) for i in order])
    u_engine_of = np.concatenate([np.arange(boff[i], boff[i + 1]) for i in order])
    u_perm = np.empty_like(u_engine_of)
    u_perm[u_engine_of] = np.arange(u_engine_of.size)
    return RandomTerms(tuple(ets), terms.formula_order), theta_perm, u_perm


def lmm_problem(X: np.ndarray, y: np.ndarray, terms: Any, weights: np.ndarray | None = None,
                offset: np.ndarray | None = None) -> LMMProblem:
    """Take the cross-products of a linear mixed model with its data (once per fit).

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Fixed-effects model matrix.
    y : ndarray, shape (n,)
    terms : RandomTerms
        Compiled random-effect terms (:func:`aurora.compile.random_terms.build_random_terms`).
    weights, offset : ndarray, shape (n,), optional

    Returns
    -------
    LMMProblem

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3)})
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, df)
    >>> pr = lmm_problem(np.ones((12, 1)), np.arange(12.), rt)
    >>> pr.S1[:, 0, 0].tolist()
    [3.0, 3.0, 3.0, 3.0]
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    y = np.asarray(y, dtype=float) - (0.0 if offset is None else np.asarray(offset, float))
    # shift y by its weighted least-squares fit on X: beta moves by beta0, nothing else
    # changes, and pwrss taken from the factor loses no digits to cancellation
    beta0 = np.zeros(X.shape[1])
    if X.shape[1]:
        sw = np.sqrt(w)
        beta0 = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
        y = y - X @ beta0
    Xy = np.column_stack([X, y])
    WXy = Xy * w[:, None]
    eterms, theta_perm, u_perm = engine_terms(terms)
    first = eterms.terms[0]
    S1 = _first_blocks(first, w)
    Zt = eterms.Z().T.tocsr()
    ZtWXy = np.asarray(Zt @ WXy)
    q1 = first.q
    if len(eterms.terms) > 1:
        Z1 = first.Z()
        Z2 = sp.hstack([t.Z() for t in eterms.terms[1:]], format="csc")
        B21 = (Z2.T @ (sp.diags(w) @ Z1)).tocsr()
        M22 = np.asarray((Z2.T @ (sp.diags(w) @ Z2)).toarray())
    else:
        B21 = sp.csr_matrix((0, q1))
        M22 = np.zeros((0, 0))
    B21.sum_duplicates()
    B21.sort_indices()
    rows = np.repeat(np.arange(B21.shape[0]), np.diff(B21.indptr))
    with np.errstate(divide="ignore"):
        ldW = float(np.sum(np.log(w)))
    return LMMProblem(X, y, w, terms, S1, B21, M22, ZtWXy, Xy.T @ WXy, ldW, rows,
                      _pair_matrix(B21, first.nl, first.k), beta0, eterms, theta_perm, u_perm,
                      factor_plan(terms, eterms, theta_perm, B21))


def problem_plan(pr: LMMProblem) -> Any:
    """The problem's :class:`~aurora.engine.lmm_plan.FactorPlan` (built and kept on first
    use when the problem was made without one)."""
    if pr.plan is None:
        object.__setattr__(pr, "plan", factor_plan(pr.terms, pr.eterms, pr.theta_perm, pr.B21))
    return pr.plan


def _first_blocks(first: Any, w: np.ndarray) -> np.ndarray:
    """Per-level blocks ``X_l'W_l X_l`` of the first term, shape (nl, k, k)."""
    k1 = first.k
    if first.nl == 1:
        return (first.X.T @ (first.X * w[:, None]))[None]
    S1 = np.empty((first.nl, k1, k1))
    for a in range(k1):
        for b in range(a + 1):
            s = np.bincount(first.codes, weights=w * first.X[:, a] * first.X[:, b],
                            minlength=first.nl)
            S1[:, a, b] = s
            S1[:, b, a] = s
    return S1


def _pair_entries(B: sp.csc_matrix, k1: int, limit: int) -> Any:
    """The pairs of stored entries of a column-sorted CSC ``B`` that meet in
    ``B diag(M_l) B'`` (same level ``l`` of ``k1`` columns), lower triangle only:
    ``(e1, e2, i, lev, a)`` with ``e1``/``e2`` the entry positions, ``i`` the entries'
    rows and ``lev``/``a`` their columns' level and index within it; None when there
    would be more than about ``limit`` pairs."""
    lev_ptr = B.indptr[::k1]
    counts = np.diff(lev_ptr)
    if int(np.sum(counts.astype(np.int64) ** 2)) > 2 * limit:
        return None
    nnz = B.nnz
    col = np.repeat(np.arange(B.shape[1]), np.diff(B.indptr))
    lev, a = col // k1, col % k1
    reps = counts[lev]
    e1 = np.repeat(np.arange(nnz), reps)
    starts = np.cumsum(reps) - reps
    e2 = lev_ptr[lev[e1]] + (np.arange(e1.size) - np.repeat(starts, reps))
    i = B.indices.astype(np.int64)
    low = i[e1] >= i[e2]
    return e1[low], e2[low], i, lev, a


def _pair_matrix(B21: sp.csr_matrix, nl1: int, k1: int, limit: int = 10_000_000) -> Any:
    """The symbolic part of ``B21 diag(M_l) B21'`` for per-level ``k1 x k1`` blocks
    ``M_l``, done once: ``(rows, P)`` such that the product's lower triangle holds
    ``P @ vec(M)`` at the flat positions ``rows`` (``i * q2 + j``, ``i >= j``).

    ``P``'s column ``l * k1^2 + a * k1 + b`` multiplies ``B21[i, l k1 + a] B21[j, l k1 + b]``.
    None when it would hold more than ``limit`` entries (then the product is formed by
    sparse multiplication each time).
    """
    q2 = B21.shape[0]
    if q2 == 0:
        return None
    B = B21.tocsc()
    B.sort_indices()
    entries = _pair_entries(B, k1, limit)
    if entries is None:
        return None
    e1, e2, i, lev, a = entries
    flat = i[e1] * q2 + i[e2]
    if q2 * q2 <= 64_000_000:  # a lookup table over the q2 x q2 positions: no sort
        seen = np.zeros(q2 * q2, dtype=bool)
        seen[flat] = True
        rows = np.flatnonzero(seen)
        lookup = np.empty(q2 * q2, dtype=np.int64)
        lookup[rows] = np.arange(rows.size)
        inv = lookup[flat]
    else:
        rows, inv = np.unique(flat, return_inverse=True)
    cols = lev[e1].astype(np.int64) * k1 * k1 + a[e1] * k1 + a[e2]
    P = sp.csr_matrix((B.data[e1] * B.data[e2], (inv.ravel(), cols)),
                      shape=(rows.size, nl1 * k1 * k1))
    return rows, P


def lambda_t_times(terms: Any, blocks: list[np.ndarray], M: np.ndarray, start: int = 0) -> np.ndarray:
    """``Lambda' M`` for a dense ``M`` whose rows are the random effects of
    ``terms.terms[start:]`` (term by term, level-major)."""
    out = np.empty_like(M)
    r = 0
    for t, T in zip(terms.terms[start:], blocks[start:]):
        k = t.k
        blk = M[r:r + t.q].reshape(t.nl, k, -1)
        dst = out[r:r + t.q].reshape(t.nl, k, -1)
        if k == 1:
            np.multiply(blk, T[0, 0], out=dst)
        else:  # row a of each level's block: sum_b T[b, a] * row b (T lower: b >= a)
            for a in range(k):
                acc = T[a, a] * blk[:, a]
                for b in range(a + 1, k):
                    if T[b, a] != 0.0:
                        acc += T[b, a] * blk[:, b]
                dst[:, a] = acc
        r += t.q
    return out


def times_lambda(terms: Any, blocks: list[np.ndarray], M: np.ndarray, start: int = 0) -> np.ndarray:
    """``M Lambda`` for a dense ``M`` whose columns are the random effects of
    ``terms.terms[start:]``."""
    out = np.empty_like(M)
    c = 0
    for t, T in zip(terms.terms[start:], blocks[start:]):
        blk = M[:, c:c + t.q]
        if t.k == 1:
            np.multiply(blk, T[0, 0], out=out[:, c:c + t.q])
        else:
            out[:, c:c + t.q] = (blk.reshape(-1, t.k) @ T).reshape(blk.shape) if \
                blk.flags.c_contiguous else np.einsum("mlb,ba->mla", blk.reshape(
                    M.shape[0], t.nl, t.k), T).reshape(-1, t.q)
        c += t.q
    return out


def z_times(terms: Any, b: np.ndarray) -> np.ndarray:
    """``Z b`` from the level codes and per-row matrices (no sparse Z).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": list("abab")}))
    >>> z_times(rt, np.array([1.0, 2.0])).tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    out = np.zeros(terms.terms[0].X.shape[0])
    r = 0
    for t in terms.terms:
        out += t.z_times(b[r:r + t.q])
        r += t.q
    return out
