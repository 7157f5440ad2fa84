"""The links of R's ``make.link`` and ``power``, with R's numerical safeguards.

Every method takes arrays of any backend (NumPy, JAX, PyTorch) or Python
scalars/lists, and returns an array of the same backend. The clamping
thresholds are R's: the logit of ``stats``' C code (``THRESH = 30``), probit's
``-qnorm(.Machine$double.eps)``, cauchit's ``-qcauchy(.Machine$double.eps)``,
cloglog's ``pmax(pmin(-expm1(-exp(eta)), 1 - eps), eps)`` and the
``pmax(..., .Machine$double.eps)`` of log and power links.

References: R Core, ``src/library/stats/R/family.R`` and ``src/library/stats/src/family.c``.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

from aurora.errors import AuroraWarning

from ._rformat import r_format
from ._utils import DBL_EPSILON, coerce, ndtr, ndtri, norm_pdf
from .base import LinkFunction

__all__ = [
    "IdentityLink",
    "LogLink",
    "LogitLink",
    "ProbitLink",
    "CLogLogLink",
    "CauchitLink",
    "InverseLink",
    "InverseSquaredLink",
    "SqrtLink",
    "PowerLink",
]

_THRESH = 30.0  # logit: R's THRESH / MTHRESH in family.c
_INVEPS = 1.0 / DBL_EPSILON
_PROBIT_THRESH = -float(ndtri(DBL_EPSILON))
_CAUCHIT_THRESH = 1.0 / math.tan(math.pi * DBL_EPSILON)  # -qcauchy(eps) = 1/tanpi(eps)


def _all_finite(xp: Any, x: Any, cond: Any) -> bool:
    return bool(xp.all(xp.isfinite(x))) and bool(xp.all(cond))


class IdentityLink(LinkFunction):
    """``eta = mu``.

    Examples
    --------
    >>> float(IdentityLink().inverse(2.5))
    2.5
    """

    name: ClassVar[str] = "identity"

    def link(self, mu: Any) -> Any:
        return coerce(mu)[1]

    def inverse(self, eta: Any) -> Any:
        return coerce(eta)[1]

    def derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.ones_like(mu)

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.ones_like(eta)


class LogLink(LinkFunction):
    """``eta = log(mu)``; the inverse is ``pmax(exp(eta), eps)`` as in R.

    Examples
    --------
    >>> round(float(LogLink().inverse(0.0)), 12)
    1.0
    """

    name: ClassVar[str] = "log"
    domain: ClassVar[str] = "positive"

    def link(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.log(mu)

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.maximum(xp.exp(eta), DBL_EPSILON)

    def derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return 1.0 / mu

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.maximum(xp.exp(eta), DBL_EPSILON)


class LogitLink(LinkFunction):
    """``eta = log(mu / (1 - mu))``, clamped as R's C code for ``|eta| > 30``.

    Examples
    --------
    >>> float(LogitLink().inverse(0.0))
    0.5
    """

    name: ClassVar[str] = "logit"
    domain: ClassVar[str] = "unit"

    def link(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.log(mu / (1.0 - mu))

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        e = xp.exp(xp.clip(eta, -_THRESH, _THRESH))
        tmp = xp.where(eta < -_THRESH, DBL_EPSILON, xp.where(eta > _THRESH, _INVEPS, e))
        return tmp / (1.0 + tmp)

    def derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return 1.0 / (mu * (1.0 - mu))

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        e = xp.exp(xp.clip(eta, -_THRESH, _THRESH))
        opexp = 1.0 + e
        return xp.where((eta > _THRESH) | (eta < -_THRESH), DBL_EPSILON, e / (opexp * opexp))


class ProbitLink(LinkFunction):
    """``eta = qnorm(mu)``; the inverse clamps ``eta`` to ``±(-qnorm(eps))``.

    Examples
    --------
    >>> float(ProbitLink().inverse(0.0))
    0.5
    """

    name: ClassVar[str] = "probit"
    domain: ClassVar[str] = "unit"

    def link(self, mu: Any) -> Any:
        return ndtri(coerce(mu)[1])

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return ndtr(xp.clip(eta, -_PROBIT_THRESH, _PROBIT_THRESH))

    def derivative(self, mu: Any) -> Any:
        return 1.0 / norm_pdf(self.link(mu))

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.maximum(norm_pdf(eta), DBL_EPSILON)


class CLogLogLink(LinkFunction):
    """``eta = log(-log(1 - mu))`` (complementary log-log).

    Examples
    --------
    >>> round(float(CLogLogLink().inverse(0.0)), 12)
    0.632120558829
    """

    name: ClassVar[str] = "cloglog"
    domain: ClassVar[str] = "unit"

    def link(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.log(-xp.log(1.0 - mu))

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        # exp(700) already makes mu = 1; the cap only avoids overflow warnings.
        mu = -xp.expm1(-xp.exp(xp.minimum(eta, 700.0)))
        return xp.maximum(xp.minimum(mu, 1.0 - DBL_EPSILON), DBL_EPSILON)

    def derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return 1.0 / (-(1.0 - mu) * xp.log(1.0 - mu))

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        e = xp.exp(xp.minimum(eta, 700.0))
        return xp.maximum(e * xp.exp(-e), DBL_EPSILON)


def _tanpi_small(xp: Any, q: Any) -> Any:
    # R's tanpi for 0 <= q <= 1/2: exact at 1/4.
    return xp.where(q == 0.25, 1.0, xp.tan(math.pi * q))


class CauchitLink(LinkFunction):
    """``eta = qcauchy(mu)``, computed with R's ``qcauchy``/``pcauchy`` formulas.

    Examples
    --------
    >>> float(CauchitLink().link(0.75))
    1.0
    """

    name: ClassVar[str] = "cauchit"
    domain: ClassVar[str] = "unit"

    def link(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        upper = mu > 0.5
        q = xp.where(upper, 1.0 - mu, mu)
        t = _tanpi_small(xp, q)
        out = xp.where(upper, 1.0 / t, -1.0 / t)
        return xp.where(mu == 0.5, 0.0, out)

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        x = xp.clip(eta, -_CAUCHIT_THRESH, _CAUCHIT_THRESH)
        big = xp.abs(x) > 1.0
        safe = xp.where(big, x, 2.0)
        y = xp.atan(1.0 / safe) / math.pi
        tail = xp.where(x > 0, 0.5 - y + 0.5, -y)
        return xp.where(big, tail, 0.5 + xp.atan(x) / math.pi)

    def derivative(self, mu: Any) -> Any:
        eta = self.link(mu)
        return math.pi * (1.0 + eta * eta)

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.maximum(1.0 / (math.pi * (1.0 + eta * eta)), DBL_EPSILON)


class InverseLink(LinkFunction):
    """``eta = 1/mu`` (R's ``"inverse"``).

    Examples
    --------
    >>> float(InverseLink().inverse(4.0))
    0.25
    """

    name: ClassVar[str] = "inverse"
    domain: ClassVar[str] = "positive"

    def link(self, mu: Any) -> Any:
        return 1.0 / coerce(mu)[1]

    def inverse(self, eta: Any) -> Any:
        return 1.0 / coerce(eta)[1]

    def derivative(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return -1.0 / (mu * mu)

    def inverse_derivative(self, eta: Any) -> Any:
        eta = coerce(eta)[1]
        return -1.0 / (eta * eta)

    def valid_eta(self, eta: Any) -> bool:
        xp, eta = coerce(eta)
        return _all_finite(xp, eta, eta != 0)


class InverseSquaredLink(LinkFunction):
    """``eta = 1/mu^2`` (R's ``"1/mu^2"``, canonical for the inverse Gaussian).

    Examples
    --------
    >>> float(InverseSquaredLink().inverse(4.0))
    0.5
    """

    name: ClassVar[str] = "1/mu^2"
    domain: ClassVar[str] = "positive"

    def link(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return 1.0 / (mu * mu)

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return 1.0 / xp.sqrt(eta)

    def derivative(self, mu: Any) -> Any:
        mu = coerce(mu)[1]
        return -2.0 / (mu * mu * mu)

    def inverse_derivative(self, eta: Any) -> Any:
        eta = coerce(eta)[1]
        return -1.0 / (2.0 * eta**1.5)

    def valid_eta(self, eta: Any) -> bool:
        xp, eta = coerce(eta)
        return _all_finite(xp, eta, eta > 0)


class SqrtLink(LinkFunction):
    """``eta = sqrt(mu)``.

    Examples
    --------
    >>> float(SqrtLink().inverse(3.0))
    9.0
    """

    name: ClassVar[str] = "sqrt"
    domain: ClassVar[str] = "positive"

    def link(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return xp.sqrt(mu)

    def inverse(self, eta: Any) -> Any:
        eta = coerce(eta)[1]
        return eta * eta

    def derivative(self, mu: Any) -> Any:
        xp, mu = coerce(mu)
        return 0.5 / xp.sqrt(mu)

    def inverse_derivative(self, eta: Any) -> Any:
        return 2.0 * coerce(eta)[1]

    def valid_eta(self, eta: Any) -> bool:
        xp, eta = coerce(eta)
        return _all_finite(xp, eta, eta > 0)


class PowerLink(LinkFunction):
    """``eta = mu^p`` (R's ``power(lambda)``).

    As in R, ``PowerLink(1)`` is the identity link and ``PowerLink(p)`` with
    ``p <= 0`` is the log link (the constructor returns those objects; a
    negative ``p`` also warns, since ``power(-1)`` is *not* ``1/mu`` in R).
    The name is R's ``paste0("mu^", round(lambda, 3))``.

    Parameters
    ----------
    p : float
        The power ``lambda``.

    Examples
    --------
    >>> PowerLink(1 / 3).name
    'mu^0.333'
    >>> PowerLink(1).name
    'identity'
    >>> float(PowerLink(0.5).inverse(3.0))
    9.0
    """

    name: ClassVar[str] = "power"  # replaced per instance
    domain: ClassVar[str] = "positive"
    example_params: ClassVar[dict[str, Any]] = {"p": 1 / 3}

    def __new__(cls, p: float = 1.0) -> Any:
        p = float(p)
        if math.isnan(p):
            raise ValueError("invalid argument 'p' for the power link: NaN")
        if p == 1.0:
            return IdentityLink()
        if p <= 0.0:
            if p < 0.0:
                warnings.warn(
                    f"power({r_format(p)}) is the log link in R; use InverseLink for 1/mu",
                    AuroraWarning,
                    stacklevel=2,
                )
            return LogLink()
        return super().__new__(cls)

    def __init__(self, p: float = 1.0) -> None:
        self.p = float(p)
        self.name = f"mu^{r_format(round(self.p, 3))}"  # type: ignore[misc]

    @property
    def params(self) -> dict[str, Any]:
        return {"p": self.p}

    def __getnewargs__(self) -> tuple[float]:
        return (self.p,)

    def link(self, mu: Any) -> Any:
        return coerce(mu)[1] ** self.p

    def inverse(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.maximum(eta ** (1.0 / self.p), DBL_EPSILON)

    def derivative(self, mu: Any) -> Any:
        return self.p * coerce(mu)[1] ** (self.p - 1.0)

    def inverse_derivative(self, eta: Any) -> Any:
        xp, eta = coerce(eta)
        return xp.maximum((1.0 / self.p) * eta ** (1.0 / self.p - 1.0), DBL_EPSILON)

    def valid_eta(self, eta: Any) -> bool:
        xp, eta = coerce(eta)
        return _all_finite(xp, eta, eta > 0)
