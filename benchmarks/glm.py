"""Time GLM fits: aurora against statsmodels, glum and R's ``glm``.

Four problems, simulated with a fixed seed (data generation is never timed):

* ``poisson``: n = 1,000,000 rows, 20 numeric covariates, log link;
* ``logistic``: n = 500,000 rows, 10 numeric covariates plus a 200-level factor, logit
  link (210 coefficients);
* ``factor10k``: n = 50,000 rows, ``y ~ x + f`` with a 10,000-level factor, log link
  (10,001 coefficients): aurora.glm and glum only, since the dense model matrix the
  others need has 5e8 cells (4 GB) and its QR or X'WX costs O(n p^2);
* ``influence1k``: ``influence()`` of a fitted ``y ~ x + f``, n = 10,000 rows, a 1,000-level
  factor, log link (the fit is not timed): aurora's ``result.influence()`` (hat values,
  Cook's distances, standardized and studentized residuals, leave-one-out sigma, DFBETAS)
  against statsmodels' ``get_influence()`` with the same measures (statsmodels defines
  Cook's distance and the studentized residuals from Pearson residuals, so only the hat
  values are compared). glum has no influence measures.

For the ``poisson`` and ``logistic`` problems the script times, as the median of
``--repeat`` runs,

* ``aurora.glm`` (formula front door: model frame, model matrix and fit);
* ``aurora.models.glm.fit_glm`` on the numeric design matrix (factor dummy-coded
  beforehand, outside the timing);
* statsmodels ``GLM(...).fit()`` (IRLS) on the same design matrix with a constant;
* glum ``GeneralizedLinearRegressor(alpha=0, gradient_tol=1e-8, drop_first=True)`` on a
  DataFrame whose factor is a pandas Categorical (glum's own categorical matrix);
* R's ``glm`` when ``Rscript`` is on PATH: the data go to R as raw binary files, and only
  ``glm(formula, data, family)`` is timed, with ``system.time`` inside R.

It prints, per problem, the seconds, the ratio of each method's time to aurora's, and the
largest absolute coefficient difference from ``aurora.glm`` (coefficients are compared in
the common order: intercept, numeric covariates, factor levels 2..L; for ``influence1k``,
the hat values).

Usage::

    python benchmarks/glm.py                       # all problems, full size
    python benchmarks/glm.py --only logistic --n 100000 --repeat 5 --engine jax
    python benchmarks/glm.py --only factor10k influence1k
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

SEED = 20240601


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: the data in every form the fitters need."""

    name: str
    family: str  # R / aurora family name
    formula: str
    data: pd.DataFrame = field(repr=False)  # numeric columns, factor as Categorical, y
    design: np.ndarray | None = field(repr=False)  # design without intercept (dummies)
    y: np.ndarray = field(repr=False)
    n_numeric: int
    n_levels: int  # 0 without a factor
    kind: str = "fit"  # "fit": time the fit; "influence": time influence() of a fit

    @property
    def n(self) -> int:
        return self.y.size

    @property
    def n_coef(self) -> int:
        return 1 + self.n_numeric + max(self.n_levels - 1, 0)


def make_poisson(n: int, p: int = 20, seed: int = SEED) -> Problem:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0.0, 0.15, p)
    y = rng.poisson(np.exp(0.5 + X @ beta)).astype(np.float64)
    names = [f"x{j + 1:02d}" for j in range(p)]
    data = pd.DataFrame(X, columns=names)
    data["y"] = y
    return Problem("poisson", "poisson", "y ~ " + " + ".join(names), data, X, y, p, 0)


def make_logistic(n: int, p: int = 10, levels: int = 200, seed: int = SEED) -> Problem:
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n, p))
    beta = rng.normal(0.0, 0.3, p)
    g = rng.integers(0, levels, n)
    effects = rng.normal(0.0, 0.5, levels)
    eta = -0.3 + X @ beta + effects[g]
    y = rng.binomial(1, 1 / (1 + np.exp(-eta))).astype(np.float64)
    names = [f"x{j + 1:02d}" for j in range(p)]
    labels = [f"L{k:03d}" for k in range(levels)]
    data = pd.DataFrame(X, columns=names)
    data["g"] = pd.Categorical.from_codes(g, categories=labels)
    data["y"] = y
    dummies = np.zeros((n, levels - 1))
    rows = np.flatnonzero(g > 0)
    dummies[rows, g[rows] - 1] = 1.0  # treatment coding, first level as reference
    design = np.hstack([X, dummies])
    return Problem("logistic", "binomial", "y ~ " + " + ".join(names) + " + g", data, design, y, p, levels)


