"""Tensor product smooths: mgcv's ``te()``, ``ti()`` and ``t2()``.

A tensor product smooth of covariates ``x, z, ...`` is built from one marginal basis per
margin (``bs``, ``k``, ``m`` per margin; ``cr`` with ``k = 5`` each by default, a margin of
``d > 1`` covariates is a thin plate margin). Its model matrix is the row-wise Kronecker
product of the marginal model matrices, ``T[i, ] = X1[i, ] %x% X2[i, ] %x% ...`` (the
first margin varies slowest), as mgcv's ``tensor.prod.model.matrix``.

``te``
    One penalty per margin, ``S_j = I %x% ... %x% S~_j %x% ... %x% I`` (mgcv's
    ``tensor.prod.penalties``), where ``S~_j`` is the marginal penalty divided by its
    largest eigenvalue. With ``np = TRUE`` (mgcv's default) a 1-D margin whose basis is not
    already parametrised by function values (all but ``cr``, ``cs``, ``cc``, ``re``) is
    first reparametrised so that its coefficients are the function's values at ``k``
    evenly spaced points: ``X -> X XP`` with ``XP = P^{-1}``, ``P`` the margin's columns at
    ``seq(min(x), max(x), length = k)``. The sum-to-zero constraint is applied to the
    whole product afterwards (by :func:`aurora.smooths.by.smooth_con`).
``ti``
    The same, but each margin has its own sum-to-zero constraint absorbed first (and its
    penalty scaled, as ``smoothCon`` does), so the product holds interactions only and
    needs no further constraint.
``t2``
    Wood, Scheipl and Faraway (2013): each margin is put in the natural parametrisation
    (mgcv's ``nat.param(type = 3)``: penalised columns with unit penalty, a centred,
    eigen-rotated null space), the product columns are grouped by which margins
    contribute their penalised (``r``) or null-space (``n``) part, and each group but the
    pure null-space one gets an identity penalty (``full = FALSE``). mgcv constrains the
    null-space group to sum to zero for fitting (or drops its last column when it has one
    column), but uses the sum-to-zero constraint on all columns (``Cp``) for ``PredictMat``;
    both are kept (``Z`` and ``Zp`` of the block's state).

References: Wood (2006), "Low-rank scale-invariant tensor product smooths for generalized
additive mixed models", Biometrics 62:1025-1036; Wood, Scheipl and Faraway (2013),
"Straightforward intermediate rank tensor product smoothing in mixed models", Statistics
and Computing 23:341-360; mgcv's ``te``, ``ti``, ``t2``,
``smooth.construct.tensor.smooth.spec``, ``smooth.construct.t2.smooth.spec``,
``Predict.matrix.tensor.smooth`` and ``nat.param`` (mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> rng = np.random.default_rng(1)
>>> data = {"x": rng.uniform(size=60), "z": rng.uniform(size=60)}
>>> raw = TENSORS["te"].construct(Smooth("te", ("x", "z")), data)
>>> raw.X.shape, len(raw.penalties), raw.rank
((60, 25), 2, (15, 15))
>>> bool(np.allclose(TENSORS["te"].predict_matrix(raw.state, data), raw.X))
True
"""
from __future__ import annotations

import math
import warnings
from functools import reduce
from typing import Any, Mapping

import numpy as np
from scipy.linalg import eigh, solve_triangular

from aurora.errors import DataWarning, ModelSpecError
from aurora.smooths.base import RawBasis, data_column, get_basis, is_factor_like, smooth_label
from aurora.smooths.bspline import r_seq
from aurora.smooths.constraints import absorb, predict_block

__all__ = ["TensorProduct", "T2Product", "TENSORS", "margin_terms", "row_kron",
           "tensor_penalties", "nat_param", "t2_model_matrix"]

# 1-D bases already parametrised by function values: mgcv's ``noterp`` (no np step).
_NO_INTERPOLATION = frozenset({"cr", "cs", "cc", "re"})
# Margins mgcv refuses (``te.ok == 0``).
_NOT_MARGINS = frozenset({"fs"})


# -------------------------------------------------------------------------------------
# The margins: te()/ti()/t2()'s reading of k, bs, m, d (mgcv's te())
# -------------------------------------------------------------------------------------
def _per_margin(value: Any, n: int) -> list[Any] | None:
    """A scalar repeated n times, a tuple of length n as a list; None if neither."""
    if not isinstance(value, tuple):
        return [value] * n
    if len(value) == 1:
        return [value[0]] * n
    return list(value) if len(value) == n else None


