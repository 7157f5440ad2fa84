"""Profile-likelihood confidence intervals for GLMs (R: ``confint(fit)`` on a ``glm``).

A transcription of MASS's ``profile.glm`` and ``confint.profile.glm`` (what
``stats::confint`` calls for a ``glm`` or ``glm.nb`` fit in R 4.2):

1. For each coefficient ``b_i``, step away from the estimate in both directions on the
   grid ``b_i + k * delta * se_i`` (``k = 1, 2, ...``, ``delta = zmax / 5``), refitting the
   other coefficients with ``X[:, i] * b_i`` moved into the offset (``glm.fit`` started at
   the previous step's linear predictor), until the signed root statistic
   ``sign * sqrt((D(b_i) - D) / dispersion)`` passes ``zmax`` or 9 steps are taken.
   ``zmax`` is ``sqrt(qchisq(1 - alpha, 1))`` when R's family name is exactly
   ``binomial`` or ``poisson``, else ``sqrt(qf(1 - alpha, 1, n - p))`` (so also for
   ``glm.nb``, whose family is named ``"Negative Binomial(theta)"``).
   ``confint`` profiles with ``alpha = (1 - level) / 4``.
2. Interpolate the profile with R's ``spline()`` (Forsythe-Malcolm-Moler cubic spline on
   ``3 * k`` equally spaced points), then read off where it crosses the *normal*
   quantiles ``qnorm((1 -/+ level) / 2)`` with ``approx()`` (NaN when it never does).

The refits of all coefficients and directions at one step run together, as one batch of
IRLS iterations that follows ``glm.fit`` (the same working response, weights and
convergence test); a refit that needs ``glm.fit``'s step halving is redone by
:func:`aurora.engine.pirls.fit_pirls`. A ``glm.nb`` fit is profiled with theta fixed at
the value of its last IRLS fit, as MASS does (``family(fit)``).

The arguments (``level``, ``parm``, the method) are read in :mod:`._confint_args`, R's
``spline``/``approx`` are in :mod:`._r_interp`; their names are re-exported here.

Reference: Venables & Ripley (2002), *Modern Applied Statistics with S*, 4th ed., §8.4.

>>> import aurora
>>> m = aurora.glm("count ~ spray", aurora.datasets.load("InsectSprays"), family="poisson")
>>> confint_profile(m).round(4).loc["sprayB"].tolist()
[-0.1514, 0.2635]
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aurora.engine.design import DenseDesign
from aurora.engine.pirls import IRLSControl, fit_pirls
from aurora.engine.pirls import NoValidCoefficientsError
from aurora.errors import AuroraError, ConvergenceWarning, SeparationWarning
from aurora.inference._confint_args import (CI_METHODS, check_level, confint_labels,
                                            parm_indices, resolve_ci_method)
from aurora.inference._r_interp import r_approx, r_spline

__all__ = ["ParameterProfile", "ProfileError", "profile_glm", "confint_profile",
           "confint_labels", "resolve_ci_method", "check_level", "parm_indices", "r_spline",
           "r_approx", "CI_METHODS"]

_EPS = 10 * np.finfo(float).eps  # glm.fit's threshold for "fitted probabilities 0 or 1"
_CHUNK = 2**22  # doubles in one (refits x rows) array of a batch (32 MB)


class ProfileError(AuroraError, ArithmeticError):
    """Profiling found a fit better than the original one (R stops with the same)."""


@dataclass(frozen=True)
class ParameterProfile:
    """The profile of one coefficient (one element of R's ``profile.glm`` value).

    Attributes
    ----------
    name : str
        The coefficient.
    stat : {"z", "tau"}
        R's name for the signed root statistic (``tau`` when divided by an estimated
        dispersion or profiled on the F grid).
    z : ndarray, shape (k,)
        Signed root statistic, ascending (0 at the estimate).
    par_vals : ndarray, shape (k, p)
        All coefficients at each profile point (aliased ones NaN).
    """

    name: str
    stat: str
    z: np.ndarray
    par_vals: np.ndarray


def _control(result: Any) -> IRLSControl:
    """The fit's convergence settings where the result keeps them (R: ``fitted$control``)."""
    ctl = getattr(result, "control", None)
    return ctl if isinstance(ctl, IRLSControl) else IRLSControl()


