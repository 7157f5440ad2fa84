"""lme4's ``Nelder_Mead``: NLopt's bounded Nelder-Mead as lme4 modified it.

A transcription of lme4's ``src/optimizer.cpp`` (itself from NLopt 2.2.4's ``nldrmd.c``,
S. G. Johnson) driven as lme4's R function ``Nelder_Mead`` drives it, so that a GLMM fit
takes lme4's steps: the same simplex (``x0`` plus ``xst`` along each axis, moved inside
the bounds), reflection ``alpha = 1``, expansion ``2``, contraction and shrink ``1/2``,
reflected points pinned to the bounds (Richardson and Kuester 1973), and lme4's stopping
rule: every coordinate of the simplex within ``xt`` of the centroid (lme4 never checks the
function tolerances it accepts). ``FtolAbs``/``FtolRel`` are kept for the record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["NMResult", "nelder_mead"]

_ALPHA, _BETA, _GAMMA, _DELTA = 1.0, 0.5, 2.0, 0.5

#: lme4's codes: NM.result -> message
_MESSAGES = {-4: "failure to converge", -3: "nm_forced",
             -2: "cannot generate a feasible simplex", -1: "initial x is not feasible",
             0: "active", 1: "objective function went below allowed minimum",
             2: "objective function values converged to within tolerance",
             3: "parameter values converged to within tolerance"}


@dataclass(frozen=True)
class NMResult:
    """What lme4's ``Nelder_Mead`` returns: ``par``, ``fval``, ``feval``, ``NM_result``
    (3: parameters converged, 4: evaluation limit), ``message``."""

    par: np.ndarray
    fval: float
    feval: int
    NM_result: int
    message: str

    @property
    def convergence(self) -> int:
        return 4 if self.NM_result == 4 else min(0, self.NM_result)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-13 * (abs(a) + abs(b))


def _relstop(vold: float, vnew: float, reltol: float, abstol: float) -> bool:
    if abs(vold) == np.inf:
        return False
    d = abs(vnew - vold)
    return d < abstol or d < reltol * (abs(vnew) + abs(vold)) * 0.5 or (reltol > 0 and vnew == vold)


class _NM:
    def __init__(self, lb, ub, xst, x0, xt, maxeval):
        self.lb, self.ub, self.xt, self.maxeval = lb, ub, xt, maxeval
        n = x0.size
        self.n = n
        self.x = x0.copy()
        self.minf = np.inf
        self.nevals = 0
        self.init_pos = 0
        self.stage = "restart"
        self.vals = np.full(n + 1, np.finfo(float).tiny)
        pts = np.repeat(x0[:, None], n + 1, axis=1)
        for i in range(n):
            j = i + 1
            pts[i, j] += xst[i]
            if pts[i, j] > ub[i]:
                pts[i, j] = ub[i] if ub[i] - x0[i] > abs(xst[i]) * 0.1 else x0[i] - abs(xst[i])
            if pts[i, j] < lb[i]:
                if x0[i] - lb[i] > abs(xst[i]) * 0.1:
                    pts[i, j] = lb[i]
                else:
                    pts[i, j] = x0[i] + abs(xst[i])
                    if pts[i, j] > ub[i]:
                        pts[i, j] = 0.5 * ((ub[i] if ub[i] - x0[i] > x0[i] - lb[i] else lb[i])
                                           + x0[i])
            if _close(pts[i, j], x0[i]):
                raise ValueError("cannot generate feasible simplex")
        self.pts = pts
        self.xeval = x0.copy()
        self.c = np.zeros(n)
        self.xcur = np.zeros(n)

    def _reflect(self, c, scale, xold):
        xnew = c + scale * (c - xold)
        newx = np.minimum(np.maximum(xnew, self.lb), self.ub)
        equalc = all(_close(a, b) for a, b in zip(newx, c))
        equalold = all(_close(a, b) for a, b in zip(newx, xold))
        return newx, not (equalc or equalold)

    def newf(self, f: float) -> int:
        self.nevals += 1
        if f < self.minf:
            self.minf = f
            self.x = self.xeval.copy()
        if self.maxeval > 0 and self.nevals > self.maxeval:
            return -4
        if self.init_pos <= self.n:
            self.vals[self.init_pos] = f
            self.init_pos += 1
            if self.init_pos > self.n:
                return self._restart()
            self.xeval = self.pts[:, self.init_pos].copy()
            return 0
        return getattr(self, "_" + self.stage)(f)

    def _restart(self, f: float | None = None) -> int:
        self.il = int(np.argmin(self.vals))
        self.fl = float(self.vals[self.il])
        self.ih = int(np.argmax(self.vals))
        self.fh = float(self.vals[self.ih])
        self.c = (self.pts.sum(axis=1) - self.pts[:, self.ih]) / self.n
        dev = np.max(np.abs(self.pts - self.c[:, None]), axis=1)
        if all(_relstop(dev[i], 0.0, 1e-7, self.xt[i]) for i in range(self.n)):
            return 3
        self.xcur, ok = self._reflect(self.c, _ALPHA, self.pts[:, self.ih])
        if not ok:
            return 3
        self.xeval = self.xcur.copy()
        self.stage = "postreflect"
        return 0

    def _postreflect(self, f: float) -> int:
        if f < self.fl:
            self.xeval, ok = self._reflect(self.c, _GAMMA, self.pts[:, self.ih])
            if not ok:
                return 3
            self.stage = "postexpand"
            self.f_old = f
            return 0
        if f < self.fh:
            self.vals[self.ih] = f
            self.pts[:, self.ih] = self.xeval
            return self._restart()
        self.xcur, ok = self._reflect(self.c, -_BETA if self.fh <= f else _BETA,
                                      self.pts[:, self.ih])
        if not ok:
            return 3
        self.f_old = f
        self.xeval = self.xcur.copy()
        self.stage = "postcontract"
        return 0

    def _postexpand(self, f: float) -> int:
        if f < self.vals[self.ih]:
            self.pts[:, self.ih] = self.xeval
            self.vals[self.ih] = f
        else:
            self.pts[:, self.ih] = self.xcur
            self.vals[self.ih] = self.f_old
        return self._restart()

    def _postcontract(self, f: float) -> int:
        if f < self.f_old and f < self.fh:
            self.pts[:, self.ih] = self.xeval
            self.vals[self.ih] = f
            return self._restart()
        for i in range(self.n + 1):
            if i != self.il:
                xe, ok = self._reflect(self.pts[:, self.il], -_DELTA, self.pts[:, i])
                if not ok:
                    return 3
                self.xeval = xe
                self.pts[:, i] = xe
        self.init_pos = 0
        self.xeval = self.pts[:, 0].copy()
        return 0


def nelder_mead(fn: Callable[[np.ndarray], float], par: np.ndarray, lower: np.ndarray,
                upper: np.ndarray | None = None, xst: np.ndarray | None = None,
                xt: np.ndarray | None = None, maxfun: int = 10000) -> NMResult:
    """Minimise ``fn`` by lme4's ``Nelder_Mead`` (bounded, lme4's stopping rule).

    Parameters
    ----------
    fn : callable
    par : ndarray
        Start (must satisfy the bounds).
    lower, upper : ndarray
    xst : ndarray, optional
        Initial steps (lme4's default 0.02).
    xt : ndarray, optional
        Convergence tolerances on the parameters (default ``xst * 5e-4``).
    maxfun : int

    Returns
    -------
    NMResult

    Examples
    --------
    >>> r = nelder_mead(lambda x: float((x[0] - 1) ** 2 + (x[1] + 2) ** 2),
    ...                 np.zeros(2), np.full(2, -np.inf))
    >>> np.round(r.par, 3).tolist(), r.NM_result
    ([1.0, -2.0], 3)
    """
    par = np.asarray(par, dtype=float)
    n = par.size
    lower = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy()
    upper = np.full(n, np.inf) if upper is None else np.broadcast_to(
        np.asarray(upper, dtype=float), (n,)).copy()
    xst = np.full(n, 0.02) if xst is None else np.asarray(xst, dtype=float)
    xt = xst * 5e-4 if xt is None else np.asarray(xt, dtype=float)
    if np.any(par < lower) or np.any(par > upper):
        raise ValueError("initial x is not a feasible point")
    nm = _NM(lower, upper, xst, par, xt, maxfun)
    it = 0
    while True:
        it += 1
        res = nm.newf(float(fn(nm.xeval.copy())))
        if res != 0:
            break
    if res == -4:
        res = 4
    msg = (f"failure to converge in {maxfun} evaluations" if res == 4
           else _MESSAGES.get(res, ""))
    return NMResult(nm.x.copy(), float(nm.minf), it, res, msg)
