"""Family and link kernels of a GLMM exactly as lme4 evaluates them (``glmFamily.cpp``).

lme4 does not call R's family functions for the common families: its C++ versions clamp
differently from ``stats::binomial()`` (the logit inverse link is ``plogis`` kept in
``[eps, 1 - eps]``, its derivative at least ``eps``; the binomial variance at least
``eps``; the log inverse link at least ``eps``), and its negative-binomial AIC weights
only the first term. A fit that is to follow lme4's iterations evaluates the same
expressions, so they are written out here: :class:`LmeFamily` bundles the inverse link,
its derivative, the variance, the deviance residuals, lme4's ``aic`` and R's
``initialize`` (``mustart``) for one family/link pair.

References
----------
lme4 ``src/glmFamily.cpp`` (links and distributions), ``R/nbinom.R``; R ``family.R``
(``make.link``, ``initialize`` expressions); MASS ``negative.binomial``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.special import gammaln, ndtr, ndtri, xlogy
from scipy.stats import gamma as _gamma_dist

from aurora.errors import FamilyDomainError, ModelSpecError

__all__ = ["LmeFamily", "lme_family", "LME_LINKS"]

_EPS = float(np.finfo(float).eps)
_LOG2PI = math.log(2.0 * math.pi)


def _ylogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """lme4's ``Y_log_Y``: ``y * log(y / mu)``, 0 where ``y / mu == 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return xlogy(y, y / mu)


def _logit_inv(eta):
    # R's plogis, 1 / (1 + exp(-eta)), which lme4's logit link calls; then kept in
    # [eps, 1 - eps] (np.clip's values, without its overhead)
    out = 1.0 / (1.0 + np.exp(-eta))
    if not isinstance(out, np.ndarray):
        return np.minimum(np.maximum(out, _EPS), 1.0 - _EPS)
    np.maximum(out, _EPS, out=out)
    return np.minimum(out, 1.0 - _EPS, out=out)


def _logit_mueta(eta):
    e = np.exp(-np.abs(eta))
    return np.maximum(_EPS, e / (1.0 + e) ** 2)


def _probit_inv(eta):
    return np.minimum(1.0 - _EPS, ndtr(eta))


def _probit_mueta(eta):
    return np.exp(-0.5 * eta * eta) / math.sqrt(2 * math.pi)


def _cloglog_inv(eta):
    return np.clip(-np.expm1(-np.exp(eta)), _EPS, 1.0 - _EPS)


def _cloglog_mueta(eta):
    return np.maximum(_EPS, np.exp(eta - np.exp(eta)))


def _cauchit_inv(eta):
    return np.minimum(1.0 - _EPS, 0.5 + np.arctan(eta) / math.pi)


def _cauchit_mueta(eta):
    return 1.0 / (math.pi * (1.0 + eta * eta))


def _log_inv(eta):
    return np.maximum(_EPS, np.exp(eta))


#: link name -> (linkfun, linkinv, mu.eta) as lme4 evaluates them (R's make.link for the
#: links lme4 has no C++ version of: sqrt, 1/mu^2)
LME_LINKS: dict[str, tuple[Callable, Callable, Callable]] = {
    "logit": (lambda mu: np.log(mu / (1 - mu)), _logit_inv, _logit_mueta),
    "probit": (ndtri, _probit_inv, _probit_mueta),
    "cloglog": (lambda mu: np.log(-np.log1p(-mu)), _cloglog_inv, _cloglog_mueta),
    "cauchit": (lambda mu: np.tan(math.pi * (mu - 0.5)), _cauchit_inv, _cauchit_mueta),
    "log": (np.log, _log_inv, _log_inv),
    "identity": (lambda mu: mu, lambda eta: eta, np.ones_like),
    "inverse": (lambda mu: 1.0 / mu, lambda eta: 1.0 / eta, lambda eta: -1.0 / (eta * eta)),
    "sqrt": (np.sqrt, lambda eta: eta * eta, lambda eta: 2.0 * eta),
    "1/mu^2": (lambda mu: 1.0 / (mu * mu), lambda eta: 1.0 / np.sqrt(eta),
               lambda eta: -1.0 / (2.0 * eta ** 1.5)),
}

_VALID = {
    "binomial": ("logit", "probit", "cloglog", "cauchit", "log"),
    "poisson": ("log", "identity", "sqrt"),
    "Gamma": ("inverse", "identity", "log"),
    "inverse.gaussian": ("1/mu^2", "inverse", "identity", "log"),
    "gaussian": ("identity", "log", "inverse"),
    "negative.binomial": ("log", "identity", "sqrt"),
}