def _one_factor(n: int, levels: int, seed: int,
                dense: bool) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray]:
    """``y ~ x + f`` (Poisson, log link), every level used; the dense dummies on request."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.integers(0, levels, n)
    g[:levels] = rng.permutation(levels)  # every level present, as R keeps only those
    effects = rng.normal(0.0, 0.3, levels)
    # a mean of about 7 per row: no level of one or two rows is all zeros (its rate would
    # run off to 0, and fitters stop at different points)
    y = rng.poisson(np.exp(2.0 + 0.3 * x + effects[g])).astype(np.float64)
    labels = [f"L{k:05d}" for k in range(levels)]
    data = pd.DataFrame({"x": x, "f": pd.Categorical.from_codes(g, categories=labels), "y": y})
    design = None
    if dense:
        design = np.zeros((n, levels))
        design[:, 0] = x
        rows = np.flatnonzero(g > 0)
        design[rows, g[rows]] = 1.0  # treatment coding, first level as reference
    return data, design, y


def make_factor10k(n: int, levels: int = 10_000, seed: int = SEED) -> Problem:
    data, design, y = _one_factor(n, levels, seed + 2, dense=False)
    return Problem("factor10k", "poisson", "y ~ x + f", data, design, y, 1, levels)


def make_influence1k(n: int, levels: int = 1_000, seed: int = SEED) -> Problem:
    data, design, y = _one_factor(n, levels, seed + 3, dense=True)
    return Problem("influence1k", "poisson", "y ~ x + f", data, design, y, 1, levels,
                   kind="influence")


PROBLEMS = {
    "poisson": (make_poisson, 1_000_000),
    "logistic": (make_logistic, 500_000),
    "factor10k": (make_factor10k, 50_000),
    "influence1k": (make_influence1k, 10_000),
}


# ------------------------------------------------------------------------- fitters
@dataclass
class Timing:
    method: str
    seconds: float
    coef: np.ndarray | None
    note: str = ""


def _median_time(fit: Callable[[], Any], repeat: int,
                 budget: float | None = None) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls (fewer once ``budget`` seconds are spent)."""
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - t0)
        if budget is not None and sum(times) > budget:
            break
    return float(np.median(times)), out


def time_aurora_formula(pb: Problem, repeat: int, engine: str) -> Timing:
    import aurora

    sec, res = _median_time(lambda: aurora.glm(pb.formula, pb.data, family=pb.family, engine=engine), repeat)
    return Timing("aurora.glm (formula)", sec, res.params.to_numpy(), f"{res.n_iter} iter")


def time_aurora_matrix(pb: Problem, repeat: int, engine: str) -> Timing:
    from aurora.models.glm import fit_glm

    sec, res = _median_time(lambda: fit_glm(pb.design, pb.y, family=pb.family, backend=engine), repeat)
    return Timing("aurora fit_glm (matrix)", sec, res.params.to_numpy(), f"{res.n_iter} iter")


def time_statsmodels(pb: Problem, repeat: int) -> Timing:
    import statsmodels.api as sm

    fam = sm.families.Poisson() if pb.family == "poisson" else sm.families.Binomial()
    Xc = np.column_stack([np.ones(pb.n), pb.design])  # outside the timing
    sec, res = _median_time(lambda: sm.GLM(pb.y, Xc, family=fam).fit(), repeat)
    return Timing("statsmodels GLM (IRLS)", sec, np.asarray(res.params), f"{res.fit_history['iteration']} iter")


def time_glum(pb: Problem, repeat: int, budget: float | None = None) -> Timing:
    from glum import GeneralizedLinearRegressor

    X = pb.data.drop(columns="y")
    runs = []

    def fit():
        model = GeneralizedLinearRegressor(
            alpha=0, family=pb.family, fit_intercept=True, gradient_tol=1e-8, drop_first=True
        )
        runs.append(1)
        return model.fit(X, pb.y)

    sec, model = _median_time(fit, repeat, budget)
    note = f"{model.n_iter_} iter" + (f", {len(runs)} run(s)" if len(runs) < repeat else "")
    return Timing("glum", sec, np.concatenate([[model.intercept_], model.coef_]), note)


def time_aurora_influence(pb: Problem, repeat: int, engine: str) -> Timing:
    import aurora

    res = aurora.glm(pb.formula, pb.data, family=pb.family, engine=engine)  # not timed
    sec, infl = _median_time(res.influence, repeat)
    return Timing("aurora influence()", sec, infl["hat"].to_numpy(), f"{infl.shape[1]} columns")