def margin_terms(term: Any) -> list[Any]:
    """The marginal ``s()`` terms of a te/ti/t2 term, as mgcv's ``te()`` makes them.

    ``d`` (covariates per margin, default one each) is read from ``term.d`` when the term
    has it; ``k`` defaults to ``5^d``, ``bs`` to ``"cr"`` (``"tp"`` for margins of several
    covariates), ``m`` to the basis default. A malformed option is reset with a warning,
    as mgcv does.
    """
    from aurora.formula.ast import Smooth

    label = smooth_label(term)
    dim = len(term.variables)
    if len(set(term.variables)) != dim:
        raise ModelSpecError(f"{label}: repeated variables as arguments of a smooth are "
                             "not permitted")
    d = getattr(term, "d", None)
    if d is None:
        d = [1] * dim
    else:
        d = [int(round(float(v))) for v in (d if isinstance(d, tuple | list) else (d,))]
        if min(d) <= 0 or sum(d) != dim:
            warnings.warn(f"{label}: something wrong with argument d; one covariate per "
                          "margin used", DataWarning, stacklevel=3)
            d = [1] * dim
    nb = len(d)
    default_k = [5 ** di for di in d]
    k = default_k if term.k is None else _per_margin(term.k, nb)
    if k is None or any(isinstance(v, bool) or not isinstance(v, int | float) for v in k):
        warnings.warn(f"{label}: k has the wrong length: reset to the default "
                      f"{default_k}", DataWarning, stacklevel=3)
        k = default_k
    else:
        k = [int(round(float(v))) for v in k]
        if min(k) < 3:
            warnings.warn(f"{label}: one or more supplied k too small - reset to default",
                          DataWarning, stacklevel=3)
            k = default_k
    bs = _per_margin("cr" if term.bs is None else term.bs, nb)
    if bs is None:
        warnings.warn(f"{label}: bs wrong length and ignored", DataWarning, stacklevel=3)
        bs = ["cr"] * nb
    bs = ["tp" if di > 1 and b in ("cr", "cs", "ps", "cp") else str(b)
          for di, b in zip(d, bs)]
    m = _per_margin(term.m, nb)
    if m is None:
        warnings.warn(f"{label}: m wrong length and ignored", DataWarning, stacklevel=3)
        m = [0] * nb
    m = [v if v is None or v >= 0 else 0 for v in m]
    out, j = [], 0
    for i in range(nb):
        variables = tuple(term.variables[j:j + d[i]])
        j += d[i]
        out.append(Smooth("s", variables, k=k[i], bs=bs[i], m=m[i], xt=term.xt))
    return out


def _margin_data(mterm: Any, data: Mapping[str, Any], knots: Any) -> tuple[dict, dict | None]:
    dat = {v: data_column(data, v) for v in mterm.variables}
    knt = None
    if knots:
        knt = {v: knots[v] for v in mterm.variables if v in knots}
    return dat, knt or None


