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
    * formula, ``cross_val_score("y ~ x1 + x2", data, ...)``: fits :func:`aurora.glm`
      on the complete cases of ``data`` (rows with missing values are left out, as
      ``glm`` leaves them out). The test response is read as ``glm`` reads it, so
      ``log(y)`` and ``cbind(s, f)`` (proportion ``s / (s + f)`` with ``s + f`` trials
      as weights) responses work.

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
        Passed to the fitting function (``link``, ``backend`` for ``fit_glm``, ``engine``
        for ``aurora.glm``, ...). An ``offset`` array is split with the rows and passed to
        ``predict`` for the test rows; ``offset()`` terms of a formula need nothing.

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
    >>> scores = cross_val_score(X, y, family="poisson", cv=KFold(5))
    >>> sorted(scores), scores["deviance"].shape
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
        import aurora

        # the response exactly as aurora.glm reads it (transforms, cbind, factors), on
        # the complete cases it would use
        plan = aurora.compile_plan(formula, data, family, weights=weights, offset=offset)
        rows = data.index.get_indexer(plan.row_index)
        data = data.iloc[rows]
        response, scoring_w = np.asarray(plan.y, dtype=np.float64), np.asarray(plan.weights, dtype=np.float64)
        n, split_on = len(data), data
        if weights is not None and not isinstance(weights, str):
            weights = np.asarray(_m._to_numpy(weights), dtype=np.float64).ravel()[rows]
        if offset is not None and not isinstance(offset, str):
            offset = np.asarray(_m._to_numpy(offset), dtype=np.float64).ravel()[rows]

        def fit(train: np.ndarray, w: Any, off: Any) -> Any:
            return aurora.glm(formula, data.iloc[train], family=family, weights=w, offset=off, **fit_kwargs)

        def predict(result: Any, test: np.ndarray, off: Any) -> Any:
            return result.predict(newdata=data.iloc[test], type="response", offset=off)

    else:
        from aurora.models.glm import fit_glm, predict_glm

        response = np.asarray(_m._to_numpy(y), dtype=np.float64).ravel()
        n, split_on = _n_samples(X), X
        if weights is not None:
            weights = np.asarray(_m._to_numpy(weights), dtype=np.float64).ravel()
        scoring_w = np.ones(n) if weights is None else weights
        if offset is not None:
            offset = np.asarray(_m._to_numpy(offset), dtype=np.float64).ravel()

        def fit(train: np.ndarray, w: Any, off: Any) -> Any:
            return fit_glm(_take(X, train), _take(y, train), family=family, weights=w, offset=off, **fit_kwargs)

        def predict(result: Any, test: np.ndarray, off: Any) -> Any:
            return predict_glm(result, _take(X, test), type="response", offset=off)

    for name, arr in (("y", response), ("weights", weights), ("offset", offset)):
        if isinstance(arr, np.ndarray) and arr.size != n:
            raise DataError(f"{name} has {arr.size} values but the data have {n} rows")

    def rows_of(a: Any, idx: np.ndarray) -> Any:  # column names pass through unchanged
        return a[idx] if isinstance(a, np.ndarray) else a

    scores: dict[str, list[float]] = {name: [] for name in scorers}
    for train, test in splitter.split(split_on, response):
        train, test = np.asarray(train), np.asarray(test)
        result = fit(train, rows_of(weights, train), rows_of(offset, train))
        mu = np.asarray(_m._to_numpy(predict(result, test, rows_of(offset, test))), dtype=np.float64).ravel()
        w_tr, w_te = scoring_w[train], scoring_w[test]
        null_mu = float(np.sum(w_tr * response[train]) / np.sum(w_tr))
        fam = getattr(result, "family", None) or family
        for name, scorer in scorers.items():
            scores[name].append(scorer(response[test], mu, w_te, fam, null_mu))
    return {name: np.asarray(values, dtype=np.float64) for name, values in scores.items()}
