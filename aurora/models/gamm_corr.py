"""``fit_gamm`` with ``RandomEffect(covariance="ar1" | "compound_symmetry")``: nlme's
residual correlation within the effect's groups (``corAR1`` / ``corCompSymm``), beside any
other random effects, fitted by :func:`aurora.engine.lme.fit_lme_corr`."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from aurora.errors import ModelSpecError

__all__ = ["GammCorrFit", "fit_with_correlation"]


class GammCorrFit:
    """A :func:`~aurora.models.gamm.fit_gamm` fit with a residual correlation structure.

    Attributes
    ----------
    lme_fit : LMEFit
        The engine's estimates (:mod:`aurora.engine.lme_fit`).
    column_names : tuple of str
    correlation : {"ar1", "compound_symmetry"}
    """

    def __init__(self, lme_fit: Any, column_names: tuple[str, ...], correlation: str,
                 n_obs: int) -> None:
        self.lme_fit = lme_fit
        self.column_names = column_names
        self.correlation = correlation
        self.nobs = n_obs

    @property
    def fixef(self) -> pd.Series:
        return pd.Series(self.lme_fit.beta, index=list(self.column_names), name="fixef")

    params = fixef
    coef = fixef

    @property
    def beta_parametric(self) -> np.ndarray:
        return np.asarray(self.lme_fit.beta, dtype=float)

    beta = beta_parametric

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.lme_fit.vcov)), index=list(self.column_names))

    def vcov(self) -> pd.DataFrame:
        names = list(self.column_names)
        return pd.DataFrame(self.lme_fit.vcov, index=names, columns=names)

    @property
    def sigma(self) -> float:
        return float(self.lme_fit.sigma)

    @property
    def residual_variance(self) -> float:
        return float(self.lme_fit.sigma ** 2)

    @property
    def rho(self) -> float:
        """AR(1) ``phi`` or the compound-symmetry correlation."""
        return float(self.lme_fit.rho)

    @property
    def variance_components(self) -> Any:
        """The other random effects' covariance matrices (SPEC §3 layout), or, without
        other random effects, the residual covariance of two consecutive observations of a
        group, ``sigma^2 [[1, rho], [rho, 1]]``."""
        vc = self.lme_fit.covariances()
        if not vc:
            s2, r = self.residual_variance, self.rho
            return s2 * np.array([[1.0, r], [r, 1.0]])
        return vc[0] if len(vc) == 1 else vc

    @property
    def covariance_params(self) -> list[np.ndarray]:
        """``[log sigma^2, atanh(rho)]`` (AR(1)) or ``[log sigma^2, nlme's unconstrained
        compound-symmetry parameter]``."""
        second = np.arctanh(self.rho) if self.correlation == "ar1" else self.lme_fit.corr_par
        return [np.array([np.log(self.residual_variance), float(second)])]

    @property
    def loglik(self) -> float:
        return float(self.lme_fit.loglik)

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.lme_fit.npar

    @property
    def bic(self) -> float:
        return -2 * self.loglik + np.log(self.nobs) * self.lme_fit.npar

    @property
    def converged(self) -> bool:
        return bool(self.lme_fit.converged)

    def __repr__(self) -> str:
        return (f"<GammCorrFit {self.correlation}: rho={self.rho:.4g}, "
                f"sigma={self.sigma:.4g}, n={self.nobs}>")


def fit_with_correlation(y: np.ndarray, Xf: np.ndarray, names: tuple[str, ...],
                         effects: list, corr: list, frame: pd.DataFrame,
                         groups: pd.DataFrame, covariance: str | None, REML: bool,
                         make_term: Callable) -> GammCorrFit:
    """Fit with one correlation structure (the ``corr`` effect's groups) and the other
    effects as random-effect terms."""
    from aurora.compile.random_terms import combine_terms
    from aurora.engine.lme import fit_lme_corr

    if len(corr) > 1:
        raise ModelSpecError("more than one random effect with an ar1/compound_symmetry "
                             "covariance", "give one correlation structure")
    n = y.size
    ce = corr[0]
    kind = covariance or ce.covariance
    cterm = make_term(type(ce)(ce.grouping), frame, groups, n, "identity", 0)
    others = [make_term(re, frame, groups, n, None if covariance in ("ar1", "compound_symmetry")
                        else covariance, i) for i, re in enumerate(effects) if re is not ce]
    terms = combine_terms(others, None, n, check=True) if others else None
    lf = fit_lme_corr(Xf, y, terms, cterm.codes, "ar1" if kind == "ar1" else "cs", REML=REML)
    return GammCorrFit(lf, names, kind, n)
