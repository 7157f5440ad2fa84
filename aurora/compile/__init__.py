"""Stage 2: compile a parsed formula against data into a :class:`ModelPlan`."""
from aurora.compile.matrix import compile_matrix_plan
from aurora.compile.plan import ModelPlan, compile_plan
from aurora.compile.spec import ModelSpec

__all__ = ["ModelPlan", "ModelSpec", "compile_plan", "compile_matrix_plan"]
