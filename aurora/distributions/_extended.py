"""Families with a shape parameter: negative binomial (MASS), beta (mgcv ``betar``)
and scaled t (mgcv ``scat``).

The parameter is either fixed (given to the constructor) or left ``None`` to be
estimated by the fitting engine, which then calls ``with_theta``.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from aurora.errors import ModelSpecError

from ._rformat import r_format
from ._utils import backend_name, coerce, digamma, lgamma, polygamma
from .base import Family
from ._glm import _warn_noninteger

__all__ = ["NegativeBinomialFamily", "BetaFamily", "StudentTFamily"]


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


class _ThetaFamily(Family):
    """Shared plumbing: a shape ``theta`` that is fixed or still to be estimated."""

    _theta: float | None
    _theta_fixed: bool

    def __init__(self, link: Any = None, theta: float | None = None, theta_fixed: bool | None = None) -> None:
        self._init_theta(theta, theta_fixed)
        super().__init__(link)

    def _init_theta(self, theta: float | None, theta_fixed: bool | None) -> None:
        self._theta = _positive("theta", theta)
        self._theta_fixed = (theta is not None) if theta_fixed is None else bool(theta_fixed)

    @property
    def params(self) -> dict[str, Any]:
        return {"theta": self._theta, "theta_fixed": self._theta_fixed}

    @property
    def theta(self) -> float | None:
        """The shape parameter (``None`` while it is still to be estimated)."""
        return self._theta

    @property
    def theta_fixed(self) -> bool:
        """``True`` when the user fixed ``theta``; ``False`` when it is estimated."""
        return self._theta_fixed

    def _need_theta(self) -> float:
        if self._theta is None:
            raise ModelSpecError(
                f"the {type(self).__name__} has no theta yet (it is to be estimated)",
                "fit the model first, or give a value: family.with_theta(value)",
            )
        return self._theta

    def with_theta(self, theta: float) -> "_ThetaFamily":
        """A copy with ``theta`` set, keeping the link and whether it was fixed."""
        params = dict(self.params)
        params["theta"] = theta
        return type(self)(link=self.link, **params)


class NegativeBinomialFamily(_ThetaFamily):
    """Negative binomial (``MASS::negative.binomial(theta)``): ``V(mu) = mu + mu^2/theta``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"log"`` (default), ``"identity"`` or ``"sqrt"``.
    theta : float, optional
        The shape; ``None`` means it is estimated (``glm.nb`` / ``mgcv::nb()``).
    theta_fixed : bool, optional
        Defaults to ``theta is not None``.

    Notes
    -----
    ``aic`` is MASS's ``family$aic`` (``-2 * loglik``); ``glm.nb`` reports
    ``AIC = -twologlik + 2*rank + 2``, counting theta: that ``+ 2`` belongs to
    the model, not the family.

    Examples
    --------
    >>> NegativeBinomialFamily(theta=2).name
    'Negative Binomial(2)'
    >>> float(NegativeBinomialFamily(theta=2).variance(2.0))
    4.0
    """

    family_name: ClassVar[str] = "negative binomial"
    default_link: ClassVar[str] = "log"
    valid_links: ClassVar[tuple[str, ...]] = ("log", "identity", "sqrt")
    scale_known: ClassVar[bool] = True
    support: ClassVar[str] = "counts"
    example_params: ClassVar[dict[str, Any]] = {"theta": 2.0}

    @property
    def name(self) -> str:
        if self._theta is None:
            return self.family_name
        return f"Negative Binomial({r_format(round(self._theta, 4), digits=7)})"

    def variance(self, mu: Any) -> Any:
        th = self._need_theta()
        mu = coerce(mu)[1]
        return mu + mu**2 / th

    def variance_derivative(self, mu: Any) -> Any:
        return 1.0 + 2.0 * coerce(mu)[1] / self._need_theta()

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        th = self._need_theta()
        xp, y, mu, w = self._prepare(y, mu, weights)
        return 2.0 * w * (y * xp.log(xp.maximum(y, 1.0) / mu) - (y + th) * xp.log((y + th) / (mu + th)))

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        th = self._need_theta()
        xp, y, mu, w = self._prepare(y, mu, weights)
        term = (
            (y + th) * xp.log(mu + th) - y * xp.log(mu) + lgamma(y + 1.0) - th * math.log(th)
            + math.lgamma(th) - lgamma(th + y)
        )
        return 2.0 * float(xp.sum(term * w))

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        self._check_scale(scale)
        return -0.5 * self.aic(y, mu, weights)

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        xp, y = coerce(y)
        return y + xp.astype(y == 0, y.dtype) / 6.0

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all(mu > 0))

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        return y < 0, "negative values not allowed", "counts must be >= 0"

    def _response_warnings(self, y: np.ndarray, weights: Any, n_trials: Any) -> None:
        _warn_noninteger("negative binomial", "counts", y)


def _beta_logdens(xp: Any, y: Any, mu: Any, th: float) -> Any:
    # mgcv betar: -term of aic = log dbeta(y, mu*th, (1-mu)*th)
    muth = mu * th
    return (
        math.lgamma(th) - lgamma(muth) - lgamma(th - muth)
        + (muth - 1.0) * xp.log(y) + (th - muth - 1.0) * xp.log1p(-y)
    )


def _beta_saturated(xp: Any, y: Any, th: float, maxit: int = 60) -> Any:
    """Per-observation maximum over mu of the beta log density (mgcv's ``saturated.ll``).

    The stationarity condition ``digamma(mu th) - digamma((1-mu) th) = logit(y)``
    has a unique root; we solve it on the logit scale by Newton steps kept
    inside a bisection bracket (safeguarded Newton, Numerical Recipes ``rtsafe``).
    """
    target = xp.log(y) - xp.log1p(-y)
    lo = xp.full_like(y, -40.0)
    hi = xp.full_like(y, 40.0)
    eta = xp.clip(target, -39.0, 39.0)
    fixed_iterations = backend_name(xp) == "jax"  # traceable: no data-dependent exit
    for _ in range(maxit):
        mu = 1.0 / (1.0 + xp.exp(-eta))
        a, b = mu * th, (1.0 - mu) * th
        h = digamma(a) - digamma(b) - target
        lo = xp.where(h < 0, eta, lo)
        hi = xp.where(h > 0, eta, hi)
        dh = th * mu * (1.0 - mu) * (polygamma(1, a) + polygamma(1, b))
        new = eta - h / dh
        bad = (new <= lo) | (new >= hi) | ~xp.isfinite(new)
        step = xp.where(bad, 0.5 * (lo + hi), new) - eta
        eta = eta + step
        if not fixed_iterations and bool(xp.all(xp.abs(step) <= 1e-13 * (1.0 + xp.abs(eta)))):
            break
    mu = 1.0 / (1.0 + xp.exp(-eta))
    return _beta_logdens(xp, y, mu, th)


class BetaFamily(_ThetaFamily):
    """Beta regression (``mgcv::betar``) with precision ``theta`` (phi): ``V(mu) = mu(1-mu)/(1+theta)``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"logit"`` (default), ``"probit"``, ``"cloglog"`` or ``"cauchit"``.
    theta : float, optional
        The precision phi; ``None`` means it is estimated.
    theta_fixed : bool, optional
        Defaults to ``theta is not None``.

    Notes
    -----
    ``deviance_residuals`` is the full deviance ``2 w (l_sat(y) - l(mu))`` that
    mgcv reports for a fitted ``betar`` model (betar's raw ``dev.resids`` omit
    the saturated log-likelihood, which mgcv adds in ``postproc``). The
    saturated mean is not ``y``, so the deviance is not zero at ``mu = y``.
    mgcv silently squeezes ``y`` in {0, 1} into the interval; here such values
    are an error.

    Examples
    --------
    >>> BetaFamily(theta=5).name
    'Beta regression(5)'
    """

    family_name: ClassVar[str] = "Beta regression"
    default_link: ClassVar[str] = "logit"
    valid_links: ClassVar[tuple[str, ...]] = ("logit", "probit", "cloglog", "cauchit")
    scale_known: ClassVar[bool] = True
    support: ClassVar[str] = "open_unit"
    deviance_zero_at_y: ClassVar[bool] = False
    example_params: ClassVar[dict[str, Any]] = {"theta": 5.0}

    @property
    def name(self) -> str:
        if self._theta is None:
            return self.family_name
        return f"Beta regression({r_format(round(self._theta, 3))})"

    def variance(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return mu * (1.0 - mu) / (1.0 + self._need_theta())

    def variance_derivative(self, mu: Any) -> Any:
        return (1.0 - 2.0 * coerce(mu)[1]) / (1.0 + self._need_theta())

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        th = self._need_theta()
        xp, y, mu, w = self._prepare(y, mu, weights)
        d = 2.0 * w * (_beta_saturated(xp, y, th) - _beta_logdens(xp, y, mu, th))
        return xp.maximum(d, 0.0)

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        th = self._need_theta()
        xp, y, mu, w = self._prepare(y, mu, weights)
        return -2.0 * float(xp.sum(_beta_logdens(xp, y, mu, th) * w))

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        self._check_scale(scale)
        return -0.5 * self.aic(y, mu, weights)

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all((mu > 0) & (mu < 1)))

    def _response_problems(self, y: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, str, str]:
        return (
            (y <= 0) | (y >= 1),
            "y values must lie strictly between 0 and 1",
            "rescale y into (0, 1), e.g. (y * (n - 1) + 0.5) / n (Smithson & Verkuilen 2006)",
        )


class StudentTFamily(_ThetaFamily):
    """Scaled t errors (``mgcv::scat``) with fixed degrees of freedom and scale.

    ``V(mu) = scale^2 df / (df - 2)`` (infinite for ``df <= 2``); the deviance is
    ``w (df + 1) log1p(((y - mu)/scale)^2 / df)``.

    Parameters
    ----------
    link : str or LinkFunction, optional
        ``"identity"`` (default), ``"log"`` or ``"inverse"``.
    df : float, optional
        Degrees of freedom nu; ``None`` (with ``scale``) means both are estimated.
    scale : float, optional
        The scale sigma.

    Examples
    --------
    >>> StudentTFamily(df=4, scale=1.5).name
    'Scaled t(4,1.5)'
    """

    family_name: ClassVar[str] = "scaled t"
    default_link: ClassVar[str] = "identity"
    valid_links: ClassVar[tuple[str, ...]] = ("identity", "log", "inverse")
    scale_known: ClassVar[bool] = True
    support: ClassVar[str] = "real"
    example_params: ClassVar[dict[str, Any]] = {"df": 4.0, "scale": 1.5}

    def __init__(
        self,
        link: Any = None,
        df: float | None = None,
        scale: float | None = None,
        theta_fixed: bool | None = None,
    ) -> None:
        if (df is None) != (scale is None):
            raise ValueError("give both df and scale, or neither (both estimated)")
        self._df = _positive("df", df)
        self._sigma = _positive("scale", scale)
        self._theta = None if df is None else self._df
        self._theta_fixed = (df is not None) if theta_fixed is None else bool(theta_fixed)
        Family.__init__(self, link)  # its theta is (df, scale), set above

    @property
    def df(self) -> float | None:
        """Degrees of freedom nu."""
        return self._df

    @property
    def sigma(self) -> float | None:
        """The scale sigma (named ``scale`` in the constructor)."""
        return self._sigma

    @property
    def theta(self) -> tuple[float, float] | None:  # type: ignore[override]
        """``(df, scale)`` as mgcv's ``getTheta(TRUE)``, or ``None``."""
        return None if self._df is None else (self._df, self._sigma)  # type: ignore[return-value]

    def with_theta(self, theta: tuple[float, float]) -> "StudentTFamily":  # type: ignore[override]
        """A copy with ``(df, scale)`` set."""
        df, sigma = theta
        return StudentTFamily(link=self.link, df=df, scale=sigma, theta_fixed=self._theta_fixed)

    def _need(self) -> tuple[float, float]:
        self._need_theta()
        return self._df, self._sigma  # type: ignore[return-value]

    @property
    def name(self) -> str:
        if self._df is None:
            return self.family_name
        nu = round(self._df, 3)
        nu_s = "Inf" if nu > 999 else r_format(nu)
        return f"Scaled t({nu_s},{r_format(round(self._sigma, 3))})"

    @property
    def params(self) -> dict[str, Any]:
        return {"df": self._df, "scale": self._sigma, "theta_fixed": self._theta_fixed}

    def variance(self, mu: Any) -> Any:
        nu, sig = self._need()
        xp, mu = coerce(mu)
        v = sig * sig * nu / (nu - 2.0) if nu > 2 else math.inf
        return xp.full_like(mu, v)

    def variance_derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.zeros_like(mu)

    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        nu, sig = self._need()
        xp, y, mu, w = self._prepare(y, mu, weights)
        return w * (nu + 1.0) * xp.log1p((1.0 / nu) * ((y - mu) / sig) ** 2)

    def aic(
        self, y: Any, mu: Any, weights: Any = None, deviance: float | None = None, n_trials: Any = None
    ) -> float:
        nu, sig = self._need()
        xp, y, mu, w = self._prepare(y, mu, weights)
        const = -math.lgamma((nu + 1.0) / 2.0) + math.lgamma(nu / 2.0) + math.log(sig * (math.pi * nu) ** 0.5)
        term = const + (nu + 1.0) * xp.log1p(((y - mu) / sig) ** 2 / nu) / 2.0
        return 2.0 * float(xp.sum(term * w))

    def log_likelihood(
        self, y: Any, mu: Any, weights: Any = None, scale: float | None = None, n_trials: Any = None
    ) -> float:
        self._check_scale(scale)
        return -0.5 * self.aic(y, mu, weights)

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        xp, y = coerce(y)
        return y + xp.astype(y == 0, y.dtype) * 0.1

    def valid_mu(self, mu: Any) -> bool:
        xp, mu = coerce(mu)
        return bool(xp.all(xp.isfinite(mu)))
