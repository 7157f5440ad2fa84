"""Numbers as R prints them (``as.character``, ``format``), for family and link names."""
from __future__ import annotations

import math

__all__ = ["r_format"]


def r_format(x: float, digits: int = 15) -> str:
    """Format a number as R prints it with ``digits`` significant digits.

    ``digits=15`` reproduces ``as.character``/``paste``, ``digits=7``
    reproduces ``format``: the fewest significant digits that show the value
    to ``digits`` digits, in fixed notation unless scientific is narrower.

    Examples
    --------
    >>> r_format(1 + 1 / 3)
    '1.33333333333333'
    >>> r_format(round(1.23456789, 4), digits=7)
    '1.2346'
    >>> r_format(100000.0)
    '1e+05'
    """
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    full = float(f"{x:.{digits - 1}e}")
    sig = digits
    for d in range(1, digits + 1):
        if float(f"{x:.{d - 1}e}") == full:
            sig = d
            break
    mant, exp_s = f"{x:.{sig - 1}e}".split("e")
    exponent = int(exp_s)
    sci = f"{mant}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    decimals = max(0, sig - 1 - exponent)
    fixed = f"{full:.{decimals}f}"
    return fixed if len(fixed) <= len(sci) else sci
