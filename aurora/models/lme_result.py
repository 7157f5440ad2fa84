"""``LMEResult``: a fitted nlme-style linear mixed model, with lme4's names (stage 4).

The names are those of :class:`~aurora.models.mixed_result.MixedResult` (``fixef``,
``bse``, ``vcov()``, ``sigma``, ``ranef()``, ``varcorr()``, ``loglik``, ``aic``, ``bic``,
``reml_criterion``, ``nobs``, ``ngrps``, ``fitted``, ``residuals()``, ``predict()``), the
numbers and the printed summary are nlme's (``summary.lme``): ``bse`` are the standard
errors ``summary`` prints (for ML fits nlme scales them by ``sqrt(N / (N - p))``), ``vcov()``
is nlme's ``vcov`` (``varFix``, unscaled), BIC uses ``N - p`` observations for REML fits.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aurora.models._mixed_base import _MixedResultBase

__all__ = ["LMEResult", "LMEInfo"]


@dataclass(frozen=True)
class LMEInfo:
    """What the printed summary names, as text.

    Attributes
    ----------
    formula : str
        The formula as given.
    fixed_formula : str
        Its fixed part (``y ~ time``).
    level_formulas : tuple of str
        The random-effects formula of each nlme level, outermost first (``~1``).
    corr_formula : str or None
        The correlation structure's formula (``~time | g``).
    variance_formula : str or None
        A ``varFixed`` formula (``~invwt``), when variance weights were used.
    data_name : str
    """

    formula: str
    fixed_formula: str
    level_formulas: tuple[str, ...]
    corr_formula: str | None = None
    variance_formula: str | None = None
    data_name: str = "data"
    na_action: str = "omit"


class LMEResult(_MixedResultBase):
    """A fitted linear mixed model with a residual correlation structure (R: nlme's
    ``lme``).

    Attributes
    ----------
    plan : ModelPlan
    fit : LMEFit
        Estimates (:mod:`aurora.engine.lme_fit`).
    levels : list of NlmeLevel
        nlme's grouping levels, outermost first.
    info : LMEInfo

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> from aurora.models.lme import lme
    >>> rng = np.random.default_rng(4)
    >>> g = np.repeat(np.arange(20), 5)
    >>> df = pd.DataFrame({"y": rng.normal(size=20)[g] + rng.normal(size=100), "g": g,
    ...                    "t": np.tile(np.arange(5), 20)})
    >>> m = lme("y ~ t + (1 | g)", df, correlation="ar1(t | g)")
    >>> list(m.correlation_params.index), list(m.varcorr().columns)
    (['Phi'], ['grp', 'var1', 'var2', 'vcov', 'sdcor'])
    """

    kind = "lme"

    def __init__(self, plan: Any, fit: Any, column_names: tuple[str, ...], levels: list,
                 info: LMEInfo, data_index: pd.Index, fixed_df: np.ndarray) -> None:
        self.plan = plan
        self.fit = fit
        self.column_names = tuple(column_names)
        self.levels = levels
        self.info = info
        self.data_index = data_index
        self._fixed_df = np.asarray(fixed_df, dtype=float)

    # ------------------------------------------------------------------ parameters
    @property
    def method(self) -> str:
        return "REML" if self.REML else "ML"

    @property
    def fixef(self) -> pd.Series:
        """Fixed effects (nlme's ``fixef``)."""
        return pd.Series(self.fit.beta, index=list(self.column_names), name="fixef")

    params = fixef
    coef = fixef

    @property
    def theta(self) -> pd.Series:
        """lme4's ``theta`` of the same covariance matrices (relative Cholesky factors)."""
        from aurora.models._mixed_tables import theta_names

        return pd.Series(self.fit.theta, index=theta_names(self.terms), name="theta")

    def vcov(self) -> pd.DataFrame:
        """nlme's ``vcov``: ``sigma^2 (X' V^-1 X)^-1`` (no small-sample scaling)."""
        names = list(self.column_names)
        return pd.DataFrame(self.fit.vcov, index=names, columns=names)

    @property
    def bse(self) -> pd.Series:
        """Standard errors as ``summary`` prints them (ML: scaled by ``sqrt(N/(N-p))``)."""
        se = np.sqrt(np.diag(self.fit.vcov))
        if not self.REML:
            se = se * np.sqrt(self.nobs / (self.nobs - len(se)))
        return pd.Series(se, index=list(self.column_names), name="bse")

    @property
    def fixed_df(self) -> pd.Series:
        """nlme's denominator degrees of freedom of the fixed effects (``fixDF$X``)."""
        return pd.Series(self._fixed_df, index=list(self.column_names), name="DF")

    @property
    def t_table(self) -> pd.DataFrame:
        """nlme's ``summary(m)$tTable``."""
        est, se, df = self.fixef.to_numpy(), self.bse.to_numpy(), self._fixed_df
        t = est / se
        return pd.DataFrame({"Value": est, "Std.Error": se, "DF": df, "t-value": t,
                             "p-value": 2 * stats.t.sf(np.abs(t), df)},
                            index=list(self.column_names))

    @property
    def correlation_params(self) -> pd.Series:
        """The correlation parameter, named as nlme names it (``Phi``, ``Phi1``, ``Rho``)."""
        corr = self.fit.problem.corr
        if corr is None:
            return pd.Series([], dtype=float, name="correlation")
        return pd.Series([self.fit.rho], index=[corr.param_name], name="correlation")

    @property
    def covariance_params(self) -> np.ndarray:
        """``[log sigma^2, atanh rho]`` (``[log sigma^2]`` without a correlation
        structure), the layout of SPEC's ``covariance_params``."""
        out = [2 * np.log(self.sigma)]
        if self.fit.rho is not None:
            out.append(float(np.arctanh(self.fit.rho)))
        return np.array(out)

    # ------------------------------------------------------------------ criteria
    @property
    def npar(self) -> int:
        return self.fit.npar

    @property
    def loglik(self) -> float:
        """nlme's ``logLik`` (restricted for REML fits)."""
        return self.fit.loglik

    @property
    def bic(self) -> float:
        """nlme's BIC: ``log(N - p)`` per parameter for REML fits, ``log(N)`` for ML."""
        n = self.nobs - (len(self.column_names) if self.REML else 0)
        return -2 * self.loglik + np.log(n) * self.npar

    @cached_property
    def reml_criterion(self) -> float:
        """``-2`` times the restricted log-likelihood (for ML fits, at the ML estimates)."""
        if self.REML:
            return self.fit.criterion
        from aurora.engine.lme import lme_criterion

        return lme_criterion(self.fit.problem, self.fit.state, True)

    @property
    def deviance(self) -> float:
        """``-2 loglik``."""
        return -2 * self.loglik

    @property
    def nobs(self) -> int:
        return self.fit.problem.n

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(self.fit.messages)

    # ------------------------------------------------------------------ per row
    def _rows(self, values: np.ndarray, name: str) -> pd.Series:
        pos = np.asarray(self.plan.row_index, dtype=np.intp)
        s = pd.Series(np.asarray(values, dtype=float), index=self.data_index[pos], name=name)
        if self.info.na_action == "exclude" and len(pos) < len(self.data_index):
            full = pd.Series(np.nan, index=self.data_index, name=name)
            full.iloc[pos] = s.to_numpy()
            return full
        return s

    @cached_property
    def _mu(self) -> np.ndarray:
        return self.fit.fitted_values() + self.plan.offset

    def _resid(self) -> np.ndarray:
        """Response (the working response for PQL) minus fitted, innermost level."""
        return self.fit.problem.y - self.fit.fitted_values()

    def _pearson(self) -> np.ndarray:
        return self._resid() * np.sqrt(self.fit.problem.w) / self.sigma

    def residuals(self, type: str = "response") -> pd.Series:
        """Residuals at the innermost level (nlme's ``residuals(m, type)``):
        ``"response"`` (y - fitted), ``"pearson"`` (times the square root of the variance
        weights, divided by sigma) or ``"normalized"`` (Pearson residuals times the inverse
        Cholesky factor of each group's correlation matrix, as nlme)."""
        if type == "response":
            r = self._resid()
        elif type == "pearson":
            r = self._pearson()
        elif type == "normalized":
            r = self._pearson()
            corr = self.fit.problem.corr
            if corr is not None:
                r = corr.whiten(r[:, None], self.fit.corr_par, "cholesky")[0][:, 0]
        else:
            raise ValueError(f"unknown residual type {type!r}; use 'response', 'pearson' or "
                             "'normalized'")
        return self._rows(r, "residuals")

    # ------------------------------------------------------------------ random effects
    def ranef(self, cond_var: bool = True) -> dict[str, pd.DataFrame]:
        """Predicted random effects (BLUPs), one DataFrame per grouping factor (lme4's
        layout; ``attrs["condVar"]`` and ``attrs["condsd"]`` hold conditional
        variances)."""
        from aurora.models._mixed_tables import ranef_frames

        return ranef_frames(self.terms, self.fit.b, self.fit.cond_var() if cond_var else None)

    def varcorr(self) -> pd.DataFrame:
        """R's ``as.data.frame(VarCorr(m))`` layout: ``grp``, ``var1``, ``var2``, ``vcov``,
        ``sdcor``."""
        from aurora.models._mixed_tables import varcorr_frame

        return varcorr_frame(self.terms, self.fit.theta, self.sigma)

    # ------------------------------------------------------------------ prediction
    def predict(self, newdata: Any = None, re_form: Any = None, level: int | None = None,
                new_levels: str = "na") -> pd.Series:
        """Predictions (nlme's ``predict.lme``; lme4's ``re_form`` also accepted).

        Parameters
        ----------
        newdata : DataFrame, optional
        re_form : None, "~0" or a formula of bars
            The random effects to include (None: all).
        level : int, optional
            nlme's level: 0 for the population, ``len(levels)`` (the default) for the
            innermost; overrides ``re_form``.
        new_levels : {"na", "population", "error"}
            Rows whose group was not in the fit: NaN (nlme), the population prediction
            (lme4's ``allow.new.levels``) or a :class:`~aurora.errors.FactorLevelError`.
        """
        from aurora.models.lme import predict_lme

        return predict_lme(self, newdata, re_form, level, new_levels)

    # ------------------------------------------------------------------ printing
    def summary(self):
        """nlme's ``summary(m)``; ``str()`` of it is ``print(summary(m))``."""
        from aurora.models.lme import build_nlme_summary

        return build_nlme_summary(self)

    def print_fit(self) -> str:
        """nlme's ``print(m)``."""
        return self.summary().print_fit()

    def __repr__(self) -> str:
        return (f"<LMEResult {self.info.formula!s} ({self.method}, n={self.nobs}, "
                f"groups={self.ngrps})>")
