"""Thin plate regression splines: mgcv's ``bs = "tp"`` (the default smooth) and ``"ts"``.

A port of mgcv's ``smooth.construct.tp.smooth.spec`` / ``Predict.matrix.tprs.smooth`` and
of the C routines behind them (``construct_tprs``, ``tprs_setup``, ``predict_tprs``,
``Rlanczos`` in mgcv 1.8-41's ``src/tprs.c`` and ``src/mat.c``), after Wood (2003),
"Thin plate regression splines", JRSS-B 65:95-114.

For covariates ``x`` in ``d`` dimensions (centred by their means: mgcv's ``shift``) and
the ``n_u`` unique covariate points, the full thin plate spline has the radial-basis matrix
``E[i, j] = eta(|x_i - x_j|)`` and the polynomial null space ``T`` (the ``M`` monomials
of degree < m). The rank-``k`` basis keeps the ``k`` eigenvalues of ``E`` largest in
magnitude, ``E ~ U D U'``, absorbs the side condition ``T'U delta = 0`` by a Householder
QT factorisation ``T'U Q = [0, B]`` (``Z`` = the first ``k - M`` columns of ``Q``) and gives

    X = [U D Z, T],        S = blockdiag(Z' D Z, 0_M),

each column of ``X`` then scaled to root mean square 1 (``S`` scaled to match).
New data are mapped through ``UZ = blockdiag(U Z, I_M)``: ``X_new = [eta(|x - x_u|), T(x)] UZ``.

Matching mgcv's numbers, signs included
---------------------------------------
mgcv fixes no eigenvector signs explicitly: they fall out of its Lanczos iteration. That
iteration is replicated step by step (the same deterministic start vector, full
re-orthogonalisation, convergence tests at the same iterations, the tridiagonal problem
solved by LAPACK's ``dstevd``, i.e. the ``dstedc`` mgcv calls), so the columns have
mgcv's signs and order, and X, S, UZ and the absorbed smooth agree with mgcv's to
rounding: ~1e-13 relative for small k, up to ~3e-11 for k = 110 (the Lanczos tolerance is
eps^0.7 ~ 1e-11). As in mgcv, new-data columns at the fitting points reproduce X only to
that accuracy (X uses ``U D``, prediction ``E U``): ~1e-9 relative for some 2-D and 3-D
bases. Unique points are sorted as mgcv's ``Xd_strip`` sorts them.

More than ``max_knots`` (2000) unique points: mgcv builds the basis on a random subset of
2000 of them, drawn by ``sample()`` under ``set.seed(1)`` (then restores the user's RNG
state). Aurora replays R's Mersenne-Twister seeding and R >= 3.6's rejection sampling
exactly, on mgcv's ``uniquecombs(..., ordered = TRUE)`` order (numeric order in 1-D; in
more dimensions R's 15-significant-digit text of each row in C-locale order), so the same
knots are chosen, with the user's random state untouched. It differs from mgcv only where
R's ``sample.kind`` was changed from the default ``"Rejection"`` (R < 3.6 behaviour), or in
the last of 15 digits of a multi-dimensional covariate's text (R formats through long
double arithmetic), which can change which points count as tied.

The state (JSON-able) holds the covariates' names and shifts, m, M, k, the unique knots
``Xu`` and ``UZ`` (rescaling included), and for ``m = (m, 0)`` the column means ``cmX``.

The numerics live in :mod:`._tprs` (radial basis, ``tprs_setup``), :mod:`._tprs_linalg`
(Lanczos, Householder) and :mod:`._tprs_points` (unique points, R's ``sample``).

Examples
--------
>>> import numpy as np
>>> from aurora.formula.ast import Smooth
>>> from aurora.smooths import get_basis
>>> x = np.linspace(0, 1, 50)
>>> raw = get_basis("tp").construct(Smooth("s", ("x",)), {"x": x})
>>> raw.X.shape, raw.null_space_dim, raw.rank
((50, 10), 2, (8,))
>>> bool(np.allclose(get_basis("tp").predict_matrix(raw.state, {"x": x}), raw.X))
True
"""
from __future__ import annotations

import math
import re
import warnings
from typing import Any, Mapping

import numpy as np

from aurora.errors import DataError, DataWarning
from aurora.smooths._tprs import (  # noqa: F401  (_basis_at... for the tests)
    _basis_at, _penalty_order, _poly, _poly_powers, _radial, _tprs_setup, null_space_dimension,
)
from aurora.smooths._tprs_points import _r_sample, _unique_ordered
from aurora.smooths.base import (RawBasis, basis_dimension, covariate, penalty_orders,
                                 register_basis, smooth_label)

__all__ = ["ThinPlateBasis", "null_space_dimension"]


_DEFAULT_K = (8, 27, 100)  # mgcv: k = M + def.k[min(d, 3)] when k is not given
_MAX_KNOTS = 2000


def _covariates(term: Any, data: Mapping[str, Any], label: str) -> np.ndarray:
    cols = [covariate(term, data, name) for name in term.variables]
    if len({len(c) for c in cols}) > 1:
        raise DataError(f"{label}: arguments of the smooth are not of the same length")
    x = np.column_stack(cols)
    if not np.all(np.isfinite(x)):
        raise DataError(f"{label}: a covariate has missing or infinite values",
                        "drop those rows (na_action) before building the smooth")
    return x


