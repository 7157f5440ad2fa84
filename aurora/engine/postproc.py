"""After the outer iteration: mgcv's ``gam.fit3.post.proc``.

The Bayesian covariance matrix ``Vp``, the frequentist ``Ve``, the effective degrees of
freedom ``edf``/``edf1``, and for REML/ML the covariance corrected for smoothing-parameter
uncertainty ``Vc = Vp + J V_rho J' + Vb.corr`` (with ``J`` the derivatives of the
coefficients in the log smoothing parameters and, for an extended family, in its working
parameters, the columns mgcv's ``db.drho`` carries for ``theta``) and ``edf2``; then the
deviance, null deviance and AIC as ``gam`` reports them.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cholesky

from aurora.engine.design import DenseDesign
from aurora.engine.pirls import fit_pirls
from aurora.engine.reml import InnerFit
from aurora.engine.reml_linalg import _chol, _chol_inverse
from aurora.engine.reparam import eigh, mm

__all__ = ["post_process"]


def post_process(outer: Any, b: InnerFit, theta: np.ndarray, hess: np.ndarray | None,
                 iters: int, msg: str, trace: tuple, intercept: bool) -> dict[str, Any]:
    """Covariance matrices, edf and the rest (mgcv's ``gam.fit3.post.proc`` and the end of
    ``gam.outer``/``estimate.gam``).

    Parameters
    ----------
    outer : _Outer
        The outer loop's criterion (its problem, ``L``, ``lsp0`` and family parameters).
    b : InnerFit
        The final fit, with derivatives (``db_drho``, ``db_dx``) when REML/ML ran.
    theta : ndarray
        The final outer parameters.
    hess : ndarray or None
        The Hessian of the criterion in ``theta`` (None without smoothing parameters).
    iters, msg, trace, intercept
        Iterations, convergence message, trace, and whether the model has an intercept.

    Returns
    -------
    dict
        The fields of :class:`aurora.engine.smoothing.SmoothingFit`.
    """
    from aurora.engine.reml import linear_predictor

    nf = outer.nf
    prob = outer.prob_at(outer.split(theta)[0])
    b = linear_predictor(prob, b)
    pen, fam, design = prob.pen, prob.fam, prob.design
    y, w, off = prob.y, prob.w, prob.offset
    extended = getattr(fam, "extended", False)
    scale_known = prob.scale > 0
    scale = prob.scale if scale_known else b.scale_est
    Tk = b.T[:, b.keep]
    Vb = mm(Tk, _chol_inverse(_chol(b.Hf)), Tk.T) * scale
    B = design.sandwich(b.wf)
    F = mm(Vb, B) / scale
    edf = np.diag(F).copy()
    edf1 = 2 * edf - np.sum(F * F.T, axis=1)
    Ve = mm(F, Vb)
    n_free = outer.L.shape[1]
    lsp_free = theta[:n_free]
    edf2 = Vc = None
    if prob.reml and hess is not None and b.db_drho is not None:
        ev, U = eigh(hess)
        pos = ev > 0
        inv_ev = np.where(pos, 1 / np.where(pos, ev, 1.0), 0.0)
        J = np.zeros((pen.p, hess.shape[0]))
        J[:, :n_free] = mm(b.db_drho, outer.L)
        if nf and b.db_dx is not None:
            J[:, n_free:n_free + nf] = b.db_dx
        Vc1 = mm(J, U * inv_ev, U.T, J.T)
        Vr = mm(U / (np.maximum(ev, 0.0) + 0.1), U.T)[:n_free, :n_free]
        Vc2 = scale * _vb_corr(B, pen, outer.L, outer.lsp0[:outer.L.shape[0]], lsp_free, Vr)
        Vc = Vb + Vc1 + Vc2
        edf2 = np.sum(Vc * B, axis=1) / scale
        if edf2.sum() > edf1.sum():
            edf2 = edf1
    sumw = w.sum()
    deviance = b.deviance
    if extended:  # mgcv's postproc of the family
        null_dev = fam.null_deviance(y, w, off, b.eta, intercept)
        deviance = fam.reported_deviance(y, b.mu, w)
    else:
        wtdmu = np.full_like(y, (w * y).sum() / sumw) if intercept else fam.linkinv(off)
        null_dev = fam.deviance(y, wtdmu, w)
        if intercept and np.any(off != 0):
            null_dev = fit_pirls(DenseDesign(np.ones((y.size, 1))), y, w, off,
                                 fam.family).deviance
    if scale_known:
        dev1 = scale * sumw
    elif fam.name == "gaussian":
        dev1 = b.deviance
    elif prob.reml:
        dev1 = b.phi * sumw
    else:
        dev1 = b.scale_est * sumw
    aic = fam.aic(y, b.mu, w, dev1) + 2 * edf.sum()
    return dict(
        coefficients=b.beta, sp=np.exp(lsp_free), sp_full=np.exp(mm(outer.L, lsp_free)
                                                                   + outer.lsp0[:outer.L.shape[0]]),
        criterion=prob.criterion, gcv_ubre=float(b.score), scale=float(scale),
        scale_estimated=not scale_known, reml_scale=float(b.phi) if prob.reml else np.nan,
        edf=edf, edf1=edf1, edf2=edf2, Vp=Vb, Ve=Ve, Vc=Vc, deviance=deviance,
        null_deviance=null_dev, aic=float(aic), fitted_values=b.mu, linear_predictors=b.eta,
        working_weights=b.wf, outer_iterations=iters, converged=msg in ("full convergence",
                                                                         "no smoothing parameters"),
        convergence=msg, inner_iterations=b.iterations,
        grad=np.zeros(0) if b.g is None else b.g,
        hess=np.zeros((0, 0)) if hess is None else hess, trace=trace,
        family=fam.family if extended else None,
        family_label=fam.label() if extended else None, n_theta=nf)


def _vb_corr(B, pen, L, lsp0, rho, Vr) -> np.ndarray | float:
    """mgcv's ``Vb.corr``: the second-order correction of the covariance for smoothing
    parameter uncertainty, from the derivatives of the Cholesky factor of
    ``X'WX + S_lambda`` with respect to the free log smoothing parameters."""
    from scipy.linalg import solve_triangular

    if L.shape[1] == 0:
        return 0.0
    lam = np.exp(mm(L, rho) + lsp0)
    H = B + pen.total(lam)
    try:
        R = cholesky(H)
    except LinAlgError:
        return 0.0
    Ri = solve_triangular(R, np.eye(R.shape[0]))
    D = []
    for j in range(L.shape[1]):
        dH = sum(L[i, j] * lam[i] * pen.embedded(i) for i in range(L.shape[0]) if L[i, j] != 0)
        Mj = mm(Ri.T, dH, Ri)
        Phi = np.triu(Mj)
        Phi[np.diag_indices_from(Phi)] *= 0.5
        D.append(-mm(Ri, Phi))
    out = np.zeros_like(H)
    for j in range(len(D)):
        for k in range(len(D)):
            out += Vr[j, k] * mm(D[j], D[k].T)
    return out
