"""GAMMs with a residual correlation structure, as ``mgcv::gamm`` fits them.

gamm4 has no correlation argument: ``aurora.gamm(..., correlation=...)`` with smooths
follows mgcv's ``gamm`` instead. Each smooth becomes random effects as
``smooth2random(type = 1)`` makes them (the penalty null space fixed columns
``s(x)Fx1``..., the penalised range space ``Xr`` with i.i.d. effects, nlme's ``pdIdnot``,
in a grouping ``g`` with one level spanning all the data); the formula's bars become
nlme's nested random levels inside those; and the whole model is fitted by nlme's ``lme``
with the correlation structure grouped by every random level and the correlation's own
grouping (mgcv's ``corGroup``, ``~time | g/subj``), by :func:`aurora.engine.lme_fit.fit_lme`
(nlme's REML or ML criterion, minimised to the optimum). The GAM is then rebuilt as
``gamm`` rebuilds it (:mod:`aurora.models.gamm_nlme_result`): ``m.gam`` answers
``summary(m$gam)``, ``m.lme`` answers ``summary(m$lme)``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import DataError, MissingDataError, ModelSpecError, UnknownVariableError

__all__ = ["fit_gamm_corr", "mgcv_setup"]

DATA_NAME = "strip.offset(mf)"  # what mgcv's lme call names its data


def mgcv_setup(plan: Any, used: list[str]) -> tuple[Any, list[Any], list[str]]:
    """mgcv's ``gamm.setup``: the fixed columns and one dense random-effect term per smooth
    penalty (``smooth2random(type = 1)``), with mgcv's names.

    Parameters
    ----------
    plan : ModelPlan
        Compiled with smooths (and optionally bars).
    used : list of str
        Names taken (mgcv's ``names(mf)``); the new ``Xr``/``g`` names are appended.

    Returns
    -------
    (GammSetup, list of DenseReTerm, list of str)
        The setup (its ``terms`` are the smooth terms only), the smooth terms, and the
        name of each term's grouping (``g``, ``g.0``...).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.compile import compile_plan
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"y": rng.normal(size=50), "x": rng.uniform(size=50),
    ...                   "z": rng.uniform(size=50)})
    >>> plan = compile_plan("y ~ s(x) + s(z)", d, smooths=True)
    >>> setup, dense, groups = mgcv_setup(plan, ["y", "x", "z"])
    >>> setup.fixed_names, [t.spec.column_names[0] for t in dense], groups
    (('(Intercept)', 's(x)Fx1', 's(z)Fx1'), ['Xr', 'Xr.0'], ['g', 'g.0'])
    """
    from aurora.compile.re_terms import DenseReTerm, RandomTerms, ReTermSpec
    from aurora.compile.smooth_random import new_name, smooth2random
    from aurora.models.gamm_fit import GammSetup, _check_gamm_smooth

    blocks = plan.penalties
    nsdf = blocks[0].start if blocks else plan.X.shape[1]
    Xcols, names = [plan.X[:, :nsdf]], list(plan.column_names[:nsdf])
    xlab: list[str] = []
    smooths, dense, gnames, snames = [], [], [], []
    for b in blocks:
        _check_gamm_smooth(b)
        if b.bs in ("t2", "te", "ti") or len(b.matrices) > 1:
            raise NotImplementedError(
                f"{b.label}: tensor products and smooths with several penalties are not "
                "available in aurora.gamm with correlation= (mgcv's gamm needs pdTens)")
        group = new_name("g", used)
        sr = smooth2random(b, plan.X[:, b.start:b.stop], used, xlab)
        smooths.append(sr)
        Xcols.append(sr.Xf)
        names += list(sr.fixed_names)
        for name, Z in sr.random:
            r = Z.shape[1]
            used.append(group)
            spec = ReTermSpec(None, group, tuple(str(j + 1) for j in range(r)), (name,),
                              label=f"{name} - 1 | {group}", covariance="identity")
            dense.append(DenseReTerm(spec, np.ascontiguousarray(Z)))
            gnames.append(group)
            snames.append(name)
    X = np.column_stack(Xcols) if Xcols else np.zeros((plan.nobs, 0))
    setup = GammSetup(X, tuple(names), nsdf, tuple(smooths), RandomTerms(tuple(dense)),
                      tuple(snames), plan.random)
    return setup, dense, gnames


def _levels(dense: list, gnames: list[str], plan: Any, text: str) -> tuple:
    """nlme's levels, outermost first: one per smooth term, then the bars' levels; the
    combined terms in that order and the random-effects formula of each level."""
    from aurora.compile.re_terms import RandomTerms
    from aurora.engine.lme_df import NlmeLevel, nlme_levels
    from aurora.models.lme import _level_formulas

    n = plan.nobs
    levels = [NlmeLevel(g, g, np.zeros(n, dtype=np.intp), 1, (i,))
              for i, g in enumerate(gnames)]
    forms = [f"~{t.spec.column_names[0]} - 1" for t in dense]
    terms = list(dense)
    if plan.random is not None:
        user = nlme_levels(plan.random)
        if user is None:
            raise ModelSpecError(
                "nlme's lme (mgcv's gamm) needs nested random-effect groupings; these are "
                "crossed (" + ", ".join(t.spec.group_name for t in plan.random.terms) + ")",
                "drop the correlation= to fit crossed factors as gamm4 does")
        forms += list(_level_formulas(user, plan.random, text))
        for lv in user:
            idx = []
            for i in lv.term_index:
                idx.append(len(terms))
                terms.append(plan.random.terms[i])
            levels.append(NlmeLevel(lv.name, lv.group_name, lv.codes, lv.nl, tuple(idx)))
    rt = RandomTerms(tuple(terms), tuple(range(len(terms))))
    return levels, rt, tuple(forms)


def _corr_rows(spec: Any, frame: pd.DataFrame, na_action: str) -> np.ndarray:
    """Rows usable by the correlation structure (its variables present)."""
    need = ([spec.time] if spec.time else []) + list(spec.groups or ())
    for v in need:
        if v not in frame.columns:
            raise UnknownVariableError(v, [str(c) for c in frame.columns])
    missing = frame[need].isna().any(axis=1).to_numpy() if need else np.zeros(len(frame), bool)
    if missing.any() and na_action == "raise":
        raise MissingDataError(f"{int(missing.sum())} rows have missing values in the "
                               f"correlation variables ({', '.join(need)})",
                               "drop those rows, or use na_action='omit'")
    return ~missing


def _subset(subset: Any, ok: np.ndarray) -> Any:
    """The user's ``subset`` and the rows with the correlation variables present."""
    if ok.all():
        return subset
    if subset is None:
        return ok
    if isinstance(subset, str):
        raise DataError("rows with missing correlation variables and a subset= expression",
                        "drop the rows with missing values first, or give subset as booleans")
    return np.asarray(subset, dtype=bool) & ok


