"""Random-effect blocks and covariance parameters of an nlme-style model.

A block is factor-coded (level codes plus a small per-row matrix, as
:class:`~aurora.compile.random_terms.ReTerm`); its covariance is lme4's ``Lambda``
(relative Cholesky factor, ``theta`` column-major), restricted to a diagonal or a multiple
of the identity when asked (:class:`ParamMap`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["ZBlock", "ParamMap", "param_map", "blocks_as_terms", "check_nested"]


@dataclass(frozen=True)
class ZBlock:
    """One random-effect block for :func:`fit_lme_corr`.

    Attributes
    ----------
    codes : ndarray of int, shape (n,)
        Level of each row (``0 .. nl - 1``); all zeros for a block with one level (a
        smooth's random part).
    X : ndarray, shape (n, k)
        Per-row matrix: row ``r`` of ``Z`` holds ``X[r]`` in the columns of level
        ``codes[r]``.
    covariance : {"unstructured", "diagonal", "identity"}
        Structure of the ``k x k`` covariance of a level's effects.
    name : str
    """

    codes: np.ndarray
    X: np.ndarray
    covariance: str = "unstructured"
    name: str = "g"


@dataclass(frozen=True)
class ParamMap:
    """Free covariance parameters to lme4's ``theta``: ``theta = T @ free``.

    Attributes
    ----------
    T : ndarray, shape (ntheta, nfree)
    lower : ndarray, shape (nfree,)
    start : ndarray, shape (nfree,)
    """

    T: np.ndarray
    lower: np.ndarray
    start: np.ndarray

    @property
    def n(self) -> int:
        return int(self.T.shape[1])

    def theta(self, free: np.ndarray) -> np.ndarray:
        return self.T @ np.asarray(free, dtype=float)

    def free(self, theta: np.ndarray) -> np.ndarray:
        return np.linalg.lstsq(self.T, np.asarray(theta, dtype=float), rcond=None)[0]


def param_map(terms: Any, structures: Sequence[str] | None) -> ParamMap:
    from aurora.compile.random_terms import theta_layout

    if terms is None:
        z = np.zeros((0, 0))
        return ParamMap(z, np.zeros(0), np.zeros(0))
    cols, lower, start = [], [], []
    ntheta = int(terms.theta_offsets[-1])
    off = 0
    for i, t in enumerate(terms.terms):
        kind = "unstructured" if structures is None else structures[i]
        r, c = theta_layout(t.k)
        diag = np.flatnonzero(r == c)
        if kind == "unstructured":
            groups = [[j] for j in range(r.size)]
        elif kind == "diagonal":
            groups = [[j] for j in diag]
        elif kind == "identity":
            groups = [list(diag)]
        else:
            raise ValueError(f"unknown covariance structure {kind!r}; use 'unstructured', "
                             "'diagonal' or 'identity'")
        for g in groups:
            col = np.zeros(ntheta)
            col[off + np.asarray(g)] = 1.0
            cols.append(col)
            on_diag = bool(r[g[0]] == c[g[0]])
            lower.append(0.0 if on_diag else -np.inf)
            start.append(1.0 if on_diag else 0.0)
        off += r.size
    return ParamMap(np.column_stack(cols) if cols else np.zeros((ntheta, 0)),
                    np.array(lower), np.array(start))


def blocks_as_terms(blocks: Sequence[ZBlock]) -> tuple[Any, list[str], list[int]]:
    """Random-effect blocks as factor-coded terms, the one with most levels first.

    Returns the terms, each term's covariance structure, and the position of each term in
    ``blocks``.
    """
    from aurora.compile.random_terms import RandomTerms, ReTerm, ReTermSpec

    built = []
    for i, b in enumerate(blocks):
        codes = np.asarray(b.codes, dtype=np.intp)
        Xb = np.asarray(b.X, dtype=float)
        Xb = Xb[:, None] if Xb.ndim == 1 else Xb
        nl = int(codes.max()) + 1 if codes.size else 0
        spec = ReTermSpec(None, b.name, tuple(str(j) for j in range(nl)),
                          tuple(f"X{j}" for j in range(Xb.shape[1])), None, b.name)
        built.append((ReTerm(spec, codes, np.ascontiguousarray(Xb)), b.covariance, i))
    built.sort(key=lambda e: -e[0].nl)
    terms = RandomTerms(tuple(e[0] for e in built), tuple(e[2] for e in built))
    return terms, [e[1] for e in built], [e[2] for e in built]


def check_nested(groups: np.ndarray, codes: np.ndarray) -> bool:
    """Whether every correlation group lies within one level of ``codes``.

    Examples
    --------
    >>> import numpy as np
    >>> check_nested(np.array([0, 0, 1, 1]), np.array([3, 3, 3, 5]))
    False
    """
    g = np.asarray(groups, dtype=np.int64)
    c = np.asarray(codes, dtype=np.int64)
    pairs = np.unique(g * (int(c.max()) + 1 if c.size else 1) + c)
    return pairs.size == np.unique(g).size
