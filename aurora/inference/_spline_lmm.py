"""R's ``splines::interpSpline`` and ``splines::backSpline``, as lme4's profiles use them.

``profile.merMod`` interpolates each parameter's signed root deviance ``zeta`` with a
natural cubic spline of the parameter (``interpSpline(.zeta ~ par)``) and inverts it with
``backSpline``: a piecewise cubic in ``zeta`` that takes the parameter's values at the
profile points and the reciprocal slopes of the forward spline there (Hermite
interpolation), quadratic on the two end intervals, linear there when the quadratic would
bend the wrong way. ``confint.thpr`` reads the interval ends off the backward spline at
``qnorm(a)``, ``qnorm(1 - a)``; outside the profiled range it gives NaN.

Both splines are kept in R's ``polySpline`` form: knots ``k_i`` and per-knot coefficients
``[y, y', y''/2, y'''/6]`` of the polynomial on ``(k_i, k_{i+1}]``.

References: R 4.2 ``src/library/splines/R/splines.R`` (``interpSpline.default``,
``backSpline.npolySpline``, ``predict.polySpline``); Bates & Watts (1988), *Nonlinear
Regression Analysis and Its Applications*, §6.1 (profile traces and their splines).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_banded

__all__ = ["PolySpline", "SplineError", "interp_spline", "back_spline"]


class SplineError(ValueError):
    """R's ``interpSpline``/``backSpline`` stop (too few or repeated points, not monotone)."""


@dataclass(frozen=True)
class PolySpline:
    """A cubic spline in R's ``polySpline`` form.

    Attributes
    ----------
    knots : ndarray, shape (m,)
        Increasing.
    coef : ndarray, shape (m, 4)
        Row ``i``: the polynomial on ``(knots[i], knots[i + 1]]`` in powers of
        ``x - knots[i]``.
    """

    knots: np.ndarray
    coef: np.ndarray

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """R's ``predict.polySpline(object, x)$y``: NaN outside ``[knots[0], knots[-1]]``.

        Examples
        --------
        >>> s = interp_spline([0.0, 1, 2, 3], [0.0, 1, 2, 3])
        >>> s([0.5, 2.5, 4.0]).tolist()
        [0.5, 2.5, nan]
        """
        x = np.atleast_1d(np.asarray(x, dtype=float))
        k = self.knots
        # cut(x, knots): interval i holds (k[i], k[i + 1]]; x == k[0] goes to the first
        i = np.searchsorted(k, x, side="left") - 1
        i[x == k[0]] = 0
        ok = (x >= k[0]) & (x <= k[-1]) & ~np.isnan(x)
        out = np.full(x.shape, np.nan)
        ii = i[ok]
        d = x[ok] - k[ii]
        c = self.coef[ii]
        out[ok] = c[:, 0] + d * (c[:, 1] + d * (c[:, 2] + d * c[:, 3]))
        return out


def interp_spline(x: np.ndarray, y: np.ndarray) -> PolySpline:
    """R's ``interpSpline(x, y)``: the natural cubic interpolating spline (ord 4).

    Parameters
    ----------
    x, y : array_like, shape (m,)
        ``m >= 4`` distinct abscissae (sorted here, as R does).

    Returns
    -------
    PolySpline
        Knots at ``x``; second derivatives zero at both ends.

    Examples
    --------
    >>> s = interp_spline([0.0, 1, 2, 3, 4], [0.0, 1, 8, 27, 64])
    >>> [round(float(v), 6) for v in s([1.5, 3.5])]
    [3.455357, 43.973214]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    o = np.argsort(x, kind="stable")
    x, y = x[o], y[o]
    m = x.size
    if np.any(np.diff(x) == 0):
        raise SplineError("values of 'x' must be distinct")
    if m < 4:
        raise SplineError("must have at least 'ord'=4 points")
    h = np.diff(x)
    # second derivatives M (M[0] = M[-1] = 0): the tridiagonal system of the natural spline
    n = m - 2
    ab = np.zeros((3, n))
    ab[0, 1:] = h[1:-1]
    ab[1] = 2 * (h[:-1] + h[1:])
    ab[2, :-1] = h[1:-1]
    s = np.diff(y) / h
    M = np.zeros(m)
    M[1:-1] = solve_banded((1, 1), ab, 6 * np.diff(s))
    coef = np.zeros((m, 4))
    coef[:, 0] = y
    coef[:-1, 1] = s - h * (2 * M[:-1] + M[1:]) / 6
    coef[:, 2] = M / 2
    coef[:-1, 3] = np.diff(M) / (6 * h)
    # the last knot: the last piece's slope there (backSpline reads it); R's third
    # derivative there is 0
    coef[-1, 1] = coef[-2, 1] + h[-1] * (2 * coef[-2, 2] + 3 * h[-1] * coef[-2, 3])
    coef[0, 2] = coef[-1, 2] = 0.0
    return PolySpline(x, coef)


def back_spline(spline: PolySpline) -> PolySpline:
    """R's ``backSpline``: the inverse of a monotone cubic ``polySpline``.

    Examples
    --------
    >>> s = interp_spline([0.0, 1, 2, 3, 4], [0.0, 1, 8, 27, 64])
    >>> b = back_spline(s)
    >>> round(float(b(27.0)[0]), 12), round(float(b(10.0)[0]), 6)
    (3.0, 2.163608)
    """
    knots = spline.knots
    nk = knots.size
    kdiff = np.diff(knots)
    if np.any(kdiff <= 0):
        raise SplineError("knot positions must be strictly increasing")
    coef = spline.coef
    bknots = coef[:, 0].copy()
    adiff = np.diff(bknots)
    if np.all(adiff < 0):
        rev = True
    elif np.all(adiff > 0):
        rev = False
    else:
        raise SplineError("spline must be monotone")
    b = np.zeros_like(coef)
    b[:, 0] = knots
    with np.errstate(divide="ignore"):
        b[:, 1] = 1.0 / coef[:, 1]
    for i in range(nk - 1):  # Hermite: values and slopes at both ends of each interval
        a = np.array([[adiff[i] ** 2, adiff[i] ** 3], [2 * adiff[i], 3 * adiff[i] ** 2]])
        rhs = np.array([kdiff[i] - adiff[i] * b[i, 1], b[i + 1, 1] - b[i, 1]])
        b[i, 2:4] = _solve2(a, rhs)
    b[nk - 1, 1:4] = np.nan
    if nk > 2:  # quadratics on the end intervals
        b[0, 3] = b[nk - 2, 3] = 0.0
        b[0, 1:3] = _solve2(np.array([[adiff[0], adiff[0] ** 2], [1.0, 2 * adiff[0]]]),
                            np.array([kdiff[0], 1.0 / coef[1, 1]]))
        b[nk - 2, 2] = (kdiff[-1] - adiff[-1] * b[nk - 2, 1]) / adiff[-1] ** 2
    if b[0, 2] > 0:
        b[0, 2] = 0.0
        b[0, 1] = kdiff[0] / adiff[0]
    if b[nk - 2, 2] < 0:
        b[nk - 2, 2] = 0.0
        b[nk - 2, 1] = kdiff[-1] / adiff[-1]
    if rev:  # R reverses knots and rows together
        return PolySpline(bknots[::-1].copy(), b[::-1].copy())
    return PolySpline(bknots, b)


def _solve2(a: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, rhs)
    except np.linalg.LinAlgError as e:  # R's solve() stops: the spline is unusable
        raise SplineError(str(e)) from e
