"""Goodness-of-fit and predictive-accuracy metrics for fitted GLMs.

Every metric takes the observed response ``y`` and a prediction (``mu``, a probability
``p`` or a risk ``score``) as NumPy arrays, pandas Series, lists, or PyTorch/JAX arrays,
and returns a Python ``float``. Problems with the inputs (empty input, lengths that do not
match, NaN, negative weights, values outside a metric's domain) are collected and raised
together as one :class:`aurora.errors.DataError`.

Families are given as R names (``"gaussian"``, ``"binomial"``, ``"poisson"``, ``"Gamma"``,
``"inverse.gaussian"``, ``"quasipoisson"``, ``"quasibinomial"``) or as any family object
with a ``deviance(y, mu, weights)`` method, such as ``GLMResult.family``.

Examples
--------
>>> from aurora.validation.metrics import mean_squared_error, concordance_index
>>> mean_squared_error([1, 2, 3], [1, 2, 5])
1.3333333333333333
>>> concordance_index([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy import special, stats

from aurora.errors import DataError, UnknownNameError

__all__ = [
    "mean_squared_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "pseudo_r2",
    "accuracy_score",
    "log_loss",
    "brier_score",
    "concordance_index",
]


# ---------------------------------------------------------------------------- inputs
def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor, possibly on a GPU
        x = x.detach().cpu().numpy()
    elif hasattr(x, "to_numpy"):  # pandas
        x = x.to_numpy()
    arr = np.asarray(x)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    return arr


def _prepare(weights: Any = None, **arrays: Any) -> tuple[list[np.ndarray], np.ndarray]:
    """Convert the named arrays to float64 1-D arrays and check them together.

    Returns the arrays in the order given and the weights (ones when ``weights`` is None).
    """
    problems: list[str] = []
    out: list[np.ndarray] = []
    named = dict(arrays)
    if weights is not None:
        named["weights"] = weights
    converted: dict[str, np.ndarray] = {}
    for name, value in named.items():
        if value is None:
            problems.append(f"{name} is None")
            continue
        try:
            arr = _to_numpy(value).astype(np.float64)
        except (TypeError, ValueError) as exc:
            problems.append(f"{name} is not numeric ({exc})")
            continue
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            problems.append(f"{name} must be one-dimensional, got shape {arr.shape}")
            continue
        if arr.size == 0:
            problems.append(f"{name} is empty")
        elif not np.all(np.isfinite(arr)):
            bad = int(np.sum(~np.isfinite(arr)))
            problems.append(f"{name} holds {bad} NaN or infinite value(s)")
        converted[name] = arr
    lengths = {name: arr.size for name, arr in converted.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}={v}" for k, v in lengths.items())
        problems.append(f"lengths differ ({shown})")
    w = converted.get("weights")
    if w is not None and w.size and np.all(np.isfinite(w)):
        if np.any(w < 0):
            problems.append("weights must be non-negative")
        elif w.sum() <= 0:
            problems.append("weights sum to zero")
    if problems:
        raise DataError(
            "cannot compute the metric: " + "; ".join(problems),
            "pass equal-length, non-empty, finite 1-D arrays (and non-negative weights)",
        )
    out = [converted[name] for name in arrays]
    weights_arr = converted["weights"] if weights is not None else np.ones(out[0].size)
    return out, weights_arr


def _require(condition: bool, message: str, fix: str) -> None:
    if not condition:
        raise DataError(message, fix)


# ---------------------------------------------------------------------- regression
def mean_squared_error(y: Any, mu: Any, weights: Any = None) -> float:
    """Weighted mean squared error, ``sum(w * (y - mu)**2) / sum(w)``.

    Parameters
    ----------
    y, mu : array_like, shape (n,)
        Observed and predicted responses.
    weights : array_like, shape (n,), optional
        Non-negative observation weights (default: all 1).

    Returns
    -------
    float

    Examples
    --------
    >>> mean_squared_error([1.0, 2.0, 3.0], [1.5, 2.0, 2.0])
    0.4166666666666667
    """
    (y, mu), w = _prepare(weights, y=y, mu=mu)
    return float(np.sum(w * (y - mu) ** 2) / np.sum(w))


def root_mean_squared_error(y: Any, mu: Any, weights: Any = None) -> float:
    """Square root of :func:`mean_squared_error`.

    Examples
    --------
    >>> root_mean_squared_error([0.0, 0.0], [3.0, 4.0])
    3.5355339059327378
    """
    return float(np.sqrt(mean_squared_error(y, mu, weights)))


def mean_absolute_error(y: Any, mu: Any, weights: Any = None) -> float:
    """Weighted mean absolute error, ``sum(w * |y - mu|) / sum(w)``.

    Examples
    --------
    >>> mean_absolute_error([1, 2, 3], [2, 2, 5])
    1.0
    """
    (y, mu), w = _prepare(weights, y=y, mu=mu)
    return float(np.sum(w * np.abs(y - mu)) / np.sum(w))


# ---------------------------------------------------------------- built-in families
def _xlogy_ratio(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``y * log(y / mu)`` with the limit 0 at ``y = 0``."""
    return special.xlogy(y, y) - special.xlogy(y, mu)


