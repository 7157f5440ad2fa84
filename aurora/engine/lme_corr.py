"""Residual correlation structures within groups, as nlme's ``corAR1`` and ``corCompSymm``.

Within group ``i`` the residuals have covariance ``sigma^2 W_i^(-1/2) R_i W_i^(-1/2)``
(``W`` the variance weights); the rows of different groups are independent. The fit
whitens each group by the lower Cholesky factor ``L_i`` of ``R_i`` (``M -> L_i^(-1) M``)
and adds the Jacobian ``sum_i log|L_i|`` to ``-log L`` (Pinheiro & Bates 2000, sec. 5.1;
nlme's ``recalc.corStruct`` and ``logDet``).

* AR(1) (``corAR1``): ``R[j, k] = phi^|t_j - t_k|`` with integer times ``t`` (nlme's
  ``corAR1`` on consecutive times and the ``corARMA(p = 1)`` it switches to otherwise give
  exactly this). Unconstrained parameter ``log((1 + phi) / (1 - phi))``.
* Compound symmetry (``corCompSymm``): ``R = (1 - rho) I + rho 11'``, with
  ``rho > -1 / (maxLen - 1)`` (``maxLen`` the largest group). Unconstrained parameter
  ``log((rho - inf) / (1 - rho))``, ``inf = -1 / (maxLen - 1)``.

The fit whitens in ``O(n)`` with closed-form square roots (AR(1): the Markov recursion in
time order; compound symmetry: the symmetric root), vectorised over all rows. nlme's own
factor, the Cholesky factor in data order (for normalized residuals, and as a check), is
batched by group size: one stacked Cholesky factorisation and one stacked solve per
distinct group size (in chunks of bounded memory). Never a Python loop over groups.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

__all__ = ["CorrStructure", "corr_structure", "CORRELATION_KINDS"]

#: Accepted names of correlation structures and their canonical kind.
CORRELATION_KINDS: dict[str, str] = {
    "ar1": "ar1", "corar1": "ar1", "AR1": "ar1",
    "cs": "cs", "compound_symmetry": "cs", "compsymm": "cs", "corcompsymm": "cs",
}

_CHUNK = 4_000_000  # entries of the stacked (groups, m, m) arrays held at once


@dataclass(frozen=True)
class _Bucket:
    """The groups of one size ``m``: their rows ``(G, m)`` and, for AR(1), the lags."""

    rows: np.ndarray
    lags: np.ndarray | None = None


@dataclass(frozen=True)
class CorrStructure:
    """A correlation structure bound to the rows of a fit.

    Attributes
    ----------
    kind : {"ar1", "cs"}
    groups : ndarray of int, shape (n,)
        Group code of each row (``0 .. G - 1``).
    time : ndarray of int, shape (n,)
        The AR(1) time of each row (position within its group when no covariate is
        given); for compound symmetry, the position.
    buckets : tuple
        Rows of the groups, batched by group size.
    max_len : int
        Largest group size.
    consecutive : bool
        Every group's times increase by exactly 1 from row to row (nlme then keeps
        ``corAR1``; otherwise it switches to ``corARMA(p = 1, q = 0)``, same model).

    Examples
    --------
    >>> import numpy as np
    >>> cs = corr_structure("cs", np.array([0, 0, 0, 1, 1]))
    >>> round(cs.natural(cs.start), 6), cs.param_name
    (0.0, 'Rho')
    >>> A, half_logdet = cs.whiten(np.ones((5, 1)), cs.unconstrained(0.5), "cholesky")
    >>> np.round(A[:3, 0], 6).tolist()
    [1.0, 0.57735, 0.408248]
    >>> B, half_fast = cs.whiten(np.ones((5, 1)), cs.unconstrained(0.5))  # another root
    >>> round(float(A[:3, 0] @ A[:3, 0]), 6) == round(float(B[:3, 0] @ B[:3, 0]), 6)
    True
    >>> round(half_logdet, 9) == round(half_fast, 9)
    True
    """

    kind: str
    groups: np.ndarray = field(repr=False)
    time: np.ndarray = field(repr=False)
    buckets: tuple = field(repr=False)
    max_len: int = 1
    consecutive: bool = True

    @property
    def n_groups(self) -> int:
        return int(self.groups.max()) + 1 if self.groups.size else 0

    @property
    def n_par(self) -> int:
        return 1

    @property
    def param_name(self) -> str:
        """nlme's name of the parameter: ``Phi`` (AR(1); ``Phi1`` for ``corARMA``) or
        ``Rho``."""
        if self.kind == "ar1":
            return "Phi" if self.consecutive else "Phi1"
        return "Rho"

    @property
    def struct_name(self) -> str:
        """What nlme's summary calls the structure."""
        if self.kind == "ar1":
            return "AR(1)" if self.consecutive else "ARMA(1,0)"
        return "Compound symmetry"

    @property
    def _inf(self) -> float:
        return -1.0 / (self.max_len - 1) if self.max_len > 1 else -np.inf

    @property
    def start(self) -> float:
        """nlme's starting value: the unconstrained parameter at correlation 0."""
        return self.unconstrained(0.0)

    def natural(self, z: float) -> float:
        """The correlation (phi or rho) of the unconstrained parameter ``z``."""
        z = float(z)
        if self.kind == "ar1":
            return float(np.tanh(z / 2.0))
        if z > 700:
            return 1.0
        e = np.exp(z)
        return float((e + self._inf) / (e + 1.0))

    def unconstrained(self, value: float) -> float:
        """nlme's unconstrained parameter of a correlation ``value``."""
        if self.kind == "ar1":
            return float(np.log((1 + value) / (1 - value)))
        return float(np.log((value - self._inf) / (1 - value)))

    def _matrices(self, z: float, b: _Bucket, sl: slice) -> np.ndarray:
        r = self.natural(z)
        if self.kind == "ar1":
            return np.power(r, b.lags[sl])
        m = b.rows.shape[1]
        R = np.full((b.rows[sl].shape[0], m, m), r)
        R[:, np.arange(m), np.arange(m)] = 1.0
        return R

    def _chunks(self, b: _Bucket):
        G, m = b.rows.shape
        step = max(1, _CHUNK // max(m * m, 1))
        for g0 in range(0, G, step):
            yield slice(g0, min(G, g0 + step))

    def whiten(self, A: np.ndarray, z: float, method: str = "fast") -> tuple[np.ndarray, float]:
        """Whiten every group and return ``sum_i log|L_i|`` (half the log determinant of
        the correlation matrices).

        ``method="cholesky"`` applies ``L_i^(-1)`` with ``L_i`` the lower Cholesky factor
        of the group's matrix in data order (nlme's ``corFactor``; what its normalized
        residuals use), batched by group size. ``method="fast"`` (the fit's) applies
        another square root, in ``O(n)``: AR(1) by the Markov recursion over the
        group's rows in time order, ``(e_j - phi^d e_(j-1)) / sqrt(1 - phi^(2d))``;
        compound symmetry by the symmetric root, ``e / sqrt(1 - rho) + mean(e) (1 /
        sqrt(1 + (m - 1) rho) - 1 / sqrt(1 - rho))``. Any root gives the same
        cross-products and likelihood (the groups lie within levels of the random
        effects, so the factor-coded layout survives).

        Parameters
        ----------
        A : ndarray, shape (n, c)
        z : float
            Unconstrained parameter.
        method : {"fast", "cholesky"}

        Returns
        -------
        (ndarray of shape (n, c), float)
        """
        A = np.asarray(A, dtype=float)
        if method == "cholesky":
            return self._whiten_cholesky(A, z)
        r = self.natural(z)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.kind == "ar1":
                return self._whiten_ar1(A, r)
            return self._whiten_cs(A, r)

    def _whiten_ar1(self, A: np.ndarray, r: float) -> tuple[np.ndarray, float]:
        o = self.time_order
        lag = self.lag_sorted
        phi = np.where(lag > 0, np.power(r, lag), 0.0)  # 0 on a group's first row
        sd = np.sqrt(1.0 - phi * phi)
        B = A if o is None else A[o]
        W = np.empty_like(B)
        W[0] = B[0]
        W[1:] = (B[1:] - phi[1:, None] * B[:-1]) / sd[1:, None]
        if o is None:
            return W, float(np.sum(np.log(sd)))
        out = np.empty_like(A)
        out[o] = W
        return out, float(np.sum(np.log(sd)))

    def _whiten_cs(self, A: np.ndarray, r: float) -> tuple[np.ndarray, float]:
        m = self.sizes.astype(float)
        means = (self.indicator @ A) / m[:, None]
        a = 1.0 / np.sqrt(1.0 - r)
        lam = 1.0 + (m - 1.0) * r
        coef = 1.0 / np.sqrt(lam) - a
        out = a * A + (coef[:, None] * means)[self.groups]
        half = 0.5 * float(np.sum((m - 1.0) * np.log(1.0 - r) + np.log(lam)))
        return out, half

    def _whiten_cholesky(self, A: np.ndarray, z: float) -> tuple[np.ndarray, float]:
        out = np.array(A, dtype=float, copy=True)
        half_logdet = 0.0
        for b in self.buckets:
            if b.rows.shape[1] == 1:
                continue
            for sl in self._chunks(b):
                rows = b.rows[sl]
                L = np.linalg.cholesky(self._matrices(z, b, sl))
                out[rows] = np.linalg.solve(L, A[rows])
                half_logdet += float(np.sum(np.log(np.diagonal(L, axis1=1, axis2=2))))
        return out, half_logdet

    @cached_property
    def sizes(self) -> np.ndarray:
        """Rows in each group."""
        return np.bincount(self.groups, minlength=self.n_groups)

    @cached_property
    def indicator(self) -> sp.csr_matrix:
        """The ``(G, n)`` 0/1 matrix of the groups (sums over a group's rows)."""
        n = self.groups.size
        return sp.csr_matrix((np.ones(n), (self.groups, np.arange(n))),
                             shape=(self.n_groups, n))

    @cached_property
    def time_order(self) -> np.ndarray | None:
        """Rows sorted by group, then time (None when the data are in that order)."""
        o = np.lexsort((self.time, self.groups))
        return None if np.array_equal(o, np.arange(o.size)) else o

    @cached_property
    def lag_sorted(self) -> np.ndarray:
        """In time order: each row's time minus that of the previous row of its group
        (0 for a group's first row)."""
        o = self.time_order
        g = self.groups if o is None else self.groups[o]
        t = self.time if o is None else self.time[o]
        lag = np.zeros(g.size, dtype=np.int64)
        same = np.r_[False, g[1:] == g[:-1]]
        lag[same] = (t[1:] - t[:-1])[same[1:]]
        return lag

    def matrix(self, z: float, group: int) -> np.ndarray:
        """The correlation matrix of one group (its rows in data order)."""
        rows = np.flatnonzero(self.groups == group)
        r = self.natural(z)
        if self.kind == "ar1":
            t = self.time[rows]
            return np.power(r, np.abs(t[:, None] - t[None, :]))
        R = np.full((rows.size, rows.size), r)
        np.fill_diagonal(R, 1.0)
        return R


def _positions(groups: np.ndarray, order: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """1-based position of each row within its group, in data order."""
    pos = np.empty(groups.size, dtype=np.int64)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    pos[order] = np.arange(groups.size) - np.repeat(starts, sizes) + 1
    return pos


def corr_structure(kind: str, groups: np.ndarray, time: np.ndarray | None = None) -> CorrStructure:
    """Bind a correlation structure to the rows of a fit.

    Parameters
    ----------
    kind : str
        ``"ar1"`` or ``"cs"`` (aliases in :data:`CORRELATION_KINDS`).
    groups : ndarray of int, shape (n,)
        Group codes ``0 .. G - 1`` (every code present).
    time : ndarray, shape (n,), optional
        AR(1) times: integers, distinct within a group. Without them the position of
        each row within its group is used (nlme's ``corAR1(form = ~ 1 | g)``).

    Returns
    -------
    CorrStructure

    Raises
    ------
    ValueError
        Unknown kind, non-integer times or times repeated within a group (the front
        doors turn these into :mod:`aurora.errors` types before calling).

    Examples
    --------
    >>> import numpy as np
    >>> ar = corr_structure("ar1", np.array([0, 0, 0]), np.array([1, 2, 4]))
    >>> ar.consecutive, np.round(ar.matrix(ar.unconstrained(0.5), 0)[0], 4).tolist()
    (False, [1.0, 0.5, 0.125])
    """
    if kind not in CORRELATION_KINDS:
        raise ValueError(f"unknown correlation structure {kind!r}")
    kind = CORRELATION_KINDS[kind]
    groups = np.asarray(groups, dtype=np.intp)
    n = groups.size
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups) if n else np.zeros(0, dtype=np.intp)
    pos = _positions(groups, order, sizes)
    if kind == "ar1" and time is not None:
        t = np.asarray(time, dtype=float)
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise ValueError("AR(1) times must be integers")
        t = t.astype(np.int64)
    else:
        t = pos
    sorted_t = t[order]
    same = groups[order][1:] == groups[order][:-1]
    steps = np.diff(sorted_t)[same]
    if kind == "ar1":
        pair = np.lexsort((t, groups))
        dup = (groups[pair][1:] == groups[pair][:-1]) & (t[pair][1:] == t[pair][:-1])
        if np.any(dup):
            raise ValueError("AR(1) times must be distinct within a group")
    consecutive = bool(np.all(steps == 1))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    buckets = []
    for m in np.unique(sizes):
        gs = np.flatnonzero(sizes == m)
        rows = order[starts[gs][:, None] + np.arange(m)[None, :]]
        lags = None
        if kind == "ar1" and m > 1:
            tt = t[rows]
            lags = np.abs(tt[:, :, None] - tt[:, None, :])
        buckets.append(_Bucket(rows, lags))
    max_len = int(sizes.max()) if n else 1
    return CorrStructure(kind, groups, t, tuple(buckets), max_len, consecutive)