@dataclass(frozen=True)
class LmeFamily:
    """One family/link pair evaluated as lme4's C++ does.

    Attributes
    ----------
    family : str
        R's ``family$family`` (``"poisson"``, ``"binomial"``, ``"Negative
        Binomial(2.171)"`` ...).
    link : str
        R's link name.
    theta : float or None
        The negative-binomial ``theta`` (``.Theta``).

    Examples
    --------
    >>> f = lme_family("poisson")
    >>> f.family, f.link, float(f.variance(np.array([2.0]))[0])
    ('poisson', 'log', 2.0)
    """

    kind: str
    link: str
    theta: float | None = None

    @property
    def family(self) -> str:
        if self.kind == "negative.binomial":
            from aurora.distributions._rformat import r_format

            return f"Negative Binomial({r_format(round(float(self.theta), 4), 7)})"
        return self.kind

    @property
    def has_scale(self) -> bool:
        """lme4's ``useSc``: False for binomial, Poisson and negative binomial."""
        return self.kind not in ("binomial", "poisson", "negative.binomial")

    def with_theta(self, theta: float) -> "LmeFamily":
        return LmeFamily(self.kind, self.link, float(theta))

    # ---------------------------------------------------------------- link
    def linkfun(self, mu: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return LME_LINKS[self.link][0](mu)

    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return LME_LINKS[self.link][1](eta)

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return LME_LINKS[self.link][2](eta)

    # ---------------------------------------------------------------- distribution
    def variance(self, mu: np.ndarray) -> np.ndarray:
        k = self.kind
        if k == "binomial":
            return np.maximum(_EPS, mu * (1.0 - mu))
        if k == "poisson":
            return mu
        if k == "Gamma":
            return mu * mu
        if k == "inverse.gaussian":
            return mu ** 3
        if k == "gaussian":
            return np.ones_like(mu)
        return mu + mu * mu / self.theta

    def dev_resid(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """lme4's ``devResid`` (squared deviance residuals)."""
        k = self.kind
        with np.errstate(divide="ignore", invalid="ignore"):
            if k == "binomial":
                return 2.0 * wt * (_ylogy(y, mu) + _ylogy(1.0 - y, 1.0 - mu))
            if k == "poisson":
                return 2.0 * wt * (_ylogy(y, mu) - (y - mu))
            if k == "Gamma":
                r = y / mu
                return -2.0 * wt * (np.where(r != 0, np.log(np.where(r != 0, r, 1.0)), 0.0)
                                    - (y - mu) / mu)
            if k == "inverse.gaussian":
                return wt * (y - mu) ** 2 / (y * mu * mu)
            if k == "gaussian":
                return wt * (y - mu) ** 2
            th = self.theta
            return 2.0 * wt * (_ylogy(y, mu) - (y + th) * np.log((y + th) / (mu + th)))

    def dev_sum(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray,
                cache: dict | None = None) -> float:
        """``sum(dev_resid(y, mu, wt))``; for the binomial and Poisson families the
        ``y log(y / mu)`` terms are taken only where ``y`` (``1 - y``) is not 0, with
        the ``mu``-free factors kept in ``cache`` between calls."""
        k = self.kind
        if k not in ("binomial", "poisson") or cache is None:
            return float(np.sum(self.dev_resid(y, mu, wt)))
        key = ("dev_sum", k)
        part = cache.get(key)
        if part is None:
            i1 = np.flatnonzero(y != 0)
            part = [(i1, 2.0 * wt[i1] * y[i1], y[i1])]
            if k == "binomial":
                i0 = np.flatnonzero(y != 1)
                part.append((i0, 2.0 * wt[i0] * (1.0 - y[i0]), 1.0 - y[i0]))
            else:
                part.append((None, 2.0 * wt, y))
            cache[key] = part
        (i1, c1, y1), (i0, c0, y0) = part
        with np.errstate(divide="ignore", invalid="ignore"):
            s = float(np.sum(c1 * np.log(y1 / mu[i1])))
            if k == "binomial":
                return s + float(np.sum(c0 * np.log(y0 / (1.0 - mu[i0]))))
            return s - float(np.sum(c0 * (y0 - mu)))

    def aic(self, y: np.ndarray, n: np.ndarray, mu: np.ndarray, wt: np.ndarray,
            dev: float, cache: dict | None = None) -> float:
        """lme4's ``aic`` (``-2 log-likelihood`` for the families without a scale).
        ``cache`` keeps the parts that do not depend on ``mu`` between calls."""
        k = self.kind
        with np.errstate(divide="ignore", invalid="ignore"):
            if k == "binomial":
                key = ("binomial",)
                if cache is None or key not in cache:
                    m = n if np.any(n > 1) else wt
                    yy = np.rint(m * y)
                    m = np.rint(m)
                    coef = np.where(m <= 0, 0.0, wt / np.where(m <= 0, 1.0, m))
                    const = float(np.sum(coef * (gammaln(m + 1) - gammaln(yy + 1)
                                                 - gammaln(m - yy + 1))))
                    a, b = coef * yy, coef * (m - yy)
                    ia, ib = np.flatnonzero(a != 0), np.flatnonzero(b != 0)
                    part = (const, ia, a[ia], ib, b[ib])
                    if cache is not None:
                        cache[key] = part
                else:
                    part = cache[key]
                const, ia, a, ib, b = part  # xlogy's terms where the factor is not 0
                return -2.0 * (const + float(np.sum(a * np.log(mu[ia])))
                               + float(np.sum(b * np.log(1.0 - mu[ib]))))
            if k == "poisson":
                key = ("poisson",)
                if cache is None or key not in cache:
                    const = float(np.sum(np.where(y == np.rint(y), -gammaln(y + 1), -np.inf)
                                         * wt))
                    part = (const, y * wt)
                    if cache is not None:
                        cache[key] = part
                else:
                    part = cache[key]
                const, yw = part
                return -2.0 * (const + float(np.sum(xlogy(yw, mu) - mu * wt)))
            if k == "Gamma":
                disp = dev / float(np.sum(wt))
                lp = _gamma_dist.logpdf(y, 1.0 / disp, scale=mu * disp)
                return -2.0 * float(np.sum(wt * lp)) + 2.0
            if k == "inverse.gaussian":
                ws = float(np.sum(wt))
                return ws * (math.log(dev / ws * 2 * math.pi) + 1) + 3 * float(
                    np.sum(np.log(y) * wt)) + 2.0
            if k == "gaussian":
                nn = mu.size
                return nn * (math.log(2 * math.pi * dev / nn) + 1) + 2 - float(np.sum(np.log(wt)))
            th = self.theta
            return 2.0 * float(np.sum(wt * (y + th) * np.log(mu + th) - y * np.log(mu)
                                      + gammaln(y + 1) - th * math.log(th) + math.lgamma(th)
                                      - gammaln(th + y)))

    # ---------------------------------------------------------------- start
    def mustart(self, y: np.ndarray, weights: np.ndarray, n: np.ndarray) -> np.ndarray:
        """R's ``family$initialize`` (``mustart``); ``weights`` already hold the trials."""
        k = self.kind
        if k == "binomial":
            return (weights * y + 0.5) / (weights + 1.0)
        if k == "poisson":
            return y + 0.1
        if k == "negative.binomial":
            return y + (y == 0) / 6.0
        return y.astype(float).copy()

    def check_response(self, y: np.ndarray, weights: np.ndarray) -> None:
        """R's ``initialize`` checks: refuse a response outside the family's support."""
        k = self.kind
        if k == "binomial":
            bad = ((y < 0) | (y > 1)) & (weights != 0)
            if np.any(bad):
                raise FamilyDomainError("y values must be 0 <= y <= 1",
                                "a binomial response is 0/1, a proportion with weights, or "
                                "cbind(successes, failures)")
        elif k in ("poisson", "negative.binomial"):
            if np.any(y < 0):
                what = "Poisson" if k == "poisson" else "negative binomial"
                raise FamilyDomainError(f"negative values not allowed for the '{what}' family",
                                "use a count response (y >= 0)")
        elif k in ("Gamma", "inverse.gaussian"):
            if np.any(y <= 0):
                raise FamilyDomainError(f"non-positive values not allowed for the '{k}' family",
                                "use a positive response")


def lme_family(family: Any, link: str | None = None, theta: float | None = None) -> LmeFamily:
    """The :class:`LmeFamily` of a family given as a name or an aurora family object.

    Examples
    --------
    >>> lme_family("binomial").link
    'logit'
    >>> lme_family("negative.binomial", theta=2.171031).family
    'Negative Binomial(2.171)'
    """
    from aurora.distributions import get_family

    if isinstance(family, LmeFamily):
        return family
    fam = get_family(family, link=link) if isinstance(family, str) else family
    name = getattr(fam, "name", str(fam))
    lname = getattr(getattr(fam, "link", None), "name", link)
    if name.lower().replace("_", " ").replace(".", " ").startswith("negative binomial") or \
            name == "nb":
        kind = "negative.binomial"
        theta = theta if theta is not None else getattr(fam, "_theta", None)
    elif name in ("quasipoisson", "quasibinomial", "quasi"):
        raise ModelSpecError(f"glmer does not fit quasi families ({name})",
                             "use family='poisson' or 'binomial' (lme4 refuses quasi families)")
    else:
        kind = name
    if kind not in _VALID:
        raise ModelSpecError(f"glmer does not fit the {name} family",
                             "use binomial, poisson, Gamma, inverse.gaussian or a negative "
                             "binomial (aurora.glmer_nb)")
    if lname not in _VALID[kind]:
        raise ModelSpecError(f"link {lname!r} is not available for the {kind} family in glmer",
                             f"use one of {', '.join(_VALID[kind])}")
    return LmeFamily(kind, lname, None if theta is None else float(theta))
