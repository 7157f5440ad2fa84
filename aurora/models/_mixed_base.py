"""What the lme4-style and nlme-style mixed-model results share (criteria read off
the fit, grouping counts, printing)."""
from __future__ import annotations

from typing import Any

import pandas as pd

__all__: list[str] = []


class _MixedResultBase:
    """Members that :class:`~aurora.models.mixed_result.MixedResult` and
    :class:`~aurora.models.lme_result.LMEResult` compute alike; subclasses provide
    ``plan``, ``fit``, ``loglik``, ``npar``, ``nobs``, ``_mu``, ``_rows`` and ``summary``."""

    @property
    def REML(self) -> bool:
        return bool(self.fit.REML)

    @property
    def terms(self) -> Any:
        """The random-effect terms (:class:`~aurora.compile.random_terms.RandomTerms`)."""
        return self.plan.random

    @property
    def sigma(self) -> float:
        """Residual standard deviation (lme4's and nlme's ``sigma``)."""
        return self.fit.sigma

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.npar

    @property
    def df_resid(self) -> int:
        """lme4's ``df.residual``: ``nobs - npar``."""
        return self.nobs - self.npar

    @property
    def ngrps(self) -> dict[str, int]:
        """Levels of each grouping factor (lme4's ``ngrps``: its names and order)."""
        return self.terms.ngrps

    @property
    def converged(self) -> bool:
        return self.fit.converged

    @property
    def singular(self) -> bool:
        """Whether the fit is on the boundary (lme4's ``isSingular``, tolerance 1e-4)."""
        return self.fit.singular

    @property
    def fitted(self) -> pd.Series:
        """Conditional fitted values ``X beta + Z b`` (innermost level: lme4's and nlme's
        ``fitted``)."""
        return self._rows(self._mu, "fitted")

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()
