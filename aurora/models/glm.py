"""``GLMResult`` (stage 4) and the matrix-level GLM API of SPEC §2."""
from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aurora.compile.plan import ModelPlan
from aurora.engine.glm import GLMEstimates
from aurora.errors import DataError

__all__ = ["GLMResult", "fit_glm", "predict_glm"]

_SCALE_LOGLIK = ("gaussian", "Gamma", "inverse.gaussian")


class GLMResult:
    """A fitted generalized linear model (R: the ``glm`` object).

    Results hold the plan and the estimates; everything else is derived on demand.

    Attributes
    ----------
    plan : ModelPlan
    estimates : GLMEstimates
    family : Family
    engine : str
    call : str
        The call, printed as R prints ``glm``'s.

    Examples
    --------
    >>> import aurora
    >>> m = aurora.glm("count ~ spray", aurora.datasets.load("InsectSprays"), family="poisson")
    >>> round(float(m.params["sprayB"]), 4)
    0.0559
    """

    def __init__(self, plan: ModelPlan, estimates: GLMEstimates, engine: str = "numpy",
                 call: str | None = None) -> None:
        self.plan = plan
        self.estimates = estimates
        self.family = estimates.family
        self.engine = engine
        self.call = call or f"glm(formula = {plan.spec.formula}, family = {self.family.name})"

    # ------------------------------------------------------------------ coefficients
    @property
    def column_names(self) -> tuple[str, ...]:
        return self.plan.spec.column_names

    @cached_property
    def params(self) -> pd.Series:
        """Coefficients named as R names them; NaN for aliased ones."""
        return pd.Series(self.estimates.irls.beta, index=list(self.column_names), name="coef")

    @property
    def coef(self) -> pd.Series:
        """Alias of :attr:`params` (R's ``coef()``)."""
        return self.params

    @property
    def aliased(self) -> pd.Series:
        return pd.Series(self.estimates.irls.aliased, index=list(self.column_names))

    @property
    def rank(self) -> int:
        return self.estimates.irls.rank

    @property
    def scale(self) -> float:
        """Dispersion (R's ``summary(fit)$dispersion``)."""
        return self.estimates.dispersion

    @cached_property
    def _cov(self) -> np.ndarray:
        return self.estimates.irls.cov_unscaled * self.scale

    def vcov(self, complete: bool = False) -> pd.DataFrame:
        """Covariance matrix of the coefficients (R's ``vcov``).

        Parameters
        ----------
        complete : bool
            Include aliased coefficients as NaN rows and columns.
        """
        names = np.array(self.column_names)
        keep = ~self.estimates.irls.aliased
        if not complete:
            return pd.DataFrame(self._cov, index=names[keep], columns=names[keep])
        full = np.full((len(names), len(names)), np.nan)
        full[np.ix_(keep, keep)] = self._cov
        return pd.DataFrame(full, index=names, columns=names)

    @cached_property
    def bse(self) -> pd.Series:
        """Standard errors; NaN for aliased coefficients."""
        se = np.full(len(self.column_names), np.nan)
        se[~self.estimates.irls.aliased] = np.sqrt(self.estimates.irls.cov_unscaled_diag * self.scale)
        return pd.Series(se, index=list(self.column_names), name="se")

    @property
    def uses_t(self) -> bool:
        """Whether tests use t/F (estimated dispersion) rather than z/chi^2."""
        return self.estimates.dispersion_estimated

    @cached_property
    def tvalues(self) -> pd.Series:
        """z or t statistics (Estimate / Std. Error)."""
        return self.params / self.bse

    @cached_property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values: t with ``df_residual`` when the dispersion is estimated."""
        t = self.tvalues.to_numpy()
        if self.uses_t:
            p = 2 * stats.t.sf(np.abs(t), self.df_residual)
        else:
            p = 2 * stats.norm.sf(np.abs(t))
        return pd.Series(p, index=self.tvalues.index, name="p")

    def conf_int(self, level: float = 0.95, method: str = "profile",
                 parm: Any = None) -> pd.DataFrame:
        """Confidence intervals for the coefficients (R's ``confint``).

        Parameters
        ----------
        level : float
        method : {"profile", "Wald"}
            ``"profile"``: profile likelihood, as R's ``confint(fit)`` (MASS's
            ``profile.glm``; see :mod:`aurora.inference.profile`). ``"Wald"``: estimate
            +/- normal quantile x standard error, as R's ``confint.default(fit)``.
        parm : str, int or sequence of them, optional
            Coefficients to report (default all).

        Returns
        -------
        DataFrame
            Indexed by coefficient, columns ``2.5 %`` and ``97.5 %`` (for ``level=0.9``:
            ``5 %``, ``95 %``); NaN rows for aliased coefficients (R's NA).

        Examples
        --------
        >>> import aurora
        >>> m = aurora.glm("mpg ~ wt", aurora.datasets.load("mtcars"))
        >>> list(m.conf_int().columns)
        ['2.5 %', '97.5 %']
        >>> m.conf_int(method="Wald").round(3).loc["wt"].tolist()
        [-6.44, -4.249]
        """
        from aurora.inference.profile import (check_level, confint_profile, parm_indices,
                                              resolve_ci_method)

        if resolve_ci_method(method) == "profile":
            return confint_profile(self, level, parm)
        check_level(level)
        a = (1 - level) / 2
        q = stats.norm.ppf(1 - a)
        lo = self.params - q * self.bse
        hi = self.params + q * self.bse
        ci = pd.DataFrame({_pct(a): lo, _pct(1 - a): hi})
        return ci if parm is None else ci.iloc[parm_indices(list(self.column_names), parm)]

    # ------------------------------------------------------------------ fit summaries
    def _rows(self, values: np.ndarray, name: str | None = None) -> pd.Series:
        """Per-row values as a Series on the data's row labels; under
        ``na_action="exclude"`` padded with NaN at the omitted rows (R's ``naresid``)."""
        s = pd.Series(np.asarray(values, dtype=float), index=self.plan.row_index, name=name)
        info = self.plan.frame
        if info.exclude:
            s = s.reindex(info.input_index)
        return s

    def _rows_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A per-row DataFrame on the data's row labels (padded under ``na.exclude``)."""
        frame = frame.set_axis(self.plan.row_index, axis=0)
        info = self.plan.frame
        return frame.reindex(info.input_index) if info.exclude else frame

    @property
    def fitted(self) -> pd.Series:
        """Fitted means (response scale), a Series on the data's row labels (R's
        ``fitted()``; NaN at omitted rows under ``na_action="exclude"``)."""
        return self._rows(self.estimates.irls.mu, "fitted")

    fittedvalues = fitted

    @property
    def linear_predictors(self) -> pd.Series:
        """eta, offset included (R's ``fit$linear.predictors``: the rows used)."""
        return pd.Series(self.estimates.irls.eta, index=self.plan.row_index, name="eta")

    @property
    def y(self) -> np.ndarray:
        return self.plan.y

    @property
    def prior_weights(self) -> np.ndarray:
        return self.plan.weights

    @property
    def deviance(self) -> float:
        return self.estimates.irls.deviance

    @property
    def null_deviance(self) -> float:
        return self.estimates.null_deviance

    @property
    def df_residual(self) -> int:
        return self.estimates.df_residual

    @property
    def df_null(self) -> int:
        return self.estimates.df_null

    @property
    def nobs(self) -> int:
        """Observations with non-zero prior weight (R's ``nobs.glm``)."""
        return self.estimates.n_ok

    @property
    def converged(self) -> bool:
        return self.estimates.irls.converged

    @property
    def n_iter(self) -> int:
        return self.estimates.irls.n_iter

    @property
    def trace(self):
        return self.estimates.irls.trace

    @property
    def n_omitted(self) -> int:
        return self.plan.frame.n_omitted

    @property
    def separation(self) -> bool:
        return self.estimates.separation

    @property
    def messages(self) -> tuple[str, ...]:
        """The warnings the fit issued (non-convergence, separation, aliasing), as text."""
        return self.estimates.messages

    @property
    def theta(self) -> float | None:
        """Negative binomial theta (estimated or fixed), else None."""
        if self.estimates.theta is not None:
            return self.estimates.theta
        return getattr(self.family, "theta", None)

    @cached_property
    def _family_aic(self) -> float:
        return float(self.family.aic(self.y, self.estimates.irls.mu, self.prior_weights, self.deviance,
                                     n_trials=self.plan.n_trials))

    @property
    def loglik_df(self) -> int:
        """Degrees of freedom of the log-likelihood (R's ``attr(logLik, "df")``)."""
        extra = 1 if (self.family.name in _SCALE_LOGLIK or self.estimates.twologlik is not None) else 0
        return self.rank + extra

    @cached_property
    def aic(self) -> float:
        """AIC as R reports it (NaN for quasi families)."""
        if self.estimates.twologlik is not None:
            return -self.estimates.twologlik + 2 * self.rank + 2
        return self._family_aic + 2 * self.rank

    @cached_property
    def loglik(self) -> float:
        """Log-likelihood as R's ``logLik`` (NaN for quasi families)."""
        if self.estimates.twologlik is not None:
            return self.estimates.twologlik / 2
        return self.loglik_df - self.aic / 2

    @cached_property
    def bic(self) -> float:
        # R's BIC takes n from logLik's "nobs": every row used, zero weights included
        return -2 * self.loglik + np.log(self.plan.nobs) * self.loglik_df

    # ------------------------------------------------------------------ residuals
    def residuals(self, type: str = "deviance") -> pd.Series:
        """Residuals of the given type (R's ``residuals.glm``), a Series on the data's
        row labels (NaN at omitted rows under ``na_action="exclude"``).

        Parameters
        ----------
        type : {"deviance", "pearson", "response", "working"}

        Examples
        --------
        >>> import aurora
        >>> m = aurora.glm("mpg ~ wt", aurora.datasets.load("trees").set_index("Height"))
        Traceback (most recent call last):
        ...
        aurora.errors.UnknownVariableError: ...
        >>> trees = aurora.datasets.load("trees").rename(index=lambda i: f"tree{i + 1}")
        >>> m = aurora.glm("Volume ~ Girth", trees, subset="Girth > 10")
        >>> m.residuals("response").index[:2].tolist()
        ['tree4', 'tree5']
        """
        return self._rows(self._residuals(type), type)

    def _residuals(self, type: str = "deviance") -> np.ndarray:
        """Residuals of the rows used in the fit, as an array (what summaries use)."""
        y, mu, w = self.y, self.estimates.irls.mu, self.prior_weights
        if type == "response":
            return y - mu
        if type == "working":
            return self.estimates.irls.working_residuals
        with np.errstate(divide="ignore", invalid="ignore"):
            if type == "pearson":
                var = np.asarray(self.family.variance(mu), dtype=float)
                return (y - mu) * np.sqrt(w) / np.sqrt(var)
            if type == "deviance":
                d = np.asarray(self.family.deviance_residuals(y, mu, w), dtype=float)
                return np.sign(y - mu) * np.sqrt(np.maximum(d, 0))
        raise DataError(f"unknown residual type {type!r}",
                        "use 'deviance', 'pearson', 'response' or 'working'")

    @property
    def resid_deviance(self) -> pd.Series:
        return self.residuals("deviance")

    # ------------------------------------------------------------------ inference helpers
    def influence(self) -> pd.DataFrame:
        """Influence measures (R's ``influence.measures`` pieces for a glm).

        Returns
        -------
        DataFrame
            Indexed by the data's row labels (rows with zero prior weight left out, as R;
            under ``na_action="exclude"`` the omitted rows padded as R pads them: ``hat``
            and DFBETAS 0, ``sigma`` the fit's, the rest NaN). Columns ``hat``,
            ``cooks_d``, ``rstandard``, ``rstudent``, ``sigma`` and one ``dfb_<coef>``
            column per estimable coefficient (R's ``dfbetas``).
        """
        from aurora.models._influence import glm_influence

        infl = glm_influence(self)
        info = self.plan.frame
        if info.exclude:
            # na.exclude, as R's lm.influence pads: omitted rows have leverage 0 and no
            # change in coefficients, sigma is the fit's, the rest NA
            infl = infl.reindex(info.input_index)
            gone = ~info.input_index.isin(self.plan.row_index)
            zero = ["hat"] + [c for c in infl.columns if c.startswith("dfb_")]
            infl.loc[gone, zero] = 0.0
            if "sigma" in infl.columns:
                infl.loc[gone, "sigma"] = float(np.sqrt(self.deviance / self.df_residual))
        return infl

    def summary(self):
        """An R-style summary (``summary.glm``); ``str()`` gives the report."""
        from aurora.report.glm import GLMSummary

        return GLMSummary(self)

    def __str__(self) -> str:
        from aurora.report.glm import format_glm_print

        return format_glm_print(self)

    def __repr__(self) -> str:
        return f"<GLMResult {self.plan.spec.formula} family={self.family.name} n={self.nobs}>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    # ------------------------------------------------------------------ prediction
    def predict(self, newdata: Any = None, type: str = "link", se_fit: bool = False,
                interval: str | None = None, level: float = 0.95, offset: Any = None):
        """Predictions (R's ``predict.glm``).

        Parameters
        ----------
        newdata : DataFrame, optional
            Defaults to the data used in the fit.
        type : {"link", "response", "lpmatrix", "terms"}
        se_fit : bool
            Also return standard errors (delta method on the response scale).
        interval : {None, "confidence"}
            Add Wald confidence limits (computed on the link scale and transformed).
        level : float
        offset : array-like, optional
            Offset for new data when the model's ``offset=`` was an array.

        Returns
        -------
        ndarray, or DataFrame with ``fit``, ``se_fit``, ``lower``, ``upper`` columns.
        """
        from aurora.models._predict import predict_glm_result

        return predict_glm_result(self, newdata, type, se_fit, interval, level, offset)

    # ------------------------------------------------------------------ model comparison
    def anova(self, *others: "GLMResult", test: str | None = None) -> pd.DataFrame:
        """Analysis of deviance (R's ``anova.glm``).

        With no other model, the sequential table of terms; with others, a comparison of
        nested models. ``test`` is "Chisq" (alias "LRT"), "F" or None.
        """
        from aurora.inference.anova import anova_glm

        return anova_glm(self, *others, test=test)

    def plot_diagnostics(self, path: str | None = None):
        """The four diagnostic panels of R's ``plot.lm``; returns the Figure."""
        from aurora.plot.diagnostics import plot_glm_diagnostics

        return plot_glm_diagnostics(self, path)

    def plot(self, *args: Any, **kwargs: Any):
        """Same as :meth:`plot_diagnostics` for a GLM."""
        return self.plot_diagnostics(*args, **kwargs)

    def save(self, path: str) -> None:
        """Save to a versioned, pickle-free file; reload with :func:`aurora.load`."""
        from aurora.io.store import save_result

        save_result(self, path)


def _pct(p: float) -> str:
    return f"{100 * p:.3g} %"


# ---------------------------------------------------------------------- matrix level
def _as_2d(X: Any) -> tuple[np.ndarray, list[str]]:
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype=float), [str(c) for c in X.columns]
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    return arr, [f"X{j}" for j in range(arr.shape[1])]


def fit_glm(X: Any, y: Any, family: Any = "gaussian", link: Any = None, weights: Any = None,
            offset: Any = None, backend: Any = None) -> GLMResult:
    """Fit a GLM to a matrix (SPEC §2); an intercept column named ``intercept`` is added.

    Parameters
    ----------
    X : array-like, shape (n, p)
        NumPy, pandas, PyTorch or JAX arrays; columns are named ``X0, X1, ...`` or after
        a DataFrame's columns.
    y : array-like, shape (n,)
    family, link : str or object
    weights, offset : array-like, optional
    backend : {"numpy", "jax", "torch", "pytorch"}, optional

    Returns
    -------
    GLMResult

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.models.glm import fit_glm
    >>> X = np.arange(10.0)[:, None]
    >>> r = fit_glm(X, 2 + 3 * X[:, 0] + np.sin(X[:, 0]))
    >>> list(r.params.index)
    ['intercept', 'X0']
    """
    arr, names = _as_2d(X)
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    yv = np.asarray(y, dtype=float).ravel()
    if yv.shape[0] != arr.shape[0]:
        raise DataError(f"y has {yv.shape[0]} values but X has {arr.shape[0]} rows")
    from aurora.api import _fit_plan
    from aurora.compile.matrix import compile_matrix_plan
    from aurora.distributions import get_family

    fam = get_family(family, link=link)
    plan = compile_matrix_plan(arr, yv, names, fam, weights, offset)
    result = _fit_plan(plan, fam, backend or "numpy", call=f"fit_glm(X, y, family = {family!r})")
    result._matrix_rename = {f"v{j}": n for j, n in enumerate(names)}
    return result


def predict_glm(result: GLMResult, X_new: Any, type: str = "response", **kwargs: Any):
    """Predict from a :func:`fit_glm` result with a new matrix (SPEC §2)."""
    arr, _ = _as_2d(X_new)
    df = pd.DataFrame({f"v{j}": arr[:, j] for j in range(arr.shape[1])})
    return result.predict(df, type=type, **kwargs)
