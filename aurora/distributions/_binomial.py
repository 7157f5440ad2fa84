"""Binomial and quasi-binomial families (R's ``binomial()``, ``quasibinomial()``)."""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ._glm import _warn_noninteger
from ._utils import coerce, lgamma, to_numpy, xlog1py, xlogy
from .base import Family

__all__ = ["BinomialFamily", "QuasiBinomialFamily"]


def _y_log_y(xp: Any, y: Any, mu: Any) -> Any:
    # family.c: (y != 0.) ? (y * log(y/mu)) : 0
    nz = y != 0
    ys = xp.where(nz, y, 1.0)
    return xp.where(nz, ys * xp.log(ys / mu), 0.0)


class BinomialFamily(Family):
    """Binomial proportions (R's ``binomial()``): ``V(mu) = mu (1 - mu)``.

    ``y`` is the proportion of successes and ``weights`` the prior weights; for
    ``cbind(successes, failures)`` data pass ``y = s / (s + f)``,
    ``weights = prior * (s + f)`` and ``n_trials = s + f`` (R's ``n``).

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"logit"`` (default), ``"probit"``, ``"cloglog"``, ``"cauchit"`` or ``"log"``.

    Examples
    --------
    >>> import numpy as np
    >>> fam = BinomialFamily()
    >>> round(fam.deviance(np.array([0.0, 1.0]), np.array([0.5, 0.5])), 6)
    2.772589
    """

    family_name: ClassVar[str] = "binomial"
    default_link: ClassVar[str] = "logit"
    valid_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog", "cauchit", "log")
    scale_known: ClassVar[bool] = True
    support: ClassVar[str] = "unit"

    def variance(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return mu * (1.0 - mu)

    def variance_derivative(self, mu: Any) -> Any:
        return 1.0 - 2.0 * coerce(mu)[1]

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        xp, y, mu, w = self._prepare(y, mu, weights)
        return 2.0 * w * (_y_log_y(xp, y, mu) + _y_log_y(xp, 1.0 - y, 1.0 - mu))

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        xp, y, mu, w = self._prepare(y, mu, weights)
        if n_trials is None:
            n = xp.ones_like(y)
        else:
            n = coerce(y, n_trials)[2] * xp.ones_like(y)
        m = n if bool(xp.any(n > 1)) else w
        k = xp.round(m * y)
        size = xp.round(m)
        logpmf = (
            lgamma(size + 1.0) - lgamma(k + 1.0) - lgamma(size - k + 1.0)
            + xlogy(k, mu) + xlog1py(size - k, -mu)
        )
        coef = xp.where(m > 0, w / xp.where(m > 0, m, 1.0), 0.0)
        return -2.0 * float(xp.sum(coef * logpmf))

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        self._check_scale(scale)
        return -0.5 * self.aic(y, mu, weights, None, n_trials)

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        xp, y, w = coerce(y, weights)
        if n_trials is not None:
            n = coerce(y, n_trials)[2]
            return (n * y + 0.5) / (n + 1.0)
        w = xp.ones_like(y) if w is None else w
        y = xp.where(w == 0, 0.0, y)
        return (w * y + 0.5) / (w + 1.0)

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all(xp.isfinite(mu))) and bool(xp.all((mu > 0) & (mu < 1)))

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        bad = (y < 0) | (y > 1)
        if weights is not None:
            bad &= weights != 0  # R sets y[weights == 0] <- 0 first
        return (
            bad,
            "y values must be 0 <= y <= 1",
            "give proportions with the number of trials as weights, or cbind(successes, failures)",
        )

    def _response_warnings(self, y: np.ndarray, weights: Any, n_trials: Any) -> None:
        if n_trials is not None:
            counts = to_numpy(n_trials) * y
        elif weights is not None:
            counts = to_numpy(weights) * y
        else:
            counts = y
        _warn_noninteger(self.name, "#successes", counts)


class QuasiBinomialFamily(BinomialFamily):
    """Quasi-binomial (R's ``quasibinomial()``): binomial variance, free dispersion, no AIC.

    Examples
    --------
    >>> QuasiBinomialFamily().scale_known
    False
    """

    family_name: ClassVar[str] = "quasibinomial"
    scale_known: ClassVar[bool] = False

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        return math.nan

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        return math.nan

    def _response_warnings(self, y: np.ndarray, weights: Any, n_trials: Any) -> None:
        return None
