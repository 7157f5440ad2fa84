"""One evaluation of the smoothing criterion at given log smoothing parameters.

For ``rho = log(lambda)`` :func:`evaluate` fits the penalised GLM by PIRLS (mgcv's
``gam.fit3`` step for step: same start, same step halving, same convergence test) in the
coordinates of the stable reparametrisation (:mod:`aurora.engine.reparam`) and evaluates
the criterion mgcv reports as ``gcv.ubre`` (Wood 2011, JRSS-B 73:3-36, sections 2-3):

* REML: ``(D_p / (2 phi) - l_s) / gamma + log|X'WX + S|/2 - log|S|_+/2
  - M_p/2 log(2 pi phi / gamma)``, with ``D_p = D(beta) + beta'S beta`` the penalised
  deviance, ``l_s`` the saturated log-likelihood and ``M_p`` the penalty null-space
  dimension; ML replaces ``log|X'WX + S|`` by its block on the penalty range space and
  drops the ``M_p`` term;
* GCV: ``n D / (n - gamma tr(A))^2``; UBRE: ``D/n - 2 phi (n - gamma tr(A))/n + phi``.

Extended families (:mod:`aurora.engine.extended`) use mgcv's ``gam.fit4`` weights instead:
full Newton weights from the deviance's derivatives.

:func:`add_derivatives` (:mod:`aurora.engine.reml_derivs`) adds the exact gradient and
Hessian with respect to ``rho``, an extended family's parameters and ``log(phi)``; the
exponential families' link and variance derivatives are in
:mod:`aurora.engine.family_calculus`, the linear algebra helpers in
:mod:`aurora.engine.reml_linalg` (all re-exported here).

Every data-sized operation goes through the design protocol (``matvec``, ``rmatvec``,
``sandwich``, ``weighted_normal_equations``); the rest is p x p work in NumPy/SciPy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aurora.engine.family_calculus import FamilyCalculus
from aurora.engine.pirls import NoValidCoefficientsError
from aurora.engine.reml_derivs import add_derivatives
from aurora.engine.reml_linalg import (_chol, _chol_logdet, _chol_solve, _Coords,
                                       _range_index, row_quadratic, signed_sandwich)
from aurora.engine.reparam import PenaltySetup, StableReparam, mm, stable_reparam

__all__ = ["FamilyCalculus", "Problem", "InnerFit", "evaluate", "add_derivatives",
           "row_quadratic", "signed_sandwich"]

_EPS = np.finfo(float).eps



@dataclass(frozen=True)
class Problem:
    """Everything fixed during the outer iteration.

    ``criterion`` is ``"REML"``, ``"ML"``, ``"GCV"`` or ``"UBRE"``; ``scale > 0`` is a
    known scale, ``scale <= 0`` an unknown one (estimated as ``log(scale)`` inside the
    criterion for REML/ML, by the Pearson-type estimate otherwise).
    """

    design: Any
    y: np.ndarray
    w: np.ndarray
    offset: np.ndarray
    fam: FamilyCalculus
    pen: PenaltySetup
    criterion: str
    scale: float
    gamma: float
    null_coef: np.ndarray
    epsilon: float = 1e-8
    maxit: int = 200
    cache: dict = field(default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def reml(self) -> bool:
        return self.criterion in ("REML", "ML")

    @property
    def scale_as_param(self) -> bool:
        return self.reml and self.scale <= 0


@dataclass
class InnerFit:
    """State at one ``rho``: the fit, the criterion and (after :func:`add_derivatives`) its
    derivatives. Coefficients are in original coordinates unless suffixed ``_t``."""

    sp: np.ndarray
    phi: float  # the scale the criterion used (exp(log scale) for REML with unknown scale)
    T: np.ndarray
    rp: StableReparam
    keep: np.ndarray
    beta_t: np.ndarray
    beta: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    eta_w: np.ndarray  # where the final weights were formed (the last PIRLS iterate)
    mu_w: np.ndarray
    deviance: float
    bSb: float
    iterations: int
    converged: bool
    w: np.ndarray
    wf: np.ndarray
    alpha: np.ndarray
    good: np.ndarray
    H: np.ndarray   # X'WX + S (Newton weights), kept transformed coordinates
    Hf: np.ndarray  # X'W_fX + S (Fisher weights)
    Bf: np.ndarray  # X'W_fX
    trA: float
    scale_est: float
    score: float
    grad: np.ndarray | None = None  # in (log sp of every penalty, family x, log scale)
    hess: np.ndarray | None = None
    db_drho: np.ndarray | None = None  # (p, M): d beta / d log sp
    g: np.ndarray | None = None  # grad and hess in the free parameters (set by the outer loop)
    h: np.ndarray | None = None
    outer_theta: np.ndarray | None = None  # the outer loop's parameters of this fit
    db_dx: np.ndarray | None = None  # (p, nf): d beta / d family parameters (extended)


# --- the fit at one rho ----------------------------------------------------------------

def _weights(prob: Problem, eta, mu, fisher_only=False):
    """Working weights and response (mgcv: Fisher for canonical links, full Newton
    otherwise), on the 'good' rows (prior weight > 0, mu.eta != 0); zero elsewhere."""
    fam = prob.fam
    y, pw = prob.y, prob.w
    mev = fam.mu_eta(eta)
    if getattr(fam, "extended", False):
        return _extended_weights(prob, eta, mu, mev, fisher_only)
    var = fam.variance(mu)
    good = (pw > 0) & (mev != 0)
    mevg, varg = np.where(good, mev, 1.0), np.where(good, var, 1.0)
    wf = np.where(good, pw * mevg ** 2 / varg, 0.0)
    if fam.canonical or fisher_only:
        z = np.where(good, eta - prob.offset + (y - mu) / mevg, 0.0)
        return z, wf, wf, np.ones_like(mu), good
    alpha = 1.0 + (y - mu) * (fam.dvar(mu) / varg + fam.d2link(mu) * mevg)
    alpha = np.where(alpha == 0, _EPS, alpha)
    z = np.where(good, eta - prob.offset + (y - mu) / (mevg * alpha), 0.0)
    return z, wf * alpha, wf, alpha, good


def _extended_weights(prob: Problem, eta, mu, mev, fisher_only):
    """gam.fit4's weights: ``w = Deta2/2`` and ``z = eta - offset - Deta/Deta2`` from the
    deviance derivatives (``EDeta2`` for a Fisher step); ``wf = max(0, EDeta2/2)``."""
    pw = prob.w
    good = (pw > 0) & (mev != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        D1, D2, _, _, E2 = prob.fam.deta(prob.y, mu, eta, pw)
        wf = np.where(good, np.maximum(E2 / 2, 0.0), 0.0)
        den = E2 if fisher_only else D2
        den = np.where(den == 0, _EPS, den)
        z = np.where(good, eta - prob.offset - D1 / den, 0.0)
    w = wf if fisher_only else np.where(good, D2 / 2, 0.0)
    return z, w, wf, np.ones_like(mu), good


def _normal_eq(prob: Problem, co: _Coords, w, z, canonical_gauss: bool):
    if canonical_gauss:  # gaussian-identity: X'WX and X'Wz never change
        key = "gauss"
        if key not in prob.cache:
            prob.cache[key] = prob.design.weighted_normal_equations(w, z)
        B, c = prob.cache[key]
        return co.rotate(B), mm(co.Tk.T, c)
    if np.all(w >= 0):
        B, c = prob.design.weighted_normal_equations(w, z)
        return co.rotate(B), mm(co.Tk.T, c)
    return co.sandwich(w), co.rmatvec(w * z)


def evaluate(prob: Problem, rho: np.ndarray, start: np.ndarray | None) -> InnerFit:
    """PIRLS at ``rho`` (penalty log sp, plus log scale last when it is a parameter) and the
    criterion value. ``start`` (original coordinates) as mgcv's ``start``."""
    fam, pen = prob.fam, prob.pen
    rho = np.asarray(rho, dtype=float)
    if prob.scale_as_param:
        phi, lsp = float(np.exp(rho[-1])), rho[:-1]
    else:
        phi, lsp = prob.scale, rho
    sp = np.exp(lsp)
    M, p, q = pen.n_penalties, pen.p, pen.p - pen.n_null
    deriv_det = 2 if prob.reml else 0
    rp = stable_reparam(pen.range_roots, sp, deriv_det) if M else \
        stable_reparam([], sp, 0)
    T = pen.U1.copy()
    if M:
        T[:, :q] = mm(pen.U1[:, :q], rp.Qs)
    St = np.zeros((p, p))
    St[:q, :q] = rp.S
    keep = np.arange(p)
    co = _Coords(prob.design, T, keep)
    gauss = fam.strictly_additive
    if gauss:
        return _evaluate_gaussian(prob, sp, phi, T, rp, St, co)
    y, off = prob.y, prob.offset

    null_t = mm(T.T, prob.null_coef)
    null_eta = co.matvec(null_t) + off
    if start is not None:
        b_t = mm(T.T, start)
        eta = co.matvec(b_t) + off
    else:
        b_t = None
        eta = fam.linkfun(fam.initialize(y, prob.w))
    mu = fam.linkinv(eta)
    coefold, etaold = null_t, null_eta
    old_pdev = fam.deviance(y, fam.linkinv(null_eta), prob.w) + mm(null_t, St, null_t)
    ii = 0
    while not fam.valid(eta, mu):
        ii += 1
        if ii > 20:
            raise NoValidCoefficientsError("cannot find valid starting values",
                                           "supply starting values")
        if b_t is not None:
            b_t = 0.9 * b_t + 0.1 * coefold
        eta = 0.9 * eta + 0.1 * etaold
        mu = fam.linkinv(eta)
    conv = False
    scl = abs(phi)
    it = 0
    beta_t = np.zeros(p) if b_t is None else b_t
    for it in range(1, prob.maxit + 1):
        z, w, wf, alpha, good = _weights(prob, eta, mu)
        B, c = _normal_eq(prob, co, w, z, gauss)
        keep = _identifiable(prob, T, B, w, co)
        H = (B + St)[np.ix_(keep, keep)]
        fac = _chol(H)
        if fac is None and not fam.canonical:  # Newton Hessian not p.d.: a Fisher step
            z, w, wf, alpha, good = _weights(prob, eta, mu, fisher_only=True)
            B, c = _normal_eq(prob, co, w, z, gauss)
            H = (B + St)[np.ix_(keep, keep)]
            fac = _chol(H)
        if fac is None:
            raise NoValidCoefficientsError("the penalized Hessian is not positive definite",
                                           "check the model matrix and penalties")
        start_t = np.zeros(p)
        start_t[keep] = _chol_solve(fac, c[keep])
        if not np.all(np.isfinite(start_t)):
            break
        eta = co.matvec(start_t) + off
        mu = fam.linkinv(eta)
        dev = fam.deviance(y, mu, prob.w)
        if not np.isfinite(dev) or not fam.valid(eta, mu):
            k = 1
            while not np.isfinite(dev) or not fam.valid(eta, mu):
                if k > prob.maxit:
                    raise NoValidCoefficientsError("PIRLS: can't correct step size",
                                                   "check the data and the link")
                k += 1
                start_t = (start_t + coefold) / 2
                eta = (eta + etaold) / 2
                mu = fam.linkinv(eta)
                dev = fam.deviance(y, mu, prob.w)
        pdev = dev + mm(start_t, St, start_t)
        div_thresh = 10 * (0.1 + abs(old_pdev)) * _EPS ** 0.5
        if pdev - old_pdev > div_thresh:
            if it == 1:
                etaold, coefold = null_eta, null_t
            k = 1
            while pdev - old_pdev > div_thresh:
                if k > 100:
                    raise NoValidCoefficientsError("PIRLS: can't correct step size",
                                                   "check the data and the link")
                k += 1
                start_t = (start_t + coefold) / 2
                eta = (eta + etaold) / 2
                mu = fam.linkinv(eta)
                dev = fam.deviance(y, mu, prob.w)
                pdev = dev + mm(start_t, St, start_t)
        beta_t = start_t
        if gauss:
            conv = True
            break
        if abs(pdev - old_pdev) < prob.epsilon * (scl + abs(pdev)):
            Hfull = B + St
            grad = 2 * (mm(Hfull, start_t) - c)
            if np.max(np.abs(grad[keep])) > prob.epsilon * (abs(pdev) + scl):
                old_pdev = pdev
                coefold, etaold = start_t, eta
            else:
                conv = True
                etaold = eta
                break
        else:
            old_pdev = pdev
            coefold, etaold = start_t, eta

    # the final weights, and one more solve at them (mgcv's gdi1)
    dev = fam.deviance(y, mu, prob.w)
    eta_w, mu_w = eta, mu
    z, w, wf, alpha, good = _weights(prob, eta, mu)
    B, c = _normal_eq(prob, co, w, z, gauss)
    keep = _identifiable(prob, T, B, w, co)
    ix = np.ix_(keep, keep)
    H = (B + St)[ix]
    fac = _chol(H)
    if fac is None:
        raise NoValidCoefficientsError("the penalized Hessian is not positive definite at "
                                       "convergence", "check the model matrix and penalties")
    bt = np.zeros(p)
    bt[keep] = _chol_solve(fac, c[keep])
    eta_new = co.matvec(bt) + off
    mu_new = fam.linkinv(eta_new)
    if fam.valid(eta_new, mu_new):
        beta_t, eta, mu = bt, eta_new, mu_new
    if fam.canonical:
        Bf, Hf, facf = B, H, fac
    else:
        Bf = _normal_eq(prob, co, wf, z, False)[0]
        Hf = (Bf + St)[ix]
        facf = _chol(Hf)
    Bf = Bf[ix]
    trA = float(np.sum(_chol_solve(facf, Bf) * np.eye(keep.size)))
    pearson = float(np.sum(prob.w * (y - mu) ** 2 / fam.variance(mu)))
    n = prob.n
    scale_est = pearson / (n - trA)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_bar = max(-0.9, float(np.mean(fam.dvar(mu) * (y - mu) / fam.variance(mu))))
    if np.isfinite(s_bar):
        scale_est /= 1 + s_bar
    if getattr(fam, "extended", False):  # gam.fit4 returns the scale it was given
        scale_est = phi if prob.scale_as_param else abs(phi)
    bSb = float(mm(beta_t, St, beta_t))
    fit = InnerFit(sp=sp, phi=phi, T=T, rp=rp, keep=keep, beta_t=beta_t, beta=mm(T, beta_t),
                   eta=eta, mu=mu, eta_w=eta_w, mu_w=mu_w, deviance=dev, bSb=bSb,
                   iterations=it, converged=conv,
                   w=w, wf=wf, alpha=alpha, good=good, H=H, Hf=Hf, Bf=Bf, trA=trA,
                   scale_est=scale_est, score=np.nan)
    fit.score = _score(prob, fit, fac)
    return fit


