"""Plots of fitted models (R: ``plot.lm`` diagnostics for GLMs).

``aurora.plot(result)`` is R's generic ``plot``. Importing this package makes the
attribute ``aurora.plot`` the package itself, so the package is made callable and
keeps working as that generic.

>>> import aurora
>>> m = aurora.glm("mpg ~ wt", aurora.datasets.load("mtcars"))
>>> len(aurora.plot(m).axes)
4
"""
from __future__ import annotations

import sys
import types
from typing import Any

from aurora.plot._lowess import lowess
from aurora.plot.diagnostics import DiagnosticData, diagnostic_data, plot_glm_diagnostics

__all__ = ["plot_glm_diagnostics", "diagnostic_data", "DiagnosticData", "lowess"]


class _CallablePackage(types.ModuleType):
    def __call__(self, result: Any, *args: Any, **kwargs: Any) -> Any:
        """``result.plot(*args, **kwargs)`` (R's generic ``plot``)."""
        return result.plot(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
