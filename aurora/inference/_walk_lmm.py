"""The points of one lme4 profile: ``fillmat`` and ``nextpar`` of ``profile.merMod``.

From the estimate and one shifted point, each step moves the parameter by
``delta * dpar / dzeta`` (the last two points' slope, so ``zeta`` grows by about
``delta``), at most ``maxmult`` times the last step, clipped to the bounds, and stops past
``|zeta| = cutoff``, at a bound or after ``maxpts`` points (lme4 1.1 ``R/profile.R``).
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from aurora.errors import AuroraWarning

__all__ = ["Walker"]


class Walker:
    """``fillmat`` and ``nextpar`` of ``profile.merMod``: the points of one profile.

    Rows are ``[zeta, parameters...]``; ``zfun(value, previous_row)`` computes the row at
    a new value of the profiled parameter (column ``cc`` of a row).

    Examples
    --------
    >>> w = Walker(cutoff=3.0, delta=0.375, maxpts=100, maxmult=10.0)
    >>> rows = w.fill([np.array([0.0, 1.0]), np.array([0.1, 1.1])], 1, 0.0, np.inf,
    ...               lambda x, prev: np.array([x - 1.0, x]))
    >>> len(rows), round(float(rows[-1][1]), 6)
    (10, 4.1)
    """

    def __init__(self, cutoff: float, delta: float, maxpts: int, maxmult: float) -> None:
        self.cutoff, self.delta, self.maxpts, self.maxmult = cutoff, delta, maxpts, maxmult

    def both(self, opt: np.ndarray, w: int, zfun: Callable, start: float, lo: float,
             hi: float, down: bool) -> list[np.ndarray]:
        base_row = np.r_[0.0, opt]
        first = zfun(start, base_row)
        up = self.fill([base_row, first], w + 1, lo, hi, zfun)
        dn = self.fill([first, base_row], w + 1, lo, hi, zfun) if down else [first]
        return up + dn

    def fill(self, rows: list[np.ndarray], cc: int, lo: float, hi: float,
             zfun: Callable) -> list[np.ndarray]:
        i = 1
        while (i < self.maxpts - 1 and lo < rows[i][cc] < hi
               and (np.isnan(rows[i][0]) or abs(rows[i][0]) <= self.cutoff)):
            rows.append(zfun(self.next_par(rows[i - 1], rows[i], cc, lo, hi), rows[i]))
            i += 1
        return rows

    def next_par(self, prev: np.ndarray, cur: np.ndarray, cc: int, lo: float, hi: float,
                 minstep: float = 1e-6) -> float:
        num = cur[cc] - prev[cc]
        denom = cur[0] - prev[0]
        if np.isnan(denom) or denom == 0:
            warnings.warn("Last two rows have identical or NA .zeta values: using minstep",
                          AuroraWarning, stacklevel=4)
            step = minstep
        else:
            step = self.delta * num / denom
            if step < 0:
                warnings.warn("unexpected decrease in profile: using minstep",
                              AuroraWarning, stacklevel=4)
                step = minstep
            elif abs(step) > abs(self.maxmult * num):
                step = np.sign(step) * abs(self.maxmult * num)
        return float(min(hi, max(lo, cur[cc] + np.sign(num) * step)))
