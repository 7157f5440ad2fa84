"""The distribution of a weighted sum of chi-squares: Davies (1980) algorithm AS 155,
Liu, Tang & Zhang (2009), and mgcv's ``psum.chisq`` that chooses between them.

Used by :mod:`aurora.inference.smooth_tests` for Wood (2013) p-values.
"""
from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np
from scipy import stats

_EPS = float(np.finfo(float).eps)

__all__ = ["davies", "liu2", "psum_chisq"]


def _log1pmx(x: float) -> float:
    """``log(1 + x) - x`` accurately near 0 (R's ``log1pmx``)."""
    if x > 1 or x < -0.79149064:
        return math.log1p(x) - x
    r = x / (2 + x)
    y = r * r
    if abs(x) < 1e-2:
        return r * ((((2 / 9 * y + 2 / 7) * y + 2 / 5) * y + 2 / 3) * y - x)
    return r * (2 * y * _logcf(y, 3.0, 2.0, 1e-14) - x)


def _logcf(x: float, i: float, d: float, eps: float) -> float:
    """Continued fraction for ``sum_k x^k / (i + k d)`` (R's ``logcf``)."""
    scale = 2.0 ** 256
    c1, c2 = 2 * d, i + d
    c4 = c2 + d
    a1 = c2
    b1 = i * (c2 - i * x)
    b2 = d * d * x
    a2 = c4 * c2 - b2
    b2 = c4 * b1 - i * b2
    while abs(a2 * b1 - a1 * b2) > abs(eps * b1 * b2):
        c3 = c2 * c2 * x
        c2 += d
        c4 += d
        a1 = c4 * a2 - c3 * a1
        b1 = c4 * b2 - c3 * b1
        c3 = c1 * c1 * x
        c1 += d
        c4 += d
        a2 = c4 * a1 - c3 * a2
        b2 = c4 * b1 - c3 * b2
        if abs(b2) > scale:
            a1, b1, a2, b2 = a1 / scale, b1 / scale, a2 / scale, b2 / scale
        elif abs(b2) < 1 / scale:
            a1, b1, a2, b2 = a1 * scale, b1 * scale, a2 * scale, b2 * scale
    return a2 / b2


