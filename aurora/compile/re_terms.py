"""Random-effect terms as lme4 stores them (the compiled form of ``(expr | g)``).

Each bar becomes a :class:`ReTerm`: the grouping factor as level codes (one per row), a
small dense per-row model matrix ``X`` (``n x k``, R's ``model.matrix(~ expr)``) and the
names of its columns. The term's block of ``Z`` is the row-wise Khatri-Rao product of the
indicator matrix of the factor with ``X``: random effect ``level * k + j`` multiplies
``X[:, j]`` on the rows of ``level`` (lme4's ordering of ``Zt``'s rows). A
:class:`DenseReTerm` is the other kind: an ``n x r`` block of ``Z`` in which every row
loads on all ``r`` effects (a smooth's penalised part in a GAMM, as gamm4 puts it into
lme4: one i.i.d. term of ``r`` "levels").

The relative covariance factor is block diagonal, ``Lambda = diag(I_nl (x) T_i)``, with
``T_i`` lower triangular, filled from ``theta`` column by column (lme4's
``getME(m, "theta")`` layout); the diagonal elements of each ``T_i`` are bounded below by 0.
A term may instead have a diagonal ``T_i`` (``k`` parameters) or ``T_i = theta I``
(one parameter): ``ReTermSpec.covariance``.

Terms are reordered by decreasing number of levels as ``mkReTrms`` does (only when some
term has more levels than the one before it, as ``rev(order(nl))``, which also reverses
ties). Reference: Bates, Maechler, Bolker & Walker (2015), JSS 67(1), section 2.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from aurora.compile.grouping import factor_labels
from aurora.formula.ast import RandomEffect

__all__ = ["ReTermSpec", "ReTerm", "DenseReTerm", "RandomTerms", "theta_layout",
           "term_theta_layout", "COVARIANCES"]


#: Structures of a term's ``T_i``: lme4's lower triangle, a diagonal, a multiple of I.
COVARIANCES = ("unstructured", "diagonal", "identity")


@dataclass(frozen=True)
class ReTermSpec:
    """How one random-effect term was built; rebuilds its columns for new data.

    Attributes
    ----------
    bar : RandomEffect or None
        The formula node (None for a term built from arrays).
    group_name : str
        lme4's name of the grouping factor (``"g"``, ``"a:b"``, gamm4's ``"Xr"``).
    levels : tuple of str
        Level labels in order (R's ``levels(factor(g))``).
    column_names : tuple of str
        Names of the term's columns (lme4's ``cnms``), e.g. ``("(Intercept)", "t")``.
    formulaic_spec : formulaic ModelSpec or None
        Rebuilds the per-row matrix (None for an intercept-only term).
    label : str
        The bar as text (lme4's term name), e.g. ``"1 + t | g"``.
    group : tuple of str
        Grouping variables in lme4's order when it differs from the node's (nested
        ``a/b`` gives lme4's ``b:a``).
    covariance : {"unstructured", "diagonal", "identity"}
        Structure of ``T_i``: lme4's (``k (k + 1) / 2`` parameters), diagonal (``k``) or
        ``theta I`` (one).
    """

    bar: RandomEffect | None
    group_name: str
    levels: tuple[str, ...]
    column_names: tuple[str, ...]
    formulaic_spec: Any = field(default=None, repr=False, compare=False)
    label: str = ""
    group: tuple[str, ...] = ()
    covariance: str = "unstructured"

    @property
    def group_variables(self) -> tuple[str, ...]:
        """The grouping variables in lme4's order (``("b", "a")`` for ``a/b``'s ``b:a``)."""
        return self.group or self.bar.group

    @property
    def k(self) -> int:
        return len(self.column_names)

    def model_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The per-row matrix ``X`` (n, k) of new data."""
        if self.formulaic_spec is None:
            return np.ones((len(frame), 1))
        from aurora.compile.context import r_context, run_formulaic

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mm = run_formulaic(self.formulaic_spec.get_model_matrix, frame, na_action="ignore",
                               context=r_context())
        return np.asarray(mm, dtype=float)

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Level codes of new data: ``-1`` for levels not seen in the fit (or missing)."""
        labels, _ = factor_labels(frame, self.group_variables)
        lookup = {lv: i for i, lv in enumerate(self.levels)}
        return np.fromiter((lookup.get(v, -1) if v is not None else -1 for v in labels),
                           dtype=np.intp, count=len(labels))


def _ntheta(k: int, covariance: str) -> int:
    return {"unstructured": k * (k + 1) // 2, "diagonal": k, "identity": 1}[covariance]


@dataclass(frozen=True)
class ReTerm:
    """One compiled random-effect term, bound to the rows of the fit.

    Attributes
    ----------
    spec : ReTermSpec
    codes : ndarray of int, shape (n,)
        Level of each row, ``0 .. nl - 1``.
    X : ndarray, shape (n, k)
        Per-row model matrix of the term.
    """

    spec: ReTermSpec
    codes: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    dense = False

    @property
    def nl(self) -> int:
        """Number of levels."""
        return len(self.spec.levels)

    @property
    def k(self) -> int:
        """Columns per level."""
        return int(self.X.shape[1])

    @property
    def q(self) -> int:
        """Random effects of the term (``nl * k``)."""
        return self.nl * self.k

    @property
    def ntheta(self) -> int:
        return _ntheta(self.k, self.spec.covariance)

    def Z(self) -> sp.csr_matrix:
        """The term's block of ``Z`` (n, nl * k) as a sparse matrix."""
        n, k = self.X.shape
        cols = (self.codes[:, None] * k + np.arange(k)[None, :]).ravel()
        indptr = np.arange(0, n * k + 1, k)
        return sp.csr_matrix((self.X.ravel(), cols, indptr), shape=(n, self.q))

    def z_times(self, b: np.ndarray) -> np.ndarray:
        """``Z_i b_i`` for the term's effects ``b_i`` (length ``q``)."""
        return np.einsum("nk,nk->n", self.X, b.reshape(self.nl, self.k)[self.codes])


@dataclass(frozen=True)
class DenseReTerm:
    """A random-effect term whose block of ``Z`` is a dense ``n x r`` matrix.

    As lme4 sees the term gamm4 makes of a smooth's penalised part (``(1 | Xr)`` with
    ``Zt`` replaced): ``r`` levels of one column each, i.i.d. effects with one variance
    parameter (``T_i`` is 1 x 1), but every row loads on every level.

    Attributes
    ----------
    spec : ReTermSpec
        ``levels`` are ``"1" .. "r"``; ``column_names`` one name (gamm4: the smooth's label).
    Zd : ndarray, shape (n, r)

    Examples
    --------
    >>> import numpy as np
    >>> t = DenseReTerm(ReTermSpec(None, "Xr", ("1", "2"), ("s(x)",)), np.eye(3)[:, :2])
    >>> t.nl, t.k, t.q, t.ntheta
    (2, 1, 2, 1)
    """

    spec: ReTermSpec
    Zd: np.ndarray = field(repr=False)
    dense = True

    @property
    def nl(self) -> int:
        return int(self.Zd.shape[1])

    @property
    def k(self) -> int:
        return 1

    @property
    def q(self) -> int:
        return self.nl

    @property
    def ntheta(self) -> int:
        return 1

    @property
    def X(self) -> np.ndarray:
        """The dense block (as ``codes``/``X`` of a grouped term would give it)."""
        return self.Zd

    def Z(self) -> sp.csr_matrix:
        return sp.csr_matrix(self.Zd)

    def z_times(self, b: np.ndarray) -> np.ndarray:
        return self.Zd @ b


def theta_layout(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each theta element in a ``k x k`` lower triangle, column-major.

    Examples
    --------
    >>> [a.tolist() for a in theta_layout(2)]
    [[0, 1, 1], [0, 0, 1]]
    """
    rows, cols = [], []
    for j in range(k):
        for i in range(j, k):
            rows.append(i)
            cols.append(j)
    return np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp)


def term_theta_layout(k: int, covariance: str = "unstructured") -> tuple[np.ndarray, np.ndarray]:
    """Row and column in ``T_i`` of each of a term's theta elements (``identity``: the one
    parameter at ``(0, 0)``, repeated down the diagonal by :meth:`RandomTerms.lambda_blocks`).

    Examples
    --------
    >>> [a.tolist() for a in term_theta_layout(3, "diagonal")]
    [[0, 1, 2], [0, 1, 2]]
    """
    if covariance == "unstructured":
        return theta_layout(k)
    if covariance == "diagonal":
        return np.arange(k), np.arange(k)
    if covariance == "identity":
        return np.zeros(1, dtype=np.intp), np.zeros(1, dtype=np.intp)
    raise ValueError(f"unknown covariance {covariance!r}; use one of {COVARIANCES}")


@dataclass(frozen=True)
class RandomTerms:
    """All random-effect terms of a model, in lme4's order.

    Attributes
    ----------
    terms : tuple of ReTerm or DenseReTerm
        Sorted by decreasing number of levels (lme4's ``reorder.terms``).
    formula_order : tuple of int
        Position in the formula of each term.
    """

    terms: tuple[Any, ...]
    formula_order: tuple[int, ...] = ()

    @property
    def theta_offsets(self) -> np.ndarray:
        return np.cumsum([0] + [t.ntheta for t in self.terms])

    @property
    def b_offsets(self) -> np.ndarray:
        """Start of each term's random effects in ``b`` (lme4's ``Gp``)."""
        return np.cumsum([0] + [t.q for t in self.terms])

    @property
    def q(self) -> int:
        return int(sum(t.q for t in self.terms))

    @property
    def theta0(self) -> np.ndarray:
        """lme4's starting value: 1 on the diagonals, 0 elsewhere."""
        out = []
        for t in self.terms:
            r, c = term_theta_layout(t.k, t.spec.covariance)
            out.append((r == c).astype(float))
        return np.concatenate(out)

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds of theta: 0 for diagonal elements, ``-inf`` for the others."""
        return np.where(self.theta0 == 1.0, 0.0, -np.inf)

    @property
    def scalar(self) -> bool:
        """Every ``T_i`` is 1 x 1 (``Lambda`` is diagonal)."""
        return all(t.k == 1 for t in self.terms)

    @property
    def group_names(self) -> tuple[str, ...]:
        """Distinct grouping factors in term order (lme4's ``names(flist)``)."""
        return tuple(dict.fromkeys(t.spec.group_name for t in self.terms))

    @property
    def ngrps(self) -> dict[str, int]:
        """Levels of each grouping factor (lme4's ``ngrps``)."""
        out: dict[str, int] = {}
        for t in self.terms:
            out.setdefault(t.spec.group_name, t.nl)
        return out

    def lambda_blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """``T_i`` (k x k, lower triangular) of each term for a given ``theta``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from aurora.formula import parse
        >>> from aurora.compile.random_terms import build_random_terms
        >>> df = pd.DataFrame({"t": np.arange(9.), "g": list("aaabbbccc")})
        >>> rt = build_random_terms(parse("y ~ (1 + t | g)").random_effects, df)
        >>> rt.lambda_blocks(np.array([1., 2., 3.]))[0].tolist()
        [[1.0, 0.0], [2.0, 3.0]]
        """
        out = []
        off = self.theta_offsets
        for i, t in enumerate(self.terms):
            th = theta[off[i]:off[i + 1]]
            if t.spec.covariance == "identity":
                out.append(float(th[0]) * np.eye(t.k))
                continue
            T = np.zeros((t.k, t.k))
            r, c = term_theta_layout(t.k, t.spec.covariance)
            T[r, c] = th
            out.append(T)
        return out

    def Z(self) -> sp.csc_matrix:
        """The whole random-effects model matrix ``Z`` (n, q), sparse."""
        return sp.hstack([t.Z() for t in self.terms], format="csc")

    def Lambda(self, theta: np.ndarray) -> sp.csc_matrix:
        """``Lambda(theta)`` (q, q), sparse lower triangular (lme4's ``t(Lambdat)``)."""
        return sp.block_diag([sp.kron(sp.identity(t.nl), T) for t, T in
                              zip(self.terms, self.lambda_blocks(theta))], format="csc")
