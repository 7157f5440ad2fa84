"""mgcv's ``smoothCon``: any smooth term (s, te, ti, t2) with its ``by`` variable, point
constraint, ``id`` and ``sp``, as the blocks the engine fits; and ``PredictMat``.

:func:`smooth_con` builds the raw basis (a registered basis for ``s()``, a tensor product
of :mod:`aurora.smooths.tensor` for ``te``/``ti``/``t2``), then, as
``smoothCon(..., absorb.cons = TRUE, scale.penalty = TRUE)`` does:

1. **Point constraint** ``pc``: the constraint is the basis at that point (``f(pc) = 0``)
   instead of sum-to-zero, and is kept whatever ``by`` is.
2. **Penalty scaling and constraint** by :func:`aurora.smooths.constraints.absorb`, on the
   columns before any ``by`` multiplication (so ``S.scale`` and the sum-to-zero constraint
   are those of the smooth itself).
3. **by = numeric** (``s(x, by = z)``, a varying coefficient ``f(x) z``): the columns are
   multiplied by ``z`` and the sum-to-zero constraint dropped, unless ``z`` is constant
   (``sd(z) <= mean(z) * 1000 eps``, as mgcv tests it). Label ``s(x):z``.
4. **by = factor** (``s(x, by = f)``): one block per level ``l``, its columns multiplied by
   ``f == l``, each with the constraint of the smooth and its own smoothing parameter;
   labels ``s(x):fA``. An ordered factor skips its first level (the reference curve is
   the main effect ``s(x)``). Strings and categoricals are factors; logicals are numeric
   (0/1), as in R.

Each block's ``state`` records what :func:`predict_con` needs (the raw basis state, ``Z``,
``by``, ``by_level``) and what the model needs: ``id`` (text, as mgcv's ``as.character``;
smooths sharing an id share smoothing parameters) and ``sp`` (fixed smoothing parameters,
None for estimated; a negative entry means estimate that one, as mgcv).

For ``t2`` mgcv fits with one constraint (sum-to-zero of the null-space columns) and
predicts with another (sum-to-zero of all columns, its ``Cp``), mapping the coefficients
between the two at model level (``gam.setup``'s ``P``). :func:`predict_con` gives the
fitting parametrisation by default, which reproduces the block's ``X``;
``as_mgcv=True`` gives mgcv's ``PredictMat`` columns (state ``Zp``).

References: mgcv's ``smoothCon`` and ``PredictMat`` (mgcv 1.8-41); Wood (2017)
*Generalized Additive Models*, 2nd ed., sections 5.6 and 7.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from aurora.formula import parse
>>> rng = np.random.default_rng(0)
>>> data = {"x": rng.uniform(size=80), "v": rng.normal(size=80),
...         "f": pd.Categorical(rng.choice(["A", "B"], 80))}
>>> [b.label for b in smooth_con(parse("y ~ s(x, by = f)").terms[0], data)]
['s(x):fA', 's(x):fB']
>>> block = smooth_con(parse("y ~ s(x, by = v)").terms[0], data)[0]
>>> block.label, block.n_coef, block.state["n_cons"]
('s(x):v', 10, 0)
>>> bool(np.allclose(predict_con(block.state, data), block.X))
True
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Mapping

import numpy as np
import pandas as pd

from aurora.errors import DataError, DataWarning, ModelSpecError
from aurora.smooths.base import (RawBasis, SmoothBlock, data_column, get_basis,
                                 smooth_label)
from aurora.smooths.constraints import absorb, householder_q
from aurora.smooths.fs import level_codes, level_text
from aurora.smooths.re import factor_levels
from aurora.smooths.tensor import TENSORS

__all__ = ["smooth_con", "absorb_term", "predict_con", "raw_smooth", "is_factor_by"]


def raw_smooth(term: Any, data: Mapping[str, Any], knots: Any = None
               ) -> tuple[str, Any, RawBasis]:
    """The basis name, its builder and the raw basis of ``term`` (mgcv's
    ``smooth.construct``): a registered basis for ``s()``, a tensor product otherwise."""
    if term.kind in TENSORS:
        builder = TENSORS[term.kind]
        return term.kind, builder, builder.construct(term, data, knots)
    if term.kind != "s":
        raise ModelSpecError(f"unknown smooth constructor {term.kind}()",
                             "use s(), te(), ti() or t2()")
    bs = term.bs if term.bs is not None else "tp"
    if isinstance(bs, tuple):
        if len(bs) != 1:
            raise ModelSpecError(f"{smooth_label(term)}: s() takes one basis, got bs = {bs}",
                                 "use te() for a tensor product of several bases")
        bs = bs[0]
    builder = get_basis(str(bs))
    return str(bs), builder, builder.construct(term, data, knots)


def is_factor_by(values: Any) -> bool:
    """Whether a ``by`` column is a factor (categorical or text); logicals and numbers are
    numeric ``by`` variables, as in R."""
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        values = np.asarray(values)
        dtype = values.dtype
    if str(dtype) == "category":
        return True
    return getattr(dtype, "kind", "O") not in "biufc"


def _is_ordered(values: Any) -> bool:
    if getattr(values, "ordered", None) is True:
        return True
    cat = getattr(values, "cat", None)
    return bool(getattr(cat, "ordered", False))


def _point_constraint(term: Any, builder: Any, raw: RawBasis) -> np.ndarray | None:
    """mgcv's ``pc``: the raw basis at the point, one row."""
    if term.pc is None:
        return None
    pc = term.pc if isinstance(term.pc, tuple) else (term.pc,)
    label = smooth_label(term)
    if len(pc) < len(term.variables):
        raise ModelSpecError(f"{label}: supply a value for each variable for a point "
                             "constraint")
    point = {v: np.array([float(c)]) for v, c in zip(term.variables, pc)}
    return np.asarray(builder.predict_matrix(raw.state, point), dtype=float).reshape(1, -1)


