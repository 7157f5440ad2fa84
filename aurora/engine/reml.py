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

:func:`add_derivatives` adds the gradient and Hessian with respect to ``rho`` (and
``log(phi)`` when REML/ML estimate the scale): the derivatives of the coefficients from the
implicit function theorem (mgcv's C routines ``gdi1``/``ift1``), those of
``log|X'WX + S|`` and ``tr(A)`` as traces of model-sized matrices, and those of the working
weights from the link and variance derivatives of :class:`FamilyCalculus` (mgcv's
``fix.family.link``/``fix.family.var``/``fix.family.ls``).

Every data-sized operation goes through the design protocol (``matvec``, ``rmatvec``,
``sandwich``, ``weighted_normal_equations``); the rest is p x p work in NumPy/SciPy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from aurora.engine.pirls import NoValidCoefficientsError
from aurora.engine.reparam import PenaltySetup, StableReparam, mm, stable_reparam
from aurora.errors import ModelSpecError

__all__ = ["FamilyCalculus", "Problem", "InnerFit", "evaluate", "add_derivatives",
           "row_quadratic", "signed_sandwich"]

_EPS = np.finfo(float).eps

# mgcv's fix.family.link: d2link, d3link, d4link by link name
_LINK_DERIVS = {
    "identity": (lambda m: 0 * m, lambda m: 0 * m, lambda m: 0 * m),
    "log": (lambda m: -1 / m ** 2, lambda m: 2 / m ** 3, lambda m: -6 / m ** 4),
    "inverse": (lambda m: 2 / m ** 3, lambda m: -6 / m ** 4, lambda m: 24 / m ** 5),
    "logit": (lambda m: 1 / (1 - m) ** 2 - 1 / m ** 2, lambda m: 2 / (1 - m) ** 3 + 2 / m ** 3,
              lambda m: 6 / (1 - m) ** 4 - 6 / m ** 4),
    "sqrt": (lambda m: -0.25 * m ** -1.5, lambda m: 0.375 * m ** -2.5,
             lambda m: -0.9375 * m ** -3.5),
    "1/mu^2": (lambda m: 6 * m ** -4.0, lambda m: -24 * m ** -5.0, lambda m: 120 * m ** -6.0),
    "probit": (lambda m: _probit(m, 1), lambda m: _probit(m, 2), lambda m: _probit(m, 3)),
    "cloglog": (lambda m: _cloglog(m, 1), lambda m: _cloglog(m, 2), lambda m: _cloglog(m, 3)),
    "cauchit": (lambda m: _cauchit(m, 1), lambda m: _cauchit(m, 2), lambda m: _cauchit(m, 3)),
}


def _probit(mu, k):
    from scipy.special import ndtri

    eta = ndtri(mu)
    d = np.maximum(np.exp(-eta * eta / 2) / np.sqrt(2 * np.pi), _EPS)
    return (eta, 1 + 2 * eta ** 2, 7 * eta + 6 * eta ** 3)[k - 1] / d ** (k + 1)


def _cloglog(mu, k):
    l1m = np.log1p(-mu)
    if k == 1:
        return -1 / ((1 - mu) ** 2 * l1m) * (1 + 1 / l1m)
    if k == 2:
        return (-2 - 3 * l1m - 2 * l1m ** 2) / (1 - mu) ** 3 / l1m ** 3
    return (-12 - 11 * l1m - 6 * l1m ** 2 - 6 / l1m) / (1 - mu) ** 4 / l1m ** 3


def _cauchit(mu, k):
    eta = np.tan(np.pi * (mu - 0.5))
    e2 = eta * eta
    return (2 * np.pi ** 2 * eta * (1 + e2), 2 * np.pi ** 3 * (1 + 3 * e2) * (1 + e2),
            2 * np.pi ** 4 * (8 * eta + 12 * e2 * eta) * (1 + e2))[k - 1]
# mgcv's fix.family.var: d2var, d3var by family name
_VAR_DERIVS = {
    "gaussian": (lambda m: 0 * m, lambda m: 0 * m),
    "poisson": (lambda m: 0 * m, lambda m: 0 * m),
    "quasipoisson": (lambda m: 0 * m, lambda m: 0 * m),
    "binomial": (lambda m: 0 * m - 2.0, lambda m: 0 * m),
    "quasibinomial": (lambda m: 0 * m - 2.0, lambda m: 0 * m),
    "Gamma": (lambda m: 0 * m + 2.0, lambda m: 0 * m),
    "inverse.gaussian": (lambda m: 6 * m, lambda m: 0 * m + 6.0),
}
_CANONICAL = {"gaussian": "identity", "poisson": "log", "quasipoisson": "log",
              "binomial": "logit", "quasibinomial": "logit", "Gamma": "inverse",
              "inverse.gaussian": "1/mu^2"}


class FamilyCalculus:
    """What the smoothing engine needs of a family beyond R's ``family`` object: second to
    fourth link derivatives, second and third variance derivatives and the saturated
    log-likelihood ``ls`` with two scale derivatives (mgcv's ``fix.family.*``).

    Parameters
    ----------
    family : Family
        An exponential family of :mod:`aurora.distributions` (gaussian, poisson, binomial,
        Gamma, inverse.gaussian and the quasi families) with a link among identity, log,
        inverse, logit, sqrt and ``1/mu^2``.

    Examples
    --------
    >>> from aurora.distributions import get_family
    >>> fc = FamilyCalculus(get_family("Gamma", link="log"))
    >>> fc.canonical, float(fc.d2link(np.array(2.0)))
    (False, -0.25)
    """

    def __init__(self, family: Any) -> None:
        name, link = family.family_name, family.link.name
        derivs = _LINK_DERIVS.get(link)
        lam = getattr(family.link, "p", None)
        if link.startswith("mu^") and lam is not None:  # power(lambda)
            c2, c3 = lam * (lam - 1), lam * (lam - 1) * (lam - 2)
            c4 = c3 * (lam - 3)
            derivs = (lambda m: c2 * m ** (lam - 2), lambda m: c3 * m ** (lam - 3),
                      lambda m: c4 * m ** (lam - 4))
        if name not in _VAR_DERIVS or derivs is None:
            raise ModelSpecError(
                f"smoothing parameter estimation for the {family.name} family with the "
                f"{link} link is not implemented yet",
                f"use one of the families {', '.join(sorted(_VAR_DERIVS))} with a link among "
                f"{', '.join(sorted(_LINK_DERIVS))}")
        self.family = family
        self.name = name
        self.link = family.link
        self.canonical = _CANONICAL.get(name) == link
        self.strictly_additive = name == "gaussian" and link == "identity"
        self.d2link, self.d3link, self.d4link = derivs
        self.d2var, self.d3var = _VAR_DERIVS[name]

    def linkfun(self, mu):
        return np.asarray(self.link.link(mu), dtype=float)

    def linkinv(self, eta):
        return np.asarray(self.link.inverse(eta), dtype=float)

    def mu_eta(self, eta):
        return np.asarray(self.link.inverse_derivative(eta), dtype=float)

    def variance(self, mu):
        return np.asarray(self.family.variance(mu), dtype=float)

    def dvar(self, mu):
        return np.asarray(self.family.variance_derivative(mu), dtype=float)

    def deviance(self, y, mu, w) -> float:
        return float(np.sum(self.family.deviance_residuals(y, mu, w)))

    def initialize(self, y, w):
        return np.asarray(self.family.initialize(y, w), dtype=float)

    def valid(self, eta, mu) -> bool:
        return bool(self.link.valid_eta(eta)) and bool(self.family.valid_mu(mu))

    def aic(self, y, mu, w, dev) -> float:
        return float(self.family.aic(y, mu, w, dev))

    def ls(self, y, w, scale: float) -> np.ndarray:
        """Saturated log-likelihood and its first two derivatives in ``scale``."""
        from scipy.special import digamma, gammaln, polygamma

        pos = w > 0
        nobs = int(pos.sum())
        if self.name == "gaussian":
            return np.array([-nobs * np.log(2 * np.pi * scale) / 2 + np.log(w[pos]).sum() / 2,
                             -nobs / (2 * scale), nobs / (2 * scale * scale)])
        if self.name in ("quasipoisson", "quasibinomial"):
            return np.array([-nobs * np.log(scale) / 2 + np.log(w[pos]).sum() / 2,
                             -nobs / (2 * scale), nobs / (2 * scale * scale)])
        if self.name in ("poisson", "binomial"):
            return np.array([-self.family.aic(y, y, w) / 2, 0.0, 0.0])
        if self.name == "Gamma":
            yy, ww = y[pos], w[pos]
            s = scale / ww
            k = -gammaln(1 / s) - np.log(s) / s - 1 / s
            k1 = (digamma(1 / s) + np.log(s)) / (s * s)
            k2 = (-polygamma(1, 1 / s) / s + (1 - 2 * np.log(s) - 2 * digamma(1 / s))) / s ** 3
            return np.array([np.sum(k - np.log(yy)), np.sum(k1 / ww), np.sum(k2 / ww ** 2)])
        yy = y[pos]  # inverse.gaussian
        ls0 = -np.sum(np.log(2 * np.pi * scale * yy ** 3)) / 2 + np.log(w[pos]).sum() / 2
        return np.array([ls0, -nobs / (2 * scale), nobs / (2 * scale * scale)])


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
    grad: np.ndarray | None = None  # in (log sp of every penalty, log scale)
    hess: np.ndarray | None = None
    db_drho: np.ndarray | None = None  # (p, M): d beta / d log sp
    g: np.ndarray | None = None  # grad and hess in the free parameters (set by the outer loop)
    h: np.ndarray | None = None
    outer_theta: np.ndarray | None = None  # the outer loop's parameters of this fit
    db_dx: np.ndarray | None = None  # (p, nf): d beta / d family parameters (extended)


# --- design helpers -------------------------------------------------------------------

def signed_sandwich(design: Any, v: np.ndarray) -> np.ndarray:
    """``X' diag(v) X`` for weights of either sign (the protocol's ``sandwich`` wants
    ``v >= 0``: the positive and negative parts go separately)."""
    pos = np.maximum(v, 0.0)
    neg = np.maximum(-v, 0.0)
    out = design.sandwich(pos) if pos.any() else np.zeros((design.shape[1],) * 2)
    if neg.any():
        out = out - design.sandwich(neg)
    return out


def row_quadratic(design: Any, A: np.ndarray) -> np.ndarray:
    """``diag(X A X')`` (n,) for a symmetric p x p ``A``.

    Uses the design's own ``row_quadratic`` when it has one; dense designs are read in
    blocks of rows (on their backend); any other design is served by ``2p`` matrix-vector
    products.
    """
    own = getattr(design, "row_quadratic", None)
    if own is not None:
        return np.asarray(own(A))
    X = getattr(design, "array", None)
    if isinstance(X, np.ndarray):
        n, p = X.shape
        out = np.empty(n)
        step = max(256, (1 << 18) // max(p, 1))
        for r0 in range(0, n, step):
            Xb = X[r0:r0 + step]
            out[r0:r0 + step] = np.einsum("ij,ij->i", mm(Xb, A), Xb)
        return out
    be = design.backend
    if X is not None:
        return np.asarray(be.to_numpy(((X @ be.asarray(A)) * X).sum(axis=1)), dtype=float)
    p = design.shape[1]
    out = np.zeros(design.shape[0])
    for j in range(p):
        e = np.zeros(p)
        e[j] = 1.0
        out += be.to_numpy(design.matvec(A[:, j])) * be.to_numpy(design.matvec(e))
    return out


class _Coords:
    """Transformed coordinates ``beta = T[:, keep] beta_t`` seen through the design."""

    def __init__(self, design: Any, T: np.ndarray, keep: np.ndarray) -> None:
        self.design = design
        self.Tk = T[:, keep]
        self._np = design.backend.to_numpy

    def matvec(self, b_t: np.ndarray) -> np.ndarray:
        return np.asarray(self._np(self.design.matvec(mm(self.Tk, b_t))), dtype=float)

    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        return mm(self.Tk.T, np.asarray(self.design.rmatvec(v), dtype=float))

    def rotate(self, A: np.ndarray) -> np.ndarray:
        return mm(self.Tk.T, A, self.Tk)

    def sandwich(self, v: np.ndarray) -> np.ndarray:
        return self.rotate(signed_sandwich(self.design, v))

    def row_quadratic(self, A: np.ndarray) -> np.ndarray:
        return row_quadratic(self.design, mm(self.Tk, A, self.Tk.T))


def _chol(H: np.ndarray):
    """Jacobi-scaled Cholesky of a symmetric matrix; None when not positive definite."""
    d = np.sqrt(np.abs(np.diag(H)))
    d[d == 0] = 1.0
    try:
        c = cho_factor(H / d[:, None] / d[None, :], lower=False, check_finite=False)
    except LinAlgError:
        return None
    if not np.all(np.isfinite(c[0])):
        return None
    return c, d


def _chol_solve(fac, b: np.ndarray) -> np.ndarray:
    c, d = fac
    b = np.asarray(b)
    scale = d if b.ndim == 1 else d[:, None]
    return cho_solve(c, b / scale, check_finite=False) / scale


def _chol_inverse(fac) -> np.ndarray:
    c, d = fac
    return cho_solve(c, np.eye(d.size), check_finite=False) / d[:, None] / d[None, :]


def _chol_logdet(fac) -> float:
    c, d = fac
    return 2.0 * float(np.sum(np.log(np.abs(np.diag(c[0]))))) + 2.0 * float(np.sum(np.log(d)))


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


def _range_index(prob: Problem, fit: InnerFit) -> np.ndarray:
    """Positions (within ``keep``) of the penalty range-space coordinates (ML)."""
    q = prob.pen.p - prob.pen.n_null
    return np.flatnonzero(fit.keep < q)


# --- derivatives -----------------------------------------------------------------------

def add_derivatives(prob: Problem, fit: InnerFit) -> InnerFit:
    """Gradient and Hessian of the criterion with respect to the outer parameters (log sp,
    then log scale when it is one), and ``db_drho`` (p x M), written into ``fit``."""
    fam, pen = prob.fam, prob.pen
    M, p, q = pen.n_penalties, pen.p, pen.p - pen.n_null
    keep, sp = fit.keep, fit.sp
    co = _Coords(prob.design, fit.T, keep)
    Sk = []
    for R in fit.rp.roots:
        Rf = np.zeros((p, R.shape[1]))
        Rf[:q] = R
        Rk = Rf[keep]
        Sk.append(sp[len(Sk)] * mm(Rk, Rk.T))  # lambda_k S_k, transformed, kept
    St = sum(Sk) if M else np.zeros((keep.size, keep.size))
    beta = fit.beta_t[keep]
    Hinv = _chol_inverse(_chol(fit.H))
    Sb = mm(St, beta)
    Skb = np.column_stack([mm(S, beta) for S in Sk]) if M else np.zeros((keep.size, 0))
    b1 = -mm(Hinv, Skb)
    need_w = not fam.strictly_additive
    n = prob.n
    y, pw, mu, eta = prob.y, prob.w, fit.mu_w, fit.eta_w
    good = fit.good
    if need_w and getattr(fam, "extended", False):
        D1, _, D3, D4, _ = fam.deta(y, mu, eta, pw)
        a1, a2 = np.where(good, D3 / 2, 0.0), np.where(good, D4 / 2, 0.0)
        eta1 = np.column_stack([co.matvec(b1[:, k]) for k in range(M)]) if M else np.zeros((n, 0))
        w1 = a1[:, None] * eta1
        dev_grad = co.rmatvec(np.where(good, D1, 0.0))
    elif need_w:
        fd = _family_terms(fam, y, mu, eta, good)
        a1, a2 = _weight_derivs(fit.w, fit.alpha, fd, fam.canonical)
        eta1 = np.column_stack([co.matvec(b1[:, k]) for k in range(M)]) if M else np.zeros((n, 0))
        w1 = a1[:, None] * eta1
        v1 = np.where(good, -2 * pw * (y - mu) / (fd["V"] * fd["g1"]), 0.0)
        dev_grad = co.rmatvec(v1)
    else:
        B, c = prob.cache["gauss"]
        dev_grad = -2 * (mm(fit.T[:, keep].T, c) - mm(fit.H - St, beta))
    pairs = [(i, k) for i in range(M) for k in range(i, M)]
    b2, eta2, w2 = {}, {}, {}
    for i, k in pairs:
        rhs = -mm(Sk[i], b1[:, k]) - mm(Sk[k], b1[:, i])
        if need_w:
            rhs = rhs + co.rmatvec(-eta1[:, i] * eta1[:, k] * a1)
        b2[i, k] = mm(Hinv, rhs) + (b1[:, i] if i == k else 0.0)
        if need_w:
            eta2[i, k] = co.matvec(b2[i, k])
            w2[i, k] = a1 * eta2[i, k] + a2 * eta1[:, i] * eta1[:, k]
    D1 = mm(b1.T, dev_grad)
    D2 = np.zeros((M, M))
    dev_hess = 2 * (fit.H - St)
    for i, k in pairs:
        D2[i, k] = D2[k, i] = mm(b1[:, i], dev_hess, b1[:, k]) + mm(dev_grad, b2[i, k])
    fit.db_drho = mm(fit.T[:, keep], b1)
    if prob.reml:
        bSb1 = np.array([mm(beta, Skb[:, k]) for k in range(M)]) + 2 * mm(b1.T, Sb)
        bSb2 = np.zeros((M, M))
        for i, k in pairs:
            v = (2 * mm(b2[i, k], Sb) + 2 * mm(b1[:, i], St, b1[:, k]) + 2 * mm(b1[:, k], Skb[:, i])
                 + 2 * mm(b1[:, i], Skb[:, k]) + (mm(beta, Skb[:, i]) if i == k else 0.0))
            bSb2[i, k] = bSb2[k, i] = v
        D1, D2 = D1 + bSb1, D2 + bSb2
        if prob.criterion == "REML":
            P = Hinv
        else:
            r = _range_index(prob, fit)
            P = np.zeros_like(Hinv)
            if r.size:
                P[np.ix_(r, r)] = _chol_inverse(_chol(fit.H[np.ix_(r, r)]))
        dH = [S.copy() for S in Sk]
        if need_w:
            h = co.row_quadratic(P)
            for k in range(M):
                dH[k] += co.sandwich(w1[:, k])
        PdH = [mm(P, A) for A in dH]
        ld1 = np.array([np.trace(A) for A in PdH])
        ld2 = np.zeros((M, M))
        for i, k in pairs:
            v = -np.sum(PdH[i] * PdH[k].T)
            if i == k:
                v += np.sum(P * Sk[i])
            if need_w:
                v += mm(w2[i, k], h)
            ld2[i, k] = ld2[k, i] = v
        phi, gamma = fit.phi, prob.gamma
        grad = D1 / (2 * phi * gamma) + ld1 / 2 - fit.rp.det1 / 2
        hess = (D2 / (phi * gamma) + ld2 - fit.rp.det2) / 2
        if prob.scale_as_param:
            ls = fam.ls(y, pw, phi)
            Dp = fit.deviance + fit.bSb
            reml_ind = 1.0 if prob.criterion == "REML" else 0.0
            g_phi = (-Dp / (2 * phi) - ls[1] * phi) / gamma - pen.n_null / 2 * reml_ind
            h_phi = (Dp / (2 * phi) - ls[2] * phi ** 2 - ls[1] * phi) / gamma
            cross = -D1 / (2 * phi * gamma)
            grad = np.append(grad, g_phi)
            hess = np.block([[hess, cross[:, None]], [cross[None, :], np.array([[h_phi]])]])
    else:
        fisher = None
        if need_w:
            fisher = (a1, a2) if fam.canonical else _weight_derivs(fit.wf, None, fd, True)
            fisher = (fisher, eta1, eta2)
        trA1, trA2 = _trA_derivs(fit, co, Sk, pairs, fisher)
        gamma, delta = prob.gamma, n - prob.gamma * fit.trA
        dev = fit.deviance
        if prob.criterion == "GCV":
            grad = n * D1 / delta ** 2 + 2 * n * dev * trA1 * gamma / delta ** 3
            o = np.outer(trA1, D1)
            hess = ((o + o.T) * gamma * 2 * n / delta ** 3
                    + 6 * n * dev * np.outer(trA1, trA1) * gamma ** 2 / delta ** 4
                    + n * D2 / delta ** 2 + 2 * n * dev * gamma * trA2 / delta ** 3)
        else:
            grad = D1 / n + gamma * trA1 * 2 * fit.phi / n
            hess = D2 / n + 2 * gamma * trA2 * fit.phi / n
    fit.grad, fit.hess = grad, (hess + hess.T) / 2
    return fit


def _family_terms(fam, y, mu, eta, good) -> dict:
    """Link and variance derivatives as gdi1 takes them: ``g1 = g'``, ``g2..g4`` divided by
    ``g'``, ``V1..V3`` divided by ``V``; zero (one for ``g1``, ``V``) on rows not 'good'."""
    mev = np.where(good, fam.mu_eta(eta), 1.0)
    V = np.where(good, fam.variance(mu), 1.0)
    out = {"g1": 1 / mev, "V": V, "res": np.where(good, y - mu, 0.0), "good": good}
    for key, f in (("g2", fam.d2link), ("g3", fam.d3link), ("g4", fam.d4link)):
        out[key] = np.where(good, f(mu) * mev, 0.0)
    for key, f in (("V1", fam.dvar), ("V2", fam.d2var), ("V3", fam.d3var)):
        out[key] = np.where(good, f(mu) / V, 0.0)
    return out


def _weight_derivs(w, alpha, fd: dict, fisher: bool):
    """``dw/deta`` and ``d2w/deta2`` of working weights ``w`` (gdi1's ``a1``, ``a2``; with
    ``fisher`` the formulas for Fisher weights, else those for full Newton weights)."""
    g1, g2, g3, g4 = fd["g1"], fd["g2"], fd["g3"], fd["g4"]
    V1, V2, V3, res, good = fd["V1"], fd["V2"], fd["V3"], fd["res"], fd["good"]
    ws = np.where(good, w, 1.0)
    if fisher:
        a1 = -ws * (V1 + 2 * g2) / g1
        a2 = a1 * (a1 / ws - g2 / g1) - ws * (V2 - V1 * V1 + 2 * g3 - 2 * g2 * g2) / (g1 * g1)
    else:
        xx = V2 - V1 * V1 + g3 - g2 * g2
        al1 = (-(V1 + g2) + res * xx) / alpha
        al2 = (-2 * xx + res * (V3 - 3 * V1 * V2 + 2 * V1 ** 3 + g4 - 3 * g3 * g2
                                + 2 * g2 ** 3)) / alpha
        a1 = ws * (al1 - V1 - 2 * g2) / g1
        a2 = (a1 * (a1 / ws - g2 / g1)
              - ws * (al1 * al1 - al2 + V2 - V1 * V1 + 2 * g3 - 2 * g2 * g2) / (g1 * g1))
    return np.where(good, a1, 0.0), np.where(good, a2, 0.0)


def _trA_derivs(fit, co, Sk, pairs, fisher):
    """First and second derivatives of ``tr(A) = tr((X'W_fX + S)^{-1} X'W_fX)`` (Fisher
    weights, as mgcv's ``get_trA2``) with respect to log sp; ``fisher`` is None for
    weights that do not change, else ``((af1, af2), eta1, eta2)``."""
    M = len(Sk)
    A = _chol_inverse(_chol(fit.Hf))
    G = mm(A, fit.Bf, A)
    Hk = [S.copy() for S in Sk]
    Bk = [np.zeros_like(S) for S in Sk]
    need_w = fisher is not None
    if need_w:
        (af1, af2), eta1, eta2 = fisher
        hg = co.row_quadratic(A) - co.row_quadratic(G)
        wf1 = af1[:, None] * eta1
        for k in range(M):
            Bk[k] = co.sandwich(wf1[:, k])
            Hk[k] = Hk[k] + Bk[k]
    trA1 = np.array([np.sum(A * Bk[k]) - np.sum(G * Hk[k]) for k in range(M)])
    trA2 = np.zeros((M, M))
    AH = [mm(A, H) for H in Hk]
    for i, k in pairs:
        v = (np.sum(mm(Hk[k], A) * mm(Hk[i], G).T) + np.sum(mm(Hk[i], A) * mm(Hk[k], G).T)
             - np.sum(AH[i] * mm(A, Bk[k]).T) - np.sum(AH[k] * mm(A, Bk[i]).T))
        if i == k:
            v -= np.sum(G * Sk[i])
        if need_w:
            wf2 = af1 * eta2[i, k] + af2 * eta1[:, i] * eta1[:, k]
            v += mm(wf2, hg)
        trA2[i, k] = trA2[k, i] = v
    return trA1, trA2
