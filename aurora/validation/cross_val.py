"""K-fold cross-validation of GLMs.

:class:`KFold` and :class:`StratifiedKFold` produce ``(train_idx, test_idx)`` pairs with
the same folds as scikit-learn's classes of the same names when ``shuffle=False``.
:func:`cross_val_score` refits a GLM on each training fold and scores the held-out fold,
either at the matrix level (``fit_glm``) or from a formula (``aurora.glm``).

Examples
--------
>>> import numpy as np
>>> from aurora.validation.cross_val import KFold
>>> [test.tolist() for _, test in KFold(3).split(np.zeros(7))]
[[0, 1, 2], [3, 4], [5, 6]]
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from aurora.errors import DataError, DataWarning, UnknownNameError
from aurora.validation import metrics as _m

__all__ = ["KFold", "StratifiedKFold", "cross_val_score", "METRICS"]

Split = tuple[np.ndarray, np.ndarray]


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _check_splits(n_splits: Any) -> None:
    if not isinstance(n_splits, (int, np.integer)) or isinstance(n_splits, bool) or n_splits < 2:
        raise DataError(f"n_splits must be an integer >= 2, got {n_splits!r}", "use e.g. n_splits=5")


@dataclass(frozen=True)
class KFold:
    """Split ``n`` observations into ``n_splits`` consecutive folds.

    The first ``n % n_splits`` folds hold ``n // n_splits + 1`` observations, the others
    ``n // n_splits``. With ``shuffle=True`` the observations are permuted first, by a
    NumPy ``Generator`` seeded with ``random_state`` (so shuffled folds differ from
    scikit-learn's, which uses the legacy ``RandomState``).

    Parameters
    ----------
    n_splits : int, default 5
    shuffle : bool, default False
    random_state : int or numpy.random.Generator, optional

    Examples
    --------
    >>> folds = list(KFold(2).split(range(4)))
    >>> folds[0][0].tolist(), folds[0][1].tolist()
    ([2, 3], [0, 1])
    """

    n_splits: int = 5
    shuffle: bool = False
    random_state: Any = None

    def __post_init__(self) -> None:
        _check_splits(self.n_splits)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds."""
        return int(self.n_splits)

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Split]:
        """Yield ``(train_idx, test_idx)`` integer arrays, one pair per fold."""
        n = _n_samples(X)
        if n < self.n_splits:
            raise DataError(
                f"cannot make {self.n_splits} folds of {n} observations",
                "use fewer folds or more data",
            )
        order = _rng(self.random_state).permutation(n) if self.shuffle else np.arange(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        stops = np.cumsum(sizes)
        for start, stop in zip(stops - sizes, stops):
            test = order[start:stop]
            mask = np.ones(n, dtype=bool)
            mask[test] = False
            yield np.flatnonzero(mask), np.sort(test)


@dataclass(frozen=True)
class StratifiedKFold:
    """K folds that keep each class's share of observations about the same in every fold.

    The labels, sorted (classes in order of first appearance), are dealt to the folds in
    turn; this fixes how many members of each class every fold gets, and each class's
    members then fill the folds in order of appearance (shuffled when ``shuffle=True``).
    Unshuffled folds equal scikit-learn's ``StratifiedKFold``.

    Parameters
    ----------
    n_splits : int, default 5
    shuffle : bool, default False
    random_state : int or numpy.random.Generator, optional

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 1]
    >>> [test.tolist() for _, test in StratifiedKFold(2).split(y, y)]
    [[0, 1, 4], [2, 3, 5]]
    """

    n_splits: int = 5
    shuffle: bool = False
    random_state: Any = None

    def __post_init__(self) -> None:
        _check_splits(self.n_splits)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of folds."""
        return int(self.n_splits)

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Split]:
        """Yield ``(train_idx, test_idx)``; ``y`` holds the class labels."""
        if y is None:
            raise DataError("StratifiedKFold.split needs y (the class labels)", "call split(X, y)")
        labels = np.asarray(_m._to_numpy(y)).ravel()
        if labels.size != _n_samples(X):
            raise DataError(f"X has {_n_samples(X)} rows but y has {labels.size} labels")
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        rank_by_appearance = np.argsort(np.argsort(first))
        codes = rank_by_appearance[inverse.ravel()]
        counts = np.bincount(codes)
        k = self.n_splits
        if np.all(counts < k):
            raise DataError(
                f"every class has fewer than n_splits={k} members", "use fewer folds"
            )
        if np.any(counts < k):
            warnings.warn(
                f"the smallest class has only {counts.min()} members, fewer than n_splits={k}",
                DataWarning,
                stacklevel=2,
            )
        dealt = np.sort(codes)
        allocation = np.stack([np.bincount(dealt[i::k], minlength=counts.size) for i in range(k)])
        fold_of = np.empty(labels.size, dtype=np.intp)
        rng = _rng(self.random_state)
        for c in range(counts.size):
            folds_c = np.repeat(np.arange(k), allocation[:, c])
            if self.shuffle:
                folds_c = rng.permutation(folds_c)
            fold_of[codes == c] = folds_c
        for i in range(k):
            yield np.flatnonzero(fold_of != i), np.flatnonzero(fold_of == i)


def _n_samples(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


def _take(a: Any, idx: np.ndarray) -> Any:
    if a is None:
        return None
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    if hasattr(a, "detach"):  # torch tensor
        import torch

        return a[torch.as_tensor(idx, device=a.device)]
    if isinstance(a, (list, tuple)):
        a = np.asarray(a)
    return a[idx]


# ------------------------------------------------------------------------- scoring
def _score_deviance(y, mu, w, fam, null_mu):
    return float(fam.deviance(y, mu, w)) / float(np.sum(w))


METRICS: dict[str, Callable[..., float]] = {
    "deviance": _score_deviance,
    "pseudo_r2": lambda y, mu, w, fam, null_mu: _m.pseudo_r2(y, mu, fam, w, null_mu=null_mu),
    "mse": lambda y, mu, w, fam, null_mu: _m.mean_squared_error(y, mu, w),
    "mae": lambda y, mu, w, fam, null_mu: _m.mean_absolute_error(y, mu, w),
    "rmse": lambda y, mu, w, fam, null_mu: _m.root_mean_squared_error(y, mu, w),
    "accuracy": lambda y, mu, w, fam, null_mu: _m.accuracy_score(y, mu, weights=w),
    "log_loss": lambda y, mu, w, fam, null_mu: _m.log_loss(y, mu, w),
    "brier": lambda y, mu, w, fam, null_mu: _m.brier_score(y, mu, w),
    "concordance": lambda y, mu, w, fam, null_mu: _m.concordance_index(y, mu),
}
"""Metrics known to :func:`cross_val_score` by name; each maps
``(y, mu, weights, family, null_mu)`` of a test fold to a float."""


def _resolve_metrics(metrics: Any) -> dict[str, Callable[..., float]]:
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    items = metrics.items() if isinstance(metrics, Mapping) else ((None, m) for m in metrics)
    out: dict[str, Callable[..., float]] = {}
    for name, metric in items:
        if callable(metric):  # a user metric f(y, mu) -> float
            key = name or getattr(metric, "__name__", f"metric{len(out)}")
            out[key] = lambda y, mu, w, fam, null_mu, f=metric: float(f(y, mu))
        elif metric in METRICS:
            out[name or metric] = METRICS[metric]
        else:
            raise UnknownNameError("metric", str(metric), sorted(METRICS))
    return out


def _inverse_link(result: Any, eta: np.ndarray) -> np.ndarray:
    fam = result.family
    link = getattr(fam, "link", None)
    for owner, attr in ((link, "inverse"), (fam, "linkinv"), (link, "linkinv")):
        fn = getattr(owner, attr, None)
        if callable(fn):
            return np.asarray(_m._to_numpy(fn(eta)), dtype=np.float64)
    raise TypeError(f"cannot find the inverse link of {fam!r}")


_CBIND = re.compile(r"^\s*cbind\s*\((.*)\)\s*$", re.S)


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def _as_response(values: Any) -> np.ndarray:
    arr = np.asarray(_m._to_numpy(values))
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    levels = np.unique(arr.astype(str))  # a two-level factor: the second level is a success
    if levels.size != 2:
        raise DataError(f"cannot use a non-numeric response with {levels.size} levels")
    return (arr.astype(str) == levels[1]).astype(np.float64)


def _formula_response(formula: str, data: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Response of ``formula`` in ``data``, and binomial trials for a ``cbind`` response."""
    if "~" not in formula:
        raise DataError(f"the formula {formula!r} has no '~'", "write it as 'y ~ x1 + x2'")
    lhs = formula.split("~", 1)[0].strip()
    if not lhs:
        raise DataError(f"the formula {formula!r} has no response", "write it as 'y ~ x1 + x2'")

    def evaluate(expr: str) -> np.ndarray:
        expr = expr.strip()
        if expr in getattr(data, "columns", ()):
            return _as_response(data[expr])
        try:
            return _as_response(data.eval(expr.replace("^", "**")))
        except Exception as exc:  # pandas raises many types for bad expressions
            raise DataError(
                f"cannot evaluate the response {expr!r} on the data ({exc})",
                "add the transformed response as a column of the data",
            ) from exc

    match = _CBIND.match(lhs)
    if match:
        args = _split_top_level(match.group(1))
        if len(args) != 2:
            raise DataError(f"cbind() needs two arguments, got {lhs!r}")
        successes, failures = evaluate(args[0]), evaluate(args[1])
        trials = successes + failures
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(trials > 0, successes / trials, 0.0), trials
    return evaluate(lhs), None


def cross_val_score(
    X: Any,
    y: Any = None,
    family: Any = "gaussian",
    cv: Any = KFold(5),
    metrics: Sequence[str | Callable] | Mapping[str, Any] | str = ("deviance", "pseudo_r2"),
    weights: Any = None,
    **fit_kwargs: Any,
) -> dict[str, np.ndarray]:
    """Cross-validated scores of a GLM.

    For each ``(train, test)`` split of ``cv`` the model is refitted on the training rows
    and the test rows are scored from the predicted means ``mu``.

    Two calling forms:

    * matrix level, ``cross_val_score(X, y, ...)``: fits
      :func:`aurora.models.glm.fit_glm` (which adds the intercept);
    * formula, ``cross_val_score("y ~ x1 + x2", data, ...)``: fits :func:`aurora.glm`.
      The response is read from ``data`` by the formula's left-hand side (a column, an
      expression pandas can evaluate such as ``log(y)``, or ``cbind(s, f)``, which gives
      the proportion ``s / (s + f)`` with ``s + f`` trials as weights).

    Parameters
    ----------
    X : array_like of shape (n, p), DataFrame, or str
        Covariates, or a formula.
    y : array_like of shape (n,), or DataFrame
        Response, or the data when ``X`` is a formula.
    family : str or family object, default "gaussian"
    cv : int or splitter, default ``KFold(5)``
        An object with ``split(X, y)`` (``KFold``, ``StratifiedKFold``, scikit-learn
        splitters); an integer ``k`` means ``KFold(k)``. The splitter sees ``y`` (the
        response), so ``StratifiedKFold`` stratifies on the outcome.
    metrics : sequence of names or callables, or mapping name -> metric
        Names from :data:`METRICS`: ``"deviance"`` (the family's weighted mean unit
        deviance ``D(y, mu) / sum(w)``), ``"pseudo_r2"`` (``1 - D(y, mu) / D(y, mu0)``
        with ``mu0`` the weighted mean of the *training* response, i.e. the
        intercept-only model fitted on the same fold), ``"mse"``, ``"mae"``, ``"rmse"``,
        ``"accuracy"``, ``"log_loss"``, ``"brier"``, ``"concordance"``. A callable is
        called as ``f(y_test, mu_test)``.
    weights : array_like of shape (n,), or str, optional
        Prior weights, split with the rows; in the formula form a column name of ``data``
        is accepted. Weighted metrics use the test rows' weights.
    **fit_kwargs
        Passed to the fitting function (``link``, ``backend``/``engine``, ...). An
        ``offset`` array is split with the rows and added to the test linear predictor.

    Returns
    -------
    dict of str -> ndarray of shape (n_splits,)
        One score per fold for each metric.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = rng.poisson(np.exp(0.3 + X @ [0.5, -0.2]))
    >>> scores = cross_val_score(X, y, family="poisson", cv=KFold(5))  # doctest: +SKIP
    >>> sorted(scores), scores["deviance"].shape  # doctest: +SKIP
    (['deviance', 'pseudo_r2'], (5,))
    """
    scorers = _resolve_metrics(metrics)
    splitter = KFold(int(cv)) if isinstance(cv, (int, np.integer)) else cv
    offset = fit_kwargs.pop("offset", None)

    if isinstance(X, str):
        formula = X
        data = y if y is not None else fit_kwargs.pop("data", None)
        if data is None or not hasattr(data, "iloc"):
            raise DataError("the formula form needs a DataFrame as data", "call cross_val_score(formula, df)")
        if isinstance(weights, str):
            weights = data[weights]
        response, trials = _formula_response(formula, data)
        import aurora

        def fit(train: np.ndarray, w: Any, off: Any) -> Any:
            return aurora.glm(formula, data.iloc[train], family=family, weights=w, offset=off, **fit_kwargs)

        def predict(result: Any, test: np.ndarray, kind: str) -> Any:
            return result.predict(newdata=data.iloc[test], type=kind)

        n, split_on = len(data), data
    else:
        from aurora.models.glm import fit_glm, predict_glm

        response, trials = np.asarray(_m._to_numpy(y), dtype=np.float64).ravel(), None

        def fit(train: np.ndarray, w: Any, off: Any) -> Any:
            return fit_glm(_take(X, train), _take(y, train), family=family, weights=w, offset=off, **fit_kwargs)

        def predict(result: Any, test: np.ndarray, kind: str) -> Any:
            return predict_glm(result, _take(X, test), type=kind)

        n, split_on = _n_samples(X), X

    prior = None if weights is None else np.asarray(_m._to_numpy(weights), dtype=np.float64).ravel()
    off = None if offset is None else np.asarray(_m._to_numpy(offset), dtype=np.float64).ravel()
    for name, arr in (("y", response), ("weights", prior), ("offset", off)):
        if arr is not None and arr.size != n:
            raise DataError(f"{name} has {arr.size} values but the data have {n} rows")
    scoring_w = np.ones(n) if prior is None else prior
    if trials is not None:
        scoring_w = scoring_w * trials

    scores: dict[str, list[float]] = {name: [] for name in scorers}
    for train, test in splitter.split(split_on, response):
        train, test = np.asarray(train), np.asarray(test)
        result = fit(
            train,
            None if prior is None else prior[train],
            None if off is None else off[train],
        )
        if off is None:
            mu = np.asarray(_m._to_numpy(predict(result, test, "response")), dtype=np.float64).ravel()
        else:
            eta = np.asarray(_m._to_numpy(predict(result, test, "link")), dtype=np.float64).ravel()
            mu = _inverse_link(result, eta + off[test])
        w_tr, w_te = scoring_w[train], scoring_w[test]
        null_mu = float(np.sum(w_tr * response[train]) / np.sum(w_tr))
        fam = getattr(result, "family", None) or family
        for name, scorer in scorers.items():
            scores[name].append(scorer(response[test], mu, w_te, fam, null_mu))
    return {name: np.asarray(values, dtype=np.float64) for name, values in scores.items()}
