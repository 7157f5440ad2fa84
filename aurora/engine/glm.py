"""Fit a GLM plan: PIRLS plus what R's ``glm`` adds around ``glm.fit``.

That is: the null deviance (a second, intercept-only fit when there is an offset), the
diagnostics R warns about (non-convergence, boundary, fitted probabilities 0 or 1), and
``MASS::glm.nb``'s alternation between the coefficients and the negative binomial
theta when theta is estimated.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aurora.backends import Backend, get_backend
from aurora.engine.design import DenseDesign
from aurora.engine.pirls import IRLSControl, IRLSResult, fit_pirls
from aurora.errors import ConvergenceWarning, RankDeficiencyWarning, SeparationWarning

__all__ = ["GLMEstimates", "fit_glm_arrays", "estimate_dispersion"]

_EPS = 10 * np.finfo(float).eps


@dataclass(frozen=True)
class GLMEstimates:
    """Everything estimated for a GLM (NumPy arrays).

    Attributes
    ----------
    irls : IRLSResult
        The final PIRLS fit.
    family : Family
        The family as fitted (for NB with estimated theta, with the final theta).
    null_deviance : float
    df_null, df_residual : int
    n_ok : int
        Observations with positive prior weight.
    dispersion : float
        1 for families with known scale; Pearson chi^2 / df otherwise (R's summary.glm).
    theta, theta_se : float or None
        Negative binomial theta and its standard error when estimated.
    twologlik : float or None
        ``2 * logLik`` for glm.nb fits.
    separation : bool
        Fitted probabilities (or rates) numerically 0 or 1 occurred.
    messages : tuple of str
        The warnings issued, as text.
    """

    irls: IRLSResult
    family: Any
    null_deviance: float
    df_null: int
    df_residual: int
    n_ok: int
    dispersion: float
    theta: float | None = None
    theta_se: float | None = None
    twologlik: float | None = None
    separation: bool = False
    messages: tuple[str, ...] = field(default=())
    dispersion_estimated: bool = True


def dispersion_is_estimated(family: Any, nb_estimated: bool = False) -> bool:
    """R's rule: ``summary.glm`` fixes the dispersion at 1 only for the poisson and binomial
    families (and ``glm.nb`` fits); everything else, a fixed-theta negative binomial
    included, gets the Pearson estimate."""
    if nb_estimated:
        return False
    if family.name in ("poisson", "binomial"):
        return False
    return not (family.scale_known and not family.name.startswith("Negative Binomial"))


def estimate_dispersion(family: Any, irls: IRLSResult, weights: np.ndarray, df_residual: int,
                        estimated: bool | None = None) -> float:
    """R's ``summary.glm`` dispersion: 1 for known scale, else Pearson chi^2 / df."""
    if estimated is None:
        estimated = dispersion_is_estimated(family)
    if not estimated:
        return 1.0
    if df_residual <= 0:
        return float("nan")
    w = irls.working_weights
    r = irls.working_residuals
    ok = weights > 0
    return float(np.sum((w * r**2)[ok]) / df_residual)


def _null_deviance(X, y, weights, offset, family, n_trials, has_intercept, be, control) -> float:
    if has_intercept and np.any(offset != 0):
        fit = fit_pirls(DenseDesign(np.ones((len(y), 1)), be), y, weights, offset, family,
                        n_trials=n_trials, control=control)
        return fit.deviance
    if has_intercept:
        wtdmu = np.full(len(y), np.sum(weights * y) / np.sum(weights))
    else:
        wtdmu = family.link.inverse(be.asarray(offset))
        wtdmu = be.to_numpy(wtdmu)
    return float(np.sum(be.to_numpy(family.deviance_residuals(be.asarray(y), be.asarray(wtdmu),
                                                              be.asarray(weights)))))


def _is_nb_estimated(family: Any) -> bool:
    from aurora.distributions.families import NegativeBinomialFamily

    return isinstance(family, NegativeBinomialFamily) and not family.theta_fixed


def check_glm_family(family: Any) -> None:
    """A GLM estimates the coefficients only; a family parameter must be fixed, except the
    negative binomial theta, which is estimated as ``MASS::glm.nb`` does."""
    from aurora.errors import ModelSpecError

    from aurora.distributions.families import BetaFamily, StudentTFamily

    if _is_nb_estimated(family):
        return
    if isinstance(family, (BetaFamily, StudentTFamily)):
        # not exponential dispersion families: IRLS with their variance function would give
        # a quasi-likelihood estimate, not the maximum likelihood mgcv reports
        raise ModelSpecError(
            f"the {family.name} family is an extended family: its likelihood is not of the "
            "exponential-dispersion form that glm's IRLS maximises",
            "fit it with aurora.gam (full Newton on the likelihood, as mgcv), in a later release")
    for attr in ("theta_fixed", "p_fixed"):
        if getattr(family, attr, True) is False:
            what = "p" if attr == "p_fixed" else "its parameter"
            raise ModelSpecError(
                f"the {family.name} family has {what} to estimate, which a GLM fit does not do",
                "give the parameter a value (e.g. tw(p=1.5), BetaFamily(theta=10), "
                "StudentTFamily(df=4, scale=1)); estimating it arrives with aurora.gam")


def _nb_family(theta: float, link: Any) -> Any:
    from aurora.distributions import get_family

    return get_family("negative_binomial", link=link, theta=theta)


def _nb_loglik(theta: float, mu: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    from scipy.special import gammaln

    return float(np.sum(w * (gammaln(theta + y) - gammaln(theta) - gammaln(y + 1)
                             + theta * np.log(theta) + y * np.log(mu + (y == 0))
                             - (theta + y) * np.log(theta + mu))))


def _fit_nb(design, y, weights, offset, family, control, be):
    """MASS::glm.nb: Poisson start, then alternate theta.ml and the GLM fit."""
    from aurora.distributions import get_family
    from aurora.distributions.negbin import theta_ml

    link = family.link
    init_theta = getattr(family, "theta", None)
    fam0 = get_family("poisson", link=link) if init_theta is None else _nb_family(init_theta, link)
    fit = fit_pirls(design, y, weights, offset, fam0, control=control)
    mu = fit.mu
    th, se = theta_ml(y, mu, weights, limit=control.maxit)
    fam = _nb_family(th, link)
    df_res = int(np.sum(weights > 0)) - fit.rank
    d1 = np.sqrt(2 * max(1, df_res))
    d2 = delta = 1.0
    lm = _nb_loglik(th, mu, y, weights)
    lm0 = lm + 2 * d1
    it = 0
    while (it := it + 1) <= control.maxit and (abs(lm0 - lm) / d1 + abs(delta) / d2) > control.epsilon:
        eta = be.to_numpy(fam.link.link(be.asarray(mu)))
        fit = fit_pirls(design, y, weights, offset, fam, etastart=eta, control=control)
        t0 = th
        th, se = theta_ml(y, mu, weights, limit=control.maxit)  # at the previous mu, as MASS
        fam = _nb_family(th, link)
        mu = fit.mu
        delta = t0 - th
        lm0 = lm
        lm = _nb_loglik(th, mu, y, weights)
    messages = []
    if it > control.maxit:
        messages.append("alternation limit reached")
    return fit, fam, th, se, 2 * lm, messages


def fit_glm_arrays(
    X: np.ndarray,
    y: np.ndarray,
    family: Any,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    *,
    n_trials: np.ndarray | None = None,
    has_intercept: bool = True,
    backend: Backend | str | None = None,
    control: IRLSControl = IRLSControl(),
    start: np.ndarray | None = None,
    warn: bool = True,
    design: Any = None,
    column_names: Any = None,
) -> GLMEstimates:
    """Fit a GLM on arrays (the engine entry point of every GLM front door).

    Parameters
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
    family : Family
    weights, offset : ndarray, optional
        Prior weights (binomial trials already folded in) and offset.
    n_trials : ndarray, optional
        Binomial trials from ``cbind`` (for starting values and the likelihood).
    has_intercept : bool
        Whether the model has an intercept (for the null deviance and its df).
    backend : Backend or str
        Where the data-sized work runs.
    control : IRLSControl
    start : ndarray, optional
    warn : bool
        Issue Python warnings for convergence problems and separation.
    design : Design, optional
        The model matrix as a design (e.g. with factor-coded blocks); ``X`` is then unused.
    column_names : sequence of str, optional
        Coefficient names, for the message about aliased columns.

    Returns
    -------
    GLMEstimates
    """
    be = get_backend(backend)
    n = len(y)
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    offset = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    check_glm_family(family)
    if design is None:
        design = DenseDesign(X, be)
    theta = theta_se = twologlik = None
    messages: list[str] = []
    nb_estimated = _is_nb_estimated(family)
    if nb_estimated:
        irls, family, theta, theta_se, twologlik, msgs = _fit_nb(design, y, weights, offset, family, control, be)
        messages += msgs
    else:
        irls = fit_pirls(design, y, weights, offset, family, n_trials=n_trials, start=start,
                         control=control)
    n_ok = int(np.sum(weights > 0))
    df_residual = n_ok - irls.rank
    df_null = n_ok - int(has_intercept)
    null_dev = _null_deviance(None, y, weights, offset, family, n_trials, has_intercept, be, control)
    disp_est = dispersion_is_estimated(family, nb_estimated)
    dispersion = estimate_dispersion(family, irls, weights, df_residual, disp_est)

    if not irls.converged:
        messages.append(f"the IRLS algorithm did not converge in {irls.n_iter} iterations")
    if irls.boundary:
        messages.append("the IRLS algorithm stopped at a boundary value")
    if irls.aliased.any():
        idx = np.where(irls.aliased)[0]
        which = [column_names[i] for i in idx] if column_names is not None else [f"column {i}" for i in idx]
        messages.append(f"{len(idx)} coefficient{'s' if len(idx) > 1 else ''} not defined because "
                        f"of singularities (aliased, reported as NaN): {', '.join(which)}")
    separation = False
    fam_name = family.name
    if fam_name in ("binomial", "quasibinomial") and np.any((irls.mu > 1 - _EPS) | (irls.mu < _EPS)):
        separation = True
        messages.append("fitted probabilities numerically 0 or 1 occurred "
                        "(perfect or quasi-complete separation)")
    if fam_name in ("poisson", "quasipoisson") and np.any(irls.mu < _EPS):
        separation = True
        messages.append("fitted rates numerically 0 occurred")
    if warn:
        for msg in messages:
            category = (SeparationWarning if "numerically" in msg else
                        RankDeficiencyWarning if "singularities" in msg else ConvergenceWarning)
            warnings.warn(msg, category, stacklevel=3)
    return GLMEstimates(irls, family, null_dev, df_null, df_residual, n_ok, dispersion,
                        theta, theta_se, twologlik, separation, tuple(messages), disp_est)