def _id_sp(term: Any, raw: RawBasis) -> tuple[str | None, list[float] | None]:
    label = smooth_label(term)
    ident = term.id
    if isinstance(ident, tuple):
        if len(ident) > 1:
            warnings.warn(f"{label}: only first element of `id' used", DataWarning,
                          stacklevel=3)
        ident = ident[0]
    if isinstance(ident, float) and ident.is_integer():
        ident = int(ident)
    ident = None if ident is None else str(ident)
    sp = term.sp
    if sp is not None:
        sp = [float(v) for v in (sp if isinstance(sp, tuple) else (sp,))]
        if term.kind == "t2" and len(sp) != len(raw.penalties):
            warnings.warn(f"{label}: length of sp incorrect in t2: ignored", DataWarning,
                          stacklevel=3)
            sp = None
    return ident, sp


def _numeric_by_is_constant(by: np.ndarray) -> bool:
    """mgcv keeps the constraint when ``sd(by) <= mean(by) * eps * 1000``."""
    if len(by) < 2:
        return True
    mean = by.mean()
    mean += (by - mean).mean()                          # R's two-pass mean
    return not float(np.std(by, ddof=1)) > mean * np.finfo(float).eps * 1000


def smooth_con(term: Any, data: Mapping[str, Any], knots: Any = None) -> list[SmoothBlock]:
    """Build a smooth term as mgcv's ``smoothCon(term, data, knots, absorb.cons = TRUE,
    scale.penalty = TRUE)``.

    Parameters
    ----------
    term : aurora.formula.ast.Smooth
        ``s()``, ``te()``, ``ti()`` or ``t2()`` with its options (``te``'s ``d`` is read
        from ``term.d`` when the node has it).
    data : mapping
        Column name -> values (arrays, pandas Series or Categoricals), complete rows.
    knots : mapping, optional
        Variable -> knot values (mgcv's ``knots = list(x = ...)``).

    Returns
    -------
    list of SmoothBlock
        One block, or one per level of a factor ``by`` (per level but the first for an
        ordered factor), each with ``X`` (n x p), the scaled penalties, ``S.scale``, rank,
        null-space dimension and a JSON-able ``state`` for :func:`predict_con`, which also
        records ``kind``, ``by``, ``by_level``, ``id`` and ``sp``.
    """
    bs, builder, raw = raw_smooth(term, data, knots)
    return absorb_term(term, raw, bs, data, builder)


