"""Random-effect bars in a GAM formula as mgcv's ``bs = "re"`` smooths (an AST pass).

``aurora.gam`` estimates i.i.d. random effects as ridge-penalised smooths, as mgcv does
(``?random.effects``): ``(1 | g)`` is ``s(g, bs = "re")``, ``(0 + x | g)`` is
``s(x, g, bs = "re")`` (a random slope of ``x`` per level of ``g``, mgcv's columns
``model.matrix(~ x:g - 1)``), ``(1 | a:b)`` is ``s(a, b, bs = "re")``, and the expanded
forms of ``(x || g)`` and ``(1 | a/b)`` are sums of those. A correlated term such as
``(1 + t | g)`` (or a factor slope, ``(0 + f | g)``) has no ``bs = "re"`` equivalent and is
refused with a pointer to :func:`aurora.gamm` / :func:`aurora.lmer`.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from aurora.errors import ModelSpecError, UnknownVariableError
from aurora.formula.ast import Formula, RandomEffect, Smooth

__all__ = ["bars_as_smooths"]


def _refuse(bar: RandomEffect, why: str) -> ModelSpecError:
    return ModelSpecError(
        f"the random-effect term {bar} {why}, which aurora.gam cannot fit: its "
        "s(..., bs = 're') terms are independent random effects with one variance each",
        "fit correlated random effects with aurora.gamm (smooths and random effects "
        "together, as gamm4) or aurora.lmer; or write independent terms, e.g. (1 | g) + "
        "(0 + t | g) or (t || g)")


def _is_numeric(data: Any, name: str) -> bool:
    col = data[name]
    return (pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
            and not isinstance(col.dtype, pd.CategoricalDtype))


def bar_smooth(bar: RandomEffect, data: Any) -> Smooth:
    """The ``bs = "re"`` smooth of one (uncorrelated, one-column) bar.

    Examples
    --------
    >>> import pandas as pd
    >>> from aurora.formula import parse
    >>> df = pd.DataFrame({"x": [1.0, 2.0], "g": ["a", "b"]})
    >>> str(bar_smooth(parse("y ~ (0 + x | g)").random_effects[0], df))
    's(x, g, bs = "re")'
    """
    slopes = bar.terms
    if bar.intercept and slopes:
        raise _refuse(bar, "has a random intercept and slope(s) that are correlated")
    if len(slopes) > 1:
        raise _refuse(bar, "has correlated slopes")
    variables: tuple[str, ...] = ()
    if slopes:
        term = slopes[0]
        if len(term.factors) != 1 or term.factors[0] != term.expr or len(term.variables) != 1 \
                or term.variables[0] != term.expr:
            raise ModelSpecError(f"the random slope {term.expr} in {bar} is not a plain "
                                 "variable", "compute it as a column of the data first")
        name = term.variables[0]
        if name not in data.columns:
            raise UnknownVariableError(name, [str(c) for c in data.columns])
        if not _is_numeric(data, name):
            raise _refuse(bar, f"has a factor slope ({name}: one correlated effect per level)")
        variables = (name,)
    for g in bar.group:
        if g not in data.columns:
            raise UnknownVariableError(g, [str(c) for c in data.columns])
    return Smooth("s", variables + tuple(bar.group), bs="re", span=bar.span)


def bars_as_smooths(ast: Formula, data: Any) -> Formula:
    """The formula with every bar replaced by its ``bs = "re"`` smooth(s), in place.

    Parameters
    ----------
    ast : Formula
    data : DataFrame
        Tells numeric slopes from factors (a factor slope is a correlated term).

    Returns
    -------
    Formula
        Same text; bars become smooths at their positions (``||`` and ``a/b`` were expanded
        by the parser already).

    Examples
    --------
    >>> import pandas as pd
    >>> from aurora.formula import parse
    >>> df = pd.DataFrame({"y": [1.0, 2.0], "x": [1.0, 2.0], "g": ["a", "b"]})
    >>> [str(t) for t in bars_as_smooths(parse("y ~ x + (x || g)"), df).terms]
    ['x', 's(g, bs = "re")', 's(x, g, bs = "re")']
    """
    if not ast.random_effects:
        return ast
    terms = tuple(bar_smooth(t, data) if isinstance(t, RandomEffect) else t for t in ast.terms)
    seen: dict[Any, None] = {}
    unique = []
    for t in terms:  # (1 | a/b) + (1 | a) would repeat s(a, bs = "re")
        key = (t.variables, getattr(t, "bs", None)) if isinstance(t, Smooth) else id(t)
        if key not in seen:
            seen[key] = None
            unique.append(t)
    return dataclasses.replace(ast, terms=tuple(unique))
