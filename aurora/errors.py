"""Aurora's error and warning types.

Every error raised on bad input is an :class:`AuroraError`; each subclass carries
structured fields and a ``fix`` hint so that messages name the problem and the remedy.
"""
from __future__ import annotations

__all__ = [
    "AuroraError",
    "FormulaSyntaxError",
    "DataError",
    "UnknownVariableError",
    "MissingDataError",
    "FactorLevelError",
    "FamilyDomainError",
    "UnknownNameError",
    "ModelSpecError",
    "AuroraWarning",
    "ConvergenceWarning",
    "SeparationWarning",
    "RankDeficiencyWarning",
    "DataWarning",
]


class AuroraError(Exception):
    """Base class of every error Aurora raises on bad input.

    Parameters
    ----------
    message : str
        What is wrong.
    fix : str, optional
        How to put it right; appended to the message.
    """

    def __init__(self, message: str, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        text = message if fix is None else f"{message}\n  Fix: {fix}"
        super().__init__(text)


class FormulaSyntaxError(AuroraError, SyntaxError):
    """A formula that does not parse; the message shows the formula with a caret.

    Attributes
    ----------
    formula : str
        The formula text.
    position : int
        0-based character offset of the problem.
    """

    def __init__(self, message: str, formula: str, position: int, fix: str | None = None) -> None:
        self.formula = formula
        self.position = max(0, min(position, len(formula)))
        caret = " " * self.position + "^"
        AuroraError.__init__(self, f"{message}\n  {formula}\n  {caret}", fix)

    def __str__(self) -> str:  # SyntaxError's __str__ would drop our layout
        return self.args[0]


class DataError(AuroraError, ValueError):
    """The data cannot be used as given (lengths, NaN, constants, negative weights...)."""


class UnknownVariableError(DataError, KeyError):
    """A formula names a column that the data does not have."""

    def __init__(self, name: str, available: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.available = tuple(available)
        shown = ", ".join(map(str, self.available[:20]))
        more = "" if len(self.available) <= 20 else ", ..."
        DataError.__init__(
            self,
            f"unknown variable {name!r} in the formula: it is not a column of the data",
            f"use one of the data's columns ({shown}{more}) or add {name!r} to the data",
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class MissingDataError(DataError):
    """NaN or infinite values in a column the model uses, under ``na_action='raise'``."""


class FactorLevelError(DataError):
    """New data holds a factor level the model never saw."""


class FamilyDomainError(AuroraError, ValueError):
    """The response lies outside the family's support (e.g. negative counts)."""


class UnknownNameError(AuroraError, ValueError):
    """A registry lookup (family, link, backend, basis) failed; lists the valid names."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.valid = tuple(valid)
        AuroraError.__init__(
            self, f"unknown {kind} {name!r}", f"use one of: {', '.join(self.valid)}"
        )


class ModelSpecError(AuroraError, ValueError):
    """A model that cannot be built as asked (e.g. a term this version does not compile)."""


class AuroraWarning(UserWarning):
    """Base class of Aurora's warnings."""


class ConvergenceWarning(AuroraWarning):
    """The fitting algorithm stopped before meeting its convergence criterion."""


class SeparationWarning(AuroraWarning):
    """Fitted probabilities numerically 0 or 1 occurred (perfect or quasi separation)."""


class RankDeficiencyWarning(AuroraWarning):
    """The design matrix is rank deficient; aliased coefficients are reported as NaN."""


class DataWarning(AuroraWarning):
    """Something about the data deserves attention but does not stop the fit."""
