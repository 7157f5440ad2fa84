"""Smoothing-parameter selection: the outer loop over log smoothing parameters.

``fit_smoothing`` takes a model matrix, penalty blocks ``S_j`` (mgcv's ``G$X``, ``G$S``,
``G$off``) and a family, and chooses ``lambda`` by Laplace-approximate REML or ML, GCV or
UBRE, as ``mgcv::gam`` does with its default ``optimizer = c("outer", "newton")``: mgcv's
initial smoothing parameters (``initial.sp``), Newton's method on ``rho = log(lambda)``
(and on ``log(scale)`` for REML/ML with an unknown scale) with exact first and second
derivatives (Wood 2011, JRSS-B 73:3-36), an eigen-modified Hessian, step halving, a
steepest-descent fallback and mgcv's convergence test (mgcv's ``newton``), then the
covariance matrices and effective degrees of freedom of ``gam.fit3.post.proc``.

The fit at each ``rho`` is in :mod:`aurora.engine.reml`, the criterion's derivatives in
:mod:`aurora.engine.reml_derivs`, the outer Newton iteration in :mod:`aurora.engine.outer`,
the penalty reparametrisation in :mod:`aurora.engine.reparam`.
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import lstsq

from aurora.engine.design import DenseDesign
from aurora.engine.outer import OuterIteration, SmoothingControl, _magic, _newton, _Outer
from aurora.engine.postproc import post_process
from aurora.engine.reml import FamilyCalculus, Problem
from aurora.engine.reparam import mm, setup_penalties
from aurora.errors import ConvergenceWarning, DataError, ModelSpecError, UnknownNameError

__all__ = ["SmoothingControl", "OuterIteration", "SmoothingFit", "fit_smoothing",
           "initial_sp"]

_EPS = np.finfo(float).eps


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
    return SmoothingFit(**post_process(outer, b, theta, hess, iters, msg, trace, intercept))


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
