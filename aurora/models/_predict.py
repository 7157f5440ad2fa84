"""Prediction for GLM results (R's ``predict.glm``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aurora.errors import DataError

__all__ = ["predict_glm_result"]

_TYPES = ("link", "response", "lpmatrix", "terms")


def _newdata_frame(result: Any, newdata: Any) -> pd.DataFrame:
    rename = getattr(result, "_matrix_rename", None)
    if rename is None:
        return newdata if isinstance(newdata, pd.DataFrame) else pd.DataFrame(newdata)
    inverse = {v: k for k, v in rename.items()}
    if isinstance(newdata, pd.DataFrame):
        return newdata.rename(columns=inverse)
    if hasattr(newdata, "detach"):
        newdata = newdata.detach().cpu().numpy()
    arr = np.asarray(newdata, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    return pd.DataFrame({f"v{j}": arr[:, j] for j in range(arr.shape[1])})


def predict_glm_result(result: Any, newdata: Any, type: str, se_fit: bool, interval: str | None,
                       level: float, offset: Any):
    if type not in _TYPES:
        raise DataError(f"unknown prediction type {type!r}", f"use one of {_TYPES}")
    if interval not in (None, "none", "confidence"):
        raise DataError(f"unknown interval {interval!r}", "use None or 'confidence'")
    spec = result.plan.spec
    keep = ~result.estimates.irls.aliased
    if newdata is None:
        X = result.plan.X
        off = result.plan.offset
    else:
        frame = _newdata_frame(result, newdata)
        X = spec.model_matrix(frame)
        off = spec.offset(frame, offset)
    if type == "lpmatrix":
        return pd.DataFrame(X, columns=list(spec.column_names))
    beta = result.estimates.irls.beta[keep]
    Xk = X[:, keep]
    if type == "terms":
        return _terms(result, X)
    eta = Xk @ beta + off
    need_se = se_fit or interval == "confidence"
    se_eta = np.sqrt(np.einsum("ij,jk,ik->i", Xk, result._cov, Xk)) if need_se else None
    link = result.family.link
    if type == "response":
        fit = np.asarray(link.inverse(eta), dtype=float)
        se = None if se_eta is None else se_eta * np.abs(np.asarray(link.inverse_derivative(eta), dtype=float))
    else:
        fit, se = eta, se_eta
    if interval == "confidence":
        q = stats.norm.ppf(1 - (1 - level) / 2)
        lo, hi = eta - q * se_eta, eta + q * se_eta
        if type == "response":
            lo, hi = np.asarray(link.inverse(lo), dtype=float), np.asarray(link.inverse(hi), dtype=float)
            lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        return lo, hi
    if se_fit:
        return pd.DataFrame({"fit": fit, "se_fit": se,
                             "residual_scale": np.sqrt(result.scale)})
    return fit


def _terms(result: Any, X: np.ndarray) -> pd.DataFrame:
    """Per-term contributions as R's ``predict(type="terms")``: centred at the column
    means of the fitted model matrix when the model has an intercept, raw otherwise."""
    spec = result.plan.spec
    beta = np.nan_to_num(result.estimates.irls.beta)
    avx = result.plan.X.mean(axis=0) if spec.has_intercept else np.zeros(X.shape[1])
    out = {}
    for label, cols in zip(spec.term_labels, spec.term_columns):
        if label == "(Intercept)":
            continue
        c = list(cols)
        out[label] = (X[:, c] - avx[c]) @ beta[c]
    return pd.DataFrame(out)
