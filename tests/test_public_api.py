"""The public names SPEC.md promises for the GLM release import, and every ``__all__`` is true."""
from __future__ import annotations

import importlib

import pytest

SPEC_NAMES = {
    "aurora": ["glm", "gam", "load", "datasets", "summary", "plot", "compare", "parse",
               "compile_plan"],
    "aurora.datasets": ["load"],
    "aurora.models.glm": ["fit_glm", "predict_glm", "GLMResult"],
    "aurora.models.gam": [
        "fit_gam", "SmoothTerm", "ParametricTerm", "TensorTerm", "fit_additive_gam",
        "fit_gam_formula", "plot_smooth", "plot_all_smooths"],
    "aurora.distributions.families": [
        "GaussianFamily", "PoissonFamily", "BinomialFamily", "GammaFamily",
        "InverseGaussianFamily", "WaldFamily", "NegativeBinomialFamily", "TweedieFamily",
        "BetaFamily", "StudentTFamily", "QuasiPoissonFamily", "QuasiBinomialFamily"],
    "aurora.distributions.links": [
        "IdentityLink", "LogLink", "LogitLink", "ProbitLink", "CLogLogLink", "CauchitLink",
        "InverseLink", "InverseSquaredLink", "SqrtLink", "PowerLink"],
    "aurora.distributions.base": ["Family", "LinkFunction"],
    "aurora.distributions._utils": ["namespace", "as_namespace_array"],
    "aurora.validation.metrics": [
        "mean_squared_error", "mean_absolute_error", "root_mean_squared_error", "pseudo_r2",
        "accuracy_score", "log_loss", "brier_score", "concordance_index"],
    "aurora.validation.cross_val": ["KFold", "StratifiedKFold", "cross_val_score"],
    "aurora.io": ["read_csv", "export_coefficients", "load"],
    "aurora.core.backends": ["get_backend"],
    "aurora.backends": ["get_backend"],
    "aurora.core.autodiff": ["gradient", "hessian", "jacobian"],
    "aurora.autodiff": ["gradient", "hessian", "jacobian"],
    "aurora.core.optimization": ["newton", "lbfgs", "irls"],
}


@pytest.mark.parametrize("module", sorted(SPEC_NAMES))
def test_spec_names_exist(module):
    mod = importlib.import_module(module)
    missing = [n for n in SPEC_NAMES[module] if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


@pytest.mark.parametrize("module", sorted(SPEC_NAMES) + [
    "aurora.formula", "aurora.compile", "aurora.engine", "aurora.models", "aurora.inference",
    "aurora.errors", "aurora.distributions"])
def test_dunder_all_is_true(module):
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    assert names is not None, f"{module} has no __all__"
    assert [n for n in names if not hasattr(mod, n)] == []


@pytest.mark.parametrize("alias", ["numpy", "jax", "torch", "pytorch"])
def test_backend_names(alias):
    from aurora.backends import get_backend

    be = get_backend(alias)
    assert be.name == ("torch" if alias == "pytorch" else alias)


def test_unknown_backend_lists_valid_names():
    from aurora.backends import get_backend
    from aurora.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="numpy"):
        get_backend("tensorflow")
