"""Array backends (``"numpy"``, ``"jax"``, ``"torch"``/``"pytorch"``).

The implementation lives in :mod:`aurora.backends`; this module is the path SPEC.md
promises. A backend converts with ``array`` (and back with ``to_numpy``), differentiates
with ``grad``, and exposes its namespace's operations (``be.exp``, ``be.sum``...).

Examples
--------
>>> from aurora.core.backends import get_backend
>>> get_backend("pytorch").name  # doctest: +SKIP
'torch'
>>> get_backend("numpy").name
'numpy'
>>> be = get_backend("numpy")
>>> be.grad(lambda b: be.sum(b ** 3))(be.array([1.0, 2.0])).round(6).tolist()
[3.0, 12.0]
"""
from aurora.backends import Backend, get_backend

__all__ = ["Backend", "get_backend"]
