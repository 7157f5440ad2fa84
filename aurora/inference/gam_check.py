"""mgcv's ``gam.check``: the convergence report, the basis-dimension (k) check and the
four residual panels of a fitted GAM.

**Convergence report**, as ``gam.check`` prints it: the method and optimizer; for mgcv's
``outer newton`` the convergence message and iterations, the range of the criterion's
gradient at the optimum, the score and scale, whether the Hessian is positive definite
and the range of its eigenvalues; for gaussian GCV/UBRE (mgcv's ``magic``) the iterations,
the RMS gradient and the Hessian's definiteness; then ``Model rank = r / p``.

**k-index** (mgcv's ``k.check``, Wood 2017 section 5.9): for each smooth, residuals
(deviance) are ordered by the smooth's covariate (1-D) or paired with their 3 nearest
neighbours in covariate space (2-D and up; tensor smooths' covariates first scaled by the
mean absolute slope of the fitted smooth along each); the k-index is the mean squared
difference of neighbouring residuals over twice their mean square (half the variogram
at the nearest neighbours over the variance). Values well below 1 mean residual pattern
along the covariate: ``k`` may be too low. The p-value is the proportion of ``k_rep``
random reshufflings of the residuals giving a smaller statistic. ``k'`` is the number of
coefficients of the smooth (mgcv's ``length(first.para:last.para)``), ``edf`` their sum
of effective degrees of freedom. A smooth of a factor (``bs = "re"``) gets NA.

Differences from mgcv: the reshufflings (and the subsample drawn when there are more than
``k_sample`` rows) use NumPy's generator seeded by ``seed``, not R's RNG, so p-values agree
with mgcv's only in distribution (to within Monte Carlo error, about
``sqrt(p (1 - p) / k_rep)`` each); k', edf and k-index are exact. For gaussian GCV/UBRE
the reported RMS gradient is aurora's at the optimum; mgcv's ``magic`` reports the one of
its last-but-one iterate. The model rank is the number of coefficients (aurora's fits
report no rank deficiency here).

References: mgcv 1.8-41 ``gam.check``, ``k.check``, ``qq.gam``; Wood (2017) *Generalized
Additive Models*, 2nd ed., section 5.9; Augustin, Sauleau & Wood (2012), On quantile
quantile plots for generalized linear models, CSDA 56, 2404-2409.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats
from scipy.spatial import cKDTree

from aurora.errors import DataError
from aurora.plot.gam import (_block_matrix, _is_factor, _numeric, model_frame, pretty,
                             smooth_covariates)
from aurora.report.gam import coefmat_cells
from aurora.report.rformat import SIGNIF_LEGEND, format_real, print_matrix

__all__ = ["GamCheck", "gam_check", "k_check", "convergence_report", "qq_quantiles"]

K_COLUMNS = ["k'", "edf", "k-index", "p-value"]
K_HEADER = ["Basis dimension (k) checking results. Low p-value (k-index<1) may",
            "indicate that k is too low, especially if edf is close to k'."]


@dataclass(frozen=True, repr=False)
class GamCheck:
    """What :func:`gam_check` found; ``str()`` prints it as mgcv's ``gam.check`` does.

    Attributes
    ----------
    report : tuple of str
        The convergence report lines (method, optimizer, ... ``Model rank``).
    k_table : DataFrame
        One row per smooth, columns ``k'``, ``edf``, ``k-index``, ``p-value``.
    residuals, linear_predictor, fitted, response : ndarray (n,)
        What the panels plot (``residuals`` of type ``residual_type``).
    qq_theoretical : ndarray (n,)
        Theoretical quantiles of the Q-Q panel (mgcv's ``qq.gam``), increasing.
    residual_type : str
    """

    report: tuple[str, ...]
    k_table: pd.DataFrame
    residuals: np.ndarray = field(default_factory=lambda: np.zeros(0))
    linear_predictor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fitted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    response: np.ndarray = field(default_factory=lambda: np.zeros(0))
    qq_theoretical: np.ndarray = field(default_factory=lambda: np.zeros(0))
    residual_type: str = "deviance"

    def __str__(self) -> str:
        lines = [""] + list(self.report) + [""]
        if len(self.k_table):
            lines += K_HEADER + [""] + format_k_table(self.k_table).split("\n")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<GamCheck: {len(self.k_table)} smooth(s), {self.residuals.size} residuals>"

    def with_p_values(self, p_values: Any) -> "GamCheck":
        """A copy with other k-index p-values (e.g. R's, to compare the printed text)."""
        table = self.k_table.copy()
        table["p-value"] = np.asarray(p_values, dtype=float)
        return replace(self, k_table=table)

    def plot(self, path: str | os.PathLike | None = None,
             figsize: tuple[float, float] = (9.0, 8.0), dpi: int = 100) -> Figure:
        """The four panels of ``gam.check``: Q-Q plot of the residuals against
        ``qq_theoretical`` (red 1:1 line), residuals against the linear predictor, their
        histogram (R's Sturges breaks), response against fitted values."""
        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        ax = fig.subplots(2, 2).ravel()
        r = self.residuals
        ok = np.isfinite(r)
        ax[0].plot(self.qq_theoretical, np.sort(r[ok]), ".", color="black", markersize=3)
        lim = [np.nanmin(self.qq_theoretical), np.nanmax(self.qq_theoretical)]
        ax[0].plot(lim, lim, color="red", linewidth=1.0)
        ax[0].set_xlabel("theoretical quantiles")
        ax[0].set_ylabel(f"{self.residual_type} residuals")
        ax[1].plot(self.linear_predictor, r, "o", markerfacecolor="none", color="black",
                   markersize=3)
        ax[1].set_title("Resids vs. linear pred.", fontsize=10)
        ax[1].set_xlabel("linear predictor")
        ax[1].set_ylabel("residuals")
        ax[2].hist(r[ok], bins=sturges_breaks(r[ok]), color="white", edgecolor="black")
        ax[2].set_title("Histogram of residuals", fontsize=10)
        ax[2].set_xlabel("Residuals")
        ax[2].set_ylabel("Frequency")
        ax[3].plot(self.fitted, self.response, "o", markerfacecolor="none", color="black",
                   markersize=3)
        ax[3].set_title("Response vs. Fitted Values", fontsize=10)
        ax[3].set_xlabel("Fitted Values")
        ax[3].set_ylabel("Response")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, format="png", dpi=dpi)
        return fig


def sturges_breaks(x: np.ndarray) -> np.ndarray:
    """R's ``hist`` breaks: ``pretty(range(x), nclass.Sturges(x))``."""
    k = int(np.ceil(np.log2(x.size) + 1)) if x.size else 1
    return pretty(float(np.min(x)), float(np.max(x)), k) if x.size else np.array([0.0, 1.0])


def format_k_table(table: pd.DataFrame) -> str:
    """The k-index table as ``printCoefmat(k.table, digits = 3)`` prints it (NA for a
    smooth of a factor), with the significance legend when a p-value is below 0.1."""
    cols, cells, stars = coefmat_cells(table, 3)
    na = table.isna().to_numpy()
    for i, row in enumerate(cells):
        for j in range(table.shape[1]):
            if na[i, j]:
                row[j] = "NA"
    text = print_matrix([str(r) for r in table.index], cols, cells)
    return text + ("\n---\n" + SIGNIF_LEGEND if stars else "")


# ------------------------------------------------------------------------------- report
def _cat(x: float) -> str:
    """A number as R's ``cat`` prints it (7 significant digits)."""
    return format_real([float(x)], 7)[0].strip()


def convergence_report(result: Any) -> tuple[str, ...]:
    """The lines ``gam.check`` prints about the smoothing-parameter optimisation."""
    fit = result.fit
    method = str(result.method)
    p = len(np.asarray(fit.coefficients))
    rank = int(getattr(fit, "rank", None) or getattr(result, "rank", None) or p)
    grad = np.asarray(fit.grad, dtype=float).ravel()
    hess = np.asarray(fit.hess, dtype=float)
    magic = (getattr(result.family, "name", "") == "gaussian"
             and result.family.link.name == "identity" and method in ("GCV", "UBRE"))
    iters = int(fit.outer_iterations)
    if grad.size == 0 or fit.convergence == "no smoothing parameters":
        out = [f"Method: {method}   Optimizer: {'magic' if magic else 'outer newton'}",
               "Model required no smoothing parameter selection"]
    elif magic:
        ev = np.linalg.eigvalsh(hess)
        out = [f"Method: {method}   Optimizer: magic",
               f"Smoothing parameter selection converged after {iters} iteration"
               + ("s" if iters > 1 else "")
               + ("." if fit.convergence == "full convergence" else " by steepest"),
               ]
        if fit.convergence != "full convergence":
            out.append("descent step failure.")
        out.append(f"The RMS {method} score gradient at convergence was "
                   f"{_cat(np.sqrt(np.mean(grad ** 2)))} .")
        out.append("The Hessian was " + ("" if ev.min() > 0 else "not ") + "positive definite.")
    else:
        ev = np.linalg.eigvalsh(hess)
        out = [f"Method: {method}   Optimizer: outer newton",
               f"{fit.convergence} after {iters} iteration" + ("." if iters == 1 else "s."),
               f"Gradient range [{_cat(grad.min())},{_cat(grad.max())}]",
               f"(score {_cat(fit.gcv_ubre)} & scale {_cat(fit.scale)}).",
               ("Hessian positive definite, " if ev.min() > 0 else "")
               + f"eigenvalue range [{_cat(ev.min())},{_cat(ev.max())}]."]
    out.append(f"Model rank =  {rank} / {p} ")
    return tuple(out)


# ------------------------------------------------------------------------------- k.check
def _residuals(result: Any, y: np.ndarray, type: str = "deviance") -> np.ndarray:
    """Residuals of response ``y`` about the fitted means (mgcv's ``residuals.gam``)."""
    mu = np.asarray(result.fit.fitted_values, dtype=float)
    w = np.asarray(result.plan.weights, dtype=float)
    fam = result.family
    with np.errstate(divide="ignore", invalid="ignore"):
        if type == "response":
            return y - mu
        if type == "pearson":
            return (y - mu) * np.sqrt(w) / np.sqrt(np.asarray(fam.variance(mu), dtype=float))
        d = np.asarray(fam.deviance_residuals(y, mu, w), dtype=float)
    return np.sign(y - mu) * np.sqrt(np.maximum(d, 0))


def _neighbour_diffs(rsd: np.ndarray, ni: np.ndarray) -> float:
    return float(np.mean((rsd[:, None] - rsd[ni]) ** 2) / 2)


def _nearest(X: np.ndarray, k: int = 3) -> np.ndarray:
    """mgcv's ``nearest(k, X)$ni``: each row's ``k`` nearest other rows (0-based)."""
    if X.shape[0] <= k:
        raise DataError("not enough data to find the nearest neighbours for the k-index")
    idx = cKDTree(X).query(X, k=k + 1)[1]
    out = np.empty((X.shape[0], k), dtype=int)
    for i, row in enumerate(idx):
        others = row[row != i]
        out[i] = others[:k]
    return out


def _tensor_scaled(spec: Any, beta: np.ndarray, dat: np.ndarray, covs: tuple) -> np.ndarray:
    """k.check's scaling of a tensor smooth's covariates: each to [0, 1] times the mean
    absolute slope of the fitted smooth along it (finite difference, range / 1000), the
    ``by`` variable ignored."""
    spec0 = replace(spec, state={**spec.state, "by": None, "by_level": None})
    n = dat.shape[0]
    grid = {v: dat[:, i] for i, v in enumerate(covs)}
    f0 = _block_matrix(spec0, grid, n) @ beta
    out = dat.copy()
    for i, v in enumerate(covs):
        dx = (dat[:, i].max() - dat[:, i].min()) / 1000
        fp = _block_matrix(spec0, {**grid, v: dat[:, i] + dx}, n) @ beta
        slope = np.mean(np.abs(fp - f0)) / dx
        col = dat[:, i] - dat[:, i].min()
        out[:, i] = slope * col / col.max()
    return out


def k_check(result: Any, data: Any = None, k_sample: int = 5000, k_rep: int = 200,
            seed: int | None = 0) -> pd.DataFrame:
    """mgcv's ``k.check``: k', edf, k-index and its randomisation p-value per smooth.

    Parameters
    ----------
    result : GAMResult
    data : DataFrame, optional
        The data the model was fitted on (for the covariates).
    k_sample : int
        Above this many rows a random subsample of this size is used.
    k_rep : int
        Reshufflings for the p-value.
    seed : int or None
        Seed of NumPy's generator (subsample and reshufflings).

    Returns
    -------
    DataFrame
        Index: smooth labels; columns ``k'``, ``edf``, ``k-index``, ``p-value``.
    """
    frame = model_frame(result, data)
    rng = np.random.default_rng(seed)
    rsd = _residuals(result, np.asarray(result.plan.y, dtype=float))
    n = rsd.size
    rows = np.arange(n)
    if n > k_sample:
        rows = rng.choice(n, size=k_sample, replace=False)
        rsd = rsd[rows]
    nr = rsd.size
    msq = float(np.mean(rsd ** 2))
    beta = np.asarray(result.fit.coefficients, dtype=float)
    edf = np.asarray(result.fit.edf, dtype=float)
    out = []
    for spec, block in zip(result.plan.spec.smooths, result.plan.penalties):
        a, b = block.start, block.stop
        covs = smooth_covariates(spec)
        kidx = pval = np.nan
        if block.bs != "re" and not any(_is_factor(frame[v]) for v in covs):
            dat = np.column_stack([_numeric(frame, v)[rows] for v in covs])
            if dat.shape[1] == 1:
                v_obs = float(np.mean(np.diff(rsd[np.argsort(dat[:, 0], kind="stable")]) ** 2)
                              / 2)
                ve = np.array([np.mean(np.diff(rsd[rng.permutation(nr)]) ** 2) / 2
                               for _ in range(k_rep)])
            else:
                if spec.state.get("kind") in ("te", "ti", "t2"):
                    dat = _tensor_scaled(spec, beta[a:b], dat, covs)
                ni = _nearest(dat)
                v_obs = _neighbour_diffs(rsd, ni)
                ve = np.array([_neighbour_diffs(rsd[rng.permutation(nr)], ni)
                               for _ in range(k_rep)])
            pval = float(np.mean(ve < v_obs)) if k_rep > 0 else np.nan
            kidx = v_obs / msq
        out.append((block.label, b - a, float(edf[a:b].sum()), kidx, pval))
    table = pd.DataFrame([r[1:] for r in out], index=[r[0] for r in out], columns=K_COLUMNS)
    table["k'"] = table["k'"].astype(float)
    return table


# ------------------------------------------------------------------------------- qq.gam
def qq_quantiles(result: Any, seed: int | None = 0, type: str = "deviance", s_rep: int = 10,
                 rep: int = 50) -> np.ndarray:
    """mgcv's ``qq.gam`` reference quantiles of the residuals (its default ``rep = 0``).

    For gaussian, poisson, binomial and Gamma families: the sorted mean of ``s_rep``
    sorted sets of residuals of the family's quantiles at a random permutation of
    ``(1:n - 0.5) / n`` (Augustin et al. 2012; exact for a gaussian model with equal
    weights); inverse.gaussian: quantiles of ``rep`` simulated residual sets; otherwise
    normal quantiles (R's ``qqnorm``).
    """
    def sim(y: np.ndarray) -> np.ndarray:
        return np.sort(_residuals(result, y, type))

    rng = np.random.default_rng(seed)
    fam = result.family
    name = getattr(fam, "name", "")
    mu = np.asarray(result.fit.fitted_values, dtype=float)
    w = np.asarray(result.plan.weights, dtype=float)
    scale = float(result.fit.scale)
    n = mu.size
    U = (np.arange(1, n + 1) - 0.5) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        if name in ("gaussian", "poisson", "binomial", "Gamma"):
            qf = {"gaussian": lambda u: stats.norm.ppf(u, mu, np.sqrt(scale / w)),
                  "poisson": lambda u: stats.poisson.ppf(u, mu),
                  "binomial": lambda u: (stats.binom.ppf(u, np.ceil(w), mu)
                                         / (np.ceil(w) + (w == 0))),
                  "Gamma": lambda u: stats.gamma.ppf(u, 1 / scale, scale=mu * scale)}[name]
            dm = np.column_stack([sim(qf(rng.permutation(U)))
                                  for _ in range(s_rep)])
            return np.sort(dm.mean(axis=1))
        if name == "inverse.gaussian":
            lam = 1 / scale
            dm = np.concatenate([sim(stats.invgauss.rvs(mu / lam, scale=lam,
                                                        random_state=rng))
                                 for _ in range(rep)])
            return np.quantile(dm, U)
    return stats.norm.ppf((np.arange(1, n + 1) - (3 / 8 if n <= 10 else 0.5))
                          / (n + 1 - 2 * (3 / 8 if n <= 10 else 0.5)))


# ------------------------------------------------------------------------------- gam.check
def gam_check(result: Any, k_sample: int = 5000, k_rep: int = 200, seed: int | None = 0,
              type: str = "deviance", data: Any = None) -> GamCheck:
    """mgcv's ``gam.check``: convergence report, k-index table and residual panels.

    Parameters
    ----------
    result : GAMResult
    k_sample, k_rep, seed
        As :func:`k_check` (``seed`` also drives ``qq.gam``'s permutations).
    type : {"deviance", "pearson", "response"}
        Residuals of the panels (the k-index always uses deviance residuals, as mgcv).
    data : DataFrame, optional
        The data the model was fitted on (see :func:`aurora.plot.gam.model_frame`).

    Returns
    -------
    GamCheck
        ``print()`` it for mgcv's text, ``.plot()`` for the four panels.

    Examples
    --------
    >>> import aurora, numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"x": rng.uniform(size=200)})
    >>> d["y"] = np.sin(6 * d.x) + rng.normal(scale=0.3, size=200)
    >>> chk = gam_check(aurora.gam("y ~ s(x)", d), data=d)
    >>> str(chk).splitlines()[1]
    'Method: REML   Optimizer: outer newton'
    >>> list(chk.k_table.columns)
    ["k'", 'edf', 'k-index', 'p-value']
    """
    if type not in ("deviance", "pearson", "response"):
        raise DataError(f"unknown residual type {type!r}",
                        "use 'deviance', 'pearson' or 'response'")
    table = k_check(result, data=data, k_sample=k_sample, k_rep=k_rep, seed=seed)
    y = np.asarray(result.plan.y, dtype=float)
    res = _residuals(result, y, type)
    eta = np.asarray(result.fit.linear_predictors, dtype=float)
    dq = qq_quantiles(result, seed=seed, type=type)
    return GamCheck(convergence_report(result), table, res, eta,
                    np.asarray(result.fit.fitted_values, dtype=float), y, dq, type)
