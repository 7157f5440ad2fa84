"""Read the arguments of ``s()``, ``te()``, ``ti()``, ``t2()`` into a :class:`Smooth`.

Options follow mgcv's ``s()``/``te()`` (Wood 2017, section 5.8); both R spellings
(``c(5, 5)``, ``TRUE``, ``NULL``, ``NA``) and Python ones (``[5, 5]``, ``True``, ``None``)
are accepted.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from aurora.errors import FormulaSyntaxError
from aurora.formula._print import SMOOTH_OPTIONS
from aurora.formula.ast import Smooth

if TYPE_CHECKING:
    from aurora.formula.transformer import Expr

__all__ = ["build_smooth"]


class _Invalid(Exception):
    """An option value of the wrong type."""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _scalar_or_vector(check: Callable[[Any], Any]) -> Callable[[Expr], Any]:
    """A converter accepting a scalar, or a non-empty ``c(...)``/``[...]`` of scalars."""

    def convert(expr: Expr) -> Any:
        value = expr.value
        if value is None:
            return None
        try:
            if isinstance(value, tuple):
                if not value:
                    raise _Invalid
                return tuple(check(v) for v in value)
            return check(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise _Invalid from exc

    return convert


def _int(v: Any) -> int:
    if not _is_number(v) or v != int(v):
        raise ValueError(v)
    return int(v)


def _float(v: Any) -> float:
    if not _is_number(v):
        raise ValueError(v)
    return float(v)


def _number(v: Any) -> int | float:
    if not _is_number(v):
        raise ValueError(v)
    return v


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError(v)
    return v


def _fx(expr: Expr) -> bool:
    if isinstance(expr.value, bool):
        return expr.value
    if expr.name in ("T", "F"):  # R's abbreviations
        return expr.name == "T"
    raise _Invalid


def _by(expr: Expr) -> str | None:
    if expr.name is not None:
        return expr.name
    if expr.value is None or isinstance(expr.value, str):
        return expr.value
    raise _Invalid


def _id(expr: Expr) -> str | int | None:
    value = expr.value
    if value is None or isinstance(value, str):
        return value
    try:
        return _int(value)
    except (ValueError, OverflowError):
        raise _Invalid from None


def _xt(expr: Expr) -> str | None:
    return None if expr.value is None else expr.text


_CONVERTERS: dict[str, tuple[Callable[[Expr], Any], str]] = {
    "k": (_scalar_or_vector(_int), "a whole number or a vector of them, e.g. k = c(5, 5)"),
    "bs": (_scalar_or_vector(_str), 'a basis name or a vector of them, e.g. bs = "cr"'),
    "m": (_scalar_or_vector(_number), "a number or a vector of numbers, e.g. m = 2"),
    "sp": (_scalar_or_vector(_float), "a number or a vector of numbers, e.g. sp = 0.5"),
    "pc": (_scalar_or_vector(_float), "a number or a vector of numbers, e.g. pc = 0"),
    "fx": (_fx, "TRUE or FALSE"),
    "by": (_by, "a variable name, e.g. by = f"),
    "id": (_id, 'a label such as "a" or 1'),
    "xt": (_xt, "any R expression"),
}


def build_smooth(call: Expr, text: str) -> Smooth:
    """Build a :class:`Smooth` from a parsed ``s()``/``te()``/``ti()``/``t2()`` call.

    Parameters
    ----------
    call : Expr
        The call expression (``call.callee`` is the smooth kind).
    text : str
        The whole formula, to place the caret of errors.

    Returns
    -------
    Smooth

    Raises
    ------
    FormulaSyntaxError
        For an unknown or repeated option, a value of the wrong type, a covariate that is
        not a column name, or no covariate at all.

    Examples
    --------
    >>> from aurora.formula import parse
    >>> parse('y ~ s(x, k=20, bs="cr")').terms[0].k
    20
    """
    from aurora.formula.transformer import Kwarg

    kind = call.callee or "s"
    variables: list[str] = []
    options: dict[str, Any] = {}
    for arg in call.args:
        if isinstance(arg, Kwarg):
            option = arg.name.value
            if option not in _CONVERTERS:
                raise FormulaSyntaxError(
                    f"unknown option {option!r} for {kind}()",
                    text,
                    arg.name.span.start,
                    f"use one of: {', '.join(SMOOTH_OPTIONS)}",
                )
            if option in options:
                raise FormulaSyntaxError(
                    f"the option {option!r} is given twice in {kind}()", text, arg.span.start,
                    "keep one of them",
                )  # fmt: skip
            convert, expected = _CONVERTERS[option]
            try:
                options[option] = convert(arg.value)
            except _Invalid:
                raise FormulaSyntaxError(
                    f"invalid value {arg.value.text} for option {option!r} of {kind}()",
                    text,
                    arg.value.span.start,
                    f"{option} takes {expected}",
                ) from None
        elif arg.name is None:
            fix = "create the column in the data first and smooth that column"
            if _is_number(arg.value):
                fix = f"name the option, e.g. {kind}(x, k = 10)"
            raise FormulaSyntaxError(
                f"{kind}() takes column names as covariates, not {arg.text}",
                text,
                arg.span.start,
                fix,
            )
        elif arg.name in variables:
            raise FormulaSyntaxError(
                f"the covariate {arg.name!r} appears twice in {kind}()", text, arg.span.start,
                "list each covariate once",
            )  # fmt: skip
        else:
            variables.append(arg.name)
    if not variables:
        raise FormulaSyntaxError(
            f"{kind}() needs at least one covariate", text, call.span.start, f"write e.g. {kind}(x)"
        )
    return Smooth(kind, tuple(variables), span=call.span, **options)
