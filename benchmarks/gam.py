"""Time GAM fits: aurora against mgcv (``gam`` and ``bam``), pyGAM and statsmodels' GLMGam.

Five cases, simulated with a fixed seed (data generation is never timed):

* ``cr10k``, ``tp10k``: gamSim(1)-style ``y ~ s(x0) + s(x1) + s(x2) + s(x3)``, gaussian,
  n = 10,000, by REML, with ``bs = "cr"`` and with the default ``tp`` (k = 10 each);
* ``cr100k``, ``tp100k``: the same at n = 100,000 (for ``tp`` mgcv, and aurora with it,
  builds each basis from a random 2,000-point subset of the unique values, R's
  ``set.seed(1); sample()``);
* ``te50k``: Poisson ``y ~ te(x, z) + s(w)`` at n = 50,000 by REML.

Methods timed (the median of ``--repeat`` runs; each Python method first makes one untimed
fit on a small problem, so imports and caches are warm):

* ``aurora.gam``: formula front door (model frame, bases, REML Newton iteration, result);
* mgcv's ``gam(..., method = "REML")`` and ``bam(...)`` (bam's default ``fREML``), through
  ``Rscript`` when it is on PATH: the data go to R once as a CSV, read before any timing;
  only the fit is timed, with ``system.time`` inside R, median of ``--r-repeat`` runs after
  one untimed fit on the first 2,000 rows;
* pyGAM ``LinearGAM`` / ``PoissonGAM`` with ``gridsearch`` (its default: 11 values of lam
  on logspace(-3, 3), one value shared by every term, chosen by GCV, or UBRE for Poisson),
  and with a single ``fit`` at pyGAM's default ``lam = 0.6``. pyGAM's P-splines get mgcv's
  basis sizes (``n_splines = 10``; ``te`` 5 x 5). Neither is REML;
* statsmodels ``GLMGam`` with ``BSplines(df = 10, degree = 3)``, at a fixed ``alpha``:
  its own selection (``select_penweight``, derivative-free over thousands of PIRLS fits)
  took 894 s at n = 10,000 with Nelder-Mead on GCV (908 fits), so it is not run; the fixed
  alphas are the ones that search chose (gaussian) or 1.0 (Poisson). statsmodels has no
  tensor-product smooth: for ``te50k`` it fits ``s(x) + s(z) + s(w)``, another model.

It prints, per case, the seconds, each method's time divided by aurora's (> 1: aurora is
faster), the largest difference between its fitted values and mgcv ``gam``'s relative to
the range of mgcv's fitted values, and the REML score (mgcv's ``gcv.ubre``; bam's is the
fREML score of its own parametrisation). A summary table closes the run.

Usage::

    python benchmarks/gam.py                       # all cases, full size (several minutes)
    python benchmarks/gam.py --quick               # small n, one repeat: a smoke test
    python benchmarks/gam.py --cases cr10k tp10k --repeat 5 --r-repeat 3
    python benchmarks/gam.py --skip pygam statsmodels
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
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

SEED = 20240601

# statsmodels GLMGam's alpha per smooth: the values its select_penweight(criterion="gcv",
# method="nm") chose on the n = 10,000 gaussian data (894 s, once); 1.0 for Poisson.
SM_ALPHA_ADDITIVE = [6.567e-02, 4.091e-02, 4.645e-05, 5.554e+00]
SM_ALPHA_POISSON = [1.0, 1.0, 1.0]


@dataclass
class Case:
    name: str
    family: str  # "gaussian" or "poisson"
    kind: str  # "additive" or "te"
    bs: str | None  # additive cases: "cr" or "tp"
    data: pd.DataFrame = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def aurora_formula(self) -> str:
        if self.kind == "te":
            return "y ~ te(x, z) + s(w)"
        opt = "" if self.bs == "tp" else f", bs = '{self.bs}'"
        return "y ~ " + " + ".join(f"s(x{j}{opt})" for j in range(4))

    @property
    def r_formula(self) -> str:
        return self.aurora_formula.replace("'", '"')

    @property
    def title(self) -> str:
        return (f"{self.name}: {self.r_formula}, {self.family}, n = {self.n:,}, REML")


def gamsim1(n: int, seed: int) -> pd.DataFrame:
    """mgcv's gamSim(1) functions (scale 2), drawn with NumPy."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    f0 = 2 * np.sin(np.pi * x[:, 0])
    f1 = np.exp(2 * x[:, 1])
    f2 = 0.2 * x[:, 2] ** 11 * (10 * (1 - x[:, 2])) ** 6 + 10 * (10 * x[:, 2]) ** 3 * (1 - x[:, 2]) ** 10
    y = f0 + f1 + f2 + rng.normal(scale=2.0, size=n)
    d = pd.DataFrame(x, columns=[f"x{j}" for j in range(4)])
    d["y"] = y
    return d