@dataclass(frozen=True)
class _BuiltinFamily:
    """Unit deviance and R's log-likelihood (``logLik.glm``) of one family.

    Used when a family is named by a string, so that the metrics do not need the model
    engine; any object with ``deviance(y, mu, weights)`` can be passed instead.
    """

    name: str
    unit_deviance: Callable[[np.ndarray, np.ndarray], np.ndarray]
    loglik: Callable[[np.ndarray, np.ndarray, np.ndarray, float], float] | None

    def deviance(self, y: Any, mu: Any, weights: Any = None) -> float:
        y, mu = np.asarray(y, float), np.asarray(mu, float)
        w = np.ones_like(y) if weights is None else np.asarray(weights, float)
        return float(np.sum(w * self.unit_deviance(y, mu)))


def _ll_gaussian(y, mu, w, dev):  # R: gaussian()$aic, sigma^2 = D / n
    n = y.size
    return float(-0.5 * (n * (np.log(2 * np.pi * dev / n) + 1) - np.sum(np.log(w))))


def _ll_poisson(y, mu, w, dev):
    return float(np.sum(w * (special.xlogy(y, mu) - mu - special.gammaln(y + 1))))


def _ll_binomial(y, mu, w, dev):  # R: binomial()$aic with trials = prior weights
    m = np.round(w)
    return float(np.sum(stats.binom.logpmf(np.round(m * y), m, mu)))


def _ll_gamma(y, mu, w, dev):  # R: Gamma()$aic, dispersion = D / sum(w)
    disp = dev / np.sum(w)
    return float(np.sum(w * stats.gamma.logpdf(y, 1 / disp, scale=mu * disp)))


def _ll_inverse_gaussian(y, mu, w, dev):  # R: inverse.gaussian()$aic
    disp = dev / np.sum(w)
    return float(-0.5 * (np.sum(w) * (np.log(disp * 2 * np.pi) + 1) + 3 * np.sum(w * np.log(y))))


def _ud_binomial(y, mu):
    return 2 * (_xlogy_ratio(y, mu) + _xlogy_ratio(1 - y, 1 - mu))


_FAMILIES = {
    "gaussian": _BuiltinFamily("gaussian", lambda y, mu: (y - mu) ** 2, _ll_gaussian),
    "poisson": _BuiltinFamily(
        "poisson", lambda y, mu: 2 * (_xlogy_ratio(y, mu) - (y - mu)), _ll_poisson
    ),
    "binomial": _BuiltinFamily("binomial", _ud_binomial, _ll_binomial),
    "gamma": _BuiltinFamily(
        "Gamma", lambda y, mu: -2 * (np.log(y / mu) - (y - mu) / mu), _ll_gamma
    ),
    "inverse_gaussian": _BuiltinFamily(
        "inverse.gaussian", lambda y, mu: (y - mu) ** 2 / (y * mu**2), _ll_inverse_gaussian
    ),
}
_FAMILIES["quasipoisson"] = _BuiltinFamily("quasipoisson", _FAMILIES["poisson"].unit_deviance, None)
_FAMILIES["quasibinomial"] = _BuiltinFamily("quasibinomial", _ud_binomial, None)
_ALIASES = {"normal": "gaussian", "wald": "inverse_gaussian", "inversegaussian": "inverse_gaussian"}


def _family_key(name: str) -> str:
    key = name.strip().lower().replace(".", "_").replace("()", "")
    return _ALIASES.get(key, key)


def _resolve_family(family: Any) -> Any:
    """A family object with ``deviance(y, mu, weights)`` for a name or an object."""
    if hasattr(family, "deviance") and not isinstance(family, str):
        return family
    key = _family_key(str(family))
    if key in _FAMILIES:
        return _FAMILIES[key]
    try:  # other families (negative binomial, Tweedie, ...) come from the model engine
        from aurora.distributions import get_family
    except ImportError:
        raise UnknownNameError("family", str(family), sorted(_FAMILIES)) from None
    return get_family(family)


