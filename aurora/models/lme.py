"""``lme``: nlme's linear mixed models with residual correlation structures.

``lme("y ~ time + (1 | g)", data, correlation="ar1(time | g)")`` fits what R's
``nlme::lme(y ~ time, random = ~ 1 | g, correlation = corAR1(form = ~ time | g))`` fits,
with nlme's numbers and printed summary. Random effects are written as lme4 bars (nested
``(1 | site/g)`` allowed; the grouping factors must be nested, as nlme's levels are);
correlation structures: ``"ar1(time | g)"`` (AR(1) in an integer time within ``g``;
``"ar1(1 | g)"`` or ``"ar1()"`` use the row order), ``"cs(g)"``, ``"cs(site/g)"`` (compound
symmetry), nlme's spellings ``corAR1(form = ~ time | g)`` and ``corCompSymm(form = ~ 1 | g)``
too. Without a grouping the innermost random-effects grouping is used, as nlme does.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aurora.errors import (ConvergenceWarning, DataError, MissingDataError, ModelSpecError,
                           UnknownNameError, UnknownVariableError)

__all__ = ["lme", "CorrelationSpec", "parse_correlation", "LMEModel", "prepare_lme",
           "fit_lme_model", "VALID_CORRELATIONS"]

VALID_CORRELATIONS = ("ar1(time | g)", "ar1(1 | g)", "cs(g)", "cs(site/g)",
                      "corAR1(form = ~ time | g)", "corCompSymm(form = ~ 1 | g)")

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\((.*)\))?\s*$", re.S)
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class CorrelationSpec:
    """A parsed correlation argument.

    Attributes
    ----------
    kind : {"ar1", "cs"}
    time : str or None
        The AR(1) time variable (None: row order within the group).
    groups : tuple of str or None
        Grouping variables (``site/g`` gives ``("site", "g")``, their interaction); None:
        the innermost random-effects grouping.
    group_text : str
        The grouping as written (``site/g``).
    """

    kind: str
    time: str | None
    groups: tuple[str, ...] | None
    group_text: str = ""

    def formula(self, default_group: str) -> str:
        """nlme's ``formula(corStruct)`` as printed (``~time | g``)."""
        return f"~{self.time or 1} | {self.group_text or default_group}"


def parse_correlation(text: str) -> CorrelationSpec:
    """Read ``"ar1(time | g)"``, ``"cs(site/g)"``, ``"corAR1(form = ~ time | g)"``...

    Examples
    --------
    >>> parse_correlation("ar1(time | g)")
    CorrelationSpec(kind='ar1', time='time', groups=('g',), group_text='g')
    >>> parse_correlation("corCompSymm(form = ~ 1 | site/g)").groups
    ('site', 'g')
    """
    from aurora.engine.lme_corr import CORRELATION_KINDS

    m = _CALL.match(str(text))
    name = m.group(1) if m else str(text)
    kind = CORRELATION_KINDS.get(name) or CORRELATION_KINDS.get(name.lower())
    if m is None or kind is None:
        raise UnknownNameError("correlation structure", str(text), VALID_CORRELATIONS)
    inner = (m.group(2) or "").strip()
    inner = re.sub(r"^form\s*=\s*", "", inner).strip()
    inner = inner[1:].strip() if inner.startswith("~") else inner
    if "|" in inner:
        cov, grp = (s.strip() for s in inner.split("|", 1))
    else:
        cov, grp = (inner, "") if kind == "ar1" else ("", inner)
    cov = cov.strip("`")
    time = None if cov in ("", "1") else cov
    groups = None
    if grp:
        groups = tuple(v.strip().strip("`") for v in re.split(r"[/:]", grp))
    for v in ([time] if time else []) + list(groups or ()):
        if not _NAME.match(v):
            raise ModelSpecError(f"cannot read the correlation structure {text!r}: {v!r} is "
                                 "not a variable name",
                                 "write it as 'ar1(time | g)' or 'cs(g)' with column names")
    if kind == "cs" and time is not None:
        raise ModelSpecError(f"compound symmetry takes no covariate, but {text!r} names {time!r}",
                             "write it as 'cs(g)' (or 'cs(1 | g)')")
    return CorrelationSpec(kind, time, groups, " ".join(grp.split()).replace(" ", ""))


@dataclass(frozen=True)
class LMEModel:
    """A compiled nlme-style model: plan, levels, correlation structure and printing text."""

    plan: Any
    levels: list
    corr: Any
    info: Any
    data_index: pd.Index
    fixed_df: np.ndarray


