"""Link names: R's spellings, aliases and power-link strings such as ``"power(1/3)"``."""
from __future__ import annotations

import re

from aurora.errors import UnknownNameError

from .base import LinkFunction
from .links import (
    CauchitLink,
    CLogLogLink,
    IdentityLink,
    InverseLink,
    InverseSquaredLink,
    LogitLink,
    LogLink,
    PowerLink,
    ProbitLink,
    SqrtLink,
)

__all__ = ["LINK_CLASSES", "LINK_ALIASES", "is_power_spelling", "link_from_string"]

#: Canonical R link names -> classes (PowerLink needs its power).
LINK_CLASSES: dict[str, type[LinkFunction]] = {
    "identity": IdentityLink,
    "log": LogLink,
    "logit": LogitLink,
    "probit": ProbitLink,
    "cloglog": CLogLogLink,
    "cauchit": CauchitLink,
    "inverse": InverseLink,
    "1/mu^2": InverseSquaredLink,
    "sqrt": SqrtLink,
    "power": PowerLink,
}

LINK_ALIASES: dict[str, str] = {
    "inverse_squared": "1/mu^2",
    "inverse_square": "1/mu^2",
    "inversesquared": "1/mu^2",
    "1/mu**2": "1/mu^2",
    "reciprocal": "inverse",
    "1/mu": "inverse",
    "complementary_log_log": "cloglog",
    "id": "identity",
}

_POWER_RE = re.compile(
    r"^\s*(?:power\s*\(\s*(?:p\s*=|lambda\s*=)?\s*(?P<a>[^)]*?)\s*\)|mu\s*(?:\^|\*\*)\s*(?P<b>\S+))\s*$"
)


def is_power_spelling(text: str) -> bool:
    """Whether ``text`` spells a power link: ``"power(0.5)"`` or ``"mu^0.5"``.

    Examples
    --------
    >>> is_power_spelling("power(1/3)"), is_power_spelling("log")
    (True, False)
    """
    return _POWER_RE.match(text) is not None and text.strip() != "1/mu^2"


def _canonical_link_name(text: str) -> str:
    key = text.strip()
    low = key.lower()
    if low in LINK_CLASSES:
        return low
    return LINK_ALIASES.get(low, key)


def _parse_number(text: str) -> float:
    if re.fullmatch(r"[0-9.eE+\-]+\s*/\s*[0-9.eE+\-]+", text):
        num, den = text.split("/")
        return float(num) / float(den)
    return float(text)


def link_from_string(text: str) -> LinkFunction:
    """Build a link from R's spelling or an alias.

    Accepts ``"identity"``, ``"log"``, ``"logit"``, ``"probit"``, ``"cloglog"``,
    ``"cauchit"``, ``"inverse"``, ``"1/mu^2"`` (alias ``"inverse_squared"``),
    ``"sqrt"``, and power links as ``"power(0.5)"``, ``"power(1/3)"`` or ``"mu^0.5"``.

    Raises
    ------
    UnknownNameError
        If the name is not a link; the message lists the valid names.

    Examples
    --------
    >>> link_from_string("power(1/3)").name
    'mu^0.333'
    >>> link_from_string("inverse_squared").name
    '1/mu^2'
    """
    m = _POWER_RE.match(text)
    if m is not None and text.strip() != "1/mu^2":
        raw = m.group("a") if m.group("a") is not None else m.group("b")
        try:
            p = _parse_number(raw.strip())
        except ValueError:
            raise UnknownNameError("link", text, _valid_link_names()) from None
        return PowerLink(p)
    name = _canonical_link_name(text)
    cls = LINK_CLASSES.get(name)
    if cls is None or cls is PowerLink:
        raise UnknownNameError("link", text, _valid_link_names())
    return cls()


def _valid_link_names() -> list[str]:
    return [n for n in LINK_CLASSES if n != "power"] + ["power(p)"] + sorted(LINK_ALIASES)
