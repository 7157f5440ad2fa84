"""``compile_plan``: formula + data → :class:`ModelPlan` (stage 2 of the pipeline)."""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from aurora.compile.factor_coding import (CodedFactor, choose_coded_terms, choose_direct_terms,
                                          r_term_order)
from aurora.compile.frame import FrameInfo, as_frame, factor_levels, prepare_frame
from aurora.compile.response import build_response
from aurora.compile.spec import ModelSpec, evaluate_expression
from aurora.compile.translate import NumericLevels, normalise_factor, r_column_name, to_python
from aurora.errors import DataError, ModelSpecError
from aurora.formula.ast import Formula, ParametricTerm, RandomEffect

__all__ = ["ModelPlan", "compile_plan"]


@dataclass(frozen=True)
class ModelPlan:
    """A model ready for the engine: matrices, response, weights, offset, and the spec.

    Attributes
    ----------
    spec : ModelSpec
        Rebuilds the matrices for new data.
    X : ndarray, shape (n, p)
        Parametric model matrix.
    y : ndarray, shape (n,)
    weights : ndarray, shape (n,)
        Prior weights (binomial trials from ``cbind`` folded in, as R's ``glm`` does).
    offset : ndarray, shape (n,)
    n_trials : ndarray or None
        Binomial trials from ``cbind`` (R's ``n``), for the log-likelihood.
    frame : FrameInfo
        Rows omitted for missing values.
    row_index : pandas.Index
        Labels of the rows used.
    response_levels : tuple of str or None
        Levels of a factor response.
    penalties : tuple
        Penalty blocks (empty for a GLM; smooths add them).
    X_predict : ndarray or None
        The model matrix in mgcv's prediction parametrisation where it differs from the
        fitting one (``t2`` terms; mgcv's ``G$P`` maps between them), else None.
    """

    spec: ModelSpec
    X_dense: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    offset: np.ndarray = field(repr=False)
    n_trials: np.ndarray | None = field(repr=False)
    frame: FrameInfo
    row_index: pd.Index = field(repr=False)
    response_levels: tuple[str, ...] | None = None
    penalties: tuple = ()
    factor_codes: tuple[np.ndarray, ...] = field(default=(), repr=False)
    X_predict: np.ndarray | None = field(default=None, repr=False)
    random: Any = field(default=None, repr=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        return self.spec.column_names

    @property
    def nobs(self) -> int:
        return int(self.X_dense.shape[0])

    @cached_property
    def X(self) -> np.ndarray:
        """The full model matrix (dummy columns materialised when factors are coded)."""
        if not self.factor_codes:
            return self.X_dense
        return self.design().to_dense()

    def design(self, backend: Any = None):
        """The model matrix as the engine reads it (a Design on ``backend``)."""
        from aurora.backends import get_backend
        from aurora.engine.design import DenseDesign

        be = get_backend(backend)
        if not self.factor_codes:
            return DenseDesign(self.X_dense, be)
        from aurora.engine.block_design import BlockDesign, CodedBlock

        p = len(self.spec.column_names)
        blocks = []
        for cf, codes in zip(self.spec.coded_factors, self.factor_codes):
            lc = np.full(len(cf.levels), -1, dtype=np.intp)
            lc[1:] = cf.columns
            blocks.append(CodedBlock(codes, lc))
        block = BlockDesign(self.X_dense, self.spec.dense_model_columns, blocks, p)
        if be.name != "numpy":  # coded blocks run on NumPy; other backends get dense X
            return DenseDesign(block.to_dense(), be)
        return block

    def describe(self) -> str:
        """A short text description of the blocks of the model."""
        lines = [f"ModelPlan: n = {self.nobs}, p = {len(self.spec.column_names)}"
                 + (f" ({self.frame.n_omitted} rows omitted for missing values)"
                    if self.frame.n_omitted else "")]
        resp = self.spec.formula.response
        lines.append(f"  response: {resp}")
        for label, cols in zip(self.spec.term_labels, self.spec.term_columns):
            names = ", ".join(self.spec.column_names[i] for i in cols)
            lines.append(f"  term {label}: columns [{names}]")
        if self.spec.offset_exprs or self.spec.offset_arg or np.any(self.offset != 0):
            lines.append("  offset: " + ", ".join(list(self.spec.offset_exprs)
                                                   + ([self.spec.offset_arg] if self.spec.offset_arg else [])))
        lines.append(f"  penalties: {len(self.penalties)}")
        return "\n".join(lines)


def _r_factor_order(terms: tuple[ParametricTerm, ...]) -> tuple[ParametricTerm, ...]:
    """Order the factors of each interaction as R does: by the variable's first appearance
    in the formula (``y ~ f + x:f`` has the term ``f:x``, named ``fB:x``)."""
    first: dict[str, int] = {}
    for t in terms:
        for f in t.factors:
            first.setdefault(f, len(first))
    out = []
    for t in terms:
        factors = tuple(sorted(t.factors, key=first.__getitem__))
        if factors != t.factors:
            t = dataclasses.replace(t, factors=factors, expr=":".join(factors))
        out.append(t)
    return tuple(out)


def _py_factor(f: str, ordered: frozenset[str] = frozenset()) -> str:
    """formulaic text of one factor; ordered factors get R's default ``contr.poly``."""
    return f"C({to_python(f)}, contr.poly)" if f in ordered else to_python(f)


def _python_term(term: ParametricTerm, ordered: frozenset[str] = frozenset()) -> str:
    return ":".join(_py_factor(f, ordered) for f in term.factors)


def _term_key(term: ParametricTerm, ordered: frozenset[str] = frozenset()) -> str:
    return ":".join(normalise_factor(_py_factor(f, ordered)) for f in term.factors)


def _weights_arg(value: Any, data: pd.DataFrame, name: str) -> tuple[str | None, np.ndarray | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        if value not in data.columns:
            from aurora.errors import UnknownVariableError

            raise UnknownVariableError(value, [str(c) for c in data.columns])
        return value, None
    try:
        arr = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise DataError(f"{name} must be numbers, one per row of the data",
                        f"give {name} a numeric column name or a numeric array") from None
    if arr.shape[0] != len(data):
        raise DataError(f"{name} has length {arr.shape[0]} but the data has {len(data)} rows",
                        f"give {name} one value per row of the data")
    return None, arr


def compile_plan(
    formula: str | Formula,
    data: Any,
    family: Any = None,
    weights: Any = None,
    offset: Any = None,
    na_action: str = "omit",
    factor_coding: str = "auto",
    subset: Any = None,
    smooths: bool = False,
    knots: Any = None,
    select: bool = False,
    random: bool = False,
    allow_n: bool = False,
) -> ModelPlan:
    """Compile a formula against data into a :class:`ModelPlan`.

    Parameters
    ----------
    formula : str or Formula
        R-style model formula.
    data : DataFrame
    family : Family or str, optional
        Only used to read binomial responses (``cbind``, factors).
    weights, offset : str, array-like or None
        Prior weights and offset: a column name of ``data`` or one value per row.
    na_action : {"omit", "exclude", "raise"}
        ``"omit"`` drops incomplete rows and records how many (R's default);
        ``"exclude"`` drops them too, and per-row results are padded back with NaN
        (R's ``na.exclude``).
    factor_coding : {"auto", "always", "never"}
        Keep large factor main effects as level codes instead of dummy columns (same
        model, same numbers; less memory and time). ``"auto"`` does so for factors with
        many levels on large data.
    subset : str, array-like of bool, optional
        Rows to use (R's ``subset``): an expression on the columns (``"x > 0 & f != 'b'"``)
        or a mask with one value per row.
    smooths : bool
        Compile smooth terms (``s()``, ``te()``...) into columns and penalty blocks
        (``aurora.gam``); when False, a formula with smooths is refused.
    knots : dict, optional
        Knots of smooth covariates (mgcv's ``knots = list(x = ...)``).
    select : bool
        mgcv's ``select = TRUE``: an extra penalty on each smooth's null space.
    random : bool
        Compile random-effect bars (``(1 + t | g)``) into
        :class:`~aurora.compile.random_terms.RandomTerms` (``plan.random``; the spec then
        describes the fixed part only); when False, a formula with bars is refused.
    allow_n : bool
        lme4's ``allow.n`` for the random-effect checks (glmer's: as many levels or random
        effects as observations are allowed).

    Returns
    -------
    ModelPlan

    Examples
    --------
    >>> import pandas as pd
    >>> from aurora.compile import compile_plan
    >>> df = pd.DataFrame({"y": [1., 3, 2, 5], "x": [1., 2, 3, 4], "f": list("abab")})
    >>> compile_plan("y ~ x + f", df).column_names
    ('(Intercept)', 'x', 'fb')
    """
    from aurora.distributions import get_family
    from aurora.formula import parse

    from aurora.compile.context import check_functions, expand_dot, subset_mask

    ast = parse(formula) if isinstance(formula, str) else formula
    data = as_frame(data)
    if any("." in t.variables for t in ast.terms if hasattr(t, "variables")):
        resp_vars = ast.response.variables if ast.response is not None else ()
        expanded = expand_dot(ast.text or str(ast), list(data.columns), resp_vars)
        if expanded is not None:
            ast = dataclasses.replace(parse(expanded), text=ast.text)
    check_functions(ast)
    if (ast.smooths and not smooths) or (ast.random_effects and not random):
        if ast.smooths and not ast.random_effects:
            raise ModelSpecError(
                f"the formula has smooth terms ({', '.join(map(str, ast.smooths))}), which "
                "aurora.glm does not fit", "fit the model with aurora.gam")
        kinds = sorted({type(t).__name__ for t in ast.smooths + ast.random_effects})
        raise ModelSpecError(
            f"this model has {', '.join(kinds)} terms, which aurora.glm does not fit",
            "fit parametric terms only with aurora.glm; smooths and random effects are "
            "parsed already and will be fitted by aurora.gam / aurora.lmer in later releases",
        )
    fam = get_family(family) if family is not None else get_family("gaussian")
    w_col, w_arr = _weights_arg(weights, data, "weights")
    o_col, o_arr = _weights_arg(offset, data, "offset")
    full_data = data  # R evaluates a formula's functions on every row, then subsets
    if subset is not None:  # R applies subset before na.action, to weights and offset too
        rows = subset_mask(subset, data)
        data = data.loc[rows]
        w_arr = None if w_arr is None else w_arr[rows]
        o_arr = None if o_arr is None else o_arr[rows]
    variables = list(ast.variables) + [c for c in (w_col, o_col) if c]
    extra = {k: v for k, v in (("weights", w_arr), ("offset", o_arr)) if v is not None}
    for label, col in (("weights", w_col), ("offset", o_col)):
        if col and (not pd.api.types.is_numeric_dtype(data[col].dtype)
                    or pd.api.types.is_bool_dtype(data[col].dtype)):
            raise DataError(f"{label} column {col!r} is not numeric ({data[col].dtype})",
                            f"give {label} a numeric column or one number per row")
        if col:
            from aurora.compile.frame import refuse_infinite

            refuse_infinite(f"{label} column {col!r}",
                            data[col].to_numpy(dtype=float, na_value=np.nan), data.index)
    slopes = tuple(p for r in ast.random_effects for p in r.terms)
    bare = {f for t in ast.parametric + slopes for f in t.factors}
    logical = [v for v in variables if v not in bare]  # read only inside calls
    computed = _computed_missing(ast, data, variables, logical)
    if computed is not None:
        extra["values the formula's functions compute"] = computed
    frame, keep, info = prepare_frame(data, variables, extra, na_action, logical=logical)

    resp = build_response(ast.response, frame, fam.name)
    n = len(frame)
    prior = np.ones(n)
    if w_col:
        prior = frame[w_col].to_numpy(dtype=float)
    elif w_arr is not None:
        prior = w_arr[keep]
    if np.any(prior < 0):
        raise DataError("negative weights are not allowed",
                        "prior weights must be >= 0 (use 0 to leave a row out)")
    y = resp.y
    if fam.name in ("binomial", "quasibinomial") and resp.n_trials is None and np.any(prior == 0):
        # binomial()$initialize: rows with zero prior weight get y = 0
        y = np.where(prior == 0, 0.0, y)
    weights_total = prior * resp.n_trials if resp.n_trials is not None else prior

    parametric = _r_factor_order(ast.parametric)
    _check_constants(frame, parametric, ast.intercept)
    levels = factor_levels(frame)
    coded = choose_coded_terms(parametric, frame, ast.intercept, factor_coding)
    direct = choose_direct_terms(parametric, frame, coded)
    learn = None
    if len(frame) < len(full_data) and any("(" in f for t in parametric for f in t.factors):
        from aurora.compile.frame import typed_columns

        learn = typed_columns(full_data, list(frame.columns), logical=logical)
    layout = _layout(parametric, frame, levels, ast.intercept, coded, direct, learn)
    if layout is None:  # formulaic ordered terms unexpectedly: build every column densely
        layout = _layout(parametric, frame, levels, ast.intercept, set(), set(), learn)
    rhs, fspec, mm, names, term_labels, term_cols, dense_cols, coded_factors, direct_cols = layout

    offset_exprs = tuple(to_python(o.expr) for o in ast.offsets)
    off = np.zeros(n)
    for expr in offset_exprs:
        off = off + evaluate_expression(expr, frame)
    if o_col:
        off = off + frame[o_col].to_numpy(dtype=float)
    elif o_arr is not None:
        off = off + o_arr[keep]

    numeric = tuple(c for c in frame.columns if c not in levels)
    fixed_ast = ast  # the spec rebuilds the fixed part; bars are rebuilt by plan.random
    if ast.random_effects:
        fixed_ast = dataclasses.replace(ast, terms=tuple(t for t in ast.terms
                                                         if not isinstance(t, RandomEffect)))
    spec = ModelSpec(fixed_ast, rhs, names, tuple(term_labels), tuple(term_cols), levels, numeric,
                     offset_exprs, o_col, ast.intercept, fspec, offset_array=o_arr is not None,
                     dense_columns=dense_cols, coded_factors=coded_factors,
                     direct_columns=direct_cols,
                     numeric_factor_values=_numeric_factor_values(parametric, frame, levels))
    codes = tuple(frame[cf.variable].cat.codes.to_numpy().astype(np.intp) for cf in coded_factors)
    X, x_cols = _dense_matrix(mm, frame, spec)
    penalties: tuple = ()
    X_predict = None
    if ast.smooths:
        from aurora.compile.smooth_terms import build_smooths

        if coded_factors:  # smooth blocks are dense: keep the parametric part dense too
            return compile_plan(formula, full_data, family, weights, offset, na_action,
                                "never", subset, smooths, knots, select, random, allow_n)
        Xs, penalties, smooth_specs = build_smooths(ast.smooths, frame, knots, len(names),
                                                    select=select, Xp=X)
        smooth_names = tuple(f"{b.label}.{j + 1}" for b in penalties
                             for j in range(b.stop - b.start))
        spec = dataclasses.replace(
            spec, column_names=names + smooth_names, smooths=smooth_specs,
            term_labels=tuple(term_labels) + tuple(b.label for b in penalties),
            term_columns=tuple(term_cols) + tuple(tuple(range(b.start, b.stop))
                                                  for b in penalties))
        from aurora.compile.smooth_terms import prediction_columns

        Xs_pred = prediction_columns(smooth_specs, frame)
        if Xs_pred is not None:
            X_predict = np.column_stack([X, Xs_pred])
        X = np.asfortranarray(np.column_stack([X, Xs]))
        x_cols = list(x_cols) + list(range(len(x_cols), X.shape[1]))
        names = spec.column_names
    if not np.all(np.isfinite(X)):
        bad = [names[x_cols[j]] for j in np.where(~np.all(np.isfinite(X), axis=0))[0]]
        raise DataError(f"non-finite values in model matrix column(s) {bad} "
                        "(e.g. log of a non-positive number)",
                        "transform the data so every term is finite")
    random_terms = None
    if ast.random_effects:
        from aurora.compile.random_terms import build_random_terms

        random_terms = build_random_terms(ast.random_effects, frame, text=ast.text,
                                          allow_n=allow_n)
    return ModelPlan(spec, X, y, weights_total, off, resp.n_trials, info,
                     frame.index, resp.levels, penalties=penalties, factor_codes=codes,
                     X_predict=X_predict, random=random_terms)


def _layout(parametric, frame, levels, intercept, coded, direct, learn=None):
    """Materialise the terms formulaic must build and lay out every column in R's order.

    ``coded`` terms become factor-coded blocks; ``direct`` terms (a plain numeric column)
    are read straight from the frame, saving formulaic's copy of the data. Returns None
    when formulaic's term order differs from R's (then the caller builds all densely).

    ``learn`` (every row of the data, before ``subset`` and ``na.action``) is where the
    functions learn their state, as in R's ``model.frame``, which evaluates ``ns(x)``,
    ``poly(x)``, ``scale(x)``, ``cut(x, 3)`` on all rows and only then drops rows: knots,
    centres and breaks come from all rows, factor levels from the rows kept.
    """
    from formulaic import model_matrix

    from aurora.compile.context import r_context, run_formulaic

    # R codes ordered factors with orthogonal polynomial contrasts (names t.L, t.Q, ...)
    ordered = frozenset(c for c in levels if frame[c].cat.ordered)
    kept = [t for i, t in enumerate(parametric) if i not in coded and i not in direct]
    rhs = " + ".join(["1" if intercept else "0"] + [_python_term(t, ordered) for t in kept])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if learn is None:
            mm = run_formulaic(model_matrix, rhs, frame, ensure_full_rank=True,
                               na_action="ignore", context=r_context())
        else:
            mm = _learn_then_build(rhs, learn, frame)
    fspec = mm.model_spec
    r_text = {normalise_factor(_py_factor(f, ordered)): f for t in parametric for f in t.factors}
    flevels = {normalise_factor(_py_factor(f, ordered)): levels.get(f, ())
               for t in parametric for f in t.factors}
    for key, lv in list(flevels.items()):
        if not lv:  # C(f, sum) and friends: levels of the variable inside
            inner = [v for t in parametric for f in t.factors
                     if normalise_factor(_py_factor(f, ordered)) == key
                     for v in t.variables]
            if inner and inner[0] in levels:
                flevels[key] = levels[inner[0]]
            elif inner and key.startswith("C("):  # a numeric column as a factor
                flevels[key] = NumericLevels(str(v) for v in sorted(set(frame[inner[0]].tolist())))
    fnames = [r_column_name(str(c), r_text, flevels) for c in mm.columns]
    col_index = {str(c): i for i, c in enumerate(mm.columns)}
    fterms = {}  # formulaic term key -> its local column indices, in formulaic's order
    for st in fspec.structure:
        fterms[str(st.term)] = tuple(col_index[c] for c in st.columns)
    labels_by_key = {_term_key(t, ordered): t.expr for t in parametric}
    if not coded and not direct:
        term_labels = ["(Intercept)" if k == "1" else labels_by_key.get(k, k) for k in fterms]
        return (rhs, fspec, mm, tuple(fnames), term_labels, list(fterms.values()), None, (), ())
    # merge: intercept, then terms in R's order: formulaic's columns, a direct column or
    # the coded levels
    if [k for k in fterms if k != "1"] != [_term_key(parametric[i], ordered)
                                           for i in r_term_order(parametric)
                                           if i not in coded and i not in direct]:
        return None
    names, labels, cols = [], [], []
    dense_cols = [0] * len(fnames)
    coded_factors, direct_columns = [], []
    if intercept:
        names.append("(Intercept)")
        labels.append("(Intercept)")
        cols.append((0,))
        dense_cols[fterms["1"][0]] = 0
    for i in r_term_order(parametric):
        t = parametric[i]
        start = len(names)
        if i in coded:
            var = t.variables[0]
            lv = levels[var]
            names += [f"{t.expr}{level}" for level in lv[1:]]
            coded_factors.append(CodedFactor(var, tuple(lv), tuple(range(start, len(names)))))
        elif i in direct:
            direct_columns.append((t.variables[0], start))
            names.append(t.expr)
        else:
            for local in fterms[_term_key(t, ordered)]:
                dense_cols[local] = len(names)
                names.append(fnames[local])
        labels.append(t.expr)
        cols.append(tuple(range(start, len(names))))
    return (rhs, fspec, mm, tuple(names), labels, cols, tuple(dense_cols), tuple(coded_factors),
            tuple(direct_columns))


def _is_missing(value: Any, n: int) -> np.ndarray | None:
    """Rows where a computed value is NA/NaN (not Inf), or None when it cannot tell."""
    if isinstance(value, pd.Series):
        return value.isna().to_numpy() if len(value) == n else None
    if isinstance(value, pd.DataFrame):
        return value.isna().any(axis=1).to_numpy() if len(value) == n else None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        try:
            arr = pd.isna(np.asarray(value, dtype=object))
            return arr.reshape(n, -1).any(axis=1) if arr.size and arr.shape[0] == n else None
        except Exception:  # noqa: BLE001 - cannot tell: let formulaic report it
            return None
    if arr.ndim == 0 or arr.shape[0] != n:
        return None
    return np.isnan(arr.reshape(n, -1)).any(axis=1)


def _computed_missing(ast: Formula, data: pd.DataFrame, variables: list[str],
                      logical: list[str]) -> np.ndarray | None:
    """R's model.frame drops rows where a function of the formula gives NA (``log(-1)``,
    ``cut()`` outside its breaks, ``factor(x, levels = )`` without ``x``'s value), as it
    drops rows with missing data. Returns an array that is NaN at those rows (None when
    there are none), to be handled by ``na_action`` with the rest."""
    from aurora.compile.context import evaluate_python
    from aurora.compile.frame import typed_columns

    exprs = [f for t in ast.parametric for f in t.factors if "(" in f]
    exprs += [o.expr for o in ast.offsets]
    if ast.response is not None and ast.response.kind == "transform":
        exprs.append(ast.response.expr)
    exprs = [e for e in dict.fromkeys(exprs) if not e.startswith(("C(", "poly("))]
    if not exprs:
        return None
    cols = [v for v in variables if v in data.columns]
    frame = typed_columns(data, cols, logical=logical)
    n = len(frame)
    raw_missing = frame.isna().any(axis=1).to_numpy() if cols else np.zeros(n, bool)
    missing = np.zeros(n, dtype=bool)
    for expr in exprs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    value = evaluate_python(to_python(expr), frame)
        except Exception:  # noqa: BLE001 - the model-matrix stage reports it properly
            continue
        m = _is_missing(value, n)
        if m is not None:
            missing |= m
    missing &= ~raw_missing  # rows missing in the data are counted as such already
    if not missing.any():
        return None
    from aurora.errors import DataWarning

    warnings.warn(f"{int(missing.sum())} row(s) where the formula's functions give NA/NaN "
                  "(e.g. log of a negative number, a value outside cut()'s breaks) are "
                  "treated as missing, as R's model.frame does", DataWarning, stacklevel=4)
    return np.where(missing, np.nan, 0.0)


def _learn_then_build(rhs: str, learn: pd.DataFrame, frame: pd.DataFrame):
    """Transforms learn on ``learn`` (all rows); levels and the matrix come from ``frame``."""
    from formulaic import ModelSpec as FormulaicSpec
    from formulaic import model_matrix

    from aurora.compile.context import r_context, run_formulaic

    first = run_formulaic(model_matrix, rhs, learn, ensure_full_rank=True, na_action="ignore",
                          context=r_context())
    state = {}
    for key, st in first.model_spec.transform_state.items():
        # a factor's levels are learnt again on the rows kept (model.frame drops unused
        # levels after na.action); as.numeric() reads codes of the full factor
        st = dict(st)
        if "levels" in st and not key.startswith("as_numeric("):
            st.pop("levels")
        state[key] = st
    spec = FormulaicSpec(formula=first.model_spec.formula, ensure_full_rank=True,
                         na_action="ignore", transform_state=state)
    return run_formulaic(spec.get_model_matrix, frame, context=r_context())


def _numeric_factor_values(parametric, frame: pd.DataFrame, levels: dict) -> dict:
    """Values of numeric columns used as factors through ``C()``, to check new data."""
    out = {}
    for t in parametric:
        for f in t.factors:
            if f.startswith("C(") and t.variables and t.variables[0] not in levels:
                v = t.variables[0]
                out[v] = tuple(sorted(set(frame[v].to_numpy(dtype=float).tolist())))
    return out


def _dense_matrix(mm: pd.DataFrame, frame: pd.DataFrame, spec: ModelSpec) -> tuple[np.ndarray, list[int]]:
    """The dense columns as one Fortran-ordered float64 array (each column one contiguous
    copy; the engine's kernels read either order), and the model column of each.

    Without coded factors this is the whole model matrix in model order; with them, the
    formulaic columns then the direct ones (``spec.dense_model_columns``).
    """
    sources = [(mm.iloc[:, j], c) for j, c in enumerate(spec.dense_columns or range(mm.shape[1]))]
    sources += [(frame[var], c) for var, c in spec.direct_columns]
    if spec.coded_factors:
        X = np.empty((len(frame), len(sources)), dtype=np.float64, order="F")
        cols = [c for _, c in sources]
        for j, (src, _) in enumerate(sources):
            X[:, j] = src.to_numpy(dtype=np.float64)
        return X, cols
    X = np.empty((len(frame), len(spec.column_names)), dtype=np.float64, order="F")
    for src, c in sources:
        X[:, c] = src.to_numpy(dtype=np.float64)
    return X, list(range(X.shape[1]))


def _is_constant(col: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(col.dtype):
        v = col.to_numpy(dtype=float, na_value=np.nan)
        return bool(np.nanmin(v) == np.nanmax(v)) if v.size else True
    return col.nunique(dropna=True) <= 1


def _check_constants(frame: pd.DataFrame, terms: tuple[ParametricTerm, ...], intercept: bool) -> None:
    used = dict.fromkeys(v for t in terms for v in t.variables)
    for name in used:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if len(col.cat.categories) < 2:
                raise DataError(
                    f"factor {name!r} has only one level ({list(col.cat.categories)}) in the rows used",
                    "a factor needs at least two levels; drop it from the formula")
        elif intercept and _is_constant(col):
            raise DataError(
                f"column {name!r} is constant (all values {col.iloc[0]!r}); it cannot be "
                "estimated beside the intercept",
                f"drop {name!r} from the formula")

