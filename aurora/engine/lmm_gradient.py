"""The exact gradient of lme4's profiled criterion for models with scalar random effects.

With every ``T_i`` a scalar ``theta_j`` (``(1 | g)`` terms and gamm4's smooth terms),
``Lambda`` is diagonal and, for ``theta_j > 0``,

    d log|Omega| / d theta_j = (2 / theta_j) (q_j - tr_j(Omega^-1))
    d pwrss      / d theta_j = -(2 / theta_j) ||u_j||^2

where ``Omega`` is the PLS matrix of ``(u, beta)`` for REML (``L L'`` for ML), ``tr_j`` sums
the diagonal of its inverse over term ``j``'s effects and ``u_j`` are the term's spherical
modes (the second is the envelope theorem: ``pwrss`` is a minimum over ``u`` and ``beta``).
So the REML criterion ``log|Omega| + (n - p) log pwrss + const`` has gradient

    g_j = (2 / theta_j) [q_j - tr_j(Omega^-1) - (n - p) ||u_j||^2 / pwrss]

(``n`` for ML). The diagonal of the inverse comes from the blocked factor: for the dense
block, the inverse of the Schur complement ``S = L22 L22'`` (LAPACK ``potri``); for the
block-diagonal first term, ``1 / L11_l^2 + (L21[:, l]' S^-1 L21[:, l]) / L11_l^2``, summed
over levels through the precomputed pairs of ``B21`` (one sparse product); the fixed
effects add ``diag(V V')``, ``V = L'^{-1} RZX RX'^{-1}`` (``p`` back-solves). One gradient
costs about two Cholesky factorisations of the dense block; at ``theta_j = 0`` the
criterion is even in ``theta_j`` and ``g_j = 0``.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.linalg.lapack import dpotri

from aurora.engine.lmm_factor import PLSFactor, back_solve
from aurora.engine.lmm_problem import LMMProblem

__all__ = ["has_gradient", "criterion_gradient"]


def has_gradient(pr: LMMProblem) -> bool:
    """Whether :func:`criterion_gradient` applies: scalar terms (engine order) and, with
    more than one term, the precomputed pairs of ``B21``."""
    return bool(pr.eterms.scalar and (pr.q2 == 0 or pr.pairs is not None))


def criterion_gradient(pr: LMMProblem, f: PLSFactor, REML: bool) -> np.ndarray:
    """Gradient of :func:`~aurora.engine.lmm.pls_deviance` in ``theta`` (lme4's order).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.lmm import factorize, lmm_problem, pls_deviance
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": rng.integers(0, 6, 60), "h": rng.integers(0, 4, 60)})
    >>> rt = build_random_terms(parse("y ~ (1 | g) + (1 | h)").random_effects, df)
    >>> pr = lmm_problem(np.ones((60, 1)), rng.normal(size=60), rt)
    >>> th = np.array([0.7, 0.4])
    >>> g = criterion_gradient(pr, factorize(pr, th), True)
    >>> e = 1e-6 * np.eye(2)
    >>> fd = [(pls_deviance(pr, factorize(pr, th + e[i]), True)
    ...        - pls_deviance(pr, factorize(pr, th - e[i]), True)) / 2e-6 for i in range(2)]
    >>> bool(np.allclose(g, fd, rtol=1e-5))
    True
    """
    terms = pr.eterms
    theta = np.array([T[0, 0] for T in f.eblocks])
    q1, q2 = pr.q1, pr.q2
    d_inv = np.empty(q1 + q2)
    inv_a11 = f.L11inv[:, 0, 0] ** 2  # 1 / A11_l
    d_inv[:q1] = inv_a11
    if q2:
        U = np.array(f.L22.T, order="F")  # upper factor, S = U'U
        Sinv, info = dpotri(U, lower=0, overwrite_c=1)
        if info != 0:
            raise np.linalg.LinAlgError("potri failed on the Schur complement")
        d_inv[q1:] = np.diag(Sinv)
        # sum_l (L21[:, l]' S^-1 L21[:, l]) / A11_l over the pattern of B21 B21'
        rows, P = pr.pairs
        d2 = np.concatenate([np.full(t.nl, T[0, 0]) for t, T in
                             zip(terms.terms[1:], f.eblocks[1:])])
        vals = P @ (theta[0] ** 2 * inv_a11 ** 2)  # (B21 diag(theta1^2 / A11^2) B21')_ij
        i, j = np.divmod(rows, q2)
        s = Sinv.T.ravel()[rows]  # the upper triangle of S^-1 holds the values (col-major)
        w = np.where(i == j, 1.0, 2.0)
        extra1 = float(np.sum(w * vals * s * d2[i] * d2[j]))
    else:
        extra1 = 0.0
    tr = np.empty(len(terms.terms))
    off = terms.b_offsets
    for k in range(len(terms.terms)):
        tr[k] = float(np.sum(d_inv[off[k]:off[k + 1]]))
    tr[0] += extra1
    p = pr.p
    if REML and p:
        # diag of V V', V = L'^-1 RZX RX'^-1
        RXinvT = solve_triangular(f.RX, np.eye(p), lower=True, check_finite=False).T
        V = back_solve(pr, f.L11inv, f.l21, f.L22, f.R[:, :p] @ RXinvT)
        corr = np.sum(V * V, axis=1)
        for k in range(len(terms.terms)):
            tr[k] += float(np.sum(corr[off[k]:off[k + 1]]))
    dof = pr.n - p if REML else pr.n
    u = _engine_u(pr, f.u)
    g = np.zeros(len(terms.terms))
    for k, t in enumerate(terms.terms):
        th = theta[k]
        if th <= 1e-10:
            continue
        uk = u[off[k]:off[k + 1]]
        g[k] = 2.0 / th * (t.q - tr[k] - dof * float(uk @ uk) / f.pwrss)
    if pr.theta_perm is None:
        return g
    out = np.empty_like(g)
    out[pr.theta_perm] = g
    return out


def _engine_u(pr: LMMProblem, u: np.ndarray) -> np.ndarray:
    """Spherical modes from lme4's order to the engine's."""
    if pr.u_perm is None:
        return u
    out = np.empty_like(u)
    out[pr.u_perm] = u
    return out
