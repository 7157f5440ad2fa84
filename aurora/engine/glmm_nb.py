"""Negative-binomial GLMMs with ``theta`` estimated, as lme4's ``glmer.nb``.

lme4's recipe (``R/nbinom.R``): fit the Poisson GLMM; ``theta0 = theta.ml(y, fitted)``
(``limit = 20``, ``eps = 1e-4``); fit the negative-binomial GLMM at ``theta0``; then R's
``optimize`` (Brent's ``fmin``) over ``log(theta)`` on ``log(theta0) +- 3`` with
``tol = 5e-5``, each evaluation ``refit``-ting the last fit at the new theta and returning
its ``-2 logLik``; ``optimize`` evaluates once more at the minimum, and that fit is the
model.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from aurora.engine.glmm import GLMMModel
from aurora.engine.glmm_optimize import GLMMFit, fit_glmm, refit_glmm

__all__ = ["brent_fmin", "fit_glmm_nb"]


def brent_fmin(f: Callable[[float], float], ax: float, bx: float, tol: float) -> float:
    """R's ``Brent_fmin`` (``optimize``'s engine, ``stats/src/optimize.c``).

    Examples
    --------
    >>> round(brent_fmin(lambda x: (x - 1.3) ** 2, 0.0, 3.0, 1e-8), 6)
    1.3
    """
    c = (3.0 - math.sqrt(5.0)) * 0.5
    eps = math.sqrt(np.finfo(float).eps)
    a, b = ax, bx
    v = a + c * (b - a)
    w = x = v
    d = e = 0.0
    fx = f(x)
    fv = fw = fx
    tol3 = tol / 3.0
    while True:
        xm = (a + b) * 0.5
        tol1 = eps * abs(x) + tol3
        t2 = tol1 * 2.0
        if abs(x - xm) <= t2 - (b - a) * 0.5:
            break
        p = q = r = 0.0
        if abs(e) > tol1:  # fit a parabola
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = (q - r) * 2.0
            if q > 0.0:
                p = -p
            else:
                q = -q
            r = e
            e = d
        if abs(p) >= abs(q * 0.5 * r) or p <= q * (a - x) or p >= q * (b - x):
            e = (b - x) if x < xm else (a - x)  # golden section
            d = c * e
        else:
            d = p / q
            u = x + d
            if u - a < t2 or b - u < t2:
                d = tol1 if x < xm else -tol1
        if abs(d) >= tol1:
            u = x + d
        elif d > 0.0:
            u = x + tol1
        else:
            u = x - tol1
        fu = f(u)
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv = w, fw
                w, fw = u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x


def fit_glmm_nb(m: GLMMModel, nAGQ: int = 1, control: dict | None = None,
                tol: float = 5e-5) -> tuple[GLMMFit, GLMMModel, dict]:
    """lme4's ``glmer.nb`` on a model whose family is any (the Poisson and negative
    binomial families are set here).

    Returns
    -------
    fit : GLMMFit
        The last refit (at the estimated theta).
    model : GLMMModel
        With the negative-binomial family at that theta.
    info : dict
        ``theta0`` (``theta.ml`` of the Poisson fit), ``nevals``, ``trace`` (``(theta,
        -2 logLik)`` of every refit).
    """
    from aurora.distributions.negbin import theta_ml
    from aurora.engine.glmm_family import LmeFamily

    link = m.family.link
    pois = m.with_family(LmeFamily("poisson", link))
    g0 = fit_glmm(pois, nAGQ, control)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        th0, _ = theta_ml(m.y, g0.state.mu, weights=m.weights, limit=20, eps=2 * tol)
    fam = LmeFamily("negative.binomial", link, th0)
    last = {"fit": fit_glmm(m.with_family(fam), nAGQ, control), "model": m.with_family(fam)}
    trace: list = []

    def nbfun(t: float) -> float:
        mod = m.with_family(fam.with_theta(math.exp(t)))
        last["fit"] = refit_glmm(mod, last["fit"], control)
        last["model"] = mod
        trace.append((math.exp(t), last["fit"].deviance))
        return last["fit"].deviance

    lt = math.log(th0)
    xmin = brent_fmin(nbfun, lt - 3.0, lt + 3.0, tol)
    nbfun(xmin)  # optimize() evaluates f once more at the minimum
    return last["fit"], last["model"], {"theta0": th0, "nevals": len(trace),
                                        "trace": tuple(trace)}
