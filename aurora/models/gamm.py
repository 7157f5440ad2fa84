"""Matrix-level mixed models (SPEC §2): ``RandomEffect``, ``fit_gamm``, ``predict_from_gamm``
and ``fit_pql_smooth`` (:mod:`aurora.models.gamm_pql`).

Thin adapters over the engine :func:`aurora.gamm` and ``aurora.lmer`` use: the arrays
become random-effect terms (level codes plus a per-row matrix,
:mod:`aurora.compile.re_terms`), the fit is lme4's profiled REML/ML
(:mod:`aurora.engine.lmm`), and the result is a
:class:`~aurora.models.mixed_result.MixedResult` with the attributes of the original Aurora
design: ``beta_parametric``, ``variance_components``, ``residual_variance``,
``covariance_params``, ``aic``, ``bic``. A random effect with ``covariance="ar1"`` or
``"compound_symmetry"`` is nlme's residual correlation within its groups, fitted by
:func:`aurora.engine.lme.fit_lme_corr` (:mod:`aurora.models.gamm_corr`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from aurora.errors import DataError, ModelSpecError
from aurora.models.gamm_pql import fit_pql_smooth
from aurora.models.gamm_predict import predict_from_gamm
from aurora.models.gamm_result import GammGlmer, GammMer
from aurora.models.glmer_result import GlmerResult
from aurora.models.mixed_result import MixedResult

__all__ = ["RandomEffect", "fit_gamm", "predict_from_gamm", "fit_pql_smooth", "GammFit",
           "COVARIANCE_TYPES"]

COVARIANCE_TYPES = ("identity", "diagonal", "unstructured", "ar1", "compound_symmetry")
_CORR = {"ar1": "ar1", "compound_symmetry": "cs"}


@dataclass(frozen=True)
class RandomEffect:
    """One random-effect term of :func:`fit_gamm`.

    Parameters
    ----------
    grouping : str or array-like
        The grouping factor: a key of ``groups_data`` (or a column of ``X``), or one label
        per row. Grouping variables are factors whatever their dtype.
    variables : sequence of int or str
        Random slopes: columns of ``X`` (0-based positions in ``X`` as given, or names),
        or keys of ``groups_data``.
    include_intercept : bool
        A random intercept per level.
    covariance : {"identity", "diagonal", "unstructured", "ar1", "compound_symmetry"}
        Covariance of the term's effects: ``sigma_b^2 I``, a diagonal, or lme4's
        unstructured matrix; ``"ar1"`` / ``"compound_symmetry"`` are nlme's residual
        correlation within the groups (``corAR1`` / ``corCompSymm``) instead.

    Examples
    --------
    >>> RandomEffect("subject", variables=(1,), covariance="unstructured").covariance
    'unstructured'
    """

    grouping: Any
    variables: tuple = ()
    include_intercept: bool = True
    covariance: str = "identity"

    def __post_init__(self) -> None:
        if self.covariance not in COVARIANCE_TYPES:
            from aurora.errors import UnknownNameError

            raise UnknownNameError("covariance", str(self.covariance), COVARIANCE_TYPES)
        vs = self.variables
        object.__setattr__(self, "variables", tuple(vs) if isinstance(vs, (list, tuple))
                           else (vs,))
        if not self.include_intercept and not self.variables:
            raise ModelSpecError("a random effect with no intercept and no variables",
                                 "give include_intercept=True or variables=(...)")

    @property
    def name(self) -> str:
        return self.grouping if isinstance(self.grouping, str) else "group"


class _MatrixAPI:
    """The original Aurora design's attributes of a mixed-model fit.

    ``gam`` holds the smooths' view for formula fits with smooths (else None).
    """

    gam: Any = None
    effects: tuple = ()
    intercept_added: bool = False
    x_columns: tuple = ()

    @property
    def theta(self) -> pd.Series:
        names = []
        for t in self.terms.terms:
            n = t.ntheta
            names += [f"{t.spec.group_name}.{j + 1}" if n > 1 else t.spec.group_name
                      for j in range(n)]
        return pd.Series(self.fit.theta, index=names, name="theta")

    @property
    def beta_parametric(self) -> np.ndarray:
        """Fixed effects (the smooths' parametric part for a formula with smooths)."""
        if self.gam is not None:
            n = self.gam.smooths[0].start if self.gam.smooths else len(self.gam.coef)
            return self.gam.coef.to_numpy()[:n]
        return self.fixef.to_numpy()

    @property
    def beta(self) -> np.ndarray:
        return self.beta_parametric

    def _term_covariances(self) -> list[np.ndarray]:
        blocks = self.terms.lambda_blocks(self.fit.theta)
        s2 = self.sigma ** 2
        order = self.terms.formula_order or tuple(range(len(self.terms.terms)))
        pairs = sorted(zip(order, self.terms.terms, blocks), key=lambda e: e[0])
        return [s2 * (T @ T.T) for _, t, T in pairs if not t.dense]

    @property
    def variance_components(self) -> Any:
        """Covariance matrix of each random-effect term's effects (``Psi``): a 2-D array
        for one term, a list in formula order for several (SPEC §3)."""
        vc = self._term_covariances()
        return vc[0] if len(vc) == 1 else vc

    @property
    def residual_variance(self) -> float:
        """``sigma^2`` (1 for GLMMs of families without a scale)."""
        return float(self.sigma ** 2)

    @property
    def covariance_params(self) -> list[np.ndarray]:
        """Per term: ``log`` of the variance (identity), of each variance (diagonal), or the
        log-Cholesky parameters of ``Psi`` (unstructured: log diagonal of its Cholesky
        factor, then the factor's lower off-diagonal elements by column)."""
        out = []
        order = self.terms.formula_order or tuple(range(len(self.terms.terms)))
        pairs = sorted(zip(order, self.terms.terms), key=lambda e: e[0])
        vcs = self._term_covariances()
        for (_, t), V in zip([p for p in pairs if not p[1].dense], vcs):
            cov = t.spec.covariance
            with np.errstate(divide="ignore"):
                if cov == "identity":
                    out.append(np.array([np.log(V[0, 0])]))
                elif cov == "diagonal":
                    out.append(np.log(np.diag(V)))
                else:
                    L = np.linalg.cholesky(V + 1e-300 * np.eye(len(V)))
                    r, c = np.tril_indices(len(V), -1)
                    out.append(np.concatenate([np.log(np.diag(L)), L[r, c]]))
        return out


class GammFit(_MatrixAPI, GammMer):
    """A linear mixed model fitted by :func:`fit_gamm`: a
    :class:`~aurora.models.mixed_result.MixedResult` with the matrix API's attributes."""

    def summary(self):
        return MixedResult.summary(self)


class GammGlmerFit(_MatrixAPI, GammGlmer):
    """A GLMM fitted by :func:`fit_gamm` (lme4's Laplace fit) with the matrix API's
    attributes."""

    def summary(self):
        return GlmerResult.summary(self)


def _frame(X: Any, n_expected: int | None = None) -> pd.DataFrame:
    from aurora.models.gam import _as_frame

    if X is None:
        if n_expected is None:
            raise DataError("give X (fixed effects) or a formula", "fit_gamm(y=..., X=...)")
        return pd.DataFrame(index=range(n_expected))
    arr = X if isinstance(X, pd.DataFrame) else np.asarray(X)
    if getattr(arr, "ndim", 2) == 2 and arr.shape[1] == 0:
        return pd.DataFrame(index=range(arr.shape[0]))
    return _as_frame(X)


def _column(name: Any, frame: pd.DataFrame, groups: pd.DataFrame) -> np.ndarray:
    if isinstance(name, (int, np.integer)):
        if not 0 <= int(name) < frame.shape[1]:
            raise DataError(f"variable {name} is not a column of X ({frame.shape[1]} columns)",
                            "give a 0-based position in X or a column name")
        return frame.iloc[:, int(name)].to_numpy(dtype=float)
    for src in (groups, frame):
        if name in src.columns:
            return src[name].to_numpy()
    raise DataError(f"{name!r} is neither a column of X nor a key of groups_data",
                    "name random slopes by X's column positions or names")


def _var_name(v: Any, frame: pd.DataFrame) -> str:
    return str(frame.columns[int(v)]) if isinstance(v, (int, np.integer)) else str(v)


def _effect_term(re: RandomEffect, frame: pd.DataFrame, groups: pd.DataFrame, n: int,
                 covariance: str | None, index: int):
    from aurora.compile.grouping import group_codes
    from aurora.compile.re_terms import ReTerm, ReTermSpec

    if isinstance(re.grouping, str):
        g = _column(re.grouping, frame, groups)
        gname = re.grouping
    else:
        g = np.asarray(re.grouping).ravel()
        gname = f"group{index + 1}" if index else "group"
    if len(g) != n:
        raise DataError(f"grouping {gname!r} has {len(g)} values for {n} rows",
                        "give one group label per row")
    codes, levels = group_codes(pd.DataFrame({gname: g}), (gname,))
    if np.any(codes < 0):
        raise DataError(f"missing values in the grouping factor {gname!r}",
                        "drop those rows first")
    cols, names = [], []
    if re.include_intercept:
        cols.append(np.ones(n))
        names.append("(Intercept)")
    for v in re.variables:
        cols.append(np.asarray(_column(v, frame, groups), dtype=float))
        names.append(_var_name(v, frame))
    cov = covariance or re.covariance
    lhs = " + ".join((["1"] if re.include_intercept else ["0"]) + names[int(re.include_intercept):])
    spec = ReTermSpec(None, gname, levels, tuple(names), label=f"{lhs} | {gname}",
                      covariance=cov if len(names) > 1 else "unstructured")
    return ReTerm(spec, codes, np.ascontiguousarray(np.column_stack(cols)))


def _fixed(frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], bool]:
    """Fixed effects: ``X`` with an ``intercept`` column first unless one is constant."""
    X = frame.to_numpy(dtype=float) if frame.shape[1] else np.zeros((len(frame), 0))
    names = tuple(str(c) for c in frame.columns)
    const = X.shape[1] and np.any(np.all(X == X[:1], axis=0))
    if const:
        return X, names, False
    return np.column_stack([np.ones(len(frame)), X]), ("intercept",) + names, True


