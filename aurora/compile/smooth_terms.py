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

__all__ = ["PenaltyBlock", "SmoothSpec", "build_smooths", "smooth_columns", "prediction_columns"]


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


def _id_groups(smooths: tuple) -> dict[str, list[Any]]:
    """Smooths linked by an ``id`` whose covariates differ: mgcv builds their common basis
    from the pooled covariate values (``gam.setup`` with ``idLinksBases = TRUE``)."""
    groups: dict[str, list[Any]] = {}
    for t in smooths:
        if t.id is not None:
            groups.setdefault(str(t.id), []).append(t)
    return {k: ts for k, ts in groups.items() if len({t.variables for t in ts}) > 1}


def _pooled_blocks(term: Any, members: list[Any], frame: pd.DataFrame, knots: Any) -> list[Any]:
    """mgcv's ``clone.smooth.spec`` + ``smoothCon(..., dataX = data)`` for an id-linked
    smooth: the first member's specification on this term's covariates, the basis (knots,
    identifiability constraint, penalty scaling) built from every member's covariate values
    stacked, and the columns evaluated at this term's own values."""
    import dataclasses

    from aurora.smooths.by import predict_con, smooth_con

    base = members[0]
    for t in members:
        if len(t.variables) != len(base.variables) or t.kind != base.kind:
            raise ModelSpecError(f"{t} and {base} share id = {base.id} but are not smooths of "
                                 "the same kind and number of covariates",
                                 "id= links smooths of the same type, as in mgcv")
        if t.by is not None:
            raise ModelSpecError(f"{t}: id = {base.id} links smooths of different covariates "
                                 "and this one has a by variable, which aurora does not pool",
                                 "drop by= or id= from the linked smooths")
    cloned = dataclasses.replace(base, variables=term.variables, xt=term.xt)
    pooled = {v: np.concatenate([np.asarray(frame[t.variables[j]], dtype=float)
                                 for t in members])
              for j, v in enumerate(term.variables)}
    blocks = list(smooth_con(cloned, pooled, knots))
    return [dataclasses.replace(b, X=np.asarray(predict_con(b.state, frame), dtype=float))
            for b in blocks]


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
                  select: bool = False, Xp: np.ndarray | None = None
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
    Xp : ndarray, optional
        The parametric model matrix: with it, mgcv's side constraints (``gam.side``) make
        nested smooths (``s(x) + te(x, z)``) identifiable.

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
    entries = []
    pooled = _id_groups(smooths)
    for term in smooths:
        group = pooled.get(str(term.id)) if term.id is not None else None
        built = (_pooled_blocks(term, group, frame, knots) if group
                 else _blocks_of(term, frame, knots))
        for block in built:
            fx = bool(getattr(term, "fx", False))
            mats = () if fx else tuple(np.asarray(S, dtype=float) for S in block.penalties)
            fixed = _fixed_sp(term, len(mats)) if mats else None
            if select and mats:
                extra = null_space_penalty(mats)
                if extra is not None:
                    mats = mats + (extra,)
                    fixed = None if fixed is None else fixed + (None,)
            entries.append({"term": term, "block": block, "X": np.asarray(block.X, dtype=float),
                            "mats": mats, "fixed": fixed, "fx": fx,
                            "nsd": int(block.null_space_dim), "deleted": []})
    if Xp is not None:
        _side_constraints(entries, Xp)
    columns, blocks, specs = [], [], []
    start = first_column
    for e in entries:
        term, block = e["term"], e["block"]
        q = e["X"].shape[1]
        blocks.append(PenaltyBlock(block.label, start, start + q, e["mats"], e["fixed"],
                                   term.id, e["nsd"], e["fx"], str(block.bs)))
        variables = tuple(term.variables) + ((term.by,) if term.by else ())
        state = dict(block.state)
        if e["deleted"]:
            state["del_index"] = [int(i) for i in e["deleted"]]
        if str(block.bs) == "t2":
            # mgcv fits t2 under one constraint and predicts under another (G$P maps the
            # coefficients): new data get the prediction columns
            state["as_mgcv"] = True
        specs.append(SmoothSpec(block.label, start, start + q, variables, state))
        columns.append(e["X"])
        start += q
    n = len(frame)
    X = np.column_stack(columns) if columns else np.zeros((n, 0))
    return X, tuple(blocks), tuple(specs)


def prediction_columns(specs: tuple[SmoothSpec, ...], frame: pd.DataFrame) -> np.ndarray | None:
    """The smooth columns in mgcv's prediction parametrisation when it differs from the
    fitting one (models with ``t2`` terms), else None."""
    if not any(s.state.get("as_mgcv") for s in specs):
        return None
    return smooth_columns(specs, frame)


