"""R's ``deparse`` of an expression tree from :mod:`aurora.report._rparse` (deparse.c).

Binary operators are spaced (``y ~ a * b``, ``x == 2``) except ``/ ^ : %% %/%`` and
``::``; arguments are separated by ``", "`` and named ones written ``name = value``;
numbers carry 15 significant digits; strings are double-quoted; non-syntactic names are
backticked. A line is ended after an argument's comma, or after a spaced binary
operator, once it is longer than ``cutoff`` (60) characters, and the next starts
indented four spaces more (two beyond the fourth level), as R's ``linebreak`` does.
"""
from __future__ import annotations

import math

from aurora.report._rparse import Arg, Call, Const, Node, Num, RSyntaxError, Str, Sym, \
    is_syntactic, parse_r

__all__ = ["CUTOFF", "deparse", "deparse_number", "deparse_formula", "Verbatim", "parse_or_none",
           "expr"]

CUTOFF = 60


def deparse_number(x: float, integer: bool = False) -> str:
    """One number as R's ``deparse`` writes it (15 significant digits, fixed or
    scientific, whichever is narrower).

    Examples
    --------
    >>> [deparse_number(v) for v in (3.0, 0.5, 1e-3, 1e5, 1/3, 123456789012, -2.5)]
    ['3', '0.5', '0.001', '1e+05', '0.333333333333333', '123456789012', '-2.5']
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if integer:
        return f"{int(x)}L"
    if x == 0:
        return "0"
    mant, exp = f"{abs(x):.14e}".split("e")
    kp = int(exp)
    digits = mant.replace(".", "").rstrip("0")
    nsig = max(len(digits), 1)
    neg = x < 0
    rgt = max(0, nsig - kp - 1)
    width_fixed = neg + max(kp + 1, 1) + (rgt + 1 if rgt else 0)
    width_sci = neg + (nsig + 1 if nsig > 1 else 1) + (5 if abs(kp) >= 100 else 4)
    if width_fixed <= width_sci:
        return f"{x:.{rgt}f}"
    m = digits[0] + ("." + digits[1:] if nsig > 1 else "")
    return f"{'-' if neg else ''}{m}e{'-' if kp < 0 else '+'}{abs(kp):02d}"


def _quote(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def _name(s: str) -> str:
    return s if is_syntactic(s) else "`" + s.replace("`", "\\`") + "`"


class _Deparser:
    """R's ``deparse2buff`` for the subset of calls :mod:`_rparse` reads (deparse.c)."""

    def __init__(self, cutoff: int) -> None:
        self.cutoff = cutoff
        self.lines: list[str] = []
        self.cur = ""
        self.len = 0
        self.indent = 0
        self.startline = True

    def put(self, s: str) -> None:
        if self.startline:
            self.startline = False
            for i in range(1, self.indent + 1):
                self.put("    " if i <= 4 else "  ")
        self.cur += s
        self.len += len(s)

    def writeline(self) -> None:
        self.lines.append(self.cur)
        self.cur, self.len, self.startline = "", 0, True

    def linebreak(self, state: list[bool]) -> None:
        if self.len > self.cutoff:
            if not state[0]:
                state[0] = True
                self.indent += 1
            self.writeline()

    def args(self, args: Sequence[Arg]) -> None:
        state = [False]
        for i, a in enumerate(args):
            if a.name is not None:
                self.put(_name(a.name) + " = ")
            if a.value is not None:
                self.node(a.value)
            if i < len(args) - 1:
                self.put(", ")
                self.linebreak(state)
        if state[0]:
            self.indent -= 1

    def node(self, n: Node) -> None:
        if isinstance(n, Verbatim):
            self.put(n.name)
        elif isinstance(n, Sym):
            self.put(_name(n.name))
        elif isinstance(n, Num):
            self.put(deparse_number(n.value, n.integer))
        elif isinstance(n, Str):
            self.put(_quote(n.value))
        elif isinstance(n, Const):
            self.put(n.text)
        else:
            self.call(n)

    def call(self, c: Call) -> None:
        op = c.fn.name if isinstance(c.fn, Sym) else ""
        vals = [a.value for a in c.args]
        if c.kind in ("binary", "assign") and len(vals) == 2:
            self.node(vals[0])
            self.put(f" {op} ")
            state = [False]
            if c.kind == "binary":
                self.linebreak(state)
            self.node(vals[1])
            if state[0]:
                self.indent -= 1
        elif c.kind == "binary2" and len(vals) == 2:
            self.node(vals[0])
            self.put(op)
            self.node(vals[1])
        elif c.kind == "dollar" and len(vals) == 2:
            self.node(vals[0])
            self.put(op)
            self.node(vals[1])
        elif c.kind == "unary" and len(vals) == 1:
            self.put(op)
            self.node(vals[0])
        elif c.kind == "paren":
            self.put("(")
            self.node(vals[0])
            self.put(")")
        elif c.kind in ("subset", "subset2"):
            self.node(c.fn)
            self.put("[" if c.kind == "subset" else "[[")
            self.args(c.args)
            self.put("]" if c.kind == "subset" else "]]")
        else:
            if isinstance(c.fn, Sym):
                self.put(_name(c.fn.name))
            else:
                self.node(c.fn)
            self.put("(")
            self.args(c.args)
            self.put(")")

    def result(self) -> list[str]:
        if self.cur or not self.lines:
            self.lines.append(self.cur)
        return self.lines


def deparse(node: Node, cutoff: int = CUTOFF) -> str:
    """Print an expression tree as R's ``deparse`` (lines joined by newlines)."""
    d = _Deparser(cutoff)
    d.node(node)
    return "\n".join(d.result())


class Verbatim(Sym):
    """Text printed as it is (never backticked): what R could not parse."""


def parse_or_none(text: str) -> Node | None:
    try:
        return parse_r(text)
    except RSyntaxError:
        return None


def expr(text: str) -> Node:
    """The tree of ``text``; text R cannot read is kept as written (one name)."""
    node = parse_or_none(text)
    return node if node is not None else Verbatim(" ".join(text.split()))


def deparse_formula(text: str, cutoff: int = 500) -> str:
    """A formula as R prints it: ``deparse(y~x+I(x^2))`` is ``y ~ x + I(x^2)``.

    Text that is not an R expression comes back whitespace-normalised.

    Examples
    --------
    >>> deparse_formula("Days~Eth*Lrn + offset(log(x))")
    'Days ~ Eth * Lrn + offset(log(x))'
    >>> deparse_formula("y ~ poly(x,3) + ns(x,df=3) - 1")
    'y ~ poly(x, 3) + ns(x, df = 3) - 1'
    """
    node = parse_or_none(text)
    if node is None:
        return " ".join(text.split())
    return deparse(node, cutoff)
