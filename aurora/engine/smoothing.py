"""Smoothing-parameter selection: the outer loop over log smoothing parameters.

``fit_smoothing`` takes a model matrix, penalty blocks ``S_j`` (mgcv's ``G$X``, ``G$S``,
``G$off``) and a family, and chooses ``lambda`` by Laplace-approximate REML or ML, GCV or
UBRE, as ``mgcv::gam`` does with its default ``optimizer = c("outer", "newton")``: mgcv's
initial smoothing parameters (``initial.sp``), Newton's method on ``rho = log(lambda)``
(and on ``log(scale)`` for REML/ML with an unknown scale) with exact first and second
derivatives (Wood 2011, JRSS-B 73:3-36), an eigen-modified Hessian, step halving, a
steepest-descent fallback and mgcv's convergence test (mgcv's ``newton``), then the
covariance matrices and effective degrees of freedom of ``gam.fit3.post.proc``.

The fit at each ``rho`` and the criterion's derivatives are in :mod:`aurora.engine.reml`,
the penalty reparametrisation in :mod:`aurora.engine.reparam`.
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cholesky, lstsq

from aurora.engine.design import DenseDesign
from aurora.engine.reml import FamilyCalculus, InnerFit, Problem, add_derivatives, evaluate
from aurora.engine.reparam import eigh, mm, setup_penalties
from aurora.errors import ConvergenceWarning, DataError, ModelSpecError, UnknownNameError

__all__ = ["SmoothingControl", "OuterIteration", "SmoothingFit", "fit_smoothing",
           "initial_sp"]

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class SmoothingControl:
    """Settings of the inner and outer iterations (mgcv's ``gam.control``).

    Attributes
    ----------
    epsilon : float
        PIRLS convergence tolerance (lowered to ``conv_tol / 100`` as mgcv's ``newton`` does).
    maxit : int
        Maximum PIRLS iterations per fit.
    conv_tol, max_newton_step, max_sd_step, max_half : float, float, float, int
        mgcv's ``newton`` settings ``conv.tol``, ``maxNstep``, ``maxSstep``, ``maxHalf``.
    outer_maxit : int
        Maximum Newton iterations.
    """

    epsilon: float = 1e-7
    maxit: int = 200
    conv_tol: float = 1e-6
    max_newton_step: float = 5.0
    max_sd_step: float = 2.0
    max_half: int = 30
    outer_maxit: int = 200


@dataclass(frozen=True)
class OuterIteration:
    """One Newton iteration, for ``SmoothingFit.trace``."""

    iteration: int
    score: float
    theta: np.ndarray
    max_abs_grad: float
    step_halvings: int


@dataclass(frozen=True, repr=False)
class SmoothingFit:
    """Result of :func:`fit_smoothing`, with mgcv's names where it has them.

    Attributes
    ----------
    coefficients : ndarray (p,)
    sp : ndarray
        Estimated smoothing parameters (mgcv's ``m$sp``: the free ones, fixed ones left out).
    sp_full : ndarray (M,)
        The smoothing parameter of every penalty, fixed ones included.
    criterion : str
        ``"REML"``, ``"ML"``, ``"GCV"`` or ``"UBRE"``.
    gcv_ubre : float
        The criterion's value (mgcv's ``m$gcv.ubre``; for REML/ML the negative log
        restricted/marginal likelihood mgcv prints as ``-REML``/``-ML``).
    scale, scale_estimated, reml_scale : float, bool, float
        mgcv's ``m$scale`` (= ``m$sig2``), whether it was estimated, and ``m$reml.scale``.
    edf, edf1, edf2 : ndarray (p,)
        Effective degrees of freedom per coefficient (``edf2`` None for GCV/UBRE).
    Vp, Ve, Vc : ndarray (p, p)
        Bayesian, frequentist and smoothing-parameter-corrected covariance matrices.
    deviance, null_deviance, aic : float
    fitted_values, linear_predictors : ndarray (n,)
    outer_iterations : int
    converged : bool
    convergence : str
        mgcv's ``outer.info$conv`` message.
    grad, hess : ndarray
        Gradient and Hessian of the criterion at the optimum (free log sp, then the
        extended family's parameters, then log scale).
    trace : tuple of OuterIteration
    family : Family or None
        The family at its estimated parameters (extended families; None otherwise).
    family_label : str or None
        The family as mgcv's summary names it (``Negative Binomial(3.141)``).
    n_theta : int
        Number of estimated family parameters (mgcv's ``n.theta``).
    """

    coefficients: np.ndarray
    sp: np.ndarray
    sp_full: np.ndarray
    criterion: str
    gcv_ubre: float
    scale: float
    scale_estimated: bool
    reml_scale: float
    edf: np.ndarray
    edf1: np.ndarray
    edf2: np.ndarray | None
    Vp: np.ndarray
    Ve: np.ndarray
    Vc: np.ndarray | None
    deviance: float
    null_deviance: float
    aic: float
    fitted_values: np.ndarray
    linear_predictors: np.ndarray
    working_weights: np.ndarray
    outer_iterations: int
    converged: bool
    convergence: str
    inner_iterations: int
    grad: np.ndarray
    hess: np.ndarray
    trace: tuple = field(default=())
    family: Any = None
    family_label: str | None = None
    n_theta: int = 0

    def __repr__(self) -> str:
        return (f"SmoothingFit(criterion={self.criterion!r}, gcv_ubre={self.gcv_ubre!r}, "
                f"sp={self.sp.tolist()}, edf={self.edf.sum():.4g}, "
                f"outer_iterations={self.outer_iterations}, converged={self.converged})")


def initial_sp(xtwx_diag: np.ndarray, penalties) -> np.ndarray:
    """mgcv's ``initial.sp``: smoothing parameters that put each penalty on the scale of
    its block of ``X'WX``, then a common power of 10 giving a mean 'leverage'
    ``diag(X'WX) / (diag(X'WX) + diag(S))`` of about 0.4.

    Parameters
    ----------
    xtwx_diag : ndarray (p,)
        ``diag(X'WX)`` at the starting weights.
    penalties : sequence of (ndarray, int)
        ``(S_j, off_j)`` with 0-based offsets.

    Examples
    --------
    >>> initial_sp(np.array([4.0, 2.0, 2.0]), [(np.eye(2), 1)]).tolist()
    [2.0]
    """
    ldxx = np.asarray(xtwx_diag, dtype=float)
    p = ldxx.size
    def_sp = np.zeros(len(penalties))
    ldss = np.zeros(p)
    pen = np.zeros(p, dtype=bool)
    for i, (S, off) in enumerate(penalties):
        aS = np.abs(S)
        thresh = _EPS ** 0.8 * aS.max()
        ind = (aS.mean(axis=1) > thresh) & (aS.mean(axis=0) > thresh) & (np.diag(aS) > thresh)
        block = slice(off, off + S.shape[0])
        pen[block] |= ind
        size_s = np.diag(S)[ind].mean()
        if not size_s > 0:
            raise ModelSpecError(f"penalty {i} has no positive diagonal element")
        def_sp[i] = ldxx[block][ind].mean() / size_s
        ldss[block] += def_sp[i] * np.diag(S)
    if len(penalties):
        ind = (ldss > 0) & pen & (ldxx > 0)
        xx, ss = ldxx[ind], ldss[ind]
        while np.mean(xx / (xx + ss)) > 0.4:
            def_sp *= 10
            ss = ss * 10
        while np.mean(xx / (xx + ss)) < 0.4:
            def_sp /= 10
            ss = ss / 10
    return def_sp


class _Outer:
    """The criterion as a function of the free parameters ``theta``: free log sp, then the
    extended family's parameters on mgcv's working scale (``nf`` of them), then log scale;
    ``rho = L theta_sp + lsp0``. Derivatives in the family parameters are central
    differences of the exact derivatives in ``rho`` (each needs a refit at fixed ``rho``)."""

    _H = 1e-4  # difference step in the family parameters

    def __init__(self, prob: Problem, L: np.ndarray, lsp0: np.ndarray, nf: int = 0) -> None:
        self.prob, self.L, self.lsp0, self.nf = prob, L, lsp0, nf
        n_pen = L.shape[0]
        self.Lx = L
        if prob.scale_as_param:
            self.Lx = np.zeros((n_pen + 1, L.shape[1] + 1))
            self.Lx[:n_pen, :L.shape[1]] = L
            self.Lx[n_pen, L.shape[1]] = 1.0
            self.lsp0 = np.append(lsp0, 0.0)
        self._probs: dict = {}

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(family parameters, the rest)`` of ``theta``."""
        k = self.L.shape[1]
        return theta[k:k + self.nf], np.concatenate([theta[:k], theta[k + self.nf:]])

    def prob_at(self, x: np.ndarray) -> Problem:
        if not self.nf:
            return self.prob
        key = tuple(np.round(x, 14))
        if key not in self._probs:
            if len(self._probs) > 64:
                self._probs.clear()
            self._probs[key] = replace(self.prob, fam=self.prob.fam.at(x))
        return self._probs[key]

    def __call__(self, theta: np.ndarray, start, deriv: int) -> InnerFit:
        x, rest = self.split(theta)
        fit = evaluate(self.prob_at(x), mm(self.Lx, rest) + self.lsp0, start)
        fit.outer_theta = np.array(theta, dtype=float)
        return self.derivs(fit) if deriv else fit

    def _exact(self, fit: InnerFit, x) -> tuple[np.ndarray, np.ndarray]:
        if fit.grad is None:
            add_derivatives(self.prob_at(x), fit)
        return mm(self.Lx.T, fit.grad), mm(self.Lx.T, fit.hess, self.Lx)

    def derivs(self, fit: InnerFit) -> InnerFit:
        if fit.g is not None:
            return fit
        theta = fit.outer_theta
        x, rest = self.split(theta)
        g_r, h_r = self._exact(fit, x)
        if not self.nf:
            fit.g, fit.h = g_r, h_r
            return fit
        nf, k, h = self.nf, self.L.shape[1], self._H
        rho = mm(self.Lx, rest) + self.lsp0
        gx, hxx, hrx = np.zeros(nf), np.zeros((nf, nf)), np.zeros((rest.size, nf))
        dbx = np.zeros((fit.beta.size, nf))
        s_pm = {}
        for j in range(nf):
            e = np.zeros(nf)
            e[j] = h
            fp = evaluate(self.prob_at(x + e), rho, fit.beta)
            fm = evaluate(self.prob_at(x - e), rho, fit.beta)
            gp, gm = self._exact(fp, x + e)[0], self._exact(fm, x - e)[0]
            gx[j] = (fp.score - fm.score) / (2 * h)
            hxx[j, j] = (fp.score - 2 * fit.score + fm.score) / h ** 2
            hrx[:, j] = (gp - gm) / (2 * h)
            dbx[:, j] = (fp.beta - fm.beta) / (2 * h)
            s_pm[j] = (fp.score, fm.score)
        for i in range(nf):
            for j in range(i + 1, nf):
                sc = []
                for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                    e = np.zeros(nf)
                    e[i], e[j] = si * h, sj * h
                    sc.append(evaluate(self.prob_at(x + e), rho, fit.beta).score)
                hxx[i, j] = hxx[j, i] = (sc[0] - sc[1] - sc[2] + sc[3]) / (4 * h * h)
        order = np.r_[np.arange(k), rest.size + np.arange(nf), np.arange(k, rest.size)]
        G = np.r_[g_r, gx]
        H = np.block([[h_r, hrx], [hrx.T, hxx]])
        fit.g, fit.h = G[order], H[np.ix_(order, order)]
        fit.db_dx = dbx
        return fit


def _newton(f: _Outer, theta: np.ndarray, ctl: SmoothingControl):
    """mgcv's ``newton``, step for step."""
    reml = f.prob.reml
    conv_tol, max_half = ctl.conv_tol, ctl.max_half
    b = f(theta, None, 2)
    start = b.beta
    score, grad, hess = b.score, b.g, b.h
    old_score = score

    def scale_of(b, score):
        s = b.scale_est
        return abs(np.log(s)) + abs(score) if reml else abs(s) + abs(score)

    score_scale = abs(np.log(b.scale_est)) + abs(score) if reml else b.scale_est + abs(score)
    uconv = np.abs(grad) > score_scale * conv_tol
    if not uconv.any():
        uconv[:] = True
    trace = []
    qthresh = 0.8
    ii = 0
    i = 0
    score2 = np.nan
    for i in range(1, ctl.outer_maxit + 1):
        if not uconv.any():
            uconv[np.argmax(np.abs(grad))] = True
        ev, U = eigh(hess[np.ix_(uconv, uconv)])
        d, U = ev[::-1].copy(), U[:, ::-1]
        indef = bool(np.sum(-d > abs(d[0]) * _EPS ** 0.5) > 0)
        if indef and d.size == 1:
            indef = bool(d[0] < -score_scale * _EPS ** 0.5)
        neg = d < 0
        pdef = not neg.any()
        d[neg] = -d[neg]
        low_d = d.max() * _EPS ** 0.7
        small = d < low_d
        if small.any():
            pdef = False
        d[small] = low_d
        d[d != 0] = 1 / d[d != 0]
        nstep = np.zeros_like(grad)
        nstep[uconv] = -mm(U, d * mm(U.T, grad[uconv]))
        sstep = -grad / np.abs(grad).max()
        ms = np.abs(nstep).max()
        if ms > ctl.max_newton_step:
            nstep = ctl.max_newton_step * nstep / ms
        sd_unused = True
        theta1 = theta + nstep
        b = fit1 = f(theta1, start, 2 if pdef else 0)
        pred = mm(grad, nstep) + 0.5 * mm(nstep, hess, nstep)
        score1 = b.score
        ii = 0
        change = score1 - score
        qerror = abs(pred - change) / (max(abs(pred), abs(change)) + score_scale * conv_tol)
        if np.isfinite(score1) and change < 0 and pdef and qerror < qthresh:
            old_score, start, theta = score, b.beta, theta1
            score, grad, hess = b.score, b.g, b.h
        elif not np.isfinite(score1) or score1 >= score or qerror >= qthresh:
            step = nstep
            while ((not np.isfinite(score1) or score1 >= score or qerror >= qthresh)
                   and ii < max_half):
                if ii == 3 and i < 10:
                    s_length = min(np.sqrt(mm(step, step)), ctl.max_sd_step)
                    step = sstep * s_length / np.sqrt(mm(sstep, sstep))
                    sd_unused = False
                else:
                    step = step / 2
                theta1 = theta + step
                b1 = fit1 = f(theta1, start, 0)
                pred = mm(grad, step) + 0.5 * mm(step, hess, step)
                score1 = b1.score
                change = score1 - score
                if ii > min(4, max_half / 2):
                    qerror = qthresh / 2
                else:
                    qerror = abs(pred - change) / (max(abs(pred), abs(change))
                                                   + score_scale * conv_tol)
                if np.isfinite(score1) and change < 0 and qerror < qthresh:
                    if pdef or not sd_unused:
                        b = f.derivs(b1)
                        start, old_score, theta = b.beta, score, theta1
                        score, grad, hess = b.score, b.g, b.h
                    else:
                        b = b1
                        score2 = score1
                    score1 = score - abs(score) - 1
                if not np.isfinite(score1) or score1 >= score or qerror >= qthresh:
                    ii += 1
            if not pdef and sd_unused and ii < max_half:
                score1 = score2
        if not pdef and sd_unused:
            step = sstep * 2
            kk = 0
            score2, theta2, fit2 = np.nan, None, None
            while True:
                step = step / 2
                kk += 1
                theta3 = theta + step
                b1 = f(theta3, start, 0)
                pred = mm(grad, step) + 0.5 * mm(step, hess, step)
                score3 = b1.score
                change = score3 - score
                qerror = abs(pred - change) / (max(abs(pred), abs(change))
                                               + score_scale * conv_tol)
                if not np.isfinite(score2) or (np.isfinite(score3) and score3 <= score2
                                               and qerror < qthresh):
                    score2, theta2, fit2 = score3, theta3, b1
                if ((np.isfinite(score2) and np.isfinite(score3) and score2 < score
                     and score3 > score2) or kk == 40):
                    break
            if np.isfinite(score2) and score2 < score1:
                theta1, score1, fit1 = theta2, score2, fit2
            b = f.derivs(fit1)
            start, old_score, theta = b.beta, score, theta1
            score, grad, hess = b.score, b.g, b.h
        trace.append(OuterIteration(i, score, theta.copy(), float(np.abs(grad).max()), ii))
        converged = not indef
        score_scale = scale_of(b, score)
        grad2 = np.diag(hess)
        uconv = ((np.abs(grad) > score_scale * conv_tol * 0.1)
                 | (np.abs(grad2) > score_scale * conv_tol * 0.1))
        if np.any(np.abs(grad) > score_scale * conv_tol * 5):
            converged = False
        if abs(old_score - score) > score_scale * conv_tol:
            if converged:
                uconv[:] = True
            converged = False
        if ii == max_half:
            converged = True
        if converged:
            break
    if ii == max_half:
        msg = "step failed"
    elif i == ctl.outer_maxit:
        msg = "iteration limit reached"
    else:
        msg = "full convergence"
    return f.derivs(b), theta, i, msg, tuple(trace)


def _magic(f: _Outer, theta: np.ndarray, tol: float = 1e-7, max_half: int = 15):
    """The search of mgcv's ``magic`` (C routine), which ``gam`` uses instead of ``newton``
    for GCV/UBRE with gaussian errors and the identity link: Newton steps on the exact
    Hessian (steepest descent when it is not positive definite, or after three failed
    halvings), accepted when the score decreases, stopped when the last decrease is below
    ``tol * (1 + score)`` and the gradient norm below ``tol^(1/3) * (1 + |score|)``; then
    each smoothing parameter is pushed by 2 (up to 5 times) towards its gradient's descent
    while the score keeps falling, which sends flat directions off towards infinity."""
    b = f(theta, None, 0)
    min_score, d_score = b.score, 1e10
    use_sd = False
    n_step = sd_step = grad = None
    trace, it, tries = [], 0, 0
    while True:
        it += 1
        if it > 400:
            break
        ok = it > 1
        tries = 0
        step = (sd_step if use_sd else n_step) if ok else None
        while ok:
            tries += 1
            if tries == 4 and not use_sd:
                use_sd, step = True, sd_step
            b1 = f(theta + step, None, 0)
            if b1.score < min_score:
                ok = False
                d_score, min_score = min_score - b1.score, b1.score
                theta, b = theta + step, b1
            else:
                step = step / 2
            if tries == max_half - 1 and ok:
                step = step * 0.0
            if tries == max_half:
                ok = False
        converged = False
        if it > 3:
            converged = (d_score <= tol * (1 + min_score)
                         and np.sqrt(mm(grad, grad)) <= tol ** (1 / 3) * (1 + abs(min_score)))
            converged = converged or tries == max_half
        b = f.derivs(b)
        grad, hess = b.g, b.h
        ev, U = eigh(hess)
        use_sd = bool(np.any(ev < 0))
        if not use_sd:
            n_step = -mm(U, mm(U.T, grad) / ev)
            big = np.abs(n_step).max()
            if big > 5.0:
                n_step = n_step * (5.0 / big)
        sd_step = -grad / np.abs(grad).max()
        trace.append(OuterIteration(it, b.score, theta.copy(), float(np.abs(grad).max()), tries))
        if converged:
            break
    msg = ("iteration limit reached" if it > 400 else
           "step failed" if tries == max_half else "full convergence")
    moved = False
    for k in range(theta.size):  # smoothing parameters heading for +/- infinity
        sign = 1.0 if grad[k] < 0 else -1.0
        for _ in range(5):
            trial = theta.copy()
            trial[k] += sign * 2.0
            b1 = f(trial, None, 0)
            if not b1.score < min_score:
                break
            min_score, theta, moved = b1.score, trial, True
    if moved:
        b = f(theta, None, 2)
    return b, theta, it, msg, tuple(trace)


def _resolve_method(method: str, fam: FamilyCalculus, scale: float) -> tuple[str, float]:
    """mgcv's ``estimate.gam``: the criterion and the scale it works with (> 0 known)."""
    known = fam.family.scale_known
    if method in ("REML", "ML"):
        return method, (1.0 if known else scale)
    if method in ("GCV.Cp", "GCV", "UBRE", "Cp"):
        if scale == 0:
            scale = 1.0 if known else -1.0
        if method == "GCV":
            return "GCV", -1.0
        if method in ("UBRE", "Cp"):
            return "UBRE", (scale if scale > 0 else 1.0)
        return ("UBRE" if scale > 0 else "GCV"), scale
    raise UnknownNameError("smoothness selection method", method,
                           ("REML", "ML", "GCV.Cp", "GCV", "UBRE"))


def _free_parameters(sp, pen, L, XtX):
    """mgcv's ``gam.setup`` handling of ``sp``: fixed (>= 0) entries go into ``lsp0``
    (0 becomes a negligible positive value), the others stay free columns of ``L``."""
    L = np.eye(pen.n_penalties) if L is None else np.asarray(L, dtype=float)
    lsp0 = np.zeros(L.shape[0])
    if sp is None:
        return L, lsp0
    sp = np.asarray(sp, dtype=float)
    if sp.shape != (L.shape[1],):
        raise ModelSpecError(f"sp has {sp.size} entries; the model has {L.shape[1]} smoothing "
                             "parameters")
    fix = sp >= 0
    if not fix.any():
        return L, lsp0
    val = sp[fix].copy()
    for j, col in enumerate(np.flatnonzero(fix)):
        if val[j] == 0:  # as mgcv: a tiny sp on the scale of the block
            i = int(np.flatnonzero(L[:, col])[0])
            S, off = pen.blocks[i]
            blk = np.diag(XtX)[off:off + S.shape[0]].sum()
            val[j] = blk / np.sqrt((S * S).sum()) * _EPS * 0.1
    lsp0 = mm(L[:, fix], np.log(val))
    return L[:, ~fix], lsp0


def fit_smoothing(X, y, penalties, family, weights=None, offset=None, method: str = "REML",
                  sp=None, scale: float = 0.0, gamma: float = 1.0,
                  control: SmoothingControl | None = None, ranks=None, L=None,
                  intercept: bool = True) -> SmoothingFit:
    """Fit a penalised GLM, choosing its smoothing parameters as ``mgcv::gam`` does.

    Parameters
    ----------
    X : ndarray (n, p) or Design
        The model matrix (mgcv's ``G$X``), identifiability constraints already absorbed.
    y : array-like (n,)
    penalties : sequence of (ndarray, int)
        ``(S_j, off_j)``: penalty ``j`` is ``lambda_j * beta[off_j:off_j+q_j]' S_j
        beta[off_j:off_j+q_j]``; ``off_j`` is 0-based (mgcv's ``G$off`` minus 1).
    family : Family or str
        gaussian, poisson, binomial, Gamma, inverse.gaussian or a quasi family.
    weights, offset : array-like (n,), optional
        Prior weights and offset.
    method : str
        ``"REML"`` (default), ``"ML"``, ``"GCV.Cp"`` (GCV for unknown scale, UBRE for known),
        ``"GCV"`` or ``"UBRE"``.
    sp : array-like, optional
        One entry per smoothing parameter: ``>= 0`` fixes it, negative means estimate.
    scale : float
        ``0`` estimates the scale where the family has one; ``> 0`` fixes it.
    gamma : float
        mgcv's ``gamma``: inflates the model degrees of freedom in GCV/UBRE, divides the
        log likelihood in REML/ML.
    control : SmoothingControl, optional
    ranks : sequence of int, optional
        Penalty ranks (mgcv's ``G$rank``); estimated if omitted.
    L : ndarray (M, m), optional
        Linear map from ``m`` free log smoothing parameters to the ``M`` penalties' (mgcv's
        ``G$L``, for smooths sharing a smoothing parameter).
    intercept : bool
        Whether the model has an intercept (for the null deviance).

    Returns
    -------
    SmoothingFit

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.sort(rng.uniform(size=100))
    >>> y = np.sin(6 * x) + rng.normal(scale=0.3, size=100)
    >>> X = np.column_stack([np.ones(100), x, x ** 2, x ** 3])
    >>> S = np.diag([1.0, 1.0])
    >>> m = fit_smoothing(X, y, [(S, 2)], "gaussian")
    >>> m.criterion, bool(m.converged), m.sp.shape
    ('REML', True, (1,))
    """
    with _small_blas(X.shape[1]):
        return _fit(X, y, penalties, family, weights, offset, method, sp, scale, gamma,
                    control, ranks, L, intercept)


def _small_blas(p: int):
    """One BLAS thread for models with few coefficients. The outer loop makes thousands of
    p x p LAPACK calls; with threads, each pays a wake-up and, on a busy machine, a wait for
    a free core (measured here: 5x slower). ``threadpoolctl`` is used when installed."""
    if p >= 256:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _fit(X, y, penalties, family, weights, offset, method, sp, scale, gamma, control, ranks,
         L, intercept) -> SmoothingFit:
    from aurora.distributions import get_family

    ctl = SmoothingControl() if control is None else control
    fam_obj = get_family(family) if isinstance(family, str) else family
    from aurora.engine.extended import ExtendedCalculus, is_extended

    fam = ExtendedCalculus(fam_obj) if is_extended(fam_obj) else FamilyCalculus(fam_obj)
    nf = getattr(fam, "n_theta", 0)
    design = X if hasattr(X, "matvec") else DenseDesign(np.asarray(X, dtype=float))
    n, p = design.shape
    y, w, off = _check_vectors(n, y, weights, offset)
    fam_obj.validate_response(y, w)
    if getattr(fam, "extended", False):
        fam = fam.start_for(y)
    if not gamma > 0:
        raise DataError(f"gamma must be positive, not {gamma}")
    pen = setup_penalties([(np.asarray(S, float), int(o)) for S, o in penalties], p, ranks)
    criterion, scale_used = _resolve_method(method, fam, float(scale))
    if getattr(fam, "extended", False) and criterion not in ("REML", "ML"):
        raise ModelSpecError(f"method {method!r} is not available for the {fam.name} family",
                             "use method='REML' or 'ML', as mgcv does for extended families")

    # null coefficients (least squares for a constant eta) and the null scale
    mean_y = float(np.mean(y))
    c0 = float(fam.linkfun(np.array(mean_y)))
    XtX = design.sandwich(np.ones(n))
    null_coef = lstsq(XtX, np.asarray(design.rmatvec(np.full(n, c0))))[0]
    null_scale = fam.deviance(y, np.full(n, mean_y), w) / n

    prob = Problem(design=design, y=y, w=w, offset=off, fam=fam, pen=pen,
                   criterion=criterion, scale=scale_used, gamma=float(gamma),
                   null_coef=null_coef, epsilon=min(ctl.epsilon, ctl.conv_tol / 100),
                   maxit=ctl.maxit)
    Lf, lsp0 = _free_parameters(sp, pen, L, XtX)
    outer = _Outer(prob, Lf, lsp0, nf)
    magic = fam.strictly_additive and not prob.reml  # mgcv's G$am path
    theta0 = np.zeros(0)
    if Lf.shape[1]:
        if magic:  # magic's initial.sp sees the model matrix without its weights
            xx = np.diag(XtX)
        else:
            mustart = fam.initialize(y, w)
            if getattr(fam, "extended", False):
                w0 = fam.initial_weights(y, mustart, w)
            else:
                w0 = w * fam.mu_eta(fam.linkfun(mustart)) ** 2 / fam.variance(mustart)
            xx = np.diag(design.sandwich(w0))
        lam = initial_sp(xx, pen.blocks)
        theta0 = lstsq(Lf, np.log(lam) - lsp0)[0]
    if nf:
        theta0 = np.append(theta0, fam.x)
    if prob.scale_as_param:
        theta0 = np.append(theta0, np.log(null_scale / 10))
    if theta0.size:
        if magic:
            b, theta, iters, msg, trace = _magic(outer, theta0)
        else:
            b, theta, iters, msg, trace = _newton(outer, theta0, ctl)
        hess = b.h
        if msg != "full convergence":
            warnings.warn(f"smoothing parameter selection: {msg} after {iters} iterations; "
                          "check the results carefully", ConvergenceWarning, stacklevel=3)
    else:
        b, theta, iters, trace = outer(theta0, None, 0), theta0, 0, ()
        msg, hess = "no smoothing parameters", None
    if not b.converged:
        warnings.warn("the penalized IRLS (inner) iteration did not converge",
                      ConvergenceWarning, stacklevel=3)
    return _post_process(prob, outer, b, theta, hess, iters, msg, trace, intercept)


def _check_vectors(n, y, weights, offset):
    """Response, prior weights and offset as float vectors of length n, checked."""
    out = []
    for name, v, default in (("y", y, None), ("weights", weights, 1.0),
                             ("offset", offset, 0.0)):
        v = np.full(n, default) if v is None else np.asarray(v, dtype=float).reshape(-1)
        if v.shape != (n,):
            raise DataError(f"{name} has {v.size} values; the model matrix has {n} rows")
        if not np.all(np.isfinite(v)):
            raise DataError(f"{name} holds {int((~np.isfinite(v)).sum())} non-finite values",
                            "remove or impute them before fitting")
        out.append(v)
    if np.any(out[1] < 0):
        raise DataError("negative weights not allowed", "prior weights must be >= 0")
    return out


def _post_process(prob: Problem, outer: _Outer, b: InnerFit, theta, hess, iters, msg, trace,
                  intercept) -> SmoothingFit:
    """Covariance matrices, edf and the rest (mgcv's ``gam.fit3.post.proc`` and the end of
    ``gam.outer``/``estimate.gam``)."""
    from aurora.engine.pirls import fit_pirls
    from aurora.engine.reml import _chol, _chol_inverse

    nf = outer.nf
    prob = outer.prob_at(outer.split(theta)[0])
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
    return SmoothingFit(
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
