"""The symbolic part of a mixed model's blocked factorisation, found once per problem.

:func:`aurora.engine.lmm_factor.factorize` runs at every criterion evaluation (and, for a
GLMM, at every PIRLS step with new weights). What does not change between those calls is
found here once: where each term's ``theta`` elements go in its ``T_i`` (both orders of
the terms), and how ``L21 = Lambda_2' B21 Lambda_1 L11^{-T}`` is filled from ``B21``:

* ``"none"``: one grouped term (``q2 = 0``);
* ``"dense"``: ``B21`` is held as a dense ``q2 x q1`` array (a GLMM's small crossed
  factor, VerbAgg's 24 items x 316 subjects): ``L21`` and the Schur complement are dense
  products;
* ``"scalar"``: every ``T_i`` is ``1 x 1``: ``L21`` is ``B21`` with its entries rescaled;
* ``"block"``: otherwise: each entry of ``L21`` (the pattern of ``B21`` closed over the
  ``k x k`` blocks) is a sum of products ``T_j[b, b'] B21[r, c] (T_1 L_l^{-T})[a, a']``,
  whose index triples are stored, so a fill is one ``bincount``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from aurora.compile.re_terms import term_theta_layout

__all__ = ["FactorPlan", "factor_plan"]


@dataclass(frozen=True)
class _Layout:
    k: int
    nl: int
    th0: int
    th1: int
    rows: np.ndarray
    cols: np.ndarray
    identity: bool

    def block(self, th: np.ndarray) -> np.ndarray:
        if self.k == 1:
            return np.full((1, 1), th[self.th0])
        if self.identity:
            return th[self.th0] * np.eye(self.k)
        T = np.zeros((self.k, self.k))
        T[self.rows, self.cols] = th[self.th0:self.th1]
        return T


@dataclass(frozen=True)
class FactorPlan:
    """Symbolic data of the factorisation (see the module docstring).

    Attributes
    ----------
    layouts : tuple
        Per engine term: ``k``, ``nl``, its slice of the engine's theta and where the
        elements go in ``T``.
    lme4_terms : tuple of (int, bool)
        Per lme4 term: its engine index, and whether it is a dense term factored as one
        level (its lme4 ``T`` is the ``1 x 1`` corner of the engine's).
    theta_perm : ndarray or None
    mode : str
        ``"none"``, ``"dense"``, ``"scalar"`` or ``"block"``.
    rep2 : ndarray or None
        Scalar terms after the first: the term (engine index - 1) of each of the ``q2``
        random effects, so ``diag(Lambda_2) = t2[rep2]``.
    B21_rows : ndarray or None
        Row of each stored entry of ``B21`` (``"scalar"``).
    pattern : tuple or None
        ``"block"``: ``(indices, indptr, shape)`` of ``L21`` and the index arrays
        ``(out, t, e, r)`` of the products.
    """

    layouts: tuple
    lme4_terms: tuple
    theta_perm: np.ndarray | None = field(repr=False)
    mode: str
    rep2: np.ndarray | None = field(repr=False, default=None)
    B21_rows: np.ndarray | None = field(repr=False, default=None)
    pattern: Any = field(repr=False, default=None)

    @property
    def k1(self) -> int:
        return self.layouts[0].k

    @property
    def nl1(self) -> int:
        return self.layouts[0].nl

    @property
    def q1(self) -> int:
        return self.layouts[0].k * self.layouts[0].nl

    @property
    def q2(self) -> int:
        return sum(lay.k * lay.nl for lay in self.layouts[1:])

    @property
    def scalar2(self) -> bool:
        return self.rep2 is not None

    def blocks(self, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``T_i`` of each term in the engine's order and in lme4's."""
        th = theta if self.theta_perm is None else theta[self.theta_perm]
        eb = [lay.block(th) for lay in self.layouts]
        if self.theta_perm is None and len(self.lme4_terms) == len(eb) and not any(
                conv for _, conv in self.lme4_terms):
            return eb, eb
        lb = [eb[e][:1, :1].copy() if conv else eb[e] for e, conv in self.lme4_terms]
        return eb, lb

    def d2(self, eblocks: list[np.ndarray]) -> np.ndarray:
        """``diag(Lambda_2)`` (scalar terms after the first)."""
        t2 = np.array([T[0, 0] for T in eblocks[1:]])
        return t2[self.rep2]

    def fill_l21(self, B21: Any, eblocks: list[np.ndarray], Rt: np.ndarray) -> sp.csr_matrix:
        """``Lambda_2' B21 blockdiag(Rt_l)`` on the stored pattern (``"block"``), with
        ``Rt`` of shape ``(nl1, k1, k1)``."""
        (indices, indptr, shape), (out, t, e, r) = self.pattern
        tcat = np.concatenate([T.ravel() for T in eblocks[1:]])
        vals = tcat[t] * B21.data[e] * Rt.ravel()[r]
        data = np.bincount(out, weights=vals, minlength=indices.size)
        return sp.csr_matrix((data, indices, indptr), shape=shape)


def factor_plan(terms: Any, eterms: Any, theta_perm: np.ndarray | None, B21: Any) -> FactorPlan:
    """Build the :class:`FactorPlan` of a problem (``B21``: its pattern, csr or dense).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3), "x": np.arange(12.0)})
    >>> rt = build_random_terms(parse("y ~ (1 + x | g)").random_effects, df)
    >>> plan = factor_plan(rt, rt, None, sp.csr_matrix((0, 8)))
    >>> plan.mode, plan.blocks(np.array([1.0, 0.5, 2.0]))[0][0].tolist()
    ('none', [[1.0, 0.0], [0.5, 2.0]])
    """
    ets = eterms.terms
    layouts, off = [], 0
    for t in ets:
        cov = t.spec.covariance
        r, c = term_theta_layout(t.k, cov)
        nth = 1 if cov == "identity" else r.size
        layouts.append(_Layout(t.k, t.nl, off, off + nth, r, c, cov == "identity"))
        off += nth
    lme4_terms = []
    used: set[int] = set()
    for t in terms.terms:
        e = next((j for j, et in enumerate(ets) if j not in used and et is t), None)
        conv = False
        if e is None:  # a dense term turned into one level of r columns (engine_terms)
            e = next(j for j, et in enumerate(ets) if j not in used and t.dense
                     and getattr(t, "Zd", None) is et.X)
            conv = ets[e].k != t.k
        used.add(e)
        lme4_terms.append((e, conv))
    rep2 = None
    if all(t.k == 1 for t in ets[1:]):
        rep2 = np.repeat(np.arange(len(ets) - 1), [t.nl for t in ets[1:]])
    q2 = sum(t.q for t in ets[1:])
    if q2 == 0:
        return FactorPlan(tuple(layouts), tuple(lme4_terms), theta_perm, "none", rep2)
    if isinstance(B21, np.ndarray):
        return FactorPlan(tuple(layouts), tuple(lme4_terms), theta_perm, "dense", rep2)
    rows = np.repeat(np.arange(B21.shape[0]), np.diff(B21.indptr))
    if ets[0].k == 1 and rep2 is not None:
        return FactorPlan(tuple(layouts), tuple(lme4_terms), theta_perm, "scalar", rep2, rows)
    return FactorPlan(tuple(layouts), tuple(lme4_terms), theta_perm, "block", rep2, rows,
                      _block_pattern(ets, B21, rows))


def _block_pattern(ets: tuple, B21: sp.csr_matrix, rows: np.ndarray) -> tuple:
    """Pattern of ``L21`` and the index triples of its products (``"block"`` mode)."""
    k1 = ets[0].k
    q1 = ets[0].q
    # term, first row and k of every row of B21 (engine terms after the first)
    ks = np.array([t.k for t in ets[1:]])
    qs = np.array([t.q for t in ets[1:]])
    starts = np.concatenate([[0], np.cumsum(qs)[:-1]])
    tstarts = np.concatenate([[0], np.cumsum(ks * ks)[:-1]])
    term_of_row = np.repeat(np.arange(ks.size), qs)
    kr = ks[term_of_row]
    b = (np.arange(int(qs.sum())) - starts[term_of_row]) % kr
    cols = B21.indices.astype(np.int64)
    rr = rows.astype(np.int64)
    e_all, t_all, r_all, out_r, out_c = [], [], [], [], []
    lev, a = cols // k1, cols % k1
    br, kk = b[rr], kr[rr]
    base_t = tstarts[term_of_row[rr]]
    for bp in range(int(ks.max())):
        ok = bp <= br  # T_j[b, b'] is zero above the diagonal (b' > b)
        for ap in range(k1):
            e = np.flatnonzero(ok)
            e_all.append(e)
            t_all.append(base_t[e] + br[e] * kk[e] + bp)
            r_all.append(lev[e] * k1 * k1 + a[e] * k1 + ap)
            out_r.append(rr[e] - br[e] + bp)
            out_c.append(lev[e] * k1 + ap)
    e_idx, t_idx, r_idx = (np.concatenate(v) for v in (e_all, t_all, r_all))
    key = np.concatenate(out_r) * q1 + np.concatenate(out_c)
    uniq, out = np.unique(key, return_inverse=True)
    orow, ocol = uniq // q1, uniq % q1
    indptr = np.concatenate([[0], np.cumsum(np.bincount(orow, minlength=B21.shape[0]))])
    itype = np.int32 if uniq.size < 2 ** 31 else np.int64
    return ((ocol.astype(itype), indptr.astype(itype), B21.shape),
            (out.ravel(), t_idx, e_idx, r_idx))