def poisson_te(n: int, seed: int) -> pd.DataFrame:
    """Counts with a smooth 2-D surface in (x, z) plus a smooth of w (log link)."""
    rng = np.random.default_rng(seed)
    x, z, w = rng.uniform(size=(3, n))
    eta = (0.5 + 0.8 * np.exp(-((x - 0.3) ** 2 + (z - 0.6) ** 2) / 0.08)
           + 0.4 * np.sin(2 * np.pi * x * z) + 0.3 * np.cos(2 * np.pi * w))
    y = rng.poisson(np.exp(eta)).astype(np.float64)
    return pd.DataFrame({"x": x, "z": z, "w": w, "y": y})


CASES = {  # name: (family, kind, bs, default n)
    "cr10k": ("gaussian", "additive", "cr", 10_000),
    "tp10k": ("gaussian", "additive", "tp", 10_000),
    "cr100k": ("gaussian", "additive", "cr", 100_000),
    "tp100k": ("gaussian", "additive", "tp", 100_000),
    "te50k": ("poisson", "te", None, 50_000),
}
QUICK_N = {"cr10k": 2_000, "tp10k": 2_000, "cr100k": 4_000, "tp100k": 4_000, "te50k": 3_000}

_DATA: dict[tuple[str, int], pd.DataFrame] = {}


def make_case(name: str, n: int) -> Case:
    family, kind, bs, _ = CASES[name]
    key = (kind, n)
    if key not in _DATA:  # cr and tp cases of one size share their data
        _DATA[key] = gamsim1(n, SEED + n) if kind == "additive" else poisson_te(n, SEED + 7 + n)
    return Case(name, family, kind, bs, _DATA[key])


# ------------------------------------------------------------------------- fitters
@dataclass
class Timing:
    method: str
    seconds: float
    fitted: np.ndarray | None
    score: float | None = None
    note: str = ""
    edf: np.ndarray | None = None


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


def time_aurora(case: Case, repeat: int, engine: str) -> Timing:
    import aurora

    def fit():
        return aurora.gam(case.aurora_formula, case.data, family=case.family, method="REML",
                          engine=engine)

    sec, m = _median_time(fit, repeat)
    note = f"{m.fit.outer_iterations} Newton iter" + ("" if m.converged else ", not converged")
    return Timing("aurora.gam (REML)", sec, np.asarray(m.fitted, dtype=float),
                  float(m.reml_score), note, np.asarray(m.edf, dtype=float))


def _pygam_model(case: Case):
    from pygam import LinearGAM, PoissonGAM, s, te

    if case.kind == "te":
        return PoissonGAM(te(0, 1, n_splines=[5, 5]) + s(2, n_splines=10)), ["x", "z", "w"]
    return LinearGAM(s(0, n_splines=10) + s(1, n_splines=10) + s(2, n_splines=10)
                     + s(3, n_splines=10)), ["x0", "x1", "x2", "x3"]


