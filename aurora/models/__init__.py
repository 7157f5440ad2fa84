"""Stage 4: result objects and the matrix-level API of SPEC §2."""
from aurora.models.gam import (ParametricTerm, SmoothTerm, TensorTerm, fit_additive_gam,
                               fit_gam, fit_gam_formula, plot_all_smooths, plot_smooth)
from aurora.models.gam_result import GAMResult
from aurora.models.gamm import RandomEffect, fit_gamm, fit_pql_smooth, predict_from_gamm
from aurora.models.glm import GLMResult, fit_glm, predict_glm

__all__ = ["GLMResult", "fit_glm", "predict_glm", "GAMResult", "fit_gam", "SmoothTerm",
           "ParametricTerm", "TensorTerm", "fit_additive_gam", "fit_gam_formula",
           "plot_smooth", "plot_all_smooths", "RandomEffect", "fit_gamm", "predict_from_gamm",
           "fit_pql_smooth"]
