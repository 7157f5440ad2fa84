"""Matrix-level GAM API (SPEC §2): thin adapters over :func:`aurora.gam`.

Each function builds a data frame with named columns and an mgcv formula, then calls
:func:`aurora.gam`; nothing is fitted twice or differently, so a result equals the
formula fit it spells (``result.formula`` prints that formula).

Mapping to mgcv
---------------
* ``basis_type="bspline"`` (alias ``"bs"``) is ``s(x, k = n_basis, bs = "bs")``: cubic
  B-splines penalised by the integrated squared second derivative (Wood 2017b). That
  penalty measures wiggliness on the covariate's scale whatever the knot spacing, so it
  stays right for quantile knots (a P-spline's difference penalty, ``bs = "ps"``, assumes
  even spacing).
* ``basis_type="cubic"`` (alias ``"cr"``) is ``s(x, k = n_basis, bs = "cr")``.
* ``knot_method="quantile"``: ``cr`` keeps mgcv's own knots (its ``place.knots``: type-7
  quantiles of the unique covariate values); ``bs`` puts its ``n_basis - 2`` interior
  knots at those quantiles and three outer knots each side spaced by the mean interior
  spacing. ``knot_method="uniform"``: ``bs`` keeps mgcv's own knots (evenly spaced over
  the range widened by 0.1%); ``cr`` gets ``n_basis`` knots evenly spaced from the
  minimum to the maximum. Knots are placed on the complete rows and passed as mgcv's
  ``knots = list(x = ...)``.
* ``lambda_`` fixes the smoothing parameter: mgcv's ``sp`` (on mgcv's penalty scaling).
* ``method="GCV"`` is mgcv's ``"GCV.Cp"`` (UBRE when the scale is known, as for Poisson);
  ``"REML"``, ``"ML"``, ``"UBRE"`` and ``"GCV.Cp"`` pass through.
* ``TensorTerm`` is ``te(...)`` with mgcv's defaults (``cr`` margins, ``k = 5`` each).
* Matrix results name the intercept ``intercept`` (SPEC §3); array columns are ``X0,
  X1, ...`` (``x`` for :func:`fit_gam`) and DataFrame columns keep their names; the
  fitted frame is kept as ``result.model_frame`` (mgcv's ``m$model``) for the plots.
* ``fit_additive_gam`` and ``fit_gam_formula`` default to REML (as :func:`aurora.gam`),
  ``fit_gam`` to GCV (SPEC §2).
* :func:`plot_smooth` / :func:`plot_all_smooths` draw the numbers of
  :func:`aurora.plot.gam.smooth_plot_data` (mgcv's ``plot.gam``), with the band at any
  ``confidence_level``.

References: Wood (2017) *Generalized Additive Models*, 2nd ed., sections 5.3 and 7.2;
Wood (2017b) *Statistics and Computing* 27:985-989.

The terms live in :mod:`aurora.models._gam_terms`, the plots in
:mod:`aurora.models._gam_plots`; both are re-exported here.

Examples
--------
>>> import numpy as np
>>> from aurora.models.gam import fit_gam
>>> rng = np.random.default_rng(0)
>>> x = rng.uniform(size=200)
>>> r = fit_gam(x, np.sin(6 * x) + rng.normal(scale=0.3, size=200), basis_type="cubic")
>>> r.formula
'y ~ s(x, k = 10, bs = "cr")'
"""
from __future__ import annotations

import copy
import dataclasses
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import pandas as pd

from aurora.errors import DataError, UnknownVariableError
from aurora.models._gam_plots import plot_all_smooths, plot_smooth
from aurora.models._gam_terms import (
    BASIS_TYPES, KNOT_METHODS, METHODS, ParametricTerm, SmoothTerm, TensorTerm, _method, _quote,
)

__all__ = ["fit_gam", "SmoothTerm", "ParametricTerm", "TensorTerm", "fit_additive_gam",
           "fit_gam_formula", "plot_smooth", "plot_all_smooths", "BASIS_TYPES",
           "KNOT_METHODS", "METHODS"]


