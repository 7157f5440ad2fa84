"""Extended families inside the smoothing criterion: ``nb()``, ``tw()``, ``betar()``, ``scat()``.

mgcv fits these with ``gam.fit4``: the penalised fit uses full Newton weights from the
derivatives of the deviance with respect to ``mu`` (the family's ``Dd``), and the family's
own parameters (negative binomial theta, Tweedie p, beta precision, scaled-t df and scale)
are estimated inside the same Laplace-approximate REML/ML criterion as the smoothing
parameters. :class:`ExtendedCalculus` gives the smoothing engine what it needs: the
deviance and its first four ``mu`` derivatives (and the expected second derivative for the
Fisher weights that mgcv's covariance matrices use), the saturated log-likelihood ``ls``
with its scale derivatives, and the family parameter on mgcv's working scale ``x``
(``log theta`` for nb and betar; the logistic map of p onto (1.01, 1.99) for tw;
``(log(nu - 3), log sigma)`` for scat), so that the outer loop can treat ``x`` as further
coordinates of the one parameter vector it optimises.

The derivatives in ``x`` are exact, as mgcv's ``Dd(..., level = 2)`` gives them: the
deviance and its ``mu`` derivatives differentiated once and twice in ``x``
(:meth:`ExtendedCalculus.dd_theta`; the formulas per family in
:mod:`aurora.engine.extended_theta`), turned into ``eta`` derivatives by the link chain rule
as mgcv's ``dDeta`` does (:meth:`ExtendedCalculus.deta_theta`), and the saturated
log-likelihood's ``x`` derivatives (:meth:`ExtendedCalculus.ls_theta`, mgcv's ``lsth1``,
``lsth2``). Everything here is element-wise over the data (the backend-neutral part stays in
the design protocol).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from aurora.engine.extended_theta import betar_theta, nb_theta, scat_theta, tw_theta
from aurora.engine.family_calculus import _LINK_DERIVS, _LinkMethods
from aurora.errors import ModelSpecError

__all__ = ["ExtendedCalculus", "extended_calculus", "is_extended"]

_TW_A, _TW_B = 1.01, 1.99  # mgcv's tw(a = 1.01, b = 1.99)
_SCAT_MIN_DF = 3.0  # mgcv's scat(min.df = 3)


def is_extended(family: Any) -> bool:
    """Whether ``family`` is fitted as one of mgcv's extended families (nb, tw, betar, scat)."""
    return type(family).__name__ in ("NegativeBinomialFamily", "TweedieFamily", "BetaFamily",
                                     "StudentTFamily")


