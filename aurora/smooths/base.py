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

from aurora.errors import UnknownNameError

__all__ = ["RawBasis", "SmoothBlock", "BasisBuilder", "register_basis", "get_basis",
           "basis_names", "BASES"]


@dataclass(frozen=True)
class RawBasis:
    """A basis before identifiability constraints (mgcv's object out of ``smooth.construct``).

    Attributes
    ----------
    X : ndarray, shape (n, k)
        Model-matrix columns on the fitting data.
    penalties : tuple of ndarray, each (k, k)
        Penalty matrices as the basis defines them (before mgcv's rescaling).
    null_space_dim : int
        Dimension of the penalty null space (mgcv's ``null.space.dim``).
    rank : tuple of int
        Rank of each penalty (mgcv's ``rank``).
    state : mapping
        What :func:`predict_matrix` needs to rebuild the columns (knots...), JSON-able.
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
        lists), so :meth:`predict_matrix` reproduces :attr:`X` on the fitting data.
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
    """What a registered basis provides (one module per basis under aurora/smooths)."""

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