def _gaussian_sums(prob: Problem) -> tuple[np.ndarray, np.ndarray, float]:
    """``X'WX``, ``X'W(y - offset)`` and ``(y - offset)'W(y - offset)``: the only pass over
    the data a gaussian-identity fit needs (cached on the problem)."""
    if "gauss_yy" not in prob.cache:
        r = prob.y - prob.offset
        prob.cache["gauss"] = prob.design.weighted_normal_equations(prob.w, r)
        prob.cache["gauss_yy"] = float(np.sum(prob.w * r * r))
        prob.cache["gauss_good"] = prob.w > 0
    B, c = prob.cache["gauss"]
    return B, c, prob.cache["gauss_yy"]


def _evaluate_gaussian(prob: Problem, sp, phi, T, rp, St, co) -> InnerFit:
    """:func:`evaluate` for gaussian errors with the identity link, in p x p work only:
    the penalised least-squares solution from the cached ``X'WX`` and ``X'Wy``, the
    deviance as ``y'Wy - 2 b'X'Wy + b'X'WXb`` (mgcv's single PIRLS step and final solve
    give the same coefficients). The linear predictor is formed once, after the outer loop
    (:func:`linear_predictor`)."""
    B0, c0, yy = _gaussian_sums(prob)
    p = T.shape[0]
    w = prob.w
    B, c = co.rotate(B0), mm(co.Tk.T, c0)
    keep = _identifiable(prob, T, B, w, co)
    ix = np.ix_(keep, keep)
    H = (B + St)[ix]
    fac = _chol(H)
    if fac is None:
        raise NoValidCoefficientsError("the penalized Hessian is not positive definite",
                                       "check the model matrix and penalties")
    beta_t = np.zeros(p)
    bk = _chol_solve(fac, c[keep])
    beta_t[keep] = bk
    dev = max(yy - 2 * float(mm(bk, c[keep])) + float(mm(bk, B[ix], bk)), 0.0)
    Bk = B[ix]
    trA = float(np.sum(_chol_solve(fac, Bk) * np.eye(keep.size)))
    n = prob.n
    bSb = float(mm(beta_t, St, beta_t))
    fit = InnerFit(sp=sp, phi=phi, T=T, rp=rp, keep=keep, beta_t=beta_t, beta=mm(T, beta_t),
                   eta=None, mu=None, eta_w=None, mu_w=None, deviance=dev, bSb=bSb,
                   iterations=1, converged=True, w=w, wf=w, alpha=None,
                   good=prob.cache["gauss_good"], H=H, Hf=H, Bf=Bk, trA=trA,
                   scale_est=dev / (n - trA), score=np.nan)
    fit.score = _score(prob, fit, fac)
    return fit


