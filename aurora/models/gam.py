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
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Sequence

import numpy as np
import pandas as pd

from aurora.errors import DataError, ModelSpecError, UnknownNameError, UnknownVariableError

__all__ = ["fit_gam", "SmoothTerm", "ParametricTerm", "TensorTerm", "fit_additive_gam",
           "fit_gam_formula", "plot_smooth", "plot_all_smooths", "BASIS_TYPES",
           "KNOT_METHODS", "METHODS"]

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
        See the module notes.
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


# ---------------------------------------------------------------------- plots
def _smooth_index(result: Any, term: Any) -> int:
    from aurora.plot.gam import smooth_covariates

    specs = result.plan.spec.smooths
    labels = [s.label for s in specs]
    if isinstance(term, (int, np.integer)) and not isinstance(term, bool):
        if 0 <= term < len(specs):
            return int(term)
    elif term in labels:
        return labels.index(term)
    else:
        want = tuple(term) if isinstance(term, (list, tuple)) else (term,)
        hits = [i for i, s in enumerate(specs) if smooth_covariates(s) == want]
        if len(hits) == 1:
            return hits[0]
    raise UnknownNameError("smooth term", str(term), labels or ["(the model has no smooths)"])


def _panels(result: Any, data: Any, residuals: bool, n_points: int, level: float) -> list:
    """The numbers of each smooth's panel from :func:`aurora.plot.gam.smooth_plot_data`
    (mgcv's plot.gam: the smooth's own columns of the lpmatrix times its coefficients,
    standard errors from its block of ``Vp``), the band rescaled to ``level``."""
    from scipy.stats import norm

    from aurora.plot.gam import smooth_plot_data

    if not 0 < level < 1:
        raise DataError(f"confidence_level must be in (0, 1), got {level}")
    n = int(n_points)
    z = float(norm.ppf(0.5 + level / 2))
    panels = smooth_plot_data(result, data=data, residuals=residuals, n=n,
                              n2=max(10, min(n, 40)))
    return [p if p is None or p.se is None else
            dataclasses.replace(p, se=p.se / p.se_mult * z, se_mult=z) for p in panels]


def _draw(ax: Any, p: Any, residuals: bool, title: Any, xlabel: Any, ylabel: Any) -> None:
    """One panel: 1-D band, rug and partial residuals; 2-D filled contours with the data;
    random effects as a normal Q-Q plot; factor-smooth curves one per level."""
    if p.kind == "1d":
        ax.fill_between(p.x, p.fit - p.se, p.fit + p.se, color="0.88", linewidth=0)
        ax.plot(p.x, p.fit, color="black", linewidth=1.0)
        for sgn in (-1, 1):
            ax.plot(p.x, p.fit + sgn * p.se, color="black", linestyle="--", linewidth=0.8)
        if residuals and p.p_resid is not None and p.show_resid:
            ax.plot(p.raw, p.p_resid, ".", color="0.35", markersize=3)
        ax.plot(p.raw, np.zeros_like(p.raw), "|", color="black", markersize=6,
                transform=ax.get_xaxis_transform(), clip_on=False)
        ax.set_xlim(p.x[0], p.x[-1])
    elif p.kind == "2d":
        Z = np.ma.masked_invalid(p.fit.reshape(p.y.size, p.x.size))
        filled = ax.contourf(p.x, p.y, Z, levels=12, cmap="viridis")
        ax.contour(p.x, p.y, Z, levels=filled.levels, colors="black", linewidths=0.4)
        ax.plot(p.raw[:, 0], p.raw[:, 1], ".", color="white", markersize=2)
        ax.figure.colorbar(filled, ax=ax)
    elif p.kind == "re":
        ax.plot(p.x, np.sort(p.fit), "o", mfc="none", color="black", markersize=4)
    else:
        k = p.x.size
        for i, lev in enumerate(p.levels):
            ax.plot(p.x, p.fit[i * k:(i + 1) * k], linewidth=1.0, label=str(lev))
    ax.set_xlabel(p.xlab if xlabel is None else xlabel)
    ax.set_ylabel(p.ylab if ylabel is None else ylabel)
    ax.set_title(p.main if title is None else title)


def _figure(nrows: int, ncols: int, size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())


def plot_smooth(result: Any, term: Any = 0, confidence_level: float = 0.95,
                partial_residuals: bool = False, title: str | None = None,
                xlabel: str | None = None, ylabel: str | None = None, n_points: int = 100,
                data: Any = None):
    """Plot one smooth with its pointwise confidence band (R: ``plot.gam(m, select = j)``).

    The numbers are mgcv's (:func:`aurora.plot.gam.smooth_plot_data`); the band is
    ``fit +- z se`` with ``z`` the normal quantile of ``confidence_level`` (mgcv draws
    2 se).

    Parameters
    ----------
    result : GAMResult
    term : int or str
        Index of the smooth (from 0), its label (``"s(x)"``) or its covariate (``"x"``).
    confidence_level : float
    partial_residuals : bool
        Add mgcv's partial residuals (not for ``by`` smooths, as mgcv).
    title, xlabel, ylabel : str, optional
        Default: mgcv's labels (``s(x,6.85)`` on the y axis).
    n_points : int
        Grid points of a 1-D smooth (a 2-D smooth uses ``min(n_points, 40)`` per side).
    data : DataFrame, optional
        The fitting data, when the result does not carry it (``result.model_frame``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    i = _smooth_index(result, term)
    p = _panels(result, data, partial_residuals, n_points, confidence_level)[i]
    if p is None:
        raise ModelSpecError(f"{result.plan.spec.smooths[i].label} cannot be drawn "
                             "(3 or more covariates)", "use result.predict(type='lpmatrix')")
    fig, axes = _figure(1, 1, (6.0, 4.5))
    _draw(axes[0], p, partial_residuals, title, xlabel, ylabel)
    return fig


def plot_all_smooths(result: Any, ncols: int = 2, confidence_level: float = 0.95,
                     partial_residuals: bool = False, n_points: int = 100, data: Any = None):
    """Every smooth of ``result`` on one figure, ``ncols`` panels a row (R: ``plot.gam``);
    smooths of 3 or more covariates are left out. Keywords as :func:`plot_smooth`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = [p for p in _panels(result, data, partial_residuals, n_points,
                                 confidence_level) if p is not None]
    if not panels:
        raise DataError("the model has no smooth terms to plot")
    ncols = max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    fig, axes = _figure(nrows, ncols, (4.5 * ncols, 3.6 * nrows))
    for ax, p in zip(axes, panels):
        _draw(ax, p, partial_residuals, None, None, None)
    for ax in axes[len(panels):]:
        fig.delaxes(ax)
    return fig
