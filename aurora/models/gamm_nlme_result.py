"""The two faces of a GAMM fitted by nlme with a correlation structure, as ``mgcv::gamm``
returns them: ``$lme`` and ``$gam``.

``lme`` (:class:`GammLme`) is the linear mixed model nlme fitted (fixed effects
``X(Intercept)``, ``Xs(x)Fx1``..., each smooth a ``pdIdnot`` level ``~Xr - 1 | g``, then the
formula's random levels ``subj %in% g``) and prints as ``summary(m$lme)``. ``gam``
(:class:`~aurora.models.gamm_result.GammGam`) is rebuilt from it as ``mgcv::gamm`` rebuilds
it: with ``V`` the covariance of the data given the smooths' random effects (the other
random effects and the correlated residuals, mgcv's ``extract.lme.cov2``),

* coefficients ``beta = U diag(D) c(b_smooth, beta_fixed)`` per smooth;
* ``sp_j = sigma^2 / var(Xr_j)``;
* ``Vp = (X'V^-1 X + sum_j sp_j S_j / sigma^2)^-1`` (an eigen pseudo-inverse, as mgcv),
  times ``n / (n - nsdf)`` for ML fits; ``edf = diag(Vp X'V^-1 X)``,
  ``Ve = Vp X'V^-1 X Vp``;
* ``R = sigma chol(X'V^-1 X)``, ``method = "lme.REML"`` (or ``"lme.ML"``): no criterion
  line and no deviance explained in the summary.

``X'V^-1 X`` comes from the correlation's whitening and a PLS factor of the other random
effects, never from an ``n x n`` matrix.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from aurora.models.lme_result import LMEResult

__all__ = ["GammLme", "GAMMCorrResult", "mgcv_gam"]


class GammLme(LMEResult):
    """The mixed-model part of a GAMM with a correlation structure (mgcv's ``m$lme``):
    an :class:`~aurora.models.lme_result.LMEResult` whose first levels are the smooths."""

    def predict(self, newdata: Any = None, re_form: Any = None, level: int | None = None,
                new_levels: str = "na"):
        if newdata is not None:
            raise NotImplementedError("predictions of a GAMM's mixed-model part on new data "
                                      "are not available: use result.gam.predict(newdata)")
        return super().predict(None, re_form, level, new_levels)

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        return f"<GammLme mgcv gamm mixed model ({kind}, n={self.nobs})>"


class GAMMCorrResult:
    """A GAMM with a residual correlation structure (``mgcv::gamm``'s value).

    Attributes
    ----------
    gam : GammGam
        mgcv's view: coefficients of the smooths in their own parametrisation, ``edf``,
        ``sp``, ``summary()`` as ``summary(m$gam)``, ``predict()`` without random effects.
    lme : GammLme
        nlme's view: ``summary()`` as ``summary(m$lme)``, ``fixef``, ``varcorr()``,
        ``correlation_params``, ``loglik``...
    mer : GammLme
        The same object as ``lme`` (where gamm4 fits have their mixed-model part).
    setup : GammSetup
        The re-parametrisation of the smooths.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> subj, t = np.repeat(np.arange(12), 6), np.tile(np.arange(6), 12)
    >>> x = rng.uniform(size=72)
    >>> y = np.cos(4 * x) + rng.normal(size=12)[subj] + rng.normal(scale=0.5, size=72)
    >>> d = pd.DataFrame({"y": y, "x": x, "subj": subj, "t": t})
    >>> m = aurora.gamm("y ~ s(x) + (1 | subj)", d, correlation="ar1(t | subj)")
    >>> m.mer is m.lme, str(m.gam.summary()).splitlines()[-1].startswith("  Scale est.")
    (True, True)
    """

    def __init__(self, gam: Any, lme: GammLme, setup: Any) -> None:
        self.gam = gam
        self.lme = lme
        self.setup = setup

    @property
    def mer(self) -> GammLme:
        return self.lme

    def summary(self) -> str:
        """Both summaries, the smooths' then the mixed model's."""
        return str(self.gam.summary()) + "\n\n" + str(self.lme.summary())

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        corr = self.lme.fit.problem.corr
        return (f"<GAMMCorrResult gam={self.gam.formula!s} n={self.gam.nobs} "
                f"correlation={corr.struct_name if corr is not None else None}>")


def _xvx(lme: GammLme, X: np.ndarray) -> np.ndarray:
    """``X'V^-1 X`` with ``V = sigma^2 (R + Z_u Lambda_u Lambda_u' Z_u')``: the correlated
    residuals and the non-smooth random effects (mgcv's ``extract.lme.cov2`` from the
    level after the smooths)."""
    from aurora.compile.re_terms import RandomTerms, ReTerm
    from aurora.engine.lmm import factorize, lmm_problem

    fit = lme.fit
    pr = fit.problem
    terms = pr.terms
    user = [i for i, t in enumerate(terms.terms) if not t.dense]
    p = X.shape[1]
    A = np.column_stack([X] + [terms.terms[i].X for i in user])
    A = np.sqrt(pr.w)[:, None] * A
    if pr.corr is not None:
        A = pr.corr.whiten(A, fit.corr_par)[0]
    s2 = fit.sigma ** 2
    if not user:
        return A[:, :p].T @ A[:, :p] / s2
    off = terms.theta_offsets
    theta = np.concatenate([fit.theta[off[i]:off[i + 1]] for i in user])
    white, c = [], p
    for i in user:
        t = terms.terms[i]
        white.append(ReTerm(t.spec, t.codes, A[:, c:c + t.X.shape[1]]))
        c += t.X.shape[1]
    prob = lmm_problem(A[:, :p], np.zeros(A.shape[0]), RandomTerms(tuple(white)))
    RX = factorize(prob, theta).RX
    return RX @ RX.T / s2


def _pinv_eigen(M: np.ndarray) -> np.ndarray:
    """mgcv's inverse of ``XVX + S``: eigen-decomposition, non-zero eigenvalues inverted."""
    vals, vecs = np.linalg.eigh((M + M.T) / 2)
    inv = np.zeros_like(vals)
    nz = vals != 0
    inv[nz] = 1.0 / vals[nz]
    return (vecs * inv[None, :]) @ vecs.T


def mgcv_gam(plan: Any, setup: Any, lme: GammLme, formula_text: str, REML: bool) -> Any:
    """``mgcv::gamm``'s construction of ``m$gam`` from the fitted ``lme``.

    Parameters
    ----------
    plan : ModelPlan
        The GAM's plan (its ``X`` is mgcv's ``G$Xf``, its penalties the smooths').
    setup : GammSetup
        From :func:`aurora.models.gamm_nlme.mgcv_setup`.
    lme : GammLme
    formula_text : str
    REML : bool

    Returns
    -------
    GammGam
    """
    from aurora.distributions import get_family
    from aurora.models.gamm_result import GammGam, GammGamFit, _upper_root

    fit = lme.fit
    terms = fit.problem.terms
    boff, toff = terms.b_offsets, terms.theta_offsets
    index = {t.spec.column_names[0]: i for i, t in enumerate(terms.terms) if t.dense}
    bf = np.asarray(fit.beta, dtype=float)
    sigma2 = float(fit.sigma ** 2)
    nsdf = setup.nsdf
    p = plan.X.shape[1]
    coefs, pos = [bf[:nsdf]], nsdf
    S = np.zeros((p, p))
    sp = []
    for sr, block in zip(setup.smooths, plan.penalties):
        nf = sr.Xf.shape[1]
        beta_f = bf[pos:pos + nf]
        pos += nf
        ids = [index[name] for name, _ in sr.random]
        coefs.append(sr.coefficients([fit.b[boff[i]:boff[i + 1]] for i in ids], beta_f))
        if sr.fixed:
            continue
        th = float(fit.theta[toff[ids[0]]])
        spj = 1.0 / (th * th) if th != 0 else 1e10
        sp.append(spj)
        S[sr.start:sr.stop, sr.start:sr.stop] += spj * np.asarray(block.matrices[0])
    coef = np.concatenate(coefs)
    XVX = _xvx(lme, plan.X)
    Vb = _pinv_eigen(XVX + S / sigma2)
    edf = np.sum(Vb * XVX.T, axis=1)
    n = plan.nobs
    if not REML:
        Vb = Vb * n / (n - nsdf)
    Ve = Vb @ XVX @ Vb
    fam = get_family("gaussian")
    eta = plan.X @ coef + plan.offset
    method = "lme.REML" if REML else "lme.ML"
    gfit = GammGamFit(coef, Vb, Ve, edf, np.array(sp), np.array(sp), float("nan"), sigma2,
                      eta, eta, np.ones(n), _upper_root(XVX) * np.sqrt(sigma2),
                      bool(fit.converged), criterion=method, scale_estimated=True)
    return GammGam(plan, gfit, fam, method, formula_text)