def fit_gamm(y: Any = None, X: Any = None, random_effects: Sequence[RandomEffect] | None = None,
             groups_data: Any = None, covariance: str | None = None, formula: str | None = None,
             data: Any = None, family: Any = "gaussian", use_sparse: bool | None = None,
             method: str = "REML") -> Any:
    """Fit a (generalized) additive mixed model from arrays or from a formula.

    Parameters
    ----------
    y : array-like, shape (n,)
    X : array-like or DataFrame, shape (n, p)
        Fixed effects; an ``intercept`` column is added unless one column is constant.
        Columns are named ``X0, X1, ...`` (or the DataFrame's names).
    random_effects : sequence of RandomEffect
    groups_data : dict or DataFrame, optional
        Grouping factors (and slope variables) named by the random effects.
    covariance : str, optional
        One structure for every random effect (else each effect's own).
    formula, data : str, DataFrame
        The formula form: ``"y ~ s(x) + (1 | g)"`` fitted by :func:`aurora.gamm`.
    family : str
        ``"gaussian"``; other families by the Laplace approximation (lme4's ``glmer``).
    use_sparse : bool, optional
        Accepted for compatibility: the blocked factorisation of :mod:`aurora.engine.lmm`
        is used in every case (sparse where the design is, dense where it fills in).
    method : {"REML", "ML"}

    Returns
    -------
    GammFit
        A :class:`~aurora.models.mixed_result.MixedResult` with ``beta_parametric``,
        ``variance_components``, ``residual_variance``, ``covariance_params``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> subject = np.repeat(np.arange(10), 15)
    >>> time = np.tile(np.arange(15.0), 10)
    >>> y = 2 + 0.5 * time + rng.normal(0, 0.8, 10)[subject] + rng.normal(0, 0.3, 150)
    >>> r = fit_gamm(y=y, X=np.column_stack([np.ones(150), time]),
    ...              random_effects=[RandomEffect("subject")], groups_data={"subject": subject})
    >>> np.round(r.beta_parametric, 3).tolist(), r.variance_components.shape
    ([1.773, 0.492], (1, 1))
    """
    if method not in ("REML", "ML"):
        raise DataError(f"unknown method {method!r}", "use 'REML' or 'ML'")
    REML = method == "REML"
    if formula is not None:
        return _formula_fit(formula, data, family, REML)
    if y is None:
        raise DataError("give y and X (and random_effects), or formula and data",
                        "fit_gamm(y=..., X=..., random_effects=[RandomEffect('g')], ...)")
    yv = np.asarray(pd.Series(np.asarray(y, dtype=float).ravel()), dtype=float)
    n = yv.size
    frame = _frame(X, n)
    if len(frame) != n:
        raise DataError(f"X has {len(frame)} rows and y {n}", "give X one row per observation")
    groups = pd.DataFrame(groups_data).reset_index(drop=True) if groups_data is not None \
        else pd.DataFrame(index=range(n))
    effects = list(random_effects or [])
    if not effects:
        raise ModelSpecError("fit_gamm needs random_effects", "e.g. [RandomEffect('subject')]")
    Xf, names, added = _fixed(frame)
    if not np.all(np.isfinite(yv)) or not np.all(np.isfinite(Xf)):
        raise DataError("y and X must be finite", "drop the rows with missing values first")
    corr = [re for re in effects if (covariance or re.covariance) in _CORR]
    if corr:
        from aurora.models.gamm_corr import fit_with_correlation

        return fit_with_correlation(yv, Xf, names, effects, corr, frame, groups, covariance,
                                    REML, _effect_term)
    built = [_effect_term(re, frame, groups, n, covariance, i) for i, re in enumerate(effects)]
    return _fit_terms(yv, Xf, names, built, family, REML, effects, added, frame)


