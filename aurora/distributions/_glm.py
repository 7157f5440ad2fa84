"""The families of R's ``stats`` package: gaussian, poisson, binomial, Gamma,
inverse.gaussian, quasipoisson and quasibinomial.

Each method transcribes the corresponding function of R's family object
(``src/library/stats/R/family.R``); AIC values are exactly ``family$aic``.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np

from aurora.errors import DataWarning, FamilyDomainError

from ._utils import coerce, lgamma, xlogy
from .base import Family

__all__ = [
    "GaussianFamily",
    "PoissonFamily",
    "GammaFamily",
    "InverseGaussianFamily",
    "WaldFamily",
    "QuasiPoissonFamily",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _poisson_dev(xp: Any, y: Any, mu: Any, w: Any) -> Any:
    pos = y > 0
    ys = xp.where(pos, y, 1.0)
    r = xp.where(pos, w * (y * xp.log(ys / mu) - (y - mu)), mu * w)
    return 2.0 * r


def _poisson_logpmf(xp: Any, y: Any, mu: Any) -> Any:
    # R's dpois(log = TRUE): -Inf (with a warning) for non-integer y.
    val = xlogy(y, mu) - mu - lgamma(y + 1.0)
    return xp.where(y == xp.round(y), val, -math.inf)


def _warn_noninteger(family: str, what: str, values: np.ndarray) -> None:
    if values.size and (np.abs(values - np.round(values)) > 1e-3).any():
        warnings.warn(
            f"non-integer {what} in a {family} model: "
            f"{family} likelihoods (AIC, logLik) assume integer counts",
            DataWarning,
            stacklevel=4,
        )


class GaussianFamily(Family):
    """Normal errors (R's ``gaussian()``): ``V(mu) = 1``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"identity"`` (default), ``"log"`` or ``"inverse"``, or any link object.

    Examples
    --------
    >>> import numpy as np
    >>> fam = GaussianFamily()
    >>> fam.deviance(np.array([1.0, 2.0]), np.array([1.5, 1.5]))
    0.5
    """

    family_name: ClassVar[str] = "gaussian"
    default_link: ClassVar[str] = "identity"
    valid_links: ClassVar[tuple[str, ...]] = ("inverse", "log", "identity")
    n_extra_loglik_params: ClassVar[int] = 1
    support: ClassVar[str] = "real"

    def variance(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.ones_like(mu)

    def variance_derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.zeros_like(mu)

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        xp, y, mu, w = self._prepare(y, mu, weights)
        return w * (y - mu) ** 2

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        xp, y, mu, w = self._prepare(y, mu, weights)
        dev = self._resolve_deviance(y, mu, w, deviance)
        nobs = y.shape[0] if y.ndim else 1
        with np.errstate(divide="ignore"):
            slw = float(xp.sum(xp.log(w)))
        return nobs * (math.log(dev / nobs * 2.0 * math.pi) + 1.0) + 2.0 - slw

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        """Normal log-likelihood with variance ``scale / weights``.

        ``scale=None`` uses R's ``dev / nobs``, giving ``logLik(glm)``.
        """
        if scale is None:
            return -0.5 * self.aic(y, mu, weights) + 1.0
        xp, y, mu, w = self._prepare(y, mu, weights)
        nobs = y.shape[0] if y.ndim else 1
        dev = float(xp.sum(w * (y - mu) ** 2))
        slw = float(xp.sum(xp.log(w)))
        return -0.5 * (nobs * (_LOG_2PI + math.log(scale)) - slw + dev / scale)

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        xp, y = coerce(y)
        name = self.link.name
        if (name == "inverse" and bool(xp.any(y == 0))) or (name == "log" and bool(xp.any(y <= 0))):
            raise FamilyDomainError(
                f"gaussian family with the {name} link: cannot find valid starting values "
                f"(y holds {'zeros' if name == 'inverse' else 'values <= 0'})",
                "supply starting values (mustart, etastart or start) or use the identity link",
            )
        return y


class PoissonFamily(Family):
    """Poisson counts (R's ``poisson()``): ``V(mu) = mu``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"log"`` (default), ``"identity"`` or ``"sqrt"``, or any link object.

    Examples
    --------
    >>> import numpy as np
    >>> round(PoissonFamily().aic(np.array([0.0, 2.0]), np.array([1.0, 2.0])), 6)
    4.613706
    """

    family_name: ClassVar[str] = "poisson"
    default_link: ClassVar[str] = "log"
    valid_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt")
    scale_known: ClassVar[bool] = True
    support: ClassVar[str] = "counts"

    def variance(self, mu: Any) -> Any:
        return coerce(mu)[1]

    def variance_derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.ones_like(mu)

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        xp, y, mu, w = self._prepare(y, mu, weights)
        return _poisson_dev(xp, y, mu, w)

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        xp, y, mu, w = self._prepare(y, mu, weights)
        return -2.0 * float(xp.sum(_poisson_logpmf(xp, y, mu) * w))

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        self._check_scale(scale)
        return -0.5 * self.aic(y, mu, weights)

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        return coerce(y)[1] + 0.1

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all(xp.isfinite(mu))) and bool(xp.all(mu > 0))

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        return y < 0, "negative values not allowed", "counts must be >= 0"

    def _response_warnings(self, y: np.ndarray, weights: Any, n_trials: Any) -> None:
        _warn_noninteger(self.name, "counts", y)


class QuasiPoissonFamily(PoissonFamily):
    """Quasi-Poisson (R's ``quasipoisson()``): Poisson variance, free dispersion, no AIC.

    Examples
    --------
    >>> import math
    >>> math.isnan(QuasiPoissonFamily().aic([1.0], [1.0]))
    True
    """

    family_name: ClassVar[str] = "quasipoisson"
    scale_known: ClassVar[bool] = False
    support: ClassVar[str] = "nonnegative"

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


class GammaFamily(Family):
    """Gamma errors (R's ``Gamma()``): ``V(mu) = mu^2``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"inverse"`` (default), ``"log"`` or ``"identity"``.

    Examples
    --------
    >>> import numpy as np
    >>> round(GammaFamily().deviance(np.array([1.0, 2.0]), np.array([1.5, 1.5])), 6)
    0.235566
    """

    family_name: ClassVar[str] = "Gamma"
    default_link: ClassVar[str] = "inverse"
    valid_links: ClassVar[tuple[str, ...]] = ("inverse", "log", "identity")
    n_extra_loglik_params: ClassVar[int] = 1
    support: ClassVar[str] = "positive"

    def variance(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return mu * mu

    def variance_derivative(self, mu: Any) -> Any:
        return 2.0 * coerce(mu)[1]

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        xp, y, mu, w = self._prepare(y, mu, weights)
        ratio = xp.where(y == 0, 1.0, y / mu)
        return -2.0 * w * (xp.log(ratio) - (y - mu) / mu)

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        xp, y, mu, w = self._prepare(y, mu, weights)
        dev = self._resolve_deviance(y, mu, w, deviance)
        disp = dev / float(xp.sum(w))
        return -2.0 * self._sum_logdens(xp, y, mu, w, disp) + 2.0

    @staticmethod
    def _sum_logdens(xp: Any, y: Any, mu: Any, w: Any, disp: float) -> float:
        shape = 1.0 / disp
        sc = mu * disp
        ld = -lgamma(xp.full_like(y, shape)) - shape * xp.log(sc) + (shape - 1.0) * xp.log(y) - y / sc
        return float(xp.sum(ld * w))

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        """Gamma log-likelihood with shape ``1/scale`` (``scale=None``: R's ``dev/sum(w)``)."""
        if scale is None:
            return -0.5 * self.aic(y, mu, weights) + 1.0
        xp, y, mu, w = self._prepare(y, mu, weights)
        return self._sum_logdens(xp, y, mu, w, float(scale))

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all(xp.isfinite(mu))) and bool(xp.all(mu > 0))

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        return y <= 0, "non-positive values not allowed", "the Gamma family needs y > 0"


class InverseGaussianFamily(Family):
    """Inverse Gaussian errors (R's ``inverse.gaussian()``): ``V(mu) = mu^3``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"1/mu^2"`` (default), ``"inverse"``, ``"log"`` or ``"identity"``.

    Examples
    --------
    >>> InverseGaussianFamily().name
    'inverse.gaussian'
    """

    family_name: ClassVar[str] = "inverse.gaussian"
    default_link: ClassVar[str] = "1/mu^2"
    valid_links: ClassVar[tuple[str, ...]] = ("inverse", "log", "identity", "1/mu^2")
    n_extra_loglik_params: ClassVar[int] = 1
    support: ClassVar[str] = "positive"

    def variance(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return mu * mu * mu

    def variance_derivative(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return 3.0 * mu * mu

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        xp, y, mu, w = self._prepare(y, mu, weights)
        return w * ((y - mu) ** 2) / (y * mu * mu)

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        xp, y, mu, w = self._prepare(y, mu, weights)
        dev = self._resolve_deviance(y, mu, w, deviance)
        sw = float(xp.sum(w))
        return sw * (1.0 + math.log(dev / sw * 2.0 * math.pi)) + 3.0 * float(xp.sum(xp.log(y) * w)) + 2.0

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        """Inverse Gaussian log-likelihood with dispersion ``scale`` (``None``: ``dev/sum(w)``)."""
        if scale is None:
            return -0.5 * self.aic(y, mu, weights) + 1.0
        xp, y, mu, w = self._prepare(y, mu, weights)
        sw = float(xp.sum(w))
        dev = float(xp.sum(self.deviance_residuals(y, mu, w)))
        return -0.5 * (sw * (_LOG_2PI + math.log(scale)) + 3.0 * float(xp.sum(xp.log(y) * w)) + dev / scale)

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        return (
            y <= 0,
            "positive values only are allowed",
            "the inverse Gaussian family needs y > 0",
        )


#: Alias of :class:`InverseGaussianFamily`.
WaldFamily = InverseGaussianFamily
