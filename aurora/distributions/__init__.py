"""Families and links: R's ``family`` and ``make.link`` objects, for every array backend.

Examples
--------
>>> import numpy as np
>>> from aurora.distributions import get_family
>>> fam = get_family("poisson")
>>> mu = fam.link.inverse(np.array([0.0, 1.0]))
>>> fam.variance(mu).round(4).tolist()
[1.0, 2.7183]
"""
from __future__ import annotations

from ._utils import as_namespace_array, namespace
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
    WaldFamily,
    ld_tweedie,
)
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
from .negbin import loglik_negbin, theta_ml, twologlik
from .registry import FAMILIES, LINKS, get_family, get_link, nb, tw

__all__ = [
    "Family",
    "LinkFunction",
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
    "IdentityLink",
    "LogLink",
    "LogitLink",
    "ProbitLink",
    "CLogLogLink",
    "CauchitLink",
    "InverseLink",
    "InverseSquaredLink",
    "SqrtLink",
    "PowerLink",
    "FAMILIES",
    "LINKS",
    "get_family",
    "get_link",
    "nb",
    "tw",
    "theta_ml",
    "loglik_negbin",
    "twologlik",
    "ld_tweedie",
    "namespace",
    "as_namespace_array",
]