def _bar_lhs(text: str, bar: Any) -> str:
    from aurora.report._rdeparse import deparse, parse_or_none
    from aurora.report._rparse import Call

    src = text[bar.span.start:bar.span.end] if text and bar.span.end > bar.span.start else ""
    node = parse_or_none(src) if src else None
    if isinstance(node, Call) and node.kind == "paren":
        node = node.args[0].value
    if isinstance(node, Call) and len(node.args) == 2:
        return deparse(node.args[0].value)
    return str(bar)[1:-1].split("|")[0].strip()


def fixed_formula_text(text: str) -> str:
    """The formula without its random-effect bars, as R deparses it.

    Examples
    --------
    >>> fixed_formula_text("y ~ time + (1 | g) + x")
    'y ~ time + x'
    >>> fixed_formula_text("y ~ (1 | g)")
    'y ~ 1'
    """
    from aurora.report._rdeparse import deparse, parse_or_none
    from aurora.report._rparse import Arg, Call, Num, Sym

    def is_bar(n: Any) -> bool:
        return (isinstance(n, Call) and n.kind == "paren" and isinstance(n.args[0].value, Call)
                and isinstance(n.args[0].value.fn, Sym) and n.args[0].value.fn.name in ("|", "||"))

    def drop(n: Any) -> Any:
        if isinstance(n, Call) and isinstance(n.fn, Sym) and n.fn.name == "+" and len(n.args) == 2:
            a, b = drop(n.args[0].value), drop(n.args[1].value)
            if a is None or b is None:
                return a if b is None else b
            return Call(n.fn, (Arg(None, a), Arg(None, b)), n.kind)
        return None if is_bar(n) else n

    node = parse_or_none(text)
    if not (isinstance(node, Call) and isinstance(node.fn, Sym) and node.fn.name == "~"):
        return " ".join(text.split())
    rhs = drop(node.args[-1].value)
    rhs = Num(1.0) if rhs is None else rhs
    return deparse(Call(node.fn, node.args[:-1] + (Arg(None, rhs),), node.kind), 500)


def _level_formulas(levels: list, terms: Any, text: str) -> tuple[str, ...]:
    out = []
    for lv in levels:
        lhs = list(dict.fromkeys(_bar_lhs(text, terms.terms[i].spec.bar) for i in lv.term_index))
        out.append("~" + " + ".join(lhs))
    return tuple(out)


def _corr_groups(spec: CorrelationSpec, sub: pd.DataFrame, levels: list, terms: Any) -> np.ndarray:
    from aurora.compile.random_terms import group_codes
    from aurora.engine.lme_blocks import check_nested

    inner = levels[-1].codes
    if spec.groups is None:
        return inner
    codes, _ = group_codes(sub, spec.groups)
    if all(check_nested(codes, t.codes) for t in terms.terms):
        return codes
    if check_nested(inner, codes):
        warnings.warn("cannot use smaller level of grouping for 'correlation' than for "
                      "'random'. Replacing the former with the latter.", UserWarning, stacklevel=4)
        return inner
    names = ", ".join(t.spec.group_name for t in terms.terms)
    raise ModelSpecError(
        f"incompatible formulas for groups in 'random' and 'correlation': the correlation "
        f"groups ({spec.group_text}) are not nested within the random-effect groups ({names})",
        "group the correlation by the random-effects grouping or a factor nested in it, "
        "e.g. cs(site/g) with (1 | site)")


def _ar1_time(spec: CorrelationSpec, sub: pd.DataFrame, groups: np.ndarray) -> np.ndarray | None:
    """The AR(1) times, checked as nlme's ``Initialize.corAR1`` would read them.

    nlme keeps ``corAR1`` (lags by position) when the times go up by exactly 1 from row
    to row within every group, whatever their values; otherwise it switches to
    ``corARMA``, which truncates the times to integers (``as.integer``) without a word.
    Here non-integer times are refused unless they go up by exactly 1 (then the row
    positions are used, as nlme does).
    """
    if spec.time is None:
        return None
    col = sub[spec.time]
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise DataError(f"the AR(1) time variable {spec.time!r} is not numeric",
                        "give integer times (1, 2, 3, ...) for ar1(time | g)")
    t = col.to_numpy(dtype=float)
    if np.all(t == np.round(t)):
        return t
    order = np.argsort(groups, kind="stable")
    same = groups[order][1:] == groups[order][:-1]
    if np.all(np.diff(t[order])[same] == 1):
        return None
    bad = t[t != np.round(t)][:3].tolist()
    raise DataError(
        f"the AR(1) time variable {spec.time!r} has non-integer values (e.g. {bad}); "
        "nlme's corARMA would truncate them to integers (as.integer) without a word",
        "round or rescale the times to integers, or use the row order with ar1(1 | g)")


