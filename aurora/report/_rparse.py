"""A small parser of R expressions, enough for formulas and the arguments of a call.

It builds the tree R's parser builds (operators as calls, parentheses kept as ``(``
calls, ``**`` read as ``^``, ``x |> f()`` read as ``f(x)``), so that
:mod:`aurora.report.call` can print it as R's ``deparse`` does. Anything outside that
subset (``function``, ``if``, braces, ...) raises :class:`RSyntaxError`; callers then
fall back to the text as written.

Precedence follows R's ``?Syntax`` (highest first): ``:: $ @``, ``[ [[ (``, ``^``
(right), unary ``- +``, ``:``, ``%any% |>``, ``* /``, binary ``+ -``, comparisons,
``!``, ``& &&``, ``| ||``, ``~``, ``-> ->>``, ``<- <<-``, ``=``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

__all__ = ["Sym", "Num", "Str", "Const", "Arg", "Call", "Node", "RSyntaxError", "parse_r",
           "is_syntactic"]


class RSyntaxError(ValueError):
    """Text this parser does not read as an R expression."""


@dataclass(frozen=True)
class Sym:
    """A name (``x``, ``log``, ``` `my var` ```)."""

    name: str


@dataclass(frozen=True)
class Num:
    """A numeric constant; ``integer`` for R's ``1L``."""

    value: float
    integer: bool = False


@dataclass(frozen=True)
class Str:
    """A character constant (printed in double quotes)."""

    value: str


@dataclass(frozen=True)
class Const:
    """``TRUE``, ``FALSE``, ``NULL``, ``NA``, ``Inf``, ``NaN``..."""

    text: str


@dataclass(frozen=True)
class Arg:
    """An argument of a call: ``name = value``; ``value`` None when left empty."""

    name: str | None
    value: "Node | None"


@dataclass(frozen=True)
class Call:
    """A call. ``kind`` says how R prints it: ``"call"``, ``"binary"`` (spaced),
    ``"binary2"`` (unspaced), ``"unary"``, ``"paren"``, ``"subset"``, ``"subset2"``,
    ``"dollar"``, ``"assign"``."""

    fn: "Node"
    args: tuple[Arg, ...]
    kind: str = "call"


Node = Union[Sym, Num, Str, Const, Call]

_RESERVED = {"if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE",
             "FALSE", "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_",
             "NA_complex_", "in"}
_CONSTANTS = {"TRUE", "FALSE", "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_",
              "NA_character_", "NA_complex_"}
_SYNTACTIC = re.compile(r"^((([A-Za-z]|[.][A-Za-z._])[A-Za-z0-9._]*)|[.])$")


