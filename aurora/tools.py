"""Generic functions over results: ``summary``, ``plot``, ``compare`` (R: ``AIC(m1, m2)``)."""
from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["summary", "plot", "compare"]


def summary(result: Any) -> Any:
    """``result.summary()`` (R's generic ``summary``)."""
    return result.summary()


def plot(result: Any, *args: Any, **kwargs: Any) -> Any:
    """``result.plot()`` (R's generic ``plot``)."""
    return result.plot(*args, **kwargs)


def compare(*results: Any, names: list[str] | None = None) -> pd.DataFrame:
    """A table of df, logLik, AIC, BIC and deviance for several fitted models.

    Parameters
    ----------
    *results : fitted results
    names : list of str, optional
        Row labels (default ``model1``, ``model2``...).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> import aurora
    >>> mt = aurora.datasets.load("mtcars")
    >>> t = aurora.compare(aurora.glm("mpg ~ wt", mt), aurora.glm("mpg ~ wt + hp", mt))
    >>> list(t.columns)
    ['df', 'logLik', 'AIC', 'BIC', 'deviance']
    """
    names = names or [f"model{i + 1}" for i in range(len(results))]
    rows = []
    for r in results:
        rows.append({"df": r.loglik_df, "logLik": r.loglik, "AIC": r.aic, "BIC": r.bic,
                     "deviance": r.deviance})
    return pd.DataFrame(rows, index=names)
