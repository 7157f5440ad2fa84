"""Turn Lark's parse tree into formula nodes: one short method per grammar rule.

Value-layer rules (the response, call arguments) build :class:`Expr` records holding the
canonical text, the data columns read and, for constants, the Python value. Term-layer
rules build the sugar nodes of :mod:`aurora.formula.desugar` around AST leaves
(:class:`ParametricTerm`, :class:`Smooth`, :class:`Offset`). Every node gets a span.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from lark import Token, v_args
from lark.visitors import Transformer_NonRecursive

from aurora.errors import FormulaSyntaxError
from aurora.formula._print import format_name, format_string
from aurora.formula._smooth import build_smooth
from aurora.formula.ast import Offset, ParametricTerm, Response, Span
from aurora.formula.desugar import Bar, BinOp, Literal, Neg, Power, RawFormula

__all__ = ["Expr", "Kwarg", "FormulaTransformer", "MISSING"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: ``Expr.value`` of an expression that is not a constant.
MISSING: Any = _Missing()

# Unquoted names that are constants in R or Python, never data columns.
_LITERALS = {
    "TRUE": True, "FALSE": False, "True": True, "False": False,
    "NULL": None, "None": None, "NA": None, "Inf": math.inf,
}  # fmt: skip
_CONSTANTS = frozenset(_LITERALS) | {"NaN", "pi", "NA_integer_", "NA_real_", "NA_character_"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
# Binary operators R's deparse writes without spaces (besides ^ ** and :).
_TIGHT = frozenset({"/", "%%", "%/%"})
SMOOTH_KINDS = frozenset({"s", "te", "ti", "t2"})


@dataclass(frozen=True)
class Name:
    """A name token: ``value`` without backticks; ``quoted`` if it was backticked."""

    value: str
    quoted: bool
    span: Span


@dataclass(frozen=True)
class Expr:
    """A value-layer expression.

    Attributes
    ----------
    text : str
        Canonical R text (``"poly(x, 3)"``).
    names : tuple of str
        Data columns it reads, in first-use order.
    value : object
        The Python value of a constant (``5``, ``"cr"``, ``True``, ``(5, 5)``), else MISSING.
    name : str or None
        The column name when the expression is a bare variable.
    callee : str or None
        The function name when the expression is a call; ``args`` then holds its arguments.
    """

    text: str
    names: tuple[str, ...] = ()
    span: Span = field(default=Span(0, 0), compare=False)
    value: Any = MISSING
    name: str | None = None
    callee: str | None = None
    args: tuple[Expr | Kwarg, ...] = ()


@dataclass(frozen=True)
class Kwarg:
    """A named call argument ``name = value``."""

    name: Name
    value: Expr
    span: Span = field(default=Span(0, 0), compare=False)

    @property
    def text(self) -> str:
        return f"{format_name(self.name.value)} = {self.value.text}"


def _span(meta: Any) -> Span:
    return Span(meta.start_pos, meta.end_pos) if not meta.empty else Span(0, 0)


def _tok_span(tok: Token) -> Span:
    return Span(tok.start_pos or 0, tok.end_pos or 0)


def _number(text: str) -> int | float:
    digits = text[:-1] if text.endswith("L") else text
    if digits[:2] in ("0x", "0X"):
        return int(digits, 16)
    return int(digits) if digits.isdigit() else float(digits)


def _unescape(token: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token[1:-1], flags=re.S)


def _merge(*exprs: Expr | Kwarg) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for e in exprs:
        names.update(dict.fromkeys(e.value.names if isinstance(e, Kwarg) else e.names))
    return tuple(names)


@v_args(meta=True, inline=True)
class FormulaTransformer(Transformer_NonRecursive):
    """Lark transformer from the parse tree of ``text`` to a :class:`RawFormula`.

    Parameters
    ----------
    text : str
        The formula text, used to place the caret of errors.

    Examples
    --------
    >>> from aurora.formula._grammar import get_parser
    >>> tree = get_parser().parse("y ~ x")
    >>> FormulaTransformer("y ~ x").transform(tree).response.expr
    'y'
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _error(self, message: str, at: Span | int, fix: str | None = None) -> FormulaSyntaxError:
        position = at.start if isinstance(at, Span) else at
        return FormulaSyntaxError(message, self.text, position, fix)

    # ------------------------------------------------------------------ formula
    def two_sided(self, meta: Any, lhs: Expr, _tilde: Token, rhs: Any) -> RawFormula:
        if not lhs.names:
            raise self._error(
                f"the response {lhs.text} does not name a column of the data",
                lhs.span,
                "write the response variable left of '~', e.g. y ~ x",
            )
        kind = "variable" if lhs.name else "cbind" if lhs.callee == "cbind" else "transform"
        response = Response(lhs.text, kind, lhs.names, lhs.span)
        return RawFormula(response, rhs, self.text, Span(0, len(self.text)))

    def one_sided(self, meta: Any, _tilde: Token, rhs: Any) -> RawFormula:
        return RawFormula(None, rhs, self.text, Span(0, len(self.text)))

    # ------------------------------------------------------------------ term layer
    def add(self, meta: Any, left: Any, _op: Token, right: Any) -> BinOp:
        return BinOp("+", left, right, _span(meta))

    def sub(self, meta: Any, left: Any, _op: Token, right: Any) -> BinOp:
        return BinOp("-", left, right, _span(meta))

    def cross(self, meta: Any, left: Any, _op: Token, right: Any) -> BinOp:
        return BinOp("*", left, right, _span(meta))

    def nest(self, meta: Any, left: Any, _op: Token, right: Any) -> BinOp:
        return BinOp("/", left, right, _span(meta))

    def interact(self, meta: Any, left: Any, _op: Token, right: Any) -> BinOp:
        return BinOp(":", left, right, _span(meta))

    def special(self, meta: Any, left: Any, op: Token, right: Any) -> BinOp:
        if op != "%in%":
            raise self._error(
                f"the operator {op} has no meaning between formula terms",
                _tok_span(op),
                f"use %in% for nesting, or wrap arithmetic in I(...), e.g. I(a {op} b)",
            )
        return BinOp("%in%", left, right, _span(meta))

    def neg(self, meta: Any, _op: Token, operand: Any) -> Neg:
        return Neg(operand, _span(meta))

    def pos(self, meta: Any, _op: Token, operand: Any) -> Any:
        return operand

    def power(self, meta: Any, base: Any, _op: Token, exponent: Token) -> Power:
        value = _number(exponent)
        if value != int(value) or value < 1:
            raise self._error(
                f"the power of a formula term must be a positive whole number, not {exponent}",
                _tok_span(exponent),
                "write (a + b)^2 for all interactions up to order 2, or I(x^2) for a square",
            )
        return Power(base, int(value), _span(meta))

    def bar(self, meta: Any, lhs: Any, op: Token, group: Any) -> Bar:
        return Bar(lhs, group, op == "||", _span(meta))

    def term_name(self, meta: Any, name: Name) -> ParametricTerm:
        text = format_name(name.value)
        return ParametricTerm(text, (text,), (name.value,), name.span)

    def term_number(self, meta: Any, tok: Token) -> Literal:
        value = _number(tok)
        if value not in (0, 1):
            raise self._error(
                f"the number {tok} cannot be a formula term",
                _tok_span(tok),
                "use 1 to keep the intercept or 0 to drop it; wrap arithmetic in I(...)",
            )
        return Literal(int(value), _tok_span(tok))

    def term_string(self, meta: Any, tok: Token) -> Any:
        raise self._error(
            f"the string {tok} cannot be a formula term",
            _tok_span(tok),
            "write column names without quotes, or in backticks: `my column`",
        )

    def term_call(self, meta: Any, call: Expr) -> Any:
        if call.callee in SMOOTH_KINDS:
            return build_smooth(call, self.text)
        if call.callee == "offset":
            if len(call.args) != 1 or isinstance(call.args[0], Kwarg):
                raise self._error(
                    "offset() takes exactly one expression",
                    call.span,
                    "write e.g. offset(log(exposure))",
                )
            return Offset(call.args[0].text, call.names, call.span)
        return ParametricTerm(call.text, (call.text,), call.names, call.span)

    # ------------------------------------------------------------------ value layer
    def name(self, meta: Any, tok: Token) -> Name:
        if tok.type == "BACKTICK":
            return Name(_unescape(tok), True, _tok_span(tok))
        return Name(str(tok), False, _tok_span(tok))

    def v_name(self, meta: Any, name: Name) -> Expr:
        if not name.quoted and name.value in _CONSTANTS:
            return Expr(name.value, (), name.span, _LITERALS.get(name.value, MISSING))
        return Expr(format_name(name.value), (name.value,), name.span, name=name.value)

    def v_number(self, meta: Any, tok: Token) -> Expr:
        return Expr(str(tok), (), _tok_span(tok), _number(tok))

    def v_string(self, meta: Any, tok: Token) -> Expr:
        value = _unescape(tok)
        return Expr(format_string(value), (), _tok_span(tok), value)

    def v_paren(self, meta: Any, inner: Expr) -> Expr:
        return Expr(f"({inner.text})", inner.names, _span(meta), inner.value)

    def v_list(self, meta: Any, *items: Expr | None) -> Expr:
        parts = [i for i in items if i is not None]
        text = "[" + ", ".join(p.text for p in parts) + "]"
        return Expr(text, _merge(*parts), _span(meta), _vector(parts))

    def binop(self, meta: Any, left: Expr, op: Token, right: Expr) -> Expr:
        if op in _TIGHT:
            return self.tight(meta, left, op, right)
        return Expr(f"{left.text} {op} {right.text}", _merge(left, right), _span(meta))

    def tight(self, meta: Any, left: Expr, op: Token, right: Expr) -> Expr:
        return Expr(f"{left.text}{op}{right.text}", _merge(left, right), _span(meta))

    def unary(self, meta: Any, op: Token, operand: Expr) -> Expr:
        value = MISSING
        number = isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool)
        if op in "+-" and number:
            value = -operand.value if op == "-" else operand.value
        return Expr(f"{op}{operand.text}", operand.names, _span(meta), value)

    def kwarg(self, meta: Any, name: Name, value: Expr) -> Kwarg:
        return Kwarg(name, value, _span(meta))

    def call(self, meta: Any, callee: Name, *args: Expr | Kwarg | None) -> Expr:
        kept = tuple(a for a in args if a is not None)
        text = f"{format_name(callee.value)}({', '.join(a.text for a in kept)})"
        if callee.value == "C":  # C(f, contrast): only the factor is a column
            names = _merge(*[a for a in kept[:1] if isinstance(a, Expr)])
        else:
            names = _merge(*kept)
        value = MISSING
        if callee.value == "c" and all(isinstance(a, Expr) for a in kept):
            value = _vector(kept)  # type: ignore[arg-type]
        return Expr(text, names, _span(meta), value, callee=callee.value, args=kept)


def _vector(items: Any) -> Any:
    """The tuple value of ``c(...)`` / ``[...]`` when every element is a scalar constant."""
    values = [i.value for i in items]
    if any(v is MISSING or v is None or isinstance(v, tuple) for v in values):
        return MISSING
    return tuple(values)
