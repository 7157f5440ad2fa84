"""lme4's checks at the end of a GLMM fit (``checkConv``) and the covariance of the fixed
effects from the finite-difference Hessian (``vcov.merMod``'s ``calc.vcov.hess``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ConvCheck", "check_convergence", "check_hessian", "vcov_from_hessian"]

SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"


@dataclass(frozen=True)
class ConvCheck:
    converged: bool
    singular: bool
    messages: tuple[str, ...]
    code: int = 0


def check_hessian(H: np.ndarray, tol: float, kind: str = "") -> tuple[int, list[str]]:
    """lme4's ``checkHess``: codes and messages about a Hessian's eigenvalues.

    Examples
    --------
    >>> check_hessian(np.array([[1.0, 0.0], [0.0, -1.0]]), 1e-6)[0]
    -3
    """
    try:
        ev = np.linalg.eigvalsh(H)
    except (np.linalg.LinAlgError, ValueError):
        return -6, ["Problem with Hessian check (infinite or missing values?)"]
    if not np.all(np.isfinite(ev)):
        return -6, ["Problem with Hessian check (infinite or missing values?)"]
    neg = int(np.sum(ev < -tol))
    if neg:
        return -3, [f"Model failed to converge: degenerate {kind} Hessian with {neg} negative "
                    "eigenvalues".replace("  ", " ")]
    zero = int(np.sum(np.abs(ev) < tol))
    try:
        np.linalg.cholesky(H)
        chol_ok = True
    except np.linalg.LinAlgError:
        chol_ok = False
    if zero or not chol_ok:
        return -4, [f"{kind} Hessian is numerically singular: parameters are not uniquely "
                    "determined"]
    code, msgs = 0, []
    if ev.max() * tol > 1:
        code = 2
        msgs.append("Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?")
    if ev.min() / ev.max() < tol:
        code = 3
        msgs.append("Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?")
    return code, msgs


def check_convergence(grad: np.ndarray | None, hess: np.ndarray | None, par: np.ndarray,
                      lower: np.ndarray, ntheta: int, ctl: dict) -> ConvCheck:
    """lme4's ``checkConv`` with ``glmerControl()``'s defaults.

    The singular check comes first (a message, and no other check); then the gradient
    scaled by the Cholesky factor of the Hessian (``max(pmin(|scaled|, |grad|)) <
    grad_tol``), then the Hessian of the fixed effects and the whole Hessian. The gradient
    message names component 1, as lme4's (``which.max`` of a single number).
    """
    par = np.asarray(par, dtype=float)
    bounded = np.asarray(lower)[:par.size] == 0
    singular = bool(np.any(par[:bounded.size][bounded] < ctl["singular_tol"]))
    if singular:
        return ConvCheck(True, True, (SINGULAR_MESSAGE,))
    if grad is None:
        return ConvCheck(True, False, ())
    if np.any(np.isnan(grad)):
        return ConvCheck(False, False, ("Gradient contains NAs",), -5)
    msgs: list[str] = []
    code = 0
    try:
        R = np.linalg.cholesky(hess).T
        sc = np.linalg.solve(R, grad)
        bad = np.any(np.isnan(sc))
    except np.linalg.LinAlgError:
        bad = True
    if bad:
        msgs.append("unable to evaluate scaled gradient")
        code = -1
    else:
        mm = float(np.max(np.minimum(np.abs(sc), np.abs(grad))))
        if mm > ctl["grad_tol"]:
            code = -1
            msgs.append(f"Model failed to converge with max|grad| = {mm:g} "
                        f"(tol = {ctl['grad_tol']:g}, component 1)")
    if par.size > ntheta:
        c, m = check_hessian(hess[ntheta:, ntheta:], ctl["hess_tol"], "fixed-effect")
        if c != 0:
            code = c
            msgs += m
    c, m = check_hessian(hess, ctl["hess_tol"])
    if c != 0:
        code = c
        msgs += m
    converged = not any("failed to converge" in s or "unable to evaluate" in s
                        or "singular: parameters" in s or "Gradient" in s for s in msgs)
    return ConvCheck(converged, False, tuple(msgs), code)


def vcov_from_hessian(H: np.ndarray, ntheta: int) -> np.ndarray | None:
    """lme4's ``calc.vcov.hess``: the fixed-effects block of ``H^{-1} + H^{-T}`` (``H``:
    Hessian of the deviance); None when it is not positive definite (lme4 then falls back
    to ``RX``, with a warning)."""
    try:
        h = np.linalg.solve(H, np.eye(H.shape[0]))
    except np.linalg.LinAlgError:
        return None
    h = h[ntheta:, ntheta:]
    V = h + h.T
    if not np.all(np.isfinite(V)) or np.linalg.eigvalsh(V).min() <= 0:
        return None
    return V
