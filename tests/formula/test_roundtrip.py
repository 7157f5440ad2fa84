"""Property tests: ``parse(str(parse(t))) == parse(t)``, and bad text only ever raises
FormulaSyntaxError."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora.formula import FormulaSyntaxError, parse
from aurora.formula._print import format_name, format_string

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------------- building blocks
plain_names = st.sampled_from(
    ["x", "z", "w", "x.1", "f", "g", "a", "b", "t", "s", "offset", ".x", "TRUE"]
)
odd_names = st.text(alphabet="ab c.`\\_1é", min_size=1, max_size=6)
names = st.one_of(plain_names, plain_names, odd_names)
name_src = names.map(format_name)


def _vector(items: list[str], python: bool) -> str:
    return f"[{', '.join(items)}]" if python else f"c({', '.join(items)})"


@st.composite
def numbers(draw: st.DrawFn, whole: bool = False) -> str:
    if whole:
        return str(draw(st.integers(-1, 40))) + draw(st.sampled_from(["", "", "L"]))
    return repr(draw(st.one_of(st.integers(0, 9), st.floats(1e-6, 1e6, allow_nan=False))))


@st.composite
def option(draw: st.DrawFn, name: str, dims: int) -> str:
    python = draw(st.booleans())
    if name in ("k", "m", "sp", "pc"):
        one = numbers(whole=name == "k")
        if dims > 1 and draw(st.booleans()):
            return _vector([draw(one) for _ in range(dims)], python)
        return draw(one)
    if name == "bs":
        one = st.sampled_from(["tp", "cr", "ps", "cc", "re", "fs"]).map(
            lambda b: format_string(b) if not python else f"'{b}'"
        )
        if dims > 1 and draw(st.booleans()):
            return _vector([draw(one) for _ in range(dims)], python)
        return draw(one)
    if name == "fx":
        return draw(st.sampled_from(["TRUE", "FALSE", "True", "False", "T", "F"]))
    if name == "by":
        return draw(st.one_of(name_src, st.sampled_from(["NA", "NULL", "None"])))
    if name == "id":
        return draw(st.one_of(st.integers(0, 9).map(str), st.sampled_from(["'a'", '"b"'])))
    return draw(st.sampled_from(['list(bs="cr")', '"cr"', "NULL", "c(1,2)"]))  # xt


@st.composite
def smooths(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["s", "te", "ti", "t2"]))
    covariates = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    option_names = st.sampled_from(["k", "bs", "m", "fx", "id", "sp", "pc", "xt", "by"])
    opts = draw(st.lists(option_names, unique=True, max_size=4))
    args = [format_name(c) for c in covariates]
    args += [f"{o}={draw(option(o, len(covariates)))}" for o in opts]
    return f"{kind}({', '.join(args)})"


@st.composite
def atoms(draw: st.DrawFn) -> str:
    v = draw(name_src)
    form = draw(st.sampled_from([
        "{v}", "{v}", "log({v})", "I({v}^2)", "I({v}**2)", "poly({v},3)", "C({v})", "C({v}, sum)",
        "scale({v})", "exp(-{v} / 2)", "I(({v}+1)*2)", "factor({v}, levels=c('a', 'b'))",
    ]))  # fmt: skip
    return form.format(v=v)


@st.composite
def parametric(draw: st.DrawFn) -> str:
    a, b, c = draw(atoms()), draw(atoms()), draw(atoms())
    return draw(st.sampled_from([
        a, a, f"{a}:{b}", f"{a}*{b}", f"({a} + {b} + {c})^2", f"({a}+{b})^3", f"{a}/{b}",
        f"{a} %in% {b}", f"{a}*{b}*{c}",
    ]))  # fmt: skip


@st.composite
def bars(draw: st.DrawFn) -> str:
    lhs = draw(st.sampled_from(["1", "0 + t", "1 + t", "t", "t + x:z", "x*z", "-1 + t"]))
    bar = draw(st.sampled_from(["|", "||"]))
    group = draw(st.sampled_from(["g", "a/b", "a:b", "a/b/c", "`my g`"]))
    return f"({lhs} {bar} {group})"


responses = st.one_of(
    st.just(""), name_src.map(lambda n: f"{n} "), name_src.map(lambda n: f"log({n}) "),
    st.tuples(name_src, name_src).map(lambda p: f"cbind({p[0]}, {p[1]}) "),
    name_src.map(lambda n: f"cbind({n}, n - {n}) "),
)

offsets = name_src.map(lambda n: f"offset(log({n}))")
terms = st.one_of(parametric(), parametric(), smooths(), bars(), offsets)


@st.composite
def formulas(draw: st.DrawFn) -> str:
    parts = draw(st.lists(terms, min_size=1, max_size=5))
    rhs = " + ".join(parts)
    shape = st.sampled_from(["{}", "{}", "0 + {}", "{} - 1", "{} + 0", "-1 + {} + 1", "1 + {}"])
    rhs = draw(shape).format(rhs)
    if draw(st.booleans()):
        rhs += f" - {draw(st.sampled_from(parts))}"
    return draw(responses) + "~ " + rhs


# ----------------------------------------------------------------------------- properties
@SETTINGS
@given(formulas())
def test_canonical_text_parses_back_to_the_same_formula(text: str) -> None:
    f = parse(text)
    canonical = str(f)
    again = parse(canonical)
    assert again == f
    assert str(again) == canonical


@SETTINGS
@given(formulas(), st.sampled_from(["", " ", "  ", "\n"]))
def test_whitespace_is_not_significant(text: str, pad: str) -> None:
    spaced = text.replace("~", pad + "~" + pad).replace(" + ", pad + "+" + pad)
    assert parse(spaced) == parse(text)


def _only_syntax_errors(text: str) -> None:
    try:
        f = parse(text)
    except FormulaSyntaxError as err:
        assert 0 <= err.position <= len(text)
        assert err.formula == text
    else:
        assert parse(str(f)) == f


@SETTINGS
@given(st.text(max_size=40))
def test_any_text_parses_or_raises_formula_syntax_error(text: str) -> None:
    _only_syntax_errors(text)


formula_alphabet = st.sampled_from(
    list("xyzgab()~+-*:/|^,=[]'\"`0125.% !&<>\n")
    + ["s(", "te(", "k=", "bs=", "c(", "||", "%in%", "**", "TRUE", "NA", "offset(", "1|", "I("]
    + ["by=", "y ~ "]
)


@SETTINGS
@given(st.lists(formula_alphabet, max_size=30).map("".join))
def test_formula_like_text_parses_or_raises_formula_syntax_error(text: str) -> None:
    _only_syntax_errors(text)


@SETTINGS
@given(formulas(), st.integers(0, 200), st.sampled_from(list("()~+,|=[]`'\"$@#")))
def test_corrupted_formulas_raise_only_formula_syntax_error(text: str, at: int, junk: str) -> None:
    at = at % (len(text) + 1)
    _only_syntax_errors(text[:at] + junk + text[at:])
    _only_syntax_errors(text[:at])
