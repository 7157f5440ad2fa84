"""The formula AST: immutable, typed nodes produced by :func:`aurora.formula.parse`.

Every node carries a ``span`` (start, end character offsets in the formula text) that
is excluded from equality, so ``parse(str(f)) == f`` compares structure only.
``str(node)`` prints canonical R syntax.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "Span",
    "Response",
    "ParametricTerm",
    "Smooth",
    "RandomEffect",
    "Offset",
    "Term",
    "Formula",
]

OptionValue = Union[int, float, str, bool, None, tuple]


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` of a node in the formula text."""

    start: int
    end: int


def _span() -> Span:
    return field(default=Span(0, 0), compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Response:
    """Left-hand side of a formula.

    Attributes
    ----------
    expr : str
        Canonical R text of the response: ``"y"``, ``"log(y)"``, ``"cbind(s, f)"``.
    kind : {"variable", "transform", "cbind"}
    variables : tuple of str
        Data columns the response reads (``("s", "f")`` for ``cbind(s, f)``).
    """

    expr: str
    kind: str
    variables: tuple[str, ...]
    span: Span = _span()

    def __str__(self) -> str:
        return self.expr


@dataclass(frozen=True)
class ParametricTerm:
    """One parametric term, materialised later by formulaic.

    Attributes
    ----------
    expr : str
        Canonical R text of the term: ``"x"``, ``"x1:fB"``-style interactions are written
        ``"x1:f"``; calls keep their text (``"I(x^2)"``, ``"poly(x, 3)"``, ``"C(f)"``,
        ``"log(x)"``).
    factors : tuple of str
        The ``:``-separated components, each canonical text (``("x1", "f")``).
    variables : tuple of str
        Data columns the term reads.
    """

    expr: str
    factors: tuple[str, ...]
    variables: tuple[str, ...]
    span: Span = _span()

    def __str__(self) -> str:
        return self.expr


@dataclass(frozen=True)
class Smooth:
    """A smooth call ``s()``, ``te()``, ``ti()`` or ``t2()``.

    Attributes
    ----------
    kind : {"s", "te", "ti", "t2"}
    variables : tuple of str
        Covariates, in order.
    k : int, tuple of int, or None
    bs : str, tuple of str, or None
    by : str or None
    m : int, float, tuple or None
    fx : bool
    id : str, int or None
    sp : float, tuple of float, or None
    pc : float, tuple or None
    xt : str or None
        Raw text of ``xt`` (kept for later issues).
    """

    kind: str
    variables: tuple[str, ...]
    k: OptionValue = None
    bs: OptionValue = None
    by: str | None = None
    m: OptionValue = None
    fx: bool = False
    id: OptionValue = None
    sp: OptionValue = None
    pc: OptionValue = None
    xt: str | None = None
    span: Span = _span()

    def __str__(self) -> str:
        from aurora.formula._print import format_smooth

        return format_smooth(self)


@dataclass(frozen=True)
class RandomEffect:
    """A random-effect bar ``(expr | group)`` or ``(expr || group)``.

    After desugaring, ``group`` is a single grouping factor or an interaction of factors
    (``("a", "b")`` for ``a:b``); nested ``a/b`` becomes two RandomEffect nodes (``a`` and
    ``a:b``), and ``||`` becomes one uncorrelated node per term (``correlated=False``).

    Attributes
    ----------
    intercept : bool
        Whether the term has a random intercept (``1 +`` implicit as in lme4).
    terms : tuple of ParametricTerm
        Random slopes.
    group : tuple of str
        Grouping factor(s); more than one means their interaction ``a:b``.
    correlated : bool
        ``False`` for ``||``.
    """

    intercept: bool
    terms: tuple[ParametricTerm, ...]
    group: tuple[str, ...]
    correlated: bool = True
    span: Span = _span()

    def __str__(self) -> str:
        from aurora.formula._print import format_random_effect

        return format_random_effect(self)


@dataclass(frozen=True)
class Offset:
    """``offset(expr)`` inside a formula; ``expr`` is canonical R text (``"log(exposure)"``)."""

    expr: str
    variables: tuple[str, ...]
    span: Span = _span()

    def __str__(self) -> str:
        return f"offset({self.expr})"


Term = Union[ParametricTerm, Smooth, RandomEffect, Offset]


@dataclass(frozen=True)
class Formula:
    """A whole parsed formula.

    Attributes
    ----------
    response : Response or None
    terms : tuple of Term
        Right-hand-side terms in formula order, sugar expanded (``a*b`` gives ``a``, ``b``,
        ``a:b``; duplicates removed, first occurrence kept).
    intercept : bool
        ``False`` after ``-1``, ``+0`` or ``0 +``.
    text : str
        The original text (not compared).
    """

    response: Response | None
    terms: tuple[Term, ...]
    intercept: bool = True
    text: str = field(default="", compare=False)
    span: Span = _span()

    @property
    def parametric(self) -> tuple[ParametricTerm, ...]:
        return tuple(t for t in self.terms if isinstance(t, ParametricTerm))

    @property
    def smooths(self) -> tuple[Smooth, ...]:
        return tuple(t for t in self.terms if isinstance(t, Smooth))

    @property
    def random_effects(self) -> tuple[RandomEffect, ...]:
        return tuple(t for t in self.terms if isinstance(t, RandomEffect))

    @property
    def offsets(self) -> tuple[Offset, ...]:
        return tuple(t for t in self.terms if isinstance(t, Offset))

    @property
    def variables(self) -> tuple[str, ...]:
        """Every data column the formula reads, in first-use order."""
        seen: dict[str, None] = {}
        if self.response is not None:
            seen.update(dict.fromkeys(self.response.variables))
        for t in self.terms:
            if isinstance(t, Smooth):
                names = t.variables + ((t.by,) if t.by else ())
            elif isinstance(t, RandomEffect):
                names = tuple(v for p in t.terms for v in p.variables) + t.group
            else:
                names = t.variables
            seen.update(dict.fromkeys(names))
        return tuple(seen)

    def __str__(self) -> str:
        from aurora.formula._print import format_formula

        return format_formula(self)
