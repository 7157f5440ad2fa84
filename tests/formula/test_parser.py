"""Table-driven tests of ``aurora.formula.parse`` over every form in SPEC section 1."""
from __future__ import annotations

import doctest
import importlib

import pytest

from aurora.formula import (
    Formula,
    FormulaSyntaxError,
    Offset,
    ParametricTerm,
    RandomEffect,
    Response,
    Smooth,
    Span,
    parse,
)


def P(expr: str, *variables: str, factors: tuple[str, ...] | None = None) -> ParametricTerm:
    """A parametric term; factors default to splitting a plain interaction on ':'."""
    return ParametricTerm(expr, factors or tuple(expr.split(":")), variables or (expr,))


def RE(group: str, *slopes: str, intercept: bool = True, correlated: bool = True) -> RandomEffect:
    terms = tuple(P(s, *s.split(":")) for s in slopes)
    return RandomEffect(intercept, terms, tuple(group.split(":")), correlated)


# ----------------------------------------------------------------------------- responses
RESPONSES = [
    ("y ~ x", Response("y", "variable", ("y",))),
    ("log(y) ~ x", Response("log(y)", "transform", ("y",))),
    ("cbind(succ, fail) ~ x", Response("cbind(succ, fail)", "cbind", ("succ", "fail"))),
    ("cbind(s, n - s) ~ x", Response("cbind(s, n - s)", "cbind", ("s", "n"))),
    ("I(y/n) ~ x", Response("I(y/n)", "transform", ("y", "n"))),
    ("sqrt( y+1 ) ~ x", Response("sqrt(y + 1)", "transform", ("y",))),
    ("`my y` ~ x", Response("`my y`", "variable", ("my y",))),
    ("y.1 ~ x", Response("y.1", "variable", ("y.1",))),
    ("~ x", None),
]


@pytest.mark.parametrize(("text", "response"), RESPONSES)
def test_response(text: str, response: Response | None) -> None:
    assert parse(text).response == response


# ----------------------------------------------------------------------------- parametric
PARAMETRIC = [
    ("y ~ x", [P("x")], True),
    ("y ~ x1:x2", [P("x1:x2", "x1", "x2")], True),
    ("y ~ x1*x2", [P("x1"), P("x2"), P("x1:x2", "x1", "x2")], True),
    ("y ~ a*b*c", [P("a"), P("b"), P("c"), P("a:b", "a", "b"), P("a:c", "a", "c"),
                   P("b:c", "b", "c"), P("a:b:c", "a", "b", "c")], True),
    ("y ~ (a + b)^2", [P("a"), P("b"), P("a:b", "a", "b")], True),
    ("y ~ (a + b + c)^2", [P("a"), P("b"), P("c"), P("a:b", "a", "b"), P("a:c", "a", "c"),
                           P("b:c", "b", "c")], True),
    ("y ~ (a + b)**2", [P("a"), P("b"), P("a:b", "a", "b")], True),
    ("y ~ a/b", [P("a"), P("a:b", "a", "b")], True),
    ("y ~ (a + b)/c", [P("a"), P("b"), P("a:b:c", "a", "b", "c")], True),
    ("y ~ a %in% b", [P("a:b", "a", "b")], True),
    ("y ~ b:a + a:b", [P("b:a", "b", "a")], True),
    ("y ~ x:x", [P("x")], True),
    ("y ~ C(f)", [P("C(f)", "f")], True),
    ("y ~ C(f, sum)", [P("C(f, sum)", "f")], True),
    ("y ~ C(f,contr.treatment)", [P("C(f, contr.treatment)", "f")], True),
    ("y ~ I(x^2)", [P("I(x^2)", "x")], True),
    ("y ~ I(x ^ 2)", [P("I(x^2)", "x")], True),
    ("y ~ I(x**2)", [P("I(x**2)", "x")], True),
    ("y ~ poly(x,3)", [P("poly(x, 3)", "x")], True),
    ("y ~ poly(x, degree=3, raw=TRUE)", [P("poly(x, degree = 3, raw = TRUE)", "x")], True),
    ("y ~ log(x)", [P("log(x)", "x")], True),
    ("y ~ log(x + 1)", [P("log(x + 1)", "x")], True),
    ("y ~ scale(x) + factor(g)", [P("scale(x)", "x"), P("factor(g)", "g")], True),
    ("y ~ f(g(x, 2*(z+1)), h = [1, 2])", [P("f(g(x, 2 * (z + 1)), h = [1, 2])", "x", "z")], True),
    ("y ~ I(a/b) + I(a %% b) + I(a%in%b)",
     [P("I(a/b)", "a", "b"), P("I(a%%b)", "a", "b"), P("I(a %in% b)", "a", "b")], True),
    ("y ~ I(pi * x) + exp(-x)", [P("I(pi * x)", "x"), P("exp(-x)", "x")], True),
    ("y ~ np.log(x)", [P("np.log(x)", "x")], True),
    ("y ~ log(x):f", [P("log(x):f", "x", "f", factors=("log(x)", "f"))], True),
    ("y ~ `my var` + x.1", [P("`my var`", "my var"), P("x.1")], True),
    ("y ~ x - 1", [P("x")], False),
    ("y ~ x + 0", [P("x")], False),
    ("y ~ 0 + x", [P("x")], False),
    ("y ~ -1 + x", [P("x")], False),
    ("y ~ x - 1 + 1", [P("x")], True),
    ("y ~ x + -1", [P("x")], False),
    ("y ~ 1", [], True),
    ("y ~ 0", [], False),
    ("y ~ -1", [], False),
    ("y ~ a + b - b", [P("a")], True),
    ("y ~ a*b - a:b", [P("a"), P("b")], True),
    ("y ~ - a:b + a*b", [P("a"), P("b"), P("a:b", "a", "b")], True),
    ("y ~ a + b + a", [P("a"), P("b")], True),
    ("y ~ x^2", [P("x")], True),
]


