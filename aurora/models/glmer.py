"""``aurora.glmer`` and ``aurora.glmer_nb``: generalized linear mixed models with lme4's
numbers and printed output."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from aurora.errors import ConvergenceWarning, DataError, ModelSpecError

__all__ = ["glmer", "glmer_nb", "fit_glmer_plan"]


def _family_arg(family: Any) -> tuple[Any, str | None]:
    """The family name and link of ``family`` (a name, ``"binomial(link='probit')"``, or
    an aurora family object)."""
    if isinstance(family, str):
        text = family.strip()
        if "(" in text:
            from aurora.distributions import get_family

            fam = get_family(text)
            return fam, None
        return text, None
    return family, None


def fit_glmer_plan(plan: Any, family: Any, nAGQ: int = 1, control: dict | None = None,
                   start: dict | None = None, call: dict | None = None,
                   stacklevel: int = 3) -> Any:
    """Fit a compiled plan (with ``plan.random``) as lme4's ``glmer`` and wrap the result.

    Parameters
    ----------
    plan : ModelPlan
        From :func:`aurora.compile.compile_plan` with ``random=True``.
    family : str, family object or LmeFamily
    nAGQ : int
    control : dict, optional
        Overrides of :data:`aurora.engine.glmm_optimize.GLMM_CONTROL`.
    start : dict, optional
        ``{"theta": ..., "fixef": ...}``.
    call : dict, optional
        What the summary's call lines show.

    Returns
    -------
    GlmerResult

    Examples
    --------
    >>> import aurora
    >>> from aurora.compile import compile_plan
    >>> df = aurora.datasets.load("warpbreaks")
    >>> plan = compile_plan("breaks ~ tension + (1 | wool)", df, family="poisson",
    ...                     random=True, factor_coding="never")
    >>> round(float(fit_glmer_plan(plan, "poisson").fixef.iloc[0]), 4)
    3.5896
    """
    from aurora.engine.glmm import glmm_model
    from aurora.engine.glmm_agq import check_agq
    from aurora.engine.glmm_family import lme_family
    from aurora.engine.glmm_optimize import fit_glmm
    from aurora.models.glmer_result import GlmerResult
    from aurora.models.lmer import _drop_rank_deficient

    fam = lme_family(family)
    check_agq(plan.random, int(nAGQ))
    keep, messages = _drop_rank_deficient(plan.X, plan.column_names)
    for msg in messages:
        warnings.warn(msg, stacklevel=stacklevel)
    X = plan.X[:, keep]
    y = np.asarray(plan.y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise DataError("NA/NaN/Inf in 'y'", "drop the rows with missing responses")
    fam.check_response(y, plan.weights)
    if np.all(y == y[0]):
        raise DataError("Response is constant", "a GLMM needs a response that varies")
    n_trials = plan.n_trials if plan.n_trials is not None else np.ones(len(y))
    model = glmm_model(X, y, plan.random, fam, plan.weights, n_trials, plan.offset)
    fit = fit_glmm(model, int(nAGQ), control, start)
    for msg in fit.warnings[1:]:
        warnings.warn(msg, ConvergenceWarning, stacklevel=stacklevel)
    for msg in fit.messages:
        if msg.startswith("boundary"):
            warnings.warn(msg, UserWarning, stacklevel=stacklevel)
        else:
            warnings.warn(msg, ConvergenceWarning, stacklevel=stacklevel)
    names = tuple(plan.column_names[i] for i in keep)
    return GlmerResult(plan, model, fit, names, call or {}, tuple(messages), control)


def _compile(formula: str, data: Any, family: Any, weights: Any, offset: Any,
             na_action: str, subset: Any) -> Any:
    from aurora.compile import compile_plan
    from aurora.formula import parse

    ast = parse(formula) if isinstance(formula, str) else formula
    if not ast.random_effects:
        raise ModelSpecError("the formula has no random-effect terms",
                             "add a term such as (1 | g), or fit the model with aurora.glm")
    if ast.smooths:
        raise ModelSpecError("aurora.glmer does not fit smooth terms",
                             "fit smooths with aurora.gam or aurora.gamm")
    from aurora.engine.glmm_family import lme_family

    kind = lme_family(family).kind if not (isinstance(family, str) and family in (
        "negative_binomial", "negative.binomial")) else "negative.binomial"
    return compile_plan(formula, data, family="binomial" if kind == "binomial" else None,
                        weights=weights, offset=offset, na_action=na_action,
                        factor_coding="never", subset=subset, random=True,
                        allow_n=True)  # lme4's glFormula: checkNlevels(allow.n = TRUE)


def glmer(formula: str, data: Any, family: Any = "binomial", nAGQ: int = 1,
          weights: Any = None, offset: Any = None, na_action: str = "omit",
          control: dict | None = None, start: dict | None = None, method: str = "Laplace",
          subset: Any = None, data_name: str = "data") -> Any:
    """Fit a generalized linear mixed model (R: ``lme4::glmer``).

    The deviance is lme4's Laplace approximation (``nAGQ=1``) or adaptive Gauss-Hermite
    quadrature (``nAGQ > 1``, one scalar random effect), minimised as lme4 does: a first
    stage over the covariance parameters with the fixed effects inside the PIRLS, then
    Nelder-Mead over both (Bates et al. 2015, JSS 67(1); lme4's ``glmer``).
    ``method="PQL"`` fits by penalised quasi-likelihood instead (R: ``MASS::glmmPQL``).

    Parameters
    ----------
    formula : str
        ``response ~ fixed terms + (random | group) ...``; a binomial response may be 0/1,
        a proportion with ``weights``, a two-level factor or ``cbind(successes,
        failures)``.
    data : DataFrame
    family : str or family object
        ``"binomial"`` (logit, probit, cloglog, cauchit), ``"poisson"``, ``"Gamma"``,
        ``"inverse.gaussian"``, or a negative binomial with a known theta
        (``aurora.distributions.nb(theta=2)``); ``"gaussian"`` is fitted by
        :func:`aurora.lmer`, as lme4 does.
    nAGQ : int
        Quadrature points: 1 (Laplace, default), 0 (first stage only), up to 25 (one
        scalar random-effect term only).
    weights, offset : str or array-like, optional
    na_action : {"omit", "exclude", "raise"}
    control : dict, optional
        Keys of :data:`aurora.engine.glmm_optimize.GLMM_CONTROL`.
    start : dict, optional
        ``{"theta": [...], "fixef": [...]}``.
    method : {"Laplace", "PQL"}
    subset : str or array-like of bool, optional
    data_name : str
        What the summary's ``Data:`` line shows.

    Returns
    -------
    GlmerResult
        A :class:`~aurora.models.mixed_result.MixedResult` with lme4's names.

    Raises
    ------
    ModelSpecError
        ``nAGQ > 1`` with more than one random effect, an unsupported family or link.
    FamilyDomainError
        A response outside the family's support.
    DataError
        A grouping factor with one level, too many random effects.

    Warns
    -----
    ConvergenceWarning
        lme4's ``Model failed to converge with max|grad| = ...``.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(20), 10)
    >>> x = rng.normal(size=200)
    >>> y = rng.poisson(np.exp(0.5 + 0.3 * x + rng.normal(0, 0.5, 20)[g]))
    >>> m = aurora.glmer("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}),
    ...                  family="poisson")
    >>> print(m.summary())  # doctest: +ELLIPSIS
    Generalized linear mixed model fit by maximum likelihood (Laplace
      Approximation) [glmerMod]
     Family: poisson  ( log )
    ...
    """
    if str(method).upper() == "PQL":
        try:
            from aurora.models.pql import glmm_pql
        except ImportError:
            raise NotImplementedError(
                "method='PQL' needs aurora.models.pql (MASS::glmmPQL), which is not "
                "available in this version; use method='Laplace'") from None
        return glmm_pql(formula, data, family, weights=weights, offset=offset,
                        na_action=na_action, control=control, data_name=data_name)
    if str(method) != "Laplace":
        raise ModelSpecError(f"unknown method {method!r}", "use 'Laplace' or 'PQL'")
    fam, _ = _family_arg(family)
    if isinstance(fam, str) and fam.lower() in ("gaussian", "normal"):
        warnings.warn("calling glmer() with family=gaussian (identity link) as a shortcut to "
                      "lmer() is deprecated; please call lmer() directly", FutureWarning,
                      stacklevel=2)
        from aurora.models.lmer import lmer

        return lmer(formula, data, weights=weights, offset=offset, na_action=na_action,
                    subset=subset, data_name=data_name)
    plan = _compile(formula, data, fam, weights, offset, na_action, subset)
    call = {"formula": formula, "data": data_name, "weights": _label(weights, "weights"),
            "offset": _label(offset, "offset"), "subset": _label(subset, "subset")}
    return fit_glmer_plan(plan, fam, nAGQ, control, start, call)


def glmer_nb(formula: str, data: Any, nAGQ: int = 1, weights: Any = None, offset: Any = None,
             na_action: str = "omit", control: dict | None = None, subset: Any = None,
             data_name: str = "data", tol: float = 5e-5) -> Any:
    """A negative-binomial GLMM with ``theta`` estimated (R: ``lme4::glmer.nb``).

    As lme4: a Poisson GLMM first, ``theta.ml`` on its fitted values, a negative-binomial
    GLMM at that theta, then R's ``optimize`` over ``log(theta)`` on ``log(theta0) +-
    3`` (``tol = 5e-5``), each step refitting the GLMM from the previous fit. The family
    prints as ``Negative Binomial(2.171)``; ``result.nb_theta`` holds theta.

    Parameters
    ----------
    formula, data, nAGQ, weights, offset, na_action, control, subset, data_name
        As :func:`glmer`.
    tol : float
        ``optimize``'s tolerance on ``log(theta)``.

    Returns
    -------
    GlmerResult

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> g = np.repeat(np.arange(20), 15)
    >>> x = rng.normal(size=300)
    >>> mu = np.exp(1 + 0.4 * x + rng.normal(0, 0.4, 20)[g])
    >>> y = rng.negative_binomial(2, 2 / (2 + mu))
    >>> m = aurora.glmer_nb("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}))
    >>> m.family.startswith("Negative Binomial(")
    True
    """
    plan = _compile(formula, data, "negative_binomial", weights, offset, na_action, subset)
    call = {"formula": formula, "data": data_name, "weights": _label(weights, "weights"),
            "offset": _label(offset, "offset"), "subset": _label(subset, "subset")}
    return fit_glmer_nb(plan, nAGQ, control, call, tol)


def fit_glmer_nb(plan: Any, nAGQ: int = 1, control: dict | None = None,
                 call: dict | None = None, tol: float = 5e-5) -> Any:
    """:func:`glmer_nb` on a compiled plan."""
    from aurora.engine.glmm import glmm_model
    from aurora.engine.glmm_family import LmeFamily
    from aurora.engine.glmm_nb import fit_glmm_nb
    from aurora.models.glmer_result import GlmerResult
    from aurora.models.lmer import _drop_rank_deficient

    keep, messages = _drop_rank_deficient(plan.X, plan.column_names)
    for msg in messages:
        warnings.warn(msg, stacklevel=3)
    fam = LmeFamily("negative.binomial", "log", 1.0)
    y = np.asarray(plan.y, dtype=float)
    fam.check_response(y, plan.weights)
    model = glmm_model(plan.X[:, keep], y, plan.random, fam, plan.weights, None, plan.offset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit, model, info = fit_glmm_nb(model, int(nAGQ), control, tol)
    for msg in fit.warnings[1:] + fit.messages:
        warnings.warn(msg, UserWarning if msg.startswith("boundary") else ConvergenceWarning,
                      stacklevel=3)
    del caught
    names = tuple(plan.column_names[i] for i in keep)
    res = GlmerResult(plan, model, fit, names, call or {}, tuple(messages), control)
    res.nb_info = info
    return res


def _label(value: Any, name: str) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else name
