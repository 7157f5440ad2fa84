"""Random-effect blocks and covariance parameters of an nlme-style model.

A block is factor-coded (level codes plus a small per-row matrix, as
:class:`~aurora.compile.random_terms.ReTerm`); or a dense ``n x r`` block of ``Z``
(:class:`~aurora.compile.re_terms.DenseReTerm`, a GAMM smooth's random part). Its
covariance is lme4's ``Lambda`` (relative Cholesky factor, ``theta`` column-major), a
diagonal or a multiple of the identity (``ReTermSpec.covariance``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["ZBlock", "blocks_as_terms", "check_nested"]


@dataclass(frozen=True)
class ZBlock:
    """One random-effect block for :func:`~aurora.engine.lme.fit_lme_corr`.

    Attributes
    ----------
    codes : ndarray of int, shape (n,), or None
        Level of each row (``0 .. nl - 1``). None for a dense block: every row loads on
        every column of ``X`` (i.i.d. effects with one variance, as a smooth's penalised
        part in a GAMM).
    X : ndarray, shape (n, k)
        Per-row matrix: row ``r`` of ``Z`` holds ``X[r]`` in the columns of level
        ``codes[r]`` (for a dense block, ``X`` is that block of ``Z``).
    covariance : {"unstructured", "diagonal", "identity"}
        Structure of the ``k x k`` covariance of a level's effects (a dense block is
        always ``identity``).
    name : str
    """

    codes: np.ndarray | None
    X: np.ndarray
    covariance: str = "unstructured"
    name: str = "g"


def blocks_as_terms(blocks: Sequence[ZBlock]) -> Any:
    """Random-effect blocks as :class:`~aurora.compile.re_terms.RandomTerms`, in the
    order given (the engine puts the grouped term with most effects first itself).

    Examples
    --------
    >>> import numpy as np
    >>> rt = blocks_as_terms([ZBlock(np.repeat([0, 1, 2], 2), np.ones(6)),
    ...                       ZBlock(None, np.arange(12.0).reshape(6, 2), name="s")])
    >>> [(t.nl, t.k, t.ntheta, t.dense) for t in rt.terms]
    [(3, 1, 1, False), (2, 1, 1, True)]
    """
    from aurora.compile.re_terms import DenseReTerm, RandomTerms, ReTerm, ReTermSpec

    built: list[Any] = []
    for b in blocks:
        Xb = np.asarray(b.X, dtype=float)
        Xb = np.ascontiguousarray(Xb[:, None] if Xb.ndim == 1 else Xb)
        if b.codes is None:
            spec = ReTermSpec(None, b.name, tuple(str(j + 1) for j in range(Xb.shape[1])),
                              (b.name,), None, b.name, covariance="identity")
            built.append(DenseReTerm(spec, Xb))
            continue
        codes = np.asarray(b.codes, dtype=np.intp)
        nl = int(codes.max()) + 1 if codes.size else 0
        spec = ReTermSpec(None, b.name, tuple(str(j) for j in range(nl)),
                          tuple(f"X{j}" for j in range(Xb.shape[1])), None, b.name,
                          covariance=b.covariance)
        built.append(ReTerm(spec, codes, Xb))
    return RandomTerms(tuple(built), tuple(range(len(built))))


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
