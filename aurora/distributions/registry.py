"""Registries of families and links, with R's spellings as aliases.

``get_family("poisson")``, ``get_family("Gamma", link="log")``,
``get_family("nb(theta=2)")``, ``get_link("power(1/3)")``; a failed lookup
raises :class:`aurora.errors.UnknownNameError` listing the valid names.
"""
from __future__ import annotations

import re
from typing import Any

from aurora.errors import UnknownNameError

from .base import Family, LinkFunction
from .families import (
    BetaFamily,
    BinomialFamily,
    GammaFamily,
    GaussianFamily,
    InverseGaussianFamily,
    NegativeBinomialFamily,
    PoissonFamily,
    QuasiBinomialFamily,
    QuasiPoissonFamily,
    StudentTFamily,
    TweedieFamily,
)
from ._link_names import LINK_ALIASES, LINK_CLASSES, link_from_string

__all__ = ["FAMILIES", "FAMILY_ALIASES", "LINKS", "LINK_ALIASES", "get_family", "get_link", "nb", "tw"]

#: Canonical family names -> classes (iterate this to test every family).
FAMILIES: dict[str, type[Family]] = {
    "gaussian": GaussianFamily,
    "binomial": BinomialFamily,
    "poisson": PoissonFamily,
    "Gamma": GammaFamily,
    "inverse_gaussian": InverseGaussianFamily,
    "quasipoisson": QuasiPoissonFamily,
    "quasibinomial": QuasiBinomialFamily,
    "negative_binomial": NegativeBinomialFamily,
    "tweedie": TweedieFamily,
    "beta": BetaFamily,
    "student_t": StudentTFamily,
}

#: Lower-case aliases (R spellings included) -> canonical family names.
FAMILY_ALIASES: dict[str, str] = {
    "gaussian": "gaussian",
    "normal": "gaussian",
    "binomial": "binomial",
    "logistic": "binomial",
    "poisson": "poisson",
    "gamma": "Gamma",
    "inverse.gaussian": "inverse_gaussian",
    "inverse_gaussian": "inverse_gaussian",
    "inversegaussian": "inverse_gaussian",
    "wald": "inverse_gaussian",
    "quasipoisson": "quasipoisson",
    "quasi_poisson": "quasipoisson",
    "quasibinomial": "quasibinomial",
    "quasi_binomial": "quasibinomial",
    "negative_binomial": "negative_binomial",
    "negative.binomial": "negative_binomial",
    "negativebinomial": "negative_binomial",
    "negbin": "negative_binomial",
    "nb": "negative_binomial",
    "tweedie": "tweedie",
    "tw": "tweedie",
    "beta": "beta",
    "betar": "beta",
    "student_t": "student_t",
    "studentt": "student_t",
    "scat": "student_t",
    "t": "student_t",
}

#: Canonical link names -> classes (``"power"`` needs its ``p``).
LINKS: dict[str, type[LinkFunction]] = dict(LINK_CLASSES)

_PARAM_ALIASES: dict[str, dict[str, str]] = {
    "negative_binomial": {"theta": "theta", "size": "theta"},
    "tweedie": {"p": "p", "power": "p", "var_power": "p", "p_fixed": "p_fixed"},
    "beta": {"theta": "theta", "phi": "theta"},
    "student_t": {"df": "df", "nu": "df", "scale": "scale", "sigma": "scale"},
}
_FIRST_POSITIONAL = {"negative_binomial": "theta", "tweedie": "p", "beta": "theta", "student_t": "theta"}


def get_link(name_or_obj: str | LinkFunction | type[LinkFunction]) -> LinkFunction:
    """Return a link object from R's name, an alias, a class or an instance.

    Examples
    --------
    >>> get_link("cloglog").name
    'cloglog'
    >>> get_link("power(0.5)").name
    'mu^0.5'
    """
    if isinstance(name_or_obj, LinkFunction):
        return name_or_obj
    if isinstance(name_or_obj, type) and issubclass(name_or_obj, LinkFunction):
        return name_or_obj()
    if not isinstance(name_or_obj, str):
        raise TypeError(f"a link is a string or a LinkFunction, not {type(name_or_obj).__name__}")
    return link_from_string(name_or_obj)


def _split_args(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts]


def _value(text: str) -> Any:
    t = text.strip()
    if t in ("TRUE", "True"):
        return True
    if t in ("FALSE", "False"):
        return False
    if t in ("NULL", "None"):
        return None
    m = re.fullmatch(r"(?:c\((.*)\)|\[(.*)\]|\((.*)\))", t)
    if m:
        inner = next(g for g in m.groups() if g is not None)
        return tuple(_value(v) for v in _split_args(inner))
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    try:
        return float(t)
    except ValueError:
        return t  # a bare link name such as probit or power(0.5)


