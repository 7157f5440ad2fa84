"""Alias of :mod:`aurora.core.autodiff` (``gradient``, ``hessian``, ``jacobian``)."""
from aurora.core.autodiff import gradient, hessian, jacobian

__all__ = ["gradient", "hessian", "jacobian"]
