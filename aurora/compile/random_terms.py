"""Random-effect bars ``(expr | g)`` compiled as lme4's ``mkReTrms`` does.

Each bar becomes a :class:`~aurora.compile.re_terms.ReTerm` (level codes of the grouping
factor and the per-row model matrix of the bar's left-hand side; see
:mod:`aurora.compile.re_terms` for the layout of ``Z``, ``Lambda`` and ``theta``). Terms are
reordered by decreasing number of levels as ``mkReTrms`` does (only when some term has
more levels than the one before it, as ``rev(order(nl))``, which also reverses ties), and
lme4's checks of the numbers of levels and effects are applied. Reference: Bates,
Maechler, Bolker & Walker (2015), JSS 67(1), section 2.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.compile.grouping import factor_labels, group_codes
from aurora.compile.re_terms import (COVARIANCES, DenseReTerm, RandomTerms, ReTerm, ReTermSpec,
                                     term_theta_layout, theta_layout)
from aurora.errors import DataError, ModelSpecError
from aurora.formula.ast import RandomEffect

__all__ = ["ReTermSpec", "ReTerm", "DenseReTerm", "RandomTerms", "build_random_terms",
           "combine_terms", "lme4_term_order",
           "factor_labels", "group_codes", "theta_layout", "term_theta_layout", "COVARIANCES"]


def _deparse_group(group: tuple[str, ...], nested: bool = False) -> str:
    """lme4's name of a grouping factor: ``a:b``; a nested one (from ``a/b/c``, reversed
    already) as lme4's ``expandSlash`` builds it, ``c:(b:a)``."""
    from aurora.formula._print import format_name

    names = [format_name(g) for g in group]
    if not nested or len(names) < 3:
        return ":".join(names)
    s = f"{names[-2]}:{names[-1]}"
    for x in reversed(names[:-2]):
        s = f"{x}:({s})"
    return s


def _lme4_bars(bars: tuple[RandomEffect, ...], text: str) -> list[tuple[RandomEffect, tuple, bool]]:
    """The bars in lme4's order, with lme4's grouping-factor order.

    lme4 expands ``(x || a/b)`` to ``(1 | a/b) + (0 + x | a/b)`` and each ``(e | a/b)`` to
    ``(e | b:a) + (e | a)``: the deepest interaction first, its factors reversed. The
    nodes of one bar share its source span, which tells a nested bar (``/`` in its
    grouping part) from ``(1 | a) + (1 | a:b)``.
    """
    spans: dict[tuple[int, int], list[RandomEffect]] = {}
    for b in bars:
        spans.setdefault((b.span.start, b.span.end), []).append(b)
    out = []
    for (start, end), nodes in spans.items():
        src = text[start:end] if text and end > start else ""
        nested = "/" in src.split("|")[-1]
        if not nested or len(nodes) == 1:
            out += [(n, n.group, False) for n in nodes]
            continue
        keys = list(dict.fromkeys((n.intercept, n.terms) for n in nodes))
        for key in keys:
            sub = [n for n in nodes if (n.intercept, n.terms) == key]
            out += [(n, tuple(reversed(n.group)), True) for n in reversed(sub)]
    return out


