"""Bad formulas raise FormulaSyntaxError with the caret under the offending character."""
from __future__ import annotations

import pytest

from aurora.errors import AuroraError
from aurora.formula import FormulaSyntaxError, parse

# (formula, position of the caret, words the message must contain, words the fix must contain)
BAD = [
    ("", 0, "empty", "y ~ x"),
    ("y ~", 3, "right-hand side is missing", "y ~ 1"),
    ("y ~   ", 3, "right-hand side is missing", "y ~ 1"),
    ("~~", 1, "only one '~'", "remove"),
    ("y ~ x ~ z", 6, "only one '~'", "remove"),
    ("y + x", 5, "needs '~'", "~ x"),
    ("y ~ s(x", 5, "unbalanced parenthesis", "')'"),
    ("y ~ s(x, k = c(5, 5)", 5, "unbalanced parenthesis", "')'"),
    ("y ~ (x + z", 4, "unbalanced parenthesis", "')'"),
    ("y ~ te(x, z, k = [5, 5)", 22, "')' where ']' was due", "']'"),
    ("y ~ x)", 5, "unmatched ')'", "'('"),
    ("y ~ x +", 7, "ends after '+'", "add a term"),
    ("y ~ x *", 7, "ends after '*'", "add a term"),
    ("y ~ x y", 6, "missing operator before 'y'", "'+'"),
    ("y ~ x $ z", 6, "unexpected character '$'", "backticks"),
    ("y ~ x | g", 6, "parentheses", "(1 | g)"),
    ("y ~ x = 3", 6, "'='", "s(x, k = 10)"),
    ("y ~ x, z", 5, "','", "'+'"),
    ("y ~ 'abc", 4, "never closed", "'"),
    ("y ~ `abc", 4, "never closed", "`"),
    ("y ~ s(x, foo = 3)", 9, "unknown option 'foo' for s()", "k, fx, bs, m, by, xt, id, sp, pc"),
    ("y ~ te(x, z, kk = c(5, 5))", 13, "unknown option 'kk' for te()", "k, fx, bs"),
    ("y ~ s(x, k = 5, k = 6)", 16, "given twice", "keep one"),
    ('y ~ s(x, k = "a")', 13, "invalid value", "whole number"),
    ("y ~ s(x, k = 5.5)", 13, "invalid value", "whole number"),
    ("y ~ s(x, bs = cr)", 14, "invalid value cr", 'bs = "cr"'),
    ("y ~ s(x, fx = 2)", 14, "invalid value", "TRUE or FALSE"),
    ("y ~ s(x, by = 3)", 14, "invalid value", "by = f"),
    ("y ~ s(x, 10)", 9, "column names", "k = 10"),
    ("y ~ s(log(x))", 6, "column names", "column"),
    ("y ~ s()", 4, "at least one covariate", "s(x)"),
    ("y ~ s(x, x)", 9, "appears twice", "once"),
    ("y ~ s(x):f", 4, "interaction", "by = f"),
    ("y ~ x*(1 | g)", 6, "interaction", "(1 | a:b)"),
    ("y ~ offset(w):x", 4, "interaction", "offset"),
    ("y ~ 1:x", 4, "intercept", "1 + x"),
    ("y ~ (0 | g)", 4, "no intercept and no slopes", "(1 | g)"),
    ("y ~ (s(x) | g)", 5, "left of '|'", "(1 + t | g)"),
    ("y ~ (1 | log(g))", 9, "grouping factor", "(1 | a/b)"),
    ("y ~ (1 | a + b)", 9, "grouping factor", "(1 | a) + (1 | b)"),
    ("y ~ 2", 4, "the number 2", "I(...)"),
    ('y ~ "x"', 4, "string", "backticks"),
    ("y ~ x %% z", 6, "%%", "%in%"),
    ("y ~ (a + b)^0", 12, "positive whole number", "(a + b)^2"),
    ("y ~ (a + b)^1.5", 12, "positive whole number", "(a + b)^2"),
    ("1 ~ x", 0, "does not name a column", "y ~ x"),
    ("y ~ offset(a, b)", 4, "exactly one", "offset(log(exposure))"),
    ("y ~ [x]", 4, "unexpected '['", "expected"),
]


@pytest.mark.parametrize(("text", "position", "message", "fix"), BAD)
def test_error_caret_and_hint(text: str, position: int, message: str, fix: str) -> None:
    with pytest.raises(FormulaSyntaxError) as info:
        parse(text)
    err = info.value
    assert err.position == position
    assert err.formula == text
    assert message in err.message
    assert err.fix is not None and fix in err.fix
    lines = str(err).splitlines()
    assert lines[1] == f"  {text}"
    assert lines[2] == "  " + " " * position + "^"
    assert lines[3].startswith("  Fix: ")


def test_error_is_an_aurora_error() -> None:
    with pytest.raises(AuroraError):
        parse("y ~ s(x")


def test_caret_under_unclosed_parenthesis_of_nested_call() -> None:
    text = "y ~ x + s(z, k = c(5, 5) + w"
    with pytest.raises(FormulaSyntaxError) as info:
        parse(text)
    assert text[info.value.position] == "("
    assert info.value.position == 9