def _fix_dependence(X1: np.ndarray, X2: np.ndarray, tol: float = np.finfo(float).eps ** 0.5
                    ) -> list[int]:
    """mgcv's ``fixDependence``: columns of ``X2`` (0-based) that lie in the span of ``X1``
    together with the rest of ``X2``, found by LAPACK's pivoted QR as R's
    ``qr(, LAPACK = TRUE)``."""
    from scipy.linalg import lapack, qr

    h, _, tau, _, info = lapack.dgeqp3(np.asfortranarray(X1, dtype=float))
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"dgeqp3 failed ({info})")
    r = X1.shape[1]
    R11 = abs(h[0, 0])
    lwork = max(1, X2.shape[1]) * 64
    QtX2, _, info = lapack.dormqr("L", "T", h, tau, np.asfortranarray(X2, dtype=float), lwork)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"dormqr failed ({info})")
    rest = QtX2[r:, :]
    R, piv = qr(rest, mode="r", pivoting=True)
    R = R[: min(rest.shape), :]
    r0 = rr = R.shape[0]
    while r0 > 0 and np.mean(np.abs(R[r0 - 1:rr, r0 - 1:rr])) < R11 * tol:
        r0 -= 1
    if r0 + 1 > rr:
        return []
    return sorted(int(i) for i in piv[r0:rr])


def _side_constraints(entries: list[dict], Xp: np.ndarray) -> None:
    """mgcv's ``gam.side``: where smooths share covariates (``s(x) + te(x, z)``), delete
    from the higher-dimensional one the columns that the lower ones (and the intercept)
    already span, so the model is identifiable. Penalties lose the same rows and columns."""
    def names(e: dict) -> list[str]:
        t, st = e["term"], e["block"].state
        vn = [v + (t.by or "") for v in t.variables]
        level = st.get("by_level")
        return [v + str(level) for v in vn] if level is not None else vn

    vns = [names(e) for e in entries]
    flat = [v for vn in vns for v in vn]
    if len(flat) == len(set(flat)):
        return
    n = Xp.shape[0]
    intercept = False
    if Xp.shape[1]:
        sd = Xp.std(axis=0, ddof=1) if n > 1 else np.zeros(Xp.shape[1])
        if np.any(sd < np.finfo(float).eps ** 0.75):
            intercept = True
        else:
            coef, *_ = np.linalg.lstsq(Xp, np.ones(n), rcond=None)
            intercept = bool(np.max(np.abs(Xp @ coef - 1)) < np.finfo(float).eps ** 0.75)
    side = [e["block"].bs not in ("re", "fs") for e in entries]
    dims = [len(e["term"].variables) for e in entries]
    ids: dict[str, list[int]] = {}
    for d in range(1, max(dims) + 1):
        for i, e in enumerate(entries):
            if dims[i] == d and side[i]:
                for v in vns[i]:
                    ids.setdefault(v, []).append(i)
    for d in range(1, max(dims) + 1):
        for i, e in enumerate(entries):
            if dims[i] != d or not side[i]:
                continue
            parts = [np.ones((n, 1))] if intercept else []
            comp: list[int] = []
            for v in vns[i]:
                b = ids[v]
                for other in b[:b.index(i)]:
                    if other not in comp:
                        comp.append(other)
                        parts.append(entries[other]["X"])
            if len(parts) == int(intercept):
                continue
            ind = _fix_dependence(np.column_stack(parts), e["X"])
            if not ind:
                continue
            keep = [j for j in range(e["X"].shape[1]) if j not in ind]
            e["X"] = e["X"][:, keep]
            e["deleted"] = ind
            mats = []
            fixed = list(e["fixed"]) if e["fixed"] is not None else None
            for j, S in enumerate(e["mats"]):
                S = S[np.ix_(keep, keep)]
                if np.any(S != 0):
                    mats.append(S)
                elif fixed is not None:
                    fixed[j] = "drop"
            if fixed is not None:
                fixed = tuple(v for v in fixed if v != "drop")
            e["mats"], e["fixed"] = tuple(mats), (None if fixed is None else fixed)
            if mats:
                St = sum(S / np.linalg.norm(S) for S in mats) if len(mats) > 1 else \
                    mats[0] / np.linalg.norm(mats[0])
                if len(mats) > 1:
                    St = St + mats[0] / np.linalg.norm(mats[0])  # mgcv's loop counts S1 twice
                ev = np.linalg.eigvalsh((St + St.T) / 2)
                e["nsd"] = int(np.sum(ev < ev.max() * np.finfo(float).eps ** 0.75))


def smooth_columns(specs: tuple[SmoothSpec, ...], frame: pd.DataFrame) -> np.ndarray:
    """The smooth columns of new data (mgcv's ``PredictMat`` for every block)."""
    from aurora.smooths.by import predict_con

    parts = []
    for spec in specs:
        X = np.asarray(predict_con(spec.state, frame,
                                   as_mgcv=bool(spec.state.get("as_mgcv"))), dtype=float)
        deleted = spec.state.get("del_index")
        if deleted:
            X = np.delete(X, deleted, axis=1)
        parts.append(X)
    return np.column_stack(parts) if parts else np.zeros((len(frame), 0))