def _parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    m = re.fullmatch(r"\s*([A-Za-z_.][\w.]*)\s*(?:\((.*)\))?\s*", text, flags=re.S)
    if m is None:
        return text, [], {}
    name, inner = m.group(1), m.group(2)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for part in _split_args(inner or ""):
        km = re.fullmatch(r"([A-Za-z_.][\w.]*)\s*=(?!=)\s*(.*)", part, flags=re.S)
        if km:
            kwargs[km.group(1)] = _value(km.group(2))
        else:
            args.append(_value(part))
    return name, args, kwargs


def _build(canonical: str, link: Any, params: dict[str, Any]) -> Family:
    cls = FAMILIES[canonical]
    aliases = _PARAM_ALIASES.get(canonical, {})
    kw: dict[str, Any] = {}
    for key, val in params.items():
        target = aliases.get(key, key)
        if key in ("theta_fixed",) or target in aliases.values():
            kw[target] = val
        elif canonical == "student_t" and key == "theta":
            kw["df"], kw["scale"] = val
        else:
            valid = sorted(set(aliases)) or ["(none)"]
            raise UnknownNameError(f"parameter of the {cls.family_name} family", key, valid)
    if canonical == "negative_binomial":
        return nb(theta=kw.pop("theta", None), link=link if link is not None else "log", **kw)
    if canonical == "tweedie" and "p" not in kw:
        return tw(link=link if link is not None else "log")
    return cls(link=link, **kw)


def get_family(name_or_obj: str | Family | type[Family], link: str | LinkFunction | None = None, **params: Any) -> Family:
    """Return a family from a name (R spelling or alias), a class or an instance.

    Strings may be R-style calls: ``"binomial(link = 'probit')"``,
    ``"negative.binomial(2)"``, ``"Tweedie(p = 1.5)"``, ``"scat(theta = c(4, 1.5))"``.
    Negative binomial, beta and scaled t families without their parameter,
    and ``"tweedie"`` without ``p``, have it estimated (``nb()``, ``tw()``).

    Parameters
    ----------
    name_or_obj : str, Family or Family subclass
        The family.
    link : str or LinkFunction, optional
        Overrides the family's default link.
    **params
        Family parameters: ``theta`` (negative binomial, beta), ``p`` (Tweedie),
        ``df`` and ``scale`` (scaled t).

    Raises
    ------
    UnknownNameError
        For an unknown family, link or parameter; the message lists valid names.

    Examples
    --------
    >>> get_family("gamma", link="log").name
    'Gamma'
    >>> get_family("negbin", theta=2).name
    'Negative Binomial(2)'
    >>> get_family("binomial(link = 'probit')").link.name
    'probit'
    """
    if isinstance(name_or_obj, Family):
        if link is None and not params:
            return name_or_obj
        merged = {**name_or_obj.params, **params}
        return type(name_or_obj)(link=link if link is not None else name_or_obj.link, **merged)
    if isinstance(name_or_obj, type) and issubclass(name_or_obj, Family):
        return name_or_obj(link=link, **params)
    if not isinstance(name_or_obj, str):
        raise TypeError(f"a family is a string or a Family, not {type(name_or_obj).__name__}")
    fname, args, kwargs = _parse_call(name_or_obj)
    canonical = FAMILY_ALIASES.get(fname.strip().lower())
    if canonical is None:
        raise UnknownNameError("family", name_or_obj, sorted(FAMILIES) + sorted(set(FAMILY_ALIASES) - set(FAMILIES)))
    call_link = kwargs.pop("link", None)
    first = _FIRST_POSITIONAL.get(canonical)
    if args:
        if first is None:
            call_link = args.pop(0)
        else:
            kwargs.setdefault(first, args.pop(0))
            if args:
                call_link = args.pop(0)
    if args:
        raise TypeError(f"too many positional arguments in {name_or_obj!r}")
    return _build(canonical, link if link is not None else call_link, {**kwargs, **params})


def nb(theta: float | None = None, link: str | LinkFunction = "log", theta_fixed: bool | None = None) -> NegativeBinomialFamily:
    """Negative binomial family as ``mgcv::nb``: theta estimated unless given.

    A negative ``theta`` is, as in mgcv, the starting value of an estimated theta.

    Examples
    --------
    >>> nb().theta_fixed, nb(2.0).theta_fixed
    (False, True)
    """
    if theta is not None and theta < 0:
        return NegativeBinomialFamily(link=link, theta=-theta, theta_fixed=False)
    return NegativeBinomialFamily(link=link, theta=theta, theta_fixed=theta_fixed)


def tw(p: float | None = None, link: str | LinkFunction = "log") -> TweedieFamily:
    """Tweedie family as ``mgcv::tw``: ``p`` estimated (start 1.5) unless given.

    Examples
    --------
    >>> tw().p_fixed, tw(1.3).name
    (False, 'Tweedie(1.3)')
    """
    if p is None:
        return TweedieFamily(link=link, p=1.5, p_fixed=False)
    return TweedieFamily(link=link, p=p, p_fixed=True)
