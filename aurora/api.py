"""Formula front doors: ``aurora.glm`` (and, in later versions, gam, bam, lmer...)."""
from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from aurora.backends import get_backend
from aurora.compile.plan import ModelPlan, compile_plan
from aurora.engine.glm import fit_glm_arrays
from aurora.engine.pirls import IRLSControl
from aurora.models.glm import GLMResult

__all__ = ["glm"]


def _family_label(family: Any, fam: Any) -> str:
    if isinstance(family, str):
        if fam.link.name != fam.default_link:
            return f'{family}(link = "{fam.link.name}")'
        return family
    return fam.name


def deparse_call(name: str, args: list[str], cutoff: int = 60) -> str:
    """Lay out a call as R's ``deparse`` does: a new line (indented 4) after an
    argument once the line is longer than ``cutoff`` characters.

    Examples
    --------
    >>> print(deparse_call("glm", ["formula = y ~ x1 + f + offset(log(expo))",
    ...                            "family = poisson()", "data = data"]))
    glm(formula = y ~ x1 + f + offset(log(expo)), family = poisson(), 
        data = data)
    """
    lines, line = [], f"{name}("
    for i, arg in enumerate(args):
        last = i == len(args) - 1
        line += arg + (")" if last else ", ")
        if not last and len(line) > cutoff:
            lines.append(line)
            line = "    "
    lines.append(line)
    return "\n".join(lines)


def _rename_plan(plan: ModelPlan, rename: dict[str, str]) -> ModelPlan:
    spec = plan.spec
    names = tuple(rename.get(c, c) for c in spec.column_names)
    labels = tuple(rename.get(c, c) for c in spec.term_labels)
    spec = dataclasses.replace(spec, column_names=names, term_labels=labels)
    return dataclasses.replace(plan, spec=spec)


def _fit_glm_plan(formula: Any, data: Any, family: Any, link: Any, weights: Any, offset: Any,
                  engine: str, na_action: str, call: str | None = None,
                  rename: dict[str, str] | None = None, control: IRLSControl | None = None,
                  start: Any = None, factor_coding: str = "auto") -> GLMResult:
    from aurora.distributions import get_family

    fam = get_family(family, link=link)
    plan = compile_plan(formula, data, fam, weights=weights, offset=offset, na_action=na_action,
                        factor_coding=factor_coding)
    if rename:
        plan = _rename_plan(plan, rename)
    if call is None:
        call = deparse_call("glm", [f"formula = {plan.spec.written_formula}",
                                    f"family = {_family_label(family, fam)}", "data = data"])
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
    if est.theta is not None and call.startswith("glm("):
        # a theta-estimated negative binomial prints as MASS's glm.nb call
        from aurora.report.rformat import format_number

        call = deparse_call("glm.nb", [f"formula = {plan.spec.written_formula}", "data = data",
                                       f"init.theta = {format_number(est.theta, 10)}",
                                       f"link = {fam.link.name}"])
    return GLMResult(plan, est, engine=backend.name, call=call)


def glm(
    formula: str,
    data: pd.DataFrame | Any,
    family: Any = "gaussian",
    link: Any = None,
    weights: Any = None,
    offset: Any = None,
    engine: str = "numpy",
    na_action: str = "omit",
    *,
    epsilon: float = 1e-8,
    maxit: int = 25,
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
    family : str or Family
        ``"gaussian"``, ``"binomial"``, ``"poisson"``, ``"Gamma"``, ``"inverse.gaussian"``,
        ``"quasipoisson"``, ``"quasibinomial"``, ``"negative_binomial"`` (theta estimated as
        ``MASS::glm.nb`` unless given), ``"tweedie"``... or a family object.
    link : str or LinkFunction, optional
        Defaults to the family's canonical link.
    weights, offset : str or array-like, optional
        Prior weights and an offset: a column of ``data`` or one value per row.
    engine : {"numpy", "jax", "torch"}
        Backend for the data-sized work.
    na_action : {"omit", "raise"}
        Drop incomplete rows (R's default, counted on the result) or raise.
    epsilon, maxit : float, int
        Convergence control (R's ``glm.control``).
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
    """
    return _fit_glm_plan(formula, data, family, link, weights, offset, engine, na_action,
                         control=IRLSControl(epsilon=epsilon, maxit=maxit), start=start,
                         factor_coding=factor_coding)
