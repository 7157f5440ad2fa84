"""A plan for a numeric matrix (the matrix-level API of SPEC §2), without a data frame."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.compile.frame import FrameInfo
from aurora.compile.plan import ModelPlan
from aurora.compile.spec import ModelSpec
from aurora.errors import DataError

__all__ = ["compile_matrix_plan"]


def compile_matrix_plan(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    family: Any = None,
    weights: Any = None,
    offset: Any = None,
    na_action: str = "omit",
) -> ModelPlan:
    """A plan for a numeric matrix plus an intercept (the matrix-level API of SPEC §2).

    The formula is ``.response ~ v0 + v1 + ...``; its ModelSpec is built by formulaic on a
    few rows only (numeric columns carry no data-dependent state), so a million-row matrix
    is not copied through a data frame. Columns are named ``intercept`` and ``names``.
    """
    from aurora.formula import parse

    n, p = X.shape
    safe = [f"v{j}" for j in range(p)]
    formula = parse(".response ~ " + (" + ".join(safe) if safe else "1"))
    w = None if weights is None else np.asarray(weights, dtype=float).ravel()
    o = None if offset is None else np.asarray(offset, dtype=float).ravel()
    for label, arr in (("weights", w), ("offset", o), ("y", y)):
        if arr is not None and arr.shape[0] != n:
            raise DataError(f"{label} has length {arr.shape[0]} but X has {n} rows",
                            f"give {label} one value per row of X")
    # a row sum is finite exactly when the row is (short of overflow, checked exactly then)
    row_ok = np.isfinite(X.sum(axis=1))
    if not row_ok.all():
        row_ok = np.all(np.isfinite(X), axis=1)
    bad = ~np.isfinite(y) | ~row_ok
    for arr in (w, o):
        if arr is not None:
            bad |= ~np.isfinite(arr)
    if bad.any():
        if na_action == "raise":
            from aurora.errors import MissingDataError

            raise MissingDataError(f"missing or non-finite values in {int(bad.sum())} rows of X, y, "
                                   "weights or offset", "clean the data or use na_action='omit'")
        keep = ~bad
        X, y = X[keep], y[keep]
        w = None if w is None else w[keep]
        o = None if o is None else o[keep]
    if X.shape[0] == 0:
        raise DataError("no complete rows left to fit")
    constant = (X.min(axis=0) == X.max(axis=0)) if X.shape[0] else np.zeros(p, dtype=bool)
    if constant.any():
        j = int(np.argmax(constant))
        raise DataError(f"column {names[j]!r} of X is constant; it cannot be estimated beside "
                        "the intercept", f"drop column {names[j]!r}")
    head = pd.DataFrame({s: X[: min(3, len(X)), j] for j, s in enumerate(safe)})
    from formulaic import model_matrix

    fspec = model_matrix(" + ".join(["1"] + safe), head, ensure_full_rank=True).model_spec
    colnames = ("intercept",) + tuple(names)
    labels = colnames
    spec = ModelSpec(formula, " + ".join(["1"] + safe), colnames, labels,
                     tuple((j,) for j in range(p + 1)), {}, tuple(safe), (), None, True, fspec,
                     offset_array=o is not None)
    # keep the caller's memory order: copying a C-ordered X into a Fortran array is a slow
    # transpose, and the engine reads either order
    Xi = np.empty((X.shape[0], p + 1), order="C" if X.flags.c_contiguous else "F")
    Xi[:, 0] = 1.0
    Xi[:, 1:] = X
    nrow = X.shape[0]
    prior = np.ones(nrow) if w is None else w
    if np.any(prior < 0):
        raise DataError("negative weights are not allowed", "prior weights must be >= 0")
    info = FrameInfo(n, int(bad.sum()), tuple(np.where(bad)[0]))
    return ModelPlan(spec, Xi, np.asarray(y, dtype=float), prior,
                     np.zeros(nrow) if o is None else o, None, info,
                     pd.RangeIndex(n)[~bad] if bad.any() else pd.RangeIndex(n))
