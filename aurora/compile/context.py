"""The functions a formula may call, R's ``.``, and ``subset=`` expressions.

formulaic evaluates every parametric factor in an evaluation context; Aurora's context is
R's: :mod:`aurora.compile.rfunctions` (``factor``, ``ns``, ``cut``, ``log(x, base)``...)
on top of formulaic's own transforms (``I``, ``C``, ``poly``). A formula that calls a
function outside that list is refused before any data are touched, with a caret under
the call and the list of known functions.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

import numpy as np
import pandas as pd
from formulaic.utils.stateful_transforms import stateful_transform

from aurora.compile.translate import function_calls, to_python, tokenize
from aurora.errors import DataError, FormulaSyntaxError, ModelSpecError

__all__ = ["r_context", "known_functions", "UnknownFunctionError", "check_functions",
           "expand_dot", "evaluate_r", "evaluate_python", "subset_mask", "run_formulaic"]

# functions formulaic provides that Aurora uses as R does, and R's syntax-level calls
_FORMULAIC = ("I", "C", "poly", "offset", "cbind", "c", "log2", "log10", "contr.treatment",
              "contr.sum", "contr.helmert", "contr.poly", "contr.SAS")


class UnknownFunctionError(FormulaSyntaxError, ModelSpecError):
    """A formula calls a function Aurora does not know (R would look it up; we refuse)."""


def _identity(x: Any) -> Any:
    """R's ``I()``: as is; a logical result becomes a FALSE/TRUE factor, as in R."""
    arr = x.to_numpy() if isinstance(x, pd.Series) else np.asarray(x)
    if arr.dtype == bool:
        labels = np.where(arr, "TRUE", "FALSE")
        index = x.index if isinstance(x, pd.Series) else None
        return pd.Series(pd.Categorical(labels, categories=["FALSE", "TRUE"]), index=index)
    return x


@stateful_transform
def _poly(x: Any, degree: int = 1, raw: bool = False, _state: dict | None = None) -> Any:
    """R's ``poly()``: orthogonal polynomials (formulaic's, which follow R's three-term
    recurrence and keep its coefficients for new data) or, with ``raw = TRUE``, the
    powers ``x, x^2, ...`` named ``1, 2, ...`` as R names them."""
    from formulaic.materializers.types import FactorValues
    from formulaic.transforms.poly import poly as formulaic_poly

    if raw:
        arr = np.asarray(x, dtype=float)
        out = np.column_stack([arr ** k for k in range(1, int(degree) + 1)])
        return FactorValues(out, column_names=tuple(str(k) for k in range(1, int(degree) + 1)))
    return formulaic_poly(x, degree, _state=_state)


@stateful_transform
def _ifelse(test: Any, yes: Any, no: Any, _state: dict | None = None,
            _context: Any = None) -> Any:
    """R's ``ifelse``; a character result enters the model as a factor, as in R (its
    levels kept for new data)."""
    from aurora.compile import rfunctions

    out = rfunctions.ifelse(test, yes, no)
    if np.asarray(out).dtype.kind in "USO":
        index = test.index if isinstance(test, pd.Series) else None
        return rfunctions.factor(pd.Series(np.asarray(out, dtype=object), index=index),
                                 _state=_state, _context=_context)
    return out


@lru_cache(maxsize=1)
def r_context() -> Mapping[str, Any]:
    """The evaluation context handed to formulaic (R's functions under Python names)."""
    from aurora.compile.rfunctions import R_FUNCTIONS

    ctx = dict(R_FUNCTIONS)  # R_FUNCTIONS has R's c() too
    ctx["I"] = _identity
    ctx["poly"] = _poly
    ctx["ifelse"] = _ifelse
    ctx.setdefault("pi", np.pi)
    return ctx


@lru_cache(maxsize=1)
def known_functions() -> tuple[str, ...]:
    """R spellings of every function a formula may call."""
    from aurora.compile.rfunctions import KNOWN_FUNCTIONS

    return tuple(sorted(set(KNOWN_FUNCTIONS) | set(_FORMULAIC), key=str.lower))


def _check_text(expr: str, formula_text: str, base: int) -> None:
    known = set(known_functions())
    for name, pos in function_calls(expr):
        if name in known or name.startswith("contr."):
            continue
        where = formula_text.find(name + "(", base) if formula_text else -1
        if where < 0 and formula_text:
            where = formula_text.find(name)
        raise UnknownFunctionError(
            f"unknown function {name}() in the formula",
            formula_text or expr, where if where >= 0 else pos,
            "aurora knows these functions: " + ", ".join(known_functions())
            + "; compute other transformations as new columns of the data")


def check_functions(ast: Any) -> None:
    """Refuse calls to functions outside :func:`known_functions` (response, terms,
    offsets), with a caret under the first unknown call.

    Examples
    --------
    >>> from aurora.formula import parse
    >>> check_functions(parse("y ~ log(x) + factor(f)"))
    >>> check_functions(parse("y ~ foo(x)"))
    Traceback (most recent call last):
    ...
    aurora.compile.context.UnknownFunctionError: unknown function foo() in the formula
      y ~ foo(x)
          ^
    ...
    """
    text = getattr(ast, "text", "") or ""
    if ast.response is not None and ast.response.kind != "cbind":
        _check_text(ast.response.expr, text, 0)
    elif ast.response is not None:
        inner = ast.response.expr[ast.response.expr.index("(") + 1:-1]
        _check_text(inner, text, 0)
    tilde = text.find("~")
    for term in ast.parametric:
        for factor in term.factors:
            _check_text(factor, text, max(tilde, 0))
    for off in ast.offsets:
        _check_text(off.expr, text, max(tilde, 0))


