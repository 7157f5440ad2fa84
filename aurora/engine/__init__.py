"""Stage 3: the estimation engine (design protocol, PIRLS, GLM fitting)."""
from aurora.engine.design import DenseDesign, Design
from aurora.engine.glm import GLMEstimates, fit_glm_arrays
from aurora.engine.pirls import IRLSControl, IRLSResult, fit_pirls

__all__ = ["Design", "DenseDesign", "GLMEstimates", "IRLSControl", "IRLSResult",
           "fit_glm_arrays", "fit_pirls"]
