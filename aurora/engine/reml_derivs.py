"""Exact gradient and Hessian of the smoothing criterion (mgcv's C routines ``gdi1`` and
``gdi2``).

:func:`add_derivatives` differentiates the criterion of :func:`aurora.engine.reml.evaluate`
with respect to the outer parameters: the log smoothing parameters ``rho``, the working
parameters ``x`` of an extended family (negative binomial theta, Tweedie p, ...; mgcv's
``theta``) and ``log(phi)`` when REML/ML estimate the scale. The ingredients are

* the derivatives of the coefficients by the implicit function theorem (mgcv's ``ift1`` and
  ``ift2``): at the penalised fit ``X' D_eta + 2 S beta = 0``, so
  ``2 H db/du = -X' dD_eta/du - 2 dS/du beta`` with ``H = X'WX + S``, and once more for the
  second derivatives, where the family parameters also enter directly (``Deta.th``,
  ``Deta2.th``, ``Deta.th2``);
* those of the deviance (``Deta``, ``Deta2`` and, for ``x``, ``Dth``, ``Dth2``), of
  ``beta'S beta`` (mgcv's ``get_bSb``) and of the working weights ``w = Deta2/2``, whose
  derivatives include the direct dependence on ``x`` (``Deta2.th``, ``Deta3.th``,
  ``Deta2.th2``);
* those of ``log|X'WX + S|`` (or its penalty-range block for ML) and ``tr(A)`` as traces of
  model-sized matrices, with ``diag(X P X')`` for the second-derivative weight term;
* the saturated log-likelihood's (mgcv's ``ls``, ``lsth1``, ``lsth2``).

The exponential families take their weight derivatives from the link and variance
derivatives of :class:`~aurora.engine.family_calculus.FamilyCalculus` (``gdi1``); the
extended families from the deviance derivatives of
:class:`~aurora.engine.extended.ExtendedCalculus` (``gdi2``).

Every data-sized operation goes through the design protocol (``matvec``, ``rmatvec``,
``sandwich``, ``row_quadratic``); the rest is p x p work in NumPy/SciPy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from aurora.engine.reml_linalg import _chol, _chol_inverse, _Coords, _range_index
from aurora.engine.reparam import mm

__all__ = ["add_derivatives"]


def add_derivatives(prob: Any, fit: Any) -> Any:
    """Gradient and Hessian of the criterion with respect to the outer parameters, written
    into ``fit``.

    Parameters
    ----------
    prob : Problem
        The problem; ``prob.fam`` at the family parameters of ``fit``.
    fit : InnerFit
        The fit at one value of the parameters (from :func:`aurora.engine.reml.evaluate`).

    Returns
    -------
    InnerFit
        ``fit`` with ``grad`` and ``hess`` in the order (log sp of every penalty, the
        extended family's working parameters, log scale when it is a parameter),
        ``db_drho`` (p x M) and, for an extended family with estimated parameters,
        ``db_dx`` (p x nf), both in original coordinates.
    """
    fam, pen = prob.fam, prob.pen
    M, p, q = pen.n_penalties, pen.p, pen.p - pen.n_null
    extended = getattr(fam, "extended", False)
    nth = getattr(fam, "n_theta", 0) if extended else 0
    ntot = M + nth
    keep, sp = fit.keep, fit.sp
    co = _Coords(prob.design, fit.T, keep)
    Sk = []
    for R in fit.rp.roots:
        Rf = np.zeros((p, R.shape[1]))
        Rf[:q] = R
        Rk = Rf[keep]
        Sk.append(sp[len(Sk)] * mm(Rk, Rk.T))  # lambda_k S_k, transformed, kept
    St = sum(Sk) if M else np.zeros((keep.size, keep.size))
    beta = fit.beta_t[keep]
    Hinv = _chol_inverse(_chol(fit.H))
    Sb = mm(St, beta)
    Skb = np.column_stack([mm(S, beta) for S in Sk]) if M else np.zeros((keep.size, 0))
    need_w = not fam.strictly_additive
    n = prob.n
    y, pw, mu, eta = prob.y, prob.w, fit.mu_w, fit.eta_w
    good = fit.good
    th = None  # eta derivatives of the deviance in the family parameters
    fd = None
    if need_w and extended:
        D1e, _, D3, D4, _ = fam.deta(y, mu, eta, pw)
        a1, a2 = np.where(good, D3 / 2, 0.0), np.where(good, D4 / 2, 0.0)
        dev_grad = co.rmatvec(np.where(good, D1e, 0.0))
        if nth:
            th = {key: np.where(good[:, None], v, 0.0)
                  for key, v in fam.deta_theta(y, mu, eta, pw).items()}
    elif need_w:
        fd = _family_terms(fam, y, mu, eta, good)
        a1, a2 = _weight_derivs(fit.w, fit.alpha, fd, fam.canonical)
        v1 = np.where(good, -2 * pw * (y - mu) / (fd["V"] * fd["g1"]), 0.0)
        dev_grad = co.rmatvec(v1)
    else:
        B, c = prob.cache["gauss"]
        dev_grad = -2 * (mm(fit.T[:, keep].T, c) - mm(fit.H - St, beta))

    # first derivatives of the coefficients: 2H db/du = -2 S_k beta (rho_k), -X' Deta.th (x)
    b1 = np.zeros((keep.size, ntot))
    if M:
        b1[:, :M] = -mm(Hinv, Skb)
    for j in range(nth):
        b1[:, M + j] = -mm(Hinv, co.rmatvec(th["Detath"][:, j])) / 2
    eta1 = w1 = None
    if need_w:
        eta1 = (np.column_stack([co.matvec(b1[:, k]) for k in range(ntot)]) if ntot
                else np.zeros((n, 0)))
        w1 = a1[:, None] * eta1
        if nth:
            w1[:, M:] += th["Deta2th"] / 2
    tpair = {ik: c for c, ik in enumerate(fam.pairs())} if nth else {}

    # second derivatives of the coefficients, the linear predictor and the weights
    pairs = [(i, k) for i in range(ntot) for k in range(i, ntot)]
    b2, eta2, w2 = {}, {}, {}
    for i, k in pairs:
        ti, tk = i >= M, k >= M
        rhs = np.zeros(keep.size)
        if not ti:
            rhs = rhs - mm(Sk[i], b1[:, k])
        if not tk:
            rhs = rhs - mm(Sk[k], b1[:, i])
        if need_w:
            v = -eta1[:, i] * eta1[:, k] * a1
            if tk:
                v = v - th["Deta2th"][:, k - M] * eta1[:, i] / 2
            if ti:
                v = v - th["Deta2th"][:, i - M] * eta1[:, k] / 2
            if ti and tk:
                v = v - th["Detath2"][:, tpair[i - M, k - M]] / 2
            rhs = rhs + co.rmatvec(v)
        b2[i, k] = mm(Hinv, rhs) + (b1[:, i] if i == k and not ti else 0.0)
        if need_w:
            eta2[i, k] = co.matvec(b2[i, k])
            w = a1 * eta2[i, k] + a2 * eta1[:, i] * eta1[:, k]
            if ti:
                w = w + th["Deta3th"][:, i - M] * eta1[:, k] / 2
            if tk:
                w = w + th["Deta3th"][:, k - M] * eta1[:, i] / 2
            if ti and tk:
                w = w + th["Deta2th2"][:, tpair[i - M, k - M]] / 2
            w2[i, k] = w

    # the deviance
    D1 = mm(b1.T, dev_grad)
    if nth:
        D1[M:] += th["Dth"].sum(axis=0)
    D2 = np.zeros((ntot, ntot))
    dev_hess = 2 * (fit.H - St)
    for i, k in pairs:
        v = mm(b1[:, i], dev_hess, b1[:, k]) + mm(dev_grad, b2[i, k])
        ti, tk = i >= M, k >= M
        if ti and tk:
            v += th["Dth2"][:, tpair[i - M, k - M]].sum()
        if ti:
            v += mm(th["Detath"][:, i - M], eta1[:, k])
        if tk:
            v += mm(th["Detath"][:, k - M], eta1[:, i])
        D2[i, k] = D2[k, i] = v
    fit.db_drho = mm(fit.T[:, keep], b1[:, :M])
    if nth:
        fit.db_dx = mm(fit.T[:, keep], b1[:, M:])
    if prob.reml:
        grad, hess = _reml_derivs(prob, fit, co, Sk, St, beta, Sb, Skb, b1, b2, D1, D2,
                                  w1, w2, pairs, need_w)
    else:
        fisher = None
        if need_w:
            fisher = (a1, a2) if fam.canonical else _weight_derivs(fit.wf, None, fd, True)
            fisher = (fisher, eta1, eta2)
        trA1, trA2 = _trA_derivs(fit, co, Sk, pairs, fisher)
        gamma, delta = prob.gamma, n - prob.gamma * fit.trA
        dev = fit.deviance
        if prob.criterion == "GCV":
            grad = n * D1 / delta ** 2 + 2 * n * dev * trA1 * gamma / delta ** 3
            o = np.outer(trA1, D1)
            hess = ((o + o.T) * gamma * 2 * n / delta ** 3
                    + 6 * n * dev * np.outer(trA1, trA1) * gamma ** 2 / delta ** 4
                    + n * D2 / delta ** 2 + 2 * n * dev * gamma * trA2 / delta ** 3)
        else:
            grad = D1 / n + gamma * trA1 * 2 * fit.phi / n
            hess = D2 / n + 2 * gamma * trA2 * fit.phi / n
    fit.grad, fit.hess = grad, (hess + hess.T) / 2
    return fit


def _reml_derivs(prob, fit, co, Sk, St, beta, Sb, Skb, b1, b2, D1, D2, w1, w2, pairs,
                 need_w) -> tuple[np.ndarray, np.ndarray]:
    """REML/ML gradient and Hessian from the derivatives of the coefficients and of the
    deviance: ``beta'S beta`` (mgcv's ``get_bSb``), ``log|X'WX + S|`` (``get_ddetXWXpS``;
    its range-space block for ML), ``log|S|_+``, the saturated log-likelihood and, when it
    is a parameter, ``log(phi)``."""
    fam, pen = prob.fam, prob.pen
    M, ntot = len(Sk), b1.shape[1]
    nth = ntot - M
    y, pw = prob.y, prob.w
    bSb1 = 2 * mm(b1.T, Sb)
    bSb1[:M] += np.array([mm(beta, Skb[:, k]) for k in range(M)])
    bSb2 = np.zeros((ntot, ntot))
    for i, k in pairs:
        v = 2 * mm(b2[i, k], Sb) + 2 * mm(b1[:, i], St, b1[:, k])
        if i < M:
            v += 2 * mm(b1[:, k], Skb[:, i])
        if k < M:
            v += 2 * mm(b1[:, i], Skb[:, k])
        if i == k and i < M:
            v += mm(beta, Skb[:, i])
        bSb2[i, k] = bSb2[k, i] = v
    D1, D2 = D1 + bSb1, D2 + bSb2
    if prob.criterion == "REML":
        P = _chol_inverse(_chol(fit.H))
    else:
        r = _range_index(prob, fit)
        P = np.zeros_like(fit.H)
        if r.size:
            P[np.ix_(r, r)] = _chol_inverse(_chol(fit.H[np.ix_(r, r)]))
    dH = [Sk[k].copy() if k < M else np.zeros_like(P) for k in range(ntot)]
    if need_w:
        h = co.row_quadratic(P)
        for k in range(ntot):
            dH[k] += co.sandwich(w1[:, k])
    PdH = [mm(P, A) for A in dH]
    ld1 = np.array([np.trace(A) for A in PdH])
    ld2 = np.zeros((ntot, ntot))
    for i, k in pairs:
        v = -np.sum(PdH[i] * PdH[k].T)
        if i == k and i < M:
            v += np.sum(P * Sk[i])
        if need_w:
            v += mm(w2[i, k], h)
        ld2[i, k] = ld2[k, i] = v
    phi, gamma = fit.phi, prob.gamma
    det1, det2 = np.zeros(ntot), np.zeros((ntot, ntot))
    det1[:M], det2[:M, :M] = fit.rp.det1, fit.rp.det2
    grad = D1 / (2 * phi * gamma) + ld1 / 2 - det1 / 2
    hess = (D2 / (phi * gamma) + ld2 - det2) / 2
    lc = np.zeros(nth)
    if nth:
        l1, l2, lc = fam.ls_theta(y, pw, phi)
        grad[M:] -= l1 / gamma
        hess[M:, M:] -= l2 / gamma
    if prob.scale_as_param:
        ls = fam.ls(y, pw, phi)
        Dp = fit.deviance + fit.bSb
        reml_ind = 1.0 if prob.criterion == "REML" else 0.0
        g_phi = (-Dp / (2 * phi) - ls[1] * phi) / gamma - pen.n_null / 2 * reml_ind
        h_phi = (Dp / (2 * phi) - ls[2] * phi ** 2 - ls[1] * phi) / gamma
        cross = -D1 / (2 * phi * gamma)
        cross[M:] -= lc / gamma
        grad = np.append(grad, g_phi)
        hess = np.block([[hess, cross[:, None]], [cross[None, :], np.array([[h_phi]])]])
    return grad, hess


def _family_terms(fam, y, mu, eta, good) -> dict:
    """Link and variance derivatives as gdi1 takes them: ``g1 = g'``, ``g2..g4`` divided by
    ``g'``, ``V1..V3`` divided by ``V``; zero (one for ``g1``, ``V``) on rows not 'good'."""
    mev = np.where(good, fam.mu_eta(eta), 1.0)
    V = np.where(good, fam.variance(mu), 1.0)
    out = {"g1": 1 / mev, "V": V, "res": np.where(good, y - mu, 0.0), "good": good}
    for key, f in (("g2", fam.d2link), ("g3", fam.d3link), ("g4", fam.d4link)):
        out[key] = np.where(good, f(mu) * mev, 0.0)
    for key, f in (("V1", fam.dvar), ("V2", fam.d2var), ("V3", fam.d3var)):
        out[key] = np.where(good, f(mu) / V, 0.0)
    return out