class _Davies:
    """State of one evaluation of Davies' (1980) characteristic-function inversion.

    The operations and their order follow the published algorithm (and mgcv's C
    translation of it) so that p-values agree with mgcv to rounding.
    """

    def __init__(self, lb: Sequence[float], nc: Sequence[float], n: Sequence[int]) -> None:
        self.lb, self.nc, self.n = list(map(float, lb)), list(map(float, nc)), list(map(int, n))
        self.r = len(self.lb)
        # order(|lb|, decreasing); ties are identical terms in every use here
        self.th = [int(i) for i in np.argsort(-np.abs(np.asarray(self.lb)), kind="stable")]

    def errbd(self, u: float, sigsq: float) -> tuple[float, float]:
        """Bound on the tail probability and the cutoff it applies at."""
        cx = u * sigsq
        sum1 = u * cx
        u = u * 2
        for j in range(self.r - 1, -1, -1):
            nj, lj, ncj = self.n[j], self.lb[j], self.nc[j]
            x = u * lj
            y = 1.0 - x
            cx += lj * (ncj / y + nj) / y
            xy = x / y
            sum1 = sum1 + ncj * xy * xy + nj * (x * xy + _log1pmx(-x))
        return math.exp(-0.5 * sum1), cx

    def ctff(self, accx: float, upn: float, mean: float, lmin: float, lmax: float,
             sigsq: float) -> tuple[float, float]:
        """Cutoff ``c`` with ``P(Q > c) < accx`` (``upn > 0``) or ``P(Q < c) < accx``."""
        u2, u1, c1 = upn, 0.0, mean
        rb = 2 * lmax if u2 > 0 else 2 * lmin
        while True:
            e, c2 = self.errbd(u2 / (1 + u2 * rb), sigsq)
            if e <= accx:
                break
            u1, c1, u2 = u2, c2, u2 * 2
        while (c1 - mean) / (c2 - mean) < 0.9:
            u = (u1 + u2) * 0.5
            e, cst = self.errbd(u / (1 + u * rb), sigsq)
            if e > accx:
                u1, c1 = u, cst
            else:
                u2, c2 = u, cst
        return c2, u2

    def truncation(self, u: float, tausq: float, sigsq: float) -> float:
        """Bound on the integration error from truncating at ``u``."""
        sum1 = prod2 = prod3 = 0.0
        s = 0
        sum2 = (sigsq + tausq) * u * u
        prod1 = 2 * sum2
        u = 2 * u
        for j in range(self.r):
            lj, ncj, nj = self.lb[j], self.nc[j], self.n[j]
            x = u * lj
            x = x * x
            sum1 += ncj * x / (1 + x)
            if x > 1:
                prod2 += nj * math.log(x)
                prod3 += nj * math.log1p(x)
                s = s + nj
            else:
                prod1 += nj * math.log1p(x)
        sum1 = sum1 * 0.5
        prod2 += prod1
        prod3 += prod1
        x = math.exp(-sum1 - 0.25 * prod2) / math.pi
        y = math.exp(-sum1 - 0.25 * prod3) / math.pi
        err1 = 1.0 if s == 0 else 2.0 * x / s
        err2 = 2.5 * y if prod3 > 1 else 1.0
        if err2 < err1:
            err1 = err2
        x = 0.5 * sum2
        err2 = 1.0 if x <= y else y / x
        return err1 if err1 < err2 else err2

    def findu(self, utx: float, accx: float, sigsq: float) -> float:
        """``u`` with truncation(u) < accx and truncation(u / 1.2) > accx."""
        ut = utx
        u = ut * 0.25
        if self.truncation(u, 0, sigsq) > accx:
            while self.truncation(ut, 0, sigsq) > accx:
                ut = ut * 4
        else:
            ut, u = u, u / 4
            while self.truncation(u, 0, sigsq) <= accx:
                ut, u = u, u / 4
        for a in (2.0, 1.4, 1.2, 1.1):
            u = ut / a
            if self.truncation(u, 0, sigsq) <= accx:
                ut = u
        return ut

    def integrate(self, nterm: int, interv: float, tausq: float, main: bool, c: float,
                  intl: float, ersm: float, sigsq: float) -> tuple[float, float]:
        """Add ``nterm + 1`` terms of the inversion integral at step ``interv``."""
        inpi = interv / math.pi
        lb, nc, n = self.lb, self.nc, self.n
        for k in range(nterm, -1, -1):
            u = (k + .5) * interv
            sum1 = -2 * u * c
            sum2 = abs(sum1)
            sum3 = -0.5 * sigsq * u * u
            for j in range(self.r - 1, -1, -1):
                nj = n[j]
                x = 2 * lb[j] * u
                y = x * x
                sum3 = sum3 - 0.25 * nj * math.log1p(y)
                y = nc[j] * x / (1 + y)
                z = nj * math.atan(x) + y
                sum1 += z
                sum2 += abs(z)
                sum3 += -0.5 * x * y
            x = inpi * math.exp(sum3) / u
            if not main:
                x = x * (1 - math.exp(-0.5 * tausq * u * u))
            intl += math.sin(0.5 * sum1) * x
            ersm += 0.5 * sum2 * x
        return intl, ersm

    def cfe(self, x: float, ln28: float) -> tuple[float, bool]:
        """Coefficient of ``tausq`` in the error of the convergence factor at ``x``."""
        axl = abs(x)
        sxl = -1 if x < 0 else 1
        sum1 = 0.0
        lb, n, nc, th = self.lb, self.n, self.nc, self.th
        for j in range(self.r - 1, -1, -1):
            t = th[j]
            if lb[t] * sxl > 0.0:
                lj = abs(lb[t])
                axl1 = axl - lj * (n[t] + nc[t])
                axl2 = lj / ln28
                if axl1 > axl2:
                    axl = axl1
                else:
                    if axl > axl2:
                        axl = axl2
                    sum1 = (axl - axl1) / lj
                    for k in range(j - 1, -1, -1):
                        sum1 += n[th[k]] + nc[th[k]]
                    break
        if sum1 > 100.0:
            return 1.0, True
        return 2.0 ** (sum1 * .25) / (math.pi * axl * axl), False