def _correlation(spec: Any, plan: Any, sub: pd.DataFrame, levels: list, gnames: list[str]):
    """mgcv's correlation grouping (every random level, then the correlation's own
    grouping variables not among them) and nlme's formula of it."""
    from aurora.compile.grouping import group_codes
    from aurora.models.lme import _group_corr

    n = plan.nobs
    codes = levels[-1].codes if len(levels) > len(gnames) else np.zeros(n, dtype=np.intp)
    level_names = [lv.name for lv in levels]
    extra = [v for v in (spec.groups or ()) if v not in level_names]
    if extra:
        c2, _ = group_codes(sub, tuple(extra))
        codes = np.unique(np.column_stack([codes, c2]), axis=0, return_inverse=True)[1].ravel()
    codes = np.asarray(codes, dtype=np.intp)
    corr = _group_corr(spec, sub, codes)
    return corr, f"~{spec.time or 1} | " + "/".join(level_names + extra)


def fit_gamm_corr(text: str, ast: Any, data: Any, correlation: str, family: Any,
                  REML: bool = True, weights: Any = None, offset: Any = None,
                  knots: dict | None = None, na_action: str = "omit", subset: Any = None,
                  control: dict | None = None, start: Any = None,
                  formula_text: str = "") -> Any:
    """Fit ``y ~ s(x) + (1 | g)`` with a correlation structure as ``mgcv::gamm``.

    Parameters
    ----------
    text : str
        The formula (bars included).
    ast : Formula
        Its parse.
    data : DataFrame
    correlation : str
        ``"ar1(time | g)"``, ``"cs(g)"``... (:func:`aurora.models.lme.parse_correlation`).
    family : Family
        Gaussian with the identity link (others: mgcv's ``gammPQL``, not available).
    REML : bool
        nlme's REML (default, as aurora.gamm) or ML (mgcv's own default).
    control : dict, optional
        :data:`aurora.engine.lme_fit.LME_CONTROL` overrides; ``{"optimizer": "none"}``
        evaluates the model at ``start``.
    start : array-like, optional
        The engine's parameters (``m.lme.fit.params``): lme4-style theta of every term in
        nlme's level order (smooths first; ``sd / sigma`` for i.i.d. effects), then nlme's
        unconstrained correlation parameter.
    formula_text : str
        The GAM formula as ``summary(m$gam)`` prints it.

    Returns
    -------
    GAMMCorrResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.distributions import get_family
    >>> from aurora.formula import parse
    >>> rng = np.random.default_rng(5)
    >>> subj = np.repeat(np.arange(15), 8)
    >>> x = rng.uniform(size=120)
    >>> y = np.sin(2 * np.pi * x) + rng.normal(scale=0.7, size=15)[subj] + rng.normal(size=120)
    >>> d = pd.DataFrame({"y": y, "x": x, "subj": subj})
    >>> m = fit_gamm_corr("y ~ s(x)", parse("y ~ s(x)"), d, "cs(subj)", get_family("gaussian"))
    >>> m.lme.info.corr_formula, m.lme.info.fixed_formula, list(m.gam.coef.index)[:2]
    ('~1 | g/subj', 'y.0 ~ X - 1', ['(Intercept)', 's(x).1'])
    """
    from aurora.compile import compile_plan
    from aurora.compile.frame import as_frame
    from aurora.compile.smooth_random import new_name
    from aurora.engine.lme import lme_problem
    from aurora.engine.lme_df import fixed_df
    from aurora.engine.lme_fit import fit_lme
    from aurora.models.gamm_fit import MerPlan, used_variable_names
    from aurora.models.gamm_nlme_result import GAMMCorrResult, GammLme, mgcv_gam
    from aurora.models.lme import parse_correlation
    from aurora.models.lme_result import LMEInfo

    if family.name != "gaussian" or family.link.name != "identity":
        raise NotImplementedError("correlation= with smooths for a non-Gaussian family is "
                                  "mgcv's gammPQL, which aurora.gamm does not provide; fit "
                                  "without correlation= (gamm4's Laplace fit)")
    if weights is not None or offset is not None:
        raise NotImplementedError("weights= and offset= with correlation= and smooths: mgcv's "
                                  "gamm then switches to gammPQL, which aurora.gamm does not "
                                  "provide")
    spec = parse_correlation(correlation)
    original = as_frame(data)
    work = original.reset_index(drop=True)
    subset = _subset(subset, _corr_rows(spec, work, na_action))
    plan = compile_plan(ast, work, family, na_action=na_action, factor_coding="never",
                        subset=subset, smooths=True, knots=knots,
                        random=bool(ast.random_effects))
    sub = work.iloc[np.asarray(plan.row_index, dtype=np.intp)]
    used = used_variable_names(ast, work)
    used += [v for v in [spec.time, *(spec.groups or ())] if v and v not in used]
    setup, dense, gnames = mgcv_setup(plan, used)
    levels, terms, forms = _levels(dense, gnames, plan, text)
    corr, corr_formula = _correlation(spec, plan, sub, levels, gnames)
    X = setup.X
    if X.shape[1] and np.linalg.matrix_rank(X) < X.shape[1]:
        raise ModelSpecError("the fixed effects of the mixed model are rank deficient",
                             "drop aliased parametric terms")
    if plan.nobs <= X.shape[1]:
        raise DataError(f"{plan.nobs} observations for {X.shape[1]} fixed effects",
                        "a mixed model needs more rows than fixed-effect columns")
    problem = lme_problem(X, plan.y, terms, corr)
    fit = fit_lme(problem, REML=REML, control=control,
                  start=None if start is None else np.asarray(start, dtype=float))
    _warn(fit.messages)
    yname = new_name("y", used)
    xname = new_name("X", used + [yname])
    info = LMEInfo(text, f"{yname} ~ {xname} - 1", forms, corr_formula, None, DATA_NAME,
                   na_action)
    mplan = MerPlan(terms, plan.y, plan.weights, plan.offset, plan.row_index, plan.frame, X)
    names = tuple(f"{xname}{nm}" for nm in setup.fixed_names)
    lme = GammLme(mplan, fit, names, levels, info, original.index, fixed_df(X, levels))
    gam = mgcv_gam(plan, setup, lme, formula_text or text, REML)
    return GAMMCorrResult(gam, lme, setup)


def _warn(messages: tuple) -> None:
    import warnings

    from aurora.errors import ConvergenceWarning

    for m in messages:
        warnings.warn(m, ConvergenceWarning, stacklevel=4)