def _xt_option(xt: str | None, name: str, default: int) -> int:
    """``xt = list(max.knots = ..., seed = ...)`` as mgcv reads it."""
    hit = re.search(rf"{re.escape(name)}\s*=\s*(-?\d+)", xt or "")
    return int(hit.group(1)) if hit else default


@register_basis("tp", "ts")
class ThinPlateBasis:
    """mgcv's ``tp`` (``s(x)``, ``s(x, z)``, ... default ``k = M + 8, 27, 100`` for d = 1,
    2, >= 3, i.e. 10, 30, 110) and ``ts`` (the same, with the null space shrunk: its zero
    eigenvalues of S replaced by 0.1 times the smallest positive one).

    ``m`` is the penalty order (default: the smallest m with 2m > d + 1); ``m = (m1, 0)``
    drops the null space (mgcv's ``drop.null``: columns centred, no constraint).
    ``knots = {"x": [...], "z": [...]}`` sets the points the basis is built on (ignored, as
    in mgcv, when there are fewer than k of them).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.shrink = 0.1 if name == "ts" else None

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        label = smooth_label(term)
        x = _covariates(term, data, label)
        n, d = x.shape
        shift = x.mean(axis=0)
        shift += (x - shift).mean(axis=0)  # R's mean(): a second, correcting pass
        x = x - shift
        p_order = [0.0 if math.isnan(v) else v for v in penalty_orders(term)]
        m = _penalty_order(d, int(p_order[0]))
        M = math.comb(m + d - 1, d)
        drop_null = M if len(p_order) > 1 and p_order[1] == 0 else 0
        k = basis_dimension(term)
        if k < 0:
            k = M + _DEFAULT_K[min(d, 3) - 1]
        if k < M + 1:
            warnings.warn(f"{label}: basis dimension k increased to the minimum, {M + 1}",
                          DataWarning, stacklevel=2)
            k = M + 1
        kn = self._knots(term, knots, shift, n, label)
        max_knots = _xt_option(term.xt, "max.knots", _MAX_KNOTS)
        if kn is None and n > max_knots:
            xu = _unique_ordered(x)
            if len(xu) > max_knots:
                kn = xu[_r_sample(len(xu), max_knots, _xt_option(term.xt, "seed", 1))]
        X, S, UZ, Xu = _tprs_setup(x, kn, m, k, label)
        state = {"variables": list(term.variables), "d": d, "m": m, "M": M, "k": k,
                 "shift": shift.tolist(), "Xu": Xu.tolist(), "UZ": UZ.tolist(),
                 "drop_null": drop_null, "cmX": None}
        penalties: tuple[np.ndarray, ...] = ()
        if not term.fx:
            S = (S + S.T) / 2
            if self.shrink is not None:
                vals, vecs = np.linalg.eigh(S)
                vals, vecs = vals[::-1].copy(), vecs[:, ::-1]
                vals[k - M:] = vals[k - M - 1] * self.shrink
                S = (vecs * vals) @ vecs.T
            penalties = (S,)
        null_dim = 0 if self.shrink is not None else M
        rank = k - null_dim
        constraint = None
        if drop_null:
            keep = slice(0, k - null_dim)
            X = X[:, keep]
            penalties = tuple(P[keep, keep] for P in penalties)
            cm = X.mean(axis=0)
            X = X - cm
            state.update(cmX=cm.tolist(), n_keep=k - null_dim)
            null_dim = 0
            constraint = np.zeros((0, X.shape[1]))
        return RawBasis(X=X, penalties=penalties, null_space_dim=null_dim,
                        rank=(rank,) if penalties else (), state=state, constraint=constraint)

    def _knots(self, term: Any, knots: Any, shift: np.ndarray, n: int,
               label: str) -> np.ndarray | None:
        if not knots or any(v not in knots for v in term.variables):
            return None
        cols = [np.asarray(knots[v], dtype=float).ravel() - shift[i]
                for i, v in enumerate(term.variables)]
        if len({len(c) for c in cols}) > 1:
            raise DataError(f"{label}: the knots of the covariates have different lengths")
        if len(cols[0]) > n:
            warnings.warn(f"{label}: more knots than data in a tp term: knots ignored",
                          DataWarning, stacklevel=3)
            return None
        return np.column_stack(cols)

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        """Columns at new points (mgcv's ``Predict.matrix.tprs.smooth``): anywhere, the
        radial functions and polynomials extrapolate outside the data's range."""
        x = np.column_stack([np.asarray(data[v], dtype=float).ravel() - s
                             for v, s in zip(state["variables"], state["shift"])])
        Xu = np.asarray(state["Xu"], dtype=float).reshape(-1, int(state["d"]))
        UZ = np.asarray(state["UZ"], dtype=float)
        X = _basis_at(x, Xu, UZ, int(state["m"]), int(state["M"]))
        if state.get("drop_null"):
            X = X[:, : int(state["n_keep"])] - np.asarray(state["cmX"])
        return X