def _fit_terms(y, Xf, names, built, family, REML, effects, added, frame) -> GammFit:
    from aurora.compile.frame import FrameInfo
    from aurora.compile.random_terms import combine_terms
    from aurora.distributions import get_family
    from aurora.models.gamm_fit import MerPlan

    n = y.size
    terms = combine_terms(built, None, n)
    w, off = np.ones(n), np.zeros(n)
    plan = MerPlan(terms, y, w, off, pd.RangeIndex(n), FrameInfo(n, 0), Xf)
    bars = " + ".join(f"({t.spec.label})" for t in built)
    call = {"formula": "y ~ " + " + ".join([c for c in names if c != "intercept"] or ["1"])
            + " + " + bars, "data": "data"}
    fam = get_family(family)
    if fam.name != "gaussian" or fam.link.name != "identity":
        res = _laplace(plan, fam, names, call)
    else:
        res = GammFit(plan, *_lmm_fit(Xf, y, terms, w, off, REML), names, call, (), None)
    res.effects, res.intercept_added, res.x_columns = tuple(effects), added, tuple(frame.columns)
    return res


def _lmm_fit(Xf: np.ndarray, y: np.ndarray, terms: Any, w: np.ndarray, off: np.ndarray,
             REML: bool) -> tuple:
    from aurora.engine.lmm import lmm_problem
    from aurora.engine.lmm_optimize import fit_lmm

    pr = lmm_problem(Xf, y, terms, w, off)
    return pr, fit_lmm(pr, REML=REML)


