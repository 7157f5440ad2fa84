"""Derivatives of user functions on any backend: gradient, Hessian and Jacobian.

``f`` must be written with the chosen backend's operations: ``jax.numpy`` for
``backend="jax"``, ``torch`` for ``backend="torch"`` (alias ``"pytorch"``), NumPy for
``backend="numpy"``. The point ``x`` may be anything array-like; every result is a NumPy
float64 array.

* ``"jax"``: exact derivatives by ``jax.grad``, ``jax.hessian`` and ``jax.jacfwd``, in
  double precision (``jax_enable_x64`` is switched on).
* ``"torch"``: exact derivatives by ``torch.autograd.functional``, in float64.
* ``"numpy"``: central finite differences. Coordinate ``i`` uses the step
  ``h_i = c * max(|x_i|, 1)``, with ``c = eps**(1/3) ~ 6e-6`` for first derivatives
  (truncation error O(h^2) balanced against rounding error O(eps/h): about 1e-10 relative
  accuracy for smooth, well-scaled ``f``) and ``c = eps**(1/4) ~ 1.2e-4`` for the Hessian
  (second differences, about 1e-7 relative accuracy). Costs: ``2p`` evaluations for a
  gradient or Jacobian, ``2p(p+1)`` for a Hessian.

Examples
--------
>>> import numpy as np
>>> from aurora.core.autodiff import gradient, hessian
>>> f = lambda b: (b[0] - 1.0) ** 2 + 3.0 * b[0] * b[1]
>>> np.round(gradient(f, [2.0, 1.0]), 6)
array([5., 6.])
>>> np.round(hessian(f, [2.0, 1.0]), 4)
array([[2., 3.],
       [3., 0.]])

References
----------
Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., section 8.1.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["gradient", "hessian", "jacobian", "FD_STEP_GRADIENT", "FD_STEP_HESSIAN"]

_EPS = np.finfo(np.float64).eps
FD_STEP_GRADIENT = _EPS ** (1 / 3)
"""Relative step of the central differences for gradients and Jacobians."""
FD_STEP_HESSIAN = _EPS ** (1 / 4)
"""Relative step of the central second differences for Hessians."""


def _steps(x: np.ndarray, rel: float) -> np.ndarray:
    h = rel * np.maximum(np.abs(x), 1.0)
    return (x + h) - x  # a step exactly representable at x


def _fd_jacobian(f: Callable, x: np.ndarray) -> np.ndarray:
    flat = x.ravel()
    h = _steps(flat, FD_STEP_GRADIENT)
    cols = []
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += h[i]
        down[i] -= h[i]
        f_up = np.asarray(f(up.reshape(x.shape)), dtype=np.float64)
        f_down = np.asarray(f(down.reshape(x.shape)), dtype=np.float64)
        cols.append((f_up - f_down) / (2 * h[i]))
    out = np.stack(cols, axis=-1)  # output dims first, then the flattened input
    return out.reshape(out.shape[:-1] + x.shape)


def _fd_hessian(f: Callable, x: np.ndarray) -> np.ndarray:
    flat = x.ravel()
    p = flat.size
    h = _steps(flat, FD_STEP_HESSIAN)

    def at(i: int, si: float, j: int, sj: float) -> float:
        z = flat.copy()
        z[i] += si * h[i]
        z[j] += sj * h[j]
        return float(f(z.reshape(x.shape)))

    H = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            # the same four-point formula on and off the diagonal (step 2h on it)
            H[i, j] = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (
                4 * h[i] * h[j]
            )
            H[j, i] = H[i, j]
    return H.reshape(x.shape + x.shape)


def _jax_derivative(kind: str, f: Callable, x: Any) -> Any:
    import jax  # the jax backend has already switched on jax_enable_x64

    op = {"gradient": jax.grad, "hessian": jax.hessian, "jacobian": jax.jacfwd}[kind]
    return op(f)(x)


def _torch_derivative(kind: str, f: Callable, x: Any) -> Any:
    from torch.autograd import functional as F

    # the Jacobian of a scalar function is its gradient
    return F.hessian(f, x) if kind == "hessian" else F.jacobian(f, x)


def _derivative(kind: str, f: Callable, x: Any, backend: Any) -> np.ndarray:
    from aurora.backends import get_backend

    be = get_backend(backend)
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if be.name == "jax":
        out = be.to_numpy(_jax_derivative(kind, f, be.asarray(x)))
    elif be.name == "torch":
        import torch

        xt = torch.as_tensor(x, dtype=torch.float64, device=be.device)  # keeps 0-d shape
        out = be.to_numpy(_torch_derivative(kind, f, xt))
    elif kind == "hessian":
        out = _fd_hessian(f, x)
    else:
        out = _fd_jacobian(f, x)
    if kind == "gradient":
        return out.reshape(x.shape)
    if kind == "hessian":  # AD may differ from symmetry in the last bit
        square = out.reshape(x.size, x.size)
        return (0.5 * (square + square.T)).reshape(x.shape + x.shape)
    return out


def gradient(f: Callable[[Any], Any], x: Any, backend: Any = "numpy") -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> scalar``, written with the backend's array operations.
    x : array_like, shape (p,) (any shape is accepted)
    backend : {"numpy", "jax", "torch", "pytorch"} or Backend, default "numpy"
        ``"numpy"`` uses central finite differences (see the module notes on accuracy).

    Returns
    -------
    ndarray of float64, same shape as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> np.round(gradient(lambda b: np.sum(b ** 3), [1.0, 2.0]), 6)
    array([ 3., 12.])
    """
    return _derivative("gradient", f, x, backend)


def hessian(f: Callable[[Any], Any], x: Any, backend: Any = "numpy") -> np.ndarray:
    """Hessian of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> scalar``.
    x : array_like, shape (p,)
    backend : {"numpy", "jax", "torch", "pytorch"} or Backend, default "numpy"

    Returns
    -------
    ndarray of float64, shape (p, p) (``x.shape + x.shape`` in general); symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(hessian(lambda b: b[0] ** 2 * b[1], [1.0, 3.0]), 4)
    array([[6., 2.],
           [2., 0.]])
    """
    return _derivative("hessian", f, x, backend)


def jacobian(f: Callable[[Any], Any], x: Any, backend: Any = "numpy") -> np.ndarray:
    """Jacobian of ``f`` at ``x``: ``J[i, j] = d f_i / d x_j``.

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` of shape (m,) (any shape).
    x : array_like, shape (p,)
    backend : {"numpy", "jax", "torch", "pytorch"} or Backend, default "numpy"
        ``"jax"`` uses forward mode (``jax.jacfwd``).

    Returns
    -------
    ndarray of float64, shape (m, p) (``f(x).shape + x.shape`` in general)

    Examples
    --------
    >>> import numpy as np
    >>> np.round(jacobian(lambda b: np.array([b[0] * b[1], b[0] + 2 * b[1]]), [2.0, 3.0]), 6)
    array([[3., 2.],
           [1., 2.]])
    """
    return _derivative("jacobian", f, x, backend)
