"""Tests of aurora.validation.metrics: hand-derived cases, scikit-learn and statsmodels."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from aurora.errors import DataError, UnknownNameError
from aurora.validation import metrics as M
from aurora.validation.metrics import (
    accuracy_score,
    brier_score,
    concordance_index,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    pseudo_r2,
    root_mean_squared_error,
)

RNG = np.random.default_rng(20240501)


# ------------------------------------------------------------------ inputs & errors
@pytest.mark.parametrize(
    "convert",
    [list, np.asarray, pd.Series, lambda a: np.asarray(a).reshape(-1, 1)],
    ids=["list", "numpy", "pandas", "column"],
)
def test_accepts_array_likes(convert):
    y, mu = [1.0, 2.0, 4.0], [1.0, 3.0, 2.0]
    assert mean_squared_error(convert(y), convert(mu)) == pytest.approx(5 / 3)
    assert mean_absolute_error(convert(y), convert(mu)) == pytest.approx(1.0)


def test_accepts_torch_and_jax():
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    y, mu = [1.0, 2.0, 4.0], [1.0, 3.0, 2.0]
    assert mean_squared_error(torch.tensor(y, requires_grad=True), torch.tensor(mu)) == pytest.approx(5 / 3)
    assert mean_squared_error(jnp.asarray(y), jnp.asarray(mu)) == pytest.approx(5 / 3)


def test_returns_python_float():
    assert type(mean_squared_error([1, 2], [1, 3])) is float
    assert type(concordance_index([0, 1], [0.2, 0.3])) is float


@pytest.mark.parametrize(
    "args, fragment",
    [
        (([1, 2, 3], [1, 2]), "lengths differ"),
        (([], []), "empty"),
        (([1, np.nan], [1, 2]), "NaN"),
        (([1, 2], [[1, 2], [3, 4]]), "one-dimensional"),
    ],
)
def test_bad_input_raises_data_error(args, fragment):
    with pytest.raises(DataError, match=fragment):
        mean_squared_error(*args)


def test_problems_are_collected_into_one_error():
    with pytest.raises(DataError) as info:
        mean_squared_error([1, np.inf, 3], [1, 2], weights=[1, 1, -1])
    text = str(info.value)
    assert "NaN or infinite" in text and "lengths differ" in text


@pytest.mark.parametrize("weights", [[1, -1, 1], [0, 0, 0]])
def test_bad_weights(weights):
    with pytest.raises(DataError, match="weights"):
        mean_squared_error([1, 2, 3], [1, 2, 3], weights=weights)


# ---------------------------------------------------------------------- regression
def test_regression_metrics_by_hand():
    y, mu, w = np.array([0.0, 1.0, 3.0]), np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 1.0])
    # weighted squared errors 1, 0, 4 over total weight 4
    assert mean_squared_error(y, mu, w) == pytest.approx(5 / 4)
    assert root_mean_squared_error(y, mu, w) == pytest.approx(np.sqrt(5 / 4))
    assert mean_absolute_error(y, mu, w) == pytest.approx(3 / 4)


def test_integer_weights_equal_repeated_rows():
    y, mu = RNG.normal(size=30), RNG.normal(size=30)
    w = RNG.integers(1, 4, size=30)
    y_rep, mu_rep = np.repeat(y, w), np.repeat(mu, w)
    for metric in (mean_squared_error, mean_absolute_error, root_mean_squared_error):
        assert metric(y, mu, w) == pytest.approx(metric(y_rep, mu_rep))


def test_regression_metrics_match_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    y, mu, w = RNG.normal(size=50), RNG.normal(size=50), RNG.uniform(0.1, 2, size=50)
    assert mean_squared_error(y, mu, w) == pytest.approx(skm.mean_squared_error(y, mu, sample_weight=w))
    assert mean_absolute_error(y, mu, w) == pytest.approx(skm.mean_absolute_error(y, mu, sample_weight=w))
    assert root_mean_squared_error(y, mu) == pytest.approx(np.sqrt(skm.mean_squared_error(y, mu)))


# ----------------------------------------------------------------------- pseudo R^2
def test_gaussian_deviance_r2_is_r_squared():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    mu = np.array([1.5, 1.5, 3.5, 3.5])
    # SSE = 4 * 0.25 = 1, SST = 5
    assert pseudo_r2(y, mu) == pytest.approx(1 - 1 / 5)
    skm = pytest.importorskip("sklearn.metrics")
    mu2 = RNG.normal(size=40)
    y2 = mu2 + RNG.normal(size=40)
    assert pseudo_r2(y2, mu2) == pytest.approx(skm.r2_score(y2, mu2))


def test_poisson_deviance_r2_by_hand():
    y, mu = np.array([0.0, 2.0, 4.0]), np.array([1.0, 2.0, 3.0])
    ybar = 2.0
    dev = 2 * ((0 - (0 - 1)) + 0 + (4 * np.log(4 / 3) - 1))
    dev0 = 2 * ((0 - (0 - ybar)) + 0 + (4 * np.log(4 / ybar) - 2))
    assert pseudo_r2(y, mu, "poisson") == pytest.approx(1 - dev / dev0)


def test_default_null_mu_is_weighted_mean():
    y, mu, w = RNG.poisson(3, 40).astype(float), RNG.uniform(1, 5, 40), RNG.uniform(0.5, 2, 40)
    explicit = pseudo_r2(y, mu, "poisson", w, null_mu=np.sum(w * y) / np.sum(w))
    assert pseudo_r2(y, mu, "poisson", w) == pytest.approx(explicit)
    other = pseudo_r2(y, mu, "poisson", w, null_mu=np.full(40, 2.0))
    assert other != pytest.approx(explicit)


def test_binary_mcfadden_equals_deviance_r2():
    y = RNG.integers(0, 2, 60).astype(float)
    p = np.clip(0.5 * y + RNG.uniform(0.1, 0.5, 60), 0.01, 0.99)
    assert pseudo_r2(y, p, "binomial", kind="mcfadden") == pytest.approx(pseudo_r2(y, p, "binomial"))


def _statsmodels_fits(family_name):
    sm = pytest.importorskip("statsmodels.api")
    n = 300
    X = sm.add_constant(RNG.normal(size=(n, 2)))
    eta = X @ np.array([0.3, 0.6, -0.4])
    if family_name == "gaussian":
        y, fam = eta + RNG.normal(size=n), sm.families.Gaussian
    elif family_name == "poisson":
        y, fam = RNG.poisson(np.exp(eta)).astype(float), sm.families.Poisson
    else:
        y, fam = RNG.binomial(1, 1 / (1 + np.exp(-eta))).astype(float), sm.families.Binomial
    full = sm.GLM(y, X, family=fam()).fit(tol=1e-12)
    # the null model fitted on its own: its log-likelihood uses its own MLE scale, as R's
    # logLik(glm(y ~ 1)) (statsmodels' llnull keeps the full model's scale for Gaussian)
    null = sm.GLM(y, X[:, :1], family=fam()).fit(tol=1e-12)
    return y, full, null


@pytest.mark.parametrize("family", ["gaussian", "poisson", "binomial"])
def test_pseudo_r2_matches_statsmodels(family):
    y, full, null = _statsmodels_fits(family)
    assert pseudo_r2(y, full.fittedvalues, family) == pytest.approx(
        1 - full.deviance / full.null_deviance, rel=1e-10
    )
    assert pseudo_r2(y, full.fittedvalues, family, kind="mcfadden") == pytest.approx(
        1 - full.llf / null.llf, rel=1e-8
    )


def test_gamma_and_inverse_gaussian_loglik_by_scipy():
    y = RNG.gamma(2.0, 1.5, size=80)
    mu = np.full(80, y.mean()) * RNG.uniform(0.8, 1.2, 80)
    w = np.ones(80)
    # Gamma with dispersion D / n, as R's logLik.glm
    dev = M._FAMILIES["gamma"].deviance(y, mu, w)
    disp = dev / 80
    expected = np.sum(stats.gamma.logpdf(y, 1 / disp, scale=mu * disp))
    assert M._loglik(M._resolve_family("Gamma"), y, mu, w, dev) == pytest.approx(expected)
    # inverse Gaussian: IG(mean m, shape 1/disp) is scipy's invgauss(m * disp, scale=1/disp)
    dev = M._FAMILIES["inverse_gaussian"].deviance(y, mu, w)
    disp = dev / 80
    expected = np.sum(stats.invgauss.logpdf(y, mu * disp, scale=1 / disp))
    assert M._loglik(M._resolve_family("inverse.gaussian"), y, mu, w, dev) == pytest.approx(expected)


def test_binomial_proportions_with_trials_loglik():
    trials = np.array([5.0, 10.0, 3.0])
    successes = np.array([2.0, 7.0, 3.0])
    mu = np.array([0.3, 0.6, 0.8])
    y = successes / trials
    fam = M._resolve_family("binomial")
    dev = fam.deviance(y, mu, trials)
    expected = np.sum(stats.binom.logpmf(successes, trials, mu))
    assert M._loglik(fam, y, mu, trials, dev) == pytest.approx(expected)


def test_zero_weights_drop_rows_in_mcfadden():
    y = RNG.normal(size=20)
    mu = y + RNG.normal(scale=0.5, size=20)
    w = np.ones(20)
    w[:5] = 0
    got = pseudo_r2(y, mu, weights=w, kind="mcfadden")
    assert got == pytest.approx(pseudo_r2(y[5:], mu[5:], kind="mcfadden"))


def test_family_object_is_used():
    class Halved:
        def deviance(self, y, mu, weights=None):
            return 0.5 * float(np.sum((np.asarray(y) - np.asarray(mu)) ** 2))

    y, mu = np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.5, 3.0])
    assert pseudo_r2(y, mu, Halved()) == pytest.approx(pseudo_r2(y, mu, "gaussian"))


def test_family_names_and_errors():
    y, mu = np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.5, 3.0])
    assert pseudo_r2(y, mu, "quasipoisson") == pytest.approx(pseudo_r2(y, mu, "poisson"))
    assert pseudo_r2(y, mu, "Gamma") == pytest.approx(pseudo_r2(y, mu, "gamma"))
    with pytest.raises(UnknownNameError, match="gaussian"):
        pseudo_r2(y, mu, "gausian")
    with pytest.raises(UnknownNameError):
        pseudo_r2(y, mu, kind="cox-snell")
    with pytest.raises(DataError, match="log-likelihood"):
        pseudo_r2(y, mu, "quasipoisson", kind="mcfadden")
    with pytest.raises(DataError, match="null deviance"):
        pseudo_r2([2.0, 2.0], [1.0, 3.0])


# ------------------------------------------------------------------ classification
def test_accuracy_by_hand_and_threshold():
    y, p = [0, 1, 1, 0, 1], [0.2, 0.9, 0.5, 0.6, 0.51]
    assert accuracy_score(y, p) == pytest.approx(3 / 5)  # p == 0.5 predicts 0
    assert accuracy_score(y, p, threshold=0.55) == pytest.approx(2 / 5)
    assert accuracy_score(np.array(y, dtype=bool), p, weights=[1, 1, 0, 0, 1]) == 1.0
    with pytest.raises(DataError, match="0/1"):
        accuracy_score([0, 2], [0.1, 0.9])


def test_log_loss_and_brier_by_hand():
    assert log_loss([1, 0], [0.8, 0.4]) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    assert log_loss([0.25], [0.5]) == pytest.approx(np.log(2))  # a proportion response
    assert np.isfinite(log_loss([1], [0.0]))  # clipped, not infinite
    assert brier_score([1, 0], [0.8, 0.4], weights=[3, 1]) == pytest.approx((3 * 0.04 + 0.16) / 4)
    for metric in (log_loss, brier_score):
        with pytest.raises(DataError, match=r"\[0, 1\]"):
            metric([0, 1], [0.5, 1.5])


def test_classification_metrics_match_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    y = RNG.integers(0, 2, 200)
    p = np.clip(0.3 * y + RNG.uniform(0, 0.7, 200), 1e-3, 1 - 1e-3)
    w = RNG.uniform(0.2, 3, 200)
    assert log_loss(y, p, w) == pytest.approx(skm.log_loss(y, p, sample_weight=w))
    assert brier_score(y, p, w) == pytest.approx(skm.brier_score_loss(y, p, sample_weight=w))
    assert accuracy_score(y, p, weights=w) == pytest.approx(
        skm.accuracy_score(y, (p > 0.5).astype(int), sample_weight=w)
    )


# ----------------------------------------------------------------------- concordance
def _brute_force_c(y, s):
    num = den = 0.0
    for i, j in itertools.combinations(range(len(y)), 2):
        if y[i] == y[j]:
            continue
        den += 1
        hi, lo = (i, j) if y[i] > y[j] else (j, i)
        num += 1.0 if s[hi] > s[lo] else 0.5 if s[hi] == s[lo] else 0.0
    return num / den


def test_concordance_by_hand():
    # pairs (y): (1,2) concordant, (1,3) concordant, (2,3) discordant
    assert concordance_index([1.0, 2.0, 3.0], [0.1, 0.3, 0.2]) == pytest.approx(2 / 3)
    # binary: 4 positive-negative pairs, one tie
    assert concordance_index([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9]) == pytest.approx((3 + 0.5) / 4)


@pytest.mark.parametrize("seed", range(5))
def test_concordance_matches_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 6, 60).astype(float)  # many ties in y
    s = rng.integers(0, 8, 60) + 0.3 * y  # ties in score, some signal
    assert concordance_index(y, s) == pytest.approx(_brute_force_c(y, s), abs=1e-12)


def test_concordance_is_auc_for_binary():
    skm = pytest.importorskip("sklearn.metrics")
    y = RNG.integers(0, 2, 5000)
    s = np.round(RNG.normal(size=5000) + y, 1)  # rounded: many tied scores
    assert concordance_index(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)


def test_concordance_invariances():
    y = RNG.normal(size=100)
    s = y + RNG.normal(size=100)
    c = concordance_index(y, s)
    assert concordance_index(y, np.exp(s)) == pytest.approx(c)  # monotone transform
    assert concordance_index(y, -s) == pytest.approx(1 - c)
    perm = RNG.permutation(100)
    assert concordance_index(y[perm], s[perm]) == pytest.approx(c)
    assert concordance_index(y, np.zeros(100)) == 0.5
    assert concordance_index([1.0, 0.0], [0.2, 0.7]) == 0.0  # two observations
    with pytest.raises(DataError, match="single value"):
        concordance_index(np.ones(5), np.arange(5))


def test_concordance_scales_to_large_n():
    n = 400_000
    y = RNG.integers(0, 2, n)
    s = RNG.normal(size=n) + y
    # Mann-Whitney: AUC = (rank sum of positives - n1 (n1 + 1) / 2) / (n1 n0)
    ranks = stats.rankdata(s)
    n1 = y.sum()
    auc = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (n - n1))
    assert concordance_index(y, s) == pytest.approx(auc, abs=1e-12)
