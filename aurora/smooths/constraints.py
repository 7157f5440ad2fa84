"""mgcv's penalty scaling and identifiability constraints (``smoothCon``).

:func:`absorb` turns a :class:`~aurora.smooths.base.RawBasis` into the
:class:`~aurora.smooths.base.SmoothBlock` the engine fits, exactly as mgcv's
``smoothCon(object, data, knots, absorb.cons = TRUE, scale.penalty = TRUE)`` does for a
smooth without ``by`` (as ``gam()`` calls it, ``sparse.cons = 0``):

1. **Penalty scaling.** With ``maXX = norm(X, "I")^2`` (the largest absolute row sum of
   the raw model matrix, squared), each penalty is divided by
   ``S.scale = norm(S, "O") / maXX`` (R's ``norm()`` defaults to the one norm, the largest
   absolute column sum), so smoothing parameters are comparable with mgcv's ``sp``.
2. **Constraint.** The default constraint is ``C = colMeans(X)`` (one row). mgcv forms the
   Householder QR of ``t(C)`` (LINPACK ``dqrdc2``, R's default ``qr()``) and keeps the last
   ``k - j`` columns of ``Q``: the constrained columns are ``X Z`` and the penalties
   ``Z' S Z`` with ``Z = Q[:, j:]``, the same numbers as ``t(qr.qty(qrc, t(X)))[, -(1:j)]``.
   When some columns of ``C`` are exactly zero (a B-spline with no data under it) only the
   columns ``indi`` with a non-zero constraint sum are transformed and the others kept, as
   mgcv's "sparse constraint" branch does; ``Z`` then has identity columns for those.

References: Wood (2017) *Generalized Additive Models*, 2nd ed., sections 1.8.1 and 5.4.1;
mgcv's ``smoothCon`` and ``PredictMat`` (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> from aurora.smooths.base import get_basis
>>> x = np.linspace(0, 1, 50)
>>> raw = get_basis("cr").construct(Smooth("s", ("x",), k=5, bs="cr"), {"x": x})
>>> block = absorb(raw, "s(x)", "cr")
>>> block.X.shape, float(abs(block.X.sum(axis=0)).max()) < 1e-12
((50, 4), True)
>>> bool(np.allclose(predict_block(block.state, {"x": x}), block.X))
True
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from aurora.smooths.base import RawBasis, SmoothBlock, get_basis

__all__ = ["absorb", "predict_block", "householder_q", "null_space_basis",
           "penalty_scale"]


def householder_q(A: np.ndarray) -> np.ndarray:
    """The full orthogonal factor ``Q`` (n x n) of the Householder QR of ``A`` (n x j).

    The reflections are LINPACK ``dqrdc2``'s (and LAPACK ``dgeqrf``'s, which agree):
    column ``l`` is mapped to ``-sign(a_ll) * ||a_l|| e_l``. No pivoting: constraint
    matrices are of full row rank.
    """
    A = np.array(A, dtype=float, copy=True)
    n, j = A.shape
    Q = np.eye(n)
    for col in range(min(j, n)):
        x = A[col:, col]
        norm = float(np.sqrt(np.dot(x, x)))
        if norm == 0.0:
            continue
        if x[0] != 0.0:
            norm = np.copysign(norm, x[0])
        u = x / norm
        u[0] += 1.0
        # H = I - u u' / u_0 (dqrsl's application); applied to the rest of A and to Q.
        A[col:, col:] -= np.outer(u, u @ A[col:, col:]) / u[0]
        Q[:, col:] -= np.outer(Q[:, col:] @ u, u) / u[0]
    return Q


def null_space_basis(C: np.ndarray) -> tuple[np.ndarray, list[int] | None]:
    """``Z`` with ``C Z = 0`` as mgcv builds it, and mgcv's ``indi`` (None when every
    column of ``C`` is constrained).

    Parameters
    ----------
    C : ndarray, shape (j, k)

    Returns
    -------
    Z : ndarray, shape (k, k - j)
    indi : list of int or None
        0-based columns with a non-zero constraint sum, when some are zero.
    """
    j, k = C.shape
    indi = [i for i in range(k) if C[:, i].sum() != 0]
    if len(indi) == k:
        return householder_q(C.T)[:, j:], None
    nx = len(indi)
    nz = nx - j
    Qs = householder_q(C[:, indi].T)[:, j:]            # nx x nz
    Z = np.eye(k)
    for pos in range(nz):
        Z[:, indi[pos]] = 0.0
        Z[indi, indi[pos]] = Qs[:, pos]
    keep = [c for c in range(k) if c not in indi[nz:]]
    return Z[:, keep], indi


def penalty_scale(X: np.ndarray, S: np.ndarray) -> float:
    """mgcv's ``S.scale``: ``norm(S, "O") / norm(X, "I")^2``."""
    maXX = float(np.abs(X).sum(axis=1).max()) ** 2
    return float(np.abs(S).sum(axis=0).max()) / maXX


