"""A design of dense columns plus factor-coded blocks (level codes, no dummy matrix).

A factor with L levels enters the model as L - 1 treatment-contrast columns, almost all
zeros. Stored as one integer code per row, its contributions to X'WX are a diagonal
(``bincount`` of the weights), its cross-products with the dense columns are per-level sums,
and ``X beta`` is an indexed lookup: work proportional to n, not n * L. This is how
MixedModels.jl stores random-effect terms and glum/tabmat categorical columns.

X'WX itself is kept in that shape, an *arrow* matrix
(:class:`~aurora.engine.linalg.ArrowGram`): the largest block's diagonal ``D``, the dense
part ``C`` (dense columns and any other blocks) and their cross-products ``B``.
Eliminating the diagonal first (a Schur complement, ``S = C - B' D^{-1} B``) factorises it
in ``O(L q^2 + q^3)`` for ``q`` dense-part columns instead of ``O((L + q)^3)``, and the
leverages follow the same way (:class:`ArrowLeverage`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from aurora.backends import get_backend
from aurora.engine.design import (DenseDesign, DenseLeverage, _numpy_normal_equations,
                                  _row_block, as_contiguous, gemv, gemv_t, matmul)
from aurora.engine.linalg import ArrowGram, DenseGram

__all__ = ["CodedBlock", "BlockDesign", "ArrowLeverage"]


@dataclass(frozen=True)
class CodedBlock:
    """One factor-coded block.

    Attributes
    ----------
    codes : ndarray of int, shape (n,)
        Level of each row, ``0 .. n_levels - 1``.
    level_columns : ndarray of int, shape (n_levels,)
        Model column of each level, ``-1`` for levels without a column (the base level).
    """

    codes: np.ndarray
    level_columns: np.ndarray

    @property
    def n_levels(self) -> int:
        return int(self.level_columns.shape[0])

    @property
    def columns(self) -> np.ndarray:
        """Model columns of the levels that have one, in level order."""
        return self.level_columns[self.level_columns >= 0]

    def level_sums(self, v: np.ndarray) -> np.ndarray:
        """Per-column sums of ``v`` (n,) or (n, k) over the rows of each level with a column."""
        has = self.level_columns >= 0
        if v.ndim == 1:
            return np.bincount(self.codes, weights=v, minlength=self.n_levels)[has]
        out = np.empty((int(has.sum()), v.shape[1]))
        for j in range(v.shape[1]):
            out[:, j] = np.bincount(self.codes, weights=v[:, j], minlength=self.n_levels)[has]
        return out

    def crosstab(self, other: "CodedBlock", w: np.ndarray) -> np.ndarray:
        """Sums of ``w`` over the rows of each (level of self, level of other) pair."""
        joint = self.codes.astype(np.int64) * other.n_levels + other.codes
        tab = np.bincount(joint, weights=w, minlength=self.n_levels * other.n_levels)
        tab = tab.reshape(self.n_levels, other.n_levels)
        return tab[np.ix_(self.level_columns >= 0, other.level_columns >= 0)]


class ArrowLeverage:
    """Leverages of a block design through its arrow structure.

    For a row in level ``l`` of the diagonal block with dense-part row ``r``, let
    ``t = S^{-1} (r - v_l)`` (``v_l`` the level's row of ``V = D^{-1} B``, zero for the base
    level). Then ``(X'WX)^{-1} x = [e_l / d_l - V t; t]`` and the leverage is
    ``w (1 / d_l + (r - v_l)' t)``: ``O(n q^2)``, plus ``O(n p)`` for the rows when asked,
    instead of an (n, p) times (p, p) product. A level seen in a single row has
    ``r = v_l`` and leverage 1 to rounding.

    Attributes
    ----------
    hat : ndarray, shape (n,)
    cov_diag : ndarray, shape (p,)
        The diagonal of ``(X'WX)^{-1}``.
    """

    def __init__(self, design: "BlockDesign", block: CodedBlock, w: np.ndarray) -> None:
        gram = design.gram(w)[0]
        assert isinstance(gram, ArrowGram)
        self._gram = gram
        self._f = f = gram.factorize()
        where = np.full(gram.p, -1, dtype=np.intp)
        where[gram.diag_cols] = np.arange(gram.diag_cols.size)
        lc = block.level_columns
        self._pos = pos = np.where(lc >= 0, where[np.maximum(lc, 0)], -1)[block.codes]
        on = pos >= 0
        Dm = design.columns_dense(gram.dense_cols)
        Dm[on] -= f.V[pos[on]]
        T = f.S.solve(Dm.T).T
        inv_d = np.where(on, f.dinv[np.maximum(pos, 0)], 0.0)
        self.hat = w * (inv_d + np.einsum("ij,ij->i", Dm, T))
        self._sw = np.sqrt(w)
        self._T = T
        self.cov_diag = f.inverse_diag()

    def rows(self, out: np.ndarray, rows: np.ndarray, row_scale: np.ndarray,
             col_scale: np.ndarray) -> None:
        """Write ``row_scale_i * (W^{1/2} X (X'WX)^{-1})_{ij} * col_scale_j`` for the given
        rows into ``out`` (len(rows), p), a block of rows at a time."""
        g, f = self._gram, self._f
        dc = g.diag_cols
        span = slice(int(dc[0]), int(dc[-1]) + 1) if dc[-1] - dc[0] + 1 == dc.size else dc
        negVt = -(f.V * col_scale[dc, None]).T  # (q, L)
        cs_q = col_scale[g.dense_cols]
        diag_term = f.dinv * col_scale[dc]
        step = _row_block(out.shape[1])
        for r0 in range(0, rows.size, step):
            r1 = min(rows.size, r0 + step)
            sel = rows[r0:r1]
            scale = self._sw[sel] * row_scale[r0:r1]
            Ts = self._T[sel] * scale[:, None]
            out[r0:r1, g.dense_cols] = Ts * cs_q[None, :]
            Ab = matmul(Ts, negVt)
            pos = self._pos[sel]
            on = np.flatnonzero(pos >= 0)
            Ab[on, pos[on]] += scale[on] * diag_term[pos[on]]
            out[r0:r1, span] = Ab


class BlockDesign:
    """Dense columns plus factor-coded blocks, answering the design protocol.

    Parameters
    ----------
    dense : ndarray, shape (n, p_dense)
    dense_columns : sequence of int
        Model column of each dense column.
    blocks : sequence of CodedBlock
    n_columns : int
        Total number of model columns.

    Examples
    --------
    >>> import numpy as np
    >>> d = BlockDesign(np.ones((4, 1)), [0], [CodedBlock(np.array([0, 1, 1, 2]),
    ...                                                     np.array([-1, 1, 2]))], 3)
    >>> d.to_dense().tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """

    def __init__(self, dense: np.ndarray, dense_columns: Sequence[int],
                 blocks: Sequence[CodedBlock], n_columns: int) -> None:
        self.backend = get_backend("numpy")
        self.dense = as_contiguous(dense)
        self.dense_columns = np.asarray(dense_columns, dtype=np.intp)
        self.blocks = tuple(blocks)
        self.shape = (int(self.dense.shape[0]), int(n_columns))

    def _extended(self, beta: np.ndarray, block: CodedBlock) -> np.ndarray:
        lc = block.level_columns
        return np.where(lc >= 0, beta[np.maximum(lc, 0)], 0.0)

    def matvec(self, beta: np.ndarray) -> np.ndarray:
        beta = np.asarray(beta, dtype=np.float64)
        eta = gemv(self.dense, beta[self.dense_columns])
        for b in self.blocks:
            eta = eta + self._extended(beta, b)[b.codes]
        return eta

    def rmatvec(self, v: Any) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        out = np.zeros(self.shape[1])
        out[self.dense_columns] = gemv_t(self.dense, v)
        for b in self.blocks:
            out[b.columns] = b.level_sums(v)
        return out

    def sandwich(self, w: Any) -> np.ndarray:
        return self.gram(w)[0].to_dense()

    def weighted_normal_equations(self, w: Any, z: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Dense ``X'WX`` and ``X'Wz`` (the solver itself uses :meth:`gram`)."""
        gram, xtwz = self.gram(w, z)
        return gram.to_dense(), xtwz

    def _diagonal_block(self) -> int | None:
        """The block kept diagonal in the gram: the one with most columns."""
        sizes = [b.columns.size for b in self.blocks]
        if not sizes or max(sizes) == 0:
            return None
        return int(np.argmax(sizes))

    def gram(self, w: Any, z: Any = None) -> tuple[ArrowGram | DenseGram, np.ndarray | None]:
        """``X'WX`` as an :class:`ArrowGram` (a :class:`DenseGram` without blocks) and
        ``X'Wz`` (None without ``z``)."""
        w = np.asarray(w, dtype=np.float64)
        xtwz = None if z is None else self.rmatvec(w * np.asarray(z, dtype=np.float64))
        big = self._diagonal_block()
        others = [b for i, b in enumerate(self.blocks) if i != big]
        k = self.dense_columns.size
        cols = np.concatenate([self.dense_columns] + [b.columns for b in others]).astype(np.intp)
        q = cols.size
        C = np.zeros((q, q))
        if k:
            C[:k, :k] = _numpy_normal_equations(self.dense, w, None)[0]
        Xw = self.dense * w[:, None] if k else None
        offsets = np.cumsum([k] + [b.columns.size for b in others])
        for t, b in enumerate(others):
            s0, s1 = offsets[t], offsets[t] + b.columns.size
            C[np.arange(s0, s1), np.arange(s0, s1)] = b.level_sums(w)
            if k:
                C[s0:s1, :k] = b.level_sums(Xw)
                C[:k, s0:s1] = C[s0:s1, :k].T
            for u, other in enumerate(others[:t]):
                tab = b.crosstab(other, w)
                C[s0:s1, offsets[u]:offsets[u] + other.columns.size] = tab
                C[offsets[u]:offsets[u] + other.columns.size, s0:s1] = tab.T
        order = np.argsort(cols, kind="stable")
        if big is None:
            A = np.zeros((self.shape[1], self.shape[1]))
            A[np.ix_(cols, cols)] = C
            return DenseGram(A), xtwz
        blk = self.blocks[big]
        B = np.zeros((blk.columns.size, q))
        if k:
            B[:, :k] = blk.level_sums(Xw)
        for t, b in enumerate(others):
            B[:, offsets[t]:offsets[t] + b.columns.size] = blk.crosstab(b, w)
        dorder = np.argsort(blk.columns, kind="stable")
        gram = ArrowGram(self.shape[1], blk.columns[dorder], blk.level_sums(w)[dorder],
                         cols[order], B[np.ix_(dorder, order)], C[np.ix_(order, order)])
        return gram, xtwz

    def columns_dense(self, columns: np.ndarray) -> np.ndarray:
        """Some model columns as a dense (n, len(columns)) matrix."""
        columns = np.asarray(columns, dtype=np.intp)
        where = np.full(self.shape[1], -1, dtype=np.intp)
        where[columns] = np.arange(columns.size)
        out = np.zeros((self.shape[0], columns.size))
        j = where[self.dense_columns]
        out[:, j[j >= 0]] = self.dense[:, j >= 0]
        rows = np.arange(self.shape[0])
        for b in self.blocks:
            pos = np.where(b.level_columns >= 0, where[np.maximum(b.level_columns, 0)], -1)[b.codes]
            on = pos >= 0
            out[rows[on], pos[on]] = 1.0
        return out

    def leverage(self, w: Any) -> "ArrowLeverage | DenseLeverage":
        """Leverages and the rows of ``W^{1/2} X (X'WX)^{-1}`` (see :class:`ArrowLeverage`)."""
        w = np.asarray(w, dtype=np.float64)
        big = self._diagonal_block()
        if big is None:
            return DenseDesign(self.to_dense()).leverage(w)
        return ArrowLeverage(self, self.blocks[big], w)

    def subset(self, columns: np.ndarray) -> "BlockDesign":
        """The design restricted to some model columns, renumbered in their order."""
        columns = np.asarray(columns, dtype=np.intp)
        new_index = np.full(self.shape[1], -1, dtype=np.intp)
        new_index[columns] = np.arange(columns.size)
        keep_dense = new_index[self.dense_columns] >= 0
        blocks = [CodedBlock(b.codes, np.where(b.level_columns >= 0,
                                               new_index[np.maximum(b.level_columns, 0)], -1))
                  for b in self.blocks]
        return BlockDesign(self.dense[:, keep_dense], new_index[self.dense_columns][keep_dense],
                           blocks, columns.size)

    def to_dense(self) -> np.ndarray:
        """The full model matrix (n, p)."""
        X = np.zeros(self.shape)
        X[:, self.dense_columns] = self.dense
        rows = np.arange(self.shape[0])
        for b in self.blocks:
            col = b.level_columns[b.codes]
            has = col >= 0
            X[rows[has], col[has]] = 1.0
        return X
