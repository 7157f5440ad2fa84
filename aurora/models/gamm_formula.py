"""``aurora.gamm``: generalized additive mixed models with gamm4's semantics."""
from __future__ import annotations

import importlib.util
import inspect
import re
from typing import Any

from aurora.errors import ModelSpecError

__all__ = ["gamm"]


def gamm(formula: str, data: Any, family: Any = "gaussian", REML: bool = True,
         weights: Any = None, offset: Any = None, knots: dict | None = None,
         na_action: str = "omit", correlation: str | None = None, *, random: str | None = None,
         subset: Any = None, control: dict | None = None, start: Any = None):
    """Fit a generalized additive mixed model (R: ``gamm4::gamm4``).

    Every smooth is re-parametrised as mgcv's ``smooth2random`` does: its penalty null
    space becomes fixed effects, its penalised range space an i.i.d. random effect with
    one variance per penalty (``t2`` tensor products: one per margin penalty); these terms
    and the formula's ``(... | g)`` bars are estimated together by lme4's profiled REML
    (or ML) criterion, in one fit. The result answers both views, as gamm4's does:
    ``m.gam`` (the smooths in their own parametrisation, ``edf``, ``summary()`` as
    ``summary(m$gam)``, ``predict()`` without random effects) and ``m.mer`` (the mixed
    model, ``summary()`` as ``summary(m$mer)``, smooth terms named ``Xr``, ``Xr.0``...).

    Parameters
    ----------
    formula : str
        Smooths, parametric terms and random-effect bars: ``"y ~ s(x) + f + (1 | g)"``.
    data : DataFrame
    family : str or Family
        ``"gaussian"`` (identity link: lme4's ``lmer``) or another family and link
        (``"poisson"``, ``"binomial"``...: lme4's ``glmer`` Laplace fit, as gamm4).
    REML : bool
        REML (default) or maximum likelihood, as lme4 (Gaussian only; glmer fits by ML).
    weights, offset : str or array-like, optional
        Prior weights and an offset (column name or one value per row).
    knots : dict, optional
        mgcv's ``knots = list(x = ...)``.
    na_action : {"omit", "exclude", "raise"}
    correlation : str, optional
        nlme's residual correlation within groups: ``"ar1(time | g)"`` (AR(1) in an
        integer time), ``"ar1(1 | g)"`` (row order), ``"cs(g)"`` (compound symmetry), nlme's
        spellings ``corAR1(form = ~ time | g)`` too. With smooths the model is fitted as
        ``mgcv::gamm`` fits it (gamm4 has no correlation): the smooths become nlme
        ``pdIdnot`` random effects, nlme's ``lme`` criterion (REML or ML) is optimised with
        the correlation grouped by every random level (``~time | g/subj``), and the result
        is a :class:`~aurora.models.gamm_nlme_result.GAMMCorrResult` with ``.gam``
        (``summary(m$gam)``) and ``.lme`` (``summary(m$lme)``); see
        :mod:`aurora.models.gamm_nlme`. mgcv's own default is ML: pass ``REML=False`` for
        it. Without smooths the model is fitted by ``aurora.lme``.
    random : str, optional
        gamm4's ``random = ~ (1 | g)``: bars added to ``formula``.
    subset : str or array-like of bool, optional
    control : dict, optional
        Optimiser settings (keys of ``aurora.engine.lmm_optimize.LMM_CONTROL``; with
        ``correlation=``, of ``aurora.engine.lme_fit.LME_CONTROL``);
        ``{"optimizer": "none"}`` evaluates the fit at ``start``.
    start : array-like, optional
        Starting theta, lme4's order (``m.mer.theta``'s); with ``correlation=`` and
        smooths, ``m.lme.fit.params``'s order: ``sd / sigma`` of each nlme level (smooths
        first) then nlme's unconstrained correlation parameter.

    Returns
    -------
    GAMMResult or GAMMCorrResult
        ``.gam`` (:class:`~aurora.models.gamm_result.GammGam`) and ``.mer``
        (:class:`~aurora.models.gamm_result.GammMer`); with ``correlation=`` and smooths
        ``.gam`` and ``.lme`` (:class:`~aurora.models.gamm_nlme_result.GammLme`).

    Raises
    ------
    ModelSpecError
        ``te()`` smooths (use ``t2()``, as gamm4 requires), linked smooths (``id=``), a
        model with no smooth and no bar.
    NotImplementedError
        ``fs`` smooths; with ``correlation=`` and smooths: a non-Gaussian family, weights
        or an offset (mgcv's ``gammPQL``), tensor products.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(12), 20)
    >>> x = rng.uniform(size=240)
    >>> y = np.sin(6 * x) + rng.normal(size=12)[g] + rng.normal(scale=0.3, size=240)
    >>> m = aurora.gamm("y ~ s(x) + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}))
    >>> list(m.mer.ngrps), list(m.gam.edf.index)
    (['g', 'Xr'], ['s(x)'])
    >>> print(m.gam.summary())  # doctest: +ELLIPSIS
    <BLANKLINE>
    Family: gaussian...
    lmer.REML = 183.39  Scale est. = 0.087263  n = 240

    With a residual correlation (mgcv's ``gamm``; ``.lme`` is nlme's view):

    >>> subj, t = np.repeat(np.arange(15), 8), np.tile(np.arange(1, 9), 15)
    >>> x = rng.uniform(size=120)
    >>> y = np.sin(6 * x) + rng.normal(scale=0.7, size=15)[subj] + rng.normal(size=120)
    >>> d = pd.DataFrame({"y": y, "x": x, "subj": subj, "time": t})
    >>> m = aurora.gamm("y ~ s(x) + (1 | subj)", d, correlation="ar1(time | subj)")
    >>> list(m.lme.correlation_params.index), str(m.lme.summary()).splitlines()[6]
    (['Phi'], ' Formula: ~Xr - 1 | g')
    """
    from aurora.compile import compile_plan
    from aurora.distributions import get_family
    from aurora.formula import parse
    from aurora.models.gamm_fit import fit_gamm_plan, used_variable_names
    from aurora.report._rdeparse import deparse_formula

    text = formula if random is None else _with_random(formula, random)
    ast = parse(text)
    fam = get_family(family)
    if correlation is not None:
        if ast.smooths:
            from aurora.models.gamm_nlme import fit_gamm_corr

            printed = formula if random is not None else _without_bars(text, ast.random_effects)
            return fit_gamm_corr(text, ast, data, correlation, fam, REML=REML, weights=weights,
                                 offset=offset, knots=knots, na_action=na_action,
                                 subset=subset, control=control, start=start,
                                 formula_text=deparse_formula(" ".join(printed.split()),
                                                              cutoff=500))
        return _lme(text, data, correlation, REML, weights, na_action)
    if not ast.smooths and not ast.random_effects:
        raise ModelSpecError("gamm models must have at least one smooth with unknown smoothing "
                             "parameter or at least one random effect",
                             "add s(x) or (1 | g), or fit the model with aurora.glm")
    plan = compile_plan(ast if random is not None else formula, data, fam, weights=weights,
                        offset=offset, na_action=na_action, factor_coding="never",
                        subset=subset, smooths=True, knots=knots,
                        random=bool(ast.random_effects),
                        allow_n=fam.name != "gaussian" or fam.link.name != "identity")
    printed = formula if random is not None else _without_bars(text, ast.random_effects)
    call = {"formula": text}
    return fit_gamm_plan(plan, REML=REML, control=control, call=call,
                         formula_text=deparse_formula(" ".join(printed.split()), cutoff=500),
                         used_names=used_variable_names(ast, data), start=start,
                         family=fam)


