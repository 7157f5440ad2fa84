"""Array-namespace helpers and special functions for every backend.

Families and links are written once against the Python array API
(``xp = namespace(x)``); the few special functions the array API lacks are
dispatched here to ``scipy.special`` (NumPy), ``torch.special`` (PyTorch) or
``jax.scipy.special`` (JAX), chosen from the type of the array argument.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import array_api_compat
import array_api_compat.numpy as _np_xp
import numpy as np
import scipy.special as _sps

__all__ = [
    "DBL_EPSILON",
    "namespace",
    "as_namespace_array",
    "coerce",
    "backend_name",
    "erf",
    "ndtr",
    "ndtri",
    "norm_pdf",
    "lgamma",
    "digamma",
    "polygamma",
    "log1p",
    "expm1",
    "xlogy",
    "xlog1py",
    "to_numpy",
]

#: R's ``.Machine$double.eps``.
DBL_EPSILON: float = float(np.finfo(np.float64).eps)

_SCALARS = (bool, int, float, complex, list, tuple)


def _is_array(x: Any) -> bool:
    return x is not None and not isinstance(x, _SCALARS) and array_api_compat.is_array_api_obj(x)


def namespace(*arrays: Any) -> ModuleType:
    """Return the array-API namespace shared by ``arrays``.

    Python scalars, lists, tuples, ``None`` and array-likes such as pandas Series
    are ignored; if nothing else is left the NumPy compatibility namespace
    (``array_api_compat.numpy``) is returned.

    Parameters
    ----------
    *arrays : array-like or scalar
        Arrays of one backend (NumPy, JAX or PyTorch), possibly mixed with scalars.

    Returns
    -------
    module
        The namespace (``array_api_compat.numpy``, ``jax.numpy`` or
        ``array_api_compat.torch``).

    Raises
    ------
    TypeError
        If arrays of different backends are mixed.

    Examples
    --------
    >>> import numpy as np
    >>> namespace(np.ones(3), 2.0).__name__
    'array_api_compat.numpy'
    >>> namespace([1, 2]).__name__
    'array_api_compat.numpy'
    """
    arrs = [a for a in arrays if _is_array(a)]
    if not arrs:
        return _np_xp
    return array_api_compat.array_namespace(*arrs)


def backend_name(xp_or_array: Any) -> str:
    """Name the backend of a namespace or array: ``"numpy"``, ``"torch"`` or ``"jax"``.

    Examples
    --------
    >>> import numpy as np
    >>> backend_name(np.zeros(2))
    'numpy'
    """
    if isinstance(xp_or_array, ModuleType):
        xp = xp_or_array
        if array_api_compat.is_torch_namespace(xp):
            return "torch"
        if array_api_compat.is_jax_namespace(xp):
            return "jax"
        return "numpy"
    if array_api_compat.is_torch_array(xp_or_array):
        return "torch"
    if array_api_compat.is_jax_array(xp_or_array):
        return "jax"
    return "numpy"


def as_namespace_array(x: Any, xp: ModuleType, like: Any = None) -> Any:
    """Convert ``x`` to a float64 array of namespace ``xp``.

    Parameters
    ----------
    x : array-like or scalar
        Values to convert (NumPy, JAX or torch array, pandas object, list, scalar).
    xp : module
        Target namespace, as returned by :func:`namespace`.
    like : array, optional
        When given, the result is placed on the same device as ``like``.

    Returns
    -------
    array
        ``x`` as a float64 array of ``xp`` (float32 for JAX unless
        ``jax_enable_x64`` is set).

    Examples
    --------
    >>> import numpy as np
    >>> as_namespace_array([1, 2], namespace(np.ones(1))).dtype
    dtype('float64')
    """
    device = array_api_compat.device(like) if _is_array(like) else None
    name = backend_name(xp)
    if _is_array(x) and backend_name(x) != name:
        x = to_numpy(x)  # cross-backend conversion goes through host memory
    elif not _is_array(x) and not isinstance(x, (bool, int, float)):
        x = np.asarray(x, dtype=np.float64)
    if device is None:
        return xp.asarray(x, dtype=xp.float64)
    return xp.asarray(x, dtype=xp.float64, device=device)


def coerce(*arrays: Any) -> tuple[Any, ...]:
    """Return ``(xp, *arrays)`` with every non-``None`` argument an array of ``xp``.

    Floating arrays keep their dtype; integers, booleans, lists and scalars
    become float64 arrays on the device of the first array.

    Examples
    --------
    >>> import numpy as np
    >>> xp, y, mu = coerce([0, 1], np.array([0.5, 0.5]))
    >>> y.dtype
    dtype('float64')
    """
    xp = namespace(*arrays)
    like = next((a for a in arrays if _is_array(a)), None)
    out: list[Any] = []
    for a in arrays:
        if a is None:
            out.append(None)
        elif _is_array(a) and backend_name(a) == backend_name(xp) and xp.isdtype(
            a.dtype, "real floating"
        ):
            out.append(a)
        else:
            out.append(as_namespace_array(a, xp, like=like))
    return (xp, *out)


def to_numpy(x: Any) -> np.ndarray:
    """Copy any backend's array (or array-like) to a float64 NumPy array.

    Examples
    --------
    >>> to_numpy([1, 2]).dtype
    dtype('float64')
    """
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy().astype(np.float64)
    return np.asarray(x, dtype=np.float64)


def _special(x: Any) -> Any:
    name = backend_name(x)
    if name == "torch":
        import torch

        return torch.special
    if name == "jax":
        import jax.scipy.special as jss

        return jss
    return _sps


def _arr(x: Any) -> Any:
    return np.asarray(x, dtype=np.float64) if not _is_array(x) else x


def erf(x: Any) -> Any:
    """Error function, dispatched on the backend of ``x``.

    Examples
    --------
    >>> float(erf(0.0))
    0.0
    """
    x = _arr(x)
    return _special(x).erf(x)


def ndtr(x: Any) -> Any:
    """Standard normal cdf (R's ``pnorm``).

    Examples
    --------
    >>> float(ndtr(0.0))
    0.5
    """
    x = _arr(x)
    if backend_name(x) == "torch":
        # torch.special.ndtr computes 0.5 * (1 + erf) and loses the lower tail
        # (0 below -8.3); use Cephes' split, as scipy and JAX do.
        import torch

        z = torch.abs(x) * 0.7071067811865476
        tail = 0.5 * torch.special.erfc(z)
        return torch.where(z < 0.7071067811865476, 0.5 + 0.5 * torch.special.erf(x * 0.7071067811865476),
                           torch.where(x > 0, 1.0 - tail, tail))
    return _special(x).ndtr(x)


def ndtri(p: Any) -> Any:
    """Standard normal quantile function (R's ``qnorm``).

    Examples
    --------
    >>> float(ndtri(0.5))
    0.0
    """
    p = _arr(p)
    return _special(p).ndtri(p)


_M_1_SQRT_2PI = 0.398942280401432677939946059934


def norm_pdf(x: Any) -> Any:
    """Standard normal density, computed as R's ``dnorm`` does.

    For ``|x| >= 5`` R splits ``x = x1 + x2`` (``x1`` on a 2^-16 grid) so that
    ``exp(-x^2/2)`` keeps full relative accuracy; we do the same.

    Examples
    --------
    >>> round(float(norm_pdf(0.0)), 12)
    0.398942280401
    """
    xp, x = coerce(x)
    ax = xp.abs(x)
    x1 = xp.round(ax * 65536.0) / 65536.0
    x2 = ax - x1
    split = _M_1_SQRT_2PI * (xp.exp(-0.5 * x1 * x1) * xp.exp((-0.5 * x2 - x1) * x2))
    plain = _M_1_SQRT_2PI * xp.exp(-0.5 * ax * ax)
    return xp.where(ax < 5.0, plain, split)


def lgamma(x: Any) -> Any:
    """Log of the absolute gamma function.

    Examples
    --------
    >>> round(float(lgamma(5.0)), 12)
    3.178053830348
    """
    x = _arr(x)
    return _special(x).gammaln(x)


def digamma(x: Any) -> Any:
    """Digamma function (R's ``digamma``).

    Examples
    --------
    >>> round(float(digamma(1.0)), 12)
    -0.577215664902
    """
    x = _arr(x)
    return _special(x).digamma(x)


def polygamma(n: int, x: Any) -> Any:
    """Polygamma function of order ``n`` (``n=1``: R's ``trigamma``).

    Examples
    --------
    >>> round(float(polygamma(1, 1.0)), 12)
    1.644934066848
    """
    x = _arr(x)
    if n == 1 and backend_name(x) == "torch":
        return _torch_trigamma(x)
    return _special(x).polygamma(n, x)


def _torch_trigamma(x: Any) -> Any:
    # torch's trigamma is accurate to ~5e-10 only. Shift x up to >= 20 with
    # psi1(x) = psi1(x + 1) + 1/x^2, then use the asymptotic (Bernoulli) series.
    import torch

    acc = torch.zeros_like(x)
    z = torch.where(x > 0, x, torch.ones_like(x))
    for _ in range(20):
        small = z < 20.0
        acc = acc + torch.where(small, 1.0 / (z * z), torch.zeros_like(z))
        z = torch.where(small, z + 1.0, z)
    r = 1.0 / (z * z)
    series = (1.0 / z) * (1.0 + r * (1.0 / 6.0 + r * (-1.0 / 30.0 + r * (1.0 / 42.0 + r * (
        -1.0 / 30.0 + r * (5.0 / 66.0 + r * (-691.0 / 2730.0 + r * 7.0 / 6.0))))))) + 0.5 * r
    return torch.where(x > 0, acc + series, torch.special.polygamma(1, x))


def log1p(x: Any) -> Any:
    """``log(1 + x)`` accurate for small ``x``.

    Examples
    --------
    >>> float(log1p(0.0))
    0.0
    """
    xp, x = coerce(x)
    return xp.log1p(x)


def expm1(x: Any) -> Any:
    """``exp(x) - 1`` accurate for small ``x``.

    Examples
    --------
    >>> float(expm1(0.0))
    0.0
    """
    xp, x = coerce(x)
    return xp.expm1(x)


def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)`` with ``0 * log(0) = 0``.

    Examples
    --------
    >>> float(xlogy(0.0, 0.0))
    0.0
    """
    _, x, y = coerce(x, y)
    return _special(x).xlogy(x, y)


def xlog1py(x: Any, y: Any) -> Any:
    """``x * log1p(y)`` with ``0 * log1p(-1) = 0``.

    Examples
    --------
    >>> float(xlog1py(0.0, -1.0))
    0.0
    """
    _, x, y = coerce(x, y)
    return _special(x).xlog1py(x, y)
