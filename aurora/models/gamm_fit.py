"""GAMMs as gamm4 fits them: smooths become random effects, one lme4 fit, mgcv's view after.

:func:`fit_gamm_plan` takes a compiled plan with smooths (and optionally random-effect
bars), re-parametrises each smooth as mgcv's ``smooth2random`` does
(:mod:`aurora.compile.smooth_random`), fits the linear mixed model
``y ~ X - 1 + (1 | Xr) + ... + bars`` by lme4's profiled REML/ML criterion
(:mod:`aurora.engine.lmm`; other families by lme4's Laplace ``glmer`` fit,
:mod:`aurora.engine.glmm`, with each smooth term handed over as one level of ``r`` columns
and ``T = theta I``), and rebuilds the GAM from the estimates as ``gamm4::gamm4`` does
(:mod:`aurora.models.gamm_result`): the smooths' coefficients mapped back to their
original parametrisation, ``sp = sigma^2 / var(Xr)``, ``Vp``, ``edf``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import DataError, ModelSpecError

__all__ = ["GammSetup", "gamm_setup", "fit_gamm_plan", "MerPlan"]


@dataclass(frozen=True)
class MerPlan:
    """What a :class:`~aurora.models.mixed_result.MixedResult` reads from a plan, for the
    mixed model gamm4 fits (its fixed effects are not a formula's columns)."""

    random: Any = field(repr=False)
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    offset: np.ndarray = field(repr=False)
    row_index: Any = field(repr=False)
    frame: Any = field(repr=False)
    X: np.ndarray = field(default=None, repr=False)
    spec: Any = field(default=None, repr=False)
    n_trials: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class GammSetup:
    """gamm4's ``G``: the mixed model's fixed columns and terms, and the way back.

    Attributes
    ----------
    X : ndarray, shape (n, pf)
        Fixed effects: the parametric columns, then each smooth's null-space columns.
    fixed_names : tuple of str
        Their names (``"(Intercept)"``, ``"s(x)Fx1"``); lme4 shows them prefixed ``X``.
    nsdf : int
        Parametric columns.
    smooths : tuple of SmoothRandom
    terms : RandomTerms
        Smooth terms and bars in lme4's order.
    smooth_term_names : tuple of str
        Names of the smooths' terms (``Xr``, ``Xr.0``...), in smooth order.
    """

    X: np.ndarray = field(repr=False)
    fixed_names: tuple[str, ...]
    nsdf: int
    smooths: tuple = field(repr=False)
    terms: Any = field(repr=False)
    smooth_term_names: tuple[str, ...]
    bars: Any = field(default=None, repr=False)


def gamm_setup(plan: Any, used_names: list[str], allow_n: bool = False) -> GammSetup:
    """gamm4's ``gamm4.setup``: split every smooth of ``plan`` into fixed columns and
    random-effect terms (mgcv's ``smooth2random``, ``type = 2``) and lay the terms out with
    the plan's bars as lme4 would.

    Parameters
    ----------
    plan : ModelPlan
        Compiled with ``smooths=True`` (and ``random=True`` for bars).
    used_names : list of str
        Names already taken (the data's variables); mgcv's ``vnames``.
    allow_n : bool
        lme4's ``allow.n`` (glmer's level checks).
    """
    from aurora.compile.re_terms import DenseReTerm, ReTermSpec
    from aurora.compile.random_terms import combine_terms
    from aurora.compile.smooth_random import smooth2random

    blocks = plan.penalties
    nsdf = blocks[0].start if blocks else plan.X.shape[1]
    Xcols = [plan.X[:, :nsdf]]
    names = list(plan.column_names[:nsdf])
    used = list(used_names)
    xlab: list[str] = []
    smooths, dense, sterm_names = [], [], []
    for b in blocks:
        _check_gamm_smooth(b)
        sr = smooth2random(b, plan.X[:, b.start:b.stop], used, xlab)
        smooths.append(sr)
        Xcols.append(sr.Xf)
        names += list(sr.fixed_names)
        for name, Z in sr.random:
            r = Z.shape[1]
            spec = ReTermSpec(None, name, tuple(str(j + 1) for j in range(r)), (sr.label,),
                              label=f"1 | {name}")
            dense.append(DenseReTerm(spec, np.ascontiguousarray(Z)))
            sterm_names.append(name)
    X = np.column_stack(Xcols) if Xcols else np.zeros((plan.nobs, 0))
    terms = combine_terms(dense, plan.random, plan.nobs, allow_n=allow_n)
    return GammSetup(X, tuple(names), nsdf, tuple(smooths), terms, tuple(sterm_names),
                     plan.random)


def _check_gamm_smooth(b: Any) -> None:
    """Refuse what gamm can not fit in a smooth's penalty block: linked smoothing
    parameters (``id=``) and fixed ones (``sp=``)."""
    if b.id is not None:
        raise ModelSpecError("gamm can not handle linked smoothing parameters (id=)",
                             "drop id= from the smooths, or fit with aurora.gam")
    if b.fixed_sp is not None and any(v is not None for v in b.fixed_sp):
        raise ModelSpecError(f"{b.label}: fixed sp= is not available in aurora.gamm",
                             "drop sp=, or fit with aurora.gam")


def fit_gamm_plan(plan: Any, REML: bool = True, control: dict | None = None,
                  call: dict | None = None, formula_text: str = "",
                  used_names: list[str] | None = None, start: Any = None,
                  family: Any = None) -> Any:
    """Fit a compiled GAMM (Gaussian, identity link) as ``gamm4`` does.

    Parameters
    ----------
    plan : ModelPlan
        With smooths (``plan.penalties``) and optionally bars (``plan.random``).
    REML : bool
    control : dict, optional
        Overrides of :data:`aurora.engine.lmm_optimize.LMM_CONTROL`.
    call : dict, optional
        Call lines of the mixed-model summary.
    formula_text : str
        The GAM formula as printed by the smooth summary.
    used_names : list of str, optional
        Names taken by the data's variables (default: the formula's variables).
    start : array-like, optional
        Starting theta in lme4's order (lme4's ``start``); with
        ``control={"optimizer": "none"}`` the fit is evaluated there.
    family : Family, optional
        Gaussian with the identity link (default) or any other: then lme4's Laplace fit
        (``glmer``, :mod:`aurora.engine.glmm`), as gamm4 does.

    Returns
    -------
    GAMMResult
    """
    from aurora.engine.lmm import lmm_problem
    from aurora.engine.lmm_optimize import fit_lmm
    from aurora.models.gamm_result import GAMMResult, GammMer, gamm_gam

    if used_names is None:
        used_names = list(plan.spec.formula.variables)
    glmm = family is not None and (family.name != "gaussian" or family.link.name != "identity")
    setup = gamm_setup(plan, used_names, allow_n=glmm)
    if np.any(plan.weights <= 0) and not glmm:
        raise DataError("gamm needs positive prior weights",
                        "drop the rows with zero weight from the data")
    X = setup.X
    if X.shape[1] and np.linalg.matrix_rank(X) < X.shape[1]:
        raise ModelSpecError("the fixed effects of the mixed model are rank deficient",
                             "drop aliased parametric terms")
    if glmm:
        return _fit_glmm_gamm(plan, setup, family, control, call, formula_text)
    pr = lmm_problem(X, plan.y, setup.terms, plan.weights, plan.offset)
    if pr.n <= pr.p:
        raise DataError(f"{pr.n} observations for {pr.p} fixed effects",
                        "a mixed model needs more rows than fixed-effect columns")
    fit = fit_lmm(pr, REML=REML, control=control,
                  theta0=None if start is None else np.asarray(start, dtype=float))
    import warnings

    from aurora.errors import ConvergenceWarning

    for m in fit.messages:
        warnings.warn(m, ConvergenceWarning if "converge" in m else UserWarning, stacklevel=3)
    mplan = MerPlan(setup.terms, plan.y, plan.weights, plan.offset, plan.row_index,
                    plan.frame, X)
    mer = GammMer(mplan, pr, fit, tuple(f"X{nm}" for nm in setup.fixed_names), call or {},
                  (), control)
    gam = gamm_gam(plan, setup, mer, formula_text)
    return GAMMResult(gam, mer, setup)


def used_variable_names(ast: Any, data: pd.DataFrame) -> list[str]:
    """gamm4's initial ``vnames``: the model frame's columns (response and variables)."""
    names = list(ast.response.variables) if ast.response is not None else []
    return list(dict.fromkeys(names + list(ast.variables)))


def engine_view(terms: Any) -> Any:
    """The terms with each dense smooth term as one level of ``r`` columns with
    ``T = theta I`` (the same ``Lambda`` and effects; the form the GLMM engine factors)."""
    import dataclasses

    from aurora.compile.re_terms import RandomTerms, ReTerm

    out = []
    for t in terms.terms:
        if t.dense:
            spec = dataclasses.replace(t.spec, levels=("1",), covariance="identity",
                                       column_names=tuple(str(j + 1) for j in range(t.q)))
            t = ReTerm(spec, np.zeros(t.Zd.shape[0], dtype=np.intp), t.Zd)
        out.append(t)
    return RandomTerms(tuple(out), terms.formula_order)


def _fit_glmm_gamm(plan: Any, setup: GammSetup, family: Any, control: dict | None,
                   call: dict | None, formula_text: str) -> Any:
    """gamm4 for a non-Gaussian family: lme4's Laplace fit (``glmer``) of the same
    terms, then the GAM rebuilt with the working weights and a known scale."""
    import warnings

    from aurora.engine.glmm import glmm_model
    from aurora.engine.glmm_family import lme_family
    from aurora.engine.glmm_optimize import fit_glmm
    from aurora.errors import ConvergenceWarning
    from aurora.models.gamm_result import GAMMResult, GammGlmer, gamm_gam

    fam = lme_family(family)
    y = np.asarray(plan.y, dtype=float)
    fam.check_response(y, plan.weights)
    n_trials = plan.n_trials if plan.n_trials is not None else np.ones(len(y))
    model = glmm_model(setup.X, y, engine_view(setup.terms), fam, plan.weights, n_trials,
                       plan.offset)
    fit = fit_glmm(model, 1, control, None)
    for msg in list(fit.warnings[1:]) + list(fit.messages):
        warnings.warn(msg, UserWarning if msg.startswith("boundary") else ConvergenceWarning,
                      stacklevel=4)
    mplan = MerPlan(setup.terms, plan.y, plan.weights, plan.offset, plan.row_index,
                    plan.frame, setup.X, n_trials=plan.n_trials)
    mer = GammGlmer(mplan, model, fit, tuple(f"X{nm}" for nm in setup.fixed_names),
                    call or {}, (), control)
    gam = gamm_gam(plan, setup, mer, formula_text, family=family)
    return GAMMResult(gam, mer, setup)

