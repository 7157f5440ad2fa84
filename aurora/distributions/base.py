"""Abstract link functions and families (subclass these to plug in your own).

A :class:`LinkFunction` is R's ``link-glm`` object: ``linkfun``, ``linkinv``,
``mu.eta`` and ``valideta``. A :class:`Family` is R's ``family`` object:
variance, deviance residuals, AIC, initialisation and validity checks. Both are
written against the array API so they accept NumPy, JAX and PyTorch arrays.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from aurora.errors import DataError, FamilyDomainError, MissingDataError

from ._utils import coerce, to_numpy

__all__ = ["LinkFunction", "Family"]


class LinkFunction(ABC):
    """A link function ``eta = g(mu)`` with its inverse and derivatives.

    Subclasses set :attr:`name` (R's link name) and implement :meth:`link`,
    :meth:`inverse`, :meth:`derivative` and :meth:`inverse_derivative`.

    Examples
    --------
    >>> import numpy as np
    >>> class Cube(LinkFunction):
    ...     name = "mu^3"
    ...     def link(self, mu): return mu ** 3
    ...     def inverse(self, eta): return np.cbrt(eta)
    ...     def derivative(self, mu): return 3 * mu ** 2
    ...     def inverse_derivative(self, eta): return np.cbrt(eta) ** -2 / 3
    >>> float(Cube().inverse(8.0))
    2.0
    """

    #: R's name of the link (``family$link``).
    name: ClassVar[str] = ""
    #: Keyword arguments that build a representative instance (for contract tests).
    example_params: ClassVar[dict[str, Any]] = {}
    #: Where ``mu`` may lie: ``"real"``, ``"positive"`` or ``"unit"`` (0 < mu < 1).
    domain: ClassVar[str] = "real"

    @abstractmethod
    def link(self, mu: Any) -> Any:
        """``eta = g(mu)`` (R's ``linkfun``).

        Parameters
        ----------
        mu : array-like, shape (n,)
            Means, as a NumPy, JAX or torch array (or scalars/lists).

        Returns
        -------
        array, shape (n,)
            The linear predictor, in the backend of ``mu``.

        Examples
        --------
        >>> from aurora.distributions.links import LogitLink
        >>> float(LogitLink().link(0.5))
        0.0
        """

    @abstractmethod
    def inverse(self, eta: Any) -> Any:
        """``mu = g^{-1}(eta)`` (R's ``linkinv``), with R's clamping.

        Examples
        --------
        >>> from aurora.distributions.links import LogLink
        >>> float(LogLink().inverse(-800.0))  # pmax(exp(eta), .Machine$double.eps)
        2.220446049250313e-16
        """

    @abstractmethod
    def derivative(self, mu: Any) -> Any:
        """``d eta / d mu`` evaluated at ``mu``.

        Examples
        --------
        >>> from aurora.distributions.links import LogLink
        >>> float(LogLink().derivative(4.0))
        0.25
        """

    @abstractmethod
    def inverse_derivative(self, eta: Any) -> Any:
        """``d mu / d eta`` evaluated at ``eta`` (R's ``mu.eta``).

        Examples
        --------
        >>> from aurora.distributions.links import LogitLink
        >>> float(LogitLink().inverse_derivative(0.0))
        0.25
        """

    def valid_eta(self, eta: Any) -> bool:
        """Whether every ``eta`` is admissible (R's ``valideta``); default ``True``.

        Examples
        --------
        >>> from aurora.distributions.links import InverseLink
        >>> InverseLink().valid_eta([1.0, 0.0])
        False
        """
        return True

    @property
    def params(self) -> dict[str, Any]:
        """Parameters that distinguish instances of this link class."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinkFunction):
            return NotImplemented
        return type(self) is type(other) and self.params == other.params

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.params.items()))))


def _describe_bad(y: np.ndarray, bad: np.ndarray) -> str:
    idx = np.flatnonzero(bad)
    shown = ", ".join(f"y[{i}]={y[i]:g}" for i in idx[:5])
    more = "" if idx.size <= 5 else ", ..."
    verb = "value violates" if idx.size == 1 else "values violate"
    return f"{idx.size} {verb} this: {shown}{more}"


class Family(ABC):
    """An exponential-family (or extended) response distribution with a link.

    Parameters
    ----------
    link : str or LinkFunction, optional
        R's spelling (``"log"``, ``"logit"``, ``"1/mu^2"``, ``"power(0.5)"`` ...)
        or a link object; ``None`` means :attr:`default_link`. Strings must be
        among :attr:`valid_links` (R's ``okLinks``); link objects are always
        accepted, as in R.

    Notes
    -----
    Subclasses implement :meth:`variance`, :meth:`deviance_residuals`,
    :meth:`aic`, :meth:`log_likelihood` and :meth:`initialize`; see
    ``aurora/distributions/_glm.py`` for short examples.

    Examples
    --------
    >>> from aurora.distributions.families import PoissonFamily
    >>> fam = PoissonFamily()
    >>> fam.name, fam.link.name
    ('poisson', 'log')
    """

    #: R's ``family$family`` for parameter-free families.
    family_name: ClassVar[str] = ""
    #: R's default link name.
    default_link: ClassVar[str] = "identity"
    #: Link names accepted as strings (R's ``okLinks``).
    valid_links: ClassVar[tuple[str, ...]] = ()
    #: Dispersion fixed at 1 (binomial, poisson, negative binomial, fixed beta/scat).
    scale_known: ClassVar[bool] = False
    #: Parameters R's ``logLik`` counts beyond the coefficients (the scale).
    n_extra_loglik_params: ClassVar[int] = 0
    #: Response support: "real", "counts", "nonnegative", "positive", "unit", "open_unit".
    support: ClassVar[str] = "real"
    #: Whether the deviance is zero at ``mu = y`` (false for beta regression).
    deviance_zero_at_y: ClassVar[bool] = True
    #: Keyword arguments that build a representative instance (for contract tests).
    example_params: ClassVar[dict[str, Any]] = {}

    def __init__(self, link: str | LinkFunction | None = None) -> None:
        self._link = self._resolve_link(link)

    # -- construction ----------------------------------------------------
    def _resolve_link(self, link: str | LinkFunction | None) -> LinkFunction:
        from ._link_names import _canonical_link_name, is_power_spelling, link_from_string
        from aurora.errors import UnknownNameError

        if link is None:
            link = self.default_link
        if isinstance(link, LinkFunction):
            return link
        if isinstance(link, type) and issubclass(link, LinkFunction):
            return link()
        if not isinstance(link, str):
            raise TypeError(f"link must be a string or a LinkFunction, not {type(link).__name__}")
        canonical = _canonical_link_name(link)
        if canonical in self.valid_links or is_power_spelling(link):
            return link_from_string(link)
        raise UnknownNameError(f"{self.name} link", link, self.valid_links)

    @property
    def link(self) -> LinkFunction:
        """The :class:`LinkFunction` of this family."""
        return self._link

    @property
    def name(self) -> str:
        """R's ``family$family`` string (e.g. ``"Gamma"``, ``"Negative Binomial(2)"``)."""
        return self.family_name

    @property
    def params(self) -> dict[str, Any]:
        """Family parameters (``theta``, ``p``, ...) as keyword arguments."""
        return {}

    def __repr__(self) -> str:
        args = [f"link={self.link.name!r}"] + [f"{k}={v!r}" for k, v in self.params.items()]
        return f"{type(self).__name__}({', '.join(args)})"

    def __str__(self) -> str:
        return f"Family: {self.name}\nLink function: {self.link.name}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Family):
            return NotImplemented
        return (
            type(self) is type(other) and self.link == other.link and self.params == other.params
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.link, tuple(sorted(self.params.items()))))

    # -- distribution ----------------------------------------------------
    @abstractmethod
    def variance(self, mu: Any) -> Any:
        """Variance function ``V(mu)`` (R's ``variance``).

        Examples
        --------
        >>> from aurora.distributions.families import GammaFamily
        >>> float(GammaFamily().variance(3.0))
        9.0
        """

    def variance_derivative(self, mu: Any) -> Any:
        """``dV/dmu`` (mgcv's ``dvar``), by central differences unless overridden.

        Examples
        --------
        >>> from aurora.distributions.families import GammaFamily
        >>> float(GammaFamily().variance_derivative(3.0))
        6.0
        """
        xp, mu = coerce(mu)
        h = 1e-6 * xp.maximum(xp.abs(mu), 1e-3)
        return (self.variance(mu + h) - self.variance(mu - h)) / (2.0 * h)

    @abstractmethod
    def deviance_residuals(self, y: Any, mu: Any, weights: Any = None) -> Any:
        """Weighted unit deviances, elementwise (R's ``dev.resids(y, mu, wt)``).

        Parameters
        ----------
        y, mu : array-like, shape (n,)
            Response and means (one backend).
        weights : array-like, shape (n,), optional
            Prior weights (default ones).

        Returns
        -------
        array, shape (n,)

        Examples
        --------
        >>> from aurora.distributions.families import PoissonFamily
        >>> PoissonFamily().deviance_residuals([0.0, 2.0], [1.0, 2.0]).tolist()
        [2.0, 0.0]
        """

    def deviance(self, y: Any, mu: Any, weights: Any = None) -> float:
        """Total deviance ``sum(deviance_residuals(y, mu, weights))``.

        Examples
        --------
        >>> from aurora.distributions.families import GaussianFamily
        >>> GaussianFamily().deviance([1.0, 3.0], [2.0, 2.0], [1.0, 2.0])
        3.0
        """
        xp, d = coerce(self.deviance_residuals(y, mu, weights))
        return float(xp.sum(d))

    @abstractmethod
    def aic(
        self,
        y: Any,
        mu: Any,
        weights: Any = None,
        deviance: float | None = None,
        n_trials: Any = None,
    ) -> float:
        """R's ``family$aic(y, n, mu, wt, dev)`` (``NaN`` for quasi families).

        ``glm`` stores ``aic + 2 * rank``; ``mgcv::gam`` passes
        ``dev = scale * sum(w)`` (its scale estimate) instead of the deviance.

        Parameters
        ----------
        y, mu : array-like, shape (n,)
        weights : array-like, shape (n,), optional
            Prior weights (binomial: including the number of trials).
        deviance : float, optional
            R's ``dev``; default :meth:`deviance`. Families with a dispersion
            use it for the scale (``dev / nobs`` gaussian, ``dev / sum(w)`` others).
        n_trials : array-like, optional
            R's ``n`` (binomial from ``cbind``); ``None`` means ``weights`` are
            the trials.

        Examples
        --------
        >>> from aurora.distributions.families import PoissonFamily
        >>> round(PoissonFamily().aic([0.0, 2.0], [1.0, 2.0]), 6)
        4.613706
        """

    def log_likelihood(
        self,
        y: Any,
        mu: Any,
        weights: Any = None,
        scale: float | None = None,
        n_trials: Any = None,
    ) -> float:
        """Log-likelihood at ``mu`` (and ``scale``, for families with a dispersion).

        With ``scale=None`` this is ``-aic/2 + n_extra_loglik_params``, so that
        R's ``logLik(glm)`` is ``log_likelihood(y, fitted, weights)``; with
        ``scale`` given it is the log density at that dispersion (mgcv's
        ``logLik.gam`` is ``log_likelihood(y, fitted, w, scale=sig2)``).
        Scale-known families accept only ``scale`` None or 1.

        Examples
        --------
        >>> from aurora.distributions.families import GaussianFamily
        >>> round(GaussianFamily().log_likelihood([1.0, 3.0], [2.0, 2.0], scale=1.0), 6)
        -2.837877
        """
        self._check_scale(scale)
        return -0.5 * self.aic(y, mu, weights, None, n_trials) + self.n_extra_loglik_params

    def _check_scale(self, scale: float | None) -> None:
        if self.scale_known and scale is not None and float(scale) != 1.0:
            raise ValueError(f"the {self.name} family has its scale fixed at 1; got scale={scale}")

    def initialize(self, y: Any, weights: Any = None, n_trials: Any = None) -> Any:
        """Starting values ``mustart`` (R's ``initialize`` expression); default ``y``.

        ``n_trials`` is used by the binomial family only (``cbind`` data).

        Examples
        --------
        >>> from aurora.distributions.families import PoissonFamily
        >>> PoissonFamily().initialize([0.0, 3.0]).tolist()
        [0.1, 3.1]
        """
        _, y = coerce(y)
        return y

    def valid_mu(self, mu: Any) -> bool:
        """Whether every ``mu`` is admissible (R's ``validmu``); default ``True``.

        Examples
        --------
        >>> from aurora.distributions.families import PoissonFamily
        >>> PoissonFamily().valid_mu([1.0, 0.0])
        False
        """
        return True

    def validate_response(self, y: Any, weights: Any = None, n_trials: Any = None) -> None:
        """Raise :class:`FamilyDomainError` if ``y`` lies outside the support.

        Every offending value is counted in one message (the first five are
        shown). Warnings (:class:`aurora.errors.DataWarning`) are issued where
        R warns, e.g. for non-integer counts. Missing values raise
        :class:`aurora.errors.MissingDataError`, negative weights
        :class:`aurora.errors.DataError`.

        Examples
        --------
        >>> import numpy as np
        >>> from aurora.distributions.families import PoissonFamily
        >>> try:
        ...     PoissonFamily().validate_response(np.array([1.0, -2.0]))
        ... except ValueError as err:
        ...     print(str(err).splitlines()[0])
        poisson family: negative values not allowed; 1 value violates this: y[1]=-2
        """
        yn = to_numpy(y)
        if np.isnan(yn).any():
            raise MissingDataError(
                f"{self.name} family: the response holds {int(np.isnan(yn).sum())} missing values",
                "drop or impute them before fitting (na_action='omit')",
            )
        if weights is not None:
            w = to_numpy(weights)
            if (w < 0).any():
                raise DataError(
                    "negative weights not allowed", "prior weights must be zero or positive"
                )
        bad, problem, fix = self._response_problems(yn, None if weights is None else to_numpy(weights))
        if bad is not None and bad.any():
            raise FamilyDomainError(
                f"{self.name} family: {problem}; {_describe_bad(yn, bad)}", fix
            )
        self._response_warnings(yn, weights, n_trials)

    def _response_problems(
        self, y: np.ndarray, weights: np.ndarray | None
    ) -> tuple[np.ndarray | None, str, str]:
        return None, "", ""

    def _response_warnings(self, y: np.ndarray, weights: Any, n_trials: Any) -> None:
        return None

    # -- helpers for subclasses -----------------------------------------------
    @staticmethod
    def _prepare(y: Any, mu: Any, weights: Any = None) -> tuple[Any, Any, Any, Any]:
        """Return ``(xp, y, mu, w)`` as arrays of one namespace; ``w`` defaults to ones."""
        xp, y, mu, w = coerce(y, mu, weights)
        if w is None:
            w = xp.ones_like(mu)
        elif tuple(w.shape) != tuple(mu.shape):
            w = w * xp.ones_like(mu)
        return xp, y, mu, w

    def _resolve_deviance(self, y: Any, mu: Any, weights: Any, deviance: float | None) -> float:
        return self.deviance(y, mu, weights) if deviance is None else float(deviance)
