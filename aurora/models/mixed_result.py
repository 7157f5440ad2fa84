"""``MixedResult``: a fitted linear mixed model with lme4's names (stage 4)."""
from __future__ import annotations

import warnings
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aurora.models._mixed_base import _MixedResultBase
from aurora.models._mixed_tables import ranef_frames, ranef_long, theta_names, varcorr_frame

__all__ = ["MixedResult"]


class MixedResult(_MixedResultBase):
    """A fitted linear mixed model (R: lme4's ``lmerMod``).

    Attributes
    ----------
    plan : ModelPlan
        The compiled model (``plan.random`` holds the random-effect terms).
    problem : LMMProblem
        Cross-products of the data (:mod:`aurora.engine.lmm`).
    fit : LMMFit
        Estimates (:mod:`aurora.engine.lmm_optimize`).
    messages : tuple of str
        Fit and optimiser messages (rank deficiency, boundary fit, convergence).

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(10), 6)
    >>> df = pd.DataFrame({"y": rng.normal(size=10)[g] + rng.normal(size=60), "g": g})
    >>> m = aurora.lmer("y ~ 1 + (1 | g)", df)
    >>> list(m.varcorr().columns)
    ['grp', 'var1', 'var2', 'vcov', 'sdcor']
    """

    def __init__(self, plan: Any, problem: Any, fit: Any, column_names: tuple[str, ...],
                 call: dict, fit_messages: tuple[str, ...] = (),
                 control: dict | None = None) -> None:
        self.plan = plan
        self.problem = problem
        self.fit = fit
        self.column_names = column_names
        self.call = call
        self.fit_messages = fit_messages
        self.control = control

    # ------------------------------------------------------------------ parameters
    @property
    def fixef(self) -> pd.Series:
        """Fixed effects (lme4's ``fixef``)."""
        return pd.Series(self.fit.factor.beta, index=list(self.column_names), name="fixef")

    params = fixef
    coef = fixef

    @property
    def theta(self) -> pd.Series:
        """lme4's ``getME(m, "theta")``, named as lme4 names it."""
        return pd.Series(self.fit.theta, index=theta_names(self.terms), name="theta")

    @cached_property
    def _vcov(self) -> np.ndarray:
        from aurora.engine.lmm_inference import vcov_beta

        return vcov_beta(self.fit.factor, self.sigma)

    def vcov(self) -> pd.DataFrame:
        """Covariance of the fixed effects (lme4's ``vcov``)."""
        names = list(self.column_names)
        return pd.DataFrame(self._vcov, index=names, columns=names)

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the fixed effects."""
        return pd.Series(np.sqrt(np.diag(self._vcov)), index=list(self.column_names), name="bse")

    # ------------------------------------------------------------------ criteria
    @property
    def reml_criterion(self) -> float:
        """lme4's ``REMLcrit``: the REML criterion (REML fits) or the REML criterion at the
        ML estimates."""
        return self._devcrit(True)

    def _devcrit(self, REML: bool) -> float:
        from aurora.engine.lmm import pls_deviance

        return float(pls_deviance(self.problem, self.fit.factor, REML))

    @property
    def deviance(self) -> float:
        """lme4's ``deviance()``: the ML deviance; for REML fits lme4 warns and returns the
        REML criterion, and so does this."""
        if self.REML:
            warnings.warn("deviance() is deprecated for REML fits; use REMLcrit for the REML "
                          "criterion or deviance(.,REML=FALSE) for deviance calculated at the "
                          "REML fit", FutureWarning, stacklevel=2)
            return self._devcrit(True)
        return self._devcrit(False)

    @property
    def npar(self) -> int:
        """Fixed effects + theta + sigma (lme4's ``npar``)."""
        return len(self.column_names) + len(self.fit.theta) + 1

    @property
    def loglik(self) -> float:
        """lme4's ``logLik``: the REML log-likelihood for REML fits."""
        return -self._devcrit(self.REML) / 2

    @property
    def bic(self) -> float:
        return -2 * self.loglik + np.log(self.nobs) * self.npar

    @property
    def nobs(self) -> int:
        return self.problem.n

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(self.fit_messages) + tuple(self.fit.messages)

    # ------------------------------------------------------------------ per row
    def _rows(self, values: np.ndarray, name: str) -> pd.Series:
        s = pd.Series(np.asarray(values, dtype=float), index=self.plan.row_index, name=name)
        info = self.plan.frame
        return s.reindex(info.input_index) if info.exclude else s

    @cached_property
    def _mu(self) -> np.ndarray:
        from aurora.engine.lmm_inference import fitted_values

        return fitted_values(self.problem, self.fit.factor, self.plan.offset)

    def residuals(self, type: str = "response", scaled: bool = False) -> pd.Series:
        """Residuals: ``"response"`` (y - fitted) or ``"pearson"`` (times sqrt(weights));
        ``scaled`` divides by sigma (lme4's ``residuals(m, type, scaled)``)."""
        r = self.plan.y - self._mu
        if type == "pearson":
            r = r * np.sqrt(self.plan.weights)
        elif type not in ("response", "working", "deviance"):
            raise ValueError(f"unknown residual type {type!r}; use 'response' or 'pearson'")
        if type == "deviance":
            r = r * np.sqrt(self.plan.weights)
        if scaled:
            r = r / self.sigma
        return self._rows(r, "residuals")

    # ------------------------------------------------------------------ random effects
    @cached_property
    def _cond_var(self) -> list[np.ndarray]:
        from aurora.engine.lmm_inference import cond_var

        return cond_var(self.problem, self.fit.factor, self.sigma)

    def ranef(self, cond_var: bool = True) -> dict[str, pd.DataFrame]:
        """Conditional modes of the random effects (lme4's ``ranef``).

        Returns a dict of DataFrames, one per grouping factor (rows: levels; columns: the
        terms' columns). With ``cond_var``, each frame's ``attrs["condVar"]`` holds the
        conditional covariance of each level: an array (levels, k, k) per term (a list
        when several terms share the factor), lme4's ``postVar``, and
        ``attrs["condsd"]`` a DataFrame of conditional standard deviations.
        """
        return ranef_frames(self.terms, self._b(), self._cond_var if cond_var else None)

    def ranef_table(self) -> pd.DataFrame:
        """lme4's ``as.data.frame(ranef(m, condVar = TRUE))``: ``grpvar``, ``term``,
        ``grp``, ``condval``, ``condsd``."""
        return ranef_long(self.terms, self._b(), self._cond_var)

    def _b(self) -> np.ndarray:
        """lme4's ``getME(m, "b")``: the conditional modes on the original scale."""
        return self.fit.factor.b(self.terms)

    def varcorr(self) -> pd.DataFrame:
        """R's ``as.data.frame(VarCorr(m))``: ``grp``, ``var1``, ``var2``, ``vcov``,
        ``sdcor``."""
        return varcorr_frame(self.terms, self.fit.theta, self.sigma)

    # ------------------------------------------------------------------ inference
    def conf_int(self, level: float = 0.95, method: str = "profile",
                 parm: Any = None) -> pd.DataFrame:
        """Confidence intervals (lme4's ``confint``).

        ``"profile"`` (the default, as lme4's): likelihood-profile intervals for the
        variance parameters (``.sig01``..., ``.sigma``, on the standard-deviation and
        correlation scale) and the fixed effects (lme4's ``profile.merMod`` and
        ``confint.thpr``). ``"Wald"``: fixed effects ``beta +- z se``; the variance
        parameters are NaN, as lme4 gives them. ``parm`` picks rows by name.
        """
        from aurora.inference._confint_args import resolve_ci_method

        method = resolve_ci_method(method)
        if method == "profile":
            from aurora.inference.profile_lmm import confint_profile_lmm

            return confint_profile_lmm(self, level=level, parm=parm)
        a = (1 - level) / 2
        q = stats.norm.ppf(1 - a)
        nsig = len(self.fit.theta)
        rows = [f".sig{i + 1:02d}" for i in range(nsig)] + [".sigma"] + list(self.column_names)
        lo = np.r_[np.full(nsig + 1, np.nan), self.fixef - q * self.bse]
        hi = np.r_[np.full(nsig + 1, np.nan), self.fixef + q * self.bse]
        out = pd.DataFrame({_pct(a): lo, _pct(1 - a): hi}, index=rows)
        if parm is not None:
            out = out.loc[[parm] if isinstance(parm, str) else list(parm)]
        return out

    def profile(self, which: Any = None, **kwargs: Any) -> Any:
        """lme4's ``profile(m)``: the signed square-root deviance profile of each
        parameter (``.confint(level)``, ``.to_frame()``)."""
        from aurora.inference.profile_lmm import profile_lmm

        return profile_lmm(self, which=which, **kwargs)

    def plot_ranef(self, kind: str = "caterpillar", term: Any = None, path: str | None = None,
                   **kwargs: Any) -> Any:
        """Caterpillar (lme4's ``dotplot(ranef(m, condVar = TRUE))``) or normal Q-Q
        (``qqmath``) plot of the conditional modes; a matplotlib Figure, saved to
        ``path`` when given."""
        from aurora.plot.mixed import plot_ranef

        return plot_ranef(self, kind, term, path, **kwargs)

    def refit_ml(self) -> "MixedResult":
        """The same model fitted by maximum likelihood from this fit's theta (lme4's
        ``refitML``)."""
        if not self.REML:
            return self
        from aurora.models.lmer import fit_lmer_plan

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_lmer_plan(self.plan, REML=False, control=self.control, call=self.call,
                                 theta0=self.fit.theta)

    def anova(self, *others: "MixedResult", model_names: list[str] | None = None,
              refit: bool = True):
        """Likelihood-ratio comparison of nested models (lme4's ``anova(m1, m2)``): REML
        fits are refitted by ML first; models are ordered by number of parameters."""
        from aurora.models._mixed_tables import anova_table

        return anova_table([self, *others], model_names, refit)

    # ------------------------------------------------------------------ prediction
    def predict(self, newdata: Any = None, re_form: Any = None,
                allow_new_levels: bool = True) -> pd.Series:
        """Predictions (lme4's ``predict.merMod``, ``type = "response"``).

        ``re_form=None`` includes every random effect, ``"~0"`` (or ``"NA"``) none, and a
        formula of bars (``"~(1 | g)"``) those terms. Levels not seen in the fit (and
        missing grouping values) get the population prediction when
        ``allow_new_levels``, else a :class:`~aurora.errors.FactorLevelError`.
        """
        from aurora.models._mixed_predict import predict_mixed

        return predict_mixed(self, newdata, re_form, allow_new_levels)

    def simulate(self, nsim: int = 1, seed: int | None = None) -> pd.DataFrame:
        """Responses simulated from the fitted model, new random effects each time (lme4's
        ``simulate(m, nsim, seed)`` with ``use.u = FALSE``); one column per simulation."""
        from aurora.engine.glmm import lambda_times
        from aurora.engine.lmm import z_times

        rng = np.random.default_rng(seed)
        pr, f = self.problem, self.fit.factor
        eta = pr.X @ f.beta + self.plan.offset
        sims = {}
        for i in range(nsim):
            u = rng.standard_normal(self.terms.q) * self.sigma
            b = lambda_times(self.terms, f.blocks, u)
            eps = rng.standard_normal(pr.n) * self.sigma / np.sqrt(pr.w)
            sims[f"sim_{i + 1}"] = eta + z_times(self.terms, b) + eps
        out = pd.DataFrame(sims, index=self.plan.row_index)
        return out

    # ------------------------------------------------------------------ printing
    def summary(self):
        """lme4's ``summary(m)``; ``str()`` of the result prints as ``print(summary(m))``."""
        from aurora.models._mixed_tables import build_summary

        return build_summary(self)

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        return (f"<MixedResult lmer {self.call.get('formula', '')!s} ({kind}, "
                f"n={self.nobs}, groups={self.ngrps})>")


def _pct(p: float) -> str:
    from aurora.report.rformat import format_number

    return f"{format_number(100 * p, 3)} %"