# ---------------------------------------------------------------------- fitting
def _to_numpy(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _as_frame(X: Any) -> pd.DataFrame:
    """X as a new frame on 0..n-1: DataFrame columns keep names and dtypes (categoricals
    stay factors); arrays (NumPy, torch, JAX) get columns ``X0, X1, ...``."""
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True).rename(columns=str)
    arr = _to_numpy(X).astype(float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"X must be 1-D or 2-D, got {arr.ndim} dimensions")
    return pd.DataFrame({f"X{j}": arr[:, j] for j in range(arr.shape[1])})


def _response_name(columns: Sequence[str]) -> str:
    name = "y"
    while name in columns:
        name += "_"
    return name


def _check_terms(frame: pd.DataFrame, y: np.ndarray, terms: Sequence[Any], weights: Any
                 ) -> None:
    """Every data problem of the terms at once (missing columns first, then the rest)."""
    cols = [str(c) for c in frame.columns]
    missing = [v for t in terms for v in t.variables if v not in frame.columns]
    if missing:
        err = UnknownVariableError(missing[0], cols)
        err.names = tuple(dict.fromkeys(missing))
        raise err
    problems = []
    if y.shape[0] != len(frame):
        problems.append(f"y has {y.shape[0]} values but X has {len(frame)} rows")
    if weights is not None and np.size(weights) != len(frame):
        problems.append(f"weights has {np.size(weights)} values but X has {len(frame)} rows")
    for t in terms:
        if isinstance(t, ParametricTerm):
            continue
        ks = (t.n_basis,) if isinstance(t, SmoothTerm) else t.n_basis
        for v, k in zip(t.variables, ks):
            col = frame[v]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                problems.append(f"{t.formula_term()}: {v!r} is not numeric; a smooth needs a "
                                "numeric covariate")
                continue
            n_unique = int(pd.unique(col.dropna()).size)
            if k > n_unique:
                problems.append(f"{t.formula_term()}: n_basis = {k} but {v!r} has only "
                                f"{n_unique} unique values (use n_basis <= {n_unique})")
    if problems:
        raise DataError("; ".join(problems), "fix the data or the terms listed")


def _rename_intercept(result: Any) -> Any:
    """SPEC §3: matrix-level coefficient rows are named ``intercept``. A copy of the
    result on the renamed plan (every other attribute kept, cached values dropped)."""
    spec = result.plan.spec
    names = tuple("intercept" if c == "(Intercept)" else c for c in spec.column_names)
    out = copy.copy(result)
    for name, attr in vars(type(result)).items():
        if isinstance(attr, cached_property):
            out.__dict__.pop(name, None)
    out.plan = dataclasses.replace(result.plan, spec=dataclasses.replace(spec, column_names=names))
    return out


def fit_additive_gam(X: Any, y: Any, smooth_terms: Sequence[Any] = (),
                     parametric_terms: Sequence[Any] = (), family: Any = "gaussian",
                     method: str = "REML", weights: Any = None, offset: Any = None,
                     link: Any = None, backend: Any = None):
    """Fit an additive model of smooth, tensor and parametric terms (SPEC §2).

    Parameters
    ----------
    X : DataFrame or array-like, shape (n, p)
        Array columns (NumPy, torch, JAX) are named ``X0, X1, ...``.
    y : array-like, shape (n,)
    smooth_terms : sequence of SmoothTerm or TensorTerm
    parametric_terms : sequence of ParametricTerm or str
    family, link : as :func:`aurora.gam`
    method : {"REML", "GCV", "ML", "UBRE", "GCV.Cp"}
    weights, offset : array-like, optional
    backend : {"numpy", "jax", "torch"}, optional

    Returns
    -------
    GAMResult
        The fit of ``y ~ <parametric terms> + <smooth terms>`` by :func:`aurora.gam`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = rng.uniform(size=(200, 2))
    >>> y = np.sin(6 * X[:, 0]) + X[:, 1] + rng.normal(scale=0.3, size=200)
    >>> r = fit_additive_gam(X, y, [SmoothTerm("X0", basis_type="cubic")], ["X1"])
    >>> list(r.params.index[:2])
    ['intercept', 'X1']
    """
    from aurora.api import gam

    mgcv_method = _method(method)
    frame = _as_frame(X)
    yv = _to_numpy(y).astype(float).ravel()
    par = [ParametricTerm(t) if isinstance(t, str) else t for t in parametric_terms]
    smooth = list(smooth_terms)
    for t in smooth:
        if not isinstance(t, (SmoothTerm, TensorTerm)):
            raise DataError(f"smooth_terms takes SmoothTerm or TensorTerm, not {t!r}")
    for t in par:
        if not isinstance(t, ParametricTerm):
            raise DataError(f"parametric_terms takes ParametricTerm or str, not {t!r}")
    w = None if weights is None else _to_numpy(weights).astype(float).ravel()
    _check_terms(frame, yv, par + smooth, w)
    resp = _response_name(list(frame.columns))
    data = frame.assign(**{resp: yv})
    used = [v for t in par + smooth for v in t.variables]
    complete = data[[resp] + used].notna().all(axis=1).to_numpy() & np.isfinite(yv)
    if w is not None:
        complete &= np.isfinite(w)
    knots = {}
    for t in smooth:
        if isinstance(t, SmoothTerm):
            kv = t.knots(data[t.variable].to_numpy(dtype=float)[complete])
            if kv is not None:
                knots[t.variable] = kv
    rhs = [t.formula_term() for t in par + smooth] or ["1"]
    formula = f"{_quote(resp)} ~ " + " + ".join(rhs)
    result = gam(formula, data, family=family, link=link, method=mgcv_method,
                 knots=knots or None, weights=w, offset=offset, engine=backend or "numpy")
    result.model_frame = data  # mgcv's m$model, for the plots
    return _rename_intercept(result)