# ---------------------------------------------------------------------- the profile
def _profile_family(result: Any) -> Any:
    """The family ``family(fit)`` returns: for glm.nb, theta of the *last IRLS fit*.

    ``glm.nb`` updates theta once more after its last fit, and MASS profiles with the
    family that fit used. Aurora keeps the final theta, so the alternation is replayed
    (warnings silenced: they were given at fit time); should the replay not reproduce
    the fit (a user-given starting theta), the final theta is used.
    """
    est = result.estimates
    if est.theta is None:
        return result.family
    from aurora.distributions import get_family
    from aurora.distributions.negbin import loglik_negbin, theta_ml

    y, w, off = result.plan.y, result.plan.weights, result.plan.offset
    link, ctl = result.family.link, _control(result)
    design = result.plan.design()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_pirls(design, y, w, off, get_family("poisson", link=link), control=ctl)
        mu = fit.mu
        th = theta_ml(y, mu, w, limit=ctl.maxit)[0]
        fam = used = get_family("negative_binomial", link=link, theta=th)
        d1 = math.sqrt(2 * max(1, int(np.sum(w > 0)) - fit.rank))
        lm = loglik_negbin(y, mu, th, w)
        lm0, delta, it = lm + 2 * d1, 1.0, 0
        while (it := it + 1) <= ctl.maxit and abs(lm0 - lm) / d1 + abs(delta) > ctl.epsilon:
            fit = fit_pirls(design, y, w, off, fam, etastart=fam.link.link(mu), control=ctl)
            used, t0 = fam, th
            th = theta_ml(y, mu, w, limit=ctl.maxit)[0]
            fam = get_family("negative_binomial", link=link, theta=th)
            mu, delta, lm0 = fit.mu, t0 - th, lm
            lm = loglik_negbin(y, mu, th, w)
    return used if np.isclose(fit.deviance, result.deviance, rtol=1e-10, atol=0) else result.family


def _zmax(family_name: str, alpha: float, n: int, p: int) -> tuple[float, str]:
    if family_name in ("binomial", "poisson"):
        return math.sqrt(stats.chi2.ppf(1 - alpha, 1)), "z"
    if n - p <= 0:
        return math.nan, "tau"
    return math.sqrt(stats.f.ppf(1 - alpha, 1, n - p)), "tau"


def profile_glm(result: Any, parm: Any = None, alpha: float = 0.01, maxsteps: int = 10,
                delta: float | None = None) -> dict[str, ParameterProfile | None]:
    """Profile the deviance of a GLM fit, coefficient by coefficient (R: ``profile(fit)``).

    Parameters
    ----------
    result : GLMResult
    parm : str, int or sequence of them, optional
        Coefficients to profile (default all).
    alpha : float
        The profile extends to ``zmax``, the ``1 - alpha`` quantile (see module notes).
    maxsteps : int
        At most ``maxsteps - 1`` steps each way.
    delta : float, optional
        Step in standard errors; default ``zmax / 5``.

    Returns
    -------
    dict
        Coefficient name -> :class:`ParameterProfile` (None for aliased coefficients).

    Warns
    -----
    ConvergenceWarning, SeparationWarning
        What ``glm.fit`` warns about in the refits, once each.

    Raises
    ------
    ProfileError
        A refit reached a deviance below the original one by more than 0.001 times
        the dispersion (the original fit had not converged).
    """
    names = list(result.column_names)
    which = parm_indices(names, parm)
    beta0 = result.params.to_numpy(dtype=float)
    nonA = ~np.isnan(beta0)
    se = result.bse.to_numpy(dtype=float)
    plan = result.plan
    X, y, w, O = np.asarray(plan.X, dtype=float), plan.y, plan.weights, plan.offset
    family = _profile_family(result)
    zmax, stat = _zmax(family.name, alpha, len(y), len(names))
    delta = zmax / 5 if delta is None else delta
    dev0, disp = result.deviance, result.scale
    ctl = _control(result)
    out: dict[str, ParameterProfile | None] = {names[i]: None for i in which}
    if not np.isfinite(zmax):
        warnings.warn("no residual degrees of freedom: profiles are empty, limits NaN",
                      ConvergenceWarning, stacklevel=2)
        return out

    cols = np.where(nonA)[0]
    XA = np.ascontiguousarray(X[:, cols])
    LP0 = XA @ beta0[cols] + O
    chains = [(i, sgn) for i in which if nonA[i] for sgn in (-1, 1)]
    z = np.zeros(len(chains))
    step = np.zeros(len(chains), dtype=int)
    lp = np.tile(LP0, (len(chains), 1))
    pts: list[list[tuple[float, np.ndarray]]] = [[] for _ in chains]
    messages: dict[str, type] = {}
    while True:
        step += 1
        act = np.where((step < maxsteps) & (np.abs(z) < zmax))[0]
        if act.size == 0:
            break
        idx = np.array([chains[c][0] for c in act])
        sgn = np.array([chains[c][1] for c in act], dtype=float)
        bi = beta0[idx] + sgn * step[act] * delta * se[idx]
        offs = O + X[:, idx].T * bi[:, None]
        drop = np.searchsorted(cols, idx)
        fits = _refit(XA, drop, y, w, offs, lp[act], family, ctl, messages)
        for k, c in enumerate(act):
            eta, coef, dev = fits[0][k], fits[1][k], fits[2][k]
            lp[c] = eta
            row = beta0.copy()
            row[np.delete(cols, drop[k])] = coef
            row[idx[k]] = bi[k]
            zz = (dev - dev0) / disp
            if not zz > -0.001:
                raise ProfileError(
                    "profiling has found a better solution, so original fit had not converged",
                    "refit with a smaller epsilon (e.g. aurora.glm(..., epsilon=1e-10))")
            z[c] = sgn[k] * math.sqrt(max(zz, 0.0))
            pts[c].append((z[c], row))
    for text, category in messages.items():
        warnings.warn(text, category, stacklevel=2)
    for i in which:
        if not nonA[i]:
            continue
        zi = [0.0] + [p[0] for c, (j, _) in enumerate(chains) if j == i for p in pts[c]]
        rows = [beta0] + [p[1] for c, (j, _) in enumerate(chains) if j == i for p in pts[c]]
        order = np.argsort(np.array(zi), kind="stable")
        out[names[i]] = ParameterProfile(names[i], stat, np.array(zi)[order],
                                         np.array(rows)[order])
    return out


