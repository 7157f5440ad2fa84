"""Time GLM fits: aurora against statsmodels, glum and R's ``glm``.

Two problems, simulated with a fixed seed (data generation is never timed):

* ``poisson``: n = 1,000,000 rows, 20 numeric covariates, log link;
* ``logistic``: n = 500,000 rows, 10 numeric covariates plus a 200-level factor, logit
  link (210 coefficients).

For each problem the script times, as the median of ``--repeat`` runs,

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
the common order: intercept, numeric covariates, factor levels 2..200).

Usage::

    python benchmarks/glm.py                       # both problems, full size, 3 repeats
    python benchmarks/glm.py --only logistic --n 100000 --repeat 5 --engine jax
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
    design: np.ndarray = field(repr=False)  # numeric design without intercept (dummies)
    y: np.ndarray = field(repr=False)
    n_numeric: int
    n_levels: int  # 0 without a factor

    @property
    def n(self) -> int:
        return self.y.size

    @property
    def n_coef(self) -> int:
        return 1 + self.design.shape[1]


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


# ------------------------------------------------------------------------- fitters
@dataclass
class Timing:
    method: str
    seconds: float
    coef: np.ndarray | None
    note: str = ""


def _median_time(fit: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - t0)
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


def time_glum(pb: Problem, repeat: int) -> Timing:
    from glum import GeneralizedLinearRegressor

    X = pb.data.drop(columns="y")

    def fit():
        model = GeneralizedLinearRegressor(
            alpha=0, family=pb.family, fit_intercept=True, gradient_tol=1e-8, drop_first=True
        )
        return model.fit(X, pb.y)

    sec, model = _median_time(fit, repeat)
    return Timing("glum", sec, np.concatenate([[model.intercept_], model.coef_]), f"{model.n_iter_} iter")


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
        f"{pb.name}: n = {pb.n:,}, {pb.n_numeric} numeric covariates"
        + (f" + a {pb.n_levels}-level factor" if pb.n_levels else "")
        + f" ({pb.n_coef} coefficients); median of {repeat}; aurora engine = {engine}"
    )
    lines = [head, ""]
    header = f"{'method':<26}{'seconds':>10}{'/ aurora.glm':>14}{'/ fit_glm':>11}{'max|coef - aurora|':>21}  notes"
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
    make = make_poisson if problem == "poisson" else make_logistic
    pb = make(n or (1_000_000 if problem == "poisson" else 500_000))
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None,
                    help="rows (default 1,000,000 for poisson, 500,000 for logistic)")
    ap.add_argument("--repeat", type=int, default=5, help="timed fits per method (median reported; the first fits of a process pay memory-allocator warm-up)")
    ap.add_argument("--r-repeat", type=int, default=None, help="timed fits in R (default: --repeat)")
    ap.add_argument("--engine", default="numpy", choices=["numpy", "jax", "torch", "pytorch"],
                    help="aurora's array backend")
    ap.add_argument("--only", choices=["poisson", "logistic"], default=None)
    ap.add_argument("--skip", nargs="*", default=[], choices=["statsmodels", "glum", "r"],
                    help="competitors to leave out")
    args = ap.parse_args(argv)
    print(_versions(), flush=True)
    for problem in [args.only] if args.only else ["poisson", "logistic"]:
        print("\n" + run(problem, args.n, args.repeat, args.engine, set(args.skip),
                         args.r_repeat or args.repeat), flush=True)


if __name__ == "__main__":
    main()
