"""R's formula functions whose output depends on the data, as formulaic stateful transforms.

``ns``/``bs`` (splines), ``cut``, ``interaction``, ``scale``, ``factor``/``as_factor``,
``relevel`` and ``as_numeric`` remember what they learnt from the training data in
formulaic's ``_state`` (plain lists, floats, strings and bools, so a saved model is JSON),
and a formulaic ``ModelSpec`` replays it on new data as R's ``makepredictcall`` and
``xlevels`` do. Plain elementwise functions (``log``, ``pmin``, ``ifelse``...) follow R's
semantics quietly (``log(-1)`` is NaN without a NumPy warning).

Use :data:`R_FUNCTIONS` as formulaic's evaluation context::

    >>> import pandas as pd, formulaic
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 4.0, 7.0, 11.0, 16.0]})
    >>> mm = formulaic.model_matrix("ns(x, df=2)", df, context=R_FUNCTIONS)
    >>> list(mm.columns)
    ['Intercept', 'ns(x, df=2)[1]', 'ns(x, df=2)[2]']

Inside a model formula (formulaic passes ``_context``) the factor-valued functions drop
levels no training row uses, as ``glm``'s ``model.frame(drop.unused.levels = TRUE)`` does;
a new row in such a level then raises :class:`~aurora.errors.FactorLevelError`, as R's
``predict`` does. Called directly they return every level, as R's functions do.

Errors are Aurora's (:class:`~aurora.errors.DataError`, ``FactorLevelError``); formulaic
re-raises an error from inside a formula as its ``FactorEvaluationError`` with the Aurora
error as ``__cause__``. Text levels sort as Aurora's data frames sort them (Python order).

References: R 4.2 ``splines::ns``, ``splines::bs``, ``splines::splineDesign`` (and its C
``spline_basis``), LINPACK ``dqrdc2``/``dqrsl`` (``qr``, ``qr.qty``), ``base::cut.default``,
``base::interaction``, ``base::scale.default``, ``base::factor``, ``stats::quantile`` type 7.

Modules: :mod:`._splines` (``ns``, ``bs``, on the ports in :mod:`._spline_design`),
:mod:`._factors` (``factor``, ``as_factor``, ``relevel``, ``as_numeric``, ``r_character``),
:mod:`._transforms` (``cut``, ``interaction``, ``scale``), :mod:`._elementwise`.
"""
from __future__ import annotations

from typing import Any

from aurora.compile.rfunctions._elementwise import (
    c, cos, exp, expm1, ifelse, log, log1p, pmax, pmin, r_abs, sin, sqrt,
)
from aurora.compile.rfunctions._factors import (
    as_factor, as_numeric, factor, r_character, relevel,
)
from aurora.compile.rfunctions._splines import bs, ns
from aurora.compile.rfunctions._transforms import cut, interaction, scale


__all__ = [
    "ns", "bs", "cut", "interaction", "scale", "factor", "as_factor", "relevel", "as_numeric",
    "log", "log1p", "expm1", "sqrt", "exp", "r_abs", "sin", "cos", "pmin", "pmax", "ifelse",
    "c", "r_character", "R_FUNCTIONS", "KNOWN_FUNCTIONS",
]


R_FUNCTIONS: dict[str, Any] = {
    "ns": ns, "bs": bs, "cut": cut, "interaction": interaction, "scale": scale,
    "factor": factor, "as_factor": as_factor, "relevel": relevel, "as_numeric": as_numeric,
    "log": log, "log1p": log1p, "expm1": expm1, "sqrt": sqrt, "exp": exp, "abs": r_abs,
    "sin": sin, "cos": cos, "pmin": pmin, "pmax": pmax, "ifelse": ifelse, "c": c,
}
"""Python-safe name -> function: pass as formulaic's ``context`` (formulaic's own ``I``,
``C`` and ``poly`` stay available beneath it)."""

KNOWN_FUNCTIONS: tuple[str, ...] = (
    "ns", "bs", "cut", "interaction", "scale", "factor", "as.factor", "relevel", "as.numeric",
    "log", "log1p", "expm1", "sqrt", "exp", "abs", "sin", "cos", "pmin", "pmax", "ifelse", "c",
    "I", "C", "poly", "offset",
)
"""The R spellings of the functions a formula may call (for error messages)."""
