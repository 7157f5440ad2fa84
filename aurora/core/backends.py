"""Array backends (``"numpy"``, ``"jax"``, ``"torch"``/``"pytorch"``).

The implementation lives in :mod:`aurora.backends`; this module is the path SPEC.md
promises.

Examples
--------
>>> from aurora.core.backends import get_backend
>>> get_backend("pytorch").name  # doctest: +SKIP
'torch'
>>> get_backend("numpy").name
'numpy'
"""
from aurora.backends import Backend, get_backend

__all__ = ["Backend", "get_backend"]