def _loglik(family: Any, y: np.ndarray, mu: np.ndarray, w: np.ndarray, dev: float) -> float:
    builtin = family if isinstance(family, _BuiltinFamily) else None
    if builtin is None:  # a family object: use the built-in formula for its name if known
        name = getattr(family, "name", None) or type(family).__name__.replace("Family", "")
        builtin = _FAMILIES.get(_family_key(str(name)))
    if builtin is not None and builtin.loglik is not None:
        return builtin.loglik(y, mu, w, dev)
    if builtin is None and hasattr(family, "log_likelihood"):
        return float(np.sum(w * np.asarray(family.log_likelihood(y, mu), dtype=float)))
    raise DataError(
        f"the {getattr(builtin, 'name', family)!r} family has no log-likelihood",
        "use kind='deviance' for quasi families",
    )


# --------------------------------------------------------------------- pseudo R^2
def pseudo_r2(
    y: Any,
    mu: Any,
    family: Any = "gaussian",
    weights: Any = None,
    null_mu: Any = None,
    kind: str = "deviance",
) -> float:
    """Pseudo R-squared of fitted means ``mu`` against a null model.

    Two definitions are available:

    ``kind="deviance"`` (default), the proportion of deviance explained::

        R2_D = 1 - D(y, mu) / D(y, mu0)

    where ``D`` is the family's (weighted) deviance and ``mu0`` the null model's fitted
    means. This is what ``summary.gam`` reports as "Deviance explained", equals the usual
    R-squared for the Gaussian family, and lies in ``[0, 1]`` for an in-sample fit with an
    intercept (it can be negative out of sample).

    ``kind="mcfadden"``, McFadden's (1974) likelihood ratio index::

        R2_McF = 1 - loglik(mu) / loglik(mu0)

    with R's log-likelihood (``logLik.glm``): for families with a dispersion parameter
    (Gaussian, Gamma, inverse Gaussian) the dispersion is the maximum-likelihood value
    ``D / n`` of each model. For 0/1 binomial data it equals ``R2_D``. Quasi families
    have no likelihood, so only ``kind="deviance"`` applies to them.

    Parameters
    ----------
    y, mu : array_like, shape (n,)
        Observed response and fitted means (response scale). For the binomial family
        ``y`` is a proportion and ``weights`` the numbers of trials.
    family : str or family object, default "gaussian"
        An R family name or an object with ``deviance(y, mu, weights)``.
    weights : array_like, shape (n,), optional
        Prior weights.
    null_mu : float or array_like, optional
        Fitted means of the null model. Default: the weighted mean of ``y``, which is
        the fit of an intercept-only model with no offset, whatever the link.
    kind : {"deviance", "mcfadden"}

    Returns
    -------
    float

    References
    ----------
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.
    Cameron, A. C. & Windmeijer, F. A. G. (1997). An R-squared measure of goodness of fit
    for some common nonlinear regression models. J. Econometrics 77, 329-342.

    Examples
    --------
    >>> round(pseudo_r2([1.0, 2.0, 3.0, 4.0], [1.1, 1.9, 3.2, 3.8]), 6)
    0.98
    >>> y, p = [0, 0, 1, 1], [0.2, 0.4, 0.6, 0.9]
    >>> round(pseudo_r2(y, p, "binomial"), 6) == round(pseudo_r2(y, p, "binomial", kind="mcfadden"), 6)
    True
    """
    if kind not in ("deviance", "mcfadden"):
        raise UnknownNameError("pseudo_r2 kind", str(kind), ["deviance", "mcfadden"])
    (y, mu), w = _prepare(weights, y=y, mu=mu)
    fam = _resolve_family(family)
    if null_mu is None:
        mu0 = np.full_like(y, np.sum(w * y) / np.sum(w))
    else:
        mu0 = np.broadcast_to(np.asarray(_to_numpy(null_mu), dtype=np.float64), y.shape)
    dev = float(fam.deviance(y, mu, w))
    dev0 = float(fam.deviance(y, mu0, w))
    if kind == "deviance":
        _require(dev0 > 0, "the null deviance is zero", "y must not be fitted exactly by the null model")
        return 1.0 - dev / dev0
    keep = w > 0  # R's logLik drops observations with zero prior weight
    ll = _loglik(fam, y[keep], mu[keep], w[keep], dev)
    ll0 = _loglik(fam, y[keep], mu0[keep], w[keep], dev0)
    _require(ll0 != 0, "the null log-likelihood is zero", "use kind='deviance'")
    return 1.0 - ll / ll0


# ---------------------------------------------------------------- classification
def _check_unit_interval(name: str, a: np.ndarray) -> None:
    _require(
        bool(np.all((a >= 0) & (a <= 1))),
        f"{name} must lie in [0, 1]",
        f"pass probabilities (response scale) as {name}",
    )


