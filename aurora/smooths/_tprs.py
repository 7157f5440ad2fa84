"""The thin plate spline behind :mod:`aurora.smooths.tp`, and mgcv's ``tprs_setup``.

The penalty order and null space, the radial function ``eta``, the polynomial columns
``T``, the columns ``[eta(|x - Xu|), T(x)] UZ`` at any points (for one covariate on large
data as a piecewise cubic from prefix sums) and ``_tprs_setup``, which builds X, S and UZ
from the Lanczos eigenvectors of ``E`` (:mod:`._tprs_linalg`) as mgcv does.

References: mgcv 1.8-41 ``src/tprs.c`` (``tprs_setup``, ``eta_const``, ``gen_tps_poly_powers``,
``predict_tprs``); Wood (2003), "Thin plate regression splines", JRSS-B 65:95-114.
"""
from __future__ import annotations

import math

import numpy as np

from aurora.errors import DataError
from aurora.smooths._tprs_linalg import _full_q, _householder_qt, _lanczos, _times_q
from aurora.smooths._tprs_points import _strip

_CHUNK = 4096  # rows of new data evaluated at once (n x n_knots distances each)


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