def davies(lb: Sequence[float], c: float, df: Sequence[int] | None = None,
           nc: Sequence[float] | None = None, sigma: float = 0.0, lim: int = 100000,
           acc: float = 2e-5) -> tuple[float, int]:
    """``P(Q < c)`` for ``Q = sum_j lb_j X_j + sigma Z``, ``X_j ~ chi^2_{df_j}(nc_j)``.

    Davies (1980), Algorithm AS 155. Returns the probability and the fault indicator
    (0 fine, 1 accuracy not reached, 2 round-off possibly significant, 3 invalid
    parameters, 4 integration parameters not found).

    Examples
    --------
    >>> p, fault = davies([1.0, 1.0], 2.0)      # chi^2_2: 1 - exp(-1)
    >>> round(p, 5), fault
    (0.63212, 0)
    """
    r = len(lb)
    df = [1] * r if df is None else list(df)
    nc = [0.0] * r if nc is None else list(nc)
    st = _Davies(lb, nc, df)
    lb, n = st.lb, st.n
    ln28 = math.log(2.0) / 8
    intl = ersm = 0.0
    acc1 = acc
    sd = sigsq = sigma * sigma
    lmax = lmin = 0.0
    mean = 0.0
    for j in range(r):
        nj, lj, ncj = n[j], lb[j], st.nc[j]
        if nj < 0 or ncj < 0:
            return c, 3
        sd += lj * lj * (2.0 * nj + 4.0 * ncj)
        mean += lj * (nj + ncj)
        if lmax < lj:
            lmax = lj
        elif lmin > lj:
            lmin = lj
    if sd == 0.0:
        return (1.0 if c > 0.0 else 0.0), 0
    if lmin == 0.0 and lmax == 0.0 and sigma == 0.0:
        return c, 3
    sd = math.sqrt(sd)
    almx = -lmin if lmax < -lmin else lmax
    utx, up = 16.0 / sd, 4.5 / sd
    un = -up
    utx = st.findu(utx, 0.5 * acc1, sigsq)            # truncation point, no convergence factor
    if c != 0.0 and almx > 0.07 * sd:                 # does a convergence factor help?
        cf, fail = st.cfe(c, ln28)
        tausq = 0.25 * acc1 / cf
        if not fail and st.truncation(utx, tausq, sigsq) < 0.2 * acc1:
            sigsq = sigsq + tausq
            utx = st.findu(utx, 0.25 * acc1, sigsq)
    acc1 = 0.5 * acc1
    while True:                                        # range of the distribution
        cut, up = st.ctff(acc1, up, mean, lmin, lmax, sigsq)
        d1 = cut - c
        if d1 < 0.0:
            return 1.0, 0
        cut, un = st.ctff(acc1, un, mean, lmin, lmax, sigsq)
        d2 = c - cut
        if d2 < 0.0:
            return 0.0, 0
        intv = 2 * math.pi / d1 if d1 > d2 else 2 * math.pi / d2
        nt = _cround(utx / intv)
        ntm = _cround(3.0 / math.sqrt(acc1))
        if nt <= ntm * 1.5:
            break
        intv1 = utx / ntm                              # auxiliary integration
        x = 2 * math.pi / intv1
        if x <= abs(c):
            break
        cf1, _ = st.cfe(c - x, ln28)
        cf2, fail = st.cfe(c + x, ln28)
        tausq = 0.33 * acc1 / (1.1 * (cf1 + cf2))
        if fail:
            break
        acc1 = acc1 * 0.67
        if ntm > lim:
            return -1.0, 0
        intl, ersm = st.integrate(ntm, intv1, tausq, False, c, intl, ersm, sigsq)
        lim = lim - ntm
        sigsq = sigsq + tausq
        utx = st.findu(utx, 0.25 * acc1, sigsq)
        acc1 = 0.75 * acc1
    if nt > lim:
        return -1.0, 1
    intl, ersm = st.integrate(nt, intv, 0.0, True, c, intl, ersm, sigsq)
    value = 0.5 - intl
    fault = 0
    x = ersm + acc / 10.0
    for j in (1, 2, 4, 8):                             # round-off could be significant
        if j * x == j * ersm:
            fault = 2
    return value, fault


