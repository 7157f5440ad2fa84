"""Powell's BOBYQA as R's ``minqa::bobyqa`` runs it (lme4's first GLMM stage).

A line-by-line transcription of the Fortran in minqa (``bobyqa.f``, ``bobyqb.f``,
``prelim.f``, ``trsbox.f``, ``altmov.f``, ``updatebobyqa.f``; M. J. D. Powell, "The BOBYQA
algorithm for bound constrained optimization without derivatives", DAMTP 2009/NA06), with
minqa's defaults (``npt = n + 2`` interpolation points, ``rhobeg = min(0.95, 0.2
max|x0|)``, ``rhoend = 1e-6 rhobeg``). Sums run in the Fortran's order with Python floats,
so the iterates are minqa's: a GLMM's first stage then ends where lme4's does, and the
Nelder-Mead of the second stage takes lme4's steps from there. Arrays are 1-based (index 0
unused) to keep the transcription literal. Powell's ``RESCUE`` (for interpolation sets
that degenerate) is not transcribed: when BOBYQA would call it, the search stops at the
best point so far with ``ierr = 5``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["bobyqa", "BobyqaResult"]


@dataclass(frozen=True)
class BobyqaResult:
    """``x`` (the solution), ``fval``, ``feval`` and minqa's ``ierr`` (0: normal exit, 1:
    evaluation limit, 3: a trust-region step failed to reduce q, 4: bounds too close,
    5: cancellation in the denominator / rescue needed)."""

    x: np.ndarray
    fval: float
    feval: int
    ierr: int = 0


class _Stop(Exception):
    pass


def _zeros(*shape):
    if len(shape) == 1:
        return [0.0] * (shape[0] + 1)
    return [[0.0] * (shape[1] + 1) for _ in range(shape[0] + 1)]


def bobyqa(fun: Callable[[np.ndarray], float], x0: np.ndarray, lower: np.ndarray,
           upper: np.ndarray, rhobeg: float | None = None, rhoend: float | None = None,
           maxfun: int = 10000, npt: int | None = None) -> BobyqaResult:
    """Minimise ``fun`` within bounds by BOBYQA (minqa's transcription and defaults).

    Examples
    --------
    >>> r = bobyqa(lambda v: float((v[0] - 1) ** 2 + 10 * (v[1] + 0.5) ** 2),
    ...            np.array([0.5, 0.5]), np.array([0.0, -2.0]), np.array([np.inf, np.inf]))
    >>> np.round(r.x, 5).tolist(), r.ierr
    ([1.0, -0.5], 0)
    """
    x0 = np.asarray(x0, dtype=float)
    n = x0.size
    if rhobeg is None:
        rhobeg = min(0.95, 0.2 * float(np.max(np.abs(x0))))
    if rhoend is None:
        rhoend = 1e-6 * rhobeg
    if npt is None:
        npt = max(n + 2, min(min(n + 2, 2 * n), (n + 1) * (n + 2) // 2))
    xl = [0.0] + [float(v) for v in np.broadcast_to(lower, (n,))]
    xu = [0.0] + [float(v) for v in np.broadcast_to(upper, (n,))]
    x = [0.0] + [float(v) for v in x0]
    count = [0]

    def calfun(xx: list) -> float:
        count[0] += 1
        return float(fun(np.array(xx[1:], dtype=float)))

    np1 = n + 1
    if npt < n + 2 or npt > ((n + 2) * np1) // 2:
        raise ValueError("bobyqa: NPT is not in the required interval")
    sl, su = _zeros(n), _zeros(n)
    for j in range(1, n + 1):
        temp = xu[j] - xl[j]
        if temp < rhobeg + rhobeg:
            return BobyqaResult(x0.copy(), float("nan"), 0, 4)
        sl[j] = xl[j] - x[j]
        su[j] = xu[j] - x[j]
        if sl[j] >= -rhobeg:
            if sl[j] >= 0.0:
                x[j] = xl[j]
                sl[j] = 0.0
                su[j] = temp
            else:
                x[j] = xl[j] + rhobeg
                sl[j] = -rhobeg
                su[j] = max(xu[j] - x[j], rhobeg)
        elif su[j] <= rhobeg:
            if su[j] <= 0.0:
                x[j] = xu[j]
                sl[j] = -temp
                su[j] = 0.0
            else:
                x[j] = xu[j] - rhobeg
                sl[j] = min(xl[j] - x[j], -rhobeg)
                su[j] = rhobeg
    from aurora.engine._bobyqb import bobyqb

    f, ierr = bobyqb(n, npt, x, xl, xu, rhobeg, rhoend, maxfun, sl, su, calfun)
    return BobyqaResult(np.array(x[1:], dtype=float), f, count[0], ierr)


def _prelim(n, npt, x, xl, xu, rhobeg, maxfun, xbase, xpt, fval, gopt, hq, pq, bmat, zmat,
            sl, su, calfun):
    rhosq = rhobeg * rhobeg
    recip = 1.0 / rhosq
    np1 = n + 1
    for j in range(1, n + 1):
        xbase[j] = x[j]
    nf = 0
    kopt = 1
    fbeg = 0.0
    stepa = stepb = 0.0
    ipt = jpt = 0
    while True:
        nfm = nf
        nfx = nf - n
        nf += 1
        if nfm <= 2 * n:
            if 1 <= nfm <= n:
                stepa = rhobeg
                if su[nfm] == 0.0:
                    stepa = -stepa
                xpt[nf][nfm] = stepa
            elif nfm > n:
                stepa = xpt[nf - n][nfx]
                stepb = -rhobeg
                if sl[nfx] == 0.0:
                    stepb = min(2.0 * rhobeg, su[nfx])
                if su[nfx] == 0.0:
                    stepb = max(-2.0 * rhobeg, sl[nfx])
                xpt[nf][nfx] = stepb
        else:
            itemp = (nfm - np1) // n
            jpt = nfm - itemp * n - n
            ipt = jpt + itemp
            if ipt > n:
                itemp = jpt
                jpt = ipt - n
                ipt = itemp
            xpt[nf][ipt] = xpt[ipt + 1][ipt]
            xpt[nf][jpt] = xpt[jpt + 1][jpt]
        for j in range(1, n + 1):
            x[j] = min(max(xl[j], xbase[j] + xpt[nf][j]), xu[j])
            if xpt[nf][j] == sl[j]:
                x[j] = xl[j]
            if xpt[nf][j] == su[j]:
                x[j] = xu[j]
        f = calfun(x)
        fval[nf] = f
        if nf == 1:
            fbeg = f
            kopt = 1
        elif f < fval[kopt]:
            kopt = nf
        if nf <= 2 * n + 1:
            if 2 <= nf <= n + 1:
                gopt[nfm] = (f - fbeg) / stepa
                if npt < nf + n:
                    bmat[1][nfm] = -1.0 / stepa
                    bmat[nf][nfm] = 1.0 / stepa
                    bmat[npt + nfm][nfm] = -0.5 * rhosq
            elif nf >= n + 2:
                ih = (nfx * (nfx + 1)) // 2
                temp = (f - fbeg) / stepb
                diff = stepb - stepa
                hq[ih] = 2.0 * (temp - gopt[nfx]) / diff
                gopt[nfx] = (gopt[nfx] * stepb - temp * stepa) / diff
                if stepa * stepb < 0.0 and f < fval[nf - n]:
                    fval[nf] = fval[nf - n]
                    fval[nf - n] = f
                    if kopt == nf:
                        kopt = nf - n
                    xpt[nf - n][nfx] = stepb
                    xpt[nf][nfx] = stepa
                bmat[1][nfx] = -(stepa + stepb) / (stepa * stepb)
                bmat[nf][nfx] = -0.5 / xpt[nf - n][nfx]
                bmat[nf - n][nfx] = -bmat[1][nfx] - bmat[nf][nfx]
                zmat[1][nfx] = math.sqrt(2.0) / (stepa * stepb)
                zmat[nf][nfx] = math.sqrt(0.5) / rhosq
                zmat[nf - n][nfx] = -zmat[1][nfx] - zmat[nf][nfx]
        else:
            ih = (ipt * (ipt - 1)) // 2 + jpt
            zmat[1][nfx] = recip
            zmat[nf][nfx] = recip
            zmat[ipt + 1][nfx] = -recip
            zmat[jpt + 1][nfx] = -recip
            temp = xpt[nf][ipt] * xpt[nf][jpt]
            hq[ih] = (fbeg - fval[ipt + 1] - fval[jpt + 1] + f) / temp
        if not (nf < npt and nf < maxfun):
            break
    return nf, kopt

