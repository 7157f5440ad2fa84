"""``GlmerResult``: a fitted GLMM with lme4's names (lme4's ``glmerMod``)."""
from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aurora.models.mixed_result import MixedResult

__all__ = ["GlmerResult"]


class GlmerResult(MixedResult):
    """A fitted generalized linear mixed model (R: lme4's ``glmerMod``).

    Everything of :class:`~aurora.models.mixed_result.MixedResult`, with GLMM meanings:
    ``deviance`` is lme4's ``deviance()`` (the sum of squared deviance residuals),
    ``loglik`` the Laplace (or quadrature) log-likelihood, ``sigma`` 1 for the families
    without a scale, ``fitted`` the conditional means, ``residuals(type)`` lme4's
    deviance (default), Pearson, working or response residuals, ``predict(type=)`` on the
    link or response scale, and ``vcov()`` lme4's covariance of the fixed effects from
    the finite-difference Hessian of the deviance.

    Attributes
    ----------
    plan : ModelPlan
    problem : GLMMModel
        The data (:mod:`aurora.engine.glmm`).
    fit : GLMMFit
        Estimates (:mod:`aurora.engine.glmm_optimize`).

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> g = np.repeat(np.arange(15), 12)
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-rng.normal(0, 1, 15)[g])))
    >>> m = aurora.glmer("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": g}))
    >>> m.family, m.link, m.sigma
    ('binomial', 'logit', 1.0)
    """

    nb_info: dict | None = None

    # ------------------------------------------------------------------ parameters
    @property
    def REML(self) -> bool:
        return False

    @property
    def family(self) -> str:
        """R's ``family(m)$family`` (``"Negative Binomial(2.171)"`` for glmer.nb)."""
        return self.problem.family.family

    @property
    def link(self) -> str:
        return self.problem.family.link

    @property
    def nAGQ(self) -> int:
        return int(self.fit.nAGQ)

    @property
    def nb_theta(self) -> float | None:
        """lme4's ``getME(m, "glmer.nb.theta")`` (None for other families)."""
        th = self.problem.family.theta
        return None if th is None else float(th)

    @property
    def fixef(self) -> pd.Series:
        return pd.Series(self.fit.beta, index=list(self.column_names), name="fixef")

    params = fixef
    coef = fixef

    @property
    def _use_scale(self) -> bool:
        return self.problem.family.has_scale

    @property
    def sigma(self) -> float:
        """1 for binomial, Poisson and negative binomial; else lme4's
        ``sqrt(pwrss / n)``."""
        if not self._use_scale:
            return 1.0
        st = self.fit.state
        pw = float(np.sum(self._pearson ** 2)) + float(st.delu @ st.delu)
        return math.sqrt(pw / self.nobs)

    @cached_property
    def _vcov(self) -> np.ndarray:
        v = self.fit.vcov
        if self.fit.hessian is None or self.fit.hessian.shape[0] <= len(self.fit.theta):
            v = v * self.sigma ** 2
        return np.asarray(v, dtype=float)

    # ------------------------------------------------------------------ criteria
    @property
    def reml_criterion(self) -> float:
        raise AttributeError("a GLMM has no REML criterion (lme4's REMLcrit refuses it)")

    def _devcrit(self, REML: bool = False) -> float:
        return float(self.fit.deviance)

    @property
    def deviance(self) -> float:
        """lme4's ``deviance()`` of a GLMM: the sum of the squared deviance residuals."""
        st = self.fit.state
        return float(np.sum(self.problem.family.dev_resid(self.problem.y, st.mu,
                                                          self.problem.weights)))

    @property
    def npar(self) -> int:
        """Fixed effects + theta (+ the scale, + the negative-binomial theta)."""
        return (len(self.column_names) + len(self.fit.theta) + int(self._use_scale)
                + int(self.problem.family.kind == "negative.binomial"))

    @property
    def loglik(self) -> float:
        return -float(self.fit.deviance) / 2

    @property
    def nobs(self) -> int:
        return self.problem.n

    # ------------------------------------------------------------------ per row
    @cached_property
    def _mu(self) -> np.ndarray:
        return self.fit.state.mu

    @property
    def _eta(self) -> np.ndarray:
        return self.fit.state.eta

    @cached_property
    def _pearson(self) -> np.ndarray:
        fam, st = self.problem.family, self.fit.state
        return np.sqrt(self.problem.weights / fam.variance(st.mu)) * (self.problem.y - st.mu)

    def residuals(self, type: str = "deviance", scaled: bool = False) -> pd.Series:
        """lme4's ``residuals(m, type)``: ``"deviance"`` (default), ``"pearson"``,
        ``"working"`` or ``"response"``; ``scaled`` divides by sigma."""
        pr, st, fam = self.problem, self.fit.state, self.problem.family
        if type == "deviance":
            d = np.sqrt(np.maximum(fam.dev_resid(pr.y, st.mu, pr.weights), 0.0))
            r = np.where(pr.y > st.mu, d, -d)
        elif type == "pearson":
            r = self._pearson
        elif type == "working":
            r = (pr.y - st.mu) / fam.mu_eta(st.eta)
        elif type == "response":
            r = pr.y - st.mu
        else:
            raise ValueError(f"unknown residual type {type!r}; use 'deviance', 'pearson', "
                             "'working' or 'response'")
        if scaled:
            r = r / self.sigma
        return self._rows(r, "residuals")

    # ------------------------------------------------------------------ random effects
    def _b(self) -> np.ndarray:
        from aurora.engine.glmm import lambda_times

        st = self.fit.state
        return lambda_times(self.terms, self.terms.lambda_blocks(self.fit.theta), st.delu)

    @property
    def u(self) -> np.ndarray:
        """lme4's ``getME(m, "u")``: the spherical conditional modes."""
        return self.fit.state.delu.copy()

    @cached_property
    def _cond_var(self) -> list[np.ndarray]:
        from aurora.engine.lmm_inference import cond_var

        st = self.fit.state
        return cond_var(st.problem, st.factor, self.sigma)

    def varcorr(self) -> pd.DataFrame:
        from aurora.models._mixed_tables import varcorr_frame

        return varcorr_frame(self.terms, self.fit.theta, self.sigma, residual=self._use_scale)

    # ------------------------------------------------------------------ inference
    def conf_int(self, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
        """lme4's ``confint(m, method = "Wald")``: NaN for the variance parameters."""
        if method != "Wald":
            raise NotImplementedError(f"method={method!r} is not available for GLMMs yet; "
                                      "use method='Wald'")
        a = (1 - level) / 2
        q = stats.norm.ppf(1 - a)
        nsig = len(self.fit.theta)
        rows = [f".sig{i + 1:02d}" for i in range(nsig)] + (
            [".sigma"] if self._use_scale else []) + list(self.column_names)
        pad = np.full(len(rows) - len(self.column_names), np.nan)
        from aurora.models.mixed_result import _pct

        return pd.DataFrame({_pct(a): np.r_[pad, self.fixef - q * self.bse],
                             _pct(1 - a): np.r_[pad, self.fixef + q * self.bse]}, index=rows)

    def refit_ml(self) -> "GlmerResult":
        return self

    def predict(self, newdata: Any = None, re_form: Any = None, type: str = "link",
                allow_new_levels: bool = True, offset: Any = None) -> pd.Series:
        """lme4's ``predict.merMod``: the linear predictor (``type="link"``, lme4's
        default) or the mean (``"response"``), with all random effects (``re_form=None``),
        none (``"~0"``) or some (``"~(1 | g)"``).

        With ``newdata``, the offset is the formula's ``offset()`` terms evaluated on it
        plus the fit's ``offset=`` column of ``newdata`` (as R's ``predict.glm``; lme4
        drops an ``offset=`` argument here, lme4 issue #447), or ``offset`` (one value
        per row of ``newdata``, needed when the fit's ``offset=`` was an array)."""
        from aurora.models._mixed_predict import predict_mixed

        if type not in ("link", "response"):
            raise ValueError(f"unknown type {type!r}; use 'link' or 'response'")
        if offset is not None and newdata is None:
            raise ValueError("offset= applies to newdata; without newdata the fit's own "
                             "offset is used")
        eta = predict_mixed(self, newdata, re_form, allow_new_levels, offset=offset)
        if type == "response":
            eta = pd.Series(self.problem.family.linkinv(eta.to_numpy(dtype=float)),
                            index=eta.index, name="predict")
        return eta

    def simulate(self, nsim: int = 1, seed: int | None = None) -> pd.DataFrame:
        """Responses simulated from the fitted model with new random effects (lme4's
        ``simulate(m, nsim, seed)``); binomial ``cbind`` responses as proportions."""
        from aurora.engine.glmm import lambda_times
        from aurora.engine.lmm import z_times

        rng = np.random.default_rng(seed)
        pr, fam = self.problem, self.problem.family
        blocks = self.terms.lambda_blocks(self.fit.theta)
        eta0 = pr.X @ self.fit.beta + pr.offset
        sims = {}
        for i in range(nsim):
            b = lambda_times(self.terms, blocks, rng.standard_normal(self.terms.q))
            mu = fam.linkinv(eta0 + z_times(self.terms, b))
            sims[f"sim_{i + 1}"] = _draw(rng, fam, mu, pr.weights, self.sigma)
        return pd.DataFrame(sims, index=self.plan.row_index)

    # ------------------------------------------------------------------ printing
    def summary(self):
        """lme4's ``summary(m)`` of a ``glmerMod``."""
        from aurora.models._mixed_tables import build_glmer_summary

        return build_glmer_summary(self)

    def __repr__(self) -> str:
        return (f"<GlmerResult glmer {self.call.get('formula', '')!s} ({self.family}, "
                f"{self.link}; n={self.nobs}, groups={self.ngrps})>")


def _draw(rng: np.random.Generator, fam: Any, mu: np.ndarray, weights: np.ndarray,
          sigma: float) -> np.ndarray:
    k = fam.kind
    if k == "binomial":
        size = np.rint(weights).astype(int)
        return rng.binomial(np.maximum(size, 1), mu) / np.maximum(size, 1)
    if k == "poisson":
        return rng.poisson(mu).astype(float)
    if k == "negative.binomial":
        th = fam.theta
        return rng.negative_binomial(th, th / (th + mu)).astype(float)
    if k == "Gamma":
        shape = 1.0 / sigma ** 2
        return rng.gamma(shape, mu / shape)
    if k == "inverse.gaussian":
        return rng.wald(mu, 1.0 / sigma ** 2)
    return rng.normal(mu, sigma)