def confint_profile(result: Any, level: float = 0.95, parm: Any = None) -> pd.DataFrame:
    """Profile-likelihood confidence intervals (R: ``confint(fit)`` on a glm).

    Parameters
    ----------
    result : GLMResult
    level : float
    parm : str, int or sequence of them, optional
        Coefficients (default all).

    Returns
    -------
    DataFrame
        Indexed by coefficient, columns e.g. ``2.5 %`` and ``97.5 %``; NaN for aliased
        coefficients and where the profile does not reach the cutoff.
    """
    check_level(level)
    names = list(result.column_names)
    which = parm_indices(names, parm)
    profiles = profile_glm(result, which, alpha=(1 - level) / 4)
    a = (1 - level) / 2
    cutoff = stats.norm.ppf([a, 1 - a])
    ci = np.full((len(which), 2), np.nan)
    for r, i in enumerate(which):
        pro = profiles[names[i]]
        if pro is None:
            continue
        sx, sy = r_spline(pro.par_vals[:, i], pro.z)
        ci[r] = r_approx(sy, sx, cutoff)
        if np.isnan(ci[r]).any():
            warnings.warn(f"the profile of {names[i]} does not reach the cutoff on both sides: "
                          "its limit there is NaN (R: NA)", ConvergenceWarning, stacklevel=2)
    return pd.DataFrame(ci, index=[names[i] for i in which], columns=list(confint_labels(level)))


