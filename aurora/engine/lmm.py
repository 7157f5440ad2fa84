"""Penalised least squares for linear mixed models, lme4's formulation, factored blockwise.

For a given ``theta`` with relative covariance factor ``Lambda`` (``Cov(b) = sigma^2
Lambda Lambda'``, ``b = Lambda u``) and prior weights ``W``, the penalised least-squares
problem ``min_{u, beta} ||W^(1/2)(y - X beta - Z Lambda u)||^2 + ||u||^2`` is solved through
the Cholesky factor of

    [ Lambda'Z'WZ Lambda + I   Lambda'Z'WX ]   [ L    0  ] [ L'  RZX ]
    [ X'WZ Lambda              X'WX        ] = [ RZX' RX'] [ 0   RX  ]

(Bates et al. 2015, JSS 67(1), eqs. 17-22, with ``RX`` written lower here). Beta and sigma
are profiled out, giving lme4's deviance (ML) and REML criterion

    ML:   ldL2 - ldW + n (1 + log(2 pi pwrss / n))
    REML: ldL2 - ldW + ldRX2 + (n - p) (1 + log(2 pi pwrss / (n - p)))

with ``ldL2 = log|L|^2``, ``ldRX2 = log|RX|^2``, ``ldW = sum(log w)`` and ``pwrss`` the
penalised weighted residual sum of squares.

The factor is blocked as MixedModels.jl does: one grouped term (the one with most
random effects) comes first, so its block ``Lambda_1'Z_1'WZ_1 Lambda_1 + I`` is block
diagonal (one ``k x k`` block per level) and is factored level by level; the other terms
(grouped or dense, such as a GAMM's smooths) form a dense block ``L22`` (the Schur
complement ``A22 - L21 L21'``, with ``L21`` sparse). All the products with the data are
taken once (:class:`LMMProblem`, :mod:`aurora.engine.lmm_problem`), and so is the symbolic
part of the factorisation (:mod:`aurora.engine.lmm_plan`); a criterion evaluation
(:func:`factorize`, :mod:`aurora.engine.lmm_factor`, with the first term's blocks factored
by batched entry-wise formulas, :mod:`aurora.engine.lmm_blocks`) costs
``O(nl k^3 + nnz(L21) + q2^3)``, whatever ``n``.
"""
from __future__ import annotations

import numpy as np

from aurora.engine.lmm_factor import PLSFactor, back_solve, block_diag_bsr, factorize
from aurora.engine.lmm_problem import (LMMProblem, engine_terms, lambda_t_times, lmm_problem,
                                       times_lambda, z_times)

__all__ = ["LMMProblem", "PLSFactor", "lmm_problem", "factorize", "pls_deviance",
           "lambda_t_times", "times_lambda", "z_times", "engine_terms", "back_solve",
           "block_diag_bsr"]

_LOG2PI = float(np.log(2 * np.pi))
_block_diag_bsr = block_diag_bsr  # the former private name


def pls_deviance(pr: LMMProblem, f: PLSFactor, REML: bool) -> float:
    """lme4's profiled deviance (``REML=False``) or REML criterion at a factor.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aurora.formula import parse
    >>> from aurora.compile.random_terms import build_random_terms
    >>> df = pd.DataFrame({"g": np.repeat(list("abcd"), 3)})
    >>> rt = build_random_terms(parse("y ~ (1 | g)").random_effects, df)
    >>> pr = lmm_problem(np.ones((12, 1)), np.arange(12.), rt)
    >>> round(float(pls_deviance(pr, factorize(pr, np.array([0.0])), REML=False)), 4)
    63.7898
    """
    n = pr.n
    if REML:
        nmp = n - pr.p
        return f.ldL2 - pr.ldW + f.ldRX2 + nmp * (1.0 + _LOG2PI + np.log(f.pwrss / nmp))
    return f.ldL2 - pr.ldW + n * (1.0 + _LOG2PI + np.log(f.pwrss / n))