def linear_predictor(prob: Problem, fit: InnerFit) -> InnerFit:
    """Fill in ``eta`` and ``mu`` of a fit that skipped them (the gaussian fast path)."""
    if fit.eta is None:
        eta = np.asarray(prob.design.backend.to_numpy(prob.design.matvec(fit.beta)),
                         dtype=float) + prob.offset
        fit.eta = fit.eta_w = eta
        fit.mu = fit.mu_w = prob.fam.linkinv(eta)
    return fit


def _identifiable(prob: Problem, T, B, w, co) -> np.ndarray:
    """Coordinates kept: all, unless ``X'|W|X`` plus the well-scaled total penalty is
    numerically singular (then the trailing pivots of a pivoted Cholesky are dropped, as
    mgcv drops the trailing pivots of its QR-based rank check)."""
    from scipy.linalg.lapack import dpstrf

    p = B.shape[0]
    Ba = B if np.all(w >= 0) else co.sandwich(np.abs(w))
    Es = mm(T.T, prob.pen.scaled_total, T)
    tb, te = np.trace(Ba), np.trace(Es)
    C = (Ba / tb if tb > 0 else Ba) + (Es / te if te > 0 else Es)
    _, piv, rank, info = dpstrf(C, tol=p * _EPS)
    if rank >= p:
        return np.arange(p)
    return np.sort(piv[:rank] - 1)


def _score(prob: Problem, fit: InnerFit, fac) -> float:
    """mgcv's ``gam.fit3`` criterion value at the fit."""
    n, gamma = prob.n, prob.gamma
    if prob.reml:
        phi = fit.phi
        ls = prob.fam.ls(prob.y, prob.w, phi)
        Dp = fit.deviance + fit.bSb
        Mp = prob.pen.n_null
        if prob.criterion == "REML":
            ldet = _chol_logdet(fac)
            extra = Mp / 2 * (np.log(2 * np.pi * phi) - np.log(gamma))
        else:
            r = _range_index(prob, fit)
            ldet = _chol_logdet(_chol(fit.H[np.ix_(r, r)])) if r.size else 0.0
            extra = 0.0
        return (Dp / (2 * phi) - ls[0]) / gamma + ldet / 2 - fit.rp.det / 2 - extra
    delta = n - gamma * fit.trA
    if prob.criterion == "GCV":
        return n * fit.deviance / delta ** 2
    phi = fit.phi
    return fit.deviance / n - 2 * delta * phi / n + phi
