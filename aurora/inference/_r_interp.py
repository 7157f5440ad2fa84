"""R's ``spline()`` and ``approx()``, as ``confint.profile.glm`` uses them.

``r_spline`` is the Forsythe-Malcolm-Moler cubic spline (R's ``fmm_spline`` and
``spline_eval`` in ``splines.c``) at ``3 * length(unique(x))`` equally spaced points;
``r_approx`` is linear interpolation, NaN outside the range of x. Both first regularise
the values as R's ``regularize.values(x, y, mean)`` does (ties averaged, with a warning).

References: R 4.2 ``stats::spline``, ``stats::approx``, ``src/library/stats/src/splines.c``;
Forsythe, Malcolm & Moler (1977), *Computer Methods for Mathematical Computations*.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from aurora.errors import AuroraWarning

__all__ = ["r_spline", "r_approx"]


def _r_mean(v: np.ndarray) -> float:
    s = math.fsum(v) / len(v)  # R's mean: a second pass corrects the first
    return s + math.fsum(v - s) / len(v)


def _regularize(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``regularize.values(x, y, mean)``: drop NaN, sort by x (stably), average ties."""
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if np.any(np.diff(x) < 0):
        o = np.argsort(x, kind="stable")
        x, y = x[o], y[o]
    ux, first = np.unique(x, return_index=True)
    if len(ux) < len(x):
        warnings.warn("collapsing to unique 'x' values", AuroraWarning, stacklevel=3)
        bounds = np.append(first, len(x))
        y = np.array([_r_mean(y[bounds[k]:bounds[k + 1]]) for k in range(len(ux))])
        x = ux
    return x, y


def _r_seq(start: float, stop: float, n: int) -> np.ndarray:
    """``seq.int(start, stop, length.out = n)`` (R 4.2: ``start + i * by``, last = stop)."""
    out = start + np.arange(n) * ((stop - start) / (n - 1) if n > 1 else 0.0)
    out[-1] = stop
    return out


def _fmm_coef(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forsythe, Malcolm & Moler's cubic spline (R's ``fmm_spline`` in splines.c)."""
    n = len(x)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0]) if n == 2 else 0.0
        b[:] = t
        return b, c, d
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, n - 1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0], b[n - 1] = -d[0], -d[n - 2]
    c[0] = c[n - 1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[n - 1] = c[n - 2] / (x[n - 1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[n - 1] = -c[n - 1] * d[n - 2] * d[n - 2] / (x[n - 1] - x[n - 4])
    for i in range(1, n):  # Gaussian elimination
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[n - 1] = c[n - 1] / b[n - 1]  # back substitution
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[n - 1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[n - 1])
    for i in range(n - 1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[n - 1] = 3.0 * c[n - 1]
    d[n - 1] = d[n - 2]
    return b, c, d


def r_spline(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """R's ``spline(x, y)``: the fmm spline at ``3 * length(unique(x))`` even points.

    >>> sx, sy = r_spline([0.0, 1, 2, 3], [0.0, 1, 8, 27])
    >>> len(sx), float(sy[-1])
    (12, 27.0)
    """
    x, y = _regularize(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    b, c, d = _fmm_coef(x, y)
    u = _r_seq(x[0], x[-1], 3 * len(x))
    v = np.empty(len(u))
    i, last = 0, len(x) - 1
    for k, ul in enumerate(u):  # splines.c's spline_eval, interval search included
        if ul < x[i] or (i < last and x[i + 1] < ul):
            i, j = 0, len(x)
            while j > i + 1:
                h = (i + j) // 2
                i, j = (i, h) if ul < x[h] else (h, j)
        dx = ul - x[i]
        v[k] = y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))
    return u, v


def r_approx(x: Any, y: Any, xout: Any) -> np.ndarray:
    """R's ``approx(x, y, xout)``: linear interpolation, NaN outside the range of x.

    >>> r_approx([0.0, 1, 2], [0.0, 10, 20], [0.5, 3]).tolist()
    [5.0, nan]
    """
    x, y = _regularize(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    out = np.full(np.size(xout), np.nan)
    for k, v in enumerate(np.atleast_1d(np.asarray(xout, dtype=float))):
        if not x[0] <= v <= x[-1]:
            continue
        i, j = 0, len(x) - 1
        while i < j - 1:
            h = (i + j) // 2
            i, j = (i, h) if v < x[h] else (h, j)
        out[k] = (y[j] if v == x[j] else y[i] if v == x[i]
                  else y[i] + (y[j] - y[i]) * ((v - x[i]) / (x[j] - x[i])))
    return out
