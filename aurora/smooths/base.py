"""The contract every smooth basis keeps, and the registry of bases by mgcv's names.

A basis is constructed from a :class:`~aurora.formula.ast.Smooth` term and the data, as
mgcv's ``smooth.construct.<bs>.smooth.spec`` is, and then passed through
:func:`aurora.smooths.constraints.absorb` (mgcv's ``smoothCon(..., absorb.cons = TRUE,
scale.penalty = TRUE)``): penalties scaled as mgcv scales them, the sum-to-zero
identifiability constraint absorbed. What the engine sees is a :class:`SmoothBlock`:
model-matrix columns, penalty matrices (one per smoothing parameter), the null-space
dimension, and a frozen record that rebuilds the same columns for new data.

Everything data-dependent (knots, eigenvectors of a thin plate basis, constraint
matrices, penalty scale factors) lives in :attr:`SmoothBlock.state`, a mapping of plain
floats, ints, strings and lists, so a fitted model saves to JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from aurora.errors import DataError, ModelSpecError, UnknownNameError, UnknownVariableError

__all__ = ["RawBasis", "SmoothBlock", "BasisBuilder", "register_basis", "get_basis",
           "basis_names", "BASES", "smooth_label", "basis_dimension", "penalty_orders",
           "is_factor_like", "covariate", "one_variable", "term_knots", "data_column"]


@dataclass(frozen=True)
class RawBasis:
    """A basis before identifiability constraints (mgcv's object out of ``smooth.construct``).

    Attributes
    ----------
    X : ndarray, shape (n, k)
        Model-matrix columns on the fitting data.
    penalties : tuple of ndarray, each (k, k)
        Penalty matrices as the basis defines them (before mgcv's rescaling); empty for
        ``fx=True`` (mgcv drops the penalties of a fixed smooth).
    null_space_dim : int
        Dimension of the penalty null space (mgcv's ``null.space.dim``).
    rank : tuple of int
        Rank of each penalty (mgcv's ``rank``).
    state : mapping
        What :func:`predict_matrix` needs to rebuild the columns (knots...), JSON-able.
        The bases of this package keep ``term`` (the covariate names) and ``bs_dim``
        (mgcv's ``bs.dim``) there.
    constraint : ndarray of shape (j, k) or None
        Identifiability constraint ``C beta = 0``; None means mgcv's default, the
        sum-to-zero constraint ``colSums(X)``. An empty (0, k) array means no constraint
        (e.g. ``bs = "re"``, or a factor ``by``).
    no_rescale : bool
        mgcv's ``no.rescale``: keep the penalties unscaled.
    """

    X: np.ndarray
    penalties: tuple[np.ndarray, ...]
    null_space_dim: int
    rank: tuple[int, ...]
    state: Mapping[str, Any] = field(default_factory=dict)
    constraint: np.ndarray | None = None
    no_rescale: bool = False


@dataclass(frozen=True)
class SmoothBlock:
    """A smooth as the engine sees it: constrained columns and scaled penalties.

    Attributes
    ----------
    label : str
        mgcv's label: ``s(x)``, ``s(x,z)``, ``te(x,z)``, ``s(Time):Dietd1``.
    bs : str
        Basis name (mgcv's ``bs``).
    X : ndarray, shape (n, p)
        Columns after the constraint is absorbed (p = k - number of constraints).
    penalties : tuple of ndarray, each (p, p)
        ``Z' S_j Z`` after mgcv's scaling, one per smoothing parameter.
    penalty_scale : tuple of float
        mgcv's ``S.scale``: the factor each raw penalty was divided by.
    null_space_dim : int
    rank : tuple of int
    state : mapping
        The raw basis's state plus the constraint's null-space basis ``Z`` (as nested
        lists), so :meth:`predict_matrix` reproduces :attr:`X` on the fitting data:
        :func:`aurora.smooths.constraints.absorb` adds ``bs``, ``label``, ``n_cons``
        (number of constraints), ``Z`` (k x p, None without a constraint) and ``indi``
        (mgcv's sparse-constraint columns, or None), and
        :func:`aurora.smooths.constraints.predict_block` reads them.
    """

    label: str
    bs: str
    X: np.ndarray
    penalties: tuple[np.ndarray, ...]
    penalty_scale: tuple[float, ...]
    null_space_dim: int
    rank: tuple[int, ...]
    state: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_coef(self) -> int:
        return int(self.X.shape[1])


class BasisBuilder(Protocol):
    """What a registered basis provides (one module per basis under aurora/smooths).

    A builder may also set ``k_too_large`` (read with ``getattr``, default ``"error"``):
    what mgcv does when ``k`` exceeds the number of unique covariate values, ``"error"``
    (a :class:`~aurora.errors.DataError`, as mgcv's tp, cr and cc), ``"warn"`` (a
    :class:`~aurora.errors.DataWarning`, as mgcv's ps and bs) or ``"ignored"`` (``re``,
    whose dimension comes from the data).
    """

    name: str

    def construct(self, term: Any, data: Mapping[str, np.ndarray], knots: Any = None
                  ) -> RawBasis:
        """Build the raw basis of ``term`` (a Smooth) on ``data`` (column -> values)."""

    def predict_matrix(self, state: Mapping[str, Any], data: Mapping[str, np.ndarray]
                       ) -> np.ndarray:
        """The raw (unconstrained) columns for new data, from :attr:`RawBasis.state`."""


BASES: dict[str, BasisBuilder] = {}


def register_basis(*names: str) -> Callable[[Any], Any]:
    """Class decorator: register a basis under mgcv's name(s), e.g. ``("cr", "cs")``."""

    def deco(cls: Any) -> Any:
        for name in names:
            inst = cls(name)
            BASES[name] = inst
        return cls

    return deco


def get_basis(name: str) -> BasisBuilder:
    """The basis registered as ``name``; an unknown name lists the valid ones."""
    _load_all()
    try:
        return BASES[name]
    except KeyError:
        raise UnknownNameError("smooth basis", name, sorted(BASES)) from None


def basis_names() -> tuple[str, ...]:
    """Every registered basis name (mgcv's spellings)."""
    _load_all()
    return tuple(sorted(BASES))


def _load_all() -> None:
    """Import every basis module so it registers itself."""
    import importlib
    import pkgutil

    import aurora.smooths as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in ("base", "constraints") and not mod.name.startswith("_"):
            importlib.import_module(f"aurora.smooths.{mod.name}")


# ----------------------------------------------------------------------------------------
# Helpers shared by the basis modules: reading a Smooth term's options as mgcv's s() does.


def smooth_label(term: Any) -> str:
    """mgcv's label of a smooth without ``by``: ``s(x)``, ``s(x,z)``, ``te(x,z)``."""
    return f"{term.kind}({','.join(term.variables)})"


def basis_dimension(term: Any) -> int:
    """mgcv's ``bs.dim``: ``k`` rounded as ``s()`` rounds it; -1 (the basis's default)
    when ``k`` is not given."""
    k = term.k
    if k is None:
        return -1
    if isinstance(k, tuple):
        if len(k) != 1:
            raise ModelSpecError(f"{smooth_label(term)}: k must be a single number, got {k}")
        k = k[0]
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        raise ModelSpecError(f"{smooth_label(term)}: k must be a number, got {k!r}")
    return int(round(float(k)))  # R's round(): halves to even, as s() rounds k


def penalty_orders(term: Any) -> tuple[float, ...]:
    """mgcv's ``p.order`` (the ``m`` option) as a tuple, NaN where R has ``NA``."""
    m = term.m
    if m is None:
        return (float("nan"),)
    values = m if isinstance(m, tuple) else (m,)
    out = []
    for v in values:
        if v is None:
            out.append(float("nan"))
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ModelSpecError(f"{smooth_label(term)}: m must be numeric, got {m!r}")
        else:
            out.append(float(v))
    return tuple(out)


def is_factor_like(values: Any) -> bool:
    """Whether a column is a factor in R's sense (categorical, strings, logicals)."""
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        values = np.asarray(values)
        dtype = values.dtype
    if str(dtype) == "category":
        return True
    kind = getattr(dtype, "kind", "O")
    return kind not in "iufc"


def one_variable(term: Any, bs: str) -> str:
    """The single covariate of a 1-D basis (mgcv: "Basis only handles 1D smooths")."""
    if len(term.variables) != 1:
        raise ModelSpecError(
            f"{smooth_label(term)}: the {bs!r} basis only handles 1-D smooths",
            "use bs='tp' or a tensor product te() for smooths of several variables")
    return term.variables[0]


def data_column(data: Mapping[str, Any], name: str) -> Any:
    """Column ``name`` of ``data``; a missing one is an UnknownVariableError."""
    try:
        return data[name]
    except (KeyError, IndexError):
        raise UnknownVariableError(name, tuple(map(str, data.keys()))) from None


def covariate(term: Any, data: Mapping[str, Any], name: str) -> np.ndarray:
    """A smooth's numeric covariate as float64; a factor is refused (mgcv needs ``bs='re'``
    or ``by=`` for those)."""
    values = data_column(data, name)
    if is_factor_like(values):
        raise DataError(
            f"{smooth_label(term)}: {name} is a factor; a smooth needs a numeric covariate",
            f"use s({name}, bs='re') for a random effect, by={name} for one smooth per "
            f"level, or a parametric term {name}")
    return np.asarray(values, dtype=float).reshape(-1)


def term_knots(knots: Any, name: str) -> np.ndarray | None:
    """The knots supplied for variable ``name`` (mgcv's ``knots = list(x = ...)``)."""
    if not knots:
        return None
    k = knots.get(name) if hasattr(knots, "get") else None
    if k is None:
        return None
    return np.asarray(k, dtype=float).reshape(-1)