def fit_gam(x: Any, y: Any, n_basis: int = 10, basis_type: str = "bspline",
            lambda_: float | None = None, weights: Any = None, knot_method: str = "quantile",
            method: str = "GCV", family: Any = "gaussian", backend: Any = None):
    """Fit one smooth of one covariate, ``y ~ s(x)`` (SPEC §2).

    Parameters
    ----------
    x, y : array-like, shape (n,)
    n_basis : int
        Basis dimension (mgcv's ``k``).
    basis_type : {"bspline", "cubic"}
        mgcv's ``bs = "bs"`` or ``bs = "cr"`` (module notes).
    lambda_ : float, optional
        Fixed smoothing parameter (mgcv's ``sp``); chosen by ``method`` when None.
    weights : array-like, optional
    knot_method : {"quantile", "uniform"}
    method : {"GCV", "REML"} (also "ML", "UBRE", "GCV.Cp")
    family : str or Family, optional
    backend : {"numpy", "jax", "torch"}, optional

    Returns
    -------
    GAMResult
        ``formula`` is ``y ~ s(x, k = n_basis, bs = ...)``; ``model_frame`` holds the data.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0, 1, 100)
    >>> r = fit_gam(x, np.sin(6 * x), n_basis=8, method="REML")
    >>> r.edf.index.tolist()
    ['s(x)']
    """
    arr = _to_numpy(x).astype(float)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"x must be one covariate (shape (n,)), got shape {arr.shape}",
                        "use fit_additive_gam for several covariates")
    term = SmoothTerm("x", n_basis, basis_type, lambda_, knot_method)
    return fit_additive_gam(pd.DataFrame({"x": arr}), y, [term], family=family,
                            method=method, weights=weights, backend=backend)


def fit_gam_formula(formula: str, data: Any, method: str = "REML", family: Any = "gaussian",
                    **kwargs: Any):
    """:func:`aurora.gam` with the matrix API's method names (``"GCV"`` is ``"GCV.Cp"``).

    Other keywords (``link``, ``sp``, ``knots``, ``weights``, ``offset``, ``select``,
    ``gamma``, ``engine``...) pass through; coefficient names are mgcv's.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = pd.DataFrame({"x": np.linspace(0, 1, 80)})
    >>> d["y"] = np.cos(5 * d.x)
    >>> fit_gam_formula("y ~ s(x, k = 6)", d, method="GCV").method
    'GCV'
    """
    from aurora.api import gam

    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    result = gam(formula, frame, family=family, method=_method(method), **kwargs)
    if getattr(result, "model_frame", None) is None:
        result.model_frame = frame  # mgcv's m$model, for the plots (rows matched there)
    return result
