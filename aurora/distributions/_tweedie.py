"""Tweedie family with fixed power ``p`` (``mgcv::Tweedie``) and its log density.

The density of the compound Poisson-gamma case (1 < p < 2) has no closed
form; it is evaluated by summing the series W(y, phi, p) of Dunn & Smyth
(2005), as ``mgcv::ldTweedie`` does.

References
----------
Dunn, P. K. and Smyth, G. K. (2005) Series evaluation of Tweedie exponential
dispersion model densities. *Statistics and Computing* 15, 267-280 (eq. 2-5).
"""
from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from aurora.errors import AuroraWarning

from ._rformat import r_format
from ._utils import DBL_EPSILON, coerce, to_numpy
from .base import Family

__all__ = ["TweedieFamily", "ld_tweedie", "ld_tweedie_saturated",
           "ld_tweedie_saturated_derivs"]

_LOG_EPS = 2.0 * math.log(DBL_EPSILON)  # mgcv sums terms down to eps = DBL_EPSILON^2
_BLOCK = 32
_MAX_TERMS = 2_000_000
_ROWS = 65536


def _log_w_series(y: np.ndarray, phi: np.ndarray, p: np.ndarray, moments: bool = False,
                  p_derivs: bool = False) -> Any:
    """``log W(y, phi, p) = log sum_j W_j`` for y > 0 and 1 < p < 2 (Dunn & Smyth eq. 4).

    With ``moments``, also the mean and second moment of ``j`` under the weights
    ``W_j / W`` (the scale derivatives of ``log W``: ``d log W / d log phi = -E[j]/(p-1)``).
    With ``p_derivs`` (implies ``moments``), also the mean of ``g_j = d log W_j / dp``, its
    variance, the mean of ``h_j = d^2 log W_j / dp^2`` and the covariance of ``g_j`` and ``j``
    (what mgcv's C routine ``tweedious`` sums for the derivatives in p; here ``g_j`` and ``j``
    are centred at the series' largest term before the moments are summed, which keeps the
    variance accurate where ``g_j`` is large, for large y and p near 1).
    """
    moments = moments or p_derivs
    pm1 = p - 1.0
    a = (2.0 - p) / pm1  # -alpha
    logy = np.log(y)
    logz = a * logy - a * np.log(pm1) - np.log(phi) / pm1 - np.log(2.0 - p)
    jmax = np.maximum(1.0, np.round(y ** (2.0 - p) / (phi * (2.0 - p))))
    if p_derivs:
        # d log W_j / dp = j c1 + j psi(a j) / (p-1)^2;
        # d2 log W_j / dp2 = j c2 - 2 j psi(a j) / (p-1)^3 - j^2 psi'(a j) / (p-1)^4
        c1 = (np.log(pm1) + np.log(phi) - logy) / pm1 ** 2 - a / pm1 + 1.0 / (2.0 - p)
        c2 = (2.0 * (logy - np.log(pm1) - np.log(phi) + 1.0) / pm1 ** 3 + a / pm1 ** 2
              + 1.0 / (2.0 - p) ** 2)

    def logw(j: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return j * logz[rows, None] - gammaln(j + 1.0) - gammaln(a[rows, None] * j)

    def pterms(j: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = pm1[rows, None]
        aj = a[rows, None] * j
        g = j * (c1[rows, None] + digamma(aj) / q ** 2)
        h = j * (c2[rows, None] - 2.0 * digamma(aj) / q ** 3) - j * j * polygamma(1, aj) / q ** 4
        return g, h

    idx = np.arange(y.size)
    wmax = logw(jmax[:, None], idx)[:, 0]
    total = np.ones_like(y)
    m1, m2 = jmax.copy(), jmax ** 2
    if p_derivs:
        g0, h0 = pterms(jmax[:, None], idx)
        gc = g0[:, 0].copy()  # centre of g_j: its value at the largest term
        sg, sgg, sh, sgj = np.zeros_like(y), np.zeros_like(y), h0[:, 0].copy(), np.zeros_like(y)
    steps = np.arange(_BLOCK, dtype=np.float64)
    unconverged = False
    for direction in (1.0, -1.0):
        start = jmax + direction
        active = idx.copy()
        n_terms = 0
        while active.size:
            js = start[active, None] + direction * steps[None, :]
            valid = js >= 1.0
            jc = np.maximum(js, 1.0)
            terms = logw(jc, active) - wmax[active, None]
            wj = np.where(valid, np.exp(terms), 0.0)
            total[active] += wj.sum(axis=1)
            if moments:
                m1[active] += (wj * js).sum(axis=1)
                m2[active] += (wj * js * js).sum(axis=1)
            if p_derivs:
                g, h = pterms(jc, active)
                g = g - gc[active, None]
                sg[active] += (wj * g).sum(axis=1)
                sgg[active] += (wj * g * g).sum(axis=1)
                sh[active] += (wj * h).sum(axis=1)
                sgj[active] += (wj * g * (js - jmax[active, None])).sum(axis=1)
            last = terms[:, -1]
            done = (last < _LOG_EPS) | ~valid[:, -1]
            start[active] += direction * _BLOCK
            active = active[~done]
            n_terms += _BLOCK
            if n_terms > _MAX_TERMS:
                unconverged = True
                break
    if unconverged:
        warnings.warn(
            "Tweedie density may be unreliable - series not fully converged",
            AuroraWarning,
            stacklevel=3,
        )
    if p_derivs:
        eg = sg / total  # E[g - gc]
        ej = m1 / total - jmax  # E[j - jmax]
        return (wmax + np.log(total), m1 / total, m2 / total, gc + eg, sgg / total - eg * eg,
                sh / total, sgj / total - eg * ej)
    if moments:
        return wmax + np.log(total), m1 / total, m2 / total
    return wmax + np.log(total)


def ld_tweedie_saturated(y: np.ndarray, p: float, phi: float) -> tuple[np.ndarray, ...]:
    """Saturated Tweedie log density ``log f(y; mu = y, p, phi)`` and its first two
    derivatives in ``log(phi)`` (mgcv's ``ldTweedie(y, y, rho = log(phi))`` columns 1-3),
    for ``1 < p < 2``.

    Examples
    --------
    >>> ld, d1, d2 = ld_tweedie_saturated(np.array([0.0, 2.0]), 1.5, 1.2)
    >>> bool(np.isclose(ld[1], ld_tweedie([2.0], [2.0], 1.5, 1.2)[0]))
    True
    """
    return ld_tweedie_saturated_derivs(y, p, phi, p_derivs=False)


def ld_tweedie_saturated_derivs(y: np.ndarray, p: float, phi: float,
                                p_derivs: bool = True) -> tuple[np.ndarray, ...]:
    """Saturated Tweedie log density with its derivatives in ``rho = log(phi)`` and ``p``.

    Parameters
    ----------
    y : ndarray (n,)
        Non-negative responses.
    p : float
        The power, ``1 < p < 2``.
    phi : float
        The scale.
    p_derivs : bool
        Whether to add the derivatives in ``p``.

    Returns
    -------
    tuple of ndarray (n,)
        ``(ld, d/drho, d2/drho2)``, then with ``p_derivs`` ``(d/dp, d2/dp2, d2/dp drho)``
        (mgcv's ``ldTweedie(y, y, rho, theta)`` columns, but in ``p`` rather than the
        working parameter ``theta``). Rows with ``y = 0`` are 0 throughout.

    Notes
    -----
    At ``mu = y > 0``, ``log f = B(p) / phi - log y + log W`` with
    ``B(p) = y^(2-p) / ((1-p)(2-p))``; ``log W`` is differentiated term by term in the series
    (:func:`_log_w_series`), so that e.g. ``d2 log W / dp2 = E[h_j] + var(g_j)`` for
    ``g_j, h_j`` the first two p-derivatives of ``log W_j`` under weights ``W_j / W``.

    Examples
    --------
    >>> out = ld_tweedie_saturated_derivs(np.array([0.5, 2.0]), 1.5, 1.2)
    >>> h = 1e-6
    >>> up = ld_tweedie_saturated(np.array([0.5, 2.0]), 1.5 + h, 1.2)[0]
    >>> dn = ld_tweedie_saturated(np.array([0.5, 2.0]), 1.5 - h, 1.2)[0]
    >>> bool(np.allclose(out[3], (up - dn) / (2 * h), rtol=1e-6))
    True
    """
    y = np.asarray(y, dtype=float)
    out = [np.zeros_like(y) for _ in range(6 if p_derivs else 3)]
    pos = y > 0
    if pos.any():
        yy = y[pos]
        pp, ff = np.full_like(yy, p), np.full_like(yy, phi)
        res = _log_w_series(yy, ff, pp, moments=True, p_derivs=p_derivs)
        logw, e1, e2 = res[:3]
        base = yy ** (2.0 - p) / ((1.0 - p) * (2.0 - p) * phi)
        out[0][pos] = base - np.log(yy) + logw
        out[1][pos] = -base - e1 / (p - 1.0)
        out[2][pos] = base + (e2 - e1 * e1) / (p - 1.0) ** 2
        if p_derivs:
            eg, vg, eh, cgj = res[3:]
            lb = -np.log(yy) + 1.0 / (1.0 - p) + 1.0 / (2.0 - p)  # d log|B| / dp
            lb1 = 1.0 / (1.0 - p) ** 2 + 1.0 / (2.0 - p) ** 2
            out[3][pos] = base * lb + eg
            out[4][pos] = base * (lb * lb + lb1) + eh + vg
            # d log W_j / drho = -j/(p-1), and d g_j / drho = j/(p-1)^2
            out[5][pos] = -base * lb - cgj / (p - 1.0) + e1 / (p - 1.0) ** 2
    return tuple(out)


def ld_tweedie(y: Any, mu: Any = None, p: float | Any = 1.5, phi: float | Any = 1.0) -> np.ndarray:
    """Tweedie log density (``mgcv::ldTweedie(y, mu, p, phi)[, 1]``).

    Parameters
    ----------
    y : array-like, shape (n,)
        Non-negative responses.
    mu : array-like, shape (n,), optional
        Means (default ``y``).
    p : float or array-like, default 1.5
        Power, ``1 <= p <= 2`` (p = 1: Poisson with scale; p = 2: gamma).
    phi : float or array-like, default 1.0
        Dispersion.

    Returns
    -------
    numpy.ndarray, shape (n,)
        The log densities.

    Examples
    --------
    >>> round(float(ld_tweedie([0.0], [1.0], p=1.5, phi=1.0)[0]), 6)
    -2.0
    """
    y = np.atleast_1d(to_numpy(y))
    mu = y.copy() if mu is None else to_numpy(mu) * np.ones_like(y)
    p = to_numpy(p) * np.ones_like(y)
    phi = to_numpy(phi) * np.ones_like(y)
    if (p < 1).any() or (p > 2).any():
        raise ValueError("p must be in [1,2]")
    ld = np.zeros_like(y)
    gam = p == 2
    if gam.any():
        if (y[gam] <= 0).any():
            raise ValueError("y must be strictly positive for a Gamma density")
        a = 1.0 / phi[gam]
        s = phi[gam] * mu[gam]
        ld[gam] = -gammaln(a) - a * np.log(s) + (a - 1.0) * np.log(y[gam]) - y[gam] / s
    poi = p == 1
    if poi.any():
        yp, mp, fp = y[poi], mu[poi], phi[poi]
        if not np.allclose(yp / fp, np.round(yp / fp), rtol=1.5e-8, atol=0):
            raise ValueError("y must be an integer multiple of phi for Tweedie(p=1)")
        keep = (yp != 0) | (mp != 0)
        bkt = np.where(keep, yp * np.log(np.where(keep, mp, 1.0) / fp) - mp, 0.0)
        ld[poi] = bkt / fp - gammaln(yp / fp + 1.0)
    cp = (p > 1) & (p < 2)
    zero = cp & (y == 0)
    if zero.any():
        pz = p[zero]
        ld[zero] = -mu[zero] ** (2.0 - pz) / (phi[zero] * (2.0 - pz))
    pos = cp & (y > 0)
    if pos.any():
        yy, mm, pp, ff = y[pos], mu[pos], p[pos], phi[pos]
        out = np.empty_like(yy)
        for lo in range(0, yy.size, _ROWS):
            sl = slice(lo, lo + _ROWS)
            out[sl] = _log_w_series(yy[sl], ff[sl], pp[sl])
        onep, twop = 1.0 - pp, 2.0 - pp
        l_base = mm**onep * (yy / onep - mm / twop) / ff
        ld[pos] = l_base - np.log(yy) + out
    return ld


class TweedieFamily(Family):
    """Tweedie errors with power ``p`` (``mgcv::Tweedie(p)``): ``V(mu) = mu^p``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"log"`` (default, mgcv's ``power(0)``), ``"identity"``, ``"sqrt"``,
        ``"inverse"`` or a power link.
    p : float, default 1.5
        The power, ``1 < p <= 2``.
    p_fixed : bool, default True
        ``False`` for ``tw()``, where ``p`` is estimated (``p`` is then the
        starting value) and the name is mgcv's ``"Tweedie(p=...)"``.

    Notes
    -----
    ``aic`` is mgcv's: ``-2 * sum(w * ldTweedie(y, mu, p, dev/sum(w))) + 2``.
    ``n_extra_loglik_params`` is 1, as ``mgcv::logLik.gam`` counts the
    estimated scale; R's ``logLik.glm`` does not count it for a
    ``glm(family = Tweedie(p))`` (its logLik is lower by 1, its AIC equal).

    Examples
    --------
    >>> TweedieFamily(p=1.5).name
    'Tweedie(1.5)'
    >>> TweedieFamily(p=1.4123, p_fixed=False).name
    'Tweedie(p=1.412)'
    """

    family_name: ClassVar[str] = "Tweedie"
    default_link: ClassVar[str] = "log"
    valid_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt", "inverse")
    n_extra_loglik_params: ClassVar[int] = 1
    support: ClassVar[str] = "nonnegative"
    example_params: ClassVar[dict[str, Any]] = {"p": 1.5}

    def __init__(self, link: Any = None, p: float = 1.5, p_fixed: bool = True) -> None:
        p = float(p)
        if not (1.0 < p <= 2.0):
            raise ValueError(f"Only 1<p<=2 supported (got p={p})")
        self._p = p
        self._p_fixed = bool(p_fixed)
        super().__init__(link)

    @property
    def p(self) -> float:
        """The power of the variance function."""
        return self._p

    @property
    def p_fixed(self) -> bool:
        """``True`` for ``Tweedie(p)``; ``False`` for ``tw()``, where p is estimated."""
        return self._p_fixed

    def with_p(self, p: float) -> "TweedieFamily":
        """A copy with power ``p``, keeping the link and ``p_fixed``."""
        return TweedieFamily(link=self.link, p=p, p_fixed=self._p_fixed)

    @property
    def name(self) -> str:
        if self._p_fixed:
            return f"Tweedie({r_format(self._p)})"
        return f"Tweedie(p={r_format(round(self._p, 3))})"

    @property
    def params(self) -> dict[str, Any]:
        return {"p": self._p, "p_fixed": self._p_fixed}

    def variance(self, mu: Any) -> Any:
        return coerce(mu)[1] ** self._p

    def variance_derivative(self, mu: Any) -> Any:
        return self._p * coerce(mu)[1] ** (self._p - 1.0)

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        xp, y, mu, w = self._prepare(y, mu, weights)
        p = self._p
        y1 = y + xp.astype(y == 0, y.dtype)
        theta = (y1 ** (1.0 - p) - mu ** (1.0 - p)) / (1.0 - p)
        if p == 2.0:
            kappa = xp.log(y1 / mu)
        else:
            kappa = (y ** (2.0 - p) - mu ** (2.0 - p)) / (2.0 - p)
        return xp.maximum(2.0 * w * (y * theta - kappa), 0.0)

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        xp, y, mu, w = self._prepare(y, mu, weights)
        dev = self._resolve_deviance(y, mu, w, deviance)
        scale = dev / float(xp.sum(w))
        ld = ld_tweedie(to_numpy(y), to_numpy(mu), self._p, scale)
        return -2.0 * float(np.sum(ld * to_numpy(w))) + 2.0

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        """Tweedie log-likelihood at dispersion ``scale`` (``None``: mgcv's ``dev/sum(w)``)."""
        if scale is None:
            return -0.5 * self.aic(y, mu, weights) + 1.0
        xp, y, mu, w = self._prepare(y, mu, weights)
        ld = ld_tweedie(to_numpy(y), to_numpy(mu), self._p, float(scale))
        return float(np.sum(ld * to_numpy(w)))

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        xp, y = coerce(y)
        return y + xp.astype(y == 0, y.dtype) * 0.1

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all(mu >= 0))

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        if self._p == 2.0:
            return y <= 0, "non-positive values not allowed with p = 2", "use p < 2 or y > 0"
        return y < 0, "negative values not allowed", "Tweedie responses must be >= 0"
