"""Expand formula sugar: a pure pass from the raw tree of the transformer to a ``Formula``.

R's formula algebra (Chambers & Hastie 1992, *Statistical Models in S*, ch. 2) on sets of
terms, where a term is a set of factors:

* ``A + B`` union, ``A - B`` removal (``- 1`` and ``+ 0`` drop the intercept);
* ``A:B`` (and ``A %in% B``) all pairwise interactions;
* ``A*B`` is ``A + B + A:B``; ``(A)^n`` is ``A*A*...*A`` (interactions up to order n);
* ``A/B`` is ``A + a:B`` with ``a`` all factors of ``A`` together (nesting).

Product expansions are ordered by degree as R does (``a*b*c`` gives ``a, b, c, a:b, ...``);
otherwise terms keep formula order, duplicates dropped (first kept). Random-effect bars
(lme4, Bates et al. 2015) expand ``(x | a/b)`` into ``(x | a) + (x | a:b)`` and
``(1 + x || g)`` into ``(1 || g) + (0 + x || g)`` with ``correlated=False``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from aurora.errors import FormulaSyntaxError
from aurora.formula._print import format_name
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

__all__ = ["Literal", "BinOp", "Neg", "Power", "Bar", "RawFormula", "RawNode", "desugar"]


def _span() -> Span:
    return field(default=Span(0, 0), compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Literal:
    """``0`` or ``1`` written as a term (intercept off / on)."""

    value: int
    span: Span = _span()


@dataclass(frozen=True)
class BinOp:
    """A term-level operator: ``+ - : * / %in%``."""

    op: str
    left: RawNode
    right: RawNode
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    """Unary minus: remove the terms of ``operand``."""

    operand: RawNode
    span: Span = _span()


@dataclass(frozen=True)
class Power:
    """``(A)^n``: crossing of ``A`` with itself up to order ``n``."""

    base: RawNode
    exponent: int
    span: Span = _span()


@dataclass(frozen=True)
class Bar:
    """A random-effect bar before expansion: ``(lhs | group)`` or ``(lhs || group)``."""

    lhs: RawNode
    group: RawNode
    double: bool
    span: Span = _span()


RawNode = Union[ParametricTerm, Smooth, Offset, Literal, BinOp, Neg, Power, Bar]


@dataclass(frozen=True)
class RawFormula:
    """What the transformer returns: the response and the unexpanded right-hand side."""

    response: Response | None
    rhs: RawNode
    text: str = field(default="", compare=False)
    span: Span = _span()


@dataclass
class _TermSet:
    terms: list[Term]
    intercept: bool | None = None  # None: neither 0 nor 1 was written


def desugar(raw: RawFormula) -> Formula:
    """Expand the sugar of a raw formula tree into a flat :class:`Formula`.

    Parameters
    ----------
    raw : RawFormula
        The transformer's output.

    Returns
    -------
    Formula

    Raises
    ------
    FormulaSyntaxError
        For well-formed text whose meaning is invalid (a smooth in an interaction, a
        grouping factor that is not a name, ``(0 | g)``).

    Examples
    --------
    >>> from aurora.formula.ast import ParametricTerm
    >>> a, b = (ParametricTerm(v, (v,), (v,)) for v in "ab")
    >>> [str(t) for t in desugar(RawFormula(None, BinOp("*", a, b))).terms]
    ['a', 'b', 'a:b']
    """
    result = _Expander(raw.text).eval(raw.rhs)
    intercept = True if result.intercept is None else result.intercept
    return Formula(raw.response, tuple(result.terms), intercept, raw.text, raw.span)


def _key(term: Term) -> object:
    if isinstance(term, ParametricTerm):
        return ("term", frozenset(term.factors))
    return term


def _union(*groups: list[Term]) -> list[Term]:
    seen: dict[object, Term] = {}
    for group in groups:
        for term in group:
            seen.setdefault(_key(term), term)
    return list(seen.values())


def _by_degree(terms: list[Term]) -> list[Term]:
    return sorted(terms, key=lambda t: len(t.factors) if isinstance(t, ParametricTerm) else 0)


def _combine(a: ParametricTerm, b: ParametricTerm, span: Span) -> ParametricTerm:
    factors = a.factors + tuple(f for f in b.factors if f not in a.factors)
    variables = tuple(dict.fromkeys(a.variables + b.variables))
    return ParametricTerm(":".join(factors), factors, variables, span)


class _Expander:
    """Evaluates a raw tree to a term set; holds the text only to place error carets."""

    def __init__(self, text: str) -> None:
        self.text = text

    def error(
        self, message: str, node: RawNode | Term, fix: str | None = None
    ) -> FormulaSyntaxError:
        return FormulaSyntaxError(message, self.text, node.span.start, fix)

    def eval(self, node: RawNode) -> _TermSet:
        if isinstance(node, (ParametricTerm, Smooth, Offset)):
            return _TermSet([node])
        if isinstance(node, Literal):
            return _TermSet([], bool(node.value))
        if isinstance(node, Bar):
            return _TermSet(self.bar(node))
        if isinstance(node, Power):
            return _TermSet(self.power(node))
        if isinstance(node, Neg) or node.op in "+-":
            return self.fold(node)
        left, right = self.factors(node.left), self.factors(node.right)
        if node.op in (":", "%in%"):
            return _TermSet(self.interact(left, right, node.span))
        if node.op == "*":
            return _TermSet(_by_degree(_union(left, right, self.interact(left, right, node.span))))
        # nesting a/b: a + a:b, with every factor of the left side in one term
        whole = left[0]
        for term in left[1:]:
            whole = _combine(whole, term, node.span)
        return _TermSet(_union(left, [_combine(whole, t, node.span) for t in right]))

    def fold(self, node: RawNode) -> _TermSet:
        """Left-to-right evaluation of a sum: add or remove each operand in turn."""
        terms: list[Term] = []
        intercept: bool | None = None
        for sign, operand in self.flatten(node, 1):
            part = self.eval(operand)
            if sign > 0:
                terms = _union(terms, part.terms)
                intercept = intercept if part.intercept is None else part.intercept
            else:
                gone = {_key(t) for t in part.terms}
                terms = [t for t in terms if _key(t) not in gone]
                intercept = intercept if part.intercept is None else not part.intercept
        return _TermSet(terms, intercept)

    def flatten(self, node: RawNode, sign: int) -> list[tuple[int, RawNode]]:
        """Signed operands of a sum, walking its left spine without recursion."""
        items: list[tuple[int, RawNode]] = []
        while True:
            if isinstance(node, Neg):
                node, sign = node.operand, -sign
            elif isinstance(node, BinOp) and node.op in "+-":
                right, right_sign = node.right, sign if node.op == "+" else -sign
                while isinstance(right, Neg):  # a + -b removes b
                    right, right_sign = right.operand, -right_sign
                items.append((right_sign, right))
                node = node.left
            else:
                items.append((sign, node))
                return items[::-1]

    def factors(self, node: RawNode) -> list[ParametricTerm]:
        """Evaluate an operand of ``:``, ``*``, ``/`` or ``^``: parametric terms only."""
        result = self.eval(node)
        for term in result.terms:
            if isinstance(term, Smooth):
                raise self.error(
                    f"the smooth {term} cannot be part of an interaction",
                    term,
                    f"use a 'by' variable, e.g. {term.kind}({', '.join(term.variables)}, by = f),"
                    " or a tensor product te(x, z)",
                )
            if isinstance(term, RandomEffect):
                raise self.error(
                    "a random-effect term cannot be part of an interaction",
                    term,
                    "put the interaction inside the bar, e.g. (1 | a:b), or add the bar with '+'",
                )
            if isinstance(term, Offset):
                raise self.error(
                    "an offset cannot be part of an interaction",
                    term,
                    "add it with '+ offset(...)'",
                )
        if result.intercept is not None or not result.terms:
            raise self.error(
                "0 and 1 (the intercept) cannot be part of an interaction, power or nesting",
                node,
                "write the intercept as a separate term: y ~ 1 + x",
            )
        return result.terms  # type: ignore[return-value]

    def interact(
        self, left: list[ParametricTerm], right: list[ParametricTerm], span: Span
    ) -> list[Term]:
        return _union([_combine(a, b, span) for a in left for b in right])

    def power(self, node: Power) -> list[Term]:
        base = self.factors(node.base)
        result: list[Term] = list(base)
        for _ in range(node.exponent - 1):
            grown = _union(result, self.interact(result, base, node.span))  # type: ignore[arg-type]
            if len(grown) == len(result):  # no new interactions: higher powers add nothing
                break
            result = grown
        return _by_degree(result)

    def bar(self, node: Bar) -> list[Term]:
        lhs = self.eval(node.lhs)
        slopes: list[ParametricTerm] = []
        for term in lhs.terms:
            if not isinstance(term, ParametricTerm):
                raise self.error(
                    f"{term} cannot appear on the left of '|' in a random-effect term",
                    term,
                    "use variables and their interactions there, e.g. (1 + t | g)",
                )
            slopes.append(term)
        intercept = True if lhs.intercept is None else lhs.intercept
        if not intercept and not slopes:
            raise self.error(
                "this random-effect term has no intercept and no slopes",
                node,
                "write (1 | g) for a random intercept",
            )
        out: list[Term] = []
        for group in self.groups(node.group):
            if node.double:
                if intercept:
                    out.append(RandomEffect(True, (), group, False, node.span))
                out.extend(RandomEffect(False, (s,), group, False, node.span) for s in slopes)
            else:
                out.append(RandomEffect(intercept, tuple(slopes), group, True, node.span))
        return out

    def groups(self, node: RawNode) -> list[tuple[str, ...]]:
        """Grouping factors: ``g``, ``a:b`` (interaction), ``a/b`` (``a`` and ``a:b``)."""
        if isinstance(node, ParametricTerm) and len(node.variables) == 1:
            name = node.variables[0]
            if node.expr == format_name(name):
                return [(name,)]
        if isinstance(node, BinOp) and node.op in (":", "/"):
            left, right = self.groups(node.left), self.groups(node.right)
            if node.op == ":":
                return list(dict.fromkeys(_merge(a, b) for a in left for b in right))
            whole: tuple[str, ...] = ()
            for group in left:
                whole = _merge(whole, group)
            return list(dict.fromkeys(left + [_merge(whole, b) for b in right]))
        fix = "write the grouping factor as a column name, e.g. (1 | g), (1 | a/b), (1 | a:b)"
        if isinstance(node, BinOp) and node.op == "+":
            fix = "for crossed random effects write one bar per factor: (1 | a) + (1 | b)"
        raise self.error(
            "the grouping factor of a random-effect term must be a variable name", node, fix
        )


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(x for x in b if x not in a)
