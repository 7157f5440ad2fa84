"""The arguments of a GLM's confidence intervals, checked once: the method (``"profile"``
or ``"Wald"``), the level, ``parm`` (names, or positions from 0) and the column labels R's
``confint`` writes (``2.5 %``, ``97.5 %``).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from aurora.errors import DataError, UnknownNameError

__all__ = ["CI_METHODS", "resolve_ci_method", "confint_labels", "check_level", "parm_indices"]

CI_METHODS = ("profile", "Wald")


def resolve_ci_method(method: str) -> str:
    """``"profile"`` or ``"Wald"`` (any case); else an error listing both."""
    for m in CI_METHODS:
        if isinstance(method, str) and method.lower() == m.lower():
            return m
    raise UnknownNameError("confidence interval method", str(method), CI_METHODS)


def confint_labels(level: float) -> tuple[str, str]:
    """Column names as ``confint.profile.glm`` writes them: ``paste(round(100 * a, 1), "%")``.

    >>> confint_labels(0.9)
    ('5 %', '95 %')
    """
    a = (1 - level) / 2
    return tuple(f"{round(100 * p, 1):.15g} %" for p in (a, 1 - a))  # type: ignore[return-value]


def check_level(level: float) -> None:
    """A confidence level strictly between 0 and 1, else a DataError."""
    if not (isinstance(level, (int, float, np.floating)) and 0 < level < 1):
        raise DataError(f"level must be a number strictly between 0 and 1, got {level!r}",
                        "use e.g. level=0.95")


def parm_indices(names: Sequence[str], parm: Any) -> list[int]:
    """Positions of the coefficients named (or numbered, from 0) in ``parm``; all if None."""
    if parm is None:
        return list(range(len(names)))
    items = [parm] if isinstance(parm, (str, int, np.integer)) else list(parm)
    out = []
    for it in items:
        if isinstance(it, str):
            if it not in names:
                raise UnknownNameError("coefficient", it, names)
            out.append(list(names).index(it))
        elif -len(names) <= int(it) < len(names):
            out.append(int(it) % len(names))
        else:
            raise DataError(f"coefficient number {it} is out of range: the model has "
                            f"{len(names)} coefficients", "number them from 0, or use names")
    return out
