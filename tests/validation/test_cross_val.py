"""Tests of aurora.validation.cross_val: splitters (vs scikit-learn) and cross_val_score.

The splitter tests run without the GLM core; the ``cross_val_score`` tests that fit models
need ``aurora.models.glm`` and ``aurora.glm`` (and compare with statsmodels fits).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from aurora.errors import DataError, DataWarning, UnknownNameError
from aurora.validation import KFold, StratifiedKFold, cross_val_score

RNG = np.random.default_rng(3)


def _check_partition(folds, n):
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))  # each row tested once
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0
        assert train.size + test.size == n


# ------------------------------------------------------------------------- KFold
@pytest.mark.parametrize("n, k", [(10, 2), (11, 3), (100, 5), (7, 7)])
def test_kfold_matches_sklearn(n, k):
    sk = pytest.importorskip("sklearn.model_selection")
    ours = list(KFold(k).split(np.zeros((n, 2))))
    theirs = list(sk.KFold(k).split(np.zeros((n, 2))))
    assert len(ours) == k
    for (tr, te), (tr2, te2) in zip(ours, theirs):
        np.testing.assert_array_equal(tr, tr2)
        np.testing.assert_array_equal(te, te2)


def test_kfold_fold_sizes_by_hand():
    sizes = [te.size for _, te in KFold(3).split(range(11))]
    assert sizes == [4, 4, 3]


def test_kfold_shuffle_is_reproducible_partition():
    a = list(KFold(4, shuffle=True, random_state=1).split(range(50)))
    b = list(KFold(4, shuffle=True, random_state=1).split(range(50)))
    c = list(KFold(4, shuffle=True, random_state=2).split(range(50)))
    _check_partition(a, 50)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))
    assert not np.array_equal(a[0][1], np.arange(13))  # actually shuffled


def test_kfold_accepts_pandas_and_lists():
    df = pd.DataFrame({"x": range(9)})
    assert [te.tolist() for _, te in KFold(3).split(df)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert KFold(3).get_n_splits() == 3


@pytest.mark.parametrize("bad", [1, 0, 2.5, True])
def test_kfold_bad_n_splits(bad):
    with pytest.raises(DataError, match="n_splits"):
        KFold(bad)


def test_kfold_too_few_rows():
    with pytest.raises(DataError, match="folds"):
        list(KFold(5).split(range(3)))


# --------------------------------------------------------------- StratifiedKFold
@pytest.mark.parametrize(
    "y",
    [
        np.array([0] * 30 + [1] * 12),
        RNG.integers(0, 3, 97),
        np.array(list("bbaacacbbbcaacbbacabbbacca")),
    ],
    ids=["imbalanced", "three-classes", "strings"],
)
@pytest.mark.parametrize("k", [2, 3, 5])
def test_stratified_matches_sklearn(y, k):
    sk = pytest.importorskip("sklearn.model_selection")
    X = np.zeros((len(y), 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = list(StratifiedKFold(k).split(X, y))
        theirs = list(sk.StratifiedKFold(k).split(X, y))
    for (tr, te), (tr2, te2) in zip(ours, theirs):
        np.testing.assert_array_equal(tr, tr2)
        np.testing.assert_array_equal(te, te2)


def test_stratified_keeps_class_shares_when_shuffled():
    y = np.array([0] * 40 + [1] * 20 + [2] * 10)
    RNG.shuffle(y)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(y, y))
    _check_partition(folds, y.size)
    for _, test in folds:
        np.testing.assert_array_equal(np.bincount(y[test], minlength=3), [8, 4, 2])
    again = list(StratifiedKFold(5, shuffle=True, random_state=0).split(y, y))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))


def test_stratified_errors_and_warnings():
    with pytest.raises(DataError, match="needs y"):
        list(StratifiedKFold(2).split(np.zeros(4)))
    with pytest.raises(DataError, match="fewer than"):
        list(StratifiedKFold(5).split(np.zeros(4), [0, 0, 1, 1]))
    with pytest.warns(DataWarning, match="smallest class"):
        list(StratifiedKFold(3).split(np.zeros(7), [0, 0, 0, 0, 0, 1, 1]))


# ------------------------------------------------------------- cross_val_score
def _poisson_data(n=240, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    exposure = rng.uniform(0.5, 3, n)
    y = rng.poisson(exposure * np.exp(0.2 + X @ np.array([0.5, -0.3]))).astype(float)
    return X, y, exposure


def test_unknown_metric_is_reported_before_fitting():
    with pytest.raises(UnknownNameError, match="deviance"):
        cross_val_score(np.zeros((10, 1)), np.zeros(10), metrics=["r2"])


def test_gaussian_scores_equal_least_squares_by_hand():
    # needs the GLM core (aurora.models.glm.fit_glm)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = 1 + X @ np.array([2.0, -1.0]) + rng.normal(size=60)
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(X, y, cv=cv, metrics=("deviance", "pseudo_r2", "mse", "rmse", "mae"))
    Xd = np.column_stack([np.ones(60), X])
    for i, (train, test) in enumerate(cv.split(X)):
        beta = np.linalg.lstsq(Xd[train], y[train], rcond=None)[0]
        resid = y[test] - Xd[test] @ beta
        sse = np.sum(resid**2)
        assert scores["deviance"][i] == pytest.approx(sse / test.size)
        assert scores["mse"][i] == pytest.approx(sse / test.size)
        assert scores["rmse"][i] == pytest.approx(np.sqrt(sse / test.size))
        assert scores["mae"][i] == pytest.approx(np.mean(np.abs(resid)))
        sst = np.sum((y[test] - y[train].mean()) ** 2)  # null model fitted on the training fold
        assert scores["pseudo_r2"][i] == pytest.approx(1 - sse / sst)
    assert set(scores) == {"deviance", "pseudo_r2", "mse", "rmse", "mae"}
    assert all(v.shape == (4,) and v.dtype == np.float64 for v in scores.values())


def test_poisson_with_weights_and_offset_matches_statsmodels():
    # needs the GLM core
    sm = pytest.importorskip("statsmodels.api")
    X, y, exposure = _poisson_data()
    w = np.random.default_rng(1).uniform(0.5, 2, y.size)
    off = np.log(exposure)
    scores = cross_val_score(X, y, family="poisson", cv=5, weights=w, offset=off)
    for i, (train, test) in enumerate(KFold(5).split(X)):
        ref = sm.GLM(y[train], sm.add_constant(X[train]), family=sm.families.Poisson(),
                     var_weights=w[train], offset=off[train]).fit(tol=1e-12)
        mu = ref.predict(sm.add_constant(X[test]), offset=off[test])
        dev = sm.families.Poisson().deviance(y[test], mu, var_weights=w[test])
        assert scores["deviance"][i] == pytest.approx(dev / w[test].sum(), rel=1e-7)


def test_binomial_classification_metrics_with_stratified_folds():
    # needs the GLM core
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = rng.binomial(1, 1 / (1 + np.exp(-(X @ np.array([1.0, -0.5, 0.25]))))).astype(float)
    cv = StratifiedKFold(3, shuffle=True, random_state=4)
    names = ("accuracy", "log_loss", "brier", "concordance", "deviance")
    scores = cross_val_score(pd.DataFrame(X, columns=["a", "b", "c"]), pd.Series(y),
                             family="binomial", cv=cv, metrics=names)
    from aurora.validation import metrics as M

    for i, (train, test) in enumerate(cv.split(X, y)):
        ref = sm.GLM(y[train], sm.add_constant(X[train]), family=sm.families.Binomial()).fit(tol=1e-12)
        p = ref.predict(sm.add_constant(X[test]))
        assert scores["accuracy"][i] == pytest.approx(M.accuracy_score(y[test], p))
        assert scores["log_loss"][i] == pytest.approx(M.log_loss(y[test], p), rel=1e-7)
        assert scores["brier"][i] == pytest.approx(M.brier_score(y[test], p), rel=1e-7)
        assert scores["concordance"][i] == pytest.approx(M.concordance_index(y[test], p), abs=1e-12)
        # for 0/1 data the mean unit deviance is twice the log loss
        assert scores["deviance"][i] == pytest.approx(2 * scores["log_loss"][i], rel=1e-7)


def test_formula_form_equals_matrix_form():
    # needs aurora.glm
    X, y, exposure = _poisson_data()
    df = pd.DataFrame({"count": y, "x1": X[:, 0], "x2": X[:, 1], "exposure": exposure})
    cv = KFold(4, shuffle=True, random_state=9)
    by_formula = cross_val_score("count ~ x1 + x2 + offset(log(exposure))", df, family="poisson", cv=cv)
    by_matrix = cross_val_score(X, y, family="poisson", cv=cv, offset=np.log(exposure))
    for name in ("deviance", "pseudo_r2"):
        np.testing.assert_allclose(by_formula[name], by_matrix[name], rtol=1e-8)


def test_formula_cbind_response_uses_trials_as_weights():
    # needs aurora.glm
    rng = np.random.default_rng(8)
    n = 120
    x = rng.normal(size=n)
    trials = rng.integers(1, 12, n)
    succ = rng.binomial(trials, 1 / (1 + np.exp(-(0.3 + 0.8 * x))))
    df = pd.DataFrame({"s": succ, "f": trials - succ, "x": x})
    cv = KFold(3)
    by_cbind = cross_val_score("cbind(s, f) ~ x", df, family="binomial", cv=cv,
                               metrics=["deviance", "pseudo_r2", "brier"])
    by_matrix = cross_val_score(x[:, None], succ / trials, family="binomial", cv=cv,
                                weights=trials.astype(float), metrics=["deviance", "pseudo_r2", "brier"])
    for name in by_cbind:
        np.testing.assert_allclose(by_cbind[name], by_matrix[name], rtol=1e-8)


def test_formula_transformed_response_and_missing_rows():
    # needs aurora.glm: log(y) is read as glm reads it; incomplete rows are left out
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=50)})
    df["y"] = np.exp(1 + 0.5 * df["x"] + 0.1 * rng.normal(size=50))
    complete = df.copy()
    df.loc[[3, 17], "x"] = np.nan
    scores = cross_val_score("log(y) ~ x", df, cv=KFold(5), metrics=["mse"])
    direct = cross_val_score(complete.drop(index=[3, 17])[["x"]].to_numpy(),
                             np.log(complete.drop(index=[3, 17])["y"].to_numpy()),
                             cv=KFold(5), metrics=["mse"])
    np.testing.assert_allclose(scores["mse"], direct["mse"], rtol=1e-10)


def test_callable_metrics_and_int_cv():
    # needs the GLM core
    X, y, _ = _poisson_data(100)

    def max_error(y_true, mu):
        return float(np.max(np.abs(y_true - mu)))

    scores = cross_val_score(X, y, family="poisson", cv=4, metrics={"maxerr": max_error, "mae": "mae"})
    assert set(scores) == {"maxerr", "mae"} and scores["maxerr"].shape == (4,)
    assert np.all(scores["maxerr"] >= scores["mae"])