def _with_random(formula: str, random: str) -> str:
    """gamm4's ``random = ~ (1 | g)`` appended to the formula."""
    rhs = random.strip()
    if rhs.startswith("~"):
        rhs = rhs[1:]
    if "|" not in rhs:
        raise ModelSpecError(f"random = {random!r} has no random-effect term",
                             "write it as lme4 does: random = '~ (1 | g)'")
    return f"{formula} + {rhs.strip()}"


def _without_bars(text: str, bars: tuple) -> str:
    """The formula text with its ``( | )`` terms cut out (what gamm4's ``$gam`` prints)."""
    spans = sorted({(b.span.start, b.span.end) for b in bars if b.span.end > b.span.start},
                   reverse=True)
    for start, end in spans:
        text = text[:start] + " " + text[end:]
    text = re.sub(r"\+\s*(?=\+|$)", "", text.strip())
    text = re.sub(r"~\s*\+", "~ ", text)
    if text.rstrip().endswith("~"):
        text = text.rstrip() + " 1"
    return text


def _lme(formula: str, data: Any, correlation: str, REML: bool, weights: Any,
         na_action: str):
    """A model without smooths and with a residual correlation: ``aurora.lme`` (nlme)."""
    if importlib.util.find_spec("aurora.models.lme") is None:
        raise NotImplementedError("correlation= needs aurora.lme (nlme's correlation "
                                  "structures), which is not available in this version")
    from aurora.models import lme as lme_module

    fit = getattr(lme_module, "lme")
    accepted = inspect.signature(fit).parameters
    kwargs = {k: v for k, v in (("REML", REML), ("weights", weights),
                                ("na_action", na_action)) if k in accepted and v is not None}
    if "method" in accepted and "REML" not in accepted:
        kwargs["method"] = "REML" if REML else "ML"
    return fit(formula, data, correlation=correlation, **kwargs)
