"""Response families (R's ``family`` objects), re-exported from their modules.

``GaussianFamily``, ``PoissonFamily``, ``BinomialFamily``, ``GammaFamily``,
``InverseGaussianFamily`` (alias ``WaldFamily``), ``QuasiPoissonFamily`` and
``QuasiBinomialFamily`` follow R's ``stats``; ``NegativeBinomialFamily`` follows
``MASS::negative.binomial``; ``TweedieFamily``, ``BetaFamily`` and
``StudentTFamily`` follow mgcv's ``Tweedie``, ``betar`` and ``scat``.

Examples
--------
>>> from aurora.distributions.families import GammaFamily
>>> GammaFamily(link="log").link.name
'log'
"""
from __future__ import annotations

from ._extended import BetaFamily, NegativeBinomialFamily, StudentTFamily
from ._binomial import BinomialFamily, QuasiBinomialFamily
from ._glm import (
    GammaFamily,
    GaussianFamily,
    InverseGaussianFamily,
    PoissonFamily,
    QuasiPoissonFamily,
    WaldFamily,
)
from ._tweedie import TweedieFamily, ld_tweedie
from .base import Family

__all__ = [
    "Family",
    "GaussianFamily",
    "PoissonFamily",
    "BinomialFamily",
    "GammaFamily",
    "InverseGaussianFamily",
    "WaldFamily",
    "NegativeBinomialFamily",
    "TweedieFamily",
    "BetaFamily",
    "StudentTFamily",
    "QuasiPoissonFamily",
    "QuasiBinomialFamily",
    "ld_tweedie",
]