def accuracy_score(y: Any, p: Any, threshold: float = 0.5, weights: Any = None) -> float:
    """Share of 0/1 outcomes classified correctly when predicting 1 for ``p > threshold``.

    Parameters
    ----------
    y : array_like of {0, 1} or bool, shape (n,)
    p : array_like, shape (n,)
        Fitted probabilities (or any score compared with ``threshold``).
    threshold : float, default 0.5
    weights : array_like, optional

    Examples
    --------
    >>> accuracy_score([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.5])
    0.75
    """
    (y, p), w = _prepare(weights, y=y, p=p)
    _require(bool(np.all((y == 0) | (y == 1))), "y must be 0/1 for accuracy", "code the outcome as 0/1")
    hit = (p > threshold) == (y == 1)
    return float(np.sum(w * hit) / np.sum(w))


def log_loss(y: Any, p: Any, weights: Any = None, eps: float = 1e-15) -> float:
    """Mean negative Bernoulli log-likelihood (cross-entropy).

    ``-sum(w * (y*log(p) + (1-y)*log(1-p))) / sum(w)``, with ``p`` clipped to
    ``[eps, 1 - eps]`` so that a confident wrong prediction costs a large but finite
    amount. ``y`` may be a proportion in ``[0, 1]``.

    Examples
    --------
    >>> round(log_loss([1, 0], [0.5, 0.5]), 6)
    0.693147
    """
    (y, p), w = _prepare(weights, y=y, p=p)
    _check_unit_interval("y", y)
    _check_unit_interval("p", p)
    p = np.clip(p, eps, 1 - eps)
    return float(-np.sum(w * (special.xlogy(y, p) + special.xlogy(1 - y, 1 - p))) / np.sum(w))


def brier_score(y: Any, p: Any, weights: Any = None) -> float:
    """Brier (1950) score: weighted mean of ``(p - y)**2`` for a 0/1 (or proportion) ``y``.

    Examples
    --------
    >>> round(brier_score([1, 0, 1], [0.8, 0.1, 0.5]), 12)
    0.1
    """
    (y, p), w = _prepare(weights, y=y, p=p)
    _check_unit_interval("y", y)
    _check_unit_interval("p", p)
    return float(np.sum(w * (p - y) ** 2) / np.sum(w))


def concordance_index(y: Any, score: Any) -> float:
    """Concordance index: AUC for a binary ``y``, Harrell's C for a continuous ``y``.

    Over all pairs of observations with different ``y`` (the comparable pairs), the share
    in which the higher ``y`` has the higher ``score``, a tie in ``score`` counting one
    half; pairs tied in ``y`` are not comparable (Harrell et al. 1982, without censoring).
    For a 0/1 ``y`` this is the area under the ROC curve. It is computed in
    O(n log n) from Kendall's tau-b, since ``C = (1 + D_yx) / 2`` with Somers' ``D_yx =
    tau_b * sqrt((n0 - n_s) / (n0 - n_y))``, where ``n0 = n(n-1)/2`` and ``n_s``, ``n_y``
    count the pairs tied in ``score`` and in ``y``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observed outcome (0/1 or continuous). At least two distinct values.
    score : array_like, shape (n,)
        Predictions; larger means a larger expected ``y``.

    Returns
    -------
    float in [0, 1]; 0.5 for an uninformative score.

    References
    ----------
    Harrell, F. E., Califf, R. M., Pryor, D. B., Lee, K. L. & Rosati, R. A. (1982).
    Evaluating the yield of medical tests. JAMA 247, 2543-2546.

    Examples
    --------
    >>> concordance_index([1.0, 2.0, 3.0], [0.1, 0.3, 0.2])
    0.6666666666666666
    """
    (y, s), _ = _prepare(None, y=y, score=score)
    n0 = y.size * (y.size - 1) / 2
    n_y = _tied_pairs(y)
    _require(n0 - n_y > 0, "y has a single value: no pair can be compared", "pass an outcome that varies")
    n_s = _tied_pairs(s)
    if n0 - n_s == 0:  # every score tied: no information
        return 0.5
    if y.size == 2:  # scipy's kendalltau cannot take two observations
        con_minus_dis = np.sign(y[1] - y[0]) * np.sign(s[1] - s[0])
    else:
        tau = stats.kendalltau(s, y, method="asymptotic").statistic
        # concordant minus discordant pairs is an integer: rounding removes the float noise
        con_minus_dis = np.round(tau * np.sqrt(n0 - n_s) * np.sqrt(n0 - n_y))
    return float(0.5 + con_minus_dis / (2.0 * (n0 - n_y)))


def _tied_pairs(a: np.ndarray) -> float:
    counts = np.unique(a, return_counts=True)[1].astype(np.float64)
    return float(np.sum(counts * (counts - 1) / 2))