def _flatten(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        for u in v:
            yield from _flatten(u)
    else:
        yield v


def time_pygam(case: Case, repeat: int, grid: bool, budget: float | None) -> Timing:
    _, cols = _pygam_model(case)
    X = case.data[cols].to_numpy()
    y = case.data["y"].to_numpy()

    def fit():
        model, _ = _pygam_model(case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.gridsearch(X, y, progress=False) if grid else model.fit(X, y)

    sec, m = _median_time(fit, repeat, budget)
    crit = "UBRE" if case.family == "poisson" else "GCV"
    lam = np.array(list(_flatten(m.lam)), dtype=float)
    if grid:
        name = "pyGAM gridsearch"
        note = f"{crit} over 11 lam shared by all terms; lam = {lam[0]:.3g}"
    else:
        name = "pyGAM fit (lam = 0.6)"
        note = "fixed lam, one PIRLS fit"
    return Timing(name, sec, np.asarray(m.predict_mu(X) if case.family == "poisson"
                                        else m.predict(X), dtype=float), None, note)


def time_statsmodels(case: Case, repeat: int, budget: float | None) -> Timing:
    import statsmodels.api as sm
    from statsmodels.gam.api import BSplines, GLMGam

    if case.kind == "te":
        cols, alpha, fam = ["x", "z", "w"], SM_ALPHA_POISSON, sm.families.Poisson()
    else:
        cols, alpha, fam = ["x0", "x1", "x2", "x3"], SM_ALPHA_ADDITIVE, sm.families.Gaussian()
    X = case.data[cols].to_numpy()
    y = case.data["y"].to_numpy()
    const = np.ones((case.n, 1))

    def fit():
        basis = BSplines(X, df=[10] * len(cols), degree=[3] * len(cols))
        return GLMGam(y, exog=const, smoother=basis, alpha=alpha, family=fam).fit()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sec, res = _median_time(fit, repeat, budget)
    note = "fixed alpha" + ("; s(x) + s(z) + s(w): no tensor smooth" if case.kind == "te" else "")
    return Timing("statsmodels GLMGam", sec, np.asarray(res.fittedvalues, dtype=float), None, note)


R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; reps <- as.integer(args[2]); family <- args[3]
methods <- strsplit(args[4], ",")[[1]]
suppressPackageStartupMessages(library(mgcv))
d <- read.csv(file.path(dir, "data.csv"))
form <- as.formula(readLines(file.path(dir, "formula.txt")))
fam <- if (family == "poisson") poisson() else gaussian()
small <- d[seq_len(min(nrow(d), 2000)), ]
for (m in methods) {
  fitter <- if (m == "gam") {
    function(dd) gam(form, data = dd, family = fam, method = "REML")
  } else {
    function(dd) bam(form, data = dd, family = fam)   # bam's default method, "fREML"
  }
  invisible(fitter(small))   # untimed: loads and byte-compiles what the fit calls
  times <- numeric(reps)
  for (i in seq_len(reps)) {
    invisible(gc())
    times[i] <- system.time(fit <- fitter(d))[["elapsed"]]
  }
  out <- function(what) file.path(dir, paste0(m, "_", what))
  writeLines(sprintf("%.17g", times), out("times.txt"))
  writeBin(as.double(fitted(fit)), out("fitted.bin"))
  edf <- sapply(fit$smooth, function(s) sum(fit$edf[s$first.para:s$last.para]))
  writeLines(sprintf("%.17g", c(fit$gcv.ubre, edf)), out("score.txt"))
  it <- if (m == "gam") fit$outer.info$iter else fit$iter
  conv <- if (m == "gam") fit$outer.info$conv else if (fit$converged) "full convergence" else "not converged"
  writeLines(c(as.character(it), conv), out("info.txt"))
}
"""


def time_r(case: Case, r_repeat: int, methods: list[str]) -> list[Timing]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="aurora-gam-bench-") as tmp:
        d = Path(tmp)
        case.data.to_csv(d / "data.csv", index=False, float_format="%.17g")  # once, untimed
        (d / "formula.txt").write_text(case.r_formula + "\n")
        (d / "bench.R").write_text(R_SCRIPT)
        cmd = ["Rscript", str(d / "bench.R"), str(d), str(r_repeat), case.family, ",".join(methods)]
        subprocess.run(cmd, check=True)
        for m in methods:
            times = np.loadtxt(d / f"{m}_times.txt", ndmin=1)
            fitted = np.fromfile(d / f"{m}_fitted.bin", dtype=np.float64)
            vals = np.loadtxt(d / f"{m}_score.txt", ndmin=1)
            it, conv = (d / f"{m}_info.txt").read_text().splitlines()[:2]
            if m == "gam":
                name, note = "mgcv gam (REML)", f"{it} Newton iter, {conv}"
            else:
                name, note = "mgcv bam (fREML)", f"{it} iter, {conv}; fREML score"
            rows.append(Timing(name, float(np.median(times)), fitted, float(vals[0]), note, vals[1:]))
    return rows


# -------------------------------------------------------------------------- report
@dataclass
class CaseResult:
    case: Case
    rows: list[Timing]
    ref: Timing | None  # mgcv gam, the reference for fitted values

    def row(self, prefix: str) -> Timing | None:
        return next((r for r in self.rows if r.method.startswith(prefix)), None)


def _rel_fit_diff(a: np.ndarray | None, ref: Timing | None) -> float | None:
    if a is None or ref is None or ref.fitted is None or a.shape != ref.fitted.shape:
        return None
    span = float(np.ptp(ref.fitted))
    return float(np.max(np.abs(a - ref.fitted)) / span)


def format_case(res: CaseResult, repeat: int, r_repeat: int, engine: str) -> str:
    case, ours, ref = res.case, res.rows[0], res.ref
    head = (f"{case.title}; median of {repeat} (R: {r_repeat}); aurora engine = {engine}")
    diff_head = "max|fit-mgcv|/range" if ref is not None else "max|fit-aurora|/range"
    header = (f"{'method':<26}{'seconds':>10}{'/ aurora':>10}{diff_head:>22}"
              f"{'REML score':>18}  notes")
    lines = [head, "", header, "-" * len(header)]
    base = ref if ref is not None else ours
    for r in res.rows:
        d = _rel_fit_diff(r.fitted, base)
        ds = "n/a" if d is None else f"{d:.2e}"
        sc = "" if r.score is None else f"{r.score:.6f}"
        lines.append(f"{r.method:<26}{r.seconds:>10.3f}{r.seconds / ours.seconds:>10.2f}"
                     f"{ds:>22}{sc:>18}  {r.note}")
    if ref is not None:
        rel = abs(ours.score - ref.score) / abs(ref.score)
        edf = (np.max(np.abs(ours.edf - ref.edf)) if ours.edf is not None and ref.edf is not None
               and ours.edf.shape == ref.edf.shape else float("nan"))
        lines.append("")
        lines.append(f"aurora vs mgcv gam: fitted values within {_rel_fit_diff(ours.fitted, ref):.2e} "
                     f"of their range, REML score relative difference {rel:.2e}, "
                     f"max |edf difference| {edf:.2e}")
    return "\n".join(lines)


def format_summary(results: list[CaseResult]) -> str:
    header = (f"{'case':<8}{'n':>9}{'aurora s':>10}{'gam s':>9}{'bam s':>9}{'pyGAM grid s':>14}"
              f"{'sm s':>8}{'gam/aur':>9}{'bam/aur':>9}{'grid/aur':>10}"
              f"{'fit diff':>10}{'REML rel':>10}")
    lines = ["summary (seconds; ratio = method / aurora, > 1: aurora faster; fit diff = "
             "max|aurora - mgcv gam| / range)", "", header, "-" * len(header)]

    def s(t: Timing | None) -> str:
        return "-" if t is None else f"{t.seconds:.3f}"

    def q(t: Timing | None, ours: Timing) -> str:
        return "-" if t is None else f"{t.seconds / ours.seconds:.2f}"

    for res in results:
        ours = res.rows[0]
        gam, bam = res.row("mgcv gam"), res.row("mgcv bam")
        grid, sm = res.row("pyGAM gridsearch"), res.row("statsmodels")
        fd = _rel_fit_diff(ours.fitted, gam)
        rel = "-" if gam is None else f"{abs(ours.score - gam.score) / abs(gam.score):.1e}"
        lines.append(f"{res.case.name:<8}{res.case.n:>9,}{s(ours):>10}{s(gam):>9}{s(bam):>9}"
                     f"{s(grid):>14}{s(sm):>8}{q(gam, ours):>9}{q(bam, ours):>9}"
                     f"{q(grid, ours):>10}{'-' if fd is None else f'{fd:.1e}':>10}{rel:>10}")
    return "\n".join(lines)


def _versions() -> str:
    out = [f"python {platform.python_version()}", f"numpy {np.__version__}",
           f"{os.cpu_count()} CPUs"]
    for mod in ("scipy", "statsmodels", "pygam"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            out.append(f"{mod} missing")
    if shutil.which("Rscript"):
        r = subprocess.run(["Rscript", "-e", "cat(R.version$major, R.version$minor, sep='.'); "
                            "cat(' mgcv', as.character(packageVersion('mgcv')))"],
                           capture_output=True, text=True)
        out.append(f"R {r.stdout.strip()}")
    return ", ".join(out)


_COMPETITOR_CACHE: dict[tuple[str, int, str], Timing] = {}


def run_case(name: str, n: int, repeat: int, r_repeat: int, engine: str, skip: set[str],
             budget: float | None) -> CaseResult:
    case = make_case(name, n)
    small = make_case(name, 1_000 if case.kind == "additive" else 1_500)
    time_aurora(small, 1, engine)  # warm-up, untimed
    rows = [time_aurora(case, repeat, engine)]
    # pyGAM and statsmodels do not depend on bs: the cr and tp cases of one size share one
    # timing of them (same data)
    python_fitters: list[tuple[str, Callable[[Case, int], Timing]]] = []
    if "pygam" not in skip:
        python_fitters += [("pygam-grid", lambda c, r: time_pygam(c, r, True, budget)),
                           ("pygam-fit", lambda c, r: time_pygam(c, r, False, budget))]
    if "statsmodels" not in skip:
        python_fitters.append(("statsmodels", lambda c, r: time_statsmodels(c, r, budget)))
    for key, fitter in python_fitters:
        ck = (case.kind, case.n, key)
        try:
            if ck not in _COMPETITOR_CACHE:
                fitter(small, 1)
                _COMPETITOR_CACHE[ck] = fitter(case, repeat)
            rows.append(_COMPETITOR_CACHE[ck])
        except ImportError as exc:
            print(f"[{name}] {key} skipped: {exc}", file=sys.stderr)
    methods = [m for m in ("gam", "bam") if m not in skip]
    ref = None
    if methods and "r" not in skip and shutil.which("Rscript"):
        r_rows = time_r(case, r_repeat, methods)
        rows[1:1] = r_rows
        ref = next((r for r in r_rows if r.method.startswith("mgcv gam")), None)
    return CaseResult(case, rows, ref)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=None,
                    help="cases to run (default: all)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed fits per Python method (median reported)")
    ap.add_argument("--r-repeat", type=int, default=None,
                    help="timed fits per R method (default: --repeat)")
    ap.add_argument("--quick", action="store_true",
                    help="small n (2,000-4,000 rows) and one repeat: a smoke test")
    ap.add_argument("--n", type=int, default=None, help="rows for every case chosen")
    ap.add_argument("--engine", default="numpy", choices=["numpy", "jax", "torch", "pytorch"],
                    help="aurora's array backend")
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=["pygam", "statsmodels", "r", "gam", "bam"],
                    help="competitors to leave out")
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds after which a Python competitor's repeats stop")
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    r_repeat = 1 if args.quick else (args.r_repeat or args.repeat)
    print(_versions(), flush=True)
    results = []
    for name in args.cases or list(CASES):
        n = args.n or (QUICK_N[name] if args.quick else CASES[name][3])
        res = run_case(name, n, repeat, r_repeat, args.engine, set(args.skip), args.budget)
        results.append(res)
        print("\n" + format_case(res, repeat, r_repeat, args.engine), flush=True)
    print("\n" + format_summary(results), flush=True)


if __name__ == "__main__":
    main()
