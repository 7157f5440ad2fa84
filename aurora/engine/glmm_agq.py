"""Adaptive Gauss-Hermite quadrature for a GLMM with one scalar random effect (lme4's
``glmerAGQ``, ``nAGQ > 1``).

With a single scalar term the integral over the random effects factorises by level. At
the conditional modes ``u_l`` (PIRLS, ``u`` only) each level's integrand is centred and
scaled by the conditional standard deviation ``1 / L_ll`` (``L``: the Cholesky factor of
the last PIRLS step), and the integral is approximated on lme4's rule ``GHrule(nAGQ)``
(nodes ``z_k``, weights ``w_k`` of the standard normal):

    dev = sum_l d_l(u_l) + log|L|^2 - 2 sum_l log( sum_k w_k exp(-(d_l(u_l + z_k / L_ll)
          - d_l(u_l)) / 2 - log phi(z_k)) / sqrt(2 pi) )

with ``d_l(u) = u^2 + sum of the level's deviance residuals`` (lme4 ``external.cpp``,
``glmerAGQ`` and ``devcCol``; Pinheiro & Bates 1995, JCGS 4(1)).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from aurora.errors import ModelSpecError

__all__ = ["gh_rule", "agq_deviance", "check_agq"]

_SQRT2PI = math.sqrt(2.0 * math.pi)


@lru_cache(maxsize=None)
def gh_rule(order: int) -> np.ndarray:
    """lme4's ``GHrule(order)``: columns ``z``, ``w`` (weights of the standard normal,
    summing to 1) and ``ldnorm`` (``log phi(z)``).

    Examples
    --------
    >>> gh_rule(3).round(6).tolist()
    [[-1.732051, 0.166667, -2.418939], [0.0, 0.666667, -0.918939], [1.732051, 0.166667, -2.418939]]
    """
    if not 1 <= order <= 100:
        raise ValueError("the order of a Gauss-Hermite rule must be in 1..100")
    z, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / _SQRT2PI
    return np.column_stack([z, w, -0.5 * z * z - 0.5 * math.log(2 * math.pi)])


def check_agq(terms: any, nAGQ: int) -> None:
    """lme4's ``updateGlmerDevfun`` check: ``nAGQ > 1`` needs one scalar term."""
    if nAGQ > 1 and (len(terms.group_names) != 1 or len(terms.terms) != 1
                     or terms.terms[0].k != 1):
        raise ModelSpecError(
            "nAGQ > 1 is only available for models with a single, scalar random-effects term",
            "use nAGQ=1 (the Laplace approximation) for this model, or keep one term "
            "such as (1 | g)")
    if not 0 <= nAGQ <= 25:
        raise ModelSpecError(f"nAGQ must be between 0 and 25 (got {nAGQ})",
                             "use nAGQ=1 (Laplace) or up to 25 quadrature points")


def agq_deviance(m: any, st: any, order: int) -> float:
    """lme4's ``glmerAGQ`` after a ``u``-only PIRLS: the quadrature deviance; the state's
    ``eta``/``mu`` are restored to the conditional modes afterwards.

    Parameters
    ----------
    m : GLMMModel
    st : PirlsState
        The state after :func:`aurora.engine.glmm.pirls` with ``u_only=True``.
    order : int
        ``nAGQ``.
    """
    from aurora.engine.glmm import lambda_times
    from aurora.engine.lmm import z_times

    fam = m.family
    term = m.terms.terms[0]
    fac, nl = term.codes, term.nl

    def devc(u: np.ndarray, mu: np.ndarray) -> np.ndarray:
        return u * u + np.bincount(fac, weights=fam.dev_resid(m.y, mu, m.weights), minlength=nl)

    u_hat = st.delu
    devc0 = devc(u_hat, st.mu)
    sd = 1.0 / st.factor.L11[:, 0, 0]
    mult = np.zeros(nl)
    for z, w, ldn in gh_rule(order):
        if z == 0:
            mult += w
            continue
        u = z * sd + u_hat
        eta = st.offset + z_times(m.terms, lambda_times(m.terms, st.blocks, u))
        if m.p and np.any(st.delb != 0):
            eta = eta + m.X @ st.delb
        mu = fam.linkinv(eta)
        with np.errstate(over="ignore"):
            mult += np.exp(-0.5 * (devc(u, mu) - devc0) - ldn) * w / _SQRT2PI
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        prod = float(np.prod(mult))
        logprod = math.log(prod) if 0.0 < prod < np.inf else float(np.sum(np.log(mult)))
    return float(devc0.sum()) + st.factor.ldL2 - 2.0 * logprod