def _term_matrix(bar: RandomEffect, frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """R's ``model.matrix(~ expr, frame)`` of the bar's left-hand side."""
    if not bar.terms:
        if not bar.intercept:
            raise ModelSpecError(f"the random-effect term {bar} has no columns",
                                 "give the term an intercept or a variable, e.g. (1 | g)")
        return np.ones((len(frame), 1)), ("(Intercept)",), None
    from aurora.compile.frame import factor_levels
    from aurora.compile.plan import _layout, _r_factor_order

    terms = _r_factor_order(bar.terms)
    layout = _layout(terms, frame, factor_levels(frame), bar.intercept, set(), set())
    _, fspec, mm, names = layout[:4]
    X = np.ascontiguousarray(np.asarray(mm, dtype=float))
    if not np.all(np.isfinite(X)):
        raise DataError(f"non-finite values in the columns of the random-effect term {bar}",
                        "transform the data so every term is finite")
    return X, tuple(names), fspec


def _label(bar: RandomEffect) -> str:
    return str(bar)[1:-1].replace(" || ", " | ")


def build_random_terms(bars: tuple[RandomEffect, ...], frame: pd.DataFrame,
                       check: bool = True, text: str = "", allow_n: bool = False) -> RandomTerms:
    """Compile random-effect bars against the model frame (lme4's ``mkReTrms``).

    Parameters
    ----------
    bars : tuple of RandomEffect
        The formula's random-effect nodes (``||`` and ``a/b`` already expanded).
    frame : DataFrame
        The model frame (complete rows only; factors as ``Categorical``).
    check : bool
        Apply lme4's ``checkNlevels`` and ``checkZdims`` (errors for a grouping factor
        with one level, as many levels as rows, or at least as many random effects as
        rows in a term).
    text : str
        The formula's text (the bars' spans index it): nested bars ``(1 | a/b)`` are then
        laid out as lme4 lays them out (``b:a`` before ``a``).
    allow_n : bool
        lme4's ``allow.n`` (``glFormula``'s: glmer): as many levels or random effects as
        observations are allowed (more are not).

    Returns
    -------
    RandomTerms

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> df = pd.DataFrame({"t": np.arange(12.), "g": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
    ...                    "h": list("abababababab")})
    >>> rt = build_random_terms(parse("y ~ (1 | h) + (1 + t | g)").random_effects, df)
    >>> [(t.spec.group_name, t.nl, t.spec.column_names) for t in rt.terms]
    [('g', 4, ('(Intercept)', 't')), ('h', 2, ('(Intercept)',))]
    >>> rt.theta0.tolist(), rt.lower.tolist()
    ([1.0, 0.0, 1.0, 1.0], [0.0, -inf, 0.0, 0.0])
    """
    if not bars:
        raise ModelSpecError("no random-effect terms in the formula",
                             "add a term such as (1 | g), or fit the model with aurora.glm")
    n = len(frame)
    built = []
    for bar, group, nested in _lme4_bars(bars, text):
        codes, levels = group_codes(frame, group)
        X, names, fspec = _term_matrix(bar, frame)
        name = _deparse_group(group, nested)
        label = _label(bar).rsplit(" | ", 1)[0] + " | " + name
        spec = ReTermSpec(bar, name, levels, names, fspec, label, group)
        built.append(ReTerm(spec, codes, X))
    order = lme4_term_order([t.nl for t in built])
    rt = RandomTerms(tuple(built[i] for i in order), tuple(order))
    if check:
        _check_levels(rt, n, allow_n)
    return rt


def lme4_term_order(nl: list[int]) -> list[int]:
    """lme4's ``reorder.terms``: formula order, unless some term has more levels than the
    one before it; then ``rev(order(nl))`` (decreasing levels, ties reversed).

    Examples
    --------
    >>> lme4_term_order([8, 8, 20]), lme4_term_order([20, 8])
    ([2, 1, 0], [0, 1])
    """
    order = list(range(len(nl)))
    if any(b > a for a, b in zip(nl, nl[1:])):
        order = sorted(order, key=lambda i: nl[i])[::-1]  # R: rev(order(nl))
    return order


def combine_terms(leading: list, bars: RandomTerms | None, n: int,
                  check: bool = True, allow_n: bool = False) -> RandomTerms:
    """Terms written before the formula's bars (gamm4's ``(1 | Xr)`` of each smooth)
    together with the compiled bars, laid out as lme4 lays out the whole formula.

    Parameters
    ----------
    leading : list of ReTerm or DenseReTerm
        In formula order.
    bars : RandomTerms or None
        From :func:`build_random_terms` (its ``formula_order`` recovers the bars' order).
    n : int
        Rows, for lme4's checks.
    check, allow_n : bool
        As :func:`build_random_terms`.
    """
    rest: list = []
    if bars is not None:
        pos = bars.formula_order or tuple(range(len(bars.terms)))
        rest = [t for _, t in sorted(zip(pos, bars.terms), key=lambda e: e[0])]
    built = list(leading) + rest
    if not built:
        raise ModelSpecError("the model has no random effects",
                             "add a smooth with a penalty or a term such as (1 | g)")
    order = lme4_term_order([t.nl for t in built])
    rt = RandomTerms(tuple(built[i] for i in order), tuple(order))
    if check:
        _check_levels(rt, n, allow_n)
    return rt


def _check_levels(rt: RandomTerms, n: int, allow_n: bool = False) -> None:
    """lme4's ``checkNlevels`` and ``checkZdims`` (``lmerControl()`` defaults: stop;
    ``allow_n``: ``glFormula``'s ``allow.n = TRUE``)."""
    ngrps = rt.ngrps
    one = [g for g, k in ngrps.items() if k < 2]
    if one:
        raise DataError(
            f"grouping factors must have > 1 sampled level (problems: {', '.join(one)})",
            "a random effect needs a grouping factor with at least two levels in the rows used")
    many = [g for g, k in ngrps.items() if (k > n if allow_n else k >= n)]
    if many:
        raise DataError(
            "number of levels of each grouping factor must be "
            f"{'<=' if allow_n else '<'} number of observations "
            f"(problems: {', '.join(many)})",
            "each level must hold more than one observation on average; the grouping factor "
            "looks like a row identifier")
    for t in rt.terms:
        if (n < t.q) if allow_n else (n <= t.q):
            raise DataError(
                f"number of observations (={n}) {'<' if allow_n else '<='} number of random "
                f"effects (={t.q}) for term "
                f"({t.spec.label}); the random-effects parameters and the residual variance "
                "(or scale parameter) are probably unidentifiable",
                "use fewer random effects per level (e.g. drop a random slope)")
