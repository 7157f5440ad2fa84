"""Tests of aurora.core.optimization: Newton with step halving, L-BFGS-B, IRLS re-export."""
from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest

from aurora.core import optimization as opt
from aurora.core.optimization import Iteration, OptimizeResult, lbfgs, newton

RNG = np.random.default_rng(11)
X = np.column_stack([np.ones(500), RNG.normal(size=(500, 2))])
Y = RNG.binomial(1, 1 / (1 + np.exp(-X @ np.array([-0.5, 1.0, -0.7])))).astype(float)


def nll(b):
    eta = X @ b
    return float(np.sum(np.logaddexp(0, eta) - Y * eta))


def nll_grad(b):
    return X.T @ (1 / (1 + np.exp(-X @ b)) - Y)


def nll_hess(b):
    mu = 1 / (1 + np.exp(-X @ b))
    return (X * (mu * (1 - mu))[:, None]).T @ X


def test_newton_finds_the_logistic_mle():
    res = newton(nll, nll_grad, nll_hess, np.zeros(3))
    assert isinstance(res, OptimizeResult) and res.converged
    assert np.max(np.abs(nll_grad(res.x))) < 1e-6
    sm = pytest.importorskip("statsmodels.api")
    ref = sm.GLM(Y, X, family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose(res.x, ref.params, rtol=1e-7, atol=1e-9)
    assert res.fun == pytest.approx(-ref.llf)


def test_newton_trace_is_recorded_and_decreasing():
    res = newton(nll, nll_grad, nll_hess, np.zeros(3))
    assert len(res.trace) == res.n_iter >= 3
    assert [r.iteration for r in res.trace] == list(range(1, res.n_iter + 1))
    funs = [nll(np.zeros(3))] + [r.fun for r in res.trace]
    assert all(b <= a + 1e-12 for a, b in zip(funs, funs[1:]))
    np.testing.assert_array_equal(res.trace[-1].x, res.x)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.x = None  # type: ignore[misc]


def test_step_halving_rescues_a_diverging_newton():
    # full Newton steps on sqrt(1 + x^2) map x to -x^3: divergent from |x0| > 1
    f = lambda x: float(np.sqrt(1 + x[0] ** 2))
    g = lambda x: np.array([x[0] / np.sqrt(1 + x[0] ** 2)])
    h = lambda x: np.array([[(1 + x[0] ** 2) ** -1.5]])
    res = newton(f, g, h, [3.0])
    assert res.converged and abs(res.x[0]) < 1e-4
    assert any(r.n_halvings > 0 for r in res.trace)
    assert all(r.step_size in (1.0, 0.5, 0.25, 0.125, 0.0625) or r.step_size > 0 for r in res.trace)


def test_indefinite_hessian_is_shifted():
    # f'' = 12x^2 - 4 < 0 at x0 = 0.1: the raw Newton step would head for the maximum at 0
    f = lambda x: float(x[0] ** 4 - 2 * x[0] ** 2 + 0.5 * x[0])
    g = lambda x: np.array([4 * x[0] ** 3 - 4 * x[0] + 0.5])
    h = lambda x: np.array([[12 * x[0] ** 2 - 4]])
    res = newton(f, g, h, [0.1])
    assert res.converged
    assert abs(g(res.x)[0]) < 1e-6 and h(res.x)[0, 0] > 0
    assert res.fun < f(np.array([0.1]))


def test_newton_callback_sees_iterations_and_can_stop():
    seen = []
    res = newton(nll, nll_grad, nll_hess, np.zeros(3), callback=lambda it: seen.append(it) or it.iteration == 2)
    assert all(isinstance(it, Iteration) for it in seen)
    assert res.n_iter == 2 and len(seen) == 2 and not res.converged
    assert "callback" in res.message


def test_newton_max_iter():
    res = newton(nll, nll_grad, nll_hess, np.zeros(3), max_iter=1)
    assert res.n_iter == 1 and not res.converged and "max_iter" in res.message


def test_newton_rejects_non_finite_start():
    with pytest.raises(ValueError, match="not finite"):
        newton(lambda x: float("nan"), nll_grad, nll_hess, np.zeros(3))


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def test_lbfgs_rosenbrock_with_and_without_gradient():
    res = lbfgs(rosen, [-1.2, 1.0], grad=rosen_grad)
    assert res.converged
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)
    assert len(res.trace) == res.n_iter and res.grad is not None
    fd = lbfgs(rosen, [-1.2, 1.0], tol=1e-6)  # SciPy's finite differences
    np.testing.assert_allclose(fd.x, [1.0, 1.0], atol=1e-3)
    both = lbfgs(lambda x: (rosen(x), rosen_grad(x)), [-1.2, 1.0], grad=True)
    np.testing.assert_allclose(both.x, res.x, atol=1e-10)


def test_lbfgs_agrees_with_newton_on_the_mle():
    res = lbfgs(nll, np.zeros(3), grad=nll_grad, tol=1e-9)
    ref = newton(nll, nll_grad, nll_hess, np.zeros(3))
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)


def test_lbfgs_bounds_and_callback():
    res = lbfgs(lambda x: float((x[0] - 3) ** 2), [0.5], grad=lambda x: np.array([2 * (x[0] - 3)]), bounds=[(0, 1)])
    assert res.x[0] == pytest.approx(1.0)
    seen = []
    stopped = lbfgs(rosen, [-1.2, 1.0], grad=rosen_grad, callback=lambda it: seen.append(it) or it.iteration == 3)
    assert len(seen) == 3 and stopped.n_iter <= 4 and not stopped.converged
    assert stopped.message == "stopped by callback"
    assert all(isinstance(it, Iteration) for it in seen)


def test_irls_forwards_to_the_engine(monkeypatch):
    calls = {}

    def fake_fit_pirls(*args, **kwargs):
        calls["args"], calls["kwargs"] = args, kwargs
        return "estimates"

    fake = types.ModuleType("aurora.engine.pirls")
    fake.fit_pirls = fake_fit_pirls
    monkeypatch.setitem(sys.modules, "aurora.engine.pirls", fake)
    assert opt.irls(1, 2, family="poisson") == "estimates"
    assert calls == {"args": (1, 2), "kwargs": {"family": "poisson"}}
    assert opt.fit_pirls is fake_fit_pirls


def test_irls_is_the_engine_entry_point():
    # needs the engine (aurora.engine.pirls)
    from aurora.engine.pirls import fit_pirls

    assert opt.fit_pirls is fit_pirls
    with pytest.raises(AttributeError):
        opt.no_such_name  # noqa: B018
