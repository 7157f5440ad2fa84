"""``predict_from_gamm``: predictions of a :func:`~aurora.models.gamm.fit_gamm` fit."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import DataError

__all__ = ["predict_from_gamm"]


def predict_from_gamm(result: Any, X_new: Any, groups_new: Any = None,
                      include_random: bool = False) -> np.ndarray:
    """Predictions of a :func:`fit_gamm` fit for new rows.

    Parameters
    ----------
    result : GammFit
    X_new : array-like, shape (m, p)
        The fixed-effect columns as given to ``fit_gamm`` (the ``intercept`` it added is
        added again).
    groups_new : array-like or dict/DataFrame, optional
        Group labels of the new rows: one array (the model's single grouping factor) or
        columns named as the grouping factors.
    include_random : bool
        Add the conditional modes of the rows' levels (levels not seen in the fit add 0:
        the population prediction).

    Returns
    -------
    ndarray, shape (m,)

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.models.gamm import RandomEffect, fit_gamm
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 10)
    >>> y = 1 + rng.normal(0, 1, 8)[g] + rng.normal(0, 0.2, 80)
    >>> r = fit_gamm(y=y, X=np.zeros((80, 0)), random_effects=[RandomEffect("g")],
    ...              groups_data={"g": g})
    >>> p = predict_from_gamm(r, np.zeros((2, 0)), groups_new=np.array([0, 99]),
    ...                       include_random=True)
    >>> bool(abs(p[1] - r.beta_parametric[0]) < 1e-12)
    True
    """
    from aurora.models.gamm import _column, _frame

    frame = _frame(X_new, None if X_new is not None else 0)
    X = frame.to_numpy(dtype=float) if frame.shape[1] else np.zeros((len(frame), 0))
    if result.intercept_added:
        X = np.column_stack([np.ones(len(frame)), X])
    beta = result.fixef.to_numpy()
    if X.shape[1] != beta.size:
        raise DataError(f"X_new has {X.shape[1]} fixed-effect columns, the fit {beta.size}",
                        "give X_new the columns X had")
    eta = X @ beta
    if not include_random:
        return eta
    if groups_new is None:
        raise DataError("include_random=True needs groups_new", "give the new rows' groups")
    terms = result.terms
    b = result.fit.factor.b(terms)
    off = terms.b_offsets
    if not isinstance(groups_new, (dict, pd.DataFrame)):
        groups_new = {t.spec.group_name: groups_new for t in terms.terms}
    gdf = pd.DataFrame(groups_new).reset_index(drop=True)
    for i, t in enumerate(terms.terms):
        g = t.spec.group_name
        if g not in gdf.columns:
            continue
        lookup = {lv: j for j, lv in enumerate(t.spec.levels)}
        from aurora.compile.grouping import factor_labels

        labels, _ = factor_labels(gdf, (g,))
        codes = np.array([lookup.get(v, -1) for v in labels])
        cols = []
        for name in t.spec.column_names:
            if name == "(Intercept)":
                cols.append(np.ones(len(gdf)))
            else:
                cols.append(np.asarray(_column(_slope_key(name, result), frame, gdf), float))
        Zx = np.column_stack(cols)
        bt = b[off[i]:off[i + 1]].reshape(t.nl, t.k)
        known = codes >= 0
        eta[known] += np.einsum("nk,nk->n", Zx[known], bt[codes[known]])
    return eta


def _slope_key(name: str, result: Any) -> Any:
    cols = list(result.x_columns)
    return cols.index(name) if name in cols else name
