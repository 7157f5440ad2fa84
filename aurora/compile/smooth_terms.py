"""Smooth terms of a formula compiled into model-matrix columns and penalty blocks.

mgcv's layout: the parametric columns first, then each smooth's columns in formula order,
every smooth constructed by its basis (:mod:`aurora.smooths`) with the identifiability
constraint absorbed and the penalties scaled as mgcv's ``smoothCon`` does. A
:class:`PenaltyBlock` tells the engine where a smooth's coefficients sit and what its
penalties are; a :class:`SmoothSpec` rebuilds its columns for new data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from aurora.errors import ModelSpecError

__all__ = ["PenaltyBlock", "SmoothSpec", "build_smooths", "smooth_columns"]


@dataclass(frozen=True)
class PenaltyBlock:
    """The penalties of one smooth, on the model's coefficients ``start:stop``.

    Attributes
    ----------
    label : str
        mgcv's label (``s(x)``, ``te(x,z)``, ``s(x):fB``).
    start, stop : int
        The smooth's columns in the model matrix.
    matrices : tuple of ndarray, each (stop - start, stop - start)
        One penalty per smoothing parameter (mgcv's ``S``, scaled as mgcv scales them).
    fixed_sp : tuple of float or None
        Smoothing parameters fixed by ``sp=`` (None entries are estimated), or None.
    id : object
        mgcv's ``id``: smooths sharing an id share their smoothing parameters.
    null_space_dim : int
    fx : bool
        An unpenalized (fixed degrees of freedom) smooth.
    bs : str
        The basis (``"tp"``, ``"re"``, ``"te"``...).
    """

    label: str
    start: int
    stop: int
    matrices: tuple[np.ndarray, ...] = field(repr=False)
    fixed_sp: tuple[float | None, ...] | None = None
    id: Any = None
    null_space_dim: int = 0
    fx: bool = False
    bs: str = ""


@dataclass(frozen=True)
class SmoothSpec:
    """What rebuilds one smooth block's columns for new data (JSON-able state)."""

    label: str
    start: int
    stop: int
    variables: tuple[str, ...]
    state: Mapping[str, Any] = field(repr=False)


def _blocks_of(term: Any, frame: pd.DataFrame, knots: Any) -> list[Any]:
    """mgcv's smoothCon for one term: a list of SmoothBlocks (several for a factor ``by``)."""
    from aurora.smooths.by import smooth_con

    return list(smooth_con(term, frame, knots))


def _fixed_sp(term: Any, n_pen: int) -> tuple[float | None, ...] | None:
    sp = term.sp
    if sp is None:
        return None
    values = sp if isinstance(sp, tuple) else (sp,)
    out = tuple(None if v is None or float(v) < 0 else float(v) for v in values)
    if len(out) != n_pen:
        raise ModelSpecError(f"{term}: sp has {len(out)} value(s) but the smooth has {n_pen} "
                             "penalt" + ("y" if n_pen == 1 else "ies"),
                             f"give {n_pen} smoothing parameter(s)")
    return out


def null_space_penalty(matrices: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """mgcv's ``select = TRUE`` extra penalty: ``U U'`` with ``U`` the eigenvectors of the
    summed penalty whose eigenvalues are below ``max * eps^0.66`` (its null space)."""
    St = sum(matrices)
    values, vectors = np.linalg.eigh((St + St.T) / 2)
    values, vectors = values[::-1], vectors[:, ::-1]  # R's eigen(): decreasing
    small = values < values.max() * np.finfo(float).eps ** 0.66
    if not small.any():
        return None
    U = vectors[:, small]
    return U @ U.T


def build_smooths(smooths: tuple, frame: pd.DataFrame, knots: Any, first_column: int,
                  select: bool = False
                  ) -> tuple[np.ndarray, tuple[PenaltyBlock, ...], tuple[SmoothSpec, ...]]:
    """Construct every smooth term on ``frame``.

    Parameters
    ----------
    smooths : tuple of Smooth
        The formula's smooth terms, in formula order.
    frame : DataFrame
        The model frame (complete rows).
    knots : dict, optional
        mgcv's ``knots = list(x = ...)``.
    first_column : int
        Model-matrix column where the first smooth starts (after the parametric ones).
    select : bool
        Add mgcv's null-space penalty to every penalized smooth that has a null space.

    Returns
    -------
    X : ndarray, shape (n, q)
        The smooth columns, side by side.
    blocks : tuple of PenaltyBlock
    specs : tuple of SmoothSpec
    """
    if knots:
        used = {v for t in smooths for v in t.variables}
        unknown = sorted(set(knots) - used)
        if unknown:
            raise ModelSpecError(f"knots given for {unknown}, which no smooth of the model uses",
                                 "give knots only for smooth covariates: knots={'x': [...]}")
    columns, blocks, specs = [], [], []
    start = first_column
    for term in smooths:
        for block in _blocks_of(term, frame, knots):
            q = block.n_coef
            fx = bool(getattr(term, "fx", False))
            mats = () if fx else tuple(np.asarray(S, dtype=float) for S in block.penalties)
            fixed = _fixed_sp(term, len(mats)) if mats else None
            if select and mats:
                extra = null_space_penalty(mats)
                if extra is not None:
                    mats = mats + (extra,)
                    fixed = None if fixed is None else fixed + (None,)
            blocks.append(PenaltyBlock(block.label, start, start + q, mats, fixed,
                                       term.id, int(block.null_space_dim), fx, str(block.bs)))
            variables = tuple(term.variables) + ((term.by,) if term.by else ())
            specs.append(SmoothSpec(block.label, start, start + q, variables, dict(block.state)))
            columns.append(np.asarray(block.X, dtype=float))
            start += q
    n = len(frame)
    X = np.column_stack(columns) if columns else np.zeros((n, 0))
    return X, tuple(blocks), tuple(specs)


def smooth_columns(specs: tuple[SmoothSpec, ...], frame: pd.DataFrame) -> np.ndarray:
    """The smooth columns of new data (mgcv's ``PredictMat`` for every block)."""
    from aurora.smooths.by import predict_con

    parts = [np.asarray(predict_con(s.state, frame), dtype=float) for s in specs]
    return np.column_stack(parts) if parts else np.zeros((len(frame), 0))
