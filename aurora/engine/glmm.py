"""Penalised iteratively reweighted least squares for GLMMs, as lme4's ``pwrssUpdate``.

A GLMM is the linear mixed model of :mod:`aurora.engine.lmm` reweighted (MixedModels.jl's
design): each PIRLS step forms the working weights ``w = mu_eta^2 prior / V(mu)`` and the
working response ``z = eta - offset + (y - mu) / mu_eta``, takes the weighted
cross-products of the random-effect terms (their sparsity pattern is found once, so a
step costs a few ``bincount`` passes over the rows) and solves the penalised least
squares problem with the blocked Cholesky factor of :func:`aurora.engine.lmm.factorize`:

* ``u_only=False`` (lme4's ``nAGQ = 0`` stage): ``u`` and ``beta`` together;
* ``u_only=True`` (the Laplace and quadrature stage): ``u`` alone, ``beta`` sitting in the
  offset.

The step sequence is lme4's (``internal_glmerWrkIter`` / ``pwrssUpdate`` in
``external.cpp``): factor at the current weights, solve, move ``mu``; stop when the
penalised deviance ``sum(dev.resid) + ||u||^2`` changes by less than ``tol`` relatively;
halve the step (towards the previous increment) while the penalised deviance grows. The
Laplace deviance is lme4's ``ldL2 + ||u||^2 + aic(mu)`` with ``ldL2`` of the last factor
(Bates et al. 2015, JSS 67(1), section 5; lme4 ``respModule.cpp``, ``glmResp::Laplace``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aurora.engine.glmm_family import LmeFamily
from aurora.engine.glmm_struct import (GLMMStructure, glmm_structure, weighted_problem,
                                       z_lambda_u)
from aurora.engine.lmm import LMMProblem, PLSFactor, factorize, z_times

__all__ = ["GLMMModel", "PirlsState", "glmm_model", "pirls", "lambda_times", "PIRLSError",
           "weighted_problem"]


class PIRLSError(RuntimeError):
    """lme4's PIRLS failures (NaN, step halving that cannot reduce the deviance, no
    convergence in ``maxit`` steps)."""


@dataclass(frozen=True)
class GLMMModel:
    """Frozen data of a GLMM (lme4's ``merPredD`` and ``glmResp`` inputs).

    Attributes
    ----------
    X : ndarray, shape (n, p)
    y : ndarray, shape (n,)
        Response (proportions for binomial ``cbind``).
    weights : ndarray, shape (n,)
        Prior weights, binomial trials folded in (lme4's ``resp$weights``).
    n_trials : ndarray, shape (n,)
        lme4's ``resp$n`` (trials of ``cbind``, else ones).
    offset : ndarray, shape (n,)
        The model's offset (lme4's ``baseOffset``).
    terms : RandomTerms
    family : LmeFamily
    """

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    n_trials: np.ndarray = field(repr=False)
    offset: np.ndarray = field(repr=False)
    terms: Any = field(repr=False)
    family: LmeFamily
    struct: GLMMStructure = field(repr=False, default=None)
    cache: dict = field(repr=False, default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def q(self) -> int:
        return self.terms.q

    @property
    def ntheta(self) -> int:
        return int(self.terms.theta_offsets[-1])

    def with_family(self, family: LmeFamily) -> "GLMMModel":
        from dataclasses import replace

        return replace(self, family=family, cache={})


def glmm_model(X: np.ndarray, y: np.ndarray, terms: Any, family: LmeFamily,
               weights: np.ndarray | None = None, n_trials: np.ndarray | None = None,
               offset: np.ndarray | None = None) -> GLMMModel:
    """Bind the data of a GLMM and find the sparsity pattern of its cross-products.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> from aurora.engine.glmm_family import lme_family
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects,
    ...                         pd.DataFrame({"g": np.repeat(list("abcd"), 3)}))
    >>> m = glmm_model(np.ones((12, 1)), np.arange(12.0) % 3, rt, lme_family("poisson"))
    >>> m.n, m.p, m.q
    (12, 1, 4)
    """
    X = np.ascontiguousarray(np.asarray(X, dtype=float))
    n = X.shape[0]
    y = np.asarray(y, dtype=float)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    nt = np.ones(n) if n_trials is None else np.asarray(n_trials, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    return GLMMModel(X, y, w, nt, off, terms, family, glmm_structure(terms))


def lambda_times(terms: Any, blocks: list[np.ndarray], u: np.ndarray) -> np.ndarray:
    """``Lambda u`` (lme4's ``b``) for the relative covariance blocks ``blocks``."""
    out = np.empty_like(u)
    r = 0
    for t, T in zip(terms.terms, blocks):
        out[r:r + t.q] = (u[r:r + t.q].reshape(t.nl, t.k) @ T.T).ravel()
        r += t.q
    return out


@dataclass
class PirlsState:
    """The mutable state lme4 keeps in ``pp`` and ``resp`` between evaluations.

    Attributes
    ----------
    eta, mu : ndarray
        Linear predictor (offset included) and mean.
    offset : ndarray
        The response module's current offset (``baseOffset + X beta`` in the Laplace stage).
    delu, delb : ndarray
        lme4's ``delu`` (the conditional modes ``u``) and ``delb`` (``beta`` in the
        joint stage, zero in the ``u``-only stage).
    theta : ndarray
    w : ndarray
        Working weights of the last factorisation.
    problem, factor : LMMProblem, PLSFactor
        The last factorisation (its ``ldL2`` enters the Laplace deviance).
    blocks : list of ndarray
        ``T_i`` of each term at ``theta``.
    dev : tuple or None
        ``(mu, model cache, sum of the deviance residuals)``, the last one taken.
    """

    eta: np.ndarray
    mu: np.ndarray
    offset: np.ndarray
    delu: np.ndarray
    delb: np.ndarray
    theta: np.ndarray
    w: np.ndarray | None = None
    problem: LMMProblem | None = None
    factor: PLSFactor | None = None
    blocks: list | None = None
    dev: tuple | None = None

    def copy(self) -> "PirlsState":
        return PirlsState(self.eta.copy(), self.mu.copy(), self.offset.copy(), self.delu.copy(),
                          self.delb.copy(), self.theta.copy(), self.w, self.problem,
                          self.factor, self.blocks)

    def update_mu(self, m: GLMMModel, gamma: np.ndarray) -> None:
        """lme4's ``resp$updateMu(gamma)``: ``eta = offset + gamma``."""
        self.eta = self.offset + gamma
        self.mu = m.family.linkinv(self.eta)

    def lin_pred(self, m: GLMMModel) -> np.ndarray:
        """lme4's ``pp$linPred(1)``: ``X delb + Z Lambda delu``."""
        if m.struct is not None:
            out = z_lambda_u(m.struct, self.blocks, self.delu)
        else:
            out = z_times(m.terms, lambda_times(m.terms, self.blocks, self.delu))
        if m.p and np.any(self.delb != 0):
            out = out + m.X @ self.delb
        return out

    def set_theta(self, m: GLMMModel, theta: np.ndarray) -> None:
        self.theta = np.asarray(theta, dtype=float).copy()
        if m.struct is not None:
            self.blocks = m.struct.plan.blocks(self.theta)[1]
        else:
            self.blocks = m.terms.lambda_blocks(self.theta)


def initial_state(m: GLMMModel, theta: np.ndarray, eta: np.ndarray | None = None) -> PirlsState:
    """lme4's starting state: ``mu = mustart`` (R's ``initialize``), ``u = beta = 0``."""
    if eta is None:
        eta = m.offset + m.family.linkfun(m.family.mustart(m.y, m.weights, m.n_trials))
    st = PirlsState(eta, m.family.linkinv(eta), m.offset.copy(), np.zeros(m.q), np.zeros(m.p),
                    np.asarray(theta, dtype=float).copy())
    st.set_theta(m, theta)
    return st


def _dev(m: GLMMModel, st: PirlsState) -> float:
    """``sum(dev_resid)`` at the state's ``mu`` (kept with the ``mu`` it belongs to)."""
    if st.dev is None or st.dev[0] is not st.mu or st.dev[1] is not m.cache:
        st.dev = (st.mu, m.cache, m.family.dev_sum(m.y, st.mu, m.weights, m.cache))
    return st.dev[2]


def _pdev(m: GLMMModel, st: PirlsState) -> float:
    return _dev(m, st) + float(st.delu @ st.delu)


def pirls(m: GLMMModel, st: PirlsState, u_only: bool, tol: float = 1e-7,
          maxit: int = 100) -> float:
    """lme4's ``pwrssUpdate``: PIRLS from the state's current ``eta``; returns the
    penalised deviance. The state holds the result (``delu``, ``delb``, ``mu``, the last
    factor).

    Raises
    ------
    PIRLSError
        As lme4 stops: NaN, step halving failed, or no convergence in ``maxit`` steps.
    """
    fam = m.family
    oldpdev = np.finfo(float).max
    for _ in range(maxit):
        olddelu, olddelb = st.delu, st.delb
        mueta = fam.mu_eta(st.eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            sw = mueta * np.sqrt(m.weights / fam.variance(st.mu))
            z = (st.eta - st.offset) + (m.y - st.mu) / mueta
        w = sw * sw
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(z))):
            raise PIRLSError("PIRLS loop resulted in NaN value")
        pr = weighted_problem(m, w, z, not u_only)
        try:
            f = factorize(pr, st.theta)
        except (np.linalg.LinAlgError, ValueError) as e:
            raise PIRLSError(f"Downdated VtV is not positive definite ({e})") from None
        st.w, st.problem, st.factor = w, pr, f
        st.delu = f.u
        st.delb = np.zeros(m.p) if u_only else f.beta
        st.update_mu(m, st.lin_pred(m))
        pdev = _pdev(m, st)
        if abs((oldpdev - pdev) / pdev) < tol:
            return pdev
        if np.isnan(pdev) or pdev > oldpdev:
            for _k in range(20):
                if not (np.isnan(pdev) or pdev > oldpdev):
                    break
                st.delu = (olddelu + st.delu) / 2.0
                if not u_only:
                    st.delb = (olddelb + st.delb) / 2.0
                st.update_mu(m, st.lin_pred(m))
                pdev = _pdev(m, st)
            if np.isnan(pdev):
                raise PIRLSError("PIRLS loop resulted in NaN value")
            if pdev - oldpdev > tol:
                raise PIRLSError("(maxstephalfit) PIRLS step-halvings failed to reduce "
                                 "deviance in pwrssUpdate")
        oldpdev = pdev
    raise PIRLSError("pwrssUpdate did not converge in (maxit) iterations")


def laplace(m: GLMMModel, st: PirlsState) -> float:
    """lme4's ``glmResp::Laplace``: ``ldL2 + ||u||^2 + aic(mu)``."""
    dev = _dev(m, st)
    return st.factor.ldL2 + float(st.delu @ st.delu) + m.family.aic(
        m.y, m.n_trials, st.mu, m.weights, dev, m.cache)


def unscaled_vcov(m: GLMMModel, st: PirlsState) -> np.ndarray:
    """lme4's ``pp$unsc()``: ``(RX'RX)^{-1}`` at the last working weights."""
    if m.p == 0:
        return np.zeros((0, 0))
    f = st.factor
    if f.RX.shape[0] != m.p:  # the u-only stage: lme4 still updates RX; do it here
        pr = weighted_problem(m, st.w, st.problem.y, True)
        f = factorize(pr, st.theta)
    from scipy.linalg import cho_solve

    return cho_solve((f.RX, True), np.eye(m.p), check_finite=False)
