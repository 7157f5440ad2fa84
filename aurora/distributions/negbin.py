"""Negative binomial helpers of ``MASS::glm.nb``: ``theta.ml`` and the log-likelihood.

References
----------
Venables, W. N. and Ripley, B. D. (2002) *Modern Applied Statistics with S*, 4th ed.,
section 7.4; ``MASS/R/negbin.R`` (``theta.ml``, ``glm.nb``).
"""
from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from aurora.errors import ConvergenceWarning

from ._rformat import r_format
from ._utils import DBL_EPSILON, to_numpy

__all__ = ["theta_ml", "loglik_negbin", "twologlik"]


def _score(th: float, mu: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(
        np.sum(w * (digamma(th + y) - digamma(th) + math.log(th) + 1.0 - np.log(th + mu) - (y + th) / (mu + th)))
    )


def _info(th: float, mu: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(
        np.sum(
            w * (-polygamma(1, th + y) + polygamma(1, th) - 1.0 / th + 2.0 / (mu + th) - (y + th) / (mu + th) ** 2)
        )
    )


def theta_ml(
    y: Any,
    mu: Any,
    weights: Any = None,
    limit: int = 25,
    eps: float | None = None,
    trace: bool = False,
    n: float | None = None,
) -> tuple[float, float]:
    """Maximum-likelihood estimate of the negative binomial ``theta`` given ``mu``.

    A transcription of ``MASS::theta.ml``: the moment estimate
    ``n / sum(w * (y/mu - 1)^2)`` followed by Newton steps on the score, at most
    ``limit - 1`` of them, stopping when a step is below ``eps``.

    Parameters
    ----------
    y : array-like, shape (n,)
        Counts.
    mu : array-like, shape (n,)
        Fitted means.
    weights : array-like, shape (n,), optional
        Prior weights (default ones).
    limit : int, default 25
        Iteration limit; ``glm.nb`` passes ``control$maxit = 25`` (``theta.ml``'s
        own default is 10).
    eps : float, optional
        Convergence tolerance on the Newton step; default ``.Machine$double.eps^0.25``.
    trace : bool, default False
        Print each iterate to stderr, as R's ``message``.
    n : float, optional
        R's ``n`` argument; default ``sum(weights)``.

    Returns
    -------
    theta : float
        The estimate (truncated at 0, with a warning, as in MASS).
    se : float
        Its standard error ``sqrt(1 / info)``, with the information of the last
        Newton step (evaluated before that step's update, as in MASS).

    Warns
    -----
    ConvergenceWarning
        "iteration limit reached" or "estimate truncated at zero".

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1, 1, 2, 3, 5, 8, 0, 2, 4.0])
    >>> th, se = theta_ml(y, np.full(10, y.mean()))
    >>> round(th, 4)
    1.9493
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 (theta.ml takes limit - 1 Newton steps)")
    y = to_numpy(y)
    mu = to_numpy(mu)
    w = np.ones_like(y) if weights is None else to_numpy(weights) * np.ones_like(y)
    if n is None:
        n = float(w.sum())
    if eps is None:
        eps = DBL_EPSILON**0.25
    t0 = n / float(np.sum(w * (y / mu - 1.0) ** 2))
    it = 0
    delta = 1.0
    info = math.nan
    if trace:
        print(f"theta.ml: iter {it} 'theta = {t0:f}'", file=sys.stderr)
    while True:
        it += 1
        if not (it < limit and abs(delta) > eps):
            break
        t0 = abs(t0)
        info = _info(t0, mu, y, w)
        delta = _score(t0, mu, y, w) / info
        t0 = t0 + delta
        if trace:
            print(f"theta.ml: iter{it} theta ={r_format(t0, 6)}", file=sys.stderr)
    if t0 < 0:
        t0 = 0.0
        warnings.warn("estimate truncated at zero", ConvergenceWarning, stacklevel=2)
    if it == limit:
        warnings.warn("iteration limit reached", ConvergenceWarning, stacklevel=2)
    return float(t0), math.sqrt(1.0 / info) if info > 0 else math.nan


def loglik_negbin(y: Any, mu: Any, theta: float, weights: Any = None) -> float:
    """Negative binomial log-likelihood as ``glm.nb``'s internal ``loglik``.

    ``sum(w * (lgamma(th + y) - lgamma(th) - lgamma(y + 1) + th * log(th)
    + y * log(mu + (y == 0)) - (th + y) * log(th + mu)))``

    Parameters
    ----------
    y, mu : array-like, shape (n,)
        Counts and means.
    theta : float
        The shape parameter.
    weights : array-like, optional
        Prior weights.

    Examples
    --------
    >>> round(loglik_negbin([0.0, 3.0], [1.0, 2.0], 2.0), 6)
    -2.890372
    """
    y = to_numpy(y)
    mu = to_numpy(mu)
    w = np.ones_like(y) if weights is None else to_numpy(weights) * np.ones_like(y)
    th = float(theta)
    term = (
        gammaln(th + y) - gammaln(th) - gammaln(y + 1.0) + th * math.log(th)
        + y * np.log(mu + (y == 0)) - (th + y) * np.log(th + mu)
    )
    return float(np.sum(w * term))


def twologlik(y: Any, mu: Any, theta: float, weights: Any = None) -> float:
    """``glm.nb``'s ``twologlik = 2 * loglik``; its AIC is ``-twologlik + 2*rank + 2``.

    Examples
    --------
    >>> round(twologlik([0.0, 3.0], [1.0, 2.0], 2.0), 6)
    -5.780744
    """
    return 2.0 * loglik_negbin(y, mu, theta, weights)
