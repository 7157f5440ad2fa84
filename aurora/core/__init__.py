"""Numerical building blocks shared by the engine and by users.

* :mod:`aurora.core.backends`: ``get_backend("numpy" | "jax" | "torch")``.
* :mod:`aurora.core.autodiff`: ``gradient``, ``hessian``, ``jacobian`` on any backend.
* :mod:`aurora.core.optimization`: ``newton``, ``lbfgs`` and the engine's ``irls``.

Examples
--------
>>> import numpy as np
>>> from aurora.core import gradient
>>> np.round(gradient(lambda b: b @ b, [1.0, -2.0]), 6)
array([ 2., -4.])
"""
from aurora.core import autodiff, backends, optimization
from aurora.core.autodiff import gradient, hessian, jacobian
from aurora.core.backends import Backend, get_backend
from aurora.core.optimization import Iteration, OptimizeResult, irls, lbfgs, newton

__all__ = [
    "autodiff",
    "backends",
    "optimization",
    "Backend",
    "get_backend",
    "gradient",
    "hessian",
    "jacobian",
    "Iteration",
    "OptimizeResult",
    "newton",
    "lbfgs",
    "irls",
]
