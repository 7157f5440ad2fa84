"""What the smoothing engine needs of an exponential family beyond R's ``family`` object.

mgcv's ``fix.family.link``, ``fix.family.var`` and ``fix.family.ls``: second to fourth
derivatives of the link (``_LINK_DERIVS``, shared with the extended families of
:mod:`aurora.engine.extended`), second and third derivatives of the variance function and
the saturated log-likelihood with its scale derivatives (:class:`FamilyCalculus`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from aurora.errors import ModelSpecError

__all__ = ["FamilyCalculus"]

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


class _LinkMethods:
    """The link and family calls that :class:`FamilyCalculus` and
    :class:`~aurora.engine.extended.ExtendedCalculus` make alike (``self.link`` and
    ``self.family`` are the family's objects)."""

    def linkfun(self, mu):
        return np.asarray(self.link.link(mu), dtype=float)

    def linkinv(self, eta):
        return np.asarray(self.link.inverse(eta), dtype=float)

    def mu_eta(self, eta):
        return np.asarray(self.link.inverse_derivative(eta), dtype=float)

    def initialize(self, y, w):
        return np.asarray(self.family.initialize(y, w), dtype=float)

    def valid(self, eta, mu) -> bool:
        return bool(self.link.valid_eta(eta)) and bool(self.family.valid_mu(mu))


class FamilyCalculus(_LinkMethods):
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

    def variance(self, mu):
        return np.asarray(self.family.variance(mu), dtype=float)

    def dvar(self, mu):
        return np.asarray(self.family.variance_derivative(mu), dtype=float)

    def deviance(self, y, mu, w) -> float:
        return float(np.sum(self.family.deviance_residuals(y, mu, w)))

    def aic(self, y, mu, w, dev) -> float:
        return float(self.family.aic(y, mu, w, dev))

    def _weight_sums(self, w) -> tuple[int, float]:
        """Number of positive weights and the sum of their logs (kept for the last ``w``:
        the outer loop asks for them at every evaluation)."""
        cached = getattr(self, "_wsums", None)
        if cached is not None and cached[0] is w:
            return cached[1], cached[2]
        pos = w > 0
        nobs, slw = int(pos.sum()), float(np.log(w[pos]).sum())
        self._wsums = (w, nobs, slw)
        return nobs, slw

    def ls(self, y, w, scale: float) -> np.ndarray:
        """Saturated log-likelihood and its first two derivatives in ``scale``."""
        from scipy.special import digamma, gammaln, polygamma

        if self.name in ("gaussian", "quasipoisson", "quasibinomial"):
            nobs, slw = self._weight_sums(w)
            c = 2 * np.pi if self.name == "gaussian" else 1.0
            return np.array([-nobs * np.log(c * scale) / 2 + slw / 2,
                             -nobs / (2 * scale), nobs / (2 * scale * scale)])
        pos = w > 0
        nobs = int(pos.sum())
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
