"""The outer iteration of smoothing-parameter selection: mgcv's ``newton`` (and the search
of ``magic`` for gaussian GCV/UBRE) over the free log smoothing parameters, an extended
family's working parameters and the log scale.

:class:`_Outer` is the criterion as a function of that one parameter vector, with exact
first and second derivatives throughout (:mod:`aurora.engine.reml_derivs`); :func:`_newton`
follows mgcv's ``newton`` step for step (eigen-modified Hessian, step halving,
steepest-descent fallback, the same convergence test), so that the iterates, and the point
where it stops in flat directions, are mgcv's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from aurora.engine.reml import InnerFit, Problem, add_derivatives, evaluate
from aurora.engine.reparam import eigh, mm

__all__ = ["SmoothingControl", "OuterIteration"]

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




class _Outer:
    """The criterion as a function of the free parameters ``theta``: free log sp, then the
    extended family's parameters on mgcv's working scale (``nf`` of them), then log scale.

    ``Lx`` maps ``theta`` to the full vector (log sp of every penalty, family parameters,
    log scale), block-diagonally: ``rho = L theta_sp + lsp0``, the family parameters and
    the log scale as they are. The gradient and Hessian of every fit are exact
    (:func:`aurora.engine.reml.add_derivatives`), family parameters included."""

    def __init__(self, prob: Problem, L: np.ndarray, lsp0: np.ndarray, nf: int = 0) -> None:
        self.prob, self.L, self.lsp0, self.nf = prob, L, lsp0, nf
        n_pen, k = L.shape
        n_sc = 1 if prob.scale_as_param else 0
        self.Lx = np.zeros((n_pen + nf + n_sc, k + nf + n_sc))
        self.Lx[:n_pen, :k] = L
        self.Lx[n_pen:, k:] = np.eye(nf + n_sc)
        self.lsp0 = np.concatenate([lsp0, np.zeros(nf + n_sc)])
        self._probs: dict = {}

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(family parameters, the rest)`` of ``theta``."""
        k = self.L.shape[1]
        return theta[k:k + self.nf], np.concatenate([theta[:k], theta[k + self.nf:]])

    def prob_at(self, x: np.ndarray) -> Problem:
        """The problem with the extended family at working parameters ``x``."""
        if not self.nf:
            return self.prob
        key = tuple(np.round(x, 14))
        if key not in self._probs:
            if len(self._probs) > 64:
                self._probs.clear()
            self._probs[key] = replace(self.prob, fam=self.prob.fam.at(x))
        return self._probs[key]

    def __call__(self, theta: np.ndarray, start, deriv: int) -> InnerFit:
        full = mm(self.Lx, theta) + self.lsp0
        n_pen = self.L.shape[0]
        x = full[n_pen:n_pen + self.nf]
        rho = np.concatenate([full[:n_pen], full[n_pen + self.nf:]])
        fit = evaluate(self.prob_at(x), rho, start)
        fit.outer_theta = np.array(theta, dtype=float)
        return self.derivs(fit) if deriv else fit

    def derivs(self, fit: InnerFit) -> InnerFit:
        """Add the gradient and Hessian in ``theta`` (``fit.g``, ``fit.h``) to ``fit``."""
        if fit.g is not None:
            return fit
        if fit.grad is None:
            x = self.split(fit.outer_theta)[0]
            add_derivatives(self.prob_at(x), fit)
        fit.g, fit.h = mm(self.Lx.T, fit.grad), mm(self.Lx.T, fit.hess, self.Lx)
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
