"""Penalised quasi-likelihood for generalised linear mixed models, as ``MASS::glmmPQL``.

Breslow & Clayton (1993); Venables & Ripley (2002, sec. 10.4). Start from the GLM fit
without random effects: working response ``z = eta + (y - mu) / mu_eta(eta) - offset``
and working weights ``w_z = w mu_eta^2 / V(mu)``. Then repeat, at most ``niter`` times:

1. fit the linear mixed model ``z ~ X beta + Z b`` by maximum likelihood with variance
   weights ``w_z`` (nlme's ``lme(..., weights = varFixed(~ 1 / w_z), method = "ML")``,
   with any residual correlation structure), in :mod:`aurora.engine.lme`;
2. ``eta = fitted + offset``; stop when ``sum((eta - eta_old)^2) < 1e-6 sum(eta^2)``;
3. update ``mu``, ``z`` and ``w_z`` at the new ``eta``.

The result is the last linear mixed-model fit (its fixed effects, variance components,
random effects and residual scale ``sigma``), as glmmPQL returns it. Each fit after the
first starts from the previous estimates; the optimum does not depend on the start.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["PQLFit", "fit_pql"]


@dataclass(frozen=True)
class PQLFit:
    """Estimates of a PQL fit.

    Attributes
    ----------
    lme : LMEFit
        The last linear mixed-model fit (on the working response).
    eta : ndarray
        Its fitted values plus the offset (link scale).
    mu : ndarray
        ``linkinv(eta)``.
    z, wz : ndarray
        Working response and working weights of the last fit.
    n_iter : int
        Linear mixed-model fits made.
    converged : bool
        glmmPQL's test passed before ``niter`` fits.
    family : Family
    """

    lme: Any = field(repr=False)
    eta: np.ndarray = field(repr=False)
    mu: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    wz: np.ndarray = field(repr=False)
    n_iter: int = 0
    converged: bool = False
    family: Any = None


def fit_pql(X: np.ndarray, y: np.ndarray, terms: Any, family: Any,
            weights: np.ndarray | None = None, offset: np.ndarray | None = None,
            n_trials: np.ndarray | None = None, corr: Any = None, niter: int = 10,
            verbose: bool = False, control: dict | None = None) -> PQLFit:
    """glmmPQL's iterations on arrays.

    Parameters
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Response (binomial: proportions, with the trials in ``weights``).
    terms : RandomTerms
    family : Family
    weights : ndarray, optional
        Prior weights.
    offset : ndarray, optional
    n_trials : ndarray, optional
        Binomial trials (for the starting GLM).
    corr : CorrStructure, optional
        Residual correlation structure of the working model.
    niter : int
        Largest number of linear mixed-model fits.
    verbose : bool
        Print ``iteration i`` before each fit (glmmPQL's messages), on stderr.
    control : dict, optional
        Optimiser settings of each fit (:data:`aurora.engine.lme_fit.LME_CONTROL`).

    Returns
    -------
    PQLFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.distributions import get_family
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> rng = np.random.default_rng(5)
    >>> g = np.repeat(np.arange(30), 10)
    >>> x = rng.normal(size=300)
    >>> eta = -0.3 + 0.8 * x + rng.normal(size=30)[g]
    >>> y = (rng.uniform(size=300) < 1 / (1 + np.exp(-eta))).astype(float)
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, pd.DataFrame({"g": g}))
    >>> X = np.column_stack([np.ones(300), x])
    >>> fit = fit_pql(X, y, rt, get_family("binomial"))
    >>> fit.converged, np.round(fit.lme.beta, 2).tolist()
    (True, [-0.26, 0.84])
    """
    from aurora.engine.glm import fit_glm_arrays
    from aurora.engine.lme import lme_problem
    from aurora.engine.lme_fit import fit_lme

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n = y.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    glm0 = fit_glm_arrays(X, y, family, w, off, n_trials=n_trials, warn=False)
    irls = glm0.irls
    eta = np.asarray(irls.eta, dtype=float)
    z = eta + np.asarray(irls.working_residuals, dtype=float) - off
    wz = np.asarray(irls.working_weights, dtype=float)
    link = family.link
    if int(niter) < 1:
        raise ValueError("niter must be at least 1")
    start = None
    converged = False
    for it in range(1, int(niter) + 1):
        if verbose:
            print(f"iteration {it}", file=sys.stderr)
        fit = fit_lme(lme_problem(X, z, terms, corr, wz), REML=False, start=start,
                      control=control)
        z_fit, wz_fit = z, wz
        start = fit.params
        eta_old = eta
        eta = fit.fitted_values() + off
        if np.sum((eta - eta_old) ** 2) < 1e-6 * np.sum(eta ** 2):
            converged = True
            break
        mu = np.asarray(link.inverse(eta), dtype=float)
        mu_eta = np.asarray(link.inverse_derivative(eta), dtype=float)
        z = eta + (y - mu) / mu_eta - off
        wz = w * mu_eta ** 2 / np.asarray(family.variance(mu), dtype=float)
    mu = np.asarray(link.inverse(eta), dtype=float)
    return PQLFit(fit, eta, mu, z_fit, wz_fit, it, converged, family)
