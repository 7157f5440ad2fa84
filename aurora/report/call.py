"""The call line of a fit, as R's ``deparse(fit$call)`` prints it.

R stores the matched call (``match.call()``): the arguments the user gave, named, in
the order of the function's formals, and prints it with ``deparse`` (line width cutoff
60): binary operators spaced (``y ~ a * b``, ``x == 2``) except ``/ ^ : %% %/%``, a
space after each comma, numbers with 15 significant digits, strings in double quotes,
and a new line (indented four spaces) after an argument or operator once the line is
longer than 60 characters. Aurora rebuilds that call from what was passed to
:func:`aurora.glm`:

* the formula as written, re-spaced by R's rules (``Eth*Lrn`` -> ``Eth * Lrn``);
* ``family =`` only when a family was given: a string prints as R's bare name
  (``"poisson"`` -> ``poisson``, ``"gamma"`` -> ``Gamma``), with ``(link = "sqrt")`` when
  a link was given too; a string that is a call prints as that call, R-spaced; a family
  object prints as R's call (``poisson()``, ``binomial(link = "probit")``,
  ``negative.binomial(2)``);
* ``data = data``, ``weights = w`` and ``offset = expo`` for column names; arrays,
  which have no name, print as the argument's own name (``weights = weights``,
  ``offset = offset``), as if the user had passed variables so named;
* ``start = c(...)`` with the values given (one value prints alone), laid out as the
  call ``c(...)`` an R user types (R would break a long *vector value* differently);
* ``subset = cyl != 6`` as given (a mask: ``subset = subset``), ``na.action =
  na.exclude`` (``na.fail`` for ``"raise"``; the default ``"omit"`` is not shown) and
  ``control = glm.control(...)`` with the settings that differ from R's defaults;
* theta-estimated negative binomial fits print MASS's ``glm.nb`` call, whose order is
  ``formula, data, weights, start, ..., init.theta, link`` (``link = log`` last unless
  a link was given).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from aurora.report._rdeparse import CUTOFF, Verbatim, deparse, deparse_formula, deparse_number
from aurora.report._rdeparse import expr as _expr
from aurora.report._rdeparse import parse_or_none as _parse_or_none
from aurora.report._rparse import Arg, Call, Node, Num, Str, Sym

__all__ = ["deparse", "deparse_formula", "deparse_number", "deparse_call", "family_argument",
           "glm_call", "glm_nb_call", "call_builder"]


def deparse_call(name: str, args: Sequence[str | tuple[str | None, Any]],
                 cutoff: int = CUTOFF) -> str:
    """Lay out a call as R's ``deparse`` does.

    ``args`` are ``"name = value"`` strings (the value is R code) or ``(name, node)``
    pairs.

    Examples
    --------
    >>> print(deparse_call("glm", ["formula = y ~ x1 + f + offset(log(expo))",
    ...                            "family = poisson()", "data = data"]))
    glm(formula = y ~ x1 + f + offset(log(expo)), family = poisson(), 
        data = data)
    """
    out: list[Arg] = []
    for a in args:
        if isinstance(a, str):
            key, _, value = a.partition(" = ")
            out.append(Arg(key, _expr(value)))
        else:
            out.append(Arg(a[0], a[1] if not isinstance(a[1], str) else _expr(a[1])))
    return deparse(Call(Sym(name), tuple(out)), cutoff)


# R's names of aurora's families, for the classic glm families (others keep their spelling)
_R_FAMILY = {"gaussian": "gaussian", "binomial": "binomial", "poisson": "poisson",
             "Gamma": "Gamma", "inverse_gaussian": "inverse.gaussian",
             "quasipoisson": "quasipoisson", "quasibinomial": "quasibinomial",
             "negative_binomial": "negative.binomial"}


def _r_family_name(name: str) -> str | None:
    from aurora.distributions.registry import FAMILY_ALIASES

    canonical = FAMILY_ALIASES.get(name.strip().lower())
    return _R_FAMILY.get(canonical) if canonical else None


def _link_node(link: Any) -> Node:
    """``link =`` as R users write it: ``"sqrt"``, ``power(1/3)``."""
    from aurora.distributions.base import LinkFunction

    if isinstance(link, LinkFunction):
        power = link.params.get("p") if hasattr(link, "params") else None
        if link.name.startswith("mu^") and power is not None:
            return Call(Sym("power"), (Arg(None, _power_node(float(power))),))
        return Str(link.name)
    if isinstance(link, type):
        return _link_node(link())
    text = str(link).strip()
    node = _parse_or_none(text)
    if isinstance(node, Str):
        return node
    if isinstance(node, Call) and node.kind == "call" and node.fn == Sym("power"):
        return node  # power(1/3), as written
    return Str(node.name if isinstance(node, Sym) else text)


def _power_node(p: float) -> Node:
    """``1/3`` for a power of a third (as R users write it), else the number."""
    if p != 0 and abs(1 / p - round(1 / p)) < 1e-12 and abs(round(1 / p)) > 1:
        k = round(1 / p)
        return Call(Sym("/"), (Arg(None, Num(1.0 if k > 0 else -1.0)), Arg(None, Num(abs(k)))),
                    "binary2")
    return Num(p)


def family_argument(family: Any, link: Any, fam: Any) -> Node | None:
    """The ``family =`` argument R would show, or None when no family was given.

    Parameters
    ----------
    family : str, Family, Family subclass or None
        What the user passed.
    link : str, LinkFunction or None
        The ``link`` argument, when given.
    fam : Family
        The family object the fit used.
    """
    from aurora.distributions.base import Family

    if family is None:
        return None
    if isinstance(family, str):
        node = _parse_or_none(family)
        if isinstance(node, Sym):
            name = _r_family_name(node.name) or node.name
            if link is None:
                return Sym(name)
            return Call(Sym(name), (Arg("link", _link_node(link)),))
        if isinstance(node, Call) and node.kind == "call" and isinstance(node.fn, Sym):
            name = _r_family_name(node.fn.name) or node.fn.name
            args = node.args
            if link is not None:
                args = tuple(a for a in args if a.name != "link") + (Arg("link", _link_node(link)),)
            return Call(Sym(name), args)
        return Verbatim(" ".join(family.split()))
    if isinstance(family, type) and issubclass(family, Family) and link is None:
        return Sym(_r_family_name(family.family_name) or family.family_name)
    return _family_object(fam)


def _family_object(fam: Any) -> Node:
    """A family object as R's call: ``poisson()``, ``Gamma(link = "log")``,
    ``negative.binomial(2)``, ``Tweedie(p = 1.5)``."""
    args: list[Arg] = []
    key = next((k for k, v in _R_FAMILY.items() if v == fam.family_name
                or (k == "negative_binomial" and fam.family_name.startswith("negative"))), None)
    if key == "negative_binomial":
        name = "negative.binomial"
        theta = fam.params.get("theta")
        if theta is not None:
            args.append(Arg(None, Num(float(theta))))
    elif key is not None:
        name = _R_FAMILY[key]
    elif fam.family_name == "Tweedie":
        name = "Tweedie"
        args.append(Arg("p", Num(float(fam.params["p"]))))
    else:
        name = fam.family_name.replace(" ", ".")
    if fam.link.name != fam.default_link:
        args.append(Arg("link", _link_node(fam.link)))
    return Call(Sym(name), tuple(args))


def _column_or_array(value: Any, argname: str) -> Node | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _expr(value)
    return Sym(argname)


def _vector(values: Any) -> Node:
    arr = np.asarray(values, dtype=float).ravel()
    nums = tuple(Arg(None, Num(float(v))) for v in arr)
    if len(nums) == 1:
        return nums[0].value
    return Call(Sym("c"), nums)


def glm_call(formula: str, family: Any = None, link: Any = None, fam: Any = None,
             weights: Any = None, offset: Any = None, start: Any = None,
             extra: Sequence[tuple[str, Node | str]] = ()) -> str:
    """R's printed ``glm(...)`` call for what was passed to :func:`aurora.glm`.

    Arguments appear in the order of R's formals: ``formula, family, data, weights,
    subset, na.action, start, etastart, mustart, offset, control``. ``extra`` are
    further ``(name, value)`` pairs (``subset``, ``na.action``...); they are placed at
    their formal's position.

    Examples
    --------
    >>> print(glm_call("Days~Eth*Lrn", "poisson", weights="w", start=[1.5, 0.25]))
    glm(formula = Days ~ Eth * Lrn, family = poisson, data = data, 
        weights = w, start = c(1.5, 0.25))
    """
    extras = {k: (_expr(v) if isinstance(v, str) else v) for k, v in extra}
    fam_node = family_argument(family, link, fam)
    pieces: dict[str, Node | None] = {
        "formula": _expr(formula), "family": fam_node, "data": Sym("data"),
        "weights": _column_or_array(weights, "weights"), "subset": extras.pop("subset", None),
        "na.action": extras.pop("na.action", None),
        "start": _vector(start) if start is not None else None,
        "etastart": extras.pop("etastart", None), "mustart": extras.pop("mustart", None),
        "offset": _column_or_array(offset, "offset"), "control": extras.pop("control", None)}
    args = [Arg(k, v) for k, v in pieces.items() if v is not None]
    args += [Arg(k, v) for k, v in extras.items()]
    return deparse(Call(Sym("glm"), tuple(args)))


def glm_nb_call(formula: str, theta: float, link: Any = None, link_name: str = "log",
                weights: Any = None, offset: Any = None, start: Any = None,
                extra: Sequence[tuple[str, Node | str]] = ()) -> str:
    """MASS's ``glm.nb`` call: ``glm.nb(formula = ..., data = data, init.theta = ...,
    link = log)``.

    MASS appends ``init.theta`` (``signif(theta, 10)``) and, unless the user gave it,
    ``link`` to the matched call; a given ``link`` keeps its place before
    ``init.theta``. ``glm.nb`` has no ``offset`` argument (R reads it through ``...``,
    printed after ``start``).

    Examples
    --------
    >>> print(glm_nb_call("Days ~ Eth*Lrn", 1.1393911154, weights="w"))
    glm.nb(formula = Days ~ Eth * Lrn, data = data, weights = w, 
        init.theta = 1.139391115, link = log)
    """
    extras = {k: (_expr(v) if isinstance(v, str) else v) for k, v in extra}
    th = float(f"{theta:.10g}") if math.isfinite(theta) else theta
    pieces: dict[str, Node | None] = {
        "formula": _expr(formula), "data": Sym("data"),
        "weights": _column_or_array(weights, "weights"), "subset": extras.pop("subset", None),
        "na.action": extras.pop("na.action", None),
        "start": _vector(start) if start is not None else None,
        "control": extras.pop("control", None),
        "offset": _column_or_array(offset, "offset")}
    args = [Arg(k, v) for k, v in pieces.items() if v is not None]
    args += [Arg(k, v) for k, v in extras.items()]
    if link is not None:
        lk = _link_node(link)
        args.append(Arg("link", Sym(lk.value) if isinstance(lk, Str) else lk))
        args.append(Arg("init.theta", Num(th)))
    else:
        args.append(Arg("init.theta", Num(th)))
        args.append(Arg("link", Sym(link_name)))
    return deparse(Call(Sym("glm.nb"), tuple(args)))


_NA_ACTIONS = {"exclude": "na.exclude", "raise": "na.fail", "fail": "na.fail",
               "pass": "na.pass"}


def _control_node(control: Any) -> Node | None:
    """``glm.control(epsilon = , maxit = )`` with the settings that differ from R's."""
    if control is None:
        return None
    args = []
    for key, default in (("epsilon", 1e-8), ("maxit", 25)):
        value = getattr(control, key, None)
        if value is not None and value != default:
            args.append(Arg(key, Num(float(value))))
    return Call(Sym("glm.control"), tuple(args)) if args else None


