"""Invariances a GLM must respect: row order, duplicated rows vs weights, offset spellings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aurora


@pytest.fixture
def counts():
    rng = np.random.default_rng(11)
    n = 120
    x = rng.normal(size=n)
    f = rng.choice(list("abc"), n)
    expo = rng.uniform(0.5, 3, n)
    mu = expo * np.exp(0.2 + 0.5 * x + (f == "b") * 0.4)
    return pd.DataFrame({"y": rng.poisson(mu).astype(float), "x": x, "f": f, "expo": expo})


def test_row_order_does_not_matter(counts):
    a = aurora.glm("y ~ x + f", counts, family="poisson")
    shuffled = counts.sample(frac=1.0, random_state=3)
    b = aurora.glm("y ~ x + f", shuffled, family="poisson")
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-9)
    np.testing.assert_allclose(b.deviance, a.deviance, rtol=1e-12)
    np.testing.assert_allclose(b.fitted, a.fitted[counts.index.get_indexer(shuffled.index)], rtol=1e-10)


def test_stacked_rows_equal_weight_two(counts):
    stacked = pd.concat([counts, counts], ignore_index=True)
    a = aurora.glm("y ~ x + f", stacked, family="poisson")
    b = aurora.glm("y ~ x + f", counts, family="poisson", weights=np.full(len(counts), 2.0))
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-9)
    np.testing.assert_allclose(b.deviance, a.deviance, rtol=1e-12)
    np.testing.assert_allclose(b.aic, a.aic, rtol=1e-12)


def test_offset_spellings_agree(counts):
    a = aurora.glm("y ~ x + f + offset(log(expo))", counts, family="poisson")
    b = aurora.glm("y ~ x + f", counts.assign(lo=np.log(counts["expo"])), family="poisson", offset="lo")
    c = aurora.glm("y ~ x + f", counts, family="poisson", offset=np.log(counts["expo"]))
    for m in (b, c):
        np.testing.assert_allclose(m.params, a.params, rtol=1e-12)
        np.testing.assert_allclose(m.null_deviance, a.null_deviance, rtol=1e-12)
    new = counts.head(5).assign(lo=np.log(counts["expo"].head(5)))
    np.testing.assert_allclose(b.predict(new), a.predict(new), rtol=1e-12)
    np.testing.assert_allclose(c.predict(new, offset=new["lo"]), a.predict(new), rtol=1e-12)


def test_cbind_equals_proportions_with_weights():
    rng = np.random.default_rng(5)
    n = 60
    trials = rng.integers(1, 12, n).astype(float)
    x = rng.normal(size=n)
    succ = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-(0.3 + x)))).astype(float)
    d = pd.DataFrame({"s": succ, "f": trials - succ, "p": succ / trials, "n": trials, "x": x})
    a = aurora.glm("cbind(s, f) ~ x", d, family="binomial")
    b = aurora.glm("p ~ x", d, family="binomial", weights="n")
    np.testing.assert_allclose(b.params, a.params, rtol=1e-12)
    np.testing.assert_allclose(b.deviance, a.deviance, rtol=1e-12)
    np.testing.assert_allclose(b.aic, a.aic, rtol=1e-12)


def test_plan_describe_lists_the_blocks(counts):
    plan = aurora.compile_plan("y ~ x + f + offset(log(expo))", counts, "poisson")
    text = plan.describe()
    assert "n = 120, p = 4" in text and "term f: columns [fb, fc]" in text and "offset" in text
