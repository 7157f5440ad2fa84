"""Coefficient names follow R's rules (treatment, sum and Helmert contrasts, numeric
columns as factors, ordered factors, interaction order)."""
from __future__ import annotations

import pandas as pd
import pytest

import aurora


@pytest.fixture
def mt():
    return aurora.datasets.load("mtcars")


@pytest.mark.parametrize("formula, names", [
    ("mpg ~ wt + C(cyl)", ["(Intercept)", "wt", "C(cyl)6", "C(cyl)8"]),
    ("mpg ~ wt + C(cyl, sum)", ["(Intercept)", "wt", "C(cyl, sum)1", "C(cyl, sum)2"]),
    ("mpg ~ wt + C(cyl, helmert)", ["(Intercept)", "wt", "C(cyl, helmert)1", "C(cyl, helmert)2"]),
    ("mpg ~ wt %in% C(cyl)", ["(Intercept)", "wt:C(cyl)4", "wt:C(cyl)6", "wt:C(cyl)8"]),
    ("mpg ~ I(wt^2) + poly(hp, 2)", ["(Intercept)", "I(wt^2)", "poly(hp, 2)1", "poly(hp, 2)2"]),
])
def test_r_names(mt, formula, names):
    assert list(aurora.glm(formula, mt).params.index) == names


def test_interaction_factor_order_follows_first_appearance():
    df = pd.DataFrame({"f": list("abcabcabca"), "x": range(10), "y": [1., 3, 2, 5, 4, 6, 8, 7, 9, 9]})
    m = aurora.glm("y ~ f + x:f", df)
    assert list(m.params.index) == ["(Intercept)", "fb", "fc", "fa:x", "fb:x", "fc:x"]
    assert m.plan.spec.term_labels == ("(Intercept)", "f", "f:x")
