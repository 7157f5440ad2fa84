"""Derivatives of the extended families' deviances in their own parameters (mgcv's
``Dd(..., level = 2)`` entries ``Dth``, ``Dmuth``, ``Dmu2th``, ``Dmu3th``, ``Dth2``,
``Dmuth2``, ``Dmu2th2``), derived here from each deviance.

For the one-parameter families (nb, tw, betar) the functions give the derivatives in the
natural parameter (theta, p, phi), divided by ``2 w``: first derivatives under the names of
the first-order entries, second derivatives under the second-order names;
:meth:`aurora.engine.extended.ExtendedCalculus.dd_theta` multiplies by ``2 w`` and applies the
chain rule to mgcv's working parameter. scat (two parameters) is differentiated in its
working parameters directly.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import digamma, polygamma

__all__ = ["nb_theta", "tw_theta", "betar_theta", "scat_theta"]


def nb_theta(y: np.ndarray, mu: np.ndarray, th: float
             ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """nb, in theta: ``D/2w = y log(y/mu) - s log(s/m)``, ``s = y + theta``, ``m = mu + theta``;
    ``Dmu/2w = s/m - y/mu``, ``Dmu2/2w = y/mu^2 - s/m^2``, ``Dmu3/2w = 2(s/m^3 - y/mu^3)``."""
    s, m = y + th, mu + th
    first = {"Dth": -np.log(s / m) - 1 + s / m, "Dmuth": (m - s) / m ** 2,
             "Dmu2th": (2 * s - m) / m ** 3, "Dmu3th": 2 * (m - 3 * s) / m ** 4}
    second = {"Dth2": -1 / s + 2 / m - s / m ** 2, "Dmuth2": -2 / m ** 2 + 2 * s / m ** 3,
              "Dmu2th2": 4 / m ** 3 - 6 * s / m ** 4}
    return first, second


def tw_theta(y: np.ndarray, mu: np.ndarray, p: float
             ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Tweedie, in p: ``D/2w = y^(2-p) (A - B) - y mu^(1-p) A + mu^(2-p) B`` with
    ``A = 1/(1-p)``, ``B = 1/(2-p)`` (``A' = A^2``, ``B' = B^2``);
    ``Dmu/2w = mu^(1-p) - y mu^-p``, ``Dmu2/2w = (1-p) mu^-p + p y mu^(-p-1)``,
    ``Dmu3/2w = -p(1-p) mu^(-p-1) - p(p+1) y mu^(-p-2)``."""
    A, B = 1 / (1 - p), 1 / (2 - p)
    L = np.log(mu)
    ly = np.log(np.where(y > 0, y, 1.0))
    yp2 = np.where(y > 0, np.abs(y) ** (2 - p), 0.0)
    m1p, m2p, mp = mu ** (1 - p), mu ** (2 - p), mu ** -p
    mp1, mp2 = mp / mu, mp / mu ** 2
    dmu = m1p - y * mp
    first = {
        "Dth": (yp2 * (-ly * (A - B) + A * A - B * B) - y * m1p * (A * A - L * A)
                + m2p * (B * B - L * B)),
        "Dmuth": -L * dmu,
        "Dmu2th": -mp - (1 - p) * L * mp + y * mp1 - p * y * L * mp1,
        "Dmu3th": (-(1 - 2 * p) * mp1 + p * (1 - p) * L * mp1 - (2 * p + 1) * y * mp2
                   + p * (p + 1) * y * L * mp2),
    }
    second = {
        "Dth2": (yp2 * (ly * ly * (A - B) - 2 * ly * (A * A - B * B) + 2 * (A ** 3 - B ** 3))
                 - y * m1p * (L * L * A - 2 * L * A * A + 2 * A ** 3)
                 + m2p * (L * L * B - 2 * L * B * B + 2 * B ** 3)),
        "Dmuth2": L * L * dmu,
        "Dmu2th2": 2 * L * mp + (1 - p) * L * L * mp - 2 * y * L * mp1 + p * y * L * L * mp1,
    }
    return first, second


