"""Which factor terms to keep as level codes instead of dummy columns, and the column layout.

A plain factor main effect (``+ f`` with an intercept, its variable used by no other term)
is coded by the treatment contrasts R uses: levels 2..L get a column each. When the dummy
block would be large, the compiler keeps one integer code per row instead, and the engine
works on codes (:class:`aurora.engine.block_design.BlockDesign`); the coefficients, their
names and their order are exactly those of the dummy-coded model.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aurora.formula.ast import ParametricTerm

__all__ = ["CodedFactor", "FACTOR_CODING", "choose_coded_terms", "choose_direct_terms",
           "r_term_order"]

FACTOR_CODING = ("auto", "always", "never")
_AUTO_MIN_LEVELS = 10
_AUTO_MIN_CELLS = 1_000_000  # n * (levels - 1) dummy cells


@dataclass(frozen=True)
class CodedFactor:
    """A factor term kept as codes: its variable, levels and the model columns of levels[1:]."""

    variable: str
    levels: tuple[str, ...]
    columns: tuple[int, ...]


def choose_coded_terms(terms: tuple[ParametricTerm, ...], frame: pd.DataFrame, intercept: bool,
                       mode: str) -> set[int]:
    """Indices of ``terms`` to code as factor blocks under ``mode``."""
    if mode == "never" or not intercept:
        return set()
    chosen = set()
    for i, t in enumerate(terms):
        if len(t.factors) != 1 or len(t.variables) != 1 or t.factors[0] != t.variables[0]:
            continue
        var = t.variables[0]
        col = frame[var]
        if not isinstance(col.dtype, pd.CategoricalDtype) or col.cat.ordered:
            continue  # ordered factors take polynomial contrasts, not treatment
        if any(var in u.variables for j, u in enumerate(terms) if j != i):
            continue
        n_levels = len(col.cat.categories)
        if mode == "always" or (n_levels >= _AUTO_MIN_LEVELS
                                and len(frame) * (n_levels - 1) >= _AUTO_MIN_CELLS):
            chosen.add(i)
    return chosen


def _alone(terms: tuple[ParametricTerm, ...], i: int) -> str | None:
    """The variable of a term that is just a column used by no other term, else None."""
    t = terms[i]
    if len(t.factors) != 1 or len(t.variables) != 1 or t.factors[0] != t.variables[0]:
        return None
    var = t.variables[0]
    if any(var in u.variables for j, u in enumerate(terms) if j != i):
        return None
    return var


def choose_direct_terms(terms: tuple[ParametricTerm, ...], frame: pd.DataFrame,
                        coded: set[int]) -> set[int]:
    """Plain numeric columns used by no other term: read from the frame, not via formulaic
    (the column is the data itself; formulaic would only copy it once more)."""
    out = set()
    for i in range(len(terms)):
        var = _alone(terms, i)
        if i in coded or var is None:
            continue
        if not isinstance(frame[var].dtype, pd.CategoricalDtype):
            out.add(i)
    return out


def r_term_order(terms: tuple[ParametricTerm, ...]) -> list[int]:
    """R's order of terms: by interaction degree, then as written (a stable sort)."""
    return sorted(range(len(terms)), key=lambda i: len(terms[i].factors))