def absorb(raw: RawBasis, label: str, bs: str, scale_penalty: bool = True) -> SmoothBlock:
    """Scale the penalties and absorb the identifiability constraint as mgcv's ``smoothCon``.

    Parameters
    ----------
    raw : RawBasis
        The basis out of a builder's ``construct`` (mgcv's ``smooth.construct``).
    label : str
        mgcv's label, e.g. ``"s(x)"``.
    bs : str
        The registered basis name; :func:`predict_block` looks the builder up by it.
    scale_penalty : bool
        mgcv's ``scale.penalty`` (ignored when ``raw.no_rescale``).

    Returns
    -------
    SmoothBlock
        ``X Z`` (n x (k - j)), the penalties ``Z' S_l Z / S.scale_l``, ``S.scale``, the
        null-space dimension ``max(0, nsd - j)`` and ranks ``min(rank, k - j)``; ``state``
        is ``raw.state`` plus ``bs``, ``label``, ``n_cons`` and ``Z`` (nested lists, None
        without a constraint).
    """
    X = np.asarray(raw.X, dtype=float)
    k = X.shape[1]
    penalties = [np.asarray(S, dtype=float) for S in raw.penalties]
    scales = [1.0] * len(penalties)
    if scale_penalty and penalties and not raw.no_rescale:
        scales = [penalty_scale(X, S) for S in penalties]
        penalties = [S / s for S, s in zip(penalties, scales)]

    C = (X.mean(axis=0)[None, :] if raw.constraint is None
         else np.asarray(raw.constraint, dtype=float).reshape(-1, k))
    j = C.shape[0]
    rank = tuple(int(r) for r in raw.rank)
    nsd = int(raw.null_space_dim)
    Z = None
    indi = None
    if j > 0:
        Z, indi = null_space_basis(C)
        X = X @ Z
        penalties = [Z.T @ S @ Z for S in penalties]
        rank = tuple(min(r, k - j) for r in rank)
        nsd = max(0, nsd - j)

    state: dict[str, Any] = dict(raw.state)
    state.update({"bs": bs, "label": label, "n_cons": j,
                  "Z": None if Z is None else Z.tolist(), "indi": indi})
    return SmoothBlock(label=label, bs=bs, X=X, penalties=tuple(penalties),
                       penalty_scale=tuple(scales), null_space_dim=nsd, rank=rank,
                       state=state)


def predict_block(block_state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
    """The constrained columns for new data (mgcv's ``PredictMat``).

    Parameters
    ----------
    block_state : mapping
        :attr:`SmoothBlock.state` (possibly read back from JSON).
    data : mapping
        Column name -> values.

    Returns
    -------
    ndarray, shape (n_new, p)
        ``predict_matrix(state, data) @ Z``; equals :attr:`SmoothBlock.X` on the fitting
        data. NaN rows stay NaN rows.
    """
    builder = get_basis(str(block_state["bs"]))
    X = np.asarray(builder.predict_matrix(block_state, data), dtype=float)
    Z = block_state.get("Z")
    if Z is None:
        return X
    return X @ np.asarray(Z, dtype=float)
