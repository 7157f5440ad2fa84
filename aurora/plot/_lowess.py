"""R's ``lowess`` (Cleveland 1979), ported from R's ``clowess`` C routine.

Locally weighted linear fits with tricube weights over the ``ceil(f n)`` nearest
points, followed by ``iter`` robustness passes with bisquare weights (scale
``6 * median |residual|``); fits are computed at points at least ``delta`` apart
and interpolated in between, exactly as R does.
"""
from __future__ import annotations

import numpy as np

__all__ = ["lowess"]


def _lowest(x: np.ndarray, y: np.ndarray, xs: float, nleft: int, nright: int,
            rw: np.ndarray | None) -> tuple[float, bool]:
    n = len(x)
    rng = x[-1] - x[0]
    h = max(xs - x[nleft], x[nright] - xs)
    h9, h1 = 0.999 * h, 0.001 * h
    w = np.zeros(n)
    a = 0.0
    j = nleft
    while j < n:
        r = abs(x[j] - xs)
        if r <= h9:
            w[j] = 1.0 if r <= h1 else (1 - (r / h) ** 3) ** 3
            if rw is not None:
                w[j] *= rw[j]
            a += w[j]
        elif x[j] > xs:
            break
        j += 1
    nrt = j - 1
    if a <= 0:
        return 0.0, False
    sl = slice(nleft, nrt + 1)
    ww = w[sl] / a
    if h > 0:
        centre = float(np.sum(ww * x[sl]))
        b = xs - centre
        c = float(np.sum(ww * (x[sl] - centre) ** 2))
        if np.sqrt(c) > 0.001 * rng:
            ww = ww * (b / c * (x[sl] - centre) + 1)
    return float(np.sum(ww * y[sl])), True


def _pass(x: np.ndarray, y: np.ndarray, ns: int, delta: float, rw: np.ndarray | None) -> np.ndarray:
    n = len(x)
    ys = np.zeros(n)
    nleft, nright, last, i = 0, ns - 1, -1, 0
    while True:
        if nright < n - 1 and x[i] - x[nleft] > x[nright + 1] - x[i]:
            nleft += 1
            nright += 1
            continue
        ys[i], ok = _lowest(x, y, x[i], nleft, nright, rw)
        if not ok:
            ys[i] = y[i]
        if last < i - 1:
            denom = x[i] - x[last]
            for j in range(last + 1, i):
                alpha = (x[j] - x[last]) / denom
                ys[j] = alpha * ys[i] + (1 - alpha) * ys[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < n:
            if x[i] > cut:
                break
            if x[i] == x[last]:
                ys[i] = ys[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            return ys


def lowess(x: np.ndarray, y: np.ndarray, f: float = 2 / 3, iter: int = 3,
           delta: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Robust locally weighted regression (R's ``lowess``).

    Parameters
    ----------
    x, y : ndarray, shape (n,)
    f : float
        Smoother span: the fraction of points in each local fit.
    iter : int
        Robustness iterations.
    delta : float, optional
        Points closer than this reuse interpolation; default ``0.01 * range(x)``.

    Returns
    -------
    xs, ys : ndarray
        ``x`` sorted and the smoothed values.

    Examples
    --------
    >>> xs, ys = lowess(np.arange(10.0), 2 * np.arange(10.0) + 1)
    >>> np.allclose(ys, 2 * xs + 1)
    True
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    n = len(x)
    if n < 2:
        return x, y.copy()
    if delta is None:
        delta = 0.01 * (x[-1] - x[0])
    ns = max(2, min(n, int(f * n + 1e-7)))
    rw = None
    ys = y.copy()
    for it in range(iter + 1):
        ys = _pass(x, y, ns, delta, rw)
        res = y - ys
        sc = float(np.mean(np.abs(res)))
        if it == iter:
            break
        ar = np.sort(np.abs(res))
        m1 = n // 2
        cmad = 3.0 * (ar[m1] + ar[n - m1 - 1]) if n % 2 == 0 else 6.0 * ar[m1]
        if cmad < 1e-7 * sc:
            break
        r = np.abs(res)
        rw = np.where(r <= 0.001 * cmad, 1.0,
                      np.where(r <= 0.999 * cmad, (1 - (r / cmad) ** 2) ** 2, 0.0))
    return x, ys
