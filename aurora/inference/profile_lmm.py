"""Likelihood profiles of linear mixed models and their confidence intervals (R: lme4's
``profile(m)`` and ``confint(m, method = "profile")``).

A transcription of lme4's ``profile.merMod`` and ``confint.thpr`` (lme4 1.1):

1. The model is refitted by ML (``refitML``); ``base`` is its deviance. The parameters are
   the random-effect SDs and correlations and ``sigma`` (``.sig01, ..., .sigma``, lme4's
   ``sdcor`` scale) and the fixed effects.
2. For an SD/correlation/``sigma`` parameter, the ML deviance (fixed effects profiled
   out, :func:`~aurora.inference._devfun_lmm.sdcor_deviance`) is minimised over the other
   variance parameters at each value, by BOBYQA started at the previous point's values.
   For a fixed effect ``b_j``, its column moves into the offset and the ML criterion is
   minimised over ``theta`` from the ML estimate.
3. Points: the estimate, then ``estimate * 1.01`` (``0.001`` if the estimate is 0; for a
   fixed effect ``estimate + delta * se``), then steps of ``delta * dpar / dzeta`` (capped at
   10 times the last step, clipped to the bounds: SDs >= 0, correlations in [-1, 1]) in
   each direction until ``|zeta| > sqrt(qchisq(0.99, npar))`` or a bound is reached, where
   ``zeta = sign(par - estimate) sqrt(deviance - base)`` and ``delta = cutoff / 8``.
4. ``zeta`` is interpolated by a natural cubic spline in the parameter and inverted
   (``backSpline``); the interval ends are the inverse at ``qnorm((1 -/+ level) / 2)``.
   Where the profile stops short of that (a bound), the end is the bound: an SD whose
   profile reaches 0 has lower end 0, as in lme4. A profile that is not monotone falls back
   to linear interpolation of the points, as ``confint.thpr`` does.

References: Bates, Maechler, Bolker & Walker (2015), *Fitting linear mixed-effects models
using lme4*, JSS 67(1), §5.1; lme4 1.1 ``R/profile.R``.

>>> import aurora, numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> g = np.repeat(np.arange(12), 8)
>>> df = pd.DataFrame({"y": rng.normal(size=12)[g] + rng.normal(size=96), "g": g})
>>> ci = confint_profile_lmm(aurora.lmer("y ~ 1 + (1 | g)", df))
>>> list(ci.index), list(ci.columns)
(['.sig01', '.sigma', '(Intercept)'], ['2.5 %', '97.5 %'])
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import stats

from aurora.engine.lmm import LMMProblem, factorize, pls_deviance
from aurora.errors import AuroraWarning, UnknownNameError
from aurora.inference._confint_args import check_level, parm_indices
from aurora.inference._devfun_lmm import (bobyqa, drop_fixed, sdcor_deviance,
                                          sdcor_from_theta)
from aurora.inference._r_interp import r_approx
from aurora.inference._spline_lmm import PolySpline, SplineError, back_spline, interp_spline
from aurora.inference._walk_lmm import Walker
from aurora.inference.profile import ProfileError

__all__ = ["ParameterProfileLMM", "LMMProfile", "profile_lmm", "confint_profile_lmm"]


@dataclass(frozen=True)
class ParameterProfileLMM:
    """The profile of one parameter (one ``.par`` of lme4's ``thpr`` frame).

    Attributes
    ----------
    name : str
    index : int
        Position in :attr:`LMMProfile.names`.
    zeta : ndarray, shape (m,)
        Signed root deviance at each point, sorted by the parameter.
    values : ndarray, shape (m, npar)
        All parameters at each point (the profiled one and the others at their optimum).
    lower, upper : float
        Bounds of the parameter (NaN for fixed effects, as lme4's ``confint.thpr`` has).
    backward : PolySpline or None
        The inverse spline (None where lme4's ``backSpline`` fails).
    message : str
        Why the spline failed ("" when it did not).
    """

    name: str
    index: int
    zeta: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    lower: float = np.nan
    upper: float = np.nan
    backward: PolySpline | None = field(default=None, repr=False)
    message: str = ""

    @property
    def par(self) -> np.ndarray:
        """The profiled parameter's value at each point."""
        return self.values[:, self.index]

    def interval(self, zeta: np.ndarray, non_mono_tol: float = 1e-2) -> np.ndarray:
        """``confint.thpr`` for this parameter at the normal quantiles ``zeta``."""
        if self.backward is not None:
            p = self.backward(zeta)
        else:
            z, x = self.zeta, self.par
            dz = np.diff(z)
            dz = dz[~np.isnan(dz)]
            if np.all(np.isnan(z)):
                warnings.warn(f"bad profile for {self.name}", AuroraWarning, stacklevel=3)
                return np.full(2, np.nan)
            if dz.size and np.all(dz < -non_mono_tol):  # R: min(logical) is all()
                warnings.warn(f"non-monotonic profile for {self.name}", AuroraWarning,
                              stacklevel=3)
                return np.full(2, np.nan)
            warnings.warn(f"bad spline fit for {self.name}: falling back to linear "
                          "interpolation", AuroraWarning, stacklevel=3)
            p = r_approx(z, x, zeta)
        return np.where(np.isnan(p), [self.lower, self.upper], p)


@dataclass(frozen=True)
class LMMProfile:
    """lme4's ``thpr``: the profiles of some parameters of a linear mixed model.

    Attributes
    ----------
    names : tuple of str
        All parameters: ``.sig01, ..., .sigma`` then the fixed effects.
    n_var : int
        Number of variance parameters (SDs, correlations and ``sigma``).
    optimum : ndarray
        ML estimates of all parameters.
    base : float
        ML deviance at the optimum.
    profiles : tuple of ParameterProfileLMM
    """

    names: tuple[str, ...]
    n_var: int
    optimum: np.ndarray = field(repr=False)
    base: float
    profiles: tuple[ParameterProfileLMM, ...] = field(repr=False)

    def __getitem__(self, name: str) -> ParameterProfileLMM:
        for p in self.profiles:
            if p.name == name:
                return p
        raise UnknownNameError("profiled parameter", name, [p.name for p in self.profiles])

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """lme4's ``confint(profile, level)``: one row per profiled parameter."""
        check_level(level)
        a = (1 - level) / 2
        zeta = stats.norm.ppf([a, 1 - a])
        rows = [p.interval(zeta) for p in self.profiles]
        return pd.DataFrame(np.array(rows).reshape(-1, 2), index=[p.name for p in self.profiles],
                            columns=list(_pct_labels(level)))

    def to_frame(self) -> pd.DataFrame:
        """lme4's ``as.data.frame(profile)``: ``.zeta``, every parameter, ``.par``."""
        parts = []
        for p in self.profiles:
            d = pd.DataFrame(p.values, columns=list(self.names))
            d.insert(0, ".zeta", p.zeta)
            d[".par"] = p.name
            parts.append(d)
        return pd.concat(parts, ignore_index=True)


def profile_lmm(result: Any, which: Any = None, alphamax: float = 0.01, maxpts: int = 100,
                delta: float | None = None, delta_cutoff: float = 1 / 8,
                devtol: float = 1e-9, maxmult: float = 10.0) -> LMMProfile:
    """lme4's ``profile(m)`` of a fitted linear mixed model.

    Parameters
    ----------
    result : MixedResult
        An ``aurora.lmer`` fit (REML fits are refitted by ML, as lme4 does).
    which : str, int or sequence, optional
        Parameters to profile: names (``".sig01"``, ``".sigma"``, a fixed effect),
        positions from 0, ``"theta_"`` (all variance parameters) or ``"beta_"`` (all fixed
        effects); all when None.
    alphamax, maxpts, delta, delta_cutoff, devtol, maxmult
        lme4's arguments: the profile runs to ``|zeta| = sqrt(qchisq(1 - alphamax,
        npar))`` in steps of ``delta = cutoff * delta_cutoff``, with at most ``maxpts``
        points per direction.

    Returns
    -------
    LMMProfile

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(12), 8)
    >>> df = pd.DataFrame({"y": rng.normal(size=12)[g] + rng.normal(size=96), "g": g})
    >>> pr = profile_lmm(aurora.lmer("y ~ 1 + (1 | g)", df), which=".sigma")
    >>> pr.confint().round(4)
             2.5 %  97.5 %
    .sigma  0.8302  1.1242
    >>> bool(np.all(np.diff(pr[".sigma"].zeta) > 0))
    True
    """
    if not (isinstance(getattr(result, "problem", None), LMMProblem)
            and hasattr(result, "refit_ml")):
        raise NotImplementedError("likelihood profiles are available for linear mixed "
                                  "models (aurora.lmer fits) only")
    with _blas_threads(result.problem.q2):
        return _profile(result, which, alphamax, maxpts, delta, delta_cutoff, devtol, maxmult)


def confint_profile_lmm(result: Any, level: float = 0.95, parm: Any = None) -> pd.DataFrame:
    """lme4's ``confint(m, parm, level, method = "profile")`` of an ``aurora.lmer`` fit.

    Parameters
    ----------
    result : MixedResult
        An ``aurora.lmer`` fit; REML fits are profiled on the ML deviance after an ML refit,
        as lme4 does.
    level : float
        Confidence level.
    parm : str, int or sequence, optional
        As ``which`` of :func:`profile_lmm`: names, positions from 0 (lme4's are from 1),
        ``"theta_"`` or ``"beta_"``; all parameters when None.

    Returns
    -------
    pandas.DataFrame
        Rows ``.sig01, ...`` (random-effect SDs and correlations, in ``theta``'s order),
        ``.sigma``, then the fixed effects (those selected, in that order); columns
        ``"2.5 %"``, ``"97.5 %"`` (for ``level = 0.95``). An SD or correlation whose profile
        stops at its bound before the quantile gets the bound (an SD's lower end 0).

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(12), 8)
    >>> df = pd.DataFrame({"y": rng.normal(size=12)[g] + rng.normal(size=96), "g": g})
    >>> m = aurora.lmer("y ~ 1 + (1 | g)", df)
    >>> ci = confint_profile_lmm(m, parm="(Intercept)")
    >>> bool(ci.iloc[0, 0] < m.fixef.iloc[0] < ci.iloc[0, 1])
    True
    """
    check_level(level)
    return profile_lmm(result, which=parm).confint(level)


# ---------------------------------------------------------------------------- internals
def _profile(result: Any, which: Any, alphamax: float, maxpts: int, delta: float | None,
             delta_cutoff: float, devtol: float, maxmult: float) -> LMMProfile:
    ml = result.refit_ml()
    pr = ml.problem
    terms = pr.terms  # lme4's order: the order of theta
    theta = np.asarray(ml.fit.theta, dtype=float)
    sigma = float(ml.sigma)
    beta = np.asarray(ml.fixef, dtype=float)
    fnames = [str(c) for c in ml.fixef.index]
    vnames = [f".sig{i + 1:02d}" for i in range(theta.size)] + [".sigma"]
    names = tuple(vnames + fnames)
    nvp, p = len(vnames), beta.size
    opt = np.r_[sdcor_from_theta(theta, terms, sigma), beta]
    base = float(pls_deviance(pr, ml.fit.factor, False))
    dev0, _ = sdcor_deviance(pr, opt[:nvp])
    if not np.isclose(dev0, base, rtol=1e-5, atol=0):
        raise ProfileError("Profiling over both the residual variance and fixed effects is "
                           "not numerically consistent with profiling over the fixed "
                           "effects only")
    tlower = terms.lower
    lower = np.r_[np.maximum(tlower, -1.0), 0.0, np.full(p, -np.inf)]
    upper = np.r_[np.where(tlower == 0, np.inf, 1.0), np.inf, np.full(p, np.inf)]
    cutoff = float(np.sqrt(stats.chi2.ppf(1 - alphamax, len(names))))
    step = cutoff * delta_cutoff if delta is None else float(delta)
    walk = Walker(cutoff, step, maxpts, maxmult)
    out = []
    for w in _which(which, names, nvp):
        if w < nvp:
            zfun = _variance_zeta(pr, opt, w, lower[:nvp], upper[:nvp], base, devtol)
            start = opt[w] * 1.01 if opt[w] != 0 else 0.001
            rows = walk.both(opt, w, zfun, start, lower[w], upper[w], down=opt[w] > lower[w])
        else:
            j = w - nvp
            zfun = _fixed_zeta(pr, terms, theta, tlower, opt, j, nvp, base)
            rows = walk.both(opt, w, zfun, opt[w] + step * float(ml.bse.iloc[j]), -np.inf,
                             np.inf, down=True)
        out.append(_finish(names[w], w, rows, lower[w] if w < nvp else np.nan,
                           upper[w] if w < nvp else np.nan, na_omit=w < nvp))
    return LMMProfile(names, nvp, opt, base, tuple(out))


def _blas_threads(q2: int) -> Any:
    """One BLAS thread unless the dense block is large: a profile makes thousands of small
    LAPACK calls, and threads waiting for a busy core make each one slower (as the engine's
    fit does, :mod:`aurora.engine.lmm_optimize`)."""
    import contextlib

    if q2 >= 2500:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")

def _variance_zeta(pr: Any, opt: np.ndarray, w: int, lower: np.ndarray, upper: np.ndarray,
                   base: float, devtol: float) -> Callable:
    """``zeta(xx, start)`` of ``profile.merMod`` for variance parameter ``w``."""
    nvp = lower.size
    others = np.delete(np.arange(nvp), w)
    pw = opt[w]

    def pars_at(xx: float, x: np.ndarray) -> np.ndarray:
        pars = np.empty(nvp)
        pars[w] = xx
        pars[others] = x
        return pars

    def zeta(xx: float, prev_row: np.ndarray) -> np.ndarray:
        start = prev_row[1:nvp + 1][others]
        try:
            x, fval = bobyqa(lambda x: sdcor_deviance(pr, pars_at(xx, x))[0], start,
                             lower[others], upper[others])
            pars = pars_at(xx, x)
            fixef = sdcor_deviance(pr, pars)[1].beta
            dd = fval - base
        except (ValueError, np.linalg.LinAlgError):
            pars, fixef, dd = pars_at(xx, np.full(others.size, np.nan)), prev_row[nvp + 1:], np.nan
        if np.isnan(dd):
            warnings.warn("NAs detected in profiling", AuroraWarning, stacklevel=5)
        elif dd < -devtol:
            raise ProfileError("profiling detected new, lower deviance",
                               "the fit is not at the optimum: refit it with a tighter "
                               "optimiser tolerance")
        elif dd < 0:
            warnings.warn(f"slightly lower deviances (diff={dd:g}) detected", AuroraWarning,
                          stacklevel=5)
        z = np.sign(xx - pw) * np.sqrt(max(0.0, dd)) if not np.isnan(dd) else np.nan
        return np.r_[z, pars, fixef]

    return zeta


def _fixed_zeta(pr: Any, terms: Any, theta: np.ndarray, tlower: np.ndarray, opt: np.ndarray,
                j: int, nvp: int, base: float) -> Callable:
    """``fe.zeta(fw)`` of ``profile.merMod`` for fixed effect ``j``."""
    at = drop_fixed(pr, j)
    est = opt[nvp + j]
    upper = np.full(theta.size, np.inf)

    def zeta(fw: float, prev_row: np.ndarray) -> np.ndarray:
        prj = at(fw)
        th, fv = bobyqa(lambda t: pls_deviance(prj, factorize(prj, t), False), theta,
                        tlower, upper)
        f = factorize(prj, th)
        sig = float(np.sqrt(f.pwrss / prj.n))
        with np.errstate(invalid="ignore"):
            z = np.sign(fw - est) * np.sqrt(fv - base)
        return np.r_[z, sdcor_from_theta(th, terms, sig), np.insert(f.beta, j, fw)]

    return zeta


def _finish(name: str, w: int, rows: list[np.ndarray], lo: float, hi: float,
            na_omit: bool) -> ParameterProfileLMM:
    """``unique``, sort by the parameter, then ``backSpline(interpSpline(.zeta ~ par))``."""
    seen: set = set()
    uniq = []
    for r in rows:
        key = tuple(np.where(np.isnan(r), np.inf, r).tolist())
        if key not in seen:
            seen.add(key)
            uniq.append(r)
    mat = np.array(uniq)
    mat = mat[np.argsort(mat[:, w + 1], kind="stable")]
    zeta, values = mat[:, 0], mat[:, 1:]
    x, z = values[:, w], zeta
    msg = ""
    back = None
    try:
        if na_omit:
            ok = ~(np.isnan(x) | np.isnan(z))
            x, z = x[ok], z[ok]
        elif np.any(np.isnan(x) | np.isnan(z)):
            raise SplineError("missing values in object")
        back = back_spline(interp_spline(x, z))
    except SplineError as e:
        msg = str(e)
        warnings.warn(f"non-monotonic profile for {name}", AuroraWarning, stacklevel=3)
    return ParameterProfileLMM(name, w, zeta, values, lo, hi, back, msg)


def _which(which: Any, names: tuple[str, ...], nvp: int) -> list[int]:
    """lme4's ``get.which``: positions (from 0) of the parameters to profile, sorted."""
    if which is None:
        return list(range(len(names)))
    items = [which] if isinstance(which, (str, int, np.integer)) else list(which)
    out: set[int] = set()
    rest = []
    for it in items:
        if it == "theta_":
            out.update(range(nvp))
        elif it == "beta_":
            out.update(range(nvp, len(names)))
        else:
            rest.append(it)
    if rest:
        out.update(parm_indices(list(names), rest))
    return sorted(out)


def _pct_labels(level: float) -> tuple[str, str]:
    """lme4's ``format.perc(a, 3)``: ``"2.5 %"``, ``"97.5 %"``."""
    from aurora.report.rformat import format_number

    a = (1 - level) / 2
    return f"{format_number(100 * a, 3)} %", f"{format_number(100 * (1 - a), 3)} %"
