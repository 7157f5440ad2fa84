"""Array backends for the data-sized work of the engine.

A :class:`Backend` bundles an array namespace (array-api-compat) with conversion to and
from NumPy. Model-sized work (p x p factorisations) stays in NumPy float64; what scales
with n (eta = X beta, family functions, X'WX, X'Wz) runs on the backend.

Examples
--------
>>> from aurora.backends import get_backend
>>> be = get_backend("numpy")
>>> be.to_numpy(be.asarray([1, 2, 3])).dtype
dtype('float64')
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from aurora.errors import UnknownNameError

__all__ = ["Backend", "get_backend", "available_backends", "BACKEND_NAMES"]

BACKEND_NAMES = ("numpy", "jax", "torch")
_ALIASES = {"numpy": "numpy", "np": "numpy", "jax": "jax", "torch": "torch", "pytorch": "torch"}


@dataclass(frozen=True)
class Backend:
    """An array library the engine can run on.

    ``array`` converts to the backend, ``to_numpy`` back; ``grad`` differentiates a scalar
    function; any other public attribute is the namespace's operation of that name
    (``be.exp``, ``be.sum``, ``be.matmul``...).

    Attributes
    ----------
    name : {"numpy", "jax", "torch"}
    xp : module
        The array-api-compat namespace.
    device : object
        Where arrays live (``None`` for NumPy).
    """

    name: str
    xp: Any = field(repr=False)
    device: Any = None
    _asarray: Callable[[Any], Any] = field(repr=False, default=None)  # type: ignore[assignment]
    _to_numpy: Callable[[Any], np.ndarray] = field(repr=False, default=None)  # type: ignore[assignment]

    def asarray(self, x: Any) -> Any:
        """Convert ``x`` to a float64 array of this backend, on its device."""
        return self._asarray(x)

    def to_numpy(self, a: Any) -> np.ndarray:
        """Return ``a`` as a NumPy float64 array (copied to host if needed)."""
        return self._to_numpy(a)

    def array(self, x: Any) -> Any:
        """``x`` as a float64 array of this backend, on its device (SPEC §2's name for
        :meth:`asarray`).

        Examples
        --------
        >>> get_backend("numpy").array([1, 2]).dtype
        dtype('float64')
        """
        return self._asarray(x)

    def grad(self, f: Callable[[Any], Any]) -> Callable[[Any], np.ndarray]:
        """Gradient of a scalar function ``f``, as a function returning NumPy arrays.

        ``f`` is written with this backend's operations (``jax.numpy``, ``torch`` or NumPy,
        or this backend's own, e.g. ``be.sum``); JAX and torch differentiate exactly, NumPy
        by central differences (:mod:`aurora.core.autodiff`).

        Examples
        --------
        >>> be = get_backend("numpy")
        >>> g = be.grad(lambda b: be.sum(b ** 2))
        >>> g([1.0, -2.0]).round(6).tolist()
        [2.0, -4.0]
        """
        from aurora.core.autodiff import gradient

        return lambda x: gradient(f, x, backend=self.name)

    def __getattr__(self, name: str) -> Any:
        # the array operations of the namespace (be.exp, be.sum, be.matmul...), so that
        # code written against a backend reads like code written against its library
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return getattr(self.__dict__["xp"], name)
        except (KeyError, AttributeError):
            raise AttributeError(f"backend {self.__dict__.get('name')!r} has no operation "
                                 f"{name!r}") from None


def _numpy_backend() -> Backend:
    import array_api_compat.numpy as xp

    def asarray(x: Any) -> np.ndarray:
        if hasattr(x, "detach"):  # torch tensor
            x = x.detach().cpu().numpy()
        return np.asarray(x, dtype=np.float64)

    return Backend("numpy", xp, None, asarray, lambda a: np.asarray(a, dtype=np.float64))


def _jax_backend() -> Backend:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from array_api_compat import array_namespace

    xp = array_namespace(jnp.zeros(1))
    device = jax.devices()[0]

    def asarray(x: Any) -> Any:
        if hasattr(x, "detach"):
            x = x.detach().cpu().numpy()
        return jax.device_put(jnp.asarray(x, dtype=jnp.float64), device)

    return Backend("jax", xp, device, asarray, lambda a: np.asarray(a, dtype=np.float64))


def _torch_backend() -> Backend:
    import torch
    import array_api_compat.torch as xp

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def asarray(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return x.to(device=device, dtype=torch.float64)
        arr = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
        if not arr.flags.writeable:  # torch warns on read-only buffers; copy those
            arr = arr.copy()
        return torch.from_numpy(arr).to(device)

    def to_numpy(a: Any) -> np.ndarray:
        if isinstance(a, torch.Tensor):
            return a.detach().cpu().numpy().astype(np.float64, copy=False)
        return np.asarray(a, dtype=np.float64)

    return Backend("torch", xp, device, asarray, to_numpy)


_FACTORIES = {"numpy": _numpy_backend, "jax": _jax_backend, "torch": _torch_backend}
_CACHE: dict[str, Backend] = {}


def get_backend(name: str | Backend | None = "numpy") -> Backend:
    """Return the backend called ``name``.

    Parameters
    ----------
    name : {"numpy", "jax", "torch", "pytorch"} or Backend or None
        ``None`` means NumPy.

    Returns
    -------
    Backend

    Raises
    ------
    UnknownNameError
        For an unknown name.
    ImportError
        When the backend's library is not installed (with the pip extra to install).

    Examples
    --------
    >>> get_backend("numpy").name
    'numpy'
    """
    if isinstance(name, Backend):
        return name
    key = _ALIASES.get(str(name if name is not None else "numpy").lower())
    if key is None:
        raise UnknownNameError("backend", str(name), sorted(_ALIASES))
    if key not in _CACHE:
        try:
            _CACHE[key] = _FACTORIES[key]()
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"the {key!r} engine needs {key} installed: pip install 'aurora-glm[{key}]'"
            ) from exc
    return _CACHE[key]


def available_backends() -> list[str]:
    """Names of the backends whose libraries import here."""
    out = []
    for name in BACKEND_NAMES:
        try:
            get_backend(name)
        except ImportError:
            continue
        out.append(name)
    return out
