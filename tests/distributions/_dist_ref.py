"""Shared helpers for tests/distributions: the R reference values and backend arrays.

``r/reference.json`` is written by ``r/make_reference.R`` (R 4.2.2, MASS, mgcv); every
double is stored with 17 significant digits, so the inputs are R's exact doubles.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

REF_PATH = Path(__file__).parent / "r" / "reference.json"
_SPECIAL = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


@lru_cache(maxsize=None)
def reference() -> dict:
    return json.loads(REF_PATH.read_text())


def arr(values: Any) -> np.ndarray:
    """R values (with "NA"/"Inf" strings) as a float64 array."""
    if not isinstance(values, list):
        values = [values]
    return np.array([_SPECIAL.get(v, v) if isinstance(v, str) else v for v in values], dtype=float)


def num(value: Any) -> float:
    return float(_SPECIAL.get(value, value)) if isinstance(value, str) else float(value)


def backends() -> list[str]:
    out = ["numpy"]
    try:
        import torch  # noqa: F401

        out.append("torch")
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        out.append("jax")
    except ImportError:
        pass
    return out


def to_backend(x: np.ndarray, name: str) -> Any:
    if name == "torch":
        import torch

        return torch.asarray(np.asarray(x, dtype=float), dtype=torch.float64)
    if name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        return jnp.asarray(np.asarray(x, dtype=float), dtype=jnp.float64)
    return np.asarray(x, dtype=float)


def from_backend(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)