class ExtendedCalculus(_LinkMethods):
    """The smoothing engine's view of an extended family at one value of its parameters.

    Parameters
    ----------
    family : Family
        A negative binomial, Tweedie, beta or scaled-t family of :mod:`aurora.distributions`;
        its parameter, when given and fixed, is used as it is, otherwise estimated.
    x : ndarray, optional
        The family parameter on mgcv's working scale (overrides the family's own).

    Examples
    --------
    >>> from aurora.distributions import get_family
    >>> fc = ExtendedCalculus(get_family("nb"), x=np.array([np.log(3.0)]))
    >>> float(round(fc.theta_natural[0], 6)), fc.n_theta
    (3.0, 1)
    """

    extended = True
    canonical = False
    strictly_additive = False

    def __init__(self, family: Any, x: np.ndarray | None = None) -> None:
        self.kind = {"NegativeBinomialFamily": "nb", "TweedieFamily": "tw",
                     "BetaFamily": "betar", "StudentTFamily": "scat"}[type(family).__name__]
        link = family.link.name
        derivs = _LINK_DERIVS.get(link)
        if derivs is None:
            raise ModelSpecError(f"the {link} link is not available for {family.family_name} "
                                 "smooth models", f"use one of {', '.join(sorted(_LINK_DERIVS))}")
        self.d2link, self.d3link, self.d4link = derivs
        self.link = family.link
        self.name = family.family_name
        self.base = family
        self.fixed = _fixed(family)
        if x is None:
            x = _initial_x(family, self.kind)
        self.x = np.atleast_1d(np.asarray(x, dtype=float))
        self.n_theta = 0 if self.fixed else self.x.size
        self.theta_natural = _natural(self.kind, self.x)
        self.family = _with_params(family, self.kind, self.theta_natural)

    def start_for(self, y: np.ndarray) -> "ExtendedCalculus":
        """The family at mgcv's starting values for data ``y`` (scat's ``preinitialize``:
        ``nu = 3 + exp(1.5)``, ``sigma = 0.8 sd(y)``)."""
        if self.kind == "scat" and not self.fixed:
            return self.at(np.array([1.5, math.log(0.8 * float(np.std(y, ddof=1)))]))
        return self

    def initial_weights(self, y, mu, w) -> np.ndarray:
        """The weights of mgcv's ``initial.spg``: ``Dmu2 mu.eta^2 / 2``, or the expected
        version when any is negative."""
        d = self.dd(y, mu, w)
        me2 = self.mu_eta(self.linkfun(mu)) ** 2
        out = 0.5 * d[1] * me2
        return 0.5 * d[4] * me2 if np.any(out < 0) else out

    def at(self, x: np.ndarray) -> "ExtendedCalculus":
        """The same family at working-scale parameters ``x``."""
        return ExtendedCalculus(self.base, x=x)

    # ---- what FamilyCalculus offers (linkfun, linkinv, mu_eta, initialize, valid:
    # ---- _LinkMethods) -------------------------------------------------------------
    def variance(self, mu):
        return np.asarray(self.family.variance(mu), dtype=float) * np.ones_like(mu)

    def dvar(self, mu):
        return np.asarray(self.family.variance_derivative(mu), dtype=float) * np.ones_like(mu)

    def deviance(self, y, mu, w) -> float:
        """The deviance of the criterion (mgcv's ``dev.resids`` of the family; for betar the
        raw one, without the saturated log-likelihood)."""
        return float(np.sum(self.dev_resids(y, mu, w)))

    def dev_resids(self, y, mu, w) -> np.ndarray:
        k = self.kind
        if k == "betar":
            th = self.theta_natural[0]
            muth = mu * th
            return 2 * w * (-gammaln(th) + gammaln(muth) + gammaln(th - muth)
                            - (muth - 1) * np.log(y) - (th - muth - 1) * np.log1p(-y))
        return np.asarray(self.family.deviance_residuals(y, mu, w), dtype=float)

    def aic(self, y, mu, w, dev) -> float:
        return float(self.family.aic(y, mu, w, dev))

    def ls(self, y, w, scale: float) -> np.ndarray:
        """Saturated log-likelihood and its first two derivatives in ``scale``."""
        k, pos = self.kind, w > 0
        if k == "nb":
            th = self.theta_natural[0]
            yy, ww = y[pos], w[pos]
            ylogy = np.where(yy > 0, yy * np.log(np.where(yy > 0, yy, 1.0)), 0.0)
            term = ((yy + th) * np.log(yy + th) - ylogy + gammaln(yy + 1) - th * np.log(th)
                    + gammaln(th) - gammaln(th + yy))
            return np.array([-np.sum(term * ww), 0.0, 0.0])
        if k == "scat":
            nu, sig = self.theta_natural
            term = gammaln((nu + 1) / 2) - gammaln(nu / 2) - np.log(sig * np.sqrt(np.pi * nu))
            return np.array([np.sum(term * w[pos]), 0.0, 0.0])
        if k == "betar":
            return np.zeros(3)
        from aurora.distributions._tweedie import ld_tweedie_saturated

        ld, d1, d2 = ld_tweedie_saturated(y[pos], self.theta_natural[0], scale)
        ww = w[pos]
        l0, l1, l2 = np.sum(ww * ld), np.sum(ww * d1), np.sum(ww * d2)
        # d/d log(scale) -> d/d scale
        return np.array([l0, l1 / scale, (l2 - l1) / scale ** 2])

    # ---- deviance derivatives (mgcv's Dd, then dDeta) --------------------------------
    def dd(self, y, mu, w) -> tuple[np.ndarray, ...]:
        """``(Dmu, Dmu2, Dmu3, Dmu4, EDmu2)``: derivatives of the deviance in ``mu`` and the
        expected second derivative."""
        k = self.kind
        if k == "nb":
            th = self.theta_natural[0]
            a, b = (y + th) / (mu + th), y / mu
            m1, m0 = 1 / (mu + th), 1 / mu
            return (2 * w * (a - b), -2 * w * (a * m1 - b * m0), 4 * w * (a * m1 ** 2 - b * m0 ** 2),
                    12 * w * (b * m0 ** 3 - a * m1 ** 3), 2 * w * (m0 - m1))
        if k == "tw":
            p = self.theta_natural[0]
            f1 = -p * y * mu ** (-p - 1) - (1 - p) * mu ** -p
            f2 = p * (p + 1) * y * mu ** (-p - 2) + p * (1 - p) * mu ** (-p - 1)
            f3 = -p * (p + 1) * (p + 2) * y * mu ** (-p - 3) - p * (1 - p) * (p + 1) * mu ** (-p - 2)
            return (-2 * w * (y - mu) * mu ** -p, -2 * w * f1, -2 * w * f2, -2 * w * f3,
                    2 * w * mu ** -p)
        if k == "betar":
            th = self.theta_natural[0]
            a, b = mu * th, (1 - mu) * th
            d1 = 2 * w * th * (digamma(a) - digamma(b) - np.log(y) + np.log1p(-y))
            d2 = 2 * w * th ** 2 * (polygamma(1, a) + polygamma(1, b))
            d3 = 2 * w * th ** 3 * (polygamma(2, a) - polygamma(2, b))
            d4 = 2 * w * th ** 4 * (polygamma(3, a) + polygamma(3, b))
            return d1, d2, d3, d4, d2
        nu, sig = self.theta_natural
        r = y - mu
        a = nu * sig ** 2
        s = a + r * r
        c = 2 * w * (nu + 1)
        h0 = r / s
        h1 = 2 * a / s ** 2 - 1 / s
        h2 = -8 * a * r / s ** 3 + 2 * r / s ** 2
        h3 = -8 * a / s ** 3 + 48 * a * r * r / s ** 4 + 2 / s ** 2 - 8 * r * r / s ** 3
        return -c * h0, c * h1, -c * h2, c * h3, c / (sig ** 2 * (nu + 3)) + 0 * r

    def deta(self, y, mu, eta, w) -> tuple[np.ndarray, ...]:
        """``(Deta, Deta2, Deta3, Deta4, EDeta2)`` by the chain rule through the link."""
        d1, d2, d3, d4, e2 = self.dd(y, mu, w)
        ig1 = self.mu_eta(eta)
        g1 = 1 / ig1  # g'(mu)
        g2g = self.d2link(mu) / g1 ** 2
        g3g = self.d3link(mu) / g1 ** 3
        g4g = self.d4link(mu) / g1 ** 4
        ig12 = ig1 * ig1
        D1 = d1 * ig1
        D2 = d2 * ig12 - d1 * g2g * ig1
        D3 = d3 * ig12 * ig1 - 3 * d2 * g2g * ig12 + d1 * (3 * g2g ** 2 - g3g) * ig1
        D4 = (ig12 ** 2 * d4 - 6 * d3 * ig12 * ig1 * g2g + d2 * (15 * g2g ** 2 - 4 * g3g) * ig12
              - d1 * (15 * g2g ** 3 - 10 * g2g * g3g + g4g) * ig1)
        return D1, D2, D3, D4, e2 * ig12

    # ---- derivatives in the family parameters x (mgcv's Dd level 2, dDeta, ls) -------
    def pairs(self) -> list[tuple[int, int]]:
        """Index pairs ``(i, k)``, ``i <= k``, in the order of the second-derivative columns
        (mgcv's packing: ``(0, 0), (0, 1), (1, 1)`` for two parameters)."""
        nf = self.x.size
        return [(i, k) for i in range(nf) for k in range(i, nf)]

    def dd_theta(self, y, mu, w) -> dict[str, np.ndarray]:
        """Derivatives of the deviance and its ``mu`` derivatives in the working parameters.

        Returns
        -------
        dict
            ``Dth, Dmuth, Dmu2th, Dmu3th`` (n, nf): first derivatives in ``x`` of the
            deviance and its first three ``mu`` derivatives; ``Dth2, Dmuth2, Dmu2th2``
            (n, nf(nf+1)/2): second derivatives in ``x``, columns in :meth:`pairs` order.
        """
        y, mu, w = (np.asarray(v, dtype=float) for v in (y, mu, w))
        if self.kind == "scat":
            return scat_theta(y, mu, w, self.theta_natural, self.pairs(), _SCAT_MIN_DF)
        # one natural parameter t(x): derivatives in t, then the chain rule
        if self.kind == "nb":
            first, second = nb_theta(y, mu, self.theta_natural[0])
        elif self.kind == "tw":
            first, second = tw_theta(y, mu, self.theta_natural[0])
        else:
            first, second = betar_theta(y, mu, self.theta_natural[0])
        t1, t2 = self._chain()
        out = {}
        for key, f1 in first.items():
            out[key] = (2 * w * f1 * t1)[:, None]
        for key, f2 in second.items():
            base = key[:-1]  # "Dth2" -> "Dth"
            out[key] = (2 * w * (f2 * t1 * t1 + first[base] * t2))[:, None]
        return out

    def _chain(self) -> tuple[float, float]:
        """``dt/dx`` and ``d2t/dx2`` for the natural parameter ``t`` of a one-parameter
        family (``t = exp(x)``; Tweedie's logistic map onto ``(a, b)``)."""
        if self.kind == "tw":
            x = float(self.x[0])
            e = math.exp(-abs(x))
            d1 = e * (_TW_B - _TW_A) / (1 + e) ** 2
            d2 = (_TW_B - _TW_A) * e * (e - 1) / (1 + e) ** 3
            return d1, (d2 if x > 0 else -d2)
        t = float(self.theta_natural[0])
        return t, t

    def deta_theta(self, y, mu, eta, w) -> dict[str, np.ndarray]:
        """:meth:`dd_theta` in ``eta`` by the chain rule through the link (mgcv's ``dDeta``):
        ``Dth, Detath, Deta2th, Deta3th`` (n, nf) and ``Dth2, Detath2, Deta2th2``."""
        r = self.dd_theta(y, mu, w)
        ig1 = self.mu_eta(eta)[:, None]
        g1 = 1 / ig1
        mu2 = np.asarray(mu, dtype=float)[:, None]
        g2g = self.d2link(mu2) / g1 ** 2
        g3g = self.d3link(mu2) / g1 ** 3
        ig12 = ig1 * ig1
        return {
            "Dth": r["Dth"], "Dth2": r["Dth2"],
            "Detath": r["Dmuth"] * ig1,
            "Deta2th": r["Dmu2th"] * ig12 - r["Dmuth"] * g2g * ig1,
            "Deta3th": (r["Dmu3th"] * ig12 * ig1 - 3 * r["Dmu2th"] * g2g * ig12
                        + r["Dmuth"] * (3 * g2g ** 2 - g3g) * ig1),
            "Detath2": r["Dmuth2"] * ig1,
            "Deta2th2": r["Dmu2th2"] * ig12 - r["Dmuth2"] * g2g * ig1,
        }

    def ls_theta(self, y, w, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Derivatives of the saturated log-likelihood in ``x``.

        Returns
        -------
        l1 : ndarray (nf,)
            ``d ls / dx`` (mgcv's ``lsth1``).
        l2 : ndarray (nf, nf)
            ``d2 ls / dx dx'`` (``lsth2``).
        l_scale : ndarray (nf,)
            ``d2 ls / dx dlog(scale)`` (non-zero for tw only).
        """
        nf = self.x.size
        l1, l2, lc = np.zeros(nf), np.zeros((nf, nf)), np.zeros(nf)
        pos = w > 0
        yy, ww = y[pos], w[pos]
        if self.kind == "nb":
            th = self.theta_natural[0]
            u = np.log(yy + th) - digamma(yy + th) + digamma(th) - math.log(th)
            u1 = 1 / (yy + th) - polygamma(1, yy + th) + polygamma(1, th) - 1 / th
            l1[0] = -np.sum(ww * th * u)
            l2[0, 0] = -np.sum(ww * (th * u + th * th * u1))
        elif self.kind == "tw":
            from aurora.distributions._tweedie import ld_tweedie_saturated_derivs

            out = ld_tweedie_saturated_derivs(yy, self.theta_natural[0], scale)
            dp, dpp, dprho = (np.sum(ww * v) for v in out[3:])
            t1, t2 = self._chain()
            l1[0] = dp * t1
            l2[0, 0] = dpp * t1 * t1 + dp * t2
            lc[0] = dprho * t1
        elif self.kind == "scat":
            nu = self.theta_natural[0]
            nu2 = nu - _SCAT_MIN_DF
            g = digamma((nu + 1) / 2) / 2 - digamma(nu / 2) / 2 - 1 / (2 * nu)
            g1 = polygamma(1, (nu + 1) / 2) / 4 - polygamma(1, nu / 2) / 4 + 1 / (2 * nu * nu)
            sw = np.sum(ww)
            l1[:] = [sw * nu2 * g, -sw]
            l2[0, 0] = sw * (nu2 * nu2 * g1 + nu2 * g)
        return l1, l2, lc

    # ---- after the fit (mgcv's postproc) --------------------------------------------
    def label(self) -> str:
        """The family as mgcv's summary prints it, e.g. ``Negative Binomial(3.141)``."""
        th = [_r_round(v, 3) for v in self.theta_natural]
        if self.kind == "nb":
            return f"Negative Binomial({th[0]})"
        if self.kind == "tw":
            return f"Tweedie(p={th[0]})"
        if self.kind == "betar":
            return f"Beta regression({th[0]})"
        nu = "Inf" if round(self.theta_natural[0], 3) > 999 else th[0]
        return f"Scaled t({nu},{th[1]})"

    def reported_deviance(self, y, mu, w) -> float:
        """The deviance mgcv stores on the fit (betar adds twice the saturated log-likelihood)."""
        if self.kind == "betar":
            return float(np.sum(self.family.deviance_residuals(y, mu, w)))
        return self.deviance(y, mu, w)

    def null_deviance(self, y, w, offset, eta, intercept: bool) -> float:
        """mgcv's null deviance for the family (``find.null.dev``, betar's ``postproc``)."""
        from scipy.optimize import minimize_scalar

        if self.kind == "betar":
            wtdmu = np.full_like(y, np.sum(w * y) / np.sum(w)) if intercept else self.linkinv(offset)
            return float(np.sum(self.family.deviance_residuals(y, wtdmu, w)))

        def fnull(g):
            return self.deviance(y, self.linkinv(g + offset), w)

        mu = self.linkinv(eta - offset)
        mum = np.mean(mu * w) / np.mean(w)
        e0 = float(self.linkfun(np.array(mum)))
        de = abs(e0) * 0.1 + 1
        while True:
            lo, hi = e0 - de, e0 + de
            op = minimize_scalar(fnull, bounds=(lo, hi), method="bounded",
                                 options={"xatol": 1e-10})
            if lo + 1e-6 * de < op.x < hi - 1e-6 * de:
                return float(op.fun)
            de *= 2


def extended_calculus(family: Any) -> ExtendedCalculus:
    """:class:`ExtendedCalculus` for ``family`` at its starting parameter values."""
    return ExtendedCalculus(family)


# --- parameters: natural <-> mgcv's working scale ---------------------------------------

def _fixed(family: Any) -> bool:
    if type(family).__name__ == "TweedieFamily":
        return bool(family.p_fixed)
    return bool(getattr(family, "theta_fixed", False)) and family.theta is not None


def _initial_x(family: Any, kind: str) -> np.ndarray:
    if kind == "tw":
        p = family.p if family.p_fixed else 1.5
        return np.array([math.log((p - _TW_A) / (_TW_B - p))])
    th = family.theta
    if kind == "scat":
        if th is None:  # replaced from the data by ``start_for`` (scat's preinitialize)
            return np.array([1.5, 0.0])
        return np.array([math.log(max(th[0] - _SCAT_MIN_DF, 1e-8)), math.log(th[1])])
    if th is None:  # mgcv's iniTheta: theta = 1 (nb), phi = 1 (betar)
        return np.array([0.0])
    return np.array([math.log(th)])


def _natural(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "tw":
        t = x[0]
        p = (_TW_B + _TW_A * math.exp(-t)) / (1 + math.exp(-t)) if t > 0 else \
            (_TW_B * math.exp(t) + _TW_A) / (math.exp(t) + 1)
        return np.array([p])
    if kind == "scat":
        return np.array([math.exp(x[0]) + _SCAT_MIN_DF, math.exp(x[1])])
    return np.array([math.exp(x[0])])


def _with_params(family: Any, kind: str, th: np.ndarray) -> Any:
    if kind == "tw":
        return family.with_p(float(th[0]))
    if kind == "scat":
        return family.with_theta((float(th[0]), float(th[1])))
    return family.with_theta(float(th[0]))


def _r_round(v: float, digits: int) -> str:
    """R's ``paste(round(v, digits))``: up to 15 significant digits, no trailing zeros."""
    r = round(float(v), digits)
    s = f"{r:.15g}"
    return s