def _group_corr(spec: CorrelationSpec, sub: pd.DataFrame, codes: np.ndarray) -> Any:
    """The correlation structure of ``spec`` over the groups ``codes`` of the rows ``sub``
    (a :class:`~aurora.errors.DataError` when the AR(1) time repeats within a group)."""
    from aurora.engine.lme_corr import corr_structure

    try:
        return corr_structure(spec.kind, codes, _ar1_time(spec, sub, codes))
    except ValueError as exc:
        raise DataError(
            f"covariate must have unique values within groups for \"corAR1\" objects: "
            f"{exc} (the time variable {spec.time!r} repeats within a group)",
            "give each row of a group its own time, or use ar1(1 | g) for the row order"
        ) from None


def prepare_lme(formula: str, data: Any, correlation: str | None = None, weights: Any = None,
                na_action: str = "omit", family: Any = None, data_name: str = "data",
                variance_formula: str | None = None, offset: Any = None) -> LMEModel:
    """Compile the formula, the random-effect levels and the correlation structure."""
    from aurora.compile import compile_plan
    from aurora.compile.frame import as_frame
    from aurora.engine.lme_df import fixed_df, nlme_levels
    from aurora.formula import parse
    from aurora.models.lme_result import LMEInfo

    ast = parse(formula)
    if not ast.random_effects:
        raise ModelSpecError("the formula has no random-effect terms",
                             "add a term such as (1 | g); nlme's lme needs random effects")
    if ast.smooths:
        raise ModelSpecError("lme does not fit smooth terms", "fit smooths with aurora.gamm")
    spec = parse_correlation(correlation) if correlation is not None else None
    frame = as_frame(data)
    need = [v for v in ([spec.time] if spec and spec.time else []) + list(spec.groups or ())
            ] if spec else []
    for v in need:
        if v not in frame.columns:
            raise UnknownVariableError(v, [str(c) for c in frame.columns])
    work = frame.reset_index(drop=True)
    missing = work[need].isna().any(axis=1).to_numpy() if need else np.zeros(len(work), bool)
    if missing.any() and na_action == "raise":
        raise MissingDataError(f"{int(missing.sum())} rows have missing values in the "
                               f"correlation variables ({', '.join(need)})",
                               "drop those rows, or use na_action='omit'")
    plan = compile_plan(ast, work, family=family, weights=weights, offset=offset,
                        na_action=na_action, factor_coding="never", random=True,
                        subset=~missing if missing.any() else None)
    terms = plan.random
    levels = nlme_levels(terms)
    if levels is None:
        raise ModelSpecError("nlme's lme needs nested random-effect groupings; these are "
                             "crossed (" + ", ".join(t.spec.group_name for t in terms.terms) + ")",
                             "fit crossed random effects with aurora.lmer")
    _check_rank(plan)
    sub = work.iloc[np.asarray(plan.row_index, dtype=np.intp)]
    corr = None
    corr_formula = None
    if spec is not None:
        gcodes = _corr_groups(spec, sub, levels, terms)
        corr = _group_corr(spec, sub, gcodes)
        corr_formula = spec.formula("/".join(lv.name for lv in levels))
    text = ast.text or str(ast)
    if variance_formula is None and weights is not None:
        variance_formula = f"~I(1/{weights if isinstance(weights, str) else 'weights'})"
    info = LMEInfo(text, fixed_formula_text(text), _level_formulas(levels, terms, text),
                   corr_formula, variance_formula, data_name, na_action)
    return LMEModel(plan, levels, corr, info, frame.index, fixed_df(plan.X, levels))


def _check_rank(plan: Any) -> None:
    from aurora.engine.linalg import detect_aliased

    X = plan.X
    if X.shape[1] and detect_aliased(X.T @ X, tol=1e-14).any():
        al = detect_aliased(X.T @ X, tol=1e-14)
        names = [plan.column_names[i] for i in np.flatnonzero(al)]
        raise DataError(f"the fixed-effects model matrix is rank deficient (aliased: "
                        f"{', '.join(names)}); nlme stops with 'Singularity in backsolve'",
                        "drop the aliased columns from the formula")
    if plan.X.shape[0] <= plan.X.shape[1]:
        raise DataError(f"{plan.X.shape[0]} observations for {plan.X.shape[1]} fixed effects",
                        "a mixed model needs more rows than fixed-effect columns")


