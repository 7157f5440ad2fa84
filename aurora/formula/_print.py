"""Canonical R text for formula nodes, such that ``parse(str(f)) == f``.

Names that are not syntactic R names are written in backticks, strings in double quotes,
option tuples as ``c(...)``. Keyword arguments print as R's ``deparse`` does
(``k = 20``), and smooth options follow the order of mgcv's ``s()`` signature.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aurora.formula.ast import Formula, OptionValue, RandomEffect, Smooth

__all__ = [
    "format_name",
    "format_string",
    "format_value",
    "format_smooth",
    "format_random_effect",
    "format_formula",
    "SMOOTH_OPTIONS",
]

#: Options a smooth accepts, in the order they are printed (mgcv's ``s()`` signature).
SMOOTH_OPTIONS = ("k", "fx", "bs", "m", "by", "xt", "id", "sp", "pc")

# Words that R's parser reserves; a column with such a name needs backticks.
_RESERVED = frozenset(
    "if else repeat while function for next break in TRUE FALSE NULL Inf NaN NA "
    "NA_integer_ NA_real_ NA_character_ NA_complex_".split()
)
_SYNTACTIC = re.compile(r"(?:[^\W\d_]|\.(?![0-9]))[\w.]*\Z")


def format_name(name: str) -> str:
    """Write a variable name as R source, with backticks where R needs them.

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    str

    Examples
    --------
    >>> format_name("x.1"), format_name("my var")
    ('x.1', '`my var`')
    """
    if _SYNTACTIC.match(name) and name not in _RESERVED:
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def format_string(value: str) -> str:
    """Write a string literal in double quotes, escaping ``\\`` and ``"``.

    Examples
    --------
    >>> format_string("cr")
    '"cr"'
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_value(value: OptionValue) -> str:
    """Write a smooth option value as R source.

    Parameters
    ----------
    value : int, float, str, bool, None or tuple of those

    Returns
    -------
    str

    Examples
    --------
    >>> format_value((5, 5)), format_value(True), format_value("cr"), format_value(0.5)
    ('c(5, 5)', 'TRUE', '"cr"', '0.5')
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, tuple):
        return "c(" + ", ".join(format_value(v) for v in value) + ")"
    if isinstance(value, float) and value != value:  # NaN has no R literal but NaN
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Inf" if value > 0 else "-Inf"
    return repr(value)


def format_smooth(smooth: Smooth) -> str:
    """Canonical R text of a smooth, e.g. ``s(x, k = 20, bs = "cr")``.

    Parameters
    ----------
    smooth : Smooth

    Returns
    -------
    str

    Examples
    --------
    >>> from aurora.formula import Smooth
    >>> format_smooth(Smooth("te", ("x", "z"), k=(5, 5)))
    'te(x, z, k = c(5, 5))'
    """
    parts = [format_name(v) for v in smooth.variables]
    for option in SMOOTH_OPTIONS:
        value = getattr(smooth, option)
        if value is None or (option == "fx" and value is False):
            continue
        if option == "by":
            text = format_name(value)
        elif option == "xt":
            text = value  # raw R text, kept as written
        else:
            text = format_value(value)
        parts.append(f"{option} = {text}")
    return f"{smooth.kind}({', '.join(parts)})"


def format_random_effect(term: RandomEffect) -> str:
    """Canonical R text of a random-effect bar, e.g. ``(1 + t | g)`` or ``(0 + t || g)``.

    An uncorrelated node (``correlated=False``) holding both an intercept and slopes prints
    as ``(1 + t || g)``, which parses back into one node per term.

    Parameters
    ----------
    term : RandomEffect

    Returns
    -------
    str

    Examples
    --------
    >>> from aurora.formula import RandomEffect, ParametricTerm
    >>> t = ParametricTerm("t", ("t",), ("t",))
    >>> format_random_effect(RandomEffect(False, (t,), ("g",)))
    '(0 + t | g)'
    """
    lhs = ["1" if term.intercept else "0"] + [str(t) for t in term.terms]
    bar = "|" if term.correlated else "||"
    group = ":".join(format_name(g) for g in term.group)
    return f"({' + '.join(lhs)} {bar} {group})"


def format_formula(formula: Formula) -> str:
    """Canonical R text of a whole formula, e.g. ``y ~ x + s(z) - 1``.

    Parameters
    ----------
    formula : Formula

    Returns
    -------
    str

    Examples
    --------
    >>> from aurora.formula import parse
    >>> format_formula(parse("y~x*z+poly(w,2)-1"))
    'y ~ x + z + x:z + poly(w, 2) - 1'
    """
    lhs = "" if formula.response is None else f"{formula.response} "
    terms = [str(t) for t in formula.terms]
    if not terms:
        rhs = "1" if formula.intercept else "0"
    else:
        rhs = " + ".join(terms) + ("" if formula.intercept else " - 1")
    return f"{lhs}~ {rhs}"
