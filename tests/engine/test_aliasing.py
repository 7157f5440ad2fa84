"""Aliased columns in column order (R's dqrdc2 rule), dense and through the block structure."""
from __future__ import annotations

import numpy as np
import pytest

from aurora.engine.block_design import BlockDesign, CodedBlock
from aurora.engine.linalg import detect_aliased, skip_cholesky


def _sequential(A: np.ndarray, tol: float = 1e-13) -> list[bool]:
    """The rule written out column by column: residual of column j on the kept columns to
    its left (a textbook Gram-Schmidt on the cross-product), relative to its norm."""
    p = A.shape[0]
    kept: list[int] = []
    out = []
    for j in range(p):
        ajj = A[j, j]
        if not ajj > 0:
            out.append(True)
            continue
        if kept:
            K = np.ix_(kept, kept)
            d = ajj - A[kept, j] @ np.linalg.solve(A[K], A[kept, j])
        else:
            d = ajj
        out.append(bool(d <= tol * ajj))
        if not out[-1]:
            kept.append(j)
    return out


def _rank_deficient(rng, n: int, p: int, copies: list[tuple[int, list[int]]]) -> np.ndarray:
    X = rng.normal(size=(n, p)) * rng.uniform(0.01, 100, p)
    for j, sources in copies:
        X[:, j] = X[:, sources] @ rng.normal(size=len(sources))
    return X


@pytest.mark.parametrize("p, copies", [
    (5, [(3, [0, 1])]),
    (8, [(0, [])]),  # an all-zero column
    (40, [(10, [2, 5]), (11, [10, 3]), (39, [0, 38])]),
    (150, [(70, [3, 65]), (71, [70]), (149, list(range(100, 110)))]),  # across panels
])
def test_skip_cholesky_matches_the_sequential_rule(p, copies):
    rng = np.random.default_rng(p)
    X = _rank_deficient(rng, 3 * p, p, copies)
    A = X.T @ X
    aliased, L = skip_cholesky(A)
    assert aliased.tolist() == _sequential(A)
    assert aliased[[j for j, _ in copies]].all()
    kept = ~aliased
    np.testing.assert_allclose(L @ L.T, A[np.ix_(kept, kept)], rtol=1e-10,
                               atol=1e-10 * np.abs(A).max())


def test_detect_aliased_keeps_the_first_of_two_equal_columns():
    rng = np.random.default_rng(4)
    x = rng.normal(size=20)
    X = np.column_stack([np.ones(20), x, 2 * x, rng.normal(size=20)])
    assert detect_aliased(X.T @ X).tolist() == [False, False, True, False]


def _block_design(rng, n, n_levels, extra_dense=(), factor_first=False, second=None):
    """Intercept, x (+ extra dense columns) and a coded factor, in R's column order."""
    codes = rng.integers(0, n_levels, n)
    x = rng.normal(size=n)
    dense = [np.ones(n), x] + [f(codes, x) for f in extra_dense]
    k = len(dense)
    L = n_levels - 1
    if factor_first:  # y ~ f + x + ...: intercept, levels, the rest
        dense_cols = [0] + list(range(1 + L, k + L))
        lc = np.r_[-1, np.arange(1, 1 + L)]
    else:
        dense_cols = list(range(k))
        lc = np.r_[-1, np.arange(k, k + L)]
    blocks = [CodedBlock(codes, lc)]
    p = k + L
    if second is not None:
        codes2 = second(codes, rng)
        L2 = int(codes2.max())
        blocks.append(CodedBlock(codes2, np.r_[-1, np.arange(p, p + L2)]))
        p += L2
    return BlockDesign(np.column_stack(dense), dense_cols, blocks, p)


CASES = {
    "plain": dict(n_levels=30),
    "x within levels": dict(n_levels=12, extra_dense=[lambda c, x: c.astype(float) ** 2]),
    "factor first": dict(n_levels=12, factor_first=True,
                         extra_dense=[lambda c, x: np.sin(c.astype(float))]),
    "x copy after": dict(n_levels=10, extra_dense=[lambda c, x: 3 * x]),
    "two factors": dict(n_levels=15, second=lambda c, rng: rng.integers(0, 6, c.size)),
    "nested second": dict(n_levels=15, second=lambda c, rng: c // 3),
    "many levels": dict(n_levels=700),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_arrow_gram_aliasing_equals_dense(case):
    rng = np.random.default_rng(len(case))
    d = _block_design(rng, 2000, **CASES[case])
    w = rng.uniform(0.2, 3.0, d.shape[0])
    gram, _ = d.gram(w)
    dense = d.to_dense()
    A = dense.T @ (w[:, None] * dense)
    np.testing.assert_allclose(gram.to_dense(), A, rtol=1e-12, atol=1e-12)
    assert gram.detect_aliased().tolist() == detect_aliased(A).tolist() == _sequential(A)


def test_arrow_aliasing_follows_column_order():
    """x constant within the levels: R keeps x and drops the last level (y ~ x + f), or
    keeps every level and drops x (y ~ f + x)."""
    rng = np.random.default_rng(7)
    d = _block_design(rng, 500, 8, extra_dense=[lambda c, x: c.astype(float) ** 2])
    al = d.gram(np.ones(500))[0].detect_aliased()
    assert np.flatnonzero(al).tolist() == [d.shape[1] - 1]
    d = _block_design(rng, 500, 8, factor_first=True,
                      extra_dense=[lambda c, x: c.astype(float) ** 2])
    al = d.gram(np.ones(500))[0].detect_aliased()
    assert np.flatnonzero(al).tolist() == [d.shape[1] - 1]  # the x^2 column, now last
    assert d.dense_columns[-1] == d.shape[1] - 1


def test_arrow_aliasing_empty_and_zero_weight_levels():
    rng = np.random.default_rng(8)
    n = 300
    codes = rng.integers(0, 9, n)
    codes[codes == 4] = 5  # level 4 unused
    w = rng.uniform(0.5, 2, n)
    w[codes == 7] = 0.0  # level 7 weightless
    d = BlockDesign(np.column_stack([np.ones(n), rng.normal(size=n)]), [0, 1],
                    [CodedBlock(codes, np.r_[-1, np.arange(2, 10)])], 10)
    al = d.gram(w)[0].detect_aliased()
    assert np.flatnonzero(al).tolist() == [5, 8]  # the columns of levels 4 and 7


def test_arrow_factor_solves_and_inverts():
    rng = np.random.default_rng(9)
    d = _block_design(rng, 3000, 40, factor_first=True,
                      extra_dense=[lambda c, x: rng.normal(size=c.size)],
                      second=lambda c, rng: rng.integers(0, 4, c.size))
    w = rng.uniform(0.2, 3.0, d.shape[0])
    gram, _ = d.gram(w)
    A = gram.to_dense()
    f = gram.factorize()
    b = rng.normal(size=A.shape[0])
    np.testing.assert_allclose(f.solve(b), np.linalg.solve(A, b), rtol=1e-9, atol=1e-12)
    inv = np.linalg.inv(A)
    np.testing.assert_allclose(f.inverse(), inv, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(f.inverse_diag(), np.diag(inv), rtol=1e-9)
    sub = np.arange(0, A.shape[0], 2)
    np.testing.assert_allclose(gram.take(sub).to_dense(), A[np.ix_(sub, sub)])
