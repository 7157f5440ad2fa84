"""Linear hypotheses written as text (R: ``car:::makeHypothesis``, ``car:::printHypothesis``).

``"x1 + x2 = 0.5"``, ``"2*x1 - x2 = 1"``, ``"fB"`` (meaning ``fB = 0``) are read over the
coefficient names; names are swapped for placeholder symbols first (longest first), so
names such as ``x1:fB`` or ``(Intercept)`` need no quoting.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from aurora.errors import DataError

__all__ = ["make_hypothesis", "print_hypothesis"]


def _r_char(v: float) -> str:
    """R's ``as.character`` of a double (15 significant digits)."""
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.15g}"


def _parse_terms(terms: list[str]) -> list[str]:
    return [re.sub(r"^[- 0-9.]+", "", t).replace(" ", "") for t in terms]


def _strip(x: str) -> list[str]:
    x = x.replace("\n", " ").replace("\t", " ").replace(" ", "").replace("*", "")
    x = x.replace("-", "+-")
    return [p for p in x.split("+") if p != ""]


def _char2num(x: str, hypothesis: str) -> float:
    if x == "":
        return 1.0
    if x == "-":
        return -1.0
    try:
        return float(x)
    except ValueError:
        raise DataError(f"the hypothesis {hypothesis!r} is not well formed: contains "
                        "non-numeric coefficients") from None


def _coefvector(sym: str, parts: list[str], hypothesis: str) -> float:
    hits = [p for p, t in zip(parts, _parse_terms(parts)) if t == sym]
    if not hits:
        return 0.0
    if len(hits) > 1:
        raise DataError(f"the hypothesis {hypothesis!r} is not well formed",
                        "name each coefficient once on each side of '='")
    return _char2num(hits[0].split(sym, 1)[0], hypothesis)


def _constants(parts: list[str], symbols: list[str], hypothesis: str, cnames: Sequence[str]) -> float:
    rest = [p for p, t in zip(parts, _parse_terms(parts)) if t not in symbols]
    total = 0.0
    for p in rest:
        try:
            total += float(p)
        except ValueError:
            raise DataError(
                f"the hypothesis {hypothesis!r} is not well formed: contains bad "
                "coefficient/variable names",
                f"write it over the coefficient names: {', '.join(cnames)}") from None
    return total


def _one(cnames: Sequence[str], hypothesis: str, rhs: float | None) -> np.ndarray:
    marks = [m for m in ("@", "#", "~") if not any(m in c for c in cnames)]
    if not marks:
        raise DataError(f"the hypothesis {hypothesis!r} cannot be read: the coefficient "
                        "names contain '@', '#' and '~'", "give the hypothesis as a matrix")
    symbols = [f"{marks[0]}{i + 1}{marks[0]}" for i in range(len(cnames))]
    text = hypothesis
    for i in sorted(range(len(cnames)), key=lambda i: -len(cnames[i])):
        text = text.replace(cnames[i], symbols[i])
    sides = text.split("=")
    if rhs is None:
        if len(sides) == 1:
            lhs, rhs_text = sides[0], "0"
        elif len(sides) == 2:
            lhs, rhs_text = sides
        else:
            raise DataError(f"the hypothesis {hypothesis!r} is not well formed: contains more "
                            "than one = sign")
    else:
        if len(sides) > 1:
            raise DataError(f"the hypothesis {hypothesis!r} is not well formed: contains a = "
                            "sign although rhs was specified")
        lhs, rhs_text = sides[0], _r_char(rhs)
    left, right = _strip(lhs), _strip(rhs_text)
    row = [_coefvector(s, left, hypothesis) - _coefvector(s, right, hypothesis) for s in symbols]
    const = (_constants(right, symbols, hypothesis, cnames)
             - _constants(left, symbols, hypothesis, cnames))
    return np.array(row + [const], dtype=float)


def make_hypothesis(cnames: Sequence[str], hypotheses: Sequence[str] | str,
                    rhs: Sequence[float] | float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read hypotheses such as ``"x1 + x2 = 0.5"`` into ``(L, rhs)``.

    Parameters
    ----------
    cnames : sequence of str
        Coefficient names (the columns of ``L``).
    hypotheses : str or sequence of str
        One hypothesis per row; a missing ``= value`` means ``= 0``.
    rhs : float or sequence of float, optional
        Right-hand sides (then the hypotheses must not contain ``=``).

    Returns
    -------
    L : ndarray, shape (q, p)
    rhs : ndarray, shape (q,)

    Examples
    --------
    >>> L, r = make_hypothesis(["(Intercept)", "x1", "x2"], ["x1 + x2 = 0.5", "2*x1 - x2"])
    >>> L.tolist(), r.tolist()
    ([[0.0, 1.0, 1.0], [0.0, 2.0, -1.0]], [0.5, 0.0])
    """
    hyps = [hypotheses] if isinstance(hypotheses, str) else list(hypotheses)
    if rhs is not None:
        r = np.resize(np.atleast_1d(np.asarray(rhs, dtype=float)), len(hyps))
    rows = [_one(list(cnames), h, None if rhs is None else float(r[i])) for i, h in enumerate(hyps)]
    M = np.vstack(rows)
    return M[:, :-1], M[:, -1]


def print_hypothesis(L: np.ndarray, rhs: np.ndarray, cnames: Sequence[str]) -> list[str]:
    """Hypotheses as text, the way ``car:::printHypothesis`` writes them.

    Examples
    --------
    >>> print_hypothesis(np.array([[0, 1.0, 0], [0, 2.0, -1]]), np.array([0, 1.0]),
    ...                  ["(Intercept)", "x1", "x2"])
    ['x1 = 0', '2 x1 - x2 = 1']
    """
    out = []
    for i in range(L.shape[0]):
        sel = L[i] != 0
        coefs = [_r_char(v) if v < 0 else "+" + _r_char(v) for v in L[i, sel]]
        names = [c for c, s in zip(cnames, sel) if s]
        h = "".join(f"{c} {n}".replace("-", " - ").replace("+", "  + ")
                    for c, n in zip(coefs, names))
        h = h.replace("  ", " ")
        h = re.sub(r"^ \+", "", h, count=1)
        h = re.sub(r"^ ", "", h, count=1)
        h = re.sub(r"^- ", "-", h, count=1)
        h = f" {h} = {_r_char(rhs[i])}"
        h = re.sub(r"- +1 +", "-1 ", h)
        h = re.sub(r"-1([^A-Za-z0-9_.]+)[ *]*", "-", h)
        h = re.sub(r" 1([^A-Za-z0-9_.]+)[ *]*", "", h)
        h = h.replace("Intercept)", "(Intercept)", 1)
        h = h.replace("-", " - ").replace("+", "  + ").replace("  ", " ")
        out.append(re.sub(r"^ *", "", h, count=1))
    return out