def expand_dot(text: str, columns: list[str], response_vars: tuple[str, ...]) -> str | None:
    """Replace R's ``.`` on the right-hand side by every other column of the data
    (R's "all columns not otherwise in the formula": the response's columns are left
    out). Returns None when the formula has no ``.``.

    Examples
    --------
    >>> expand_dot("y ~ . - x", ["y", "x", "z w"], ("y",))
    'y ~ (x + `z w`) - x'
    """
    toks = tokenize(text)
    tilde = next((i for i, t in enumerate(toks) if t[1] == "~"), None)
    if tilde is None:
        return None
    depth, spots = 0, []
    for kind, tok, pos in toks[tilde + 1:]:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif kind == "name" and tok == "." and depth == 0:
            spots.append(pos)
        elif kind == "name" and tok == "." and depth > 0:
            spots.append(pos)  # (.)^2 and (. | g) read the columns too
    if not spots:
        return None
    others = [c for c in map(str, columns) if c not in response_vars]
    if not others:
        raise ModelSpecError(
            "the formula uses '.' (all other columns) but the data has no column besides the "
            "response", "add predictor columns to the data or name the terms explicitly")
    quoted = [c if c.replace(".", "a").replace("_", "a").isalnum() and not c[0].isdigit()
              else "`" + c.replace("`", "\\`") + "`" for c in others]
    replacement = "(" + " + ".join(quoted) + ")"
    for pos in reversed(spots):
        text = text[:pos] + replacement + text[pos + 1:]
    return text


class _Columns(dict):
    """Columns of a frame, looked up lazily by name (for :func:`evaluate_r`)."""

    def __init__(self, frame: pd.DataFrame, context: Mapping[str, Any]) -> None:
        super().__init__()
        self.frame = frame
        self.context = context

    def __missing__(self, key: str) -> Any:
        if key in self.frame.columns:
            from aurora.compile.frame import numeric_time

            return numeric_time(self.frame[key])
        if key in self.context:
            return self.context[key]
        from formulaic.transforms import TRANSFORMS

        if key in TRANSFORMS:
            return TRANSFORMS[key]
        from aurora.errors import UnknownVariableError

        raise UnknownVariableError(key, [str(c) for c in self.frame.columns])


def evaluate_r(expr: str, frame: pd.DataFrame) -> Any:
    """Evaluate R expression text on the columns of ``frame`` (no builtins, only the
    columns and R's functions of :func:`r_context`).

    Examples
    --------
    >>> import pandas as pd
    >>> evaluate_r("x > 1 & !is_b", pd.DataFrame({"x": [1, 2, 3], "is_b": [False, True, False]})).tolist()
    [False, False, True]
    """
    return evaluate_python(to_python(expr), frame, expr)


def evaluate_python(py: str, frame: pd.DataFrame, shown: str | None = None) -> Any:
    """Evaluate the Python spelling (:func:`to_python`) of an R expression on ``frame``."""
    if "`" in py:
        raise DataError(f"cannot evaluate {shown or py!r}: quoted column names are not "
                        "supported here", "rename the column to a plain name")
    try:
        code = compile(py, "<expression>", "eval")
    except SyntaxError as exc:
        raise FormulaSyntaxError(f"cannot read the expression {shown or py!r}", shown or py,
                                 max((exc.offset or 1) - 1, 0)) from None
    return eval(code, {"__builtins__": {}}, _Columns(frame, r_context()))  # noqa: S307


def subset_mask(subset: Any, data: pd.DataFrame) -> np.ndarray:
    """Rows selected by ``subset=`` (R's ``subset`` argument): a boolean mask (one value
    per row; missing counts as FALSE, as R), an expression string evaluated on the data,
    or integer row positions.

    Examples
    --------
    >>> import pandas as pd
    >>> subset_mask("x != 2", pd.DataFrame({"x": [1, 2, 3]})).tolist()
    [True, False, True]
    """
    n = len(data)
    if isinstance(subset, str):
        value = evaluate_r(subset, data)
    else:
        value = subset
    if isinstance(value, pd.Series):
        if not value.index.equals(data.index) and len(value) == n:
            value = value.to_numpy()
        elif value.index.equals(data.index):
            value = value.to_numpy()
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(n, bool(arr))
    if arr.dtype == bool or arr.dtype == object:
        if arr.shape[0] != n:
            raise DataError(f"subset has length {arr.shape[0]} but the data has {n} rows",
                            "give subset one TRUE/FALSE per row, or an expression string")
        mask = np.asarray(pd.Series(arr).fillna(False).astype(bool))
    elif np.issubdtype(arr.dtype, np.integer):
        mask = np.zeros(n, dtype=bool)
        mask[arr] = True
    else:
        raise DataError(f"subset must be logical, not {arr.dtype}",
                        "give subset one TRUE/FALSE per row, or an expression string")
    if not mask.any():
        raise DataError("subset selects no rows", "check the subset condition")
    return mask


def run_formulaic(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call formulaic, turning its exceptions into Aurora's: an Aurora error raised inside
    a transform (an unseen level, a bad ``ns()`` argument) comes out as itself; anything
    else as a :class:`ModelSpecError` that names the term formulaic could not build."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - translated below
        from aurora.errors import AuroraError

        seen, cause = set(), exc
        while cause is not None and id(cause) not in seen:
            if isinstance(cause, AuroraError):
                raise cause from None
            seen.add(id(cause))
            cause = cause.__cause__ or cause.__context__
        first = str(exc).strip().split("\n")[0]
        raise ModelSpecError(f"cannot build the model matrix: {first}",
                             "check the functions and columns the terms use") from None
