"""Smooth bases (mgcv's ``s()``, ``te()``...): one basis per module, registered by name.

See :mod:`aurora.smooths.base` for the contract and :mod:`aurora.smooths.constraints` for
mgcv's penalty scaling and identifiability constraints.
"""
from aurora.smooths.base import (BASES, RawBasis, SmoothBlock, basis_names, get_basis,
                                 register_basis)
from aurora.smooths.by import predict_con, smooth_con

__all__ = ["BASES", "RawBasis", "SmoothBlock", "basis_names", "get_basis", "register_basis",
           "smooth_con", "predict_con"]