def _laplace(plan: Any, fam: Any, names: tuple, call: dict) -> GammGlmerFit:
    """A non-Gaussian family: lme4's Laplace fit (``aurora.glmer``'s engine)."""
    from aurora.engine.glmm import glmm_model
    from aurora.engine.glmm_family import lme_family
    from aurora.engine.glmm_optimize import fit_glmm

    lfam = lme_family(fam)
    lfam.check_response(plan.y, plan.weights)
    n = len(plan.y)
    model = glmm_model(plan.X, plan.y, plan.random, lfam, plan.weights, np.ones(n),
                       plan.offset)
    fit = fit_glmm(model, 1, None, None)
    return GammGlmerFit(plan, model, fit, names, call, (), None)


def _formula_fit(formula: str, data: Any, family: Any, REML: bool) -> GammFit:
    from aurora.models.gamm_formula import gamm

    if data is None:
        raise DataError("the formula form needs data", "fit_gamm(formula=..., data=df)")
    m = gamm(formula, data, family=family, REML=REML)
    mer = m.mer
    cls = GammGlmerFit if isinstance(mer, GammGlmer) else GammFit
    res = cls(mer.plan, mer.problem, mer.fit, mer.column_names, mer.call, mer.fit_messages,
              mer.control)
    res.gam = m.gam if m.gam.smooths else None
    return res
