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
        index = result.plan.row_index
    else:
        frame = _newdata_frame(result, newdata)
        X = spec.model_matrix(frame)
        off = spec.offset(frame, offset)
        index = frame.index
    # per-row output on the row labels; without new data, padded under na.exclude
    pad = newdata is None and result.plan.frame.exclude

    def rows(obj):
        obj = obj.set_axis(index, axis=0)
        return obj.reindex(result.plan.frame.input_index) if pad else obj

    if type == "lpmatrix":
        return rows(pd.DataFrame(X, columns=list(spec.column_names)))
    beta = result.estimates.irls.beta[keep]
    Xk = X[:, keep]
    if type == "terms":
        fit = _terms(result, X)
        if not se_fit:
            return rows(fit)
        se = _terms_se(result, X)
        return rows(pd.concat({"fit": fit, "se_fit": se}, axis=1))
    with np.errstate(invalid="ignore", over="ignore"):
        eta = Xk @ beta + off
    need_se = se_fit or interval == "confidence"
    se_eta = np.sqrt(np.einsum("ij,jk,ik->i", Xk, result._cov, Xk)) if need_se else None
    link = result.family.link
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if type == "response":
            fit = np.asarray(link.inverse(eta), dtype=float)
            se = None if se_eta is None else \
                se_eta * np.abs(np.asarray(link.inverse_derivative(eta), dtype=float))
        else:
            fit, se = eta, se_eta
        if interval == "confidence":
            q = stats.norm.ppf(1 - (1 - level) / 2)
            lo, hi = eta - q * se_eta, eta + q * se_eta
            if type == "response":
                lo = np.asarray(link.inverse(lo), dtype=float)
                hi = np.asarray(link.inverse(hi), dtype=float)
                lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
            return rows(pd.Series(lo, name="lower")), rows(pd.Series(hi, name="upper"))
    if se_fit:
        return rows(pd.DataFrame({"fit": fit, "se_fit": se,
                                  "residual_scale": np.sqrt(result.scale)}))
    return rows(pd.Series(fit, name="fit"))


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


def _terms_se(result: Any, X: np.ndarray) -> pd.DataFrame:
    """Standard errors of the per-term contributions (R's ``predict(type = "terms",
    se.fit = TRUE)$se.fit``): the quadratic form of each term's centred columns with that
    term's block of the covariance matrix."""
    spec = result.plan.spec
    aliased = result.estimates.irls.aliased
    keep_idx = np.flatnonzero(~aliased)
    pos = {j: i for i, j in enumerate(keep_idx)}
    avx = result.plan.X.mean(axis=0) if spec.has_intercept else np.zeros(X.shape[1])
    cov = result._cov
    out = {}
    for label, cols in zip(spec.term_labels, spec.term_columns):
        if label == "(Intercept)":
            continue
        c = [j for j in cols if not aliased[j]]
        if not c:
            out[label] = np.zeros(X.shape[0])
            continue
        Xc = X[:, c] - avx[c]
        V = cov[np.ix_([pos[j] for j in c], [pos[j] for j in c])]
        out[label] = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", Xc, V, Xc), 0.0))
    return pd.DataFrame(out)