def fit_lme_model(model: LMEModel, REML: bool = True, control: dict | None = None,
                  y: np.ndarray | None = None, weights: np.ndarray | None = None,
                  start: np.ndarray | None = None) -> Any:
    """Fit a prepared model (optionally on another response and variance weights, as
    glmmPQL's iterations do) and return the engine's :class:`LMEFit`."""
    from aurora.engine.lme import lme_problem
    from aurora.engine.lme_fit import fit_lme

    plan = model.plan
    w = plan.weights if weights is None else weights
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise DataError("lme needs positive, finite weights",
                        "drop the rows with zero weight from the data")
    yy = plan.y - plan.offset if y is None else y
    pr = lme_problem(plan.X, yy, plan.random, model.corr, w)
    fit = fit_lme(pr, REML=REML, start=start, control=control)
    for m in fit.messages:
        warnings.warn(m, ConvergenceWarning, stacklevel=3)
    return fit


def lme(formula: str, data: Any, correlation: str | None = None, REML: bool = True,
        weights: Any = None, na_action: str = "omit", control: dict | None = None,
        data_name: str = "data") -> Any:
    """Fit a linear mixed model with a residual correlation structure (R: ``nlme::lme``).

    Parameters
    ----------
    formula : str
        ``response ~ fixed terms + (random | group)``; nested ``(1 | site/g)`` allowed.
    data : DataFrame
    correlation : str, optional
        ``"ar1(time | g)"``, ``"ar1(1 | g)"``, ``"cs(g)"``, ``"cs(site/g)"`` or nlme's
        ``"corAR1(form = ~ time | g)"`` / ``"corCompSymm(form = ~ 1 | g)"``.
    REML : bool
        REML (default) or maximum likelihood (nlme's ``method``).
    weights : str or array-like, optional
        Prior weights ``w``: residual variance ``sigma^2 / w`` (nlme's
        ``varFixed(~ I(1/w))``, printed so).
    na_action : {"omit", "exclude", "raise"}
    control : dict, optional
        Optimiser settings (:data:`aurora.engine.lme_fit.LME_CONTROL`).
    data_name : str
        What the summary's ``Data:`` line shows.

    Returns
    -------
    LMEResult

    Raises
    ------
    UnknownNameError
        An unknown correlation structure (the valid spellings are listed).
    UnknownVariableError
        The time or grouping variable of the correlation is not in the data.
    ModelSpecError
        Correlation groups not nested in the random-effect groups (nlme: "incompatible
        formulas for groups"), crossed random effects.
    DataError
        AR(1) times that repeat within a group (nlme stops: "covariate must have unique
        values within groups") or are not integers (nlme truncates them silently).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> g = np.repeat(np.arange(25), 6)
    >>> t = np.tile(np.arange(1, 7), 25)
    >>> y = 1 + 0.2 * t + rng.normal(size=25)[g] + rng.normal(size=150)
    >>> df = pd.DataFrame({"y": y, "t": t, "g": g})
    >>> m = lme("y ~ t + (1 | g)", df, correlation="ar1(t | g)")
    >>> print(m.summary())  # doctest: +ELLIPSIS
    Linear mixed-effects model fit by REML
      Data: data 
    ...
    Correlation Structure: AR(1)
     Formula: ~t | g 
    ...
    """
    model = prepare_lme(formula, data, correlation, weights, na_action, data_name=data_name)
    fit = fit_lme_model(model, REML=REML, control=control)
    from aurora.models.lme_result import LMEResult

    return LMEResult(model.plan, fit, model.plan.column_names, model.levels, model.info,
                     model.data_index, model.fixed_df)


def predict_lme(m: Any, newdata: Any, re_form: Any, level: int | None,
                new_levels: str) -> pd.Series:
    """See :meth:`aurora.models.lme_result.LMEResult.predict` (link scale)."""
    from aurora.models._lme_tables import predict_lme as _predict

    return _predict(m, newdata, re_form, level, new_levels)


def build_nlme_summary(m: Any):
    """The :class:`~aurora.report.nlme.NlmeSummary` of a fit."""
    from aurora.models._lme_tables import build_nlme_summary as _build

    return _build(m)
