"""mgcv's ``concurvity``: how far each smooth can be approximated by the rest of the model.

Concurvity is the non-linear analogue of collinearity. With ``X = QR`` and, for a term
with columns ``X_f``, ``R`` of ``[X_g, X_f]`` split into the rows ``R_g`` (the part of
``X_f`` in the span of the other columns ``X_g``) and the rest, and ``R_t'R_t = X_f'X_f``,
``g`` the projection of a function ``f = X_f b`` of the term on the span of ``X_g``,
mgcv reports three measures, each between 0 (none) and 1 (total):

* ``worst``: ``max ||g||^2 / ||f||^2`` over all ``b``, the squared
  largest singular value of ``R_g R_t^-1`` (the largest squared canonical correlation);
* ``observed``: ``||g||^2 / ||f||^2`` for the fitted term ``f = X_f beta_f``;
* ``estimate``: ``||R_g||_F^2 / ||R||_F^2``, how much of the basis lies in the span of
  the other terms.

``full=True`` compares every term with the whole rest of the model; ``full=False``
compares the terms pair by pair. When the model has parametric columns, mgcv adds a
``"para"`` term that is, as mgcv 1.8-41 computes it, the first column alone (the
intercept), not every parametric column: aurora does the same, to give mgcv's numbers.
Reference: mgcv's ``concurvity`` help page (Wood 2017, *Generalized Additive Models*,
2nd ed.).

The measures do not depend on the signs of the QR factors nor on any
reparametrisation of a term's columns, so NumPy's Householder QR gives mgcv's numbers.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from aurora.errors import DataError

__all__ = ["concurvity", "MEASURES"]

MEASURES = ("worst", "observed", "estimate")


def _qr_r(a: np.ndarray) -> np.ndarray:
    return linalg.qr(a, mode="r")[0][:min(a.shape), :]


def _measures(Xi: np.ndarray, Xj: np.ndarray, beta: np.ndarray) -> tuple[float, float, float]:
    """The three measures of term ``j`` (columns ``Xj``) against the columns ``Xi``."""
    r = Xi.shape[1]
    R = _qr_r(np.hstack([Xi, Xj]))[:, r:]
    Rt = _qr_r(R)
    Rg = R[:r]
    A = linalg.solve_triangular(Rt, Rg.T, trans="T", lower=False)  # t(Rt)^-1 t(Rg)
    worst = float(linalg.svd(A, compute_uv=False)[0] ** 2) if A.size else 0.0
    observed = float(np.sum((Rg @ beta) ** 2) / np.sum((Rt @ beta) ** 2))
    estimate = float(np.sum(Rg ** 2) / np.sum(R ** 2))
    return worst, observed, estimate


def concurvity(result: Any, full: bool = True) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """mgcv's ``concurvity(m, full)`` for a fitted GAM.

    Parameters
    ----------
    result : GAMResult
    full : bool
        True: each term against all the others. False: each pair of terms.

    Returns
    -------
    DataFrame
        ``full=True``: rows ``worst``, ``observed``, ``estimate``; a column per term:
        ``"para"`` (when the model has parametric columns; as mgcv, the first column
        alone, the intercept) then each smooth by its label.
    dict of str to DataFrame
        ``full=False``: ``{"worst": ..., "observed": ..., "estimate": ...}``, each square
        with the term labels; entry ``[i, j]`` measures how much of term ``j`` is
        explained by term ``i`` (1 on the diagonal).

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> x = rng.uniform(size=200)
    >>> d = pd.DataFrame({"x": x, "z": x + rng.normal(scale=0.05, size=200)})
    >>> d["y"] = np.sin(6 * d.x) + rng.normal(scale=0.3, size=200)
    >>> c = concurvity(aurora.gam("y ~ s(x) + s(z)", d))
    >>> list(c.columns), bool(c.loc["worst", "s(z)"] > 0.9)
    (['para', 's(x)', 's(z)'], True)
    """
    blocks = tuple(result.plan.penalties)
    if not blocks:
        raise DataError("concurvity: nothing to do for this model (it has no smooths)",
                        "concurvity measures smooth terms; fit one with aurora.gam")
    X = np.asarray(result.plan.X, dtype=float)
    X = _qr_r(X[~np.isnan(X).any(axis=1)])
    coef = np.asarray(result.fit.coefficients, dtype=float)
    spans = [(b.start, b.stop) for b in blocks]
    labels = [b.label for b in blocks]
    if min(s for s, _ in spans) > 0:
        # mgcv 1.8-41 sets stop <- c(min(start) - 1, stop) after prepending 1 to start,
        # so its "para" block is 1:0, i.e. the first column alone (the intercept): the
        # numbers are mgcv's only with that block
        spans.insert(0, (0, 1))
        labels.insert(0, "para")
    p = X.shape[1]
    m = len(spans)
    if full:
        conc = np.zeros((3, m))
        for k, (a, b) in enumerate(spans):
            rest = np.r_[0:a, b:p]
            conc[:, k] = _measures(X[:, rest], X[:, a:b], coef[a:b])
        return pd.DataFrame(conc, index=list(MEASURES), columns=labels)
    out = np.ones((3, m, m))
    for i, (ai, bi) in enumerate(spans):
        for j, (aj, bj) in enumerate(spans):
            if i != j:
                out[:, i, j] = _measures(X[:, ai:bi], X[:, aj:bj], coef[aj:bj])
    return {name: pd.DataFrame(out[k], index=labels, columns=labels)
            for k, name in enumerate(MEASURES)}
