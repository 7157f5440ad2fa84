"""``GAMResult``: a fitted generalized additive model (R: mgcv's ``gam`` object).

The result holds the compiled plan (columns, penalty blocks, the spec that rebuilds them
for new data) and the engine's :class:`~aurora.engine.smoothing.SmoothingFit`; every
other quantity is derived on demand, with mgcv's names.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import DataError

__all__ = ["GAMResult"]


class GAMResult:
    """A fitted GAM (mgcv's ``gam`` object).

    Attributes
    ----------
    plan : ModelPlan
        Model matrix (parametric columns, then each smooth's), penalty blocks, spec.
    fit : SmoothingFit
        The engine's estimates: coefficients, ``sp``, ``Vp``, ``edf``...
    family : Family
    method : str
        mgcv's method: ``"REML"``, ``"ML"``, ``"GCV"``, ``"UBRE"``.
    formula : str
        The formula as R prints it.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"x": rng.uniform(size=200)})
    >>> d["y"] = np.sin(6 * d["x"]) + rng.normal(scale=0.3, size=200)
    >>> m = aurora.gam("y ~ s(x)", d)
    >>> list(m.edf.index)
    ['s(x)']
    """

    def __init__(self, plan: Any, fit: Any, family: Any, method: str, formula: str,
                 engine: str = "numpy", P: np.ndarray | None = None) -> None:
        self.plan = plan
        self.fit = fit
        self.family = family
        self.method = method
        self.formula = formula
        self.engine = engine
        self.P = P  # mgcv's G$P (t2 terms): fitting -> prediction parametrisation
        self.model_frame: pd.DataFrame | None = None  # mgcv's m$model (set by aurora.gam)

    @cached_property
    def _coefficients(self) -> np.ndarray:
        """Coefficients in the prediction parametrisation (mgcv's ``coef(m)``)."""
        b = self.fit.coefficients
        return b if self.P is None else self.P @ b

    def _congruent(self, V: np.ndarray) -> np.ndarray:
        return V if self.P is None else self.P @ V @ self.P.T

    # ---------------------------------------------------------------- coefficients
    @property
    def column_names(self) -> tuple[str, ...]:
        return self.plan.spec.column_names

    @cached_property
    def params(self) -> pd.Series:
        """Coefficients named as mgcv names them (``(Intercept)``, ``s(x).1``...)."""
        return pd.Series(self._coefficients, index=list(self.column_names), name="coef")

    @property
    def coef(self) -> pd.Series:
        """Alias of :attr:`params` (R's ``coef()``)."""
        return self.params

    @property
    def smooths(self) -> tuple:
        """The penalty blocks of the smooth terms, in model order."""
        return self.plan.penalties

    @cached_property
    def Vp(self) -> pd.DataFrame:
        """Bayesian posterior covariance of the coefficients (mgcv's ``m$Vp``)."""
        names = list(self.column_names)
        return pd.DataFrame(self._congruent(self.fit.Vp), index=names, columns=names)

    @cached_property
    def Ve(self) -> pd.DataFrame:
        """Frequentist covariance of the coefficients (mgcv's ``m$Ve``)."""
        names = list(self.column_names)
        return pd.DataFrame(self._congruent(self.fit.Ve), index=names, columns=names)

    def vcov(self) -> pd.DataFrame:
        """mgcv's ``vcov.gam``: the Bayesian covariance :attr:`Vp`."""
        return self.Vp

    @cached_property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.Vp.to_numpy())), index=list(self.column_names),
                         name="se")

    @cached_property
    def coef_edf(self) -> pd.Series:
        """Effective degrees of freedom of each coefficient (mgcv's ``m$edf``)."""
        return pd.Series(self.fit.edf, index=list(self.column_names), name="edf")

    @cached_property
    def edf(self) -> pd.Series:
        """Effective degrees of freedom of each smooth, labelled as mgcv prints them."""
        e = self.fit.edf
        return pd.Series([float(e[b.start:b.stop].sum()) for b in self.smooths],
                         index=[b.label for b in self.smooths], name="edf")

    @cached_property
    def sp(self) -> pd.Series:
        """Smoothing parameters as mgcv's ``m$sp``: one per penalty (``s(x)``,
        ``te(x,z)1``, ``te(x,z)2``), except that smooths sharing an ``id`` share one entry,
        named after the first of them (see :attr:`full_sp` for one per penalty)."""
        full = self.full_sp
        if all(b.id is None for b in self.smooths):
            return full
        keep, seen, j = [], set(), 0
        for b in self.smooths:
            for k in range(len(b.matrices)):
                key = (str(b.id), k) if b.id is not None else (id(b), k)
                if key not in seen:
                    seen.add(key)
                    keep.append(j)
                j += 1
        return full.iloc[keep]

    @cached_property
    def full_sp(self) -> pd.Series:
        """The smoothing parameter of every penalty (mgcv's ``m$full.sp``)."""
        names = []
        for b, spec in zip(self.smooths, self.plan.spec.smooths):
            k = len(b.matrices)
            labels = spec.state.get("penalty_labels")
            if labels is not None and len(labels) == k:
                names += [f"{b.label}{lab}" for lab in labels]
            else:
                names += [b.label] if k == 1 else [f"{b.label}{j + 1}" for j in range(k)]
        return pd.Series(np.asarray(self.fit.sp_full, dtype=float), index=names, name="sp")

    # ---------------------------------------------------------------- fit summaries
    @property
    def reml_score(self) -> float:
        """mgcv's ``gcv.ubre``: the REML/ML score (as printed, ``-REML``) or GCV/UBRE."""
        return float(self.fit.gcv_ubre)

    @property
    def scale(self) -> float:
        return float(self.fit.scale)

    @property
    def deviance(self) -> float:
        return float(self.fit.deviance)

    @property
    def null_deviance(self) -> float:
        return float(self.fit.null_deviance)

    @property
    def converged(self) -> bool:
        return bool(self.fit.converged)

    @property
    def nobs(self) -> int:
        return int(len(self.plan.y))

    @property
    def df_residual(self) -> float:
        """mgcv's ``df.residual``: n minus the sum of the ``edf``."""
        return float(self.nobs - self.fit.edf.sum())

    def _rows(self, values: np.ndarray, name: str) -> pd.Series:
        s = pd.Series(np.asarray(values, dtype=float), index=self.plan.row_index, name=name)
        info = self.plan.frame
        return s.reindex(info.input_index) if info.exclude else s

    @property
    def fitted(self) -> pd.Series:
        """Fitted means on the data's row labels."""
        return self._rows(self.fit.fitted_values, "fitted")

    @property
    def linear_predictors(self) -> pd.Series:
        return pd.Series(self.fit.linear_predictors, index=self.plan.row_index, name="eta")

    def residuals(self, type: str = "deviance") -> pd.Series:
        """Residuals (mgcv's ``residuals.gam``): deviance, pearson, working or response."""
        y, mu, w = self.plan.y, self.fit.fitted_values, self.plan.weights
        fam = self.family
        with np.errstate(divide="ignore", invalid="ignore"):
            if type == "response":
                r = y - mu
            elif type == "pearson":
                r = (y - mu) * np.sqrt(w) / np.sqrt(np.asarray(fam.variance(mu), dtype=float))
            elif type == "working":
                eta = self.fit.linear_predictors
                r = (y - mu) / np.asarray(fam.link.inverse_derivative(eta), dtype=float)
            elif type == "deviance":
                d = np.asarray(fam.deviance_residuals(y, mu, w), dtype=float)
                r = np.sign(y - mu) * np.sqrt(np.maximum(d, 0))
            else:
                raise DataError(f"unknown residual type {type!r}",
                                "use 'deviance', 'pearson', 'working' or 'response'")
        return self._rows(r, type)

    # ---------------------------------------------------------------- likelihood
    def _summary_input(self):
        from aurora.inference.smooth_tests import SmoothFitSummaryInput, SmoothInfo

        fit, plan = self.fit, self.plan
        sp = np.asarray(fit.sp_full, dtype=float)
        infos, j = [], 0
        for b in self.smooths:
            k = len(b.matrices)
            infos.append(SmoothInfo(b.label, b.start, b.stop, b.null_space_dim, fixed=b.fx,
                                    random=getattr(b, "bs", None) == "re",
                                    penalties=tuple(b.matrices), sp=tuple(sp[j:j + k])))
            j += k
        spec = plan.spec
        n_par = self.smooths[0].start if self.smooths else len(self.column_names)
        labels = [t for t in spec.term_labels[:len(spec.term_labels) - len(self.smooths)]
                  if t != "(Intercept)"]
        assign = []
        for label, cols in zip(spec.term_labels, spec.term_columns):
            if cols and cols[0] < n_par:
                idx = 0 if label == "(Intercept)" else labels.index(label) + 1
                assign += [idx] * len(cols)
        w = np.asarray(fit.working_weights, dtype=float)
        R = np.sqrt(np.maximum(w, 0))[:, None] * plan.X
        return SmoothFitSummaryInput(
            coef=self._coefficients, coef_names=self.column_names,
            Vp=self._congruent(fit.Vp), edf=fit.edf,
            smooths=tuple(infos), y=plan.y, fitted=fit.fitted_values,
            prior_weights=plan.weights, scale=fit.scale, scale_estimated=fit.scale_estimated,
            deviance=fit.deviance, null_deviance=fit.null_deviance, R=R,
            Ve=self._congruent(fit.Ve),
            edf1=fit.edf1, edf2=fit.edf2, n_parametric=n_par, assign=tuple(assign),
            term_labels=tuple(labels), aic=fit.aic,
            family=getattr(fit, "family_label", None) or self.family.name,
            n_theta=getattr(fit, "n_theta", 0),
            link=self.family.link.name, formula=self.formula, method=self.method,
            sp_criterion=fit.gcv_ubre)

    @cached_property
    def _loglik(self):
        from aurora.inference.smooth_tests import loglik_gam

        return loglik_gam(self._summary_input())

    @property
    def loglik(self) -> float:
        """mgcv's ``logLik.gam``."""
        return float(self._loglik.value)

    @property
    def loglik_df(self) -> float:
        """Degrees of freedom of the log-likelihood (mgcv's ``attr(logLik(m), "df")``)."""
        return float(self._loglik.df)

    @cached_property
    def aic(self) -> float:
        from aurora.inference.smooth_tests import aic_gam

        return float(aic_gam(self._summary_input()))

    @cached_property
    def bic(self) -> float:
        from aurora.inference.smooth_tests import bic_gam

        return float(bic_gam(self._summary_input()))

    def summary(self):
        """mgcv's ``summary.gam``: ``str()`` prints it; ``p_table``, ``s_table``, ``r_sq``,
        ``dev_expl`` hold the numbers."""
        from aurora.inference.smooth_tests import summary_gam
        from aurora.report.gam import GAMSummary

        return GAMSummary(summary_gam(self._summary_input()))

    def __str__(self) -> str:
        return str(self.summary())

    def __repr__(self) -> str:
        return f"<GAMResult {self.formula} family={self.family.name} n={self.nobs}>"

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def plot(self, select: Any = None, residuals: bool = False, rug: bool = True,
             se: bool = True, scheme: int = 0, path: Any = None, data: Any = None, **kwargs: Any):
        """mgcv's ``plot.gam``: each smooth with its 95% band (2 se), a rug and optional
        partial residuals; 2-D smooths as contours (``scheme=0``) or a heat map
        (``scheme=1``). Returns a matplotlib Figure, saved to ``path`` when given.
        ``data`` is needed only for a result loaded from a file."""
        from aurora.plot.gam import plot_gam

        return plot_gam(self, select=select, residuals=residuals, rug=rug, se=se,
                        scheme=scheme, path=path, data=data, **kwargs)

    def check(self, k_rep: int = 200, seed: int | None = 0, data: Any = None):
        """mgcv's ``gam.check``: convergence report, k-index table (``k'``, edf, k-index,
        p-value by reshuffling; NumPy's generator, not R's) and four residual panels."""
        from aurora.inference.gam_check import gam_check

        return gam_check(self, k_rep=k_rep, seed=seed, data=data)

    def anova(self, *others: "GAMResult", test: str | None = None, freq: bool = False):
        """mgcv's ``anova.gam``: the term tests of one model, or an analysis of deviance
        between nested models (``test`` = "F", "Chisq"/"LRT" or None)."""
        from aurora.inference.anova_gam import anova_gam

        return anova_gam(self, *others, test=test, freq=freq)

    def concurvity(self, full: bool = True):
        """mgcv's ``concurvity``: worst/observed/estimate per term (``full=True``) or the
        pairwise matrices (``full=False``)."""
        from aurora.inference.concurvity import concurvity

        return concurvity(self, full)

    def save(self, path: str) -> None:
        """Save to a versioned, pickle-free, checksummed file; reload with :func:`aurora.load`."""
        from aurora.io.store import save_result

        save_result(self, path)

    # ---------------------------------------------------------------- prediction
    def predict(self, newdata: Any = None, type: str = "link", se_fit: bool = False,
                offset: Any = None):
        """Predictions (mgcv's ``predict.gam``): ``type`` is ``"link"``, ``"response"``,
        ``"terms"`` or ``"lpmatrix"``; ``se_fit`` adds Bayesian standard errors from
        :attr:`Vp`.

        ``type="terms"`` gives one column per parametric term (not centred, as mgcv) and per
        smooth; the intercept is in ``.attrs["constant"]``; with ``se_fit`` the frame has
        two column levels, ``["fit"]`` and ``["se_fit"]``, as R's ``$fit`` and ``$se.fit``.
        """
        if type not in ("link", "response", "lpmatrix", "terms"):
            raise DataError(f"unknown prediction type {type!r}",
                            "use 'link', 'response', 'terms' or 'lpmatrix'")
        spec = self.plan.spec
        if newdata is None:  # the fitting parametrisation: plan.X with the fit's coefficients
            X, off, index = self.plan.X, self.plan.offset, self.plan.row_index
            beta, V = self.fit.coefficients, self.fit.Vp
            if (spec.offset_arg or spec.offset_array) and offset is None:
                # mgcv's predict.gam leaves out an offset= given to gam (formula offset()
                # terms stay), on the fitting data too
                off = self._formula_offset()
        else:
            frame = newdata if isinstance(newdata, pd.DataFrame) else pd.DataFrame(newdata)
            X, index = spec.model_matrix(frame), frame.index
            # mgcv's predict.gam keeps only the formula's offset() terms (an offset= of
            # the fit is not applied to new data unless given here)
            off = spec.offset(frame, 0.0 if offset is None else offset)
            beta, V = self._coefficients, self._congruent(self.fit.Vp)
        if type == "lpmatrix":
            return pd.DataFrame(X, columns=list(self.column_names), index=index)
        if type == "terms":
            return self._terms(X, index, se_fit, beta, V)
        with np.errstate(invalid="ignore", over="ignore"):
            eta = X @ beta + off
            se = np.sqrt(np.einsum("ij,jk,ik->i", X, V, X)) if se_fit else None
            link = self.family.link
            if type == "response":
                fit = np.asarray(link.inverse(eta), dtype=float)
                if se is not None:
                    se = se * np.abs(np.asarray(link.inverse_derivative(eta), dtype=float))
            else:
                fit = eta
        if se_fit:
            return pd.DataFrame({"fit": fit, "se_fit": se}, index=index)
        return pd.Series(fit, index=index, name="fit")

    def _formula_offset(self) -> np.ndarray:
        spec = self.plan.spec
        if not spec.offset_exprs:
            return np.zeros(len(self.plan.y))
        if self.model_frame is None:
            raise DataError("this result has no model frame to evaluate its offset() terms",
                            "pass newdata= (the data the model was fitted on)")
        return spec.offset(self.model_frame, 0.0)

    def _terms(self, X: np.ndarray, index: Any, se_fit: bool, beta: np.ndarray,
               V: np.ndarray):
        spec = self.plan.spec
        fit, se = {}, {}
        constant = 0.0
        for label, cols in zip(spec.term_labels, spec.term_columns):
            c = list(cols)
            if label == "(Intercept)":
                constant = float(beta[c[0]])
                continue
            Xt = X[:, c]
            fit[label] = Xt @ beta[c]
            if se_fit:
                se[label] = np.sqrt(np.maximum(
                    np.einsum("ij,jk,ik->i", Xt, V[np.ix_(c, c)], Xt), 0.0))
        out = pd.DataFrame(fit, index=index)
        if se_fit:
            out = pd.concat({"fit": out, "se_fit": pd.DataFrame(se, index=index)}, axis=1)
        out.attrs["constant"] = constant
        return out
