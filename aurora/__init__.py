"""Aurora: generalized linear, additive and mixed models from R-style formulas.

Examples
--------
>>> import aurora
>>> m = aurora.glm("count ~ spray", data=aurora.datasets.load("InsectSprays"), family="poisson")
>>> print(m.summary())  # doctest: +SKIP
"""
from __future__ import annotations

from aurora import datasets
from aurora.api import gam, gamm, glm
from aurora.compile import ModelPlan, compile_plan
from aurora.errors import (AuroraError, ConvergenceWarning, DataError, FamilyDomainError,
                           FormulaSyntaxError, SeparationWarning)
from aurora.formula import parse
from aurora.models.glmer import glmer, glmer_nb
from aurora.models.lme import lme
from aurora.models.lmer import lmer
from aurora.models.pql import glmm_pql
from aurora.tools import compare, plot, summary

__version__ = "0.1.0"

__all__ = [
    "glm",
    "gam",
    "gamm",
    "lmer",
    "glmer",
    "glmer_nb",
    "lme",
    "glmm_pql",
    "load",
    "datasets",
    "parse",
    "compile_plan",
    "ModelPlan",
    "summary",
    "plot",
    "compare",
    "AuroraError",
    "FormulaSyntaxError",
    "DataError",
    "FamilyDomainError",
    "ConvergenceWarning",
    "SeparationWarning",
    "__version__",
]


def load(path: str):
    """Load a result saved with ``result.save(path)`` (R: ``readRDS``).

    Examples
    --------
    >>> import aurora, tempfile, os
    >>> m = aurora.glm("mpg ~ wt", aurora.datasets.load("mtcars"))
    >>> p = os.path.join(tempfile.mkdtemp(), "m.aurora")
    >>> m.save(p)
    >>> float(aurora.load(p).params["wt"]) == float(m.params["wt"])
    True
    """
    from aurora.io.store import load as _load

    return _load(path)
