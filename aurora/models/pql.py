"""``glmm_pql``: generalised linear mixed models by penalised quasi-likelihood
(R: ``MASS::glmmPQL``).

The fit is glmmPQL's (see :mod:`aurora.engine.pql`): iterated nlme-style linear mixed
models, by maximum likelihood, on the working response with fixed working weights. The
result is that last linear mixed model, printed as R prints ``summary(glmmPQL(...))``
(nlme's layout; no likelihood: AIC, BIC and logLik are ``NA``; the ``varFixed(~invwt)``
variance function), with the fitted values on the response scale.
"""
from __future__ import annotations

import warnings
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import ConvergenceWarning, DataError
from aurora.models.lme_result import LMEResult

__all__ = ["glmm_pql", "PQLResult"]


class PQLResult(LMEResult):
    """A GLMM fitted by PQL: the last working linear mixed model plus the family.

    ``fitted`` is on the response scale (``fitted_link`` on the link scale, which is what
    R's ``fitted(glmmPQL fit)`` returns); ``residuals("working")`` are the last linear mixed
    model's residuals (R's ``residuals(fit)``), ``"pearson"`` its standardized residuals
    (the summary's quantiles), ``"response"`` ``y - mu``. ``loglik``, ``aic`` and ``bic``
    are NaN, as glmmPQL sets them (PQL has no likelihood).
    """

    kind = "pql"

    def __init__(self, plan: Any, pql: Any, column_names: tuple[str, ...], levels: list,
                 info: Any, data_index: pd.Index, fixed_df: np.ndarray) -> None:
        super().__init__(plan, pql.lme, column_names, levels, info, data_index, fixed_df)
        self.pql = pql

    @property
    def family(self) -> Any:
        return self.pql.family

    @property
    def n_iter(self) -> int:
        """Linear mixed-model fits made (glmmPQL's ``iteration`` messages)."""
        return self.pql.n_iter

    @property
    def converged(self) -> bool:
        return bool(self.pql.converged and self.fit.converged)

    @property
    def loglik(self) -> float:
        return float("nan")

    @property
    def reml_criterion(self) -> float:
        return float("nan")

    @property
    def fitted(self) -> pd.Series:
        """Fitted means ``linkinv(X beta + Z b + offset)``."""
        return self._rows(self.pql.mu, "fitted")

    @property
    def fitted_link(self) -> pd.Series:
        """``X beta + Z b + offset`` (R's ``fitted()`` of a glmmPQL fit)."""
        return self._rows(self.pql.eta, "fitted_link")

    @cached_property
    def _mu(self) -> np.ndarray:
        return self.pql.eta

    def residuals(self, type: str = "working") -> pd.Series:
        """``"working"`` (working response minus fitted, link scale), ``"pearson"``
        (those scaled by ``sqrt(w_z) / sigma``), ``"normalized"`` or ``"response"``
        (``y - mu``)."""
        if type == "response":
            return self._rows(self.plan.y - self.pql.mu, "residuals")
        return super().residuals("response" if type == "working" else type)

    def predict(self, newdata: Any = None, re_form: Any = None, level: int | None = None,
                new_levels: str = "na", type: str = "link") -> pd.Series:
        """Predictions on the ``"link"`` (default, as R's ``predict``) or ``"response"``
        scale; see :meth:`LMEResult.predict`."""
        eta = super().predict(newdata, re_form, level, new_levels)
        if type == "link":
            return eta
        if type != "response":
            raise ValueError(f"unknown type {type!r}; use 'link' or 'response'")
        vals = eta.to_numpy(dtype=float)
        out = np.full(vals.shape, np.nan)
        ok = ~np.isnan(vals)
        out[ok] = np.asarray(self.family.link.inverse(vals[ok]), dtype=float)
        return pd.Series(out, index=eta.index, name="predict")

    def summary(self):
        """R's ``summary(glmmPQL fit)``."""
        from aurora.models._lme_tables import build_nlme_summary

        nan = float("nan")
        return build_nlme_summary(self, loglik=nan, aic=nan, bic=nan)

    def __repr__(self) -> str:
        return (f"<PQLResult {self.info.formula!s} ({self.family.name}, n={self.nobs}, "
                f"groups={self.ngrps}, iterations={self.n_iter})>")


def glmm_pql(formula: str, data: Any, family: Any, weights: Any = None, offset: Any = None,
             na_action: str = "omit", control: dict | None = None, niter: int = 10,
             verbose: bool = False, correlation: str | None = None,
             data_name: str = "data") -> PQLResult:
    """Fit a GLMM by penalised quasi-likelihood (R: ``MASS::glmmPQL``).

    Parameters
    ----------
    formula : str
        ``response ~ fixed terms + (random | group)`` (binomial responses as in
        ``aurora.glm``: 0/1, proportions with weights, ``cbind(successes, failures)``).
    data : DataFrame
    family : str or Family
    weights, offset : str or array-like, optional
        Prior weights and offset.
    na_action : {"omit", "exclude", "raise"}
    control : dict, optional
        Optimiser settings of each linear mixed-model fit.
    niter : int
        Largest number of linear mixed-model fits (glmmPQL's ``niter``).
    verbose : bool
        Print ``iteration i`` before each fit, as glmmPQL does by default.
    correlation : str, optional
        A residual correlation structure of the working model (``"ar1(time | g)"``).
    data_name : str
        What the summary's ``Data:`` line shows.

    Returns
    -------
    PQLResult

    Warns
    -----
    ConvergenceWarning
        The iterations stopped at ``niter`` before glmmPQL's test was met (R returns
        that last fit silently).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(6)
    >>> g = np.repeat(np.arange(40), 8)
    >>> x = rng.normal(size=320)
    >>> eta = 0.2 + 0.7 * x + rng.normal(size=40)[g]
    >>> df = pd.DataFrame({"y": (rng.uniform(size=320) < 1 / (1 + np.exp(-eta))) * 1.0,
    ...                    "x": x, "g": g})
    >>> m = glmm_pql("y ~ x + (1 | g)", df, "binomial")
    >>> m.converged, list(m.fixef.index)
    (True, ['(Intercept)', 'x'])
    >>> print(m.summary())  # doctest: +ELLIPSIS
    Linear mixed-effects model fit by maximum likelihood
      Data: data 
      AIC BIC logLik
       NA  NA     NA
    ...
    Variance function:
     Structure: fixed weights
     Formula: ~invwt 
    Fixed effects:  y ~ x 
    ...
    """
    from aurora.distributions import get_family
    from aurora.engine.pql import fit_pql
    from aurora.models.lme import prepare_lme

    fam = get_family(family)
    model = prepare_lme(formula, data, correlation, weights, na_action, family=fam,
                        data_name=data_name, variance_formula="~invwt", offset=offset)
    plan = model.plan
    if np.any(plan.weights <= 0):
        raise DataError("glmm_pql needs positive prior weights (glmmPQL's working weights "
                        "would be zero)", "drop the rows with zero weight from the data")
    pql = fit_pql(plan.X, plan.y, plan.random, fam, plan.weights, plan.offset,
                  plan.n_trials, model.corr, niter, verbose, control)
    for m in pql.lme.messages:
        warnings.warn(m, ConvergenceWarning, stacklevel=2)
    if not pql.converged:
        warnings.warn(f"the PQL iterations did not converge in niter = {niter} fits; the last "
                      "fit is returned (as glmmPQL does)", ConvergenceWarning, stacklevel=2)
    return PQLResult(plan, pql, plan.column_names, model.levels, model.info, model.data_index,
                     model.fixed_df)
