"""What ``summary.gam``, ``logLik.gam`` and the smooth tests read from a fitted GAM, as
plain arrays (mgcv's ``object$smooth``, ``coefficients``, ``Vp``, ``edf``, ``R``...), and
the result of one smooth test. Re-exported by :mod:`aurora.inference.smooth_tests`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SmoothInfo", "SmoothFitSummaryInput", "SmoothTestResult"]


@dataclass(frozen=True, eq=False)
class SmoothInfo:
    """One smooth term as ``summary.gam`` needs it (mgcv's ``object$smooth[[i]]``).

    Attributes
    ----------
    label : str
        As printed: ``"s(x)"``, ``"te(x,z)"``, ``"s(x):fB"``.
    start, stop : int
        Its coefficient columns ``start:stop`` (0-based, ``stop`` exclusive; mgcv's
        ``first.para - 1`` and ``last.para``).
    null_space_dim : int
        Dimension of the penalty null space (0 for ``re``, ``cs``, ``ts``: tested by
        :func:`re_test`).
    fixed : bool
        Unpenalised (``fx=TRUE``; for a tensor product, every margin fixed).
    random : bool
        mgcv's ``smooth$random`` (``bs="re"``): treated as a random effect when another
        smooth is tested by :func:`re_test`.
    penalties : tuple of ndarray
        The smooth's penalty matrices ``S_j`` (``smooth$S``), each ``(q, q)``; when
        ``q < stop - start`` the block repeats down the diagonal (mgcv's ``packing.ind``).
    sp : tuple of float
        The smoothing parameter of each penalty (mgcv's ``full.sp`` entries).
    """

    label: str
    start: int
    stop: int
    null_space_dim: int = 1
    fixed: bool = False
    random: bool = False
    penalties: tuple = ()
    sp: tuple = ()


@dataclass(frozen=True, eq=False)
class SmoothFitSummaryInput:
    """What ``summary.gam``, ``logLik.gam`` and the smooth tests read from a fitted GAM.

    Arrays are converted to float NumPy arrays. ``p`` coefficients, ``n`` observations.

    Attributes
    ----------
    coef : (p,) coefficients; ``coef_names`` their names (parametric ones first).
    Vp : (p, p) Bayesian posterior covariance (scale included).
    edf : (p,) per-coefficient effective degrees of freedom (mgcv's ``m$edf``).
    smooths : the smooth terms (:class:`SmoothInfo`), in model order.
    y, fitted, prior_weights : (n,) response (proportions for a binomial with trials),
        fitted means and prior weights.
    scale : mgcv's ``sig2`` (1 for poisson/binomial); ``scale_estimated`` whether it was
        estimated (then t and F tests with ``n - sum(edf)`` residual df).
    deviance, null_deviance : model and null deviance.
    R : (m, p), optional
        Any matrix with ``R'R = X'WX`` at convergence, ``W`` the working weights: mgcv's
        ``object$R`` or ``sqrt(w)[:, None] * X``. Without it the unweighted model matrix
        ``X`` is used and shrinkage/random smooths are tested by ``smooth_test``, as mgcv
        does (with a warning) for a fit without ``R``.
    Ve : (p, p), optional
        Frequentist covariance; needed by :func:`re_test`.
    edf1, edf2 : (p,), optional
        mgcv's ``m$edf1`` (tests' reference rank) and ``m$edf2`` (``logLik`` df).
    n_parametric : int
        Number of parametric coefficients (mgcv's ``nsdf``), the first columns.
    assign : per parametric column, its term index (0 the intercept, 1.. ``term_labels``).
    df_residual : mgcv's ``df.residual`` (``reTest``'s F df); default ``n - sum(edf)``.
    aic : mgcv's ``object$aic``: ``family.aic(y, mu, w, dev) + 2 * sum(edf)``.
    family, link, formula : text as printed (``"gaussian"``, ``"identity"``, the formula).
    method : mgcv's ``object$method``: ``"REML"``, ``"ML"``, ``"GCV"``, ``"UBRE"``, ...
    sp_criterion : mgcv's ``gcv.ubre`` (the REML/ML/GCV/UBRE score).
    rank : numerical rank of the fit (``Rank: r/p`` is printed when below ``p``).
    n_theta : number of extended-family parameters (added to the logLik df).
    has_r_sq : False for general families (mgcv prints no R-sq.(adj)).
    X : (n, p), optional: the model matrix, used only when ``R`` is absent.
    """

    coef: np.ndarray
    coef_names: tuple
    Vp: np.ndarray
    edf: np.ndarray
    smooths: tuple
    y: np.ndarray
    fitted: np.ndarray
    prior_weights: np.ndarray
    scale: float
    scale_estimated: bool
    deviance: float
    null_deviance: float
    R: np.ndarray | None = None
    Ve: np.ndarray | None = None
    edf1: np.ndarray | None = None
    edf2: np.ndarray | None = None
    n_parametric: int = 0
    assign: tuple = ()
    term_labels: tuple = ()
    df_residual: float | None = None
    aic: float = float("nan")
    family: str = "gaussian"
    link: str = "identity"
    formula: str = ""
    method: str = "REML"
    sp_criterion: float = float("nan")
    rank: int | None = None
    n_theta: int = 0
    has_r_sq: bool = True
    X: np.ndarray | None = None

    def __post_init__(self) -> None:
        arr = lambda v: None if v is None else np.asarray(v, dtype=float)  # noqa: E731
        for name in ("coef", "Vp", "edf", "y", "fitted", "prior_weights", "R", "Ve", "edf1",
                     "edf2", "X"):
            object.__setattr__(self, name, arr(getattr(self, name)))
        for name in ("edf1", "edf2"):  # an empty vector is mgcv's NULL
            if getattr(self, name) is not None and getattr(self, name).size == 0:
                object.__setattr__(self, name, None)
        object.__setattr__(self, "coef_names", tuple(str(c) for c in self.coef_names))
        object.__setattr__(self, "smooths", tuple(self.smooths))
        p = self.coef.shape[0]
        if self.Vp.shape != (p, p) or self.edf.shape != (p,) or len(self.coef_names) != p:
            raise ValueError(f"coef ({p}), coef_names, edf and Vp ({self.Vp.shape}) disagree")
        if self.R is None and self.X is None:
            raise ValueError("give R (R'R = X'WX) or the model matrix X")
        if self.y.shape != self.fitted.shape or self.y.shape != self.prior_weights.shape:
            raise ValueError("y, fitted and prior_weights must have the same length")

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def residual_df(self) -> float:
        """``summary.gam``'s ``n - sum(edf)``."""
        return self.n - float(np.sum(self.edf))


@dataclass(frozen=True)
class SmoothTestResult:
    """``stat`` (chi-square scale), ``p_value`` and ``rank`` (the Ref.df)."""

    stat: float
    p_value: float
    rank: float

