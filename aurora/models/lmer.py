"""``aurora.lmer``: Gaussian linear mixed models with lme4's numbers and printed output."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from aurora.errors import ConvergenceWarning, DataError, ModelSpecError

__all__ = ["lmer", "fit_lmer_plan"]


def _drop_rank_deficient(X: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """lme4's ``chkRank.drop.cols``: keep the columns of a pivoted QR (tol 1e-7) that are
    not aliased; returns the kept column indices and the messages."""
    from aurora.engine.linalg import detect_aliased

    p = X.shape[1]
    if p == 0:
        return np.arange(0), []
    aliased = detect_aliased(X.T @ X, tol=1e-14)
    k = int(aliased.sum())
    if k == 0:
        return np.arange(p), []
    what = "column / coefficient" if k == 1 else "columns / coefficients"
    return (np.flatnonzero(~aliased),
            [f"fixed-effect model matrix is rank deficient so dropping {k} {what}"])


def fit_lmer_plan(plan: Any, REML: bool = True, control: dict | None = None,
                  call: dict | None = None, theta0: np.ndarray | None = None) -> Any:
    """Fit a compiled plan (with ``plan.random``) as lme4's ``lmer`` and wrap the result.

    Parameters
    ----------
    plan : ModelPlan
        From :func:`aurora.compile_plan` with ``random=True``.
    REML : bool
    control : dict, optional
        Overrides of :data:`aurora.engine.lmm_optimize.LMM_CONTROL`.
    call : dict, optional
        What the summary's call lines show (``formula``, ``data``, ``weights``...).
    theta0 : ndarray, optional
        Starting theta.

    Returns
    -------
    MixedResult

    Examples
    --------
    >>> import aurora
    >>> from aurora.compile import compile_plan
    >>> df = aurora.datasets.load("warpbreaks")
    >>> plan = compile_plan("breaks ~ tension + (1 | wool)", df, random=True,
    ...                     factor_coding="never")
    >>> round(fit_lmer_plan(plan).sigma, 4)
    11.6171
    """
    from aurora.engine.lmm import lmm_problem
    from aurora.engine.lmm_optimize import fit_lmm
    from aurora.models.mixed_result import MixedResult

    keep, messages = _drop_rank_deficient(plan.X, plan.column_names)
    for m in messages:
        warnings.warn(m, stacklevel=3)
    X = plan.X[:, keep]
    if np.any(plan.weights <= 0):
        raise DataError("lmer needs positive prior weights",
                        "drop the rows with zero weight from the data")
    pr = lmm_problem(X, plan.y, plan.random, plan.weights, plan.offset)
    if pr.n <= pr.p:
        raise DataError(f"{pr.n} observations for {pr.p} fixed effects",
                        "a mixed model needs more rows than fixed-effect columns")
    fit = fit_lmm(pr, REML=REML, theta0=theta0, control=control)
    for m in fit.messages:
        warnings.warn(m, ConvergenceWarning if "converge" in m else UserWarning, stacklevel=3)
    names = tuple(plan.column_names[i] for i in keep)
    return MixedResult(plan, pr, fit, names, call or {}, tuple(messages), control)


def lmer(formula: str, data: Any, REML: bool = True, weights: Any = None,
         na_action: str = "omit", control: dict | None = None, subset: Any = None,
         offset: Any = None, data_name: str = "data") -> Any:
    """Fit a linear mixed model by REML or maximum likelihood (R: ``lme4::lmer``).

    Random effects are written as lme4 writes them: ``(1 | g)``, ``(1 + t | g)``,
    ``(0 + t | g)``, ``(t || g)``, ``(1 | a/b)``, ``(1 | a:b)``, crossed
    ``(1 | a) + (1 | b)``. Grouping variables are factors whatever their dtype. The
    estimates minimise lme4's profiled REML criterion (or deviance), with beta and sigma
    profiled out (Bates et al. 2015, JSS 67(1)); ``theta`` is lme4's ``getME(m, "theta")``.

    Parameters
    ----------
    formula : str
        ``response ~ fixed terms + (random | group) ...``.
    data : DataFrame
    REML : bool
        REML (default) or maximum likelihood.
    weights : str or array-like, optional
        Prior weights (column name or one value per row): residual variance
        ``sigma^2 / w``.
    na_action : {"omit", "exclude", "raise"}
        Rows with missing values in any variable of the formula (grouping factors
        included) are dropped and counted, or refused with ``"raise"``.
    control : dict, optional
        Optimiser settings (keys of ``aurora.engine.lmm_optimize.LMM_CONTROL``).
    subset : str or array-like of bool, optional
        Rows to use.
    offset : str or array-like, optional
    data_name : str
        What the summary's ``Data:`` line shows (R prints the expression given as
        ``data``; an R user's ``lmer(..., data = dat)`` prints ``Data: dat``).

    Returns
    -------
    MixedResult

    Raises
    ------
    UnknownVariableError
        A variable of the formula (grouping factor or slope) is not in the data.
    DataError
        A grouping factor with one level, as many levels as observations, or as many
        random effects as observations (lme4's ``checkNlevels``/``checkZdims``).

    Warns
    -----
    UserWarning
        ``boundary (singular) fit: see help('isSingular')`` (also in ``result.messages``).
    ConvergenceWarning
        The gradient at the end is not small.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(12), 8)
    >>> t = np.tile(np.arange(8.0), 12)
    >>> y = 5 + 0.5 * t + rng.normal(0, 1, 12)[g] + rng.normal(0, 0.5, 96)
    >>> m = aurora.lmer("y ~ t + (1 | g)", pd.DataFrame({"y": y, "t": t, "g": g}))
    >>> round(float(m.fixef["t"]), 4), m.ngrps
    (0.4911, {'g': 12})
    >>> print(m.summary())  # doctest: +ELLIPSIS
    Linear mixed model fit by REML ['lmerMod']
    Formula: y ~ t + (1 | g)
    ...
    """
    from aurora.compile import compile_plan
    from aurora.formula import parse

    ast = parse(formula)
    if not ast.random_effects:
        raise ModelSpecError("the formula has no random-effect terms",
                             "add a term such as (1 | g), or fit the model with aurora.glm")
    if ast.smooths:
        raise ModelSpecError("aurora.lmer does not fit smooth terms",
                             "fit smooths with aurora.gam (s(g, bs='re') for random effects)")
    plan = compile_plan(ast if not isinstance(formula, str) else formula, data,
                        weights=weights, offset=offset, na_action=na_action,
                        factor_coding="never", subset=subset, random=True)
    call = {"formula": formula, "data": data_name,
            "weights": _label(weights, "weights"), "offset": _label(offset, "offset"),
            "subset": _label(subset, "subset")}
    return fit_lmer_plan(plan, REML=REML, control=control, call=call)


def _label(value: Any, name: str) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else name
