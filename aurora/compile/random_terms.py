"""Random-effect terms ``(expr | g)`` compiled as lme4's ``mkReTrms`` does.

Each bar becomes a :class:`ReTerm`: the grouping factor as level codes (one per row), a
small dense per-row model matrix ``X`` (``n x k``, R's ``model.matrix(~ expr)``) and the
names of its columns. The term's block of ``Z`` is the row-wise Khatri-Rao product of the
indicator matrix of the factor with ``X``: random effect ``level * k + j`` multiplies
``X[:, j]`` on the rows of ``level`` (lme4's ordering of ``Zt``'s rows).

The relative covariance factor is block diagonal, ``Lambda = diag(I_nl (x) T_i)``, with
``T_i`` lower triangular, filled from ``theta`` column by column (lme4's
``getME(m, "theta")`` layout); the diagonal elements of each ``T_i`` are bounded below by 0.

Terms are reordered by decreasing number of levels as ``mkReTrms`` does (only when some
term has more levels than the one before it, as ``rev(order(nl))``, which also reverses
ties). Reference: Bates, Maechler, Bolker & Walker (2015), JSS 67(1), section 2.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from aurora.errors import DataError, ModelSpecError
from aurora.formula.ast import RandomEffect

__all__ = ["ReTermSpec", "ReTerm", "RandomTerms", "build_random_terms", "factor_labels",
           "group_codes", "theta_layout"]


@dataclass(frozen=True)
class ReTermSpec:
    """How one random-effect term was built; rebuilds its columns for new data.

    Attributes
    ----------
    bar : RandomEffect
        The formula node.
    group_name : str
        lme4's name of the grouping factor (``"g"``, ``"a:b"``).
    levels : tuple of str
        Level labels in order (R's ``levels(factor(g))``).
    column_names : tuple of str
        Names of the term's columns (lme4's ``cnms``), e.g. ``("(Intercept)", "t")``.
    formulaic_spec : formulaic ModelSpec or None
        Rebuilds the per-row matrix (None for an intercept-only term).
    label : str
        The bar as text (lme4's term name), e.g. ``"1 + t | g"``.
    group : tuple of str
        Grouping variables in lme4's order when it differs from the node's (nested
        ``a/b`` gives lme4's ``b:a``).
    """

    bar: RandomEffect
    group_name: str
    levels: tuple[str, ...]
    column_names: tuple[str, ...]
    formulaic_spec: Any = field(default=None, repr=False, compare=False)
    label: str = ""
    group: tuple[str, ...] = ()

    @property
    def group_variables(self) -> tuple[str, ...]:
        """The grouping variables in lme4's order (``("b", "a")`` for ``a/b``'s ``b:a``)."""
        return self.group or self.bar.group

    @property
    def k(self) -> int:
        return len(self.column_names)

    def model_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The per-row matrix ``X`` (n, k) of new data."""
        if self.formulaic_spec is None:
            return np.ones((len(frame), 1))
        from aurora.compile.context import r_context, run_formulaic

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mm = run_formulaic(self.formulaic_spec.get_model_matrix, frame, na_action="ignore",
                               context=r_context())
        return np.asarray(mm, dtype=float)

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Level codes of new data: ``-1`` for levels not seen in the fit (or missing)."""
        labels, _ = factor_labels(frame, self.group_variables)
        lookup = {lv: i for i, lv in enumerate(self.levels)}
        return np.fromiter((lookup.get(v, -1) if v is not None else -1 for v in labels),
                           dtype=np.intp, count=len(labels))


@dataclass(frozen=True)
class ReTerm:
    """One compiled random-effect term, bound to the rows of the fit.

    Attributes
    ----------
    spec : ReTermSpec
    codes : ndarray of int, shape (n,)
        Level of each row, ``0 .. nl - 1``.
    X : ndarray, shape (n, k)
        Per-row model matrix of the term.
    """

    spec: ReTermSpec
    codes: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)

    @property
    def nl(self) -> int:
        """Number of levels."""
        return len(self.spec.levels)

    @property
    def k(self) -> int:
        """Columns per level."""
        return int(self.X.shape[1])

    @property
    def q(self) -> int:
        """Random effects of the term (``nl * k``)."""
        return self.nl * self.k

    @property
    def ntheta(self) -> int:
        return self.k * (self.k + 1) // 2

    def Z(self) -> sp.csr_matrix:
        """The term's block of ``Z`` (n, nl * k) as a sparse matrix."""
        n, k = self.X.shape
        cols = (self.codes[:, None] * k + np.arange(k)[None, :]).ravel()
        indptr = np.arange(0, n * k + 1, k)
        return sp.csr_matrix((self.X.ravel(), cols, indptr), shape=(n, self.q))


def theta_layout(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each theta element in a ``k x k`` lower triangle, column-major.

    Examples
    --------
    >>> [a.tolist() for a in theta_layout(2)]
    [[0, 1, 1], [0, 0, 1]]
    """
    rows, cols = [], []
    for j in range(k):
        for i in range(j, k):
            rows.append(i)
            cols.append(j)
    return np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp)


@dataclass(frozen=True)
class RandomTerms:
    """All random-effect terms of a model, in lme4's order.

    Attributes
    ----------
    terms : tuple of ReTerm
        Sorted by decreasing number of levels (lme4's ``reorder.terms``).
    formula_order : tuple of int
        Position in the formula of each term.
    """

    terms: tuple[ReTerm, ...]
    formula_order: tuple[int, ...] = ()

    @property
    def theta_offsets(self) -> np.ndarray:
        return np.cumsum([0] + [t.ntheta for t in self.terms])

    @property
    def b_offsets(self) -> np.ndarray:
        """Start of each term's random effects in ``b`` (lme4's ``Gp``)."""
        return np.cumsum([0] + [t.q for t in self.terms])

    @property
    def q(self) -> int:
        return int(sum(t.q for t in self.terms))

    @property
    def theta0(self) -> np.ndarray:
        """lme4's starting value: 1 on the diagonals, 0 elsewhere."""
        return np.concatenate([(theta_layout(t.k)[0] == theta_layout(t.k)[1]).astype(float)
                               for t in self.terms])

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds of theta: 0 for diagonal elements, ``-inf`` for the others."""
        return np.where(self.theta0 == 1.0, 0.0, -np.inf)

    @property
    def group_names(self) -> tuple[str, ...]:
        """Distinct grouping factors in term order (lme4's ``names(flist)``)."""
        return tuple(dict.fromkeys(t.spec.group_name for t in self.terms))

    @property
    def ngrps(self) -> dict[str, int]:
        """Levels of each grouping factor (lme4's ``ngrps``)."""
        out: dict[str, int] = {}
        for t in self.terms:
            out.setdefault(t.spec.group_name, t.nl)
        return out

    def lambda_blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """``T_i`` (k x k, lower triangular) of each term for a given ``theta``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from aurora.formula import parse
        >>> df = pd.DataFrame({"t": np.arange(9.), "g": list("aaabbbccc")})
        >>> rt = build_random_terms(parse("y ~ (1 + t | g)").random_effects, df)
        >>> rt.lambda_blocks(np.array([1., 2., 3.]))[0].tolist()
        [[1.0, 0.0], [2.0, 3.0]]
        """
        out = []
        off = self.theta_offsets
        for i, t in enumerate(self.terms):
            T = np.zeros((t.k, t.k))
            r, c = theta_layout(t.k)
            T[r, c] = theta[off[i]:off[i + 1]]
            out.append(T)
        return out

    def Z(self) -> sp.csc_matrix:
        """The whole random-effects model matrix ``Z`` (n, q), sparse."""
        return sp.hstack([t.Z() for t in self.terms], format="csc")

    def Lambda(self, theta: np.ndarray) -> sp.csc_matrix:
        """``Lambda(theta)`` (q, q), sparse lower triangular (lme4's ``t(Lambdat)``)."""
        return sp.block_diag([sp.kron(sp.identity(t.nl), T) for t, T in
                              zip(self.terms, self.lambda_blocks(theta))], format="csc")


def _deparse_group(group: tuple[str, ...], nested: bool = False) -> str:
    """lme4's name of a grouping factor: ``a:b``; a nested one (from ``a/b/c``, reversed
    already) as lme4's ``expandSlash`` builds it, ``c:(b:a)``."""
    from aurora.formula._print import format_name

    names = [format_name(g) for g in group]
    if not nested or len(names) < 3:
        return ":".join(names)
    s = f"{names[-2]}:{names[-1]}"
    for x in reversed(names[:-2]):
        s = f"{x}:({s})"
    return s


def _lme4_bars(bars: tuple[RandomEffect, ...], text: str) -> list[tuple[RandomEffect, tuple, bool]]:
    """The bars in lme4's order, with lme4's grouping-factor order.

    lme4 expands ``(x || a/b)`` to ``(1 | a/b) + (0 + x | a/b)`` and each ``(e | a/b)`` to
    ``(e | b:a) + (e | a)``: the deepest interaction first, its factors reversed. The
    nodes of one bar share its source span, which tells a nested bar (``/`` in its
    grouping part) from ``(1 | a) + (1 | a:b)``.
    """
    spans: dict[tuple[int, int], list[RandomEffect]] = {}
    for b in bars:
        spans.setdefault((b.span.start, b.span.end), []).append(b)
    out = []
    for (start, end), nodes in spans.items():
        src = text[start:end] if text and end > start else ""
        nested = "/" in src.split("|")[-1]
        if not nested or len(nodes) == 1:
            out += [(n, n.group, False) for n in nodes]
            continue
        keys = list(dict.fromkeys((n.intercept, n.terms) for n in nodes))
        for key in keys:
            sub = [n for n in nodes if (n.intercept, n.terms) == key]
            out += [(n, tuple(reversed(n.group)), True) for n in reversed(sub)]
    return out


def factor_labels(frame: pd.DataFrame, group: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Level label of each row of the grouping factor ``g`` or ``a:b``, and the levels.

    The levels are those of R's ``factor()`` (sorted values; categorical columns keep their
    category order) and, for an interaction, lme4's ``%i%``: the combinations present,
    ordered by the first factor's level, then the second's.
    Missing values give ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [2, 1, 2, 10], "b": list("xyyx")})
    >>> factor_labels(df, ("a",))[1]
    ('1', '2', '10')
    >>> factor_labels(df, ("a", "b"))[1]
    ('1:y', '2:x', '2:y', '10:x')
    """
    codes, levels = group_codes(frame, group)
    lv = np.asarray(levels + (None,), dtype=object)
    return lv[codes], levels


def group_codes(frame: pd.DataFrame, group: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Level codes (``-1`` for missing) and levels of the grouping factor ``g`` or ``a:b``
    (see :func:`factor_labels`).

    Examples
    --------
    >>> import pandas as pd
    >>> group_codes(pd.DataFrame({"a": ["u", "v", "u"]}), ("a",))[0].tolist()
    [0, 1, 0]
    """
    codes, levels = _factor_codes(frame[group[0]])
    for name in group[1:]:
        c2, l2 = _factor_codes(frame[name])
        joint = np.where((codes >= 0) & (c2 >= 0), codes.astype(np.int64) * len(l2) + c2, -1)
        present = np.unique(joint[joint >= 0])
        new = np.full(joint.shape, -1, dtype=np.intp)
        ok = joint >= 0
        new[ok] = np.searchsorted(present, joint[ok])
        levels = tuple(f"{levels[int(v) // len(l2)]}:{l2[int(v) % len(l2)]}" for v in present)
        codes = new
    return codes, levels


def _factor_codes(col: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes (``-1`` for missing) and level labels of a column as R's ``factor()``."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        labels = tuple(_level_text(v) for v in cats)
        return col.cat.codes.to_numpy().astype(np.intp), labels
    if pd.api.types.is_bool_dtype(col.dtype):
        vals = col.to_numpy()
        missing = pd.isna(vals)
        b = np.where(missing, False, vals).astype(bool)
        present = sorted(set(b[~missing].tolist()))
        labels = tuple("TRUE" if v else "FALSE" for v in present)
        codes = np.where(missing, -1, np.searchsorted(np.array(present, dtype=bool), b))
        return codes.astype(np.intp), labels
    if pd.api.types.is_numeric_dtype(col.dtype):
        vals = col.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(vals)
        uniq, inv = np.unique(vals[ok], return_inverse=True)
        codes = np.full(len(vals), -1, dtype=np.intp)
        codes[ok] = inv
        return codes, tuple(_level_text(v) for v in uniq)
    cat = pd.Categorical(col)
    try:
        cats = sorted(cat.categories)
    except TypeError:
        cats = sorted(cat.categories, key=str)
    cat = pd.Categorical(col, categories=cats)
    return cat.codes.astype(np.intp), tuple(_level_text(v) for v in cats)


def _level_text(v: Any) -> str:
    """A level as R's ``as.character`` writes it (numbers with 15 significant digits)."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        from aurora.distributions._rformat import r_format

        return r_format(float(v))
    return str(v)


def _term_matrix(bar: RandomEffect, frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """R's ``model.matrix(~ expr, frame)`` of the bar's left-hand side."""
    if not bar.terms:
        if not bar.intercept:
            raise ModelSpecError(f"the random-effect term {bar} has no columns",
                                 "give the term an intercept or a variable, e.g. (1 | g)")
        return np.ones((len(frame), 1)), ("(Intercept)",), None
    from aurora.compile.frame import factor_levels
    from aurora.compile.plan import _layout, _r_factor_order

    terms = _r_factor_order(bar.terms)
    layout = _layout(terms, frame, factor_levels(frame), bar.intercept, set(), set())
    _, fspec, mm, names = layout[:4]
    X = np.ascontiguousarray(np.asarray(mm, dtype=float))
    if not np.all(np.isfinite(X)):
        raise DataError(f"non-finite values in the columns of the random-effect term {bar}",
                        "transform the data so every term is finite")
    return X, tuple(names), fspec


def _label(bar: RandomEffect) -> str:
    return str(bar)[1:-1].replace(" || ", " | ")


def build_random_terms(bars: tuple[RandomEffect, ...], frame: pd.DataFrame,
                       check: bool = True, text: str = "") -> RandomTerms:
    """Compile random-effect bars against the model frame (lme4's ``mkReTrms``).

    Parameters
    ----------
    bars : tuple of RandomEffect
        The formula's random-effect nodes (``||`` and ``a/b`` already expanded).
    frame : DataFrame
        The model frame (complete rows only; factors as ``Categorical``).
    check : bool
        Apply lme4's ``checkNlevels`` and ``checkZdims`` (errors for a grouping factor
        with one level, as many levels as rows, or at least as many random effects as
        rows in a term).
    text : str
        The formula's text (the bars' spans index it): nested bars ``(1 | a/b)`` are then
        laid out as lme4 lays them out (``b:a`` before ``a``).

    Returns
    -------
    RandomTerms

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> df = pd.DataFrame({"t": np.arange(12.), "g": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
    ...                    "h": list("abababababab")})
    >>> rt = build_random_terms(parse("y ~ (1 | h) + (1 + t | g)").random_effects, df)
    >>> [(t.spec.group_name, t.nl, t.spec.column_names) for t in rt.terms]
    [('g', 4, ('(Intercept)', 't')), ('h', 2, ('(Intercept)',))]
    >>> rt.theta0.tolist(), rt.lower.tolist()
    ([1.0, 0.0, 1.0, 1.0], [0.0, -inf, 0.0, 0.0])
    """
    if not bars:
        raise ModelSpecError("no random-effect terms in the formula",
                             "add a term such as (1 | g), or fit the model with aurora.glm")
    n = len(frame)
    built = []
    for bar, group, nested in _lme4_bars(bars, text):
        codes, levels = group_codes(frame, group)
        X, names, fspec = _term_matrix(bar, frame)
        name = _deparse_group(group, nested)
        label = _label(bar).rsplit(" | ", 1)[0] + " | " + name
        spec = ReTermSpec(bar, name, levels, names, fspec, label, group)
        built.append(ReTerm(spec, codes, X))
    nl = [t.nl for t in built]
    order = list(range(len(built)))
    if any(b > a for a, b in zip(nl, nl[1:])):
        order = sorted(order, key=lambda i: nl[i])[::-1]  # R: rev(order(nl))
    terms = tuple(built[i] for i in order)
    rt = RandomTerms(terms, tuple(order))
    if check:
        _check_levels(rt, n)
    return rt


def _check_levels(rt: RandomTerms, n: int) -> None:
    """lme4's ``checkNlevels`` and ``checkZdims`` (``lmerControl()`` defaults: stop)."""
    ngrps = rt.ngrps
    one = [g for g, k in ngrps.items() if k < 2]
    if one:
        raise DataError(
            f"grouping factors must have > 1 sampled level (problems: {', '.join(one)})",
            "a random effect needs a grouping factor with at least two levels in the rows used")
    many = [g for g, k in ngrps.items() if k >= n]
    if many:
        raise DataError(
            "number of levels of each grouping factor must be < number of observations "
            f"(problems: {', '.join(many)})",
            "each level must hold more than one observation on average; the grouping factor "
            "looks like a row identifier")
    for t in rt.terms:
        if n <= t.q:
            raise DataError(
                f"number of observations (={n}) <= number of random effects (={t.q}) for term "
                f"({t.spec.label}); the random-effects parameters and the residual variance "
                "(or scale parameter) are probably unidentifiable",
                "use fewer random effects per level (e.g. drop a random slope)")
