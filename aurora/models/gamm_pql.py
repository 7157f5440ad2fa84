"""``fit_pql_smooth``: penalized quasi-likelihood for GLMMs with smooths (SPEC §2).

The algorithm of ``MASS::glmmPQL`` (Breslow & Clayton 1993; Venables & Ripley 2002,
section 10.4): start from the GLM fit, then repeat a Gaussian linear mixed model fit by
maximum likelihood (glmmPQL's ``lme(..., method = "ML")``) of the working response
``z = eta + (y - mu) / mu_eta(eta)`` with working weights ``w mu_eta^2 / V(mu)`` (nlme's
``varFixed(~ invwt)``), until ``sum((eta - eta_old)^2) < 1e-6 sum(eta^2)``. Smooth terms
enter each linear mixed model as gamm4 puts them there (:mod:`aurora.compile.smooth_random`:
penalty null space fixed, penalised part an i.i.d. random effect), so their smoothing
parameters are estimated as variance components, as ``mgcv::gamm`` does through
``glmmPQL`` (mgcv's ``gamm`` fixes the PQL scale at 1 for the Poisson and binomial
families; glmmPQL, and this function, estimate it).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from aurora.errors import ConvergenceWarning, DataError
from aurora.models.gamm_result import GammMer

__all__ = ["fit_pql_smooth", "PQLFit"]


class PQLFit(GammMer):
    """The last linear mixed model of a PQL fit, with the fit's attributes.

    ``beta`` / ``beta_parametric`` are the fixed effects (the parametric columns; the
    smooths' null-space columns are in ``fixef``), ``smooth_coefficients`` each smooth's
    coefficients in its own basis, ``n_iter`` and ``converged`` the PQL iterations.
    """

    family_obj: Any = None
    n_iter: int = 0
    pql_converged: bool = False
    n_parametric: int = 0
    setup: Any = None
    linear_predictor: np.ndarray | None = None

    def summary(self):
        return super(GammMer, self).summary()

    @property
    def converged(self) -> bool:
        """The PQL iterations and the last mixed-model fit converged."""
        return bool(self.pql_converged and self.fit.converged)

    @property
    def beta_parametric(self) -> np.ndarray:
        return self.fixef.to_numpy()[:self.n_parametric]

    @property
    def beta(self) -> np.ndarray:
        return self.beta_parametric

    @property
    def variance_components(self) -> Any:
        """Covariance of the grouping factor's random effects (a 2-D array)."""
        blocks = self.terms.lambda_blocks(self.fit.theta)
        vc = [self.sigma ** 2 * (T @ T.T) for t, T in zip(self.terms.terms, blocks) if not t.dense]
        return vc[0] if len(vc) == 1 else vc

    @property
    def residual_variance(self) -> float:
        return float(self.sigma ** 2)

    @property
    def fitted_values(self) -> np.ndarray:
        """Conditional means ``g^{-1}(eta)``."""
        return np.asarray(self.family_obj.link.inverse(self.linear_predictor), dtype=float)

    @property
    def smooth_coefficients(self) -> dict[str, np.ndarray]:
        """Each smooth's coefficients in its own (mgcv) parametrisation."""
        if self.setup is None:
            return {}
        terms, f = self.terms, self.fit.factor
        b = f.b(terms)
        off = terms.b_offsets
        index = {t.spec.group_name: i for i, t in enumerate(terms.terms) if t.dense}
        beta = f.beta
        pos, out = self.setup.nsdf, {}
        for sr in self.setup.smooths:
            nf = sr.Xf.shape[1]
            ids = [index[name] for name, _ in sr.random]
            out[sr.label] = sr.coefficients([b[off[i]:off[i + 1]] for i in ids],
                                            beta[pos:pos + nf])
            pos += nf
        return out


def _smooth_plan(frame: pd.DataFrame, y: np.ndarray, smooth_terms: Sequence[Any]):
    """The compiled fixed part and smooths: ``y ~ <other columns> + s(...)``."""
    from aurora.compile import compile_plan
    from aurora.models._gam_terms import SmoothTerm

    terms = []
    for t in smooth_terms:
        if isinstance(t, SmoothTerm) and isinstance(t.variable, (int, np.integer)):
            import dataclasses

            t = dataclasses.replace(t, variable=str(frame.columns[int(t.variable)]))
        terms.append(t)
    used = {v for t in terms for v in t.variables}
    par = [c for c in frame.columns if c not in used]
    resp = "y" if "y" not in frame.columns else "y_"
    rhs = [f"`{c}`" if not str(c).isidentifier() else str(c) for c in par]
    rhs += [t.formula_term() for t in terms]
    data = frame.assign(**{resp: y})
    plan = compile_plan(f"{resp} ~ " + " + ".join(rhs or ["1"]), data, smooths=True,
                        factor_coding="never")
    return plan


def fit_pql_smooth(y: Any, X: Any, groups: Any, family: Any,
                   smooth_terms: Sequence[Any] | None = None, max_iter: int = 50,
                   weights: Any = None) -> PQLFit:
    """A GLMM (with smooths) by PQL, as ``MASS::glmmPQL`` (``mgcv::gamm`` for smooths).

    Parameters
    ----------
    y : array-like, shape (n,)
        Response (0/1 or proportions with ``weights`` for binomial, counts for poisson).
    X : array-like or DataFrame, shape (n, p)
        Covariates; an intercept is added. Columns named in ``smooth_terms`` enter only
        through their smooths.
    groups : array-like, shape (n,)
        The grouping factor of a random intercept.
    family : str or Family
    smooth_terms : sequence of SmoothTerm, optional
        ``SmoothTerm("X0")`` (or ``SmoothTerm(0)``: a column position of ``X``).
    max_iter : int
        PQL iterations (glmmPQL's ``niter``).
    weights : array-like, optional
        Prior weights.

    Returns
    -------
    PQLFit
        ``beta`` and ``beta_parametric`` (intercept first), ``variance_components``
        (the random intercept's variance, as nlme reports it: ``sigma^2 theta^2``),
        ``residual_variance`` (the PQL dispersion ``sigma^2``), ``smooth_coefficients``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> g = np.repeat(np.arange(20), 15)
    >>> x = rng.uniform(size=300)
    >>> y = rng.poisson(np.exp(0.5 + x + rng.normal(0, 0.5, 20)[g]))
    >>> r = fit_pql_smooth(y, x[:, None], g, "poisson")
    >>> r.converged, np.round(r.beta, 2).tolist()
    (True, [0.53, 1.09])
    """
    import warnings

    from aurora.compile.frame import FrameInfo
    from aurora.compile.random_terms import combine_terms
    from aurora.distributions import get_family
    from aurora.engine.glm import fit_glm_arrays
    from aurora.engine.lmm import lmm_problem
    from aurora.engine.lmm_optimize import fit_lmm
    from aurora.models.gam import _as_frame
    from aurora.models.gamm import RandomEffect, _effect_term
    from aurora.models.gamm_fit import MerPlan, gamm_setup

    fam = get_family(family)
    yv = np.asarray(y, dtype=float).ravel()
    n = yv.size
    frame = _as_frame(X) if X is not None else pd.DataFrame(index=range(n))
    if len(frame) != n:
        raise DataError(f"X has {len(frame)} rows and y {n}", "give X one row per observation")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    plan = _smooth_plan(frame, yv, list(smooth_terms or ()))
    setup = gamm_setup(plan, list(frame.columns) + ["y"]) if plan.penalties else None
    Xf = setup.X if setup is not None else plan.X
    names = (setup.fixed_names if setup is not None else plan.column_names)
    names = tuple("intercept" if c == "(Intercept)" else c for c in names)
    nsdf = setup.nsdf if setup is not None else Xf.shape[1]
    gterm = _effect_term(RandomEffect(np.asarray(groups).ravel()), frame, pd.DataFrame(),
                         n, None, 0)
    dense = [t for t in setup.terms.terms if t.dense] if setup is not None else []
    terms = combine_terms(dense + [gterm], None, n)
    glm = fit_glm_arrays(Xf, yv, fam, weights=w, warn=False)
    eta = glm.irls.eta
    mu = glm.irls.mu
    link = fam.link
    converged, it, fit, pr = False, 0, None, None
    for it in range(1, int(max_iter) + 1):
        mu_eta = np.asarray(link.inverse_derivative(eta), dtype=float)
        z = eta + (yv - mu) / mu_eta
        wz = w * mu_eta ** 2 / np.asarray(fam.variance(mu), dtype=float)
        pr = lmm_problem(Xf, z, terms, wz)
        fit = fit_lmm(pr, REML=False, theta0=None if fit is None else fit.theta)
        eta_old = eta
        from aurora.engine.lmm_inference import fitted_values

        eta = fitted_values(pr, fit.factor)
        if np.sum((eta - eta_old) ** 2) < 1e-6 * np.sum(eta ** 2):
            converged = True
            break
        mu = np.asarray(link.inverse(eta), dtype=float)
    if not converged:
        warnings.warn(f"PQL did not converge in {max_iter} iterations", ConvergenceWarning,
                      stacklevel=2)
    mplan = MerPlan(terms, pr.y + pr.X @ pr.beta0, pr.w, np.zeros(n), pd.RangeIndex(n),
                    FrameInfo(n, 0), Xf)
    call = {"formula": "z ~ " + " + ".join(c for c in names if c != "intercept") + " + (1 | group)"}
    res = PQLFit(mplan, pr, fit, names, call, (), None)
    res.family_obj, res.n_iter, res.pql_converged = fam, it, converged
    res.n_parametric, res.setup, res.linear_predictor = nsdf, setup, eta
    return res
