"""Influence measures of a GLM (R's ``lm.influence`` applied to the final IRLS fit)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["glm_influence"]


def glm_influence(result: Any) -> pd.DataFrame:
    """Hat values, Cook's distances, standardized/studentized residuals and DFBETAS.

    The weighted design of the last IRLS step, ``W^{1/2} X``, plays the role of the
    linear model's X (Williams 1987; R's ``influence.measures`` for a ``glm``).

    Parameters
    ----------
    result : GLMResult

    Returns
    -------
    DataFrame
        ``hat``, ``cooks_d``, ``rstandard``, ``rstudent``, ``sigma`` and ``dfb_<name>``
        (DFBETAS) for each estimable coefficient; one row per observation with non-zero
        prior weight (R drops the others).
    """
    est = result.estimates.irls
    keep = ~est.aliased
    X = result.plan.X[:, keep]
    w = est.working_weights
    sw = np.sqrt(w)
    Xw = X * sw[:, None]
    cov_u = est.cov_unscaled
    A = Xw @ cov_u
    hat = np.einsum("ij,ij->i", A, Xw)
    hat = np.where(w > 0, hat, 0.0)
    pear = result.residuals("pearson")
    dev = result.residuals("deviance")
    # R's lm.influence on a glm works with weighted.residuals(), i.e. deviance residuals
    e = np.where(result.prior_weights > 0, dev, 0.0)
    n_ok = int(np.sum(result.prior_weights > 0))
    p = result.rank
    one_h = 1 - hat
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt((np.sum(e**2) - e**2 / one_h) / (n_ok - p - 1))
        disp = result.scale
        cooks = (pear / one_h) ** 2 * hat / (disp * p)
        rstandard = dev / np.sqrt(disp * one_h)
        r = np.sign(dev) * np.sqrt(dev**2 + hat * pear**2 / one_h)
        # R's rstudent.glm: no (1 - h) in the denominator, sigma only for families
        # other than binomial and poisson
        rstudent = r if result.family.name in ("binomial", "poisson") else r / sigma
        dfbeta = A * (e / one_h)[:, None]
        dfbetas = dfbeta / np.outer(sigma, np.sqrt(np.diag(cov_u)))
    names = [n for n, k in zip(result.column_names, keep) if k]
    out = pd.DataFrame({"hat": hat, "cooks_d": cooks, "rstandard": rstandard,
                        "rstudent": rstudent, "sigma": sigma}, index=result.plan.row_index)
    for j, name in enumerate(names):
        out[f"dfb_{name}"] = dfbetas[:, j]
    # R's lm.influence leaves out rows with zero prior weight
    return out.loc[result.prior_weights > 0]
