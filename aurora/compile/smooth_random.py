"""Smooths as mixed-model terms: mgcv's ``smooth2random`` (``type = 2``, as gamm4 uses it).

A penalised smooth ``f = X beta`` with penalty ``beta' S beta`` is re-parametrised by the
eigen-decomposition ``S = U diag(ev) U'`` (eigenvalues decreasing, as R's ``eigen``):
with ``D = 1 / sqrt(c(ev[1:rank], rep(1, null.rank)))`` the columns ``X U diag(D)`` split
into a penalised part, whose coefficients are i.i.d. ``N(0, sigma^2 / lambda)`` (a
:class:`~aurora.compile.re_terms.DenseReTerm`, gamm4's ``Xr``), and the penalty null space,
whose columns become fixed effects (named ``s(x)Fx1``...). ``beta = U diag(D) c(b, beta_f)``
maps the mixed-model coefficients back (gamm4's ``trans.U``, ``trans.D``).

``t2`` smooths have diagonal penalties (mgcv builds them so): each penalty's columns are
scaled by ``1 / sqrt(diag(S_j))`` into a term of its own, the unpenalised columns are fixed
(mgcv's ``smooth2random.t2.smooth``). ``te`` smooths are refused as gamm4 refuses them
(mgcv's ``smooth2random.tensor.smooth`` needs nlme's ``pdTens``), and so are smooths with
several non-diagonal penalties.

Reference: Wood (2017), *Generalized Additive Models*, 2nd ed., section 6.6; Wood,
Scheipl & Faraway (2013), Statistics and Computing 23, 341-360 (gamm4).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.linalg import eigh

from aurora.errors import ModelSpecError

__all__ = ["SmoothRandom", "smooth2random", "new_name"]


@dataclass(frozen=True)
class SmoothRandom:
    """One smooth as fixed columns plus i.i.d. random-effect blocks (mgcv's ``rasm``).

    Attributes
    ----------
    label : str
        mgcv's label of the smooth.
    start, stop : int
        The smooth's columns in the GAM's model matrix.
    fixed : bool
        Unpenalised (``fx = TRUE``): every column is a fixed effect.
    Xf : ndarray, shape (n, nf)
        Fixed-effect columns (the penalty null space).
    fixed_names : tuple of str
        gamm4's names of those columns (``"s(x)Fx1"``).
    random : tuple of (str, ndarray)
        ``(term name, Z block (n, r_j))`` per penalty: gamm4's ``Xr``, ``Xr.0``...
    rind : ndarray of int
        0-based: which of the stacked random coefficients, in order, are the smooth's
        penalised coefficients (mgcv's ``rind``).
    trans_D : ndarray
        Scale of each re-parametrised coefficient.
    trans_U : ndarray or None
        Rotation to the original coefficients (None: identity).
    pen_ind : ndarray of int
        Per re-parametrised coefficient, its penalty (1-based) or 0 (fixed).
    """

    label: str
    start: int
    stop: int
    fixed: bool
    Xf: np.ndarray = field(repr=False)
    fixed_names: tuple[str, ...]
    random: tuple = field(default=(), repr=False)
    rind: np.ndarray = field(default=None, repr=False)
    trans_D: np.ndarray = field(default=None, repr=False)
    trans_U: np.ndarray | None = field(default=None, repr=False)
    pen_ind: np.ndarray = field(default=None, repr=False)

    @property
    def n_random(self) -> int:
        """Number of penalised (random) coefficients."""
        return int(sum(Z.shape[1] for _, Z in self.random))

    def B(self) -> np.ndarray:
        """The map from re-parametrised to original coefficients (gamm4's ``B`` block):
        ``U diag(D)``, or ``diag(D)`` without a rotation."""
        q = self.stop - self.start
        if self.fixed:
            return np.eye(q)
        if self.trans_U is None:
            return np.diag(self.trans_D)
        return self.trans_U * self.trans_D[None, :]

    def coefficients(self, b_random: Sequence[np.ndarray], beta_fixed: np.ndarray) -> np.ndarray:
        """The smooth's coefficients in the original parametrisation from its terms'
        random effects (``b``, one array per term) and its fixed effects."""
        if self.fixed:
            return np.asarray(beta_fixed, dtype=float)
        b = np.concatenate([np.asarray(v, dtype=float) for v in b_random])[self.rind]
        return self.B() @ np.concatenate([b, np.asarray(beta_fixed, dtype=float)])


def new_name(proposed: str, used: Sequence[str]) -> str:
    """mgcv's ``new.name``: ``proposed``, else ``proposed.0``, ``proposed.1``...

    Examples
    --------
    >>> new_name("Xr", ["y", "x"]), new_name("Xr", ["Xr", "Xr.0"])
    ('Xr', 'Xr.1')
    """
    prop, k = proposed, 0
    used = set(used)
    while prop in used:
        prop = f"{proposed}.{k}"
        k += 1
    return prop


def _fixed_names(label: str, m: int, used: list[str]) -> tuple[str, ...]:
    out = []
    for j in range(m):
        nm = new_name(f"{label}Fx{j + 1}", used)
        used.append(nm)
        out.append(nm)
    return tuple(out)


def _r_eigen(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``eigen(S, symmetric = TRUE)``: LAPACK's ``dsyevr``, eigenvalues decreasing."""
    values, vectors = eigh((S + S.T) / 2, driver="evr")
    return values[::-1], vectors[:, ::-1]


def smooth2random(block, X: np.ndarray, used_names: list[str], xlab: list[str]) -> SmoothRandom:
    """mgcv's ``smooth2random(sm, vnames, type = 2)`` for one compiled smooth.

    Parameters
    ----------
    block : PenaltyBlock
        The smooth (:mod:`aurora.compile.smooth_terms`): label, columns, penalties, null
        space dimension, ``fx``, basis.
    X : ndarray, shape (n, stop - start)
        The smooth's model-matrix columns.
    used_names : list of str
        Names taken so far (data columns and earlier terms); the new term names are
        appended (mgcv's ``vnames``).
    xlab : list of str
        Fixed-effect names taken so far; the new ones are appended.

    Returns
    -------
    SmoothRandom

    Examples
    --------
    >>> import numpy as np
    >>> from aurora.compile.smooth_terms import PenaltyBlock
    >>> S = np.diag([2.0, 1.0, 0.0])
    >>> b = PenaltyBlock("s(x)", 1, 4, (S,), null_space_dim=1, bs="tp")
    >>> r = smooth2random(b, np.eye(5)[:, :3], ["y", "x"], [])
    >>> r.random[0][0], r.random[0][1].shape, r.fixed_names, r.trans_D.round(4).tolist()
    ('Xr', (5, 2), ('s(x)Fx1',), [0.7071, 1.0, 1.0])
    """
    X = np.asarray(X, dtype=float)
    q = X.shape[1]
    mats = tuple(np.asarray(S, dtype=float) for S in block.matrices)
    if block.fx or not mats:
        return SmoothRandom(block.label, block.start, block.stop, True, X,
                            _fixed_names(block.label, q, xlab))
    if block.bs == "t2":
        return _t2_random(block, X, mats, used_names, xlab)
    if block.bs in ("te", "ti") or len(mats) > 1:
        what = "te smooths" if block.bs in ("te", "ti") else f"{block.label}, with several penalties,"
        raise ModelSpecError(f"{what} cannot be used with aurora.gamm, as with gamm4 "
                             "(mgcv's smooth2random needs one penalty, or t2's diagonal ones)",
                             "use t2() for tensor products in aurora.gamm (or fit with aurora.gam)")
    if block.bs == "fs":
        raise NotImplementedError(f"{block.label}: fs smooths are not available in aurora.gamm "
                                  "yet; fit with aurora.gam, or use s(x, by = f) + (1 | f)")
    ev, U = _r_eigen(mats[0])
    null_rank = int(block.null_space_dim)
    p_rank = min(q - null_rank, q)
    D = 1.0 / np.sqrt(np.concatenate([ev[:p_rank], np.ones(null_rank)]))
    XU = X @ (U * D[None, :])
    name = new_name("Xr", used_names)
    used_names.append(name)
    Xf = XU[:, p_rank:]
    pen_ind = np.zeros(q, dtype=int)
    pen_ind[:p_rank] = 1
    return SmoothRandom(block.label, block.start, block.stop, False, Xf,
                        _fixed_names(block.label, Xf.shape[1], xlab),
                        ((name, XU[:, :p_rank]),), np.arange(p_rank), D, U, pen_ind)


def _t2_random(block, X: np.ndarray, mats: tuple, used_names: list[str],
               xlab: list[str]) -> SmoothRandom:
    """mgcv's ``smooth2random.t2.smooth``: one term per (diagonal) penalty."""
    q = X.shape[1]
    fixed = np.ones(q, dtype=bool)
    diagU = np.ones(q)
    pen_ind = np.zeros(q, dtype=int)
    random = []
    for i, S in enumerate(mats):
        d = np.diag(S)
        if np.max(np.abs(S - np.diag(d))) > 1e-8 * max(np.max(np.abs(d)), 1.0):
            raise ModelSpecError(f"{block.label}: a t2 penalty is not diagonal",
                                 "fit the model with aurora.gam")
        indi = np.flatnonzero(d != 0)
        pen_ind[indi] = i + 1
        diagU[indi] = 1.0 / np.sqrt(d[indi])
        fixed[indi] = False
        name = new_name("Xr", used_names)
        used_names.append(name)
        used_names.append(new_name("g", used_names))  # mgcv takes a group name too
        random.append((name, X[:, indi] * diagU[indi][None, :]))
    n_para = sum(Z.shape[1] for _, Z in random)
    Xf = X[:, fixed]
    return SmoothRandom(block.label, block.start, block.stop, False, Xf,
                        _fixed_names(block.label, Xf.shape[1], xlab), tuple(random),
                        np.arange(n_para), diagU, None, pen_ind)