def call_builder(formula: str, family: Any, link: Any, fam: Any, *, weights: Any = None,
                 offset: Any = None, start: Any = None, subset: Any = None,
                 na_action: str | None = None, control: Any = None) -> Any:
    """A function of the estimated theta (None when not estimated) giving the call line:
    ``glm(...)``, or MASS's ``glm.nb(...)`` for a theta-estimated negative binomial.

    ``subset`` prints as the expression given (``subset = cyl != 6``) or, for a mask,
    ``subset = subset``; ``na_action`` other than ``"omit"`` as ``na.action = na.exclude``
    (``na.fail`` for ``"raise"``); a ``control`` whose ``epsilon``/``maxit`` differ from
    R's defaults as ``control = glm.control(...)``.
    """
    extra: list[tuple[str, Node]] = []
    sub = _column_or_array(subset, "subset")
    if sub is not None:
        extra.append(("subset", sub))
    if na_action is not None and na_action != "omit":
        extra.append(("na.action", Sym(_NA_ACTIONS.get(na_action, f"na.{na_action}"))))
    ctl = _control_node(control)
    if ctl is not None:
        extra.append(("control", ctl))

    def build(theta: float | None) -> str:
        if theta is None:
            return glm_call(formula, family, link, fam, weights=weights, offset=offset,
                            start=start, extra=extra)
        nb_link = link
        if nb_link is None and fam is not None and fam.link.name != "log":
            nb_link = fam.link
        return glm_nb_call(formula, theta, link=nb_link, weights=weights, offset=offset,
                           start=start, extra=extra)

    return build
