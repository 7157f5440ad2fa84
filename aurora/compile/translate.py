"""Translate R expression text into the Python text formulaic evaluates, and formulaic's
column names back into the names R prints.

R and Python disagree on a few spellings inside calls: ``^`` is power in R (``I(x^2)``),
``TRUE``/``FALSE``, and contrast names in ``C(f, sum)``. Coefficient names follow R:
``fB`` for level ``B`` of factor ``f`` (treatment contrasts), ``x1:fB``, ``poly(x, 3)1``,
``C(f, sum)1``, ``(Intercept)``.
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["to_python", "tokenize", "function_calls", "r_column_name", "normalise_factor", "NumericLevels", "split_top_level"]

_CONTRASTS = {"sum": "contr.sum", "treatment": "contr.treatment", "helmert": "contr.helmert",
              "poly": "contr.poly"}


# R spellings of functions whose names are not Python identifiers
_FUNCTION_NAMES = {"as.factor": "as_factor", "as.numeric": "as_numeric", "as.integer": "as_numeric",
                   "as.double": "as_numeric", "as.logical": "as_logical"}
_CONSTANTS = {"TRUE": "True", "FALSE": "False", "T": "True", "F": "False", "pi": "pi"}
_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<backtick>`(?:[^`\\]|\\.)+`)
  | (?P<number>0[xX][0-9a-fA-F]+L?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?L?)
  | (?P<name>(?:[^\W\d_]|\.(?![0-9]))[\w.]*)
  | (?P<op>%[^%\s]*%|==|!=|<=|>=|&&|\|\||\*\*|[-+*/^<>!&|(),=\[\]:~])
  | (?P<space>\s+)
""", re.VERBOSE)


def tokenize(expr: str) -> list[tuple[str, str, int]]:
    """Split R expression text into ``(kind, text, offset)`` tokens.

    Examples
    --------
    >>> [t[1] for t in tokenize("log(x, base = 10)")]
    ['log', '(', 'x', ',', 'base', '=', '10', ')']
    """
    out, pos = [], 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            out.append(("op", expr[pos], pos))
            pos += 1
            continue
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    return out


def function_calls(expr: str) -> list[tuple[str, int]]:
    """Names of the functions called in ``expr``, with their offsets.

    Examples
    --------
    >>> function_calls("log(x + 1) + foo(z)")
    [('log', 0), ('foo', 13)]
    """
    toks = tokenize(expr)
    return [(t[1], t[2]) for i, t in enumerate(toks)
            if t[0] == "name" and i + 1 < len(toks) and toks[i + 1][1] == "("]


def to_python(expr: str) -> str:
    """Return the Python spelling (for formulaic) of an R expression.

    R's ``^`` is power, ``TRUE``/``FALSE`` are Python's, function names and argument
    names with dots (``as.factor``, ``Boundary.knots``) get underscores, ``!`` is ``~``,
    and column names that are not Python identifiers are quoted with backticks.

    Examples
    --------
    >>> to_python("I(x^2)")
    'I(x ** 2)'
    >>> to_python("C(f, sum)")
    'C(f, contr.sum)'
    >>> to_python('as.factor(x.1) + ns(x, Boundary.knots = c(0, 1))')
    'as_factor(`x.1`) + ns(x, Boundary_knots=c(0, 1))'
    >>> to_python('ifelse(a > 1 & !b == 2, 1, 0)')
    'ifelse((a > 1) & (~(b == 2)), 1, 0)'
    """
    toks = tokenize(expr)
    out: list[str] = []
    depth_call: list[str] = []  # the function name of each open parenthesis ("" for grouping)
    for i, (kind, text, _) in enumerate(toks):
        nxt = toks[i + 1][1] if i + 1 < len(toks) else ""
        prev = toks[i - 1][1] if i else ""
        if kind == "name":
            if nxt == "(":
                out.append(_FUNCTION_NAMES.get(text, text))
            elif nxt == "=" and depth_call and depth_call[-1]:
                out.append(text.replace(".", "_") + "=")
                continue
            elif text in _CONSTANTS:
                out.append(_CONSTANTS[text])
            elif (depth_call and depth_call[-1] == "C" and prev == ","
                  and text in _CONTRASTS):
                out.append(_CONTRASTS[text])
            elif text.isidentifier() or text.startswith("contr."):
                out.append(text)
            else:
                out.append(f"`{text}`")
        elif kind == "op":
            if text == "(":
                depth_call.append(prev if toks[i - 1][0] == "name" and i else "")
                out.append("(")
            elif text == ")":
                if depth_call:
                    depth_call.pop()
                out.append(")")
            elif text == "=":
                continue  # already attached to its keyword
            elif text in ("^", "**"):
                out.append(" ** ")
            elif text == "!":
                out.append("~")
            elif text in ("&&", "||"):
                out.append(f" {text[0]} ")
            elif text == ",":
                out.append(", ")
            elif text in ("-", "+") and (not out or prev in ("(", ",", "=") or
                                         (toks[i - 1][0] == "op" and prev not in (")", "]"))):
                out.append(text)  # unary
            elif text in ("[", "]"):
                out.append(text)
            else:
                out.append(f" {text} ")
        elif kind == "number":
            out.append(text[:-1] if text.endswith("L") else text)
        else:
            out.append(text)
    return _logical_precedence("".join(out).replace("  ", " "))


