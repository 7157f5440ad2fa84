"""R's number formatting (``format``, ``format.pval``, ``printCoefmat``), reimplemented.

R chooses one layout for a whole vector: the fewest significant digits (at most
``digits``) that show every element to ``digits`` significant digits, fixed notation
unless scientific is narrower (R's ``formatReal``). Matching that is what makes our
printed tables read digit for digit like R's.
"""
from __future__ import annotations

import decimal
import math
from typing import Sequence

import numpy as np

__all__ = ["format_real", "format_number", "format_pval", "signif_stars", "coef_table_strings",
           "print_matrix", "zapsmall", "signif"]

_EPS = np.finfo(float).eps


_DEC = decimal.Context(prec=60)


def _sci_parts(x: float, digits: int) -> tuple[int, int]:
    """(exponent, significant digits needed) of |x| at ``digits`` precision (R's scientific())."""
    ax = abs(x)
    if ax == 0:
        return 0, 1
    kp = int(math.floor(math.log10(ax)))
    # R scales in long double, so a double just above a rounding tie (80.405 is stored as
    # 80.4050000000000011...) rounds up: scale the exact decimal value of the double
    exact = decimal.Decimal(ax).scaleb(digits - 1 - kp, _DEC)
    scaled = int(exact.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    # a carry (9.99 -> 10.0) bumps the exponent
    if scaled >= 10**digits:
        kp += 1
        scaled = round(scaled / 10)
    nsig = digits
    while nsig > 1 and scaled % 10 == 0:
        scaled //= 10
        nsig -= 1
    return kp, nsig


def format_real(values: Sequence[float], digits: int = 7, nsmall: int = 0,
                na: str = "NA") -> list[str]:
    """Format numbers with one common layout, as R's ``format(x, digits=)``.

    Examples
    --------
    >>> format_real([1.123456, 123.456], 4)
    ['  1.123', '123.456']
    >>> format_real([1e-10, 1.0], 3)
    ['1e-10', '1e+00']
    """
    vals = [float(v) if v is not None else float("nan") for v in values]
    finite = [v for v in vals if math.isfinite(v)]
    if not finite:
        out = [na if math.isnan(v) else ("Inf" if v > 0 else "-Inf") for v in vals]
        return _pad(out)
    neg = any(v < 0 for v in finite)
    parts = [_sci_parts(v, digits) for v in finite]
    kps = [k for k, _ in parts]
    rgt = max(max(ns - k - 1 for k, ns in parts), 0)
    rgt = max(rgt, nsmall)
    left = max(max(k + 1, 1) for k in kps)
    width_fixed = int(neg) + left + (rgt + 1 if rgt else 0)
    mxns = max(ns for _, ns in parts)
    big_exp = any(abs(k) >= 100 for k in kps)
    width_sci = int(neg) + (mxns + 1 if mxns > 1 else mxns) + (5 if big_exp else 4)
    if width_fixed <= width_sci:
        strs = [_fmt_fixed(v, rgt) for v in vals]
    else:
        strs = [_fmt_sci(v, mxns - 1) for v in vals]
    return _pad([na if (isinstance(s, float)) else s for s in strs])


def _fmt_fixed(v: float, rgt: int) -> str:
    if math.isnan(v):
        return "NA"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    s = f"{v:.{rgt}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s


def _fmt_sci(v: float, decimals: int) -> str:
    if math.isnan(v):
        return "NA"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    mant, exp = f"{v:.{decimals}e}".split("e")
    e = int(exp)
    return f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"


def _pad(strs: list[str]) -> list[str]:
    w = max((len(s) for s in strs), default=0)
    return [s.rjust(w) for s in strs]


def format_number(x: float, digits: int = 7) -> str:
    """One number, as R's ``format(x, digits=)``."""
    return format_real([x], digits)[0].strip()


def signif(x: float, digits: int) -> float:
    """R's ``signif`` (``fprec``): round to ``digits`` significant digits, ties to even.

    Examples
    --------
    >>> signif(124856.3, 4), signif(124850, 4), signif(0.000123456, 3)
    (124900.0, 124800.0, 0.000123)
    """
    if not math.isfinite(x) or x == 0:
        return x
    dig = max(1, min(int(round(digits)), 22))
    sgn, ax = (-1.0, -x) if x < 0 else (1.0, x)
    l10 = math.log10(ax)
    e10 = int(dig - 1 - math.floor(l10))
    if abs(l10) >= 308 - 2:
        return x
    if e10 > 0:
        p10 = 1.0
        if e10 > 308:
            p10, e10 = 10.0 ** (e10 - 308), 308
        pow10 = 10.0 ** e10
        return sgn * (float(np.rint((ax * pow10) * p10)) / pow10) / p10
    pow10 = 10.0 ** (-e10)
    return sgn * float(np.rint(ax / pow10)) * pow10


def zapsmall(x: np.ndarray, digits: int) -> np.ndarray:
    """R's ``zapsmall``: round tiny values relative to the largest to zero."""
    x = np.asarray(x, dtype=float)
    fin = x[np.isfinite(x)]
    if fin.size == 0:
        return x
    mx = np.max(np.abs(fin))
    if mx == 0:
        return x
    # R (4.2) rounds to digits - log10(mx) places, with round()'s digits taken as
    # floor(d + 0.5)
    return np.round(x, max(0, int(math.floor(digits - math.log10(mx) + 0.5))))


def format_pval(pv: Sequence[float], digits: int = 3, eps: float = _EPS) -> list[str]:
    """R's ``format.pval``.

    Examples
    --------
    >>> format_pval([1e-20, 0.0123, 0.5])
    ['<2e-16', '0.0123', '0.5000']
    """
    pv = [float(p) for p in pv]
    out = [""] * len(pv)
    idx_ok = [i for i, p in enumerate(pv) if not math.isnan(p)]
    is0 = [i for i in idx_ok if pv[i] < eps]
    rest = [i for i in idx_ok if pv[i] >= eps]
    rr: dict[int, str] = {}
    if rest:
        expo = {i: math.floor(math.log10(pv[i])) if pv[i] > 0 else -50 for i in rest}
        fixp = [i for i in rest if expo[i] >= -3 or (expo[i] == -4 and digits > 1)]
        other = [i for i in rest if i not in fixp]
        for group in (fixp, other):
            if group:
                for i, s in zip(group, format_real([pv[i] for i in group], digits)):
                    rr[i] = s
        for i in rest:
            out[i] = rr[i]
    if is0:
        d = max(1, digits - 2)
        if rest:
            nc = max(len(s) for s in rr.values())
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if (d == 1 and nc <= 6) else " "
        else:
            sep = "" if d == 1 else " "
        txt = "<" + sep + format_number(eps, d)
        for i in is0:
            out[i] = txt
    for i, p in enumerate(pv):
        if math.isnan(p):
            out[i] = "NA"
    return out


def signif_stars(p: float) -> str:
    """R's significance codes."""
    if math.isnan(p):
        return ""
    for cut, sym in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p <= cut:
            return sym
    return " "


SIGNIF_LEGEND = "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"


def coef_table_strings(est: np.ndarray, se: np.ndarray, stat: np.ndarray, p: np.ndarray,
                       digits: int = 4, aliased: np.ndarray | None = None
                       ) -> tuple[list[list[str]], bool]:
    """Cells of R's ``printCoefmat`` for Estimate, Std. Error, statistic, p-value.

    Rows flagged ``aliased`` are R's ``NA`` (printed ``NA``); other NaN entries are
    R's ``NaN`` (printed ``NaN``, e.g. standard errors when the dispersion is NaN).

    Returns the rows (strings per column, stars column last when shown) and whether the
    significance legend should be printed.
    """
    n = len(est)
    cs = np.column_stack([est, se]).astype(float)
    stat = np.asarray(stat, dtype=float)
    p = np.asarray(p, dtype=float)
    alias = np.zeros(n, dtype=bool) if aliased is None else np.asarray(aliased, dtype=bool)
    cells = [["" for _ in range(4)] for _ in range(n)]
    acs = np.abs(cs[np.isfinite(cs)])
    acs = acs[acs != 0]
    if np.any(np.isfinite(cs)):
        # R: max(1, digits - digmin) over the range of |values|, so the smallest decides
        digmin = 1 + (math.floor(math.log10(acs.min())) if acs.size else 0)
        with np.errstate(invalid="ignore"):
            rounded = np.round(cs, max(1, digits - digmin))
        flat = format_real(list(rounded.ravel(order="F")), digits)
        col0, col1 = flat[:n], flat[n:]
        for i in range(n):
            cells[i][0], cells[i][1] = col0[i], col1[i]
        # R: values that are non-zero but print as zero get more digits
        for j, col in ((0, col0), (1, col1)):
            for i in range(n):
                v = cs[i, j]
                if np.isfinite(v) and v != 0 and float(col[i]) == 0:
                    cells[i][j] = format_number(v, max(1, digits - 1))
    dig_tst = max(1, min(5, digits - 1))
    with np.errstate(invalid="ignore"):
        tst = format_real(list(np.round(stat, dig_tst)), digits)
    for i in range(n):
        cells[i][2] = tst[i]
    ok = ~np.isnan(p)
    pstr = format_pval([p[i] for i in range(n) if ok[i]], dig_tst)
    it = iter(pstr)
    values = np.column_stack([cs, stat, p])
    for i in range(n):
        cells[i][3] = next(it) if ok[i] else ""
        for j in range(4):
            if np.isnan(values[i, j]):
                cells[i][j] = "NA" if alias[i] else "NaN"
    stars = ok.any() and np.any(p[ok] < 0.1)
    if stars:
        syms = [signif_stars(float(p[i])) if ok[i] else "" for i in range(n)]
        w = max(len(s) for s in syms)
        for i in range(n):
            cells[i].append(syms[i].ljust(w))
    return cells, bool(stars)


def print_matrix(row_names: Sequence[str], col_names: Sequence[str], cells: list[list[str]],
                 width: int = 80, gap: int = 1) -> str:
    """R's ``print.default`` of a character matrix (quote=FALSE, right=TRUE).

    Columns that do not fit in ``width`` go to further blocks, each with the row names,
    as R wraps a wide matrix: a block takes columns while its line stays shorter than
    ``width``.
    """
    rw = max([len(r) for r in row_names] + [0])
    nc = len(col_names)
    widths = [max([len(col_names[j])] + [len(row[j]) for row in cells]) for j in range(nc)]
    if nc == 0:
        return "\n".join([" " * rw] + [r.ljust(rw) for r in row_names])
    lines: list[str] = []
    jmin = 0
    while jmin < nc:
        total, jmax = rw, jmin
        while True:
            total += widths[jmax] + gap
            jmax += 1
            if not (jmax < nc and total + widths[jmax] + gap < width):
                break
        cols = range(jmin, jmax)
        lines.append(" " * rw + "".join(" " * gap + col_names[j].rjust(widths[j]) for j in cols))
        for r, row in zip(row_names, cells):
            lines.append(r.ljust(rw) + "".join(" " * gap + row[j].rjust(widths[j]) for j in cols))
        jmin = jmax
    return "\n".join(lines)