def is_syntactic(name: str) -> bool:
    """Whether R prints ``name`` without backticks (R's ``isValidName``)."""
    return (bool(_SYNTACTIC.match(name)) and name not in _RESERVED) or name == "..." or bool(
        re.fullmatch(r"\.\.[0-9]+", name))


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)L?)
  | (?P<name>(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*)
  | (?P<bq>`(?:[^`\\]|\\.)*`)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>%[^%]*%|:::|::|<<-|->>|<-|->|\|>|\*\*|<=|>=|==|!=|&&|\|\||\[\[|[-+*/^~<>!&|:=$@()\[\],?])
""", re.VERBOSE)

# binary operators: (left binding power, right binding power, printed kind)
_BINARY: dict[str, tuple[int, int, str]] = {
    "=": (20, 19, "assign"), "<-": (30, 29, "assign"), "<<-": (30, 29, "assign"),
    "~": (50, 50, "binary"), "||": (60, 60, "binary"), "|": (60, 60, "binary"),
    "&&": (70, 70, "binary"), "&": (70, 70, "binary"),
    "==": (90, 90, "binary"), "!=": (90, 90, "binary"), "<": (90, 90, "binary"),
    ">": (90, 90, "binary"), "<=": (90, 90, "binary"), ">=": (90, 90, "binary"),
    "+": (100, 100, "binary"), "-": (100, 100, "binary"),
    "*": (110, 110, "binary"), "/": (110, 110, "binary2"),
    "|>": (120, 120, "pipe"), ":": (130, 130, "binary2"),
    "^": (150, 139, "binary2"), "$": (170, 170, "dollar"), "@": (170, 170, "dollar"),
    "::": (180, 180, "binary2"), ":::": (180, 180, "binary2"),
}
_PREFIX = {"-": 140, "+": 140, "!": 80, "~": 50}
_POSTFIX_BP = 160  # calls and indexing


def _binary_info(op: str) -> tuple[int, int, str]:
    if op.startswith("%"):
        # R prints its own %% and %/% unspaced, every other %op% spaced
        return 120, 120, ("binary2" if op in ("%%", "%/%") else "binary")
    return _BINARY[op]


def _unescape(body: str) -> str:
    table = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'",
             "`": "`", " ": " "}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(1)), body)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RSyntaxError(f"unexpected {text[pos]!r} at {pos} in {text!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise RSyntaxError(f"expected {value or 'more'}, got {tok[1] if tok else 'the end'}")
        self.i += 1
        return tok

    def expr(self, rbp: int = 0) -> Node:
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "op":
                return left
            op = "^" if tok[1] == "**" else tok[1]
            if op in ("(", "[", "[["):
                if _POSTFIX_BP <= rbp:
                    return left
                self.take()
                left = self.postfix(left, op)
                continue
            if op in ("->", "->>", "?") or (op not in _BINARY and not op.startswith("%")):
                if op in (")", "]", ",") or op == "]]":
                    return left
                raise RSyntaxError(f"operator {op!r} is not supported here")
            lbp, nbp, kind = _binary_info(op)
            if lbp <= rbp:
                return left
            self.take()
            right = self.expr(nbp)
            if kind == "pipe":
                if not isinstance(right, Call) or right.kind != "call":
                    raise RSyntaxError("the right-hand side of |> must be a call")
                left = Call(right.fn, (Arg(None, left),) + right.args)
            else:
                left = Call(Sym(op), (Arg(None, left), Arg(None, right)), kind)

    def prefix(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            if text.endswith("L"):
                return Num(float(int(text[:-1], 0) if text[:2].lower() == "0x" else float(text[:-1])),
                           integer=True)
            return Num(float(int(text, 16)) if text[:2].lower() == "0x" else float(text))
        if kind == "str":
            return Str(_unescape(text[1:-1]))
        if kind == "bq":
            return Sym(_unescape(text[1:-1]))
        if kind == "name":
            if text in _CONSTANTS:
                return Const(text)
            if text in _RESERVED:
                raise RSyntaxError(f"{text!r} is not supported here")
            return Sym(text)
        if text == "(":
            inner = self.expr()
            self.take(")")
            return Call(Sym("("), (Arg(None, inner),), "paren")
        if text in _PREFIX:
            operand = self.expr(_PREFIX[text])
            return Call(Sym(text), (Arg(None, operand),), "unary")
        raise RSyntaxError(f"unexpected {text!r}")

    def postfix(self, fn: Node, op: str) -> Node:
        close = {"(": ")", "[": "]", "[[": "]]"}[op]
        args: list[Arg] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise RSyntaxError(f"missing {close!r}")
            if tok[1] == close or (close == "]]" and tok[1] == "]"):
                break
            name = None
            nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
            if tok[0] in ("name", "bq", "str") and nxt is not None and nxt[1] == "=":
                name = _unescape(tok[1][1:-1]) if tok[0] != "name" else tok[1]
                self.i += 2
            tok = self.peek()
            value = None if tok is not None and tok[1] in (",", close) else self.expr(20)
            args.append(Arg(name, value))
            if self.peek() is not None and self.peek()[1] == ",":
                self.take()
                if self.peek() is not None and self.peek()[1] == close:
                    args.append(Arg(None, None))
        if close == "]]":
            # the tokenizer reads "]]" as two "]"
            self.take("]")
            self.take("]")
        else:
            self.take(close)
        kind = {"(": "call", "[": "subset", "[[": "subset2"}[op]
        return Call(fn, tuple(args), kind)


def parse_r(text: str) -> Node:
    """Parse one R expression.

    Examples
    --------
    >>> parse_r("y~x")
    Call(fn=Sym(name='~'), args=(Arg(name=None, value=Sym(name='y')), Arg(name=None, value=Sym(name='x'))), kind='binary')
    """
    p = _Parser(text)
    if not p.toks:
        raise RSyntaxError("empty expression")
    node = p.expr()
    if p.peek() is not None:
        raise RSyntaxError(f"unexpected {p.peek()[1]!r} after the expression")
    return node
