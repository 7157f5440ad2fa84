"""nlme's grouping levels and the denominator degrees of freedom of its t-tests.

nlme's random effects are nested levels (``~ 1 | site/g``): each grouping factor lies
within one level of the factor outside it. :func:`nlme_levels` finds that hierarchy among
lme4-style terms (several terms on one factor make one level). :func:`fixed_df` is nlme's
``getFixDF`` "inner-outer" rule (Pinheiro & Bates 2000, sec. 2.4.2): a fixed-effect
column is estimated in the innermost stratum within whose groups it varies; each stratum
has ``groups(level) - groups(outer level)`` degrees of freedom (``N - groups(innermost)``
for the residual stratum) less the columns estimated there, and the intercept takes the
outermost stratum's degree of freedom (the largest stratum's count goes to columns that
are constant).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aurora.engine.lme_blocks import check_nested

__all__ = ["NlmeLevel", "nlme_levels", "fixed_df"]


@dataclass(frozen=True)
class NlmeLevel:
    """One level of nlme's grouping, outermost first.

    Attributes
    ----------
    name : str
        nlme's name of the level (the level's own grouping variable, ``g``).
    group_name : str
        lme4's name of the grouping factor (``g:site``).
    codes : ndarray of int
    nl : int
    term_index : tuple of int
        The terms (in ``RandomTerms`` order) of this factor.
    """

    name: str
    group_name: str
    codes: np.ndarray
    nl: int
    term_index: tuple[int, ...]


def nlme_levels(terms) -> list[NlmeLevel] | None:
    """The terms' grouping factors as nlme's nested levels, outermost first; None when
    they are not nested (crossed factors).

    Examples
    --------
    >>> import pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"a": list("xxxxyyyy"), "b": list("ppqqrrss")})
    >>> text = "y ~ (1 | a/b)"
    >>> rt = build_random_terms(parse(text).random_effects, df, text=text)
    >>> [(lv.name, lv.group_name, lv.nl) for lv in nlme_levels(rt)]
    [('a', 'a', 2), ('b', 'b:a', 4)]
    """
    by_group: dict[str, list[int]] = {}
    for i, t in enumerate(terms.terms):
        by_group.setdefault(t.spec.group_name, []).append(i)
    items = sorted(by_group.items(), key=lambda kv: terms.terms[kv[1][0]].nl)
    levels: list[NlmeLevel] = []
    seen_vars: set[str] = set()
    for gname, idx in items:
        t = terms.terms[idx[0]]
        gvars = tuple(t.spec.group_variables) if t.spec.bar is not None else (gname,)
        own = [v for v in gvars if v not in seen_vars]
        own_ordered = [v for v in reversed(gvars) if v in own] if len(gvars) > 1 else own
        name = ":".join(own_ordered) if own else gname
        if levels and not check_nested(t.codes, levels[-1].codes):
            return None
        levels.append(NlmeLevel(name, gname, t.codes, t.nl, tuple(idx)))
        seen_vars.update(gvars)
    return levels


def _const(x: np.ndarray, tol: float = float(np.sqrt(np.finfo(float).eps))) -> bool:
    """nlme's ``const``: the column is (nearly) a multiple of a column of ones."""
    if x.size == 0:
        return True
    if x[0] == 0:
        return bool(np.all(np.abs(x) < tol))
    return bool(np.all(np.abs(x / x[0] - 1.0) < tol))


def _varies_within(x: np.ndarray, codes: np.ndarray) -> bool:
    """Whether ``x`` takes more than one value within some group (nlme's
    ``inner_perc > 0``)."""
    nl = int(codes.max()) + 1
    lo = np.full(nl, np.inf)
    hi = np.full(nl, -np.inf)
    np.minimum.at(lo, codes, x)
    np.maximum.at(hi, codes, x)
    return bool(np.any(lo != hi))


def fixed_df(X: np.ndarray, levels: list[NlmeLevel]) -> np.ndarray:
    """nlme's ``fixDF$X``: denominator degrees of freedom of each fixed effect.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        The fixed-effects model matrix (unweighted).
    levels : list of NlmeLevel
        Outermost first.

    Returns
    -------
    ndarray of float, shape (p,)

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.engine.lme_df import NlmeLevel
    >>> g = np.repeat(np.arange(5), 4)
    >>> X = np.column_stack([np.ones(20), np.tile(np.arange(4.0), 5), np.arange(5.0)[g]])
    >>> fixed_df(X, [NlmeLevel("g", "g", g, 5, (0,))]).tolist()
    [14.0, 14.0, 3.0]
    """
    n, p = X.shape
    ng = [lv.nl for lv in levels]
    dfX = np.array(ng + [n], dtype=float) - np.array([0] + ng, dtype=float)
    val = np.zeros(p)
    not_int = np.array([not _const(X[:, j]) for j in range(p)], dtype=bool)
    if not_int.any():
        strat = np.zeros(p, dtype=int)
        for j in np.flatnonzero(not_int):
            s = 0
            for i, lv in enumerate(levels):
                if _varies_within(X[:, j], lv.codes):
                    s = i + 1
            strat[j] = s
        for j in np.flatnonzero(not_int):
            dfX[strat[j]] -= 1
        if not not_int.all():
            dfX[0] -= 1
        else:
            dfX[1:] += 1
        val[not_int] = dfX[strat[not_int]]
    if not not_int.all():
        val[~not_int] = dfX.max()
    return val
