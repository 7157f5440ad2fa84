"""Load ``formula.lark`` and build the Lark parser once.

The grammar ships inside the wheel as ``aurora/grammar/formula.lark`` (hatch
force-include); in a source checkout it is read from ``grammar/formula.lark`` at the
repository root.
"""
from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lark import Lark

__all__ = ["grammar_text", "get_parser"]

_SOURCE_CHECKOUT = Path(__file__).resolve().parents[2] / "grammar" / "formula.lark"


def grammar_text() -> str:
    """Return the text of the formula grammar.

    Returns
    -------
    str
        The Lark grammar, from the installed package if present, else from the checkout.

    Examples
    --------
    >>> "formula" in grammar_text()
    True
    """
    try:
        packaged = resources.files("aurora") / "grammar" / "formula.lark"
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    return _SOURCE_CHECKOUT.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def get_parser() -> Lark:
    """Return the LALR(1) parser of formulas, built on first use and cached.

    Returns
    -------
    lark.Lark
        Parser with positions on every tree node (``meta.start_pos``/``end_pos``); it
        returns the raw tree, which :class:`~aurora.formula.transformer.FormulaTransformer`
        turns into nodes.

    Examples
    --------
    >>> get_parser().parse("y ~ x").data
    'two_sided'
    """
    return Lark(
        grammar_text(),
        start="formula",
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
    )
