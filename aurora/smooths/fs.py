"""Factor-smooth interactions, mgcv's ``bs = "fs"``: one smooth of ``x`` per level of a
factor ``f``, ``s(x, f, bs = "fs")``, all sharing the same smoothing parameters.

The base smooth of the metric covariates (``xt = "cr"`` or ``xt = list(bs = "cr")``
chooses its basis; ``tp`` by default) is put in the natural parametrisation (mgcv's
``nat.param(type = 1)``: columns with a unit penalty on the penalty's range), and its
columns are repeated per factor level, ``X = [Xb * (f == l_1), ..., Xb * (f == l_L)]``.
The penalties are, with ``r`` the base's penalty rank and ``p`` its dimension,

* ``S_1 = I_L %x% diag(1, ..., 1, 0, ..., 0)`` (the wiggliness of every level's curve),
* one ``S_{1+i} = I_L %x% e_{r+i} e_{r+i}'`` per null-space direction ``i = 1..p-r``,

so the null space is penalised too (the curves are random effects: mgcv's "smooths as
random effects"), and there is no identifiability constraint (``null.space.dim = 0``).
Without a factor among its covariates the term is the base smooth; with only the factor,
a random effect (``bs = "re"``), as in mgcv.

The eigenvectors spanning the base penalty's null space belong to a repeated zero
eigenvalue: which orthonormal basis of the null space LAPACK returns is decided by
rounding, in mgcv as here, so the columns of the null space and their penalties ``S_{1+i}``
can be rotated relative to mgcv's (the space spanned, ``S_1`` and the sum of the null-space
penalties are not). Aurora uses the same LAPACK routine (``dsyevr``) on the same matrix.
Each direction has its own smoothing parameter, so the rotation changes the fit, in mgcv
too: its REML score for ``s(x1, g, bs = "fs", k = 5)`` on validation_r's gam.check data
ranges over 303.6 to 312.6 when ``x1`` is perturbed by one unit in the last place
(validation_r/gam_rounding_reference.R); given mgcv's rotation aurora's fit is mgcv's.

Differences from mgcv: ``fx = TRUE`` gives the unpenalised interaction (mgcv fails), and a
base without a null space (``xt = "cs"``) gives ``S_1`` alone (mgcv fails).

References: Wood (2017) *Generalized Additive Models*, 2nd ed., section 7.7.4; mgcv's
``smooth.construct.fs.smooth.spec``, ``Predict.matrix.fs.interaction`` and ``nat.param``
(mgcv 1.8-41).

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from aurora.formula.ast import Smooth
>>> rng = np.random.default_rng(3)
>>> data = {"x": rng.uniform(size=90),
...         "g": pd.Categorical(rng.choice(["a", "b", "c"], 90))}
>>> raw = FactorSmooth("fs").construct(Smooth("s", ("x", "g"), bs="fs", k=5), data)
>>> raw.X.shape, len(raw.penalties), raw.rank, raw.null_space_dim
((90, 15), 3, (9, 3, 3), 0)
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np
import pandas as pd

from aurora.errors import FactorLevelError, ModelSpecError
from aurora.smooths.base import (RawBasis, data_column, get_basis, is_factor_like,
                                 register_basis, smooth_label)
from aurora.smooths.re import factor_levels
from aurora.smooths.tensor import nat_param

__all__ = ["FactorSmooth", "base_basis", "level_codes", "level_text"]


def base_basis(xt: str | None) -> str:
    """The base smooth's basis from ``xt`` as mgcv reads it: ``"cr"`` or
    ``list(bs = "cr")``; ``"tp"`` without one."""
    if not xt:
        return "tp"
    text = xt.strip()
    hit = re.fullmatch(r"""["']([\w.]+)["']""", text)
    if hit:
        return hit.group(1)
    hit = re.search(r"""\bbs\s*=\s*["']([\w.]+)["']""", text)
    return hit.group(1) if hit else "tp"


def level_text(v: Any) -> str:
    """A value as R prints it as a factor level (TRUE/FALSE, 2 not 2.0)."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def level_codes(values: Any, levels: list[str], name: str) -> np.ndarray:
    """0-based level codes of a factor column, -1 where missing; unseen levels refused."""
    arr = pd.Series(np.asarray(values, dtype=object).reshape(-1), dtype=object)
    missing = arr.isna().to_numpy()
    index = {lev: i for i, lev in enumerate(levels)}
    codes = np.full(len(arr), -1, dtype=int)
    unseen = set()
    for i in np.flatnonzero(~missing):
        text = level_text(arr.iat[i])
        code = index.get(text)
        if code is None:
            unseen.add(text)
        else:
            codes[i] = code
    if unseen:
        raise FactorLevelError(f"new data hold level(s) {sorted(unseen)} of {name} that "
                               "the model never saw", f"use only the levels {levels}")
    return codes


def _expand(Xb: np.ndarray, codes: np.ndarray, n_levels: int) -> np.ndarray:
    """``[Xb * (f == l_1), ..., Xb * (f == l_L)]``; rows with a missing factor are NaN."""
    n, p = Xb.shape
    X = np.zeros((n, p * n_levels))
    for i in range(n_levels):
        X[:, i * p:(i + 1) * p] = Xb * (codes == i)[:, None]
    X[codes < 0] = np.nan
    return X


@register_basis("fs")
class FactorSmooth:
    """mgcv's ``fs``: ``s(x, f, bs = "fs", xt = "<base bs>")``."""

    k_too_large = "error"

    def __init__(self, name: str) -> None:
        self.name = name

    def construct(self, term: Any, data: Mapping[str, Any], knots: Any = None) -> RawBasis:
        from aurora.formula.ast import Smooth

        label = smooth_label(term)
        base = base_basis(term.xt)
        factors = [v for v in term.variables if is_factor_like(data_column(data, v))]
        if len(factors) > 1:
            raise ModelSpecError(f"{label}: fs smooths can only have one factor argument")
        if not factors or len(term.variables) == 1:
            plain = base if not factors else "re"
            raw = get_basis(plain).construct(Smooth("s", term.variables, k=term.k, bs=plain,
                                                    m=term.m, fx=term.fx, xt=term.xt),
                                             data, knots)
            return RawBasis(X=raw.X, penalties=raw.penalties,
                            null_space_dim=raw.null_space_dim, rank=raw.rank,
                            state={**raw.state, "fs_plain": plain},
                            constraint=raw.constraint, no_rescale=raw.no_rescale)
        fterm = factors[0]
        metric = tuple(v for v in term.variables if v != fterm)
        bterm = Smooth("s", metric, k=term.k, bs=base, m=term.m, fx=term.fx, xt=term.xt)
        braw = get_basis(base).construct(bterm, {v: data_column(data, v) for v in metric},
                                         knots)
        if len(braw.penalties) > 1:
            raise ModelSpecError(f'{label}: "fs" smooth cannot use a multiply penalized '
                                 f"basis (wrong basis in xt: {base!r})")
        fac = data_column(data, fterm)
        levels = factor_levels(fac)
        codes = level_codes(fac, levels, fterm)
        nf = len(levels)
        p = braw.X.shape[1]
        if braw.penalties:
            rank = int(braw.rank[0])
            npar = nat_param(braw.X, braw.penalties[0], rank=rank, type=1)
            Xb, P, D = npar["X"], npar["P"], npar["D"]
            null_d = p - rank
            d1 = np.concatenate([D, np.zeros(null_d)])
            penalties = [np.diag(np.tile(d1, nf))]
            for i in range(null_d):
                um = np.zeros(p)
                um[rank + i] = 1.0
                penalties.append(np.diag(np.tile(um, nf)))
            ranks = (rank * nf,) + (nf,) * null_d
        else:                      # fx = TRUE: the unpenalised interaction
            Xb, P, penalties, ranks = braw.X, np.eye(p), [], ()
        X = _expand(Xb, codes, nf)
        state = {"term": list(term.variables), "fterm": fterm, "flev": levels,
                 "base": {"bs": base, "variables": list(metric), "state": dict(braw.state)},
                 "P": P.tolist(), "bs_dim": int(X.shape[1])}
        return RawBasis(X=X, penalties=tuple(penalties), null_space_dim=0, rank=ranks,
                        state=state, constraint=np.zeros((0, X.shape[1])))

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, Any]) -> np.ndarray:
        """mgcv's ``Predict.matrix.fs.interaction``."""
        plain = state.get("fs_plain")
        if plain is not None:
            return get_basis(plain).predict_matrix(state, data)
        base = state["base"]
        dat = {v: data_column(data, v) for v in base["variables"]}
        Xb = np.asarray(get_basis(base["bs"]).predict_matrix(base["state"], dat), dtype=float)
        Xb = Xb @ np.asarray(state["P"], dtype=float)
        levels = list(state["flev"])
        codes = level_codes(data_column(data, state["fterm"]), levels, state["fterm"])
        return _expand(Xb, codes, len(levels))
