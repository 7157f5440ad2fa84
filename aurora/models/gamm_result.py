"""The two faces of a fitted GAMM, as ``gamm4`` returns them: ``$gam`` and ``$mer``.

``mer`` (:class:`GammMer`) is the mixed model lme4 fitted (smooth terms named ``Xr``,
``Xr.0``..., fixed effects ``X(Intercept)``, ``Xs(x)Fx1``...) and prints as gamm4's
``summary(m$mer)``. ``gam`` (:class:`GammGam`) is mgcv's view rebuilt from it as
``gamm4::gamm4`` rebuilds it: with ``V = sigma^2 (W^-1 + Z_b Lambda_b Lambda_b' Z_b')``
the marginal covariance given the non-smooth random effects ``b``,

* coefficients ``beta = U diag(D) c(b_smooth, beta_fixed)`` per smooth;
* ``sp_j = sigma^2 / var(Xr_j)``;
* ``Vp = B (B' X'V^-1 X B + S_p / sigma^2)^-1 B'`` (``B`` the per-smooth maps, ``S_p``
  the diagonal of the ``sp``), ``edf = diag(Vp X'V^-1 X)``, ``Ve = Vp X'V^-1 X Vp``;
* ``R`` with ``R'R = X'V^-1 X`` for the smooth tests, ``method = "lmer.REML"`` and the
  criterion ``REMLcrit`` (or the ML deviance), no deviance explained.

``X'V^-1 X`` is taken from a PLS factor of the model with the bars only (its ``RX RX'``),
never from an ``n x n`` matrix.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.linalg import qr, solve_triangular

from aurora.models.gam_result import GAMResult
from aurora.models.glmer_result import GlmerResult
from aurora.models.mixed_result import MixedResult
from aurora.report.gam import GAMSummary, format_gam_summary

__all__ = ["GAMMResult", "GammMer", "GammGlmer", "GammGam", "GammGamFit", "gamm_gam"]


class GammMer(MixedResult):
    """The mixed-model part of a GAMM (gamm4's ``m$mer``): a
    :class:`~aurora.models.mixed_result.MixedResult` whose summary has no formula lines
    and no optimizer messages, as gamm4's (it calls lme4's optimizer directly, without
    ``checkConv``; aurora still warns at fit time)."""

    def summary(self):
        s = super().summary()
        return dataclasses.replace(s, call_lines=(), optimizer_messages=())

    def predict(self, newdata: Any = None, re_form: Any = None,
                allow_new_levels: bool = True):
        if newdata is not None:
            raise NotImplementedError("predictions of a GAMM's mixed-model part on new data "
                                      "are not available: use result.gam.predict(newdata)")
        return super().predict(None, re_form, allow_new_levels)

    def refit_ml(self) -> "GammMer":
        """The same mixed model fitted by maximum likelihood from this fit's theta."""
        if not self.REML:
            return self
        from aurora.engine.lmm_optimize import fit_lmm

        fit = fit_lmm(self.problem, REML=False, theta0=self.fit.theta, control=self.control)
        return GammMer(self.plan, self.problem, fit, self.column_names, self.call,
                       self.fit_messages, self.control)

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        return f"<GammMer gamm4 mixed model ({kind}, n={self.nobs}, groups={self.ngrps})>"


class GammGlmer(GlmerResult):
    """The mixed-model part of a non-Gaussian GAMM (gamm4's ``m$mer``, a ``glmerMod``):
    smooth terms shown as lme4 shows them (``Xr``: ``r`` levels of one column), no
    formula lines in the summary."""

    def summary(self):
        s = super().summary()
        return dataclasses.replace(s, call_lines=(), optimizer_messages=())

    @cached_property
    def _cond_var(self) -> list[np.ndarray]:
        out = []
        for t, V in zip(self.terms.terms, super()._cond_var):
            if t.dense and V.shape[0] == 1 and V.shape[1] > 1:
                V = np.diagonal(V[0]).reshape(-1, 1, 1).copy()
            out.append(V)
        return out

    def predict(self, newdata: Any = None, re_form: Any = None, type: str = "link",
                allow_new_levels: bool = True):
        if newdata is not None:
            raise NotImplementedError("predictions of a GAMM's mixed-model part on new data "
                                      "are not available: use result.gam.predict(newdata)")
        return super().predict(None, re_form, type, allow_new_levels)

    def __repr__(self) -> str:
        return f"<GammGlmer gamm4 mixed model ({self.family}, n={self.nobs})>"