@pytest.mark.parametrize(("text", "terms", "intercept"), PARAMETRIC)
def test_parametric_terms(text: str, terms: list[ParametricTerm], intercept: bool) -> None:
    f = parse(text)
    assert list(f.terms) == terms
    assert f.intercept is intercept
    assert f.parametric == tuple(terms)


def test_offset() -> None:
    f = parse("y ~ x + offset(log(exposure))")
    assert f.offsets == (Offset("log(exposure)", ("exposure",)),)
    assert str(f.offsets[0]) == "offset(log(exposure))"
    assert parse("y ~ offset(w)").terms == (Offset("w", ("w",)),)


# ----------------------------------------------------------------------------- smooths
SMOOTHS = [
    ("s(x)", Smooth("s", ("x",))),
    ("s(x, z)", Smooth("s", ("x", "z"))),
    ('s(x, k=20, bs="cr")', Smooth("s", ("x",), k=20, bs="cr")),
    ("s(x, k = 20, bs = 'cr')", Smooth("s", ("x",), k=20, bs="cr")),
    ("s(x, by=f)", Smooth("s", ("x",), by="f")),
    ("s(x, by='f')", Smooth("s", ("x",), by="f")),
    ("s(x, by=NA)", Smooth("s", ("x",))),
    ('s(x, f, bs="fs")', Smooth("s", ("x", "f"), bs="fs")),
    ('s(g, bs="re")', Smooth("s", ("g",), bs="re")),
    ("te(x, z, k=c(5, 5))", Smooth("te", ("x", "z"), k=(5, 5))),
    ("te(x, z, k=[5, 5])", Smooth("te", ("x", "z"), k=(5, 5))),
    ("te(x, z, k=5)", Smooth("te", ("x", "z"), k=5)),
    ('te(x, z, bs=c("cr", "ps"))', Smooth("te", ("x", "z"), bs=("cr", "ps"))),
    ("te(x, z, bs=['cr', 'ps'])", Smooth("te", ("x", "z"), bs=("cr", "ps"))),
    ("ti(x, z)", Smooth("ti", ("x", "z"))),
    ("t2(x, z)", Smooth("t2", ("x", "z"))),
    ("s(x, m=2)", Smooth("s", ("x",), m=2)),
    ("s(x, m=c(2, 1))", Smooth("s", ("x",), m=(2, 1))),
    ("s(x, fx=TRUE)", Smooth("s", ("x",), fx=True)),
    ("s(x, fx=True)", Smooth("s", ("x",), fx=True)),
    ("s(x, fx=T)", Smooth("s", ("x",), fx=True)),
    ("s(x, fx=FALSE)", Smooth("s", ("x",), fx=False)),
    ("s(x, id=1)", Smooth("s", ("x",), id=1)),
    ("s(x, id='a')", Smooth("s", ("x",), id="a")),
    ("s(x, sp=0.5)", Smooth("s", ("x",), sp=0.5)),
    ("s(x, sp=1)", Smooth("s", ("x",), sp=1.0)),
    ("te(x, z, sp=c(0.1, 2))", Smooth("te", ("x", "z"), sp=(0.1, 2.0))),
    ("s(x, pc=0)", Smooth("s", ("x",), pc=0.0)),
    ("s(x, k=-1)", Smooth("s", ("x",), k=-1)),
    ("s(x, k=10L)", Smooth("s", ("x",), k=10)),
    ("s(x, k=NULL, sp=None)", Smooth("s", ("x",))),
    ("s(x, xt=list(bs='cr'))", Smooth("s", ("x",), xt='list(bs = "cr")')),
    ("s(`my x`, by=`my f`)", Smooth("s", ("my x",), by="my f")),
    ("s(x, k=10, z)", Smooth("s", ("x", "z"), k=10)),
]


