"""Leverages and rows of W^{1/2} X (X'WX)^{-1}: dense (QR) and block (arrow) designs agree
with the textbook formula; the IRLS result forms its covariance only when asked."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aurora
from aurora.engine.block_design import BlockDesign, CodedBlock
from aurora.engine.design import DenseDesign
from aurora.errors import RankDeficiencyWarning


def _textbook(X: np.ndarray, w: np.ndarray):
    Xw = X * np.sqrt(w)[:, None]
    C = np.linalg.inv(Xw.T @ Xw)
    A = Xw @ C
    return np.einsum("ij,ij->i", A, Xw), A, np.diag(C)


def _design(rng, n=400, n_levels=25, factor_first=False):
    codes = rng.integers(0, n_levels, n)
    codes[0] = n_levels  # a level seen in one row only: leverage 1
    g = rng.integers(0, 3, n)
    L = n_levels
    dense = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])
    if factor_first:
        dense_cols, lc = [0, 1 + L, 2 + L], np.r_[-1, np.arange(1, 1 + L)]
    else:
        dense_cols, lc = [0, 1, 2], np.r_[-1, np.arange(3, 3 + L)]
    blocks = [CodedBlock(codes, lc), CodedBlock(g, np.array([-1, 3 + L, 4 + L]))]
    return BlockDesign(dense, dense_cols, blocks, 5 + L)


@pytest.mark.parametrize("factor_first", [False, True])
def test_block_leverage_matches_dense(factor_first):
    rng = np.random.default_rng(11)
    d = _design(rng, factor_first=factor_first)
    w = rng.uniform(0.1, 4, d.shape[0])
    X = d.to_dense()
    hat, A, cdiag = _textbook(X, w)
    for lev in (d.leverage(w), DenseDesign(X).leverage(w)):
        np.testing.assert_allclose(lev.hat, hat, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(lev.cov_diag, cdiag, rtol=1e-9)
        rows = np.arange(5, d.shape[0], 3)
        rs, cs = rng.normal(size=rows.size), rng.uniform(0.5, 2, d.shape[1])
        out = np.full((rows.size, d.shape[1]), np.nan, order="F")
        lev.rows(out, rows, rs, cs)
        np.testing.assert_allclose(out, A[rows] * rs[:, None] * cs[None, :], rtol=1e-8,
                                   atol=1e-12)
        assert abs(lev.hat[0] - 1) < 10 * np.finfo(float).eps


def test_irls_result_forms_covariance_lazily():
    rng = np.random.default_rng(12)
    n, L = 3000, 400
    df = pd.DataFrame({"x": rng.normal(size=n),
                       "f": pd.Categorical(rng.integers(0, L, n).astype(str))})
    df["y"] = rng.poisson(np.exp(0.5 + 0.2 * df["x"])).astype(float)
    m = aurora.glm("y ~ x + f", df, family="poisson", factor_coding="always")
    irls = m.estimates.irls
    assert irls.__dict__.get("_cov_unscaled") is None  # nothing p x p formed by the fit
    diag = irls.cov_unscaled_diag
    assert irls.__dict__.get("_cov_unscaled") is None
    dense = aurora.glm("y ~ x + f", df, family="poisson", factor_coding="never")
    np.testing.assert_allclose(irls.cov_unscaled, dense.estimates.irls.cov_unscaled,
                               rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(diag, np.diag(irls.cov_unscaled), rtol=1e-10)
    np.testing.assert_allclose(irls.xtwx, dense.estimates.irls.xtwx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(m.params, dense.params, rtol=1e-9, atol=1e-12)


def test_large_factor_glm_coded_equals_dense():
    """A 300-level factor with empty, single-row and aliased levels: the coded fit (arrow
    gram) and the dummy-coded fit agree, influence included."""
    rng = np.random.default_rng(13)
    n, L = 1200, 300
    codes = rng.integers(0, L, n)
    codes[:3] = L + np.arange(3)  # three levels with one row each
    levels = [f"L{k:04d}" for k in range(L + 4)]  # one level never used
    df = pd.DataFrame({"x": rng.normal(size=n),
                       "f": pd.Categorical.from_codes(codes, categories=levels)})
    df["z"] = np.sin(codes)  # constant within levels: aliased after the factor
    # no zero counts: a zero in a single-row level would send its rate to 0 (separation)
    df["y"] = 1.0 + rng.poisson(np.exp(1.0 + 0.2 * df["x"]))
    with pytest.warns(RankDeficiencyWarning, match="z"):
        coded = aurora.glm("y ~ x + f + z", df, family="poisson", factor_coding="always")
    with pytest.warns(RankDeficiencyWarning, match="z"):
        dense = aurora.glm("y ~ x + f + z", df, family="poisson", factor_coding="never")
    assert coded.aliased.tolist() == dense.aliased.tolist()
    assert coded.aliased.iloc[-1]
    np.testing.assert_allclose(coded.params, dense.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(coded.bse, dense.bse, rtol=1e-8)
    ic, idn = coded.influence(), dense.influence()
    assert list(ic.columns) == list(idn.columns)
    assert (ic.index == df.index).all()
    np.testing.assert_allclose(ic.to_numpy(), idn.to_numpy(), rtol=1e-6, atol=1e-9)
    assert (ic["hat"].iloc[:3] == 1.0).all() and (idn["hat"].iloc[:3] == 1.0).all()
