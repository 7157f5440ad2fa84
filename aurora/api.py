"""Formula front doors: ``aurora.glm``, ``aurora.gam`` and ``aurora.gamm`` (its home is
:mod:`aurora.models.gamm_formula`)."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from aurora.backends import get_backend
from aurora.compile.plan import ModelPlan, compile_plan
from aurora.engine.glm import fit_glm_arrays
from aurora.engine.pirls import IRLSControl
from aurora.models.gamm_formula import gamm
from aurora.models.glm import GLMResult
from aurora.report.call import call_builder, deparse_call  # noqa: F401  (deparse_call: old home)

__all__ = ["glm", "gam", "gamm"]


def _rename_plan(plan: ModelPlan, rename: dict[str, str]) -> ModelPlan:
    spec = plan.spec
    names = tuple(rename.get(c, c) for c in spec.column_names)
    labels = tuple(rename.get(c, c) for c in spec.term_labels)
    spec = dataclasses.replace(spec, column_names=names, term_labels=labels)
    return dataclasses.replace(plan, spec=spec)


def _fit_glm_plan(formula: Any, data: Any, family: Any, link: Any, weights: Any, offset: Any,
                  engine: str, na_action: str, call: str | None = None,
                  rename: dict[str, str] | None = None, control: IRLSControl | None = None,
                  start: Any = None, factor_coding: str = "auto", subset: Any = None) -> GLMResult:
    from aurora.distributions import get_family

    fam = get_family("gaussian" if family is None else family, link=link)
    plan = compile_plan(formula, data, fam, weights=weights, offset=offset, na_action=na_action,
                        factor_coding=factor_coding, subset=subset)
    if rename:
        plan = _rename_plan(plan, rename)
    if call is None:
        call = call_builder(plan.spec.written_formula, family, link, fam, weights=weights,
                            offset=offset, start=start, subset=subset, na_action=na_action,
                            control=control)
    result = _fit_plan(plan, fam, engine, call, control, start)
    if rename:
        result._matrix_rename = rename
    return result


def _fit_plan(plan: ModelPlan, fam: Any, engine: str, call: str,
              control: IRLSControl | None = None, start: Any = None) -> GLMResult:
    """Check the response against the family, run the engine, wrap the result."""
    fam.validate_response(plan.y, plan.weights)
    backend = get_backend(engine)
    est = fit_glm_arrays(None, plan.y, fam, plan.weights, plan.offset, design=plan.design(backend),
                         n_trials=plan.n_trials, has_intercept=plan.spec.has_intercept,
                         backend=backend, control=control or IRLSControl(), start=start,
                         warn=True, column_names=plan.spec.column_names)
    if callable(call):
        call = call(est.theta)  # a theta-estimated negative binomial prints MASS's glm.nb call
    result = GLMResult(plan, est, engine=backend.name, call=call)
    result.control = control or IRLSControl()  # R's fit$control (profile refits reuse it)
    return result


def glm(
    formula: str,
    data: pd.DataFrame | Any,
    family: Any = None,
    link: Any = None,
    weights: Any = None,
    offset: Any = None,
    engine: str = "numpy",
    na_action: str = "omit",
    *,
    subset: Any = None,
    epsilon: float | None = None,
    maxit: int | None = None,
    control: Any = None,
    start: Any = None,
    factor_coding: str = "auto",
) -> GLMResult:
    """Fit a generalized linear model from an R-style formula (R: ``glm``).

    Parameters
    ----------
    formula : str
        e.g. ``"y ~ x1 + f + x1:f + offset(log(exposure))"``; ``cbind(s, f) ~ ...`` for
        binomial counts.
    data : DataFrame
    family : str or Family, optional
        Gaussian when not given (and then, as in R, absent from the call line);
        ``"gaussian"``, ``"binomial"``, ``"poisson"``, ``"Gamma"``, ``"inverse.gaussian"``,
        ``"quasipoisson"``, ``"quasibinomial"``, ``"negative_binomial"`` (theta estimated as
        ``MASS::glm.nb`` unless given), ``"tweedie"``... or a family object.
    link : str or LinkFunction, optional
        Defaults to the family's canonical link.
    weights, offset : str or array-like, optional
        Prior weights and an offset: a column of ``data`` or one value per row.
    engine : {"numpy", "jax", "torch"}
        Backend for the data-sized work.
    na_action : {"omit", "exclude", "raise"}
        Drop incomplete rows (R's ``na.omit``, the default; counted on the result), drop
        them and pad per-row results (fitted values, residuals, influence, predictions
        without new data) back with NaN at their places (R's ``na.exclude``), or raise.
        Datetime columns enter as seconds since 1970-01-01 UTC (R's ``POSIXct``),
        timedeltas as seconds; ``Inf`` in a used column is refused (NaN is missing).
    subset : str or array-like of bool, optional
        Rows to use (R's ``subset``): an expression on the columns such as
        ``"cyl != 6"`` or ``"x > 0 & f == 'b'"``, or one True/False per row.
    epsilon, maxit : float, int, optional
        Convergence control (R's ``glm.control``; defaults 1e-8 and 25).
    control : dict or IRLSControl, optional
        R's ``control = glm.control(epsilon = , maxit = )``: a dict with keys
        ``epsilon``, ``maxit`` (``trace`` is accepted and ignored). ``epsilon``/``maxit``
        given directly take precedence.
    start : array-like, optional
        Starting coefficients.
    factor_coding : {"auto", "always", "never"}
        Keep large factor main effects as level codes rather than dummy columns (the
        same model and numbers, much less work for factors with many levels).

    Returns
    -------
    GLMResult

    Examples
    --------
    >>> import aurora
    >>> sprays = aurora.datasets.load("InsectSprays")
    >>> m = aurora.glm("count ~ spray", data=sprays, family="poisson")
    >>> m.converged
    True
    >>> aurora.glm("count ~ spray", sprays, family="poisson", subset="spray != 'A'",
    ...            control={"epsilon": 1e-10, "maxit": 50}).nobs
    60
    """
    return _fit_glm_plan(formula, data, family, link, weights, offset, engine, na_action,
                         control=glm_control(control, epsilon, maxit), start=start,
                         factor_coding=factor_coding, subset=subset)


def glm_control(control: Any = None, epsilon: float | None = None,
                maxit: int | None = None) -> IRLSControl:
    """R's ``glm.control``: merge ``control=`` with ``epsilon``/``maxit`` given directly.

    Examples
    --------
    >>> glm_control({"epsilon": 1e-10}, maxit=50)
    IRLSControl(epsilon=1e-10, maxit=50, alias_tol=1e-13)
    """
    from aurora.errors import DataError

    base = IRLSControl()
    if isinstance(control, IRLSControl):
        base = control
    elif isinstance(control, dict):
        unknown = set(control) - {"epsilon", "maxit", "trace"}
        if unknown:
            raise DataError(f"unknown control setting(s) {sorted(unknown)}",
                            "control takes 'epsilon', 'maxit' (and 'trace')")
        base = dataclasses.replace(base, **{k: v for k, v in control.items() if k != "trace"})
    elif control is not None:
        eps = getattr(control, "epsilon", None)
        mx = getattr(control, "maxit", None)
        if eps is None and mx is None:
            raise DataError(f"control must be a dict or IRLSControl, not {type(control).__name__}",
                            "pass control={'epsilon': 1e-8, 'maxit': 25}")
        base = IRLSControl(epsilon=eps if eps is not None else base.epsilon,
                           maxit=mx if mx is not None else base.maxit)
    if epsilon is not None:
        base = dataclasses.replace(base, epsilon=epsilon)
    if maxit is not None:
        base = dataclasses.replace(base, maxit=maxit)
    if not (base.epsilon > 0) or int(base.maxit) < 1:
        raise DataError(f"invalid control: epsilon = {base.epsilon}, maxit = {base.maxit}",
                        "epsilon must be > 0 and maxit >= 1, as R's glm.control requires")
    return dataclasses.replace(base, epsilon=float(base.epsilon), maxit=int(base.maxit))


_GAM_METHODS = ("REML", "ML", "GCV.Cp", "GCV", "UBRE")


def gam(
    formula: str,
    data: pd.DataFrame | Any,
    family: Any = "gaussian",
    link: Any = None,
    method: str = "REML",
    select: bool = False,
    gamma: float = 1.0,
    sp: Any = None,
    knots: dict | None = None,
    weights: Any = None,
    offset: Any = None,
    engine: str = "numpy",
    na_action: str = "omit",
    *,
    subset: Any = None,
):
    """Fit a generalized additive model (R: ``mgcv::gam``).

    Smooth terms (``s()``, ``te()``, ``ti()``, ``t2()``) are built as mgcv builds them
    (bases, identifiability constraints, penalty scaling) and their smoothing parameters
    chosen by ``method`` with mgcv's Newton iteration (Wood 2011). Independent random
    effects written as lme4 writes them become mgcv's ``bs = "re"`` smooths: ``(1 | g)`` is
    ``s(g, bs = "re")``, ``(0 + x | g)`` is ``s(x, g, bs = "re")``, ``(x || g)`` both;
    correlated terms such as ``(1 + x | g)`` are refused (fit them with :func:`gamm` or
    ``aurora.lmer``).

    Parameters
    ----------
    formula : str
        e.g. ``"y ~ s(x0) + s(x1, bs = 'cr') + f"``.
    data : DataFrame
    family, link : str or object
        As :func:`glm` (gaussian, poisson, binomial, Gamma, inverse.gaussian, quasi).
    method : {"REML", "ML", "GCV.Cp", "GCV", "UBRE"}
        Smoothing-parameter criterion (mgcv's; ``"GCV.Cp"`` is GCV for an unknown scale
        and UBRE for a known one).
    select : bool
        mgcv's ``select = TRUE``: an extra penalty on each smooth's null space, so a
        whole term can be penalized out of the model.
    gamma : float
        mgcv's ``gamma`` (> 1 gives smoother fits).
    sp : sequence of float, optional
        Smoothing parameters, one per penalty in model order; negative entries are
        estimated (mgcv's ``sp``).
    knots : dict, optional
        ``{"x": [...]}``, mgcv's ``knots = list(x = ...)``.
    weights, offset, engine, na_action, subset
        As :func:`glm`.

    Returns
    -------
    GAMResult

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"x": rng.uniform(size=300), "z": rng.uniform(size=300)})
    >>> d["y"] = np.sin(6 * d.x) + d.z ** 2 + rng.normal(scale=0.3, size=300)
    >>> m = aurora.gam("y ~ s(x) + s(z, bs = 'cr')", d)
    >>> m.converged, sorted(m.edf.index)
    (True, ['s(x)', 's(z)'])
    """
    from aurora.distributions import get_family
    from aurora.engine.smoothing import fit_smoothing
    from aurora.errors import DataError, ModelSpecError
    from aurora.models.gam_result import GAMResult
    from aurora.report.call import deparse_formula

    if method not in _GAM_METHODS:
        raise DataError(f"unknown method {method!r}", f"use one of {', '.join(_GAM_METHODS)}")
    fam = get_family(family, link=link)
    formula = _bars_as_re(formula, data)
    plan = compile_plan(formula, data, fam, weights=weights, offset=offset,
                        na_action=na_action, factor_coding="never", subset=subset,
                        smooths=True, knots=knots, select=select)
    if plan.X.shape[1] > plan.X.shape[0]:
        raise DataError(f"the model has more coefficients ({plan.X.shape[1]}) than data "
                        f"({plan.X.shape[0]} rows), as mgcv refuses",
                        "reduce k of the smooths or use more data")
    L = _shared_sp_map(plan.penalties)
    fam.validate_response(plan.y, plan.weights)
    penalties = [(S, b.start) for b in plan.penalties for S in b.matrices]
    fixed = []
    for b in plan.penalties:
        fixed += list(b.fixed_sp) if b.fixed_sp is not None else [None] * len(b.matrices)
    if sp is not None:
        given = list(np.atleast_1d(np.asarray(sp, dtype=float)))
        if len(given) != len(penalties):
            raise DataError(f"sp has {len(given)} value(s) but the model has "
                            f"{len(penalties)} smoothing parameter(s)",
                            "give one sp per penalty, negative to estimate it")
        fixed = [v if v >= 0 else None for v in given]
    sp_arg = None
    if any(v is not None for v in fixed):
        sp_arg = np.array([-1.0 if v is None else v for v in fixed])
    backend = get_backend(engine)
    if L is not None and sp_arg is not None:
        raise ModelSpecError("fixed sp together with id= is not available yet",
                             "give sp= or id=, not both")
    fit = fit_smoothing(plan.design(backend), plan.y, penalties, fam, weights=plan.weights,
                        offset=plan.offset, method=method, sp=sp_arg, gamma=gamma, L=L,
                        intercept=plan.spec.has_intercept)
    text = deparse_formula(plan.spec.written_formula, cutoff=500)
    P = None
    if plan.X_predict is not None:  # mgcv's G$P: fitting -> prediction parametrisation
        P = np.linalg.lstsq(plan.X_predict, plan.X, rcond=None)[0]
    if fit.family is not None:  # an extended family, at its estimated parameters
        fam = fit.family
    result = GAMResult(plan, fit, fam, fit.criterion, text, engine=backend.name, P=P)
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    if frame.index.is_unique:  # mgcv's m$model: the columns the model used, rows kept
        cols = [c for c in dict.fromkeys(plan.spec.formula.variables) if c in frame.columns]
        result.model_frame = frame.loc[plan.row_index, cols]
    return result


def _bars_as_re(formula: Any, data: Any) -> Any:
    """``(1 | g)`` and friends as mgcv's ``s(g, bs = "re")`` smooths (see
    :mod:`aurora.compile.bars_to_smooths`); the formula unchanged when it has no bars."""
    from aurora.formula import parse

    ast = parse(formula) if isinstance(formula, str) else formula
    if not ast.random_effects:
        return formula
    from aurora.compile.bars_to_smooths import bars_as_smooths
    from aurora.compile.frame import as_frame

    return bars_as_smooths(ast, as_frame(data))


def _shared_sp_map(blocks: tuple) -> np.ndarray | None:
    """mgcv's ``L`` for ``id=``: smooths with the same id share their smoothing parameters
    (penalty j of each such smooth takes the same free parameter). None without ids."""
    from aurora.errors import ModelSpecError

    if all(b.id is None for b in blocks):
        return None
    columns: list[tuple] = []  # one free parameter per (id, penalty index) or penalty
    rows: list[int] = []
    for bi, b in enumerate(blocks):
        for j in range(len(b.matrices)):
            key = ("id", str(b.id), j) if b.id is not None else ("own", bi, j)
            if key not in columns:
                columns.append(key)
            rows.append(columns.index(key))
    firsts: dict[str, int] = {}
    for b in blocks:
        if b.id is not None:
            n = len(b.matrices)
            if firsts.setdefault(str(b.id), n) != n:
                raise ModelSpecError(f"smooths with id = {b.id} have different numbers of "
                                     "penalties", "give id= only to smooths of the same kind")
    L = np.zeros((len(rows), len(columns)))
    L[np.arange(len(rows)), rows] = 1.0
    return L