@pytest.mark.parametrize(("text", "smooth"), SMOOTHS)
def test_smooth(text: str, smooth: Smooth) -> None:
    f = parse(f"y ~ {text}")
    assert f.terms == (smooth,)
    assert f.smooths == (smooth,)


def test_smooth_option_types() -> None:
    s = parse('y ~ te(x, z, k=c(5, 5), bs=c("cr", "ps"), fx=TRUE, sp=0.5, m=2, by=f)').terms[0]
    assert s.k == (5, 5) and all(type(v) is int for v in s.k)
    assert s.bs == ("cr", "ps")
    assert s.fx is True
    assert s.sp == 0.5 and type(s.sp) is float
    assert s.m == 2 and s.by == "f"


def test_smooth_names_are_not_reserved() -> None:
    """A column may be called s or offset; only calls are special."""
    f = parse("y ~ s + offset + te")
    assert [t.expr for t in f.terms] == ["s", "offset", "te"]


# ----------------------------------------------------------------------------- random effects
RANDOM = [
    ("(1 | g)", [RE("g")]),
    ("(1|g)", [RE("g")]),
    ("(g1 | g)", [RE("g", "g1")]),
    ("(1 + t | g)", [RE("g", "t")]),
    ("(t | g)", [RE("g", "t")]),
    ("(0 + t | g)", [RE("g", "t", intercept=False)]),
    ("(t - 1 | g)", [RE("g", "t", intercept=False)]),
    ("(-1 + t | g)", [RE("g", "t", intercept=False)]),
    ("(1 + t + x:z | g)", [RE("g", "t", "x:z")]),
    ("(t || g)", [RE("g", correlated=False), RE("g", "t", intercept=False, correlated=False)]),
    ("(1 + a + b || g)", [RE("g", correlated=False),
                          RE("g", "a", intercept=False, correlated=False),
                          RE("g", "b", intercept=False, correlated=False)]),
    ("(0 + t || g)", [RE("g", "t", intercept=False, correlated=False)]),
    ("(1 | a/b)", [RE("a"), RE("a:b")]),
    ("(1 | a/b/c)", [RE("a"), RE("a:b"), RE("a:b:c")]),
    ("(t | a/b)", [RE("a", "t"), RE("a:b", "t")]),
    ("(1 | a:b)", [RE("a:b")]),
    ("(1 | a) + (1 | b)", [RE("a"), RE("b")]),
    ("(1 | a/b) + (1 | a)", [RE("a"), RE("a:b")]),
    ("(t || a/b)", [RE("a", correlated=False),
                    RE("a", "t", intercept=False, correlated=False),
                    RE("a:b", correlated=False),
                    RE("a:b", "t", intercept=False, correlated=False)]),
    ("(1 | `my group`)", [RandomEffect(True, (), ("my group",))]),
    ("((1 | g))", [RE("g")]),
]


@pytest.mark.parametrize(("text", "terms"), RANDOM)
def test_random_effects(text: str, terms: list[RandomEffect]) -> None:
    f = parse(f"y ~ x + {text}")
    assert f.terms[0] == P("x")
    assert list(f.random_effects) == terms


def test_mixed_formula_and_variables() -> None:
    f = parse("cbind(s, f) ~ x*z + s(w, by=h) + offset(log(e)) + (1 + t | g) + C(k, sum) - 1")
    assert [type(t).__name__ for t in f.terms] == [
        "ParametricTerm", "ParametricTerm", "ParametricTerm", "Smooth", "Offset",
        "RandomEffect", "ParametricTerm",
    ]  # fmt: skip
    assert f.intercept is False
    assert f.variables == ("s", "f", "x", "z", "w", "h", "e", "t", "g", "k")


def test_spans_point_into_the_text() -> None:
    text = "y ~ x + s(z, k = 5) + (1 | g)"
    f = parse(text)
    assert f.response is not None and f.response.span == Span(0, 1)
    assert [text[t.span.start : t.span.end] for t in f.terms] == ["x", "s(z, k = 5)", "(1 | g)"]
    assert f.span == Span(0, len(text)) and f.text == text


def test_spans_are_not_compared() -> None:
    assert parse("y~x+s(z)") == parse("y  ~  x  +  s( z )")


def test_formula_is_frozen() -> None:
    f = parse("y ~ x")
    with pytest.raises(AttributeError):
        f.intercept = False  # type: ignore[misc]
    assert isinstance(f, Formula)


def test_non_string_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]
    assert issubclass(FormulaSyntaxError, SyntaxError)


@pytest.mark.parametrize(
    "module",
    ["aurora.formula", "aurora.formula.parser", "aurora.formula._print", "aurora.formula.desugar",
     "aurora.formula._grammar", "aurora.formula._smooth", "aurora.formula.transformer"],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0