def _top_level_split(text: str, seps: str) -> list[tuple[str, str]]:
    """Split at single-character separators outside brackets, quotes and backticks;
    returns ``(separator_before, segment)`` pairs."""
    parts, depth, quote, cur, sep = [], 0, None, [], ""
    for ch in text:
        if quote:
            cur.append(ch)
            quote = None if ch == quote else quote
            continue
        if ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth == 0 and ch in seps:
            parts.append((sep, "".join(cur)))
            cur, sep = [], ch
            continue
        cur.append(ch)
    parts.append((sep, "".join(cur)))
    return parts


def _logical_precedence(text: str) -> str:
    """Give R's precedence to Python text: in R, ``&``/``|`` bind looser than comparisons
    and ``!`` looser than comparisons too, unlike Python's ``&``, ``|`` and ``~``."""
    out, i, quote = [], 0, None
    # first the contents of every bracket, recursively
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            quote = None if ch == quote else quote
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if ch in "([":
            close = ")" if ch == "(" else "]"
            depth, j, q = 0, i, None
            while j < len(text):
                c = text[j]
                if q:
                    q = None if c == q else q
                elif c in "'\"`":
                    q = c
                elif c in "([":
                    depth += 1
                elif c in ")]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            inner = ", ".join(_logical_precedence(seg.strip())
                              for _, seg in _top_level_split(text[i + 1:j], ","))
            out.append(ch + inner + close)
            i = j + 1
            continue
        out.append(ch)
        i += 1
    text = "".join(out)
    segments = _top_level_split(text, "&|")
    if len(segments) == 1:
        return _negation(text)
    return "".join((f" {sep} " if sep else "") + f"({_negation(seg.strip())})"
                   for sep, seg in segments)


def _negation(text: str) -> str:
    text = text.strip()
    if text.startswith("~") and not text[1:].strip().startswith("("):
        return f"~({_negation(text[1:])})"
    return text


@lru_cache(maxsize=4096)
def normalise_factor(py_expr: str) -> str:
    """formulaic's canonical text of a single factor expression (used to match names)."""
    from formulaic import Formula

    terms = [str(t) for t in Formula(py_expr)]
    return terms[-1] if terms else py_expr


class NumericLevels(tuple):
    """Levels of a numeric column used as a factor, as formulaic labels them (``6.0``)."""


_INTEGRAL_FLOAT = re.compile(r"^-?\d+\.0$")
_TAG = re.compile(r"^(?P<tag>[A-Z]\.)?(?P<level>.*)$", re.S)


class _LevelMatch:
    def __init__(self, base: str, tag: str | None, level: str) -> None:
        self._groups = {"base": base, "tag": tag, "level": level}

    def group(self, name: str) -> str | None:
        return self._groups[name]


class _Level:
    """Split formulaic's ``base[T.level]`` at the first ``[`` outside parentheses (a
    level may itself hold brackets: ``cut(x, 3)[T.(2.99,5.97]]``)."""

    @staticmethod
    def match(part: str) -> _LevelMatch | None:
        if not part.endswith("]"):
            return None
        depth, quote = 0, None
        for i, ch in enumerate(part):
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"`":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "[" and depth == 0 and i > 0:
                m = _TAG.match(part[i + 1:-1])
                return _LevelMatch(part[:i], m.group("tag"), m.group("level"))
        return None


_LEVEL = _Level()


def r_column_name(
    formulaic_name: str,
    r_text: dict[str, str],
    levels: dict[str, tuple[str, ...]],
) -> str:
    """Map one formulaic column name to R's coefficient name.

    Parameters
    ----------
    formulaic_name : str
        e.g. ``"x1:f[T.B]"``.
    r_text : dict
        formulaic factor text → R text (``"I(x ** 2)" → "I(x^2)"``).
    levels : dict
        formulaic factor text → its levels (to number sum/helmert contrasts as R does).

    Examples
    --------
    >>> r_column_name("x1:f[T.B]", {"x1": "x1", "f": "f"}, {})
    'x1:fB'
    """
    if formulaic_name == "Intercept":
        return "(Intercept)"
    parts = split_top_level(formulaic_name, ":")
    out = []
    for part in parts:
        m = _LEVEL.match(part)
        if m is None:
            out.append(r_text.get(part, part))
            continue
        base, tag, level = m.group("base"), m.group("tag"), m.group("level")
        name = r_text.get(base, base)
        if tag in ("S.", "H.") and base in levels:
            lv = levels[base]
            idx = lv.index(level) + (1 if tag == "S." else 0) if level in lv else level
            out.append(f"{name}{idx}")
        else:
            numeric = not levels.get(base) or isinstance(levels.get(base), NumericLevels)
            if numeric and _INTEGRAL_FLOAT.match(level):
                level = level[:-2]  # a numeric column used as a factor: R prints 6, not 6.0
            out.append(f"{name}{level}")
    return ":".join(out)


def split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside brackets and parentheses.

    Examples
    --------
    >>> split_top_level("x1:poly(x, 2)[1]", ":")
    ['x1', 'poly(x, 2)[1]']
    """
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts
