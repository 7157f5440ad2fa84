"""The outer loop of a GLMM: lme4's two-stage optimisation of the Laplace (or adaptive
quadrature) deviance.

As lme4's ``glmer``:

1. PIRLS over ``(u, beta)`` at the starting ``theta`` from R's ``mustart``;
2. stage 1 (``nAGQ = 0``): minimise over ``theta`` the Laplace deviance with ``beta``
   inside the PIRLS, every evaluation starting from the linear predictor of step 1
   (BOBYQA, ``rhobeg = 0.2``, ``rhoend = 2e-7``);
3. stage 2: minimise over ``(theta, beta)`` the Laplace deviance with ``u`` by PIRLS
   (``beta`` in the offset), every evaluation starting from the stage-1 linear
   predictor, by lme4's Nelder-Mead (``xst = 0.2 (0.1, ..., min(sd(beta), 10))``,
   ``xt = 5e-4 xst``);
4. lme4's ``deriv12`` finite-difference gradient and Hessian (step ``1e-4``), which give
   the covariance of ``beta`` (``2 H^{-1}``'s block) and the convergence checks
   (``check.conv.grad``, ``check.conv.hess``, ``check.boundary``, ``isSingular``).

References: lme4 ``R/lmer.R`` (``glmer``, ``optimizeGlmer``, ``updateGlmerDevfun``),
``R/optimizer.R`` (``optwrap``), ``R/deriv.R`` (``deriv12``), ``R/checkConv.R``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aurora.engine.glmm import GLMMModel, PirlsState, initial_state, laplace, pirls, \
    unscaled_vcov
from aurora.engine.nelder_mead import nelder_mead

__all__ = ["GLMM_CONTROL", "GLMMFit", "fit_glmm", "refit_glmm", "deriv12", "glmm_devfun"]

GLMM_CONTROL: dict[str, Any] = {
    "optimizer": ("bobyqa", "Nelder_Mead"),  # lme4's glmerControl() default
    "tolPwrss": 1e-7,
    "maxit": 100,           # PIRLS steps
    "nAGQ0initStep": True,
    "boundary_tol": 1e-5,
    "calc_derivs": True,
    "grad_tol": 2e-3,       # check.conv.grad
    "hess_tol": 1e-6,       # check.conv.hess
    "singular_tol": 1e-4,   # check.conv.singular
    "maxfun": 10000,        # Nelder-Mead evaluations
    "deriv_delta": 1e-4,    # deriv12's step
}


@dataclass(frozen=True)
class GLMMFit:
    """Estimates of a GLMM.

    Attributes
    ----------
    theta, beta : ndarray
    state : PirlsState
        lme4's ``pp``/``resp`` at the estimates (conditional modes ``delu``, ``mu``,
        ``eta``, the last factor).
    deviance : float
        lme4's criterion at the estimates (``-2 logLik``: Laplace or quadrature).
    nAGQ : int
    gradient, hessian : ndarray or None
        ``deriv12`` at the estimates (over ``theta`` then ``beta``).
    vcov : ndarray
        Covariance of ``beta`` (from the Hessian as lme4's ``vcov.merMod``, else from
        ``RX``).
    converged, singular : bool
    messages : tuple of str
        lme4's convergence messages (``checkConv``).
    optimizer : str
    feval : int
    trace : tuple
        ``(pars, deviance)`` of every evaluation of the last stage.
    """

    theta: np.ndarray
    beta: np.ndarray
    state: PirlsState = field(repr=False)
    deviance: float
    nAGQ: int
    gradient: np.ndarray | None = field(repr=False, default=None)
    hessian: np.ndarray | None = field(repr=False, default=None)
    vcov: np.ndarray | None = field(repr=False, default=None)
    converged: bool = True
    singular: bool = False
    messages: tuple[str, ...] = ()
    optimizer: str = "Nelder_Mead"
    feval: int = 0
    optimizer_code: int = 0
    trace: tuple = field(repr=False, default=())
    warnings: tuple[str, ...] = ()
    lp0: np.ndarray | None = field(repr=False, default=None)
    optimizer_message: str = ""


def deriv12(fun, x: np.ndarray, delta: float = 1e-4, fx: float | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """lme4's ``deriv12``: central-difference gradient and Hessian, in lme4's order of
    evaluation.

    Examples
    --------
    >>> g, H = deriv12(lambda v: float(v[0] ** 2 + 3 * v[0] * v[1]), np.array([1.0, 2.0]))
    >>> np.round(g, 6).tolist(), np.round(H, 6).tolist()
    ([8.0, 3.0], [[2.0, 3.0], [3.0, 0.0]])
    """
    x = np.asarray(x, dtype=float)
    nx = x.size
    fx = fun(x) if fx is None else fx
    H = np.full((nx, nx), np.nan)
    g = np.zeros(nx)

    def at(**mods):
        v = x.copy()
        for j, d in mods.values():
            v[j] += d
        return fun(v)

    d = delta
    for j in range(nx):
        fadd = at(a=(j, d))
        fsub = at(a=(j, -d))
        H[j, j] = fadd / d ** 2 - 2 * fx / (d * d) + fsub / d ** 2
        g[j] = (fadd - fsub) / (2 * d)
        for i in range(j):
            faa = at(a=(i, d), b=(j, d))
            fas = at(a=(i, d), b=(j, -d))
            fsa = at(a=(i, -d), b=(j, d))
            fss = at(a=(i, -d), b=(j, -d))
            H[i, j] = H[j, i] = (faa - fas - fsa + fss) / (2 * d) ** 2
    return g, H


def glmm_devfun(m: GLMMModel, st: PirlsState, lp0: np.ndarray, nAGQ: int,
                ctl: dict, trace: list | None = None):
    """lme4's ``mkdevfun`` for a GLMM: ``f(theta)`` (``nAGQ = 0``) or ``f(c(theta,
    beta))``, each evaluation starting PIRLS from ``lp0``."""
    base = m.offset
    nth = m.ntheta
    tol, maxit = ctl["tolPwrss"], int(ctl["maxit"])

    if nAGQ == 0:
        def dev0(theta: np.ndarray) -> float:
            st.offset = base
            st.update_mu(m, lp0)
            st.set_theta(m, theta)
            pirls(m, st, u_only=False, tol=tol, maxit=maxit)
            val = laplace(m, st)
            if trace is not None:
                trace.append((np.array(theta, dtype=float), val))
            return val
        return dev0

    def dev(pars: np.ndarray) -> float:
        pars = np.asarray(pars, dtype=float)
        st.offset = base
        st.update_mu(m, lp0)
        st.set_theta(m, pars[:nth])
        beta = pars[nth:]
        st.offset = base + m.X @ beta if beta.size else base
        pirls(m, st, u_only=True, tol=tol, maxit=maxit)
        if nAGQ == 1:
            val = laplace(m, st)
        else:
            from aurora.engine.glmm_agq import agq_deviance

            val = agq_deviance(m, st, nAGQ)
        if trace is not None:
            trace.append((pars.copy(), val))
        return val
    return dev


def _stage1(fun, theta0: np.ndarray, lower: np.ndarray) -> Any:
    """lme4's first stage: BOBYQA (minqa's defaults: ``rhobeg = min(0.95, 0.2
    max|x|)``, ``rhoend = 1e-6 rhobeg``) over theta; the ``BobyqaResult``."""
    from aurora.engine.bobyqa import bobyqa

    x0 = np.asarray(theta0, dtype=float).copy()
    if np.all(x0 == 0):
        x0[:] = 0.001
    rhobeg = min(0.95, 0.2 * float(np.max(np.abs(x0))))
    return bobyqa(fun, x0, lower, np.full(x0.size, np.inf), rhobeg, 1e-6 * rhobeg)


def fit_glmm(m: GLMMModel, nAGQ: int = 1, control: dict | None = None,
             start: dict | None = None) -> GLMMFit:
    """Fit a GLMM as lme4's ``glmer`` (see the module docstring).

    Parameters
    ----------
    m : GLMMModel
    nAGQ : int
        0 (stage 1 only), 1 (Laplace) or more (quadrature; one scalar term).
    control : dict, optional
        Overrides of :data:`GLMM_CONTROL`.
    start : dict, optional
        ``{"theta": ..., "fixef": ...}``.

    Returns
    -------
    GLMMFit
    """
    from aurora.engine.lmm_optimize import _blas_threads

    with _blas_threads(m.q - m.terms.terms[0].q):
        return _fit_glmm(m, nAGQ, control, start)


def _control(control: dict | None) -> dict:
    unknown = sorted(set(control or {}) - set(GLMM_CONTROL))
    if unknown:
        from aurora.errors import ModelSpecError

        raise ModelSpecError(f"unknown glmer control setting(s) {unknown}",
                             f"use keys of GLMM_CONTROL: {', '.join(GLMM_CONTROL)}")
    ctl = dict(GLMM_CONTROL)
    ctl.update(control or {})
    return ctl


def _fit_glmm(m: GLMMModel, nAGQ: int, control: dict | None, start: Any) -> GLMMFit:
    ctl = _control(control)
    terms = m.terms
    nth = m.ntheta
    lower_th = terms.lower
    if start is not None and not isinstance(start, dict):  # lme4: a numeric start is theta
        start = {"theta": start}
    start = dict(start or {})
    bad = sorted(set(start) - {"theta", "fixef"})
    if bad:
        from aurora.errors import ModelSpecError

        raise ModelSpecError(f"bad name(s) for start ({', '.join(bad)})",
                             "give start as {'theta': [...], 'fixef': [...]}")
    theta0 = np.asarray(start.get("theta", terms.theta0), dtype=float)
    init0 = bool(ctl["nAGQ0initStep"])
    st = initial_state(m, theta0)
    pirls(m, st, u_only=not init0, tol=ctl["tolPwrss"], maxit=int(ctl["maxit"]))
    lp0 = st.lin_pred(m)
    theta1 = theta0
    if init0:
        dev0 = glmm_devfun(m, st, lp0, 0, ctl)
        stage1 = _stage1(dev0, theta0, lower_th)
        theta1 = stage1.x
        val0 = dev0(theta1)
        if nAGQ == 0:
            return _finish_stage0(m, st, dev0, theta1, val0, lower_th, ctl, lp0,
                                  stage1.feval, stage1.ierr)
    lp0 = st.lin_pred(m)
    beta_start = np.asarray(start.get("fixef", st.delb), dtype=float)
    par0 = np.concatenate([theta1, beta_start])
    lower = np.concatenate([lower_th, np.full(m.p, -np.inf)])
    sd = np.sqrt(np.diag(unscaled_vcov(m, st)))
    xst = 0.2 * np.concatenate([np.full(nth, 0.1), np.minimum(sd, 10.0)])
    trace: list = []
    dev = glmm_devfun(m, st, lp0, nAGQ, ctl, trace)
    opt = nelder_mead(dev, par0, lower, xst=xst, xt=xst * 5e-4, maxfun=int(ctl["maxfun"]))
    warns = []
    if opt.convergence != 0:  # lme4's optinfo$warnings: Nelder_Mead's own, then optwrap's
        warns += [opt.message, f"convergence code {opt.convergence} from Nelder_Mead: "
                  f"{opt.message}"]
    return _finish(m, st, dev, opt.par, opt.fval, lower, ctl, opt.feval, opt.convergence,
                   tuple(trace), nAGQ, "Nelder_Mead", tuple(warns), lp0)


def _finish(m, st, dev, par, fval, lower, ctl, feval, code, trace, nAGQ, optimizer, warns,
            lp0, boundary: bool = True) -> GLMMFit:
    nth = m.ntheta
    par = np.asarray(par, dtype=float).copy()
    grad = hess = None
    if ctl["calc_derivs"]:
        # optwrap passes opt$value, which Nelder_Mead's result lacks: deriv12 evaluates f
        grad, hess = deriv12(dev, par, ctl["deriv_delta"], None)
    dev(par)
    # lme4's check.boundary: theta just above a bound is put on it if that is no worse
    bd = st.theta - lower[:nth]
    edge = (bd > 0) & (bd < ctl["boundary_tol"])
    if boundary and np.any(edge):
        pp = par.copy()
        for i in np.flatnonzero(edge):
            tmp = pp.copy()
            tmp[i] = lower[i]
            if dev(tmp) < fval:
                pp[i] = tmp[i]
        par = pp
        fval = dev(par)
    st.offset = m.offset
    from aurora.engine.glmm_check import check_convergence, vcov_from_hessian

    conv = check_convergence(grad, hess, par, lower, nth, ctl)
    vcov = vcov_from_hessian(hess, nth) if hess is not None and hess.shape[0] > nth else None
    if vcov is None:
        vcov = unscaled_vcov(m, st)
    return GLMMFit(par[:nth].copy(), par[nth:].copy(), st, float(fval), nAGQ, grad, hess, vcov,
                   conv.converged and code == 0, conv.singular, conv.messages, optimizer,
                   feval, code, trace, warns, lp0, warns[0] if warns else "")


def refit_glmm(m: GLMMModel, prev: GLMMFit, control: dict | None = None) -> GLMMFit:
    """lme4's ``refit`` of a GLMM (as ``glmer.nb``'s ``refitNB`` uses it): a fresh response
    module from ``mustart``, PIRLS for ``u`` at the previous ``theta`` (no fixed effects),
    then Nelder-Mead over ``(theta, beta)`` from the previous estimates with its default
    steps (``0.02``), no ``check.boundary``."""
    ctl = dict(GLMM_CONTROL)
    ctl.update(control or {})
    st = prev.state.copy()
    st.delb = np.zeros(m.p)
    eta = m.offset + m.family.linkfun(m.family.mustart(m.y, m.weights, m.n_trials))
    st.offset = m.offset.copy()
    st.eta, st.mu = eta, m.family.linkinv(eta)
    pirls(m, st, u_only=True, tol=ctl["tolPwrss"], maxit=int(ctl["maxit"]))
    lp0 = st.lin_pred(m)
    par0 = np.concatenate([st.theta, prev.beta])
    lower = np.concatenate([m.terms.lower, np.full(m.p, -np.inf)])
    trace: list = []
    dev = glmm_devfun(m, st, lp0, prev.nAGQ, ctl, trace)
    opt = nelder_mead(dev, par0, lower, maxfun=int(ctl["maxfun"]))
    warns = []
    if opt.convergence != 0:  # lme4's optinfo$warnings: Nelder_Mead's own, then optwrap's
        warns += [opt.message, f"convergence code {opt.convergence} from Nelder_Mead: "
                  f"{opt.message}"]
    return _finish(m, st, dev, opt.par, opt.fval, lower, ctl, opt.feval, opt.convergence,
                   tuple(trace), prev.nAGQ, "Nelder_Mead", tuple(warns), lp0, boundary=False)


def _finish_stage0(m, st, dev0, theta, val, lower_th, ctl, lp0, feval: int = 0,
                   code: int = 0) -> GLMMFit:
    """``nAGQ = 0``: the stage-1 fit is the model (``check.boundary`` applies); ``feval``
    and ``code`` are BOBYQA's (lme4's ``optinfo$feval`` and ``conv$opt``)."""
    bd = theta - lower_th
    edge = (bd > 0) & (bd < ctl["boundary_tol"])
    if np.any(edge):
        pp = theta.copy()
        for i in np.flatnonzero(edge):
            tmp = pp.copy()
            tmp[i] = lower_th[i]
            if dev0(tmp) < val:
                pp[i] = tmp[i]
        theta = pp
        val = dev0(theta)
    from aurora.engine.glmm_check import check_convergence

    conv = check_convergence(None, None, theta, lower_th, m.ntheta, ctl)
    vc = unscaled_vcov(m, st)
    return GLMMFit(theta.copy(), st.delb.copy(), st, float(val), 0, None, None, vc,
                   conv.converged, conv.singular, conv.messages, "bobyqa", int(feval), int(code),
                   (), (), lp0)
