"""BOBYQA (Powell 2009) for lme4's first GLMM stage (placeholder: NLopt's BOBYQA)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["bobyqa", "BobyqaResult"]


@dataclass(frozen=True)
class BobyqaResult:
    x: np.ndarray
    fval: float
    feval: int
    ierr: int = 0


def bobyqa(fun, x0, lower, upper, rhobeg: float, rhoend: float, maxfun: int = 10000,
           npt: int | None = None) -> BobyqaResult:
    import nlopt

    n = x0.size
    count = [0]
    best = [np.inf, np.asarray(x0, dtype=float).copy()]

    def f(x, grad):
        count[0] += 1
        v = float(fun(np.asarray(x, dtype=float)))
        if v < best[0]:
            best[0], best[1] = v, np.asarray(x, dtype=float).copy()
        return v

    opt = nlopt.opt(nlopt.LN_BOBYQA, n)
    opt.set_lower_bounds(np.where(np.isfinite(lower), lower, -np.inf))
    opt.set_upper_bounds(np.where(np.isfinite(upper), upper, np.inf))
    opt.set_initial_step(rhobeg)
    opt.set_xtol_abs(rhoend * 1e-3)
    opt.set_maxeval(maxfun)
    opt.set_min_objective(f)
    try:
        opt.optimize(np.asarray(x0, dtype=float))
    except (nlopt.RoundoffLimited, RuntimeError, ValueError):
        pass
    return BobyqaResult(best[1], float(best[0]), count[0])
