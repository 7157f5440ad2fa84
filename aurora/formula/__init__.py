"""Stage 1 of the pipeline: parse R-style formulas into an immutable AST.

>>> from aurora.formula import parse
>>> f = parse("y ~ x + s(z, k = 20) + (1 | g)")
>>> [type(t).__name__ for t in f.terms]
['ParametricTerm', 'Smooth', 'RandomEffect']
"""
from aurora.errors import FormulaSyntaxError
from aurora.formula.ast import (
    Formula,
    Offset,
    ParametricTerm,
    RandomEffect,
    Response,
    Smooth,
    Span,
    Term,
)
from aurora.formula.parser import parse

__all__ = [
    "parse",
    "Formula",
    "Response",
    "ParametricTerm",
    "Smooth",
    "RandomEffect",
    "Offset",
    "Term",
    "Span",
    "FormulaSyntaxError",
]
