"""The terms of the matrix-level GAM API: :class:`SmoothTerm`, :class:`TensorTerm`,
:class:`ParametricTerm`, and the names they accept.

Each term checks its arguments when it is made and spells itself as mgcv formula text
(``formula_term()``); :class:`SmoothTerm` also places the knots of ``knot_method``. How
the options map to mgcv is told in :mod:`aurora.models.gam`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from aurora.errors import DataError, UnknownNameError

__all__ = ["SmoothTerm", "ParametricTerm", "TensorTerm", "BASIS_TYPES", "KNOT_METHODS",
           "METHODS"]

BASIS_TYPES = {"bspline": "bs", "bs": "bs", "cubic": "cr", "cr": "cr"}
"""basis_type -> mgcv's ``bs`` code."""
KNOT_METHODS = ("quantile", "uniform")
METHODS = {"GCV": "GCV.Cp", "GCV.Cp": "GCV.Cp", "REML": "REML", "ML": "ML", "UBRE": "UBRE"}
"""method -> mgcv's ``method``."""
_MIN_K = {"bs": 5, "cr": 3}  # mgcv: bs needs k >= m[1] + 2 (cubic), cr k >= 3
_NAME = re.compile(r"^(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*$")


def _basis(basis_type: Any) -> str:
    if basis_type not in BASIS_TYPES:
        raise UnknownNameError("basis_type", str(basis_type), sorted(BASIS_TYPES))
    return BASIS_TYPES[basis_type]


def _method(method: Any) -> str:
    if method not in METHODS:
        raise UnknownNameError("method", str(method), sorted(METHODS))
    return METHODS[method]


def _quote(name: str) -> str:
    """A column name as a formula variable (backquoted unless syntactic, as R does)."""
    return name if _NAME.match(name) else f"`{name}`"


def _n_basis(value: Any, low: int, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{what}: n_basis must be an integer, not {value!r}")
    if value < low:
        raise DataError(f"{what}: n_basis = {value} is too small", f"use n_basis >= {low}")
    return int(value)


def _sp_text(lam: Any, n: int, what: str) -> str | None:
    if lam is None:
        return None
    vals = np.atleast_1d(np.asarray(lam, dtype=float)).ravel()
    if vals.size == 1 and n > 1:
        vals = np.repeat(vals, n)
    if vals.size != n or not np.all(np.isfinite(vals)) or np.any(vals < 0):
        raise DataError(f"{what}: lambda_ must be {n} finite value(s) >= 0, got {lam!r}")
    parts = [repr(float(v)) for v in vals]
    return parts[0] if n == 1 else "c(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class SmoothTerm:
    """A smooth of one covariate: ``s(variable, k = n_basis, bs = ...)``.

    Parameters
    ----------
    variable : str
    n_basis : int
        Basis dimension (mgcv's ``k``).
    basis_type : {"bspline", "cubic"} (or mgcv's "bs", "cr")
    lambda_ : float, optional
        Fixed smoothing parameter (mgcv's ``sp``); estimated when None.
    knot_method : {"quantile", "uniform"}
        See the notes of :mod:`aurora.models.gam`.
    """

    variable: str
    n_basis: int = 10
    basis_type: str = "bspline"
    lambda_: float | None = None
    knot_method: str = "quantile"

    def __post_init__(self) -> None:
        bs = _basis(self.basis_type)
        if self.knot_method not in KNOT_METHODS:
            raise UnknownNameError("knot_method", str(self.knot_method), KNOT_METHODS)
        _n_basis(self.n_basis, _MIN_K[bs], f"smooth of {self.variable!r}")
        _sp_text(self.lambda_, 1, f"smooth of {self.variable!r}")

    @property
    def bs(self) -> str:
        return BASIS_TYPES[self.basis_type]

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.variable,)

    def formula_term(self) -> str:
        sp = _sp_text(self.lambda_, 1, self.variable)
        return (f"s({_quote(self.variable)}, k = {self.n_basis}, bs = \"{self.bs}\""
                + (f", sp = {sp}" if sp else "") + ")")

    def knots(self, x: np.ndarray) -> np.ndarray | None:
        """Knots to pass to mgcv (None: mgcv places them); ``x`` the complete rows."""
        from aurora.smooths.cr import r_quantile7

        k = self.n_basis
        if self.bs == "cr":
            return np.linspace(x.min(), x.max(), k) if self.knot_method == "uniform" else None
        if self.knot_method == "uniform":
            return None
        nk, m1 = k - 2, 3  # cubic B-splines: k - m1 + 1 interior knots
        inner = r_quantile7(np.unique(x), np.linspace(0.0, 1.0, nk))
        dx = (inner[-1] - inner[0]) / (nk - 1)
        return np.concatenate([inner[0] - dx * np.arange(m1, 0, -1), inner,
                               inner[-1] + dx * np.arange(1, m1 + 1)])


@dataclass(frozen=True)
class ParametricTerm:
    """A parametric term: the variable as it is (numeric: linear; categorical: a factor)."""

    variable: str

    @property
    def variables(self) -> tuple[str, ...]:
        return (self.variable,)

    def formula_term(self) -> str:
        return _quote(self.variable)


@dataclass(frozen=True)
class TensorTerm:
    """A tensor-product smooth ``te(v1, v2, ..., k = n_basis, bs = ...)`` (mgcv's ``te``).

    Parameters
    ----------
    variables : sequence of str (two or more)
    n_basis : int or sequence of int
        Basis dimension of each margin (mgcv's ``k``; default 5 each).
    basis_type : {"cubic", "bspline"} or a sequence, one per margin
    lambda_ : float or sequence, optional
        Fixed smoothing parameters, one per margin (one value is used for all).
    """

    variables: tuple[str, ...]
    n_basis: int | tuple[int, ...] = 5
    basis_type: str | tuple[str, ...] = "cubic"
    lambda_: Any = None

    def __post_init__(self) -> None:
        v = (self.variables,) if isinstance(self.variables, str) else tuple(self.variables)
        if len(v) < 2:
            raise DataError(f"TensorTerm needs two or more variables, got {list(v)}",
                            "use SmoothTerm for one variable")
        object.__setattr__(self, "variables", v)
        d = len(v)
        for name in ("n_basis", "basis_type"):
            val = getattr(self, name)
            vals = (val,) * d if isinstance(val, (str, int, np.integer)) else tuple(val)
            if len(vals) != d:
                raise DataError(f"TensorTerm{v}: {name} has {len(vals)} entries for {d} "
                                "variables")
            object.__setattr__(self, name, vals)
        for k, b in zip(self.n_basis, self.basis_type):
            _n_basis(k, _MIN_K[_basis(b)], f"TensorTerm{v}")
        _sp_text(self.lambda_, d, f"TensorTerm{v}")
        if self.lambda_ is not None and not np.isscalar(self.lambda_):
            object.__setattr__(self, "lambda_", tuple(float(x) for x in self.lambda_))

    def formula_term(self) -> str:
        d = len(self.variables)
        ks = ", ".join(str(int(k)) for k in self.n_basis)
        bss = ", ".join(f"\"{BASIS_TYPES[b]}\"" for b in self.basis_type)
        sp = _sp_text(self.lambda_, d, "te")
        return (f"te({', '.join(_quote(v) for v in self.variables)}, k = c({ks}), "
                f"bs = c({bss})" + (f", sp = {sp}" if sp else "") + ")")
