"""Influence measures of a GLM (R's ``lm.influence`` applied to the final IRLS fit).

The weighted design of the last IRLS step, ``W^{1/2} X``, plays the role of the linear
model's X (Williams 1987; R's ``influence.glm``, ``rstandard.glm``, ``rstudent.glm``,
``cooks.distance.glm`` and ``dfbetas.lm``). R's conventions for an observation with
leverage 1 are kept exactly:

* hat values at or above ``1 - 10 eps`` become 1 (``lm.influence``);
* such a row's leave-one-out ``sigma`` is ``sqrt(sum(e^2) / (n - p - 1))`` and its DFBETA 0;
* an infinite standardized or studentized residual or Cook's distance becomes NaN
  (``res[is.infinite(res)] <- NaN``), as does 0/0.

Deviance residuals below ``100 eps`` times their median absolute value count as 0, as in
``lm.influence``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["glm_influence"]

_EPS = np.finfo(float).eps


def _residuals(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """Deviance and Pearson residuals of the rows used in the fit (R's ``residuals.glm``)."""
    y = np.asarray(result.plan.y, dtype=float)
    w = np.asarray(result.plan.weights, dtype=float)
    mu = np.asarray(result.estimates.irls.mu, dtype=float)
    fam = result.family
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.asarray(fam.deviance_residuals(y, mu, w), dtype=float)
        dev = np.sign(y - mu) * np.sqrt(np.maximum(d, 0))
        pear = (y - mu) * np.sqrt(w) / np.sqrt(np.asarray(fam.variance(mu), dtype=float))
    return dev, pear


def _nan_inf(x: np.ndarray) -> np.ndarray:
    """R's ``x[is.infinite(x)] <- NaN``."""
    x[np.isinf(x)] = np.nan
    return x


def glm_influence(result: Any) -> pd.DataFrame:
    """Hat values, Cook's distances, standardized/studentized residuals and DFBETAS.

    Parameters
    ----------
    result : GLMResult

    Returns
    -------
    DataFrame
        ``hat``, ``cooks_d``, ``rstandard``, ``rstudent``, ``sigma`` and ``dfb_<name>``
        (DFBETAS) for each estimable coefficient, indexed by the data's row labels: one
        row per observation used with non-zero prior weight (R drops the others). Under
        ``na_action="exclude"`` the omitted rows are put back as R's ``naresid`` does:
        hat and DFBETAS 0, sigma ``sqrt(deviance / df.residual)``, the rest NaN.

    Notes
    -----
    ``(X'WX)^{-1}`` is never formed: the design computes the leverages and the rows of
    ``W^{1/2} X (X'WX)^{-1}`` itself (by QR for a dense design, through the block
    structure for factor-coded ones), so a model with a 1,000-level factor costs
    ``O(n p)``.
    """
    est = result.estimates.irls
    keep = ~est.aliased
    design = result.plan.design()
    if not keep.all():
        design = design.subset(np.flatnonzero(keep))
    w = np.asarray(est.working_weights, dtype=float)
    ok = np.flatnonzero(np.asarray(result.plan.weights, dtype=float) > 0)
    n, p = ok.size, int(keep.sum())
    lev = design.leverage(w) if p else _NoColumns(w.size)
    dev, pear = _residuals(result)
    # R's lm.influence leaves out rows with zero prior weight
    hat, dev, pear = lev.hat[ok], dev[ok], pear[ok]

    hat = np.where(hat >= 1 - 10 * _EPS, 1.0, hat)
    lev1 = hat == 1.0
    e = dev.copy()
    if p:  # lm.influence's rank-0 branch keeps the residuals as they are
        e[np.abs(e) < 100 * _EPS * np.median(np.abs(e))] = 0.0
    disp = float(result.scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        one_h = 1.0 - hat
        ss = float(np.sum(e**2))
        loo = ss - e**2 / np.where(lev1, 1.0, one_h)
        sigma = np.sqrt(np.where(lev1, ss, loo) / (n - p - 1))
        if not p:
            sigma = np.full(n, np.sqrt(result.deviance / result.df_residual))
        cooks = _nan_inf((pear / one_h) ** 2 * hat / (disp * p))
        rstandard = _nan_inf(e / np.sqrt(disp * one_h))
        r = _nan_inf(np.sign(e) * np.sqrt(e**2 + hat * pear**2 / one_h))
        # R's rstudent.glm: sigma only for families other than binomial and poisson
        rstudent = r if result.family.name in ("binomial", "poisson") else r / sigma
        # DFBETAS_ij = ((X'WX)^{-1} x_i)_j w_i^{1/2} e_i / (1 - h_i) / (sigma_i sqrt(C_jj)),
        # with DFBETA 0 where h_i = 1; written straight into the result (it is n x p)
        row_scale = np.where(lev1, 0.0, e / np.where(lev1, 1.0, one_h)) / sigma
        col_scale = 1.0 / np.sqrt(lev.cov_diag)
        data = np.empty((n, 5 + p), order="F")
        for j, v in enumerate((hat, cooks, rstandard, rstudent, sigma)):
            data[:, j] = v
        lev.rows(data[:, 5:], ok, row_scale, col_scale)
    names = [f"dfb_{nm}" for nm, k in zip(result.column_names, keep) if k]
    columns = ["hat", "cooks_d", "rstandard", "rstudent", "sigma"] + names
    out = pd.DataFrame(data, index=result.plan.row_index[ok], columns=columns, copy=False)
    info = result.plan.frame
    if getattr(info, "exclude", False):
        out = _pad_excluded(out, info.input_index, result)
    return out


class _NoColumns:
    """The leverage of a model without coefficients (``y ~ 0``): all zero."""

    def __init__(self, n: int) -> None:
        self.hat = np.zeros(n)
        self.cov_diag = np.zeros(0)

    def rows(self, out: np.ndarray, *args: object) -> None:
        pass


def _pad_excluded(out: pd.DataFrame, input_index: pd.Index, result: Any) -> pd.DataFrame:
    """Rows omitted under na.exclude, as R's ``lm.influence`` and friends report them."""
    full = out.reindex(input_index)
    missing = ~input_index.isin(result.plan.row_index)
    full.loc[missing, "hat"] = 0.0
    full.loc[missing, "sigma"] = np.sqrt(result.deviance / result.df_residual)
    dfb = [c for c in full.columns if c.startswith("dfb_")]
    full.loc[missing, dfb] = 0.0
    return full
