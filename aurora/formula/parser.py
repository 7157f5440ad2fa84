"""``parse(text) -> Formula``: grammar, transformer and desugaring in one call.

Every failure, whatever Lark raised, comes out as :class:`FormulaSyntaxError` with the
formula, a caret under the offending character and a hint.
"""
from __future__ import annotations

from lark import Token
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from aurora.errors import FormulaSyntaxError
from aurora.formula._grammar import get_parser
from aurora.formula.ast import Formula
from aurora.formula.desugar import desugar
from aurora.formula.transformer import FormulaTransformer

__all__ = ["parse"]

_CLOSER = {"(": ")", "[": "]"}
_OPENER = {")": "(", "]": "["}
_QUOTES = "\"'`"
_OPERATORS = ("||", "**", "&&", "+", "-", "*", "/", ":", "^", "|", "&", "!", "=", "<", ">", ",")


def parse(text: str) -> Formula:
    """Parse an R-style model formula.

    Parameters
    ----------
    text : str
        A formula such as ``"y ~ x + s(z, k = 20) + (1 | g)"``; the response is optional
        (``"~ x"``).

    Returns
    -------
    Formula
        Immutable AST with sugar expanded (``a*b`` gives ``a + b + a:b``); ``str()`` of it
        is canonical R text that parses back to an equal formula.

    Raises
    ------
    FormulaSyntaxError
        On any invalid text, with a caret under the problem and a suggested fix.

    Examples
    --------
    >>> f = parse("log(y) ~ x*f + s(z, bs='cr') + (1 | g)")
    >>> f.response.kind, [str(t) for t in f.terms]
    ('transform', ['x', 'f', 'x:f', 's(z, bs = "cr")', '(1 | g)'])
    >>> str(parse("y ~ poly(x,3) - 1"))
    'y ~ poly(x, 3) - 1'
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula must be a str, not {type(text).__name__}")
    if not text.strip():
        raise FormulaSyntaxError("the formula is empty", text, 0, "write a formula such as 'y ~ x'")
    try:
        tree = get_parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except LarkError as exc:  # pragma: no cover - Lark raises UnexpectedInput for bad text
        raise FormulaSyntaxError(f"the formula could not be parsed ({exc})", text, 0) from None
    try:
        return desugar(FormulaTransformer(text).transform(tree))
    except VisitError as exc:
        if isinstance(exc.orig_exc, FormulaSyntaxError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, RecursionError):
            raise _too_deep(text) from None
        position = getattr(getattr(exc.obj, "meta", None), "start_pos", 0) or 0
        raise FormulaSyntaxError(
            f"the formula could not be read ({exc.orig_exc})", text, position
        ) from exc.orig_exc
    except RecursionError:
        raise _too_deep(text) from None


def _too_deep(text: str) -> FormulaSyntaxError:
    return FormulaSyntaxError(
        "the formula is nested too deeply to be read", text, 0, "simplify the nested expressions"
    )


def _scan(text: str) -> tuple[list[int], tuple[int, str | None] | None, int | None, list[int]]:
    """Brackets outside strings: unclosed openers, the first closer that matches no opener
    (with the closer that was due instead), an unterminated quote, depth at each character."""
    stack: list[int] = []
    expected: str | None = None
    depth: list[int] = []
    unmatched: int | None = None
    quote_at: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        depth.append(len(stack))
        if quote_at is not None:
            if ch == "\\":
                depth.append(len(stack))
                i += 1
            elif ch == text[quote_at]:
                quote_at = None
        elif ch in _QUOTES:
            quote_at = i
        elif ch in _CLOSER:
            stack.append(i)
        elif ch in _OPENER:
            if stack and text[stack[-1]] == _OPENER[ch]:
                stack.pop()
                depth[-1] = len(stack)
            elif unmatched is None:
                unmatched = i
                expected = _CLOSER[text[stack[-1]]] if stack else None
        i += 1
    depth.append(len(stack))
    return stack, None if unmatched is None else (unmatched, expected), quote_at, depth


def _last_operator(text: str) -> str | None:
    stripped = text.rstrip()
    return next((op for op in _OPERATORS if stripped.endswith(op)), None)


def _syntax_error(text: str, exc: UnexpectedInput) -> FormulaSyntaxError:
    openers, unmatched, quote_at, depth = _scan(text)
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        char = text[pos]
        if quote_at is not None and pos == quote_at:
            kind = "name" if char == "`" else "string"
            return FormulaSyntaxError(
                f"this {kind} is never closed", text, pos, f"add the closing {char} after it"
            )
        return FormulaSyntaxError(
            f"unexpected character {char!r}",
            text,
            pos,
            "remove it; a column name with special characters goes in backticks, e.g. `my var`",
        )
    token = exc.token if isinstance(exc, UnexpectedToken) else Token("$END", "")
    if token.type == "$END":
        return _end_error(text, openers)
    pos = token.start_pos or 0
    value = str(token)
    if token.type in ("RPAR", "RSQB") and unmatched is not None and unmatched[0] == pos:
        if unmatched[1] is not None:
            return FormulaSyntaxError(
                f"unbalanced brackets: {value!r} where {unmatched[1]!r} was due",
                text, pos, f"add the missing {unmatched[1]!r} before it",
            )  # fmt: skip
        return FormulaSyntaxError(
            f"unmatched {value!r}", text, pos, f"remove it or add the matching {_OPENER[value]!r}"
        )
    if token.type == "TILDE":
        if "~" in text[:pos]:
            return FormulaSyntaxError(
                "a formula has only one '~'", text, pos, "remove the extra '~'"
            )
        return FormulaSyntaxError(
            "'~' can only separate the response from the terms", text, pos,
            "write the formula as 'response ~ terms'",
        )  # fmt: skip
    if token.type == "BAR" and depth[pos] == 0:
        return FormulaSyntaxError(
            f"a random-effect term needs parentheses around it: '{value}' is outside them",
            text, pos, "write e.g. y ~ x + (1 | g)",
        )  # fmt: skip
    if token.type == "EQUAL":
        return FormulaSyntaxError(
            "'=' can only name an argument inside a call", text, pos,
            "write options inside the call, e.g. s(x, k = 10); use '==' to compare",
        )  # fmt: skip
    if token.type == "COMMA" and depth[pos] == 0:
        return FormulaSyntaxError(
            "',' can only separate the arguments of a call", text, pos, "join terms with '+'"
        )
    before = text[:pos].rstrip()
    if token.type in ("NAME", "NUMBER", "BACKTICK", "STRING", "LPAR") and before and (
        before[-1].isalnum() or before[-1] in "._)]`'\""
    ):
        return FormulaSyntaxError(
            f"missing operator before {value!r}",
            text,
            pos,
            "join terms with '+' (e.g. 'a + b'); interactions use ':' or '*'",
        )
    return FormulaSyntaxError(
        f"unexpected {value!r}", text, pos, _expected_hint(exc)
    )


def _end_error(text: str, openers: list[int]) -> FormulaSyntaxError:
    if openers:
        pos = openers[-1]
        close = _CLOSER[text[pos]]
        return FormulaSyntaxError(
            f"unbalanced parenthesis: this {text[pos]!r} is never closed",
            text,
            pos,
            f"add the missing {close!r}",
        )
    end = len(text.rstrip())
    if "~" not in text:
        return FormulaSyntaxError(
            "a formula needs '~' between the response and the terms",
            text,
            end,
            "write e.g. 'y ~ x', or '~ x' without a response",
        )
    op = _last_operator(text)
    if op is None and text.rstrip().endswith("~"):
        return FormulaSyntaxError(
            "the formula ends after '~': the right-hand side is missing",
            text,
            end,
            "add terms after '~', e.g. 'y ~ x', or 'y ~ 1' for an intercept-only model",
        )
    if op is not None:
        return FormulaSyntaxError(
            f"the formula ends after {op!r}: a term is missing",
            text,
            end,
            f"add a term after {op!r} or remove it",
        )
    return FormulaSyntaxError("unexpected end of the formula", text, end)


_READABLE = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "BACKTICK": "a name",
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "COMMA": "','",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "COLON": "':'",
    "TILDE": "'~'", "BAR": "'|'", "POW": "'^'", "EQUAL": "'='",
}  # fmt: skip


def _expected_hint(exc: UnexpectedInput) -> str | None:
    expected = sorted(
        {_READABLE[name] for name in getattr(exc, "expected", ()) or () if name in _READABLE}
    )
    if not expected:
        return None
    if len(expected) == 1:
        return f"expected {expected[0]}"
    return f"expected {', '.join(expected[:-1])} or {expected[-1]}"
