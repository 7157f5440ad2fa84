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
from aurora.smooths.base import (RawBasis, basis_dimension, covariate, penalty_orders,
                                 register_basis, smooth_label)

__all__ = ["ThinPlateBasis", "null_space_dimension"]

_DEFAULT_K = (8, 27, 100)  # mgcv: k = M + def.k[min(d, 3)] when k is not given
_MAX_KNOTS = 2000
_CHUNK = 4096  # rows of new data evaluated at once (n x n_knots distances each)


# -------------------------------------------------------------------------------------
# The thin plate spline: penalty order, null space, radial basis function
# -------------------------------------------------------------------------------------
def _penalty_order(d: int, m: int) -> int:
    """mgcv's m: if 2m <= d the smallest m with 2m > d + 1 (so the spline is smooth)."""
    if 2 * m <= d:
        m = 1
        while 2 * m < d + 2:
            m += 1
    return m


def null_space_dimension(d: int, m: int) -> int:
    """Dimension M = choose(m + d - 1, d) of the thin plate penalty's null space.

    >>> [null_space_dimension(d, 0) for d in (1, 2, 3, 4)]
    [2, 3, 10, 15]
    """
    return math.comb(_penalty_order(d, m) + d - 1, d)


def _eta_const(m: int, d: int) -> float:
    """The constant of the thin plate radial function (mgcv's ``eta_const``)."""
    pi = math.pi
    if d % 2 == 0:
        f = -1.0 if (m + 1 + d // 2) % 2 else 1.0
        f /= 2.0 ** (2 * m - 1) * pi ** (d // 2)
        f /= math.factorial(m - 1) * math.factorial(m - d // 2)
        return f
    f = math.sqrt(pi)
    for i in range(m - (d - 1) // 2):
        f /= -0.5 - i  # f = Gamma(d/2 - m)
    f /= 4.0 ** m * pi ** (d // 2) * math.sqrt(pi) * math.factorial(m - 1)
    return f


def _eta(r2: np.ndarray, m: int, d: int) -> np.ndarray:
    """eta(r) from the squared distance r2: c r^(2m-d) (times log r for even d); 0 at r = 0."""
    c = _eta_const(m, d)
    p = m - d // 2
    if d % 2:
        return c * r2 ** (p - 1) * np.sqrt(r2)  # p >= 1 since 2m > d
    return c * 0.5 * np.log(np.where(r2 > 0, r2, 1.0)) * r2 ** p


def _poly_powers(M: int, m: int, d: int) -> np.ndarray:
    """Powers (M, d) of the monomials spanning the null space, in mgcv's order."""
    powers = np.zeros((M, d), dtype=int)
    index = [0] * d
    for i in range(M):
        powers[i] = index
        total = sum(index)
        if total < m - 1:
            index[0] += 1
        else:
            total -= index[0]
            index[0] = 0
            for j in range(1, d):
                index[j] += 1
                total += 1
                if total == m:
                    total -= index[j]
                    index[j] = 0
                else:
                    break
    return powers


def _poly(x: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """The null-space columns T (n, M) at points x (n, d)."""
    T = np.ones((x.shape[0], powers.shape[0]))
    for j, pw in enumerate(powers):
        for k, p in enumerate(pw):
            for _ in range(p):
                T[:, j] *= x[:, k]
    return T


def _radial(x: np.ndarray, knots: np.ndarray, m: int) -> np.ndarray:
    """eta(|x_i - knot_j|), shape (n, n_knots)."""
    r2 = np.zeros((x.shape[0], knots.shape[0]))
    for k in range(x.shape[1]):
        r2 += (x[:, k, None] - knots[None, :, k]) ** 2
    return _eta(r2, m, x.shape[1])


# -------------------------------------------------------------------------------------
# mgcv's linear algebra: Lanczos eigenvectors, Householder QT factorisation
# -------------------------------------------------------------------------------------
def _lanczos(A: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k eigenvalues of symmetric A largest in magnitude and their vectors, exactly as
    mgcv's ``Rlanczos`` (with ``lm < 0``) computes them: the same start vector, the same
    convergence test (including its use of ``err[ni]`` for the negative end) at the same
    iterations, eigenvalues in decreasing order. Returns (D (k,), U (n, k))."""
    from scipy.linalg.lapack import dstevd

    n = A.shape[0]
    tol = np.finfo(float).eps ** 0.7
    f_check = min(max(k // 2, 10), max(n // 10, 1))
    jran, b0 = 1, np.empty(n)
    for i in range(n):  # mgcv's "quick and dirty" start vector
        jran = (jran * 106 + 1283) % 6075
        b0[i] = jran / 6075 - 0.5
    q = np.zeros((n + 1, n))
    q[0] = b0 / math.sqrt(float(b0 @ b0))
    a, b = np.zeros(n), np.zeros(n)
    err = np.full(n, 1e300)
    m_pos, m_neg, d, v = k, 0, None, None
    j = 0
    while j < n:
        z = A @ q[j]
        a[j] = q[j] @ z
        if j == 0:
            z -= a[j] * q[j]
        else:
            z -= a[j] * q[j] + b[j - 1] * q[j - 1]
            for _ in range(2):  # full re-orthogonalisation, twice
                z -= q[: j + 1].T @ (q[: j + 1] @ z)
        b[j] = math.sqrt(float(z @ z))
        if j < n - 1:
            q[j + 1] = z / b[j]
        if (j >= k and j % f_check == 0) or j == n - 1:
            w, vec, info = dstevd(a[: j + 1].copy(), b[:j].copy() if j else np.zeros(1))
            if info != 0:
                raise np.linalg.LinAlgError("LAPACK dstevd failed in the tprs Lanczos step")
            d, v = w[::-1], vec[:, ::-1]
            norm_t = max(abs(d[0]), abs(d[j]))
            err[: j + 1] = np.abs(b[j] * v[j, :])
            if j >= k:
                max_err = norm_t * tol
                pi = ni = 0
                converged = True
                while pi + ni < k:
                    if abs(d[pi]) >= abs(d[j - ni]):
                        if err[pi] > max_err:
                            converged = False
                            break
                        pi += 1
                    else:
                        if err[ni] > max_err:  # sic: mgcv tests err[ni], not err[j - ni]
                            converged = False
                            break
                        ni += 1
                if converged:
                    m_pos, m_neg = pi, ni
                    j += 1
                    break
        j += 1
    cols = list(range(m_pos)) + [j - (m_neg + m_pos - c) for c in range(m_pos, m_pos + m_neg)]
    assert d is not None and v is not None
    return d[cols], q[:j].T @ v[:j, cols]


def _householder_qt(A: np.ndarray) -> np.ndarray:
    """mgcv's ``QT``: Householder vectors u_i (rows, (r, c)) with A Q = [0, B], Q = H_0 H_1
    ..., H_i = I - u_i u_i'; row i of A is rotated into its element c - i - 1."""
    A = np.array(A, dtype=float)
    r, c = A.shape
    Z = np.zeros((r, c))
    for i in range(r):
        p = A[i, : c - i]
        scale = np.max(np.abs(p))
        if scale:
            p /= scale
        lsq = math.sqrt(float(p @ p))
        if p[-1] < 0:
            lsq = -lsq
        p[-1] += lsq
        g = 1.0 / (lsq * p[-1]) if lsq else 0.0
        for jr in range(i + 1, r):
            A[jr, : c - i] -= g * (p @ A[jr, : c - i]) * p
        Z[i, : c - i] = p * math.sqrt(g)
        A[i, : c - i] = 0.0
        A[i, c - i - 1] = -lsq * scale
    return Z


def _times_q(C: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """C Q for Q = H_0 H_1 ... stored as Householder rows Z (mgcv's HQmult(C, Z, 0, 0))."""
    C = np.array(C, dtype=float)
    for u in Z:
        C -= np.outer(C @ u, u)
    return C


def _full_q(Z: np.ndarray) -> np.ndarray:
    return _times_q(np.eye(Z.shape[1]), Z)


# -------------------------------------------------------------------------------------
# Unique points, and mgcv's random subset of them
# -------------------------------------------------------------------------------------
def _strip(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows of x in lexicographic order (mgcv's ``Xd_strip``) and, for each row of
    x, the index of its unique row."""
    order = np.lexsort(x.T[::-1])
    xs = x[order]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = np.any(xs[1:] != xs[:-1], axis=1)
    group = np.cumsum(new) - 1
    index = np.empty(len(x), dtype=int)
    index[order] = group
    return xs[new], index


def _r_sample(n: int, size: int, seed: int) -> np.ndarray:
    """R's ``set.seed(seed); sample(n, size)`` (Mersenne-Twister, rejection sampling):
    0-based indices. R's seeding scrambles the seed with an LCG; the 32-bit draws then
    equal numpy's MT19937 given that state."""
    s = seed & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    key = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        key[j] = s
    bg = np.random.MT19937(0)
    bg.state = {"bit_generator": "MT19937", "state": {"key": key[1:], "pos": 624}}
    pool = np.arange(n)
    out = np.empty(size, dtype=int)
    left = n
    for i in range(size):
        bits = math.ceil(math.log2(left)) if left > 1 else 0
        while True:  # R_unif_index: 16 bits of each draw until below `left`
            v = 0
            for _ in range(0, bits + 1, 16):
                v = 65536 * v + (int(bg.random_raw()) >> 16)
            v &= (1 << bits) - 1
            if v < left:
                break
        out[i] = pool[v]
        pool[v] = pool[left - 1]
        left -= 1
    return out


def _unique_ordered(x: np.ndarray) -> np.ndarray:
    """mgcv's ``uniquecombs(x, ordered = TRUE)``: sorted unique values in 1-D; in more
    dimensions rows unique and ordered by R's text of them (15 significant digits)."""
    if x.shape[1] == 1:
        return np.unique(x[:, 0])[:, None]
    from aurora.compile.rfunctions import r_character

    keys = ["*".join(r_character(float(v)) for v in row) for row in x]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return x[[first[key] for key in sorted(first)]]


# -------------------------------------------------------------------------------------
# The basis
# -------------------------------------------------------------------------------------
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


def _radial_1d_times(x: np.ndarray, knots: np.ndarray, m: int, U: np.ndarray) -> np.ndarray:
    """``eta(|x - knots|) @ U`` for one covariate with m = 2 without the n x n_knots matrix:
    ``sum_j u_j |x - k_j|^3`` is a piecewise cubic in x, so with the knots sorted it is
    ``2 * sum_{k_j <= x} u_j (x - k_j)^3 - sum_j u_j (x - k_j)^3``, each sum a polynomial in
    x whose coefficients are prefix sums of ``u_j k_j^p`` (O((n + n_k) k) work)."""
    c = _eta_const(m, 1)
    order = np.argsort(knots, kind="stable")
    k = knots[order]
    Uo = U[order]
    # (x - k)^3 = x^3 - 3 x^2 k + 3 x k^2 - k^3
    coef = np.stack([Uo, -3.0 * k[:, None] * Uo, 3.0 * (k ** 2)[:, None] * Uo,
                     -(k ** 3)[:, None] * Uo])  # (4, n_k, q): coefficient of x^(3-p)
    prefix = np.concatenate([np.zeros((4, 1, U.shape[1])), np.cumsum(coef, axis=1)], axis=1)
    total = prefix[:, -1]
    idx = np.searchsorted(k, x, side="right")
    xp = np.stack([x ** 3, x ** 2, x, np.ones_like(x)])  # (4, n)
    below = np.einsum("pn,pnq->nq", xp, prefix[:, idx])
    allk = xp.T @ total
    return c * (2.0 * below - allk)


def _basis_at(x: np.ndarray, Xu: np.ndarray, UZ: np.ndarray, m: int, M: int) -> np.ndarray:
    """[eta(|x - Xu|), T(x)] UZ, in chunks of rows."""
    powers = _poly_powers(M, m, x.shape[1])
    out = np.empty((x.shape[0], UZ.shape[1]))
    nu = Xu.shape[0]
    if x.shape[1] == 1 and m == 2 and x.shape[0] > 2 * nu:  # large 1-D data: no n x nu matrix
        xs = x[:, 0]
        return _radial_1d_times(xs, Xu[:, 0], m, UZ[:nu]) + _poly(x, powers) @ UZ[nu:]
    for start in range(0, x.shape[0], _CHUNK):
        xs = x[start:start + _CHUNK]
        out[start:start + _CHUNK] = (_radial(xs, Xu, m) @ UZ[:nu]
                                     + _poly(xs, powers) @ UZ[nu:])
    return out


def _tprs_setup(x: np.ndarray, knots: np.ndarray | None, m: int, k: int, label: str
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mgcv's ``tprs_setup``: X (n, k), S (k, k), UZ (n_u + M, k), Xu (n_u, d)."""
    n, d = x.shape
    use_knots = knots is not None and len(knots) >= k
    Xu, index = _strip(knots if use_knots else x)
    nu = len(Xu)
    if nu == 1 and not use_knots:
        raise DataError(f"{label}: the covariate is constant (one unique value); a smooth "
                        "needs it to vary", f"drop {label} from the model")
    if nu < k:
        what = "knots" if use_knots else "unique covariate values"
        raise DataError(
            f"{label}: k = {k} but there are only {nu} {what} (mgcv: a term has fewer "
            "unique covariate combinations than specified maximum degrees of freedom)",
            f"use k <= {nu} in {label}")
    E = _radial(Xu, Xu, m)
    T = _poly(Xu, _poly_powers(math.comb(m + d - 1, d), m, d))
    M = T.shape[1]
    UZ = np.zeros((nu + M, k))
    UZ[nu:, k - M:] = np.eye(M)
    S = np.zeros((k, k))
    if nu == k:  # the full spline: no eigen step (mgcv's "pure knot" basis)
        Z = _householder_qt(T.T)
        Q = _full_q(Z)
        UZ[:nu, : k - M] = Q[:, : k - M]
        S[:] = Q.T @ E @ Q
        X = None
    else:
        D, U = _lanczos(E, k)
        Z = _householder_qt(T.T @ U)
        UZ[:nu, : k - M] = _times_q(U, Z)[:, : k - M]
        QD = _times_q(np.diag(D), Z)
        S[:] = _times_q(QD.T, Z)  # Q' diag(D) Q (diag(D) Q transposed, then times Q)
        if not use_knots:
            X1 = _times_q(U * D, Z)
            X1[:, k - M:] = T
            X = X1[index]
        else:
            X = None
    if X is None:
        X = _basis_at(x, Xu, UZ, m, M)
    S[:, k - M:] = 0.0
    S[k - M:, :] = 0.0
    w = np.sqrt(np.sum(X ** 2, axis=0) / n)
    X = X / w
    UZ = UZ / w
    S = S / w[:, None] / w[None, :]
    return X, S, UZ, Xu