# ---------------------------------------------------------------------- batched refits
def _refit(XA, drop, y, w, offs, etastart, family, ctl, messages):
    """``glm.fit(X[, -drop[b]], y, w, offset = offs[b], etastart = etastart[b])`` for every b.

    Returns eta (B, n), coefficients (B, q) and deviances (B,).
    """
    B, n = offs.shape
    q = XA.shape[1] - 1
    eta, coef, dev = np.empty((B, n)), np.empty((B, q)), np.empty(B)
    per = max(1, _CHUNK // max(1, n))
    for s in range(0, B, per):
        sl = slice(s, min(B, s + per))
        eta[sl], coef[sl], dev[sl] = _refit_batch(XA, drop[sl], y, w, offs[sl], etastart[sl],
                                                  family, ctl, messages)
    return eta, coef, dev


def _valid_rows(family, eta, mu) -> np.ndarray:
    link = family.link
    if link.valid_eta(eta) and family.valid_mu(mu):
        return np.ones(len(eta), dtype=bool)
    return np.array([bool(link.valid_eta(e) and family.valid_mu(m)) for e, m in zip(eta, mu)])


def _refit_batch(XA, drop, y, w, offs, eta0, family, ctl, messages):
    link = family.link
    B, n = offs.shape
    r = XA.shape[1]
    K = np.array([np.delete(np.arange(r), d) for d in drop], dtype=np.intp).reshape(B, r - 1)
    Y, W = np.tile(y, (B, 1)), np.tile(w, (B, 1))
    design = DenseDesign(XA)

    def deviance(Yb, mu, Wb):
        return np.sum(family.deviance_residuals(Yb, mu, Wb), axis=1)

    eta = eta0.copy()
    mu = link.inverse(eta)
    coef = np.zeros((B, r - 1))
    redo = ~_valid_rows(family, eta, mu)  # fit_pirls raises R's "cannot find valid starting values"
    dev_old = deviance(Y, mu, W)
    dev = dev_old.copy()
    done = redo.copy()
    converged = np.zeros(B, dtype=bool)
    if r == 1:  # glm.fit's EMPTY model: eta is the offset
        eta, mu = offs.copy(), link.inverse(offs)
        if not _valid_rows(family, eta, mu).all():
            raise NoValidCoefficientsError("invalid linear predictor values in empty model",
                                           "profile fewer coefficients (parm=)")
        dev, done, converged = deviance(Y, mu, W), np.ones(B, dtype=bool), np.ones(B, dtype=bool)
        redo[:] = False
    for it in range(1, ctl.maxit + 1):
        a = np.where(~done)[0]
        if a.size == 0:
            break
        e, m = eta[a], mu[a]
        mu_eta = link.inverse_derivative(e)
        var = family.variance(m)
        good = (W[a] > 0) & (mu_eta != 0)
        zw = np.where(good, (e - offs[a]) + (Y[a] - m) / np.where(good, mu_eta, 1.0), 0.0)
        ww = np.where(good, W[a] * mu_eta**2 / np.where(good, var, 1.0), 0.0)
        G, g = np.empty((a.size, r, r)), np.empty((a.size, r))
        for k in range(a.size):
            G[k], g[k] = design.weighted_normal_equations(ww[k], zw[k])
        ar = np.arange(a.size)
        Ka = K[a]
        Gk = G[ar[:, None, None], Ka[:, :, None], Ka[:, None, :]]
        d = np.sqrt(np.einsum("bii->bi", Gk))
        d = np.where(d > 0, d, 1.0)
        Gs = Gk / d[:, :, None] / d[:, None, :]
        ok = np.ones(a.size, dtype=bool)
        if it == 1:  # aliased in the refit (fit_pirls drops the column, as glm.fit)
            for k in range(a.size):
                try:
                    ok[k] = np.min(np.diag(np.linalg.cholesky(Gs[k])))**2 > ctl.alias_tol
                except np.linalg.LinAlgError:
                    ok[k] = False
            Gs[~ok] = np.eye(r - 1)
        try:
            bk = np.linalg.solve(Gs, (np.take_along_axis(g, Ka, 1) / d)[:, :, None])[:, :, 0] / d
        except np.linalg.LinAlgError:  # singular in a later iteration: fit_pirls decides
            redo[a] = done[a] = True
            continue
        full = np.zeros((a.size, r))
        np.put_along_axis(full, Ka, bk, 1)
        e_new = full @ XA.T + offs[a]
        m_new = link.inverse(e_new)
        d_new = deviance(Y[a], m_new, W[a])
        ok &= np.isfinite(d_new) & _valid_rows(family, e_new, m_new)
        redo[a[~ok]] = True
        done[a[~ok]] = True
        a, e_new, m_new, d_new, bk = a[ok], e_new[ok], m_new[ok], d_new[ok], bk[ok]
        eta[a], mu[a], dev[a], coef[a] = e_new, m_new, d_new, bk
        conv = np.abs(d_new - dev_old[a]) / (np.abs(d_new) + 0.1) < ctl.epsilon
        converged[a[conv]] = done[a[conv]] = True
        dev_old[a] = d_new
    boundary = np.zeros(B, dtype=bool)
    for b in np.where(redo)[0]:  # glm.fit's step halving, or its errors
        fit = fit_pirls(DenseDesign(XA[:, K[b]]), y, w, offs[b], family, etastart=eta0[b],
                        control=ctl)
        eta[b], mu[b], dev[b], coef[b] = fit.eta, fit.mu, fit.deviance, fit.beta
        converged[b], boundary[b] = fit.converged, fit.boundary
    _note_warnings(family, mu, converged, boundary, messages)
    return eta, coef, dev


def _note_warnings(family, mu, converged, boundary, messages) -> None:
    if not converged.all():
        messages.setdefault("profiling: glm.fit: algorithm did not converge", ConvergenceWarning)
    if boundary.any():
        messages.setdefault("profiling: glm.fit: algorithm stopped at boundary value",
                            ConvergenceWarning)
    if family.name == "binomial" and np.any((mu > 1 - _EPS) | (mu < _EPS)):
        messages.setdefault("profiling: glm.fit: fitted probabilities numerically 0 or 1 "
                            "occurred", SeparationWarning)
    if family.name == "poisson" and np.any(mu < _EPS):
        messages.setdefault("profiling: glm.fit: fitted rates numerically 0 occurred",
                            SeparationWarning)