@dataclass(frozen=True)
class GammGamFit:
    """The estimates :class:`~aurora.models.gam_result.GAMResult` reads, for a GAMM (the
    fields of :class:`~aurora.engine.smoothing.SmoothingFit` that gamm4 fills)."""

    coefficients: np.ndarray
    Vp: np.ndarray = field(repr=False)
    Ve: np.ndarray = field(repr=False)
    edf: np.ndarray = field(repr=False)
    sp: np.ndarray = field(repr=False)
    sp_full: np.ndarray = field(repr=False)
    gcv_ubre: float
    scale: float
    fitted_values: np.ndarray = field(repr=False)
    linear_predictors: np.ndarray = field(repr=False)
    working_weights: np.ndarray = field(repr=False)
    R: np.ndarray = field(repr=False)
    converged: bool = True
    criterion: str = "lmer.REML"
    scale_estimated: bool = True
    deviance: float = float("nan")
    null_deviance: float = float("nan")
    aic: float = float("nan")
    edf1: Any = None
    edf2: Any = None
    Vc: Any = None
    family: Any = None
    family_label: Any = None
    n_theta: int = 0


class GammGam(GAMResult):
    """The GAM part of a GAMM (gamm4's ``m$gam``): mgcv's summary of the smooths with
    gamm4's numbers (Ref.df = edf, ``lmer.REML = ...``, no deviance explained)."""

    def _summary_input(self):
        inp = super()._summary_input()
        return dataclasses.replace(inp, R=self.fit.R, edf1=None, edf2=None)

    def summary(self):
        from aurora.inference.smooth_tests import summary_gam

        return _GammGamSummary(summary_gam(self._summary_input()))

    @property
    def loglik(self) -> float:
        raise NotImplementedError("a GAMM's gam part has no log-likelihood of its own (as "
                                  "gamm4's): use result.mer.loglik")

    def __repr__(self) -> str:
        return f"<GammGam {self.formula} n={self.nobs}>"


class _GammGamSummary(GAMSummary):
    """mgcv's ``print(summary(m$gam))`` of a gamm4 fit: no deviance explained (the object
    has no deviance), the rest as :class:`~aurora.report.gam.GAMSummary`."""

    def __str__(self) -> str:
        text = format_gam_summary(self.stats)
        if not np.isnan(self.stats.dev_expl):
            return text
        return "\n".join(line.split("Deviance explained")[0] for line in text.split("\n"))


class GAMMResult:
    """A fitted GAMM (gamm4's value): ``gam`` for the smooths, ``mer`` for the mixed model.

    Attributes
    ----------
    gam : GammGam
        mgcv's view (coefficients of the smooths in their own parametrisation, ``edf``,
        ``summary()`` as gamm4's ``summary(m$gam)``, ``predict()`` without random effects).
    mer : GammMer
        lme4's view (``summary()`` as gamm4's ``summary(m$mer)``, ``varcorr()``,
        ``ranef()``...).
    setup : GammSetup
        The re-parametrisation of the smooths.
    """

    def __init__(self, gam: GammGam, mer: GammMer, setup: Any) -> None:
        self.gam = gam
        self.mer = mer
        self.setup = setup

    def summary(self) -> str:
        """Both summaries, the smooths' then the mixed model's."""
        return str(self.gam.summary()) + "\n\n" + str(self.mer.summary())

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"<GAMMResult gam={self.gam.formula!s} n={self.gam.nobs} groups={self.mer.ngrps}>"


def _xvx(plan: Any, mer: Any, w: np.ndarray, scale: float) -> np.ndarray:
    """``X'V^{-1}X`` of the GAM's model matrix, ``V = scale (W^-1 + Z_b Lambda_b Lambda_b'
    Z_b')`` the marginal covariance given the bars' random effects (gamm4's ``XVX``)."""
    from aurora.compile.re_terms import RandomTerms
    from aurora.engine.lmm import factorize, lmm_problem

    X = plan.X
    terms = mer.terms
    keep = [i for i, t in enumerate(terms.terms) if not t.dense]
    if not keep:
        return X.T @ (X * w[:, None]) / scale
    off = terms.theta_offsets
    theta = np.concatenate([mer.fit.theta[off[i]:off[i + 1]] for i in keep])
    other = RandomTerms(tuple(terms.terms[i] for i in keep))
    pr = lmm_problem(X, np.zeros(X.shape[0]), other, w)
    RX = factorize(pr, theta).RX
    return RX @ RX.T / scale


