"""Stage 4: result objects and the matrix-level API of SPEC §2."""
from aurora.models.glm import GLMResult, fit_glm, predict_glm

__all__ = ["GLMResult", "fit_glm", "predict_glm"]