def time_statsmodels_influence(pb: Problem, repeat: int) -> Timing:
    import statsmodels.api as sm

    Xc = np.column_stack([np.ones(pb.n), pb.design])
    res = sm.GLM(pb.y, Xc, family=sm.families.Poisson()).fit()  # not timed

    def measures():
        infl = res.get_influence(observed=False)
        out = (infl.hat_matrix_diag, infl.cooks_distance[0], infl.resid_studentized,
               infl.dfbetas)
        return out

    with np.errstate(all="ignore"):
        sec, out = _median_time(measures, repeat)
    return Timing("statsmodels get_influence", sec, out[0], "hat, cooks, studentized, dfbetas")


R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; reps <- as.integer(args[2]); family <- args[3]
n <- as.integer(args[4]); p <- as.integer(args[5]); levels <- as.integer(args[6])
formula <- as.formula(readLines(file.path(dir, "formula.txt")))
X <- matrix(readBin(file.path(dir, "X.bin"), "double", n * p), n, p)
d <- as.data.frame(X); names(d) <- sprintf("x%02d", seq_len(p))
if (levels > 0) {
  g <- readBin(file.path(dir, "g.bin"), "integer", n)
  d$g <- factor(g, levels = 0:(levels - 1), labels = sprintf("L%03d", 0:(levels - 1)))
}
d$y <- readBin(file.path(dir, "y.bin"), "double", n)
fam <- if (family == "poisson") poisson() else binomial()
times <- numeric(reps)
for (i in seq_len(reps)) {
  invisible(gc())
  times[i] <- system.time(fit <- glm(formula, data = d, family = fam))[["elapsed"]]
}
writeLines(sprintf("%.17g", times), file.path(dir, "times.txt"))
writeLines(sprintf("%.17g", coef(fit)), file.path(dir, "coef.txt"))
writeLines(sprintf("%d %s", fit$iter, fit$converged), file.path(dir, "iter.txt"))
"""


def time_r(pb: Problem, repeat: int) -> Timing:
    with tempfile.TemporaryDirectory(prefix="aurora-bench-") as tmp:
        d = Path(tmp)
        X = pb.data[[f"x{j + 1:02d}" for j in range(pb.n_numeric)]].to_numpy()
        np.ascontiguousarray(X.T).tofile(d / "X.bin")  # column-major, as R's matrix()
        pb.y.astype(np.float64).tofile(d / "y.bin")
        if pb.n_levels:
            pb.data["g"].cat.codes.to_numpy().astype(np.int32).tofile(d / "g.bin")
        (d / "formula.txt").write_text(pb.formula + "\n")
        (d / "bench.R").write_text(R_SCRIPT)
        cmd = ["Rscript", str(d / "bench.R"), str(d), str(repeat), pb.family, str(pb.n),
               str(pb.n_numeric), str(pb.n_levels)]
        subprocess.run(cmd, check=True)
        times = np.loadtxt(d / "times.txt", ndmin=1)
        coef = np.loadtxt(d / "coef.txt", ndmin=1)
        iters, converged = (d / "iter.txt").read_text().split()
    note = f"{iters} iter" + ("" if converged == "TRUE" else ", not converged")
    return Timing("R glm", float(np.median(times)), coef, note)


# -------------------------------------------------------------------------- report
def _format_table(pb: Problem, rows: list[Timing], repeat: int, engine: str) -> str:
    ref = rows[0]
    matrix = next((r for r in rows if r.method.startswith("aurora fit_glm")), None)
    head = (
        f"{pb.name}: n = {pb.n:,}, {pb.n_numeric} numeric covariate"
        + ("s" if pb.n_numeric > 1 else "")
        + (f" + a {pb.n_levels}-level factor" if pb.n_levels else "")
        + f" ({pb.n_coef} coefficients)"
        + ("; influence() of the fit" if pb.kind == "influence" else "")
        + f"; median of {repeat}; aurora engine = {engine}"
    )
    lines = [head, ""]
    ours = "/ aurora" if pb.kind == "influence" else "/ aurora.glm"
    what = "max|hat - aurora|" if pb.kind == "influence" else "max|coef - aurora|"
    header = f"{'method':<26}{'seconds':>10}{ours:>14}{'/ fit_glm':>11}{what:>21}  notes"
    lines += [header, "-" * len(header)]
    for r in rows:
        ratio = r.seconds / ref.seconds
        ratio_m = "" if matrix is None else f"{r.seconds / matrix.seconds:.2f}"
        if r.coef is None or ref.coef is None:
            diff = "n/a"
        elif r.coef.shape != ref.coef.shape:
            diff = f"shape {r.coef.shape}"
        else:
            diff = f"{np.max(np.abs(r.coef - ref.coef)):.2e}"
        lines.append(f"{r.method:<26}{r.seconds:>10.3f}{ratio:>14.2f}{ratio_m:>11}{diff:>21}  {r.note}")
    return "\n".join(lines)


def _versions() -> str:
    out = [f"python {platform.python_version()}", f"numpy {np.__version__}", f"{os.cpu_count()} CPUs"]
    for mod in ("statsmodels", "glum"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            out.append(f"{mod} missing")
    if shutil.which("Rscript"):
        r = subprocess.run(["Rscript", "-e", "cat(R.version$major, R.version$minor, sep='.')"],
                           capture_output=True, text=True)
        out.append(f"R {r.stdout.strip()}")
    return ", ".join(out)


def run(problem: str, n: int | None, repeat: int, engine: str, skip: set[str], r_repeat: int) -> str:
    make, default_n = PROBLEMS[problem]
    pb = make(n or default_n)
    if problem == "factor10k":
        return _run_factor(pb, make, repeat, engine, skip)
    if problem == "influence1k":
        return _run_influence(pb, make, repeat, engine, skip)
    # one untimed fit of every Python method on a small problem first, so that imports,
    # parser construction and library caches are warm and no method pays its first call
    small = make(5_000)
    time_aurora_formula(small, 1, engine)
    time_aurora_matrix(small, 1, engine)
    rows = [time_aurora_formula(pb, repeat, engine), time_aurora_matrix(pb, repeat, engine)]
    fitters = {"statsmodels": time_statsmodels, "glum": time_glum}
    for name, fitter in fitters.items():
        if name in skip:
            continue
        try:
            fitter(small, 1)
            rows.append(fitter(pb, repeat))
        except ImportError as exc:
            print(f"[{problem}] {name} skipped: {exc}", file=sys.stderr)
    if "r" not in skip and shutil.which("Rscript"):
        rows.append(time_r(pb, r_repeat))
    return _format_table(pb, rows, repeat, engine)


def _run_factor(pb: Problem, make: Callable[..., Problem], repeat: int, engine: str,
                skip: set[str]) -> str:
    """aurora.glm and glum; statsmodels, fit_glm and R need the dense 50,000 x 10,000 matrix."""
    small = make(2_000, levels=200)
    time_aurora_formula(small, 1, engine)
    rows = [time_aurora_formula(pb, repeat, engine)]
    if "glum" not in skip:
        try:
            time_glum(small, 1)
            # glum's unpenalised solver factorises a dense 10,001 x 10,001 Hessian per
            # iteration (minutes per fit here): repeats stop after 10 minutes
            rows.append(time_glum(pb, repeat, budget=600.0))
        except ImportError as exc:
            print(f"[{pb.name}] glum skipped: {exc}", file=sys.stderr)
    return _format_table(pb, rows, repeat, engine)


def _run_influence(pb: Problem, make: Callable[..., Problem], repeat: int, engine: str,
                   skip: set[str]) -> str:
    small = make(2_000, levels=100)
    time_aurora_influence(small, 1, engine)
    rows = [time_aurora_influence(pb, repeat, engine)]
    if "statsmodels" not in skip:
        try:
            time_statsmodels_influence(small, 1)
            rows.append(time_statsmodels_influence(pb, repeat))
        except ImportError as exc:
            print(f"[{pb.name}] statsmodels skipped: {exc}", file=sys.stderr)
    return _format_table(pb, rows, repeat, engine)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None,
                    help="rows (default 1,000,000 for poisson, 500,000 for logistic, 50,000 "
                         "for factor10k, 10,000 for influence1k)")
    ap.add_argument("--repeat", type=int, default=5, help="timed fits per method (median reported; the first fits of a process pay memory-allocator warm-up)")
    ap.add_argument("--r-repeat", type=int, default=None, help="timed fits in R (default: --repeat)")
    ap.add_argument("--engine", default="numpy", choices=["numpy", "jax", "torch", "pytorch"],
                    help="aurora's array backend")
    ap.add_argument("--only", nargs="+", choices=sorted(PROBLEMS), default=None)
    ap.add_argument("--skip", nargs="*", default=[], choices=["statsmodels", "glum", "r"],
                    help="competitors to leave out")
    args = ap.parse_args(argv)
    print(_versions(), flush=True)
    for problem in args.only or list(PROBLEMS):
        print("\n" + run(problem, args.n, args.repeat, args.engine, set(args.skip),
                         args.r_repeat or args.repeat), flush=True)


if __name__ == "__main__":
    main()