def _cround(x: float) -> int:
    """``floor(x)``, plus one when the fraction exceeds one half (the C code's rounding)."""
    k = int(math.floor(x))
    return k + 1 if x - k > .5 else k


def liu2(x: float, lb: Sequence[float], h: Sequence[float] | None = None,
         lower_tail: bool = False) -> float:
    """Liu, Tang & Zhang (2009) approximation to ``P(sum lb_j chi^2_{h_j} > x)``."""
    lb = np.asarray(lb, dtype=float)
    h = np.ones_like(lb) if h is None else np.asarray(h, dtype=float)
    lh = lb * h
    mu_q = lh.sum()
    lh = lh * lb
    c2 = lh.sum()
    lh = lh * lb
    c3 = lh.sum()
    if x <= 0 or c2 <= 0:
        return 1.0
    s1 = c3 / c2 ** 1.5
    s2 = float(np.sum(lh * lb)) / c2 ** 2
    t = (x - mu_q) / math.sqrt(2 * c2)
    if s1 ** 2 > s2:
        a = 1 / (s1 - math.sqrt(s1 ** 2 - s2))
        delta = s1 * a ** 3 - a ** 2
        ell = a ** 2 - 2 * delta
    else:
        a, delta = 1 / s1, 0.0
        if c3 == 0:
            return 1.0
        ell = c2 ** 3 / c3 ** 2
    q = t * math.sqrt(2) * a + ell + delta
    dist = stats.ncx2(ell, delta) if delta > 0 else stats.chi2(ell)
    return float(dist.cdf(q) if lower_tail else dist.sf(q))


def psum_chisq(q: float, lb: Sequence[float], df: Sequence[float] | None = None,
               nc: Sequence[float] | None = None, sigz: float = 0.0, lower_tail: bool = False,
               tol: float = 2e-5, nlim: int = 100000) -> float:
    """``P(sum_j lb_j X_j + sigz Z > q)`` by Davies' method (mgcv's ``psum.chisq``).

    Falls back on :func:`liu2` (with a warning) where Davies' method fails.

    Examples
    --------
    >>> round(psum_chisq(3.0, [1.0]), 4)                # chi^2_1 upper tail
    0.0833
    """
    r = len(lb)
    df = np.ones(r) if df is None else np.broadcast_to(np.asarray(df, dtype=float), (r,))
    nc = np.zeros(r) if nc is None else np.broadcast_to(np.asarray(nc, dtype=float), (r,))
    df = np.round(df)
    if np.any(df < 1):
        raise ValueError("df must be positive integers")
    if np.all(np.asarray(lb) == 0):
        raise ValueError("at least one element of lb must be non-zero")
    value, fault = davies(lb, float(q), [int(d) for d in df], list(nc), max(sigz, 0.0), nlim, tol)
    if fault == 2:
        warnings.warn("danger of round-off error", RuntimeWarning, stacklevel=2)
    elif fault != 0:
        warnings.warn("failure of Davies method, falling back on Liu et al approximation",
                      RuntimeWarning, stacklevel=2)
        return liu2(q, lb, h=df) if np.all(nc == 0) else float("nan")
    return value if lower_tail else 1 - value


# --------------------------------------------------------------------------- tests
