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

__all__ = ["to_python", "r_column_name", "normalise_factor", "NumericLevels", "split_top_level"]

_CONTRASTS = {"sum": "contr.sum", "treatment": "contr.treatment", "helmert": "contr.helmert",
              "poly": "contr.poly"}
_CALL_C = re.compile(r"\bC\(\s*(?P<arg>[^,()]+)\s*,\s*(?P<con>[A-Za-z_.]+)\s*\)")


def _replace_outside_strings(text: str, old: str, new: str) -> str:
    out, quote = [], None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if text.startswith(old, i):
            out.append(new)
            i += len(old)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def to_python(expr: str) -> str:
    """Return the formulaic (Python) spelling of an R expression.

    Examples
    --------
    >>> to_python("I(x^2)")
    'I(x**2)'
    >>> to_python("C(f, sum)")
    'C(f, contr.sum)'
    """
    text = _replace_outside_strings(expr, "^", "**")
    text = re.sub(r"\bTRUE\b", "True", text)
    text = re.sub(r"\bFALSE\b", "False", text)

    def fix_contrast(m: re.Match[str]) -> str:
        con = _CONTRASTS.get(m.group("con"), m.group("con"))
        return f"C({m.group('arg').strip()}, {con})"

    return _CALL_C.sub(fix_contrast, text)


@lru_cache(maxsize=4096)
def normalise_factor(py_expr: str) -> str:
    """formulaic's canonical text of a single factor expression (used to match names)."""
    from formulaic import Formula

    terms = [str(t) for t in Formula(py_expr)]
    return terms[-1] if terms else py_expr


class NumericLevels(tuple):
    """Levels of a numeric column used as a factor, as formulaic labels them (``6.0``)."""


_INTEGRAL_FLOAT = re.compile(r"^-?\d+\.0$")
_LEVEL = re.compile(r"^(?P<base>.*)\[(?P<tag>[A-Z]\.)?(?P<level>[^\[\]]*)\]$")


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