def betar_theta(y: np.ndarray, mu: np.ndarray, th: float
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """betar, in phi: ``D/2w = -lgamma(phi) + lgamma(a) + lgamma(b) - (a - 1) log y
    - (b - 1) log(1 - y)``, ``a = mu phi``, ``b = (1 - mu) phi``."""
    a, b = mu * th, (1 - mu) * th
    om = 1 - mu
    ly, l1y = np.log(y), np.log1p(-y)
    p0a, p0b = digamma(a), digamma(b)
    p1a, p1b = polygamma(1, a), polygamma(1, b)
    p2a, p2b = polygamma(2, a), polygamma(2, b)
    p3a, p3b = polygamma(3, a), polygamma(3, b)
    k1 = mu * p1a - om * p1b
    k2 = mu * p2a + om * p2b
    first = {
        "Dth": -digamma(th) + mu * p0a + om * p0b - mu * ly - om * l1y,
        "Dmuth": (p0a - p0b - ly + l1y) + th * k1,
        "Dmu2th": 2 * th * (p1a + p1b) + th * th * k2,
        "Dmu3th": 3 * th * th * (p2a - p2b) + th ** 3 * (mu * p3a - om * p3b),
    }
    second = {
        "Dth2": -polygamma(1, th) + mu * mu * p1a + om * om * p1b,
        "Dmuth2": 2 * k1 + th * (mu * mu * p2a - om * om * p2b),
        "Dmu2th2": (2 * (p1a + p1b) + 4 * th * k2
                    + th * th * (mu * mu * p3a + om * om * p3b)),
    }
    return first, second


def scat_theta(y: np.ndarray, mu: np.ndarray, w: np.ndarray, theta: np.ndarray,
               pairs: list[tuple[int, int]], min_df: float = 3.0) -> dict[str, np.ndarray]:
    """scat, in ``x = (log(nu - 3), log sigma)`` directly: ``D = w (nu + 1) F(r, A)`` with
    ``F = log(A + r^2) - log A``, ``A = nu sigma^2``, ``r = y - mu``; ``x`` enters through
    ``nu + 1`` and ``A`` (``dA/dx = (nu - 3) sigma^2, 2A``), so every derivative is a
    combination of ``F``'s derivatives in ``mu`` and ``A``.

    Parameters
    ----------
    y, mu, w : ndarray (n,)
    theta : ndarray (2,)
        ``(nu, sigma)``.
    pairs : list of (int, int)
        The order of the second-derivative columns.
    min_df : float
        mgcv's ``min.df``: ``nu = min_df + exp(x[0])``.

    Returns
    -------
    dict
        As :meth:`aurora.engine.extended.ExtendedCalculus.dd_theta`.
    """
    nu, sig = theta
    nu2 = nu - min_df
    r = y - mu
    A = nu * sig * sig
    s = A + r * r
    r2 = r * r
    F = [np.log(s) - math.log(A), -2 * r / s, 2 / s - 4 * r2 / s ** 2,
         12 * r / s ** 2 - 16 * r * r2 / s ** 3]  # d^k F / dmu^k
    FA = [1 / s - 1 / A, 2 * r / s ** 2, -2 / s ** 2 + 8 * r2 / s ** 3,
          -24 * r / s ** 3 + 48 * r * r2 / s ** 4]  # ... and d/dA
    FAA = [-1 / s ** 2 + 1 / A ** 2, -4 * r / s ** 3, 4 / s ** 3 - 24 * r2 / s ** 4]
    c, c1 = nu + 1, np.array([nu2, 0.0])
    c2 = {(0, 0): nu2, (0, 1): 0.0, (1, 1): 0.0}
    A1 = np.array([nu2 * sig * sig, 2 * A])
    A2 = {(0, 0): nu2 * sig * sig, (0, 1): 2 * nu2 * sig * sig, (1, 1): 4 * A}
    names1, names2 = ("Dth", "Dmuth", "Dmu2th", "Dmu3th"), ("Dth2", "Dmuth2", "Dmu2th2")
    out = {}
    for k, key in enumerate(names1):
        out[key] = np.column_stack([w * (c1[i] * F[k] + c * FA[k] * A1[i]) for i in range(2)])
    for k, key in enumerate(names2):
        cols = []
        for i, j in pairs:
            cols.append(w * (c2[i, j] * F[k] + (c1[i] * A1[j] + c1[j] * A1[i]) * FA[k]
                             + c * (FAA[k] * A1[i] * A1[j] + FA[k] * A2[i, j])))
        out[key] = np.column_stack(cols)
    return out