def _weight_derivs(w, alpha, fd: dict, fisher: bool):
    """``dw/deta`` and ``d2w/deta2`` of working weights ``w`` (gdi1's ``a1``, ``a2``; with
    ``fisher`` the formulas for Fisher weights, else those for full Newton weights)."""
    g1, g2, g3, g4 = fd["g1"], fd["g2"], fd["g3"], fd["g4"]
    V1, V2, V3, res, good = fd["V1"], fd["V2"], fd["V3"], fd["res"], fd["good"]
    ws = np.where(good, w, 1.0)
    if fisher:
        a1 = -ws * (V1 + 2 * g2) / g1
        a2 = a1 * (a1 / ws - g2 / g1) - ws * (V2 - V1 * V1 + 2 * g3 - 2 * g2 * g2) / (g1 * g1)
    else:
        xx = V2 - V1 * V1 + g3 - g2 * g2
        al1 = (-(V1 + g2) + res * xx) / alpha
        al2 = (-2 * xx + res * (V3 - 3 * V1 * V2 + 2 * V1 ** 3 + g4 - 3 * g3 * g2
                                + 2 * g2 ** 3)) / alpha
        a1 = ws * (al1 - V1 - 2 * g2) / g1
        a2 = (a1 * (a1 / ws - g2 / g1)
              - ws * (al1 * al1 - al2 + V2 - V1 * V1 + 2 * g3 - 2 * g2 * g2) / (g1 * g1))
    return np.where(good, a1, 0.0), np.where(good, a2, 0.0)