def absorb_term(term: Any, raw: RawBasis, bs: str, data: Mapping[str, Any],
                builder: Any = None) -> list[SmoothBlock]:
    """Steps 1-4 of :func:`smooth_con` on a raw basis already built (``builder``, needed
    only for a point constraint, defaults to the term's)."""
    if builder is None:
        builder = TENSORS[term.kind] if term.kind in TENSORS else get_basis(bs)
    label = smooth_label(term)
    k = raw.X.shape[1]
    point = _point_constraint(term, builder, raw)
    if point is not None:
        raw = dataclasses.replace(raw, constraint=point)
    ident, sp = _id_sp(term, raw)
    by_name = term.by
    by_values = None if by_name is None else data_column(data, by_name)
    factor_by = by_values is not None and is_factor_by(by_values)
    cp = raw.state.get("Cp")
    if by_values is not None and not factor_by and point is None:
        by = np.asarray(by_values, dtype=float).reshape(-1)
        if len(by) != raw.X.shape[0]:
            raise DataError(f"{label}: `by' variable must be same dimension as smooth "
                            "arguments")
        if not _numeric_by_is_constant(by):
            raw = dataclasses.replace(raw, constraint=np.zeros((0, k)))
            cp = None
    block = absorb(raw, label, bs)
    extra: dict[str, Any] = {"kind": term.kind, "by": by_name, "by_level": None,
                             "id": ident, "sp": sp, "Zp": None}
    if cp is not None and block.state["n_cons"] > 0:
        extra["Zp"] = householder_q(np.asarray(cp, dtype=float)[:, None])[:, 1:].tolist()
    if by_values is None:
        return [_with(block, label, block.X, extra)]
    if not factor_by:
        X = block.X * np.asarray(by_values, dtype=float).reshape(-1, 1)
        return [_with(block, f"{label}:{by_name}", X, extra)]
    levels = factor_levels(by_values)
    codes = level_codes(by_values, levels, by_name)
    if _is_ordered(by_values) and len(levels) > 1:
        first = 1
    else:
        first = 0
    blocks = []
    for i in range(first, len(levels)):
        dummy = (codes == i).astype(float)
        dummy[codes < 0] = np.nan
        blocks.append(_with(block, f"{label}:{by_name}{levels[i]}", block.X * dummy[:, None],
                            {**extra, "by_level": levels[i]}))
    return blocks


def _with(block: SmoothBlock, label: str, X: np.ndarray, extra: Mapping[str, Any]
          ) -> SmoothBlock:
    state = {**block.state, **extra, "label": label}
    return dataclasses.replace(block, label=label, X=X, state=state)


def predict_con(state: Mapping[str, Any], data: Mapping[str, Any],
                as_mgcv: bool = False) -> np.ndarray:
    """A block's columns at new data (mgcv's ``PredictMat``), ``by`` included.

    Parameters
    ----------
    state : mapping
        :attr:`SmoothBlock.state` from :func:`smooth_con` (possibly read back from JSON).
    data : mapping
        Column name -> values: the smooth's covariates and its ``by`` variable.
    as_mgcv : bool
        For ``t2``: the columns of mgcv's ``PredictMat`` (its prediction constraint,
        ``Cp``) rather than the fitting parametrisation; the same for every other smooth.

    Returns
    -------
    ndarray, shape (n_new, p)
        Equal to the block's ``X`` on the fitting data (``as_mgcv=False``).
    """
    kind = state.get("kind", "s")
    builder = TENSORS[kind] if kind in TENSORS else get_basis(str(state["bs"]))
    X = np.asarray(builder.predict_matrix(state, data), dtype=float)
    Z = state.get("Zp") if as_mgcv and state.get("Zp") is not None else state.get("Z")
    if Z is not None:
        X = X @ np.asarray(Z, dtype=float)
    by_name = state.get("by")
    if by_name is None:
        return X
    values = data_column(data, by_name)
    level = state.get("by_level")
    if level is None:
        return X * np.asarray(values, dtype=float).reshape(-1, 1)
    arr = pd.Series(np.asarray(values, dtype=object).reshape(-1), dtype=object)
    dummy = np.array([np.nan if missing else float(level_text(v) == level)
                      for v, missing in zip(arr, arr.isna())])
    return X * dummy[:, None]