def _mixed_estimates(mer: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """``beta``, ``b`` (lme4's order) and gamm4's scale (``sigma^2``; 1 when known)."""
    if isinstance(mer, GammGlmer):
        scale = float(mer.sigma ** 2) if mer._use_scale else 1.0
        return np.asarray(mer.fit.beta, dtype=float), mer._b(), scale
    return mer.fit.factor.beta, mer.fit.factor.b(mer.terms), float(mer.sigma ** 2)


def gamm_gam(plan: Any, setup: Any, mer: Any, formula_text: str,
             family: Any = None) -> GammGam:
    """gamm4's construction of ``m$gam`` from the fitted mixed model (``lmer`` or, for
    other families, ``glmer``: then the working weights and a known scale of 1)."""
    from aurora.distributions import get_family

    fit = mer.fit
    terms = mer.terms
    bf, b, scale = _mixed_estimates(mer)
    glmm = isinstance(mer, GammGlmer)
    boff = terms.b_offsets
    toff = terms.theta_offsets
    index = {t.spec.group_name: i for i, t in enumerate(terms.terms) if t.dense}
    nsdf = setup.nsdf
    coefs = [bf[:nsdf]]
    pos = nsdf
    p = plan.X.shape[1]
    B = np.eye(p)
    sp_diag = np.zeros(p)
    sp = []
    for sr in setup.smooths:
        nf = sr.Xf.shape[1]
        beta_f = bf[pos:pos + nf]
        pos += nf
        ids = [index[name] for name, _ in sr.random]
        coefs.append(sr.coefficients([b[boff[i]:boff[i + 1]] for i in ids], beta_f))
        if sr.fixed:
            continue
        B[sr.start:sr.stop, sr.start:sr.stop] = sr.B()
        for j, i in enumerate(ids):
            th = float(fit.theta[toff[i]])
            vc = float(mer.sigma ** 2) * th * th
            spj = scale / vc if vc > 0 else 1e10
            sp.append(spj)
            sel = np.flatnonzero(sr.pen_ind == j + 1)
            sp_diag[sr.start + sel] = np.sqrt(spj)
    coef = np.concatenate(coefs)
    w = mer.fit.state.w if glmm else plan.weights  # gamm4: object$weights
    XVX = _xvx(plan, mer, np.asarray(w, dtype=float), scale)
    # gamm4: Vb = B (qr of rbind(V^-1/2 X B, Sp / sqrt(scale)))^-1 ..., edf = diag(Vb XVX)
    Rx = _upper_root(XVX)
    _, Rq = qr(np.vstack([Rx @ B, np.diag(sp_diag) / np.sqrt(scale)]), mode="economic")
    Ri = solve_triangular(Rq, np.eye(p), lower=False)
    BRi = B @ Ri
    Vb = BRi @ BRi.T
    edf = np.sum(Vb * XVX.T, axis=1)
    Ve = Vb @ XVX @ Vb
    fam = get_family("gaussian") if family is None else get_family(family)
    eta = plan.X @ coef + plan.offset
    mu = np.asarray(fam.link.inverse(eta), dtype=float)
    if glmm:
        crit, method = float(mer.deviance), "glmer.ML"
    else:
        crit, method = (mer.reml_criterion if mer.REML else mer._devcrit(False)), "lmer.REML"
    gfit = GammGamFit(coef, Vb, Ve, edf, np.array(sp), np.array(sp), float(crit), scale,
                      mu, eta, np.asarray(w, dtype=float), Rx, bool(fit.converged),
                      criterion=method, scale_estimated=not glmm or mer._use_scale)
    P = None
    if plan.X_predict is not None:  # mgcv's G$P (t2): fitting -> prediction parametrisation
        P = np.linalg.lstsq(plan.X_predict, plan.X, rcond=None)[0]
    return GammGam(plan, gfit, fam, method, formula_text, P=P)


def _upper_root(M: np.ndarray) -> np.ndarray:
    """An upper-triangular ``R`` with ``R'R = M`` (Cholesky; eigen-based when ``M`` is
    only semi-definite)."""
    try:
        return np.linalg.cholesky(M).T
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh((M + M.T) / 2)
        root = (vecs * np.sqrt(np.maximum(vals, 0))[None, :]).T
        return qr(root, mode="r")[0]
