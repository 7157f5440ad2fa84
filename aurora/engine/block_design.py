"""A design of dense columns plus factor-coded blocks (level codes, no dummy matrix).

A factor with L levels enters the model as L - 1 treatment-contrast columns, almost all
zeros. Stored as one integer code per row, its contributions to X'WX are a diagonal
(``bincount`` of the weights), its cross-products with the dense columns are per-level sums,
and ``X beta`` is an indexed lookup: work proportional to n, not n * L. This is how
MixedModels.jl stores random-effect terms and glum/tabmat categorical columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from aurora.backends import get_backend
from aurora.engine.design import _numpy_normal_equations, as_contiguous, gemv, gemv_t

__all__ = ["CodedBlock", "BlockDesign"]


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
            sums = np.bincount(b.codes, weights=v, minlength=b.n_levels)
            has = b.level_columns >= 0
            out[b.level_columns[has]] = sums[has]
        return out

    def sandwich(self, w: Any) -> np.ndarray:
        return self.weighted_normal_equations(w, None)[0]

    def weighted_normal_equations(self, w: Any, z: Any) -> tuple[np.ndarray, np.ndarray | None]:
        w = np.asarray(w, dtype=np.float64)
        p = self.shape[1]
        A = np.zeros((p, p))
        b = None if z is None else np.zeros(p)
        dc = self.dense_columns
        if dc.size:
            Ad, bd = _numpy_normal_equations(self.dense, w, None if z is None else np.asarray(z))
            A[np.ix_(dc, dc)] = Ad
            if b is not None:
                b[dc] = bd
        wz = None if z is None else w * np.asarray(z, dtype=np.float64)
        for i, blk in enumerate(self.blocks):
            has = blk.level_columns >= 0
            cols = blk.level_columns[has]
            A[cols, cols] = np.bincount(blk.codes, weights=w, minlength=blk.n_levels)[has]
            if b is not None:
                b[cols] = np.bincount(blk.codes, weights=wz, minlength=blk.n_levels)[has]
            for j, col in enumerate(dc):
                cross = np.bincount(blk.codes, weights=w * self.dense[:, j],
                                    minlength=blk.n_levels)[has]
                A[cols, col] = cross
                A[col, cols] = cross
            for other in self.blocks[:i]:
                ohas = other.level_columns >= 0
                joint = blk.codes.astype(np.int64) * other.n_levels + other.codes
                tab = np.bincount(joint, weights=w, minlength=blk.n_levels * other.n_levels)
                tab = tab.reshape(blk.n_levels, other.n_levels)[np.ix_(has, ohas)]
                A[np.ix_(cols, other.level_columns[ohas])] = tab
                A[np.ix_(other.level_columns[ohas], cols)] = tab.T
        return A, b

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