def _trA_derivs(fit, co, Sk, pairs, fisher):
    """First and second derivatives of ``tr(A) = tr((X'W_fX + S)^{-1} X'W_fX)`` (Fisher
    weights, as mgcv's ``get_trA2``) with respect to log sp; ``fisher`` is None for
    weights that do not change, else ``((af1, af2), eta1, eta2)``."""
    M = len(Sk)
    A = _chol_inverse(_chol(fit.Hf))
    G = mm(A, fit.Bf, A)
    Hk = [S.copy() for S in Sk]
    Bk = [np.zeros_like(S) for S in Sk]
    need_w = fisher is not None
    if need_w:
        (af1, af2), eta1, eta2 = fisher
        hg = co.row_quadratic(A) - co.row_quadratic(G)
        wf1 = af1[:, None] * eta1
        for k in range(M):
            Bk[k] = co.sandwich(wf1[:, k])
            Hk[k] = Hk[k] + Bk[k]
    trA1 = np.array([np.sum(A * Bk[k]) - np.sum(G * Hk[k]) for k in range(M)])
    trA2 = np.zeros((M, M))
    AH = [mm(A, H) for H in Hk]
    for i, k in pairs:
        v = (np.sum(mm(Hk[k], A) * mm(Hk[i], G).T) + np.sum(mm(Hk[i], A) * mm(Hk[k], G).T)
             - np.sum(AH[i] * mm(A, Bk[k]).T) - np.sum(AH[k] * mm(A, Bk[i]).T))
        if i == k:
            v -= np.sum(G * Sk[i])
        if need_w:
            wf2 = af1 * eta2[i, k] + af2 * eta1[:, i] * eta1[:, k]
            v += mm(wf2, hg)
        trA2[i, k] = trA2[k, i] = v
    return trA1, trA2