# -------------------------------------------------------------------------------------
# Products
# -------------------------------------------------------------------------------------
def row_kron(*X: np.ndarray) -> np.ndarray:
    """Row-wise Kronecker product (mgcv's ``tensor.prod.model.matrix``), first matrix
    varying slowest."""
    def two(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        return (A[:, :, None] * B[:, None, :]).reshape(A.shape[0], -1)
    return reduce(two, X)


def tensor_penalties(S: list[np.ndarray]) -> list[np.ndarray]:
    """mgcv's ``tensor.prod.penalties``: ``I %x% ... %x% S_j %x% ... %x% I``, symmetrised."""
    if len(S) == 1:
        return [S[0]]
    out = []
    for i in range(len(S)):
        mats = [S[j] if j == i else np.eye(S[j].shape[1]) for j in range(len(S))]
        M = reduce(np.kron, mats)
        out.append((M + M.T) / 2)
    return out


# -------------------------------------------------------------------------------------
# mgcv's nat.param (types 1 and 3)
# -------------------------------------------------------------------------------------
def _eigen_decreasing(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``eigen(A, symmetric = TRUE)``: LAPACK dsyevr, values in decreasing order."""
    values, vectors = eigh((A + A.T) / 2, driver="evr")
    return values[::-1].copy(), vectors[:, ::-1].copy()


def nat_param(X: np.ndarray, S: np.ndarray, rank: int, type: int,
              unit_fnorm: bool = True) -> dict[str, Any]:
    """mgcv's ``nat.param``: the natural parametrisation of a singly penalised basis.

    Type 1 (used by ``fs``): with ``X = QR``, the eigen-decomposition
    ``R^{-T} S R^{-1} = U D U'`` gives columns ``Q U`` with penalty ``D``, then rescaled
    to a unit penalty on the range. Type 3 (used by ``t2``): eigenvectors of ``S``,
    penalised columns scaled to unit penalty, null-space columns scaled to the average
    penalised column norm, centred and rotated to the eigenvectors of their cross-product.
    Both then scale the range and the null-space columns to mean square 1 (``unit.fnorm``).

    Returns a dict with ``X`` (n x k), ``P`` (k x k, ``X_new = X_old P``), ``D`` (the
    penalty's diagonal on the range, length ``rank``) and ``rank``.

    The null-space eigenvectors of a repeated zero eigenvalue are defined by rounding
    (LAPACK's choice within the null space), in mgcv as here; the columns spanned and the
    penalties' range are not. So are every eigenvector's sign and the order of the zero
    eigenvalues. The fit does not depend on them, but mgcv's ``summary.gam`` statistic for
    a ``t2`` smooth does (it mixes the fitting and the prediction parametrisation, whose
    constraints are absorbed from different columns): mgcv's own F moves when the data
    are perturbed by one unit in the last place (validation_r/gam_rounding_reference.R).
    """
    X = np.asarray(X, dtype=float)
    k = X.shape[1]
    if type in (2, 3):
        values, vectors = _eigen_decreasing(S)
        null_exists = rank < k
        E = np.ones(k)
        E[:rank] = np.sqrt(values[:rank])
        X = X @ vectors
        col_norm = (X ** 2).sum(axis=0) / E ** 2
        av_norm = col_norm[:rank].mean()
        if null_exists:
            E[rank:] = np.sqrt(col_norm[rank:] / av_norm)
        P = vectors / E[None, :]
        X = X / E[None, :]
        if null_exists and type == 3 and rank < k - 1:
            ind = np.arange(rank, k)
            rind = ind[::-1]
            Xn = X[:, ind]
            Xn = Xn - Xn.mean(axis=0)[None, :]
            _, um = _eigen_decreasing(Xn.T @ Xn)
            X[:, rind] = X[:, ind] @ um
            P[:, rind] = P[:, ind] @ um
        scale = 1.0
        if unit_fnorm:
            scale = 1.0 / math.sqrt(float((X[:, :rank] ** 2).mean()))
            X[:, :rank] *= scale
            P[:rank, :] *= scale        # as mgcv (rows of P, the scaling of type 3)
            if null_exists:
                scalef = 1.0 / math.sqrt(float((X[:, rank:] ** 2).mean()))
                X[:, rank:] *= scalef
                P[rank:, :] *= scalef
        return {"X": X, "P": P, "D": np.full(rank, scale ** 2), "rank": rank}
    Q, R = np.linalg.qr(X)
    A = solve_triangular(R, S.T, trans="T")                 # R^{-T} S'
    RSR = solve_triangular(R, A.T, trans="T")               # R^{-T} S R^{-1}
    values, vectors = _eigen_decreasing(RSR)
    D = values[:rank].copy()
    X = Q @ vectors
    P = solve_triangular(R, vectors)
    if type == 1:
        E = np.concatenate([np.sqrt(D), np.ones(k - rank)])
        P = P / E[None, :]
        X = X / E[None, :]
        D = np.ones(rank)
    if unit_fnorm:
        scale = 1.0 / math.sqrt(float((X[:, :rank] ** 2).mean()))
        X[:, :rank] *= scale
        P[:, :rank] *= scale
        D = D * scale ** 2
        if rank < k:
            scalef = 1.0 / math.sqrt(float((X[:, rank:] ** 2).mean()))
            X[:, rank:] *= scalef
            P[:, rank:] *= scalef
    return {"X": X, "P": P, "D": D, "rank": rank}


# -------------------------------------------------------------------------------------
# te and ti
# -------------------------------------------------------------------------------------
def _marginal_raw(mterm: Any, data: Mapping[str, Any], knots: Any, label: str
                  ) -> tuple[str, Any, RawBasis]:
    bs = str(mterm.bs)
    if bs in _NOT_MARGINS:
        raise ModelSpecError(f"{label}: attempt to use unsuitable marginal smooth class "
                             f"{bs!r}", "use a spline basis (cr, tp, ps, ...) as a margin")
    builder = get_basis(bs)
    dat, knt = _margin_data(mterm, data, knots)
    raw = builder.construct(mterm, dat, knt)
    if len(raw.penalties) != 1:
        raise ModelSpecError(f"{label}: tensor products of smooths with multiple "
                             "penalties are not supported")
    return bs, builder, raw


class TensorProduct:
    """mgcv's ``te`` (``inter = False``) and ``ti`` (``inter = True``) tensor products."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.inter = name == "ti"

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        label = smooth_label(term)
        Xm, Sm, ranks, nulls, margins = [], [], [], [], []
        no_constraint = False
        for mterm in margin_terms(term):
            bs, builder, raw = _marginal_raw(mterm, data, knots, label)
            if self.inter:
                blk = absorb(raw, smooth_label(mterm), bs)
                X, S, rank, nsd, state = (blk.X, blk.penalties[0], blk.rank[0],
                                          blk.null_space_dim, dict(blk.state))
            else:
                X, S, rank, nsd, state = (raw.X, raw.penalties[0], raw.rank[0],
                                          raw.null_space_dim, dict(raw.state))
                if raw.constraint is not None and np.asarray(raw.constraint).shape[0] == 0:
                    no_constraint = True
            margin = {"bs": bs, "variables": list(mterm.variables), "mc": self.inter,
                      "state": state, "XP": None}
            if len(mterm.variables) == 1 and bs not in _NO_INTERPOLATION:
                XP = self._interpolation(mterm, data, margin, X.shape[1], label)
                if XP is not None:
                    X = X @ XP
                    S = XP.T @ S @ XP
                    margin["XP"] = XP.tolist()
            S = S / np.linalg.eigvalsh((S + S.T) / 2)[-1]
            Xm.append(X)
            Sm.append(S)
            ranks.append(int(rank))
            nulls.append(int(nsd))
            margins.append(margin)
        dims = [S.shape[0] for S in Sm]
        max_rank = math.prod(dims)
        X = row_kron(*Xm)
        penalties: tuple[np.ndarray, ...] = ()
        rank: tuple[int, ...] = ()
        if not term.fx:
            penalties = tuple(tensor_penalties(Sm))
            rank = tuple(max_rank * r // d for r, d in zip(ranks, dims))
        constraint = None
        if self.inter or no_constraint:
            constraint = np.zeros((0, X.shape[1]))
        state = {"kind": self.name, "term": list(term.variables), "margins": margins,
                 "bs_dim": int(X.shape[1])}
        return RawBasis(X=X, penalties=penalties, null_space_dim=math.prod(nulls),
                        rank=rank, state=state, constraint=constraint)

    @staticmethod
    def _interpolation(mterm: Any, data: Mapping[str, Any], margin: dict, k: int,
                       label: str) -> np.ndarray | None:
        """mgcv's ``np = TRUE`` step: ``XP`` with ``P XP = I``, P the margin's columns at
        k evenly spaced points (the inverse by SVD, as mgcv)."""
        var = mterm.variables[0]
        x = data_column(data, var)
        if is_factor_like(x):
            return None
        x = np.asarray(x, dtype=float)
        points = r_seq(float(np.nanmin(x)), float(np.nanmax(x)), k)
        P = _margin_columns(margin, {var: points})
        U, d, Vt = np.linalg.svd(P)
        if d[-1] / d[0] < np.finfo(float).eps ** 0.66:
            warnings.warn(f"{label}: reparameterization unstable for margin: not done",
                          DataWarning, stacklevel=4)
            return None
        return Vt.T @ (U.T / d[:, None])

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        """The product's columns at new data (mgcv's ``Predict.matrix.tensor.smooth``)."""
        cols = []
        for margin in state["margins"]:
            X = _margin_columns(margin, data)
            if margin.get("XP") is not None:
                X = X @ np.asarray(margin["XP"], dtype=float)
            cols.append(X)
        return row_kron(*cols)


def _margin_columns(margin: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
    dat = {v: data_column(data, v) for v in margin["variables"]}
    if margin["mc"]:
        return predict_block(margin["state"], dat)
    return np.asarray(get_basis(margin["bs"]).predict_matrix(margin["state"], dat),
                      dtype=float)


# -------------------------------------------------------------------------------------
# t2
# -------------------------------------------------------------------------------------
def t2_model_matrix(Xm: list[np.ndarray], rank: list[int]
                    ) -> tuple[np.ndarray, list[int], list[str]]:
    """mgcv's ``t2.model.matrix(full = FALSE)``: the product columns grouped by which
    margins give their penalised (``r``) or null-space (``n``) part.

    Returns the matrix, the column counts of the penalised groups (``sub.cols``) and their
    labels; the pure null-space group, when there is one, comes last and is unpenalised.
    """
    blocks = [Xm[0][:, :rank[0]]]
    labels = ["r"]
    no_null = False
    if rank[0] < Xm[0].shape[1]:
        blocks.append(Xm[0][:, rank[0]:])
        labels.append("n")
    else:
        no_null = True
    for Xi, ri in zip(Xm[1:], rank[1:]):
        Zi = Xi[:, :ri]
        null_exists = ri < Xi.shape[1]
        new = [row_kron(B, Zi) for B in blocks]
        new_labels = [lab + "r" for lab in labels]
        if null_exists:
            Ni = Xi[:, ri:]
            new += [row_kron(B, Ni) for B in blocks]
            new_labels += [lab + "n" for lab in labels]
        else:
            no_null = True
        blocks, labels = new, new_labels
    X = np.hstack(blocks)
    sub_cols = [B.shape[1] for B in blocks]
    if not no_null:
        sub_cols, labels = sub_cols[:-1], labels[:-1]
    return X, sub_cols, labels


class T2Product:
    """mgcv's ``t2`` (``full = FALSE``): one identity penalty per group of product columns."""

    name = "t2"

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        label = smooth_label(term)
        if term.fx:
            raise ModelSpecError(f"{label}: t2() has no fx argument (mgcv: unused argument)",
                                 "use te(..., fx = TRUE) for an unpenalised tensor product")
        Xm, ranks, margins = [], [], []
        no_constraint = False
        for mterm in margin_terms(term):
            bs, _, raw = _marginal_raw(mterm, data, knots, label)
            r = int(raw.rank[0])
            npar = nat_param(raw.X, raw.penalties[0], rank=r, type=3, unit_fnorm=True)
            Xm.append(npar["X"])
            ranks.append(r)
            margins.append({"bs": bs, "variables": list(mterm.variables),
                            "state": dict(raw.state), "P": npar["P"].tolist()})
            if raw.constraint is not None and np.asarray(raw.constraint).shape[0] == 0:
                no_constraint = True
        X, sub_cols, labels = t2_model_matrix(Xm, ranks)
        p = X.shape[1]
        penalties = []
        start = 0
        for c in sub_cols:
            dd = np.zeros(p)
            dd[start:start + c] = 1.0
            penalties.append(np.diag(dd))
            start += c
        nup = sum(sub_cols)
        nsd = p - nup
        if no_constraint or nsd == 0:
            constraint = np.zeros((0, p))
        elif nsd == 1:
            constraint = np.zeros((1, p))          # mgcv's C = ncol(X): drop the last column
            constraint[0, p - 1] = 1.0
        else:
            constraint = np.concatenate([np.zeros(nup), X[:, nup:].sum(axis=0)])[None, :]
        state = {"kind": "t2", "term": list(term.variables), "margins": margins,
                 "ranks": ranks, "bs_dim": int(p), "penalty_labels": labels,
                 "Cp": None if constraint.shape[0] == 0 else X.sum(axis=0).tolist()}
        return RawBasis(X=X, penalties=tuple(penalties), null_space_dim=nsd,
                        rank=tuple(sub_cols), state=state, constraint=constraint)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        """mgcv's ``Predict.matrix.t2.smooth``."""
        cols = []
        for margin in state["margins"]:
            dat = {v: data_column(data, v) for v in margin["variables"]}
            X = np.asarray(get_basis(margin["bs"]).predict_matrix(margin["state"], dat),
                           dtype=float)
            cols.append(X @ np.asarray(margin["P"], dtype=float))
        X, _, _ = t2_model_matrix(cols, list(state["ranks"]))
        return X


TENSORS: dict[str, Any] = {"te": TensorProduct("te"), "ti": TensorProduct("ti"),
                           "t2": T2Product()}
