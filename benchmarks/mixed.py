"""Time mixed-model fits: aurora.lmer / aurora.glmer against lme4 and statsmodels' MixedLM.

Three cases, simulated with a fixed seed (data generation is never timed):

* ``insteval``: the shape of lme4's InstEval data and its crossed model,
  ``y ~ service + (1 | s) + (1 | d) + (1 | dept)`` by REML: 73,421 rows, students ``s``
  (2,972 levels), instructors ``d`` (1,128 levels, each in one department) and
  departments ``dept`` (14 levels), ``service`` a two-level factor; the variance
  components are those lme4 estimates on InstEval (sd 0.32, 0.52, 0.08; residual 1.18);
* ``slopes10k``: correlated random intercepts and slopes on 10,000 groups,
  ``y ~ x + (1 + x | g)`` by REML, 5 rows per group (50,000 rows);
* ``verbagg``: the shape of lme4's VerbAgg data and a binomial GLMM with two crossed
  factors, ``r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)`` by the Laplace
  approximation: 7,584 rows = 316 subjects ``id`` x 24 items ``item`` (``Anger`` and
  ``Gender`` per subject, ``btype`` (3 levels) and ``situ`` (2) per item).

Methods timed (the median of ``--repeat`` runs; each Python method first makes one untimed
fit on a small problem, so imports and caches are warm):

* ``aurora.lmer`` / ``aurora.glmer`` (formula front door), when aurora has them
  (``hasattr(aurora, "lmer")``); otherwise the row says "not available";
* lme4's ``lmer(..., REML = TRUE)`` / ``glmer(..., family = binomial)`` with their default
  optimizers, through ``Rscript`` when it is on PATH: the data go to R once as a CSV, read
  before any timing; only the fit is timed, with ``system.time`` inside R, median of
  ``--r-repeat`` runs after one untimed fit on the first 2,000 rows;
* statsmodels ``MixedLM`` (REML, its default lbfgs) where it can express the model:
  ``slopes10k`` as ``MixedLM.from_formula("y ~ x", groups="g", re_formula="~x")``.
  ``insteval`` is not run: crossed factors need one all-covering group with variance
  components, a dense 73,421 x 4,114 random-effects design per likelihood evaluation;
  ``verbagg`` is binomial and MixedLM is Gaussian only (its ``BinomialBayesMixedGLM`` is
  a variational Bayes fit, another estimator).

It prints, per case, the seconds, each method's time divided by aurora's (> 1: aurora is
faster; against lme4 when aurora is missing), the criterion (lme4's ``REMLcrit`` for the
Gaussian cases, -2 logLik for the GLMM) and the largest absolute differences of the fixed
effects and of theta from lme4's. A summary table closes the run.

Measured on the 2-core development machine while other jobs ran (load about 3, so the
absolute times are inflated; one run, lme4 1.1-31 on R 4.2.2): lme4 took 48.6 s on
``insteval`` (on lme4's real InstEval data, in the same conditions, 47.4 s, 74
evaluations: the simulated crossing gives about the same per-evaluation cost, 0.49 s
against 0.48 s, and a sparse Cholesky factor of 1.32 million nonzeros against 1.11), 1.9 s
on ``slopes10k`` (statsmodels MixedLM 55 s, same REML criterion to 2e-10) and 7.1 s on
``verbagg`` (400 evaluations; real VerbAgg: 4.1 s, 385 evaluations). The latest full run,
its ratios and the agreement with lme4 are in ``benchmarks/README.md`` (section
``mixed.py``).

Usage::

    python benchmarks/mixed.py                      # all cases, full size (minutes)
    python benchmarks/mixed.py --quick              # small data, one repeat: a smoke test
    python benchmarks/mixed.py --cases verbagg --repeat 5 --r-repeat 3
    python benchmarks/mixed.py --skip statsmodels
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

SEED = 20250302


@dataclass
class Case:
    name: str
    kind: str  # "lmer" or "glmer"
    formula: str
    factors: list[str]  # columns that are factors (grouping factors included)
    data: pd.DataFrame = field(repr=False)
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def shape(self) -> str:
        levels = ", ".join(f"{f} {self.data[f].nunique():,}" for f in self.factors)
        return f"n = {self.n:,}; levels: {levels}"

    @property
    def title(self) -> str:
        how = "REML" if self.kind == "lmer" else "binomial, Laplace"
        return f"{self.name}: {self.formula}, {how}; {self.shape}"


def _labels(prefix: str, k: int) -> np.ndarray:
    width = len(str(k))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, k + 1)])


def insteval(n_s: int = 2_972, n_d: int = 1_128, n_dept: int = 14, n: int = 73_421,
             seed: int = SEED) -> pd.DataFrame:
    """InstEval's shape: students rate instructors, instructors belong to departments.

    As in InstEval: every instructor is in one department; a student rates an instructor at
    most once (InstEval's 73,421 rows are 73,421 distinct pairs); rating counts are skewed
    (1 to about 90 per student, a few instructors rated hundreds of times); and students
    follow curricula: each belongs to a cohort whose courses come mostly from its home
    department (in InstEval a median 57% of a student's ratings fall in one department).
    That keeps the crossed s-d structure, and so the fill-in of lme4's sparse Cholesky
    factor, close to the real data's."""
    rng = np.random.default_rng(seed)
    dept_of_d = np.concatenate([np.arange(n_dept), rng.integers(0, n_dept, n_d - n_dept)])
    pop = rng.gamma(0.8, size=n_d) + 0.02  # instructors' popularity
    n_cohort = max(2, n_s // 20)
    cohort_home = rng.choice(n_dept, n_cohort, p=np.bincount(dept_of_d, weights=pop) / pop.sum())
    size = min(n_d, 110)
    curricula = []
    for c in range(n_cohort):
        members = np.flatnonzero(dept_of_d == cohort_home[c])
        k_home = min(len(members), int(0.6 * size))
        chosen = rng.choice(members, k_home, replace=False, p=pop[members] / pop[members].sum())
        rest = np.setdiff1d(np.arange(n_d), chosen)
        extra = rng.choice(rest, size - k_home, replace=False, p=pop[rest] / pop[rest].sum())
        curricula.append(np.concatenate([chosen, extra]))
    covered = np.zeros(n_d, dtype=bool)
    for cur in curricula:
        covered[cur] = True
    for j in np.flatnonzero(~covered):  # every instructor teaches in some curriculum
        c = rng.integers(n_cohort)
        curricula[c] = np.append(curricula[c], j)
    cohort = rng.integers(0, n_cohort, n_s)
    # ratings per student: at least one, skewed, at most the curriculum's size
    w = rng.gamma(2.5, size=n_s)
    counts = 1 + rng.multinomial(n - n_s, w / w.sum())
    cap = np.array([len(curricula[c]) for c in cohort])
    over = counts - np.minimum(counts, cap)
    counts = np.minimum(counts, cap)
    while over.sum() > 0:  # hand the excess to students with room left
        room = np.flatnonzero(counts < cap)
        add = rng.choice(room, int(over.sum()))
        np.add.at(counts, add, 1)
        over = np.maximum(counts - cap, 0)
        counts = np.minimum(counts, cap)
    s = np.repeat(np.arange(n_s), counts)
    d = np.concatenate([rng.choice(curricula[cohort[i]], counts[i], replace=False,
                                   p=pop[curricula[cohort[i]]] / pop[curricula[cohort[i]]].sum())
                        for i in range(n_s)])
    # every instructor rated: give an unrated one a row of a student whose curriculum has
    # him, taken from an instructor rated more than once
    for j in np.flatnonzero(np.bincount(d, minlength=n_d) == 0):
        rated = np.bincount(d, minlength=n_d)
        for i in rng.permutation(np.flatnonzero(np.isin(cohort, [c for c in range(n_cohort)
                                                                if j in curricula[c]]))):
            rows = np.flatnonzero((s == i) & (rated[d] > 1))
            if len(rows):
                d[rows[0]] = j
                break
    order = rng.permutation(n)
    s, d = s[order], d[order]
    service = rng.random(n) < 0.43
    # lme4's estimates on InstEval: sd 0.325 (s), 0.515 (d), 0.083 (dept), residual 1.177
    u_s = rng.normal(scale=0.325, size=n_s)
    u_d = rng.normal(scale=0.515, size=n_d)
    u_dept = rng.normal(scale=0.083, size=n_dept)
    dept = dept_of_d[d]
    y = 3.28 - 0.09 * service + u_s[s] + u_d[d] + u_dept[dept] + rng.normal(scale=1.177, size=n)
    return pd.DataFrame({"s": _labels("s", n_s)[s], "d": _labels("d", n_d)[d],
                         "dept": _labels("dept", n_dept)[dept],
                         "service": np.where(service, "1", "0"), "y": y})


def slopes(n_groups: int = 10_000, per: int = 5, seed: int = SEED + 1) -> pd.DataFrame:
    """Correlated random intercepts and slopes (sd 1 and 0.5, correlation 0.3)."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.3 * 0.5], [0.3 * 0.5, 0.25]])
    b = rng.multivariate_normal([0.0, 0.0], cov, size=n_groups)
    g = np.repeat(np.arange(n_groups), per)
    x = rng.normal(size=n_groups * per)
    y = 1.0 + b[g, 0] + (0.5 + b[g, 1]) * x + rng.normal(scale=0.8, size=len(g))
    return pd.DataFrame({"g": _labels("g", n_groups)[g], "x": x, "y": y})


def verbagg(n_id: int = 316, n_item: int = 24, seed: int = SEED + 2) -> pd.DataFrame:
    """VerbAgg's shape: every subject answers every item (binary response), with the
    coefficients and variances lme4 estimates on VerbAgg for this model."""
    rng = np.random.default_rng(seed)
    anger = np.clip(np.round(rng.normal(20.0, 4.85, n_id)), 11, 39)  # VerbAgg: 11..39
    gender = np.where(rng.random(n_id) < 243 / 316, "F", "M")
    btype = np.tile(np.repeat(["curse", "scold", "shout"], 2), n_item // 6 + 1)[:n_item]
    situ = np.where(np.arange(n_item) < n_item // 2, "other", "self")
    u_id = rng.normal(scale=1.34, size=n_id)
    u_item = rng.normal(scale=0.495, size=n_item)
    i = np.repeat(np.arange(n_id), n_item)
    j = np.tile(np.arange(n_item), n_id)
    beff = {"curse": 0.0, "scold": -1.059, "shout": -2.105}
    eta = (0.199 + 0.0574 * anger[i] + 0.321 * (gender[i] == "M")
           + np.array([beff[b] for b in btype])[j] - 1.055 * (situ[j] == "self")
           + u_id[i] + u_item[j])
    r2 = (rng.random(len(i)) < 1 / (1 + np.exp(-eta))).astype(float)
    return pd.DataFrame({"id": _labels("id", n_id)[i], "item": _labels("item", n_item)[j],
                         "Anger": anger[i], "Gender": gender[i], "btype": btype[j],
                         "situ": situ[j], "r2": r2})


CASES = {  # name: (kind, formula, factors)
    "insteval": ("lmer", "y ~ service + (1 | s) + (1 | d) + (1 | dept)",
                 ["service", "s", "d", "dept"]),
    "slopes10k": ("lmer", "y ~ x + (1 + x | g)", ["g"]),
    "verbagg": ("glmer", "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)",
                ["id", "item", "Gender", "btype", "situ"]),
}


def make_case(name: str, quick: bool = False) -> Case:
    kind, formula, factors = CASES[name]
    if name == "insteval":
        data = insteval(300, 120, 14, 6_000) if quick else insteval()
    elif name == "slopes10k":
        data = slopes(600) if quick else slopes()
    else:
        data = verbagg(60, 24) if quick else verbagg()
    return Case(name, kind, formula, factors, data)


def warmup_case(case: Case) -> Case:
    """A small problem of the same kind (untimed: imports, caches, compilation)."""
    if case.name == "insteval":
        data = insteval(200, 60, 14, 2_000, seed=SEED + 10)
    elif case.name == "slopes10k":
        data = slopes(200, seed=SEED + 11)
    else:
        data = verbagg(40, 24, seed=SEED + 12)
    return Case(case.name, case.kind, case.formula, case.factors, data)


# ------------------------------------------------------------------------- fitters
@dataclass
class Timing:
    method: str
    seconds: float | None  # None: not run
    fixef: pd.Series | None = None
    theta: np.ndarray | None = None
    criterion: float | None = None  # REMLcrit (lmer) or -2 logLik (glmer)
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


def _attr(obj, *names):
    """The first of ``names`` that ``obj`` has (called if it is a method)."""
    for nm in names:
        v = getattr(obj, nm, None)
        if v is not None:
            return v() if callable(v) else v
    return None


def time_aurora(case: Case, repeat: int) -> Timing:
    import aurora

    name = f"aurora.{case.kind}"
    if not hasattr(aurora, case.kind):
        return Timing(name, None, note="not available")

    def fitter(c: Case):
        if c.kind == "lmer":
            return lambda: aurora.lmer(c.formula, c.data, REML=True)
        return lambda: aurora.glmer(c.formula, c.data, family="binomial")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter(warmup_case(case))()  # untimed
        sec, m = _median_time(fitter(case), repeat)
    fixef = _attr(m, "fixef")
    fixef = None if fixef is None else pd.Series(fixef, dtype=float)
    theta = _attr(m, "theta")
    if case.kind == "lmer":
        crit = _attr(m, "reml_criterion")
    else:
        ll = _attr(m, "loglik", "llf")
        crit = None if ll is None else -2 * float(ll)
    conv = getattr(m, "converged", None)
    note = "" if conv is None else ("converged" if conv else "NOT converged")
    return Timing(name, sec, fixef, None if theta is None else np.asarray(theta, dtype=float),
                  None if crit is None else float(crit), note)


def time_statsmodels(case: Case, repeat: int, budget: float | None) -> Timing:
    name = "statsmodels MixedLM"
    if case.name == "insteval":
        return Timing(name, None, note="not run: crossed factors need one group with variance "
                                       "components (dense 73,421 x 4,114 design)")
    if case.kind != "lmer":
        return Timing(name, None, note="not run: MixedLM is Gaussian only")
    from statsmodels.regression.mixed_linear_model import MixedLM

    def fitter(c: Case):
        return lambda: MixedLM.from_formula("y ~ x", groups="g", re_formula="~x",
                                            data=c.data).fit(reml=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter(warmup_case(case))()
        sec, res = _median_time(fitter(case), repeat, budget)
    fe = pd.Series(res.fe_params, dtype=float).rename({"Intercept": "(Intercept)"})
    # theta as lme4's: the lower Cholesky factor of cov_re / scale, by column
    try:
        L = np.linalg.cholesky(np.asarray(res.cov_re, dtype=float) / res.scale)
        theta = np.array([L[0, 0], L[1, 0], L[1, 1]])  # lower triangle, column by column
    except np.linalg.LinAlgError:
        theta = None
    note = "REML, lbfgs" + ("" if res.converged else "; NOT converged")
    return Timing(name, sec, fe, theta, -2 * float(res.llf), note + "; criterion = -2 llf")


R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; reps <- as.integer(args[2]); kind <- args[3]
suppressPackageStartupMessages(library(lme4))
factors <- readLines(file.path(dir, "factors.txt"))
d <- read.csv(file.path(dir, "data.csv"), stringsAsFactors = FALSE)
for (f in factors) d[[f]] <- factor(d[[f]])
form <- as.formula(readLines(file.path(dir, "formula.txt")))
fitter <- if (kind == "lmer") {
  function(dd) lmer(form, data = dd, REML = TRUE)
} else {
  function(dd) glmer(form, data = dd, family = binomial)
}
small <- droplevels(d[seq_len(min(nrow(d), 2000)), ])
invisible(suppressMessages(suppressWarnings(fitter(small))))  # untimed: loads, byte-compiles
times <- numeric(reps)
for (i in seq_len(reps)) {
  invisible(gc())
  times[i] <- system.time(fit <- fitter(d))[["elapsed"]]
}
writeLines(sprintf("%.17g", times), file.path(dir, "times.txt"))
crit <- if (kind == "lmer") REMLcrit(fit) else -2 * as.numeric(logLik(fit))
writeLines(sprintf("%.17g", crit), file.path(dir, "crit.txt"))
writeLines(sprintf("%.17g", getME(fit, "theta")), file.path(dir, "theta.txt"))
fe <- fixef(fit)
writeLines(paste(names(fe), sprintf("%.17g", fe), sep = "\t"), file.path(dir, "fixef.txt"))
msgs <- c(unlist(fit@optinfo$conv$lme4$messages), fit@optinfo$warnings)
writeLines(c(as.character(fit@optinfo$optimizer), as.character(fit@optinfo$feval),
             if (length(msgs)) paste(unlist(msgs), collapse = "; ") else "ok"),
           file.path(dir, "info.txt"))
"""


def time_r(case: Case, r_repeat: int) -> Timing:
    label = "lme4 " + case.kind
    with tempfile.TemporaryDirectory(prefix="aurora-mixed-bench-") as tmp:
        d = Path(tmp)
        case.data.to_csv(d / "data.csv", index=False, float_format="%.17g")  # once, untimed
        (d / "formula.txt").write_text(case.formula + "\n")
        (d / "factors.txt").write_text("\n".join(case.factors) + "\n")
        (d / "bench.R").write_text(R_SCRIPT)
        subprocess.run(["Rscript", str(d / "bench.R"), str(d), str(r_repeat), case.kind],
                       check=True)
        times = np.loadtxt(d / "times.txt", ndmin=1)
        crit = float(np.loadtxt(d / "crit.txt"))
        theta = np.loadtxt(d / "theta.txt", ndmin=1)
        rows = [ln.split("\t") for ln in (d / "fixef.txt").read_text().splitlines()]
        fixef = pd.Series({k: float(v) for k, v in rows})
        optimizer, feval, msg = (d / "info.txt").read_text().splitlines()[:3]
    note = f"{optimizer}, {feval} evaluations" + ("" if msg == "ok" else f"; {msg}")
    return Timing(label, float(np.median(times)), fixef, theta, crit, note)


# -------------------------------------------------------------------------- report
@dataclass
class CaseResult:
    case: Case
    rows: list[Timing]

    def row(self, prefix: str) -> Timing | None:
        return next((r for r in self.rows if r.method.startswith(prefix)), None)

    @property
    def base(self) -> Timing | None:
        """aurora's row when it ran, else lme4's: the denominator of the ratios."""
        for prefix in ("aurora", "lme4"):
            r = self.row(prefix)
            if r is not None and r.seconds is not None:
                return r
        return None


def _max_diff(a: pd.Series | np.ndarray | None, b: pd.Series | np.ndarray | None) -> float | None:
    if a is None or b is None:
        return None
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        if set(a.index) != set(b.index):
            return None
        return float(np.max(np.abs(a[b.index].to_numpy() - b.to_numpy())))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return None if a.shape != b.shape else float(np.max(np.abs(a - b)))


def format_case(res: CaseResult, repeat: int, r_repeat: int) -> str:
    lme4 = res.row("lme4")
    base = res.base
    head = f"{res.case.title}; median of {repeat} (R: {r_repeat})"
    ratio_head = "/ " + ("aurora" if base is not None and base.method.startswith("aurora")
                         else "lme4")
    header = (f"{'method':<22}{'seconds':>10}{ratio_head:>10}{'criterion':>20}"
              f"{'max|dfixef|':>13}{'max|dtheta|':>13}  notes")
    lines = [head, "", header, "-" * len(header)]
    for r in res.rows:
        if r.seconds is None:
            lines.append(f"{r.method:<22}{'-':>10}{'-':>10}{'':>20}{'':>13}{'':>13}  {r.note}")
            continue
        ratio = "-" if base is None else f"{r.seconds / base.seconds:.2f}"
        crit = "" if r.criterion is None else f"{r.criterion:.6f}"
        dfe = _max_diff(r.fixef, None if lme4 is None else lme4.fixef)
        dth = _max_diff(r.theta, None if lme4 is None else lme4.theta)
        lines.append(f"{r.method:<22}{r.seconds:>10.3f}{ratio:>10}{crit:>20}"
                     f"{'-' if dfe is None else f'{dfe:.1e}':>13}"
                     f"{'-' if dth is None else f'{dth:.1e}':>13}  {r.note}")
    ours = res.row("aurora")
    if ours is not None and ours.seconds is not None and lme4 is not None \
            and ours.criterion is not None:
        rel = abs(ours.criterion - lme4.criterion) / abs(lme4.criterion)
        lines += ["", f"aurora vs lme4: criterion relative difference {rel:.2e}; "
                      f"lme4 / aurora time {lme4.seconds / ours.seconds:.2f}"]
    return "\n".join(lines)


def format_summary(results: list[CaseResult]) -> str:
    header = (f"{'case':<11}{'n':>9}{'aurora s':>10}{'lme4 s':>9}{'statsm. s':>11}"
              f"{'lme4/aur':>10}{'sm/aur':>9}{'crit rel':>10}")
    lines = ["summary (seconds; ratio = method / aurora, > 1: aurora faster; crit rel = "
             "|aurora - lme4| / |lme4| of the criterion)", "", header, "-" * len(header)]

    def s(t: Timing | None) -> str:
        return "-" if t is None or t.seconds is None else f"{t.seconds:.3f}"

    def q(t: Timing | None, ours: Timing | None) -> str:
        if t is None or ours is None or t.seconds is None or ours.seconds is None:
            return "-"
        return f"{t.seconds / ours.seconds:.2f}"

    for res in results:
        ours, lme4, sm = res.row("aurora"), res.row("lme4"), res.row("statsmodels")
        rel = "-"
        if ours is not None and lme4 is not None and ours.criterion is not None:
            rel = f"{abs(ours.criterion - lme4.criterion) / abs(lme4.criterion):.1e}"
        lines.append(f"{res.case.name:<11}{res.case.n:>9,}{s(ours):>10}{s(lme4):>9}{s(sm):>11}"
                     f"{q(lme4, ours):>10}{q(sm, ours):>9}{rel:>10}")
    return "\n".join(lines)


def _versions() -> str:
    out = [f"python {platform.python_version()}", f"numpy {np.__version__}",
           f"{os.cpu_count()} CPUs"]
    for mod in ("scipy", "statsmodels"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            out.append(f"{mod} missing")
    if shutil.which("Rscript"):
        r = subprocess.run(["Rscript", "-e", "cat(R.version$major, R.version$minor, sep='.'); "
                            "cat(' lme4', as.character(packageVersion('lme4')))"],
                           capture_output=True, text=True)
        out.append(f"R {r.stdout.strip()}")
    return ", ".join(out)


def run_case(name: str, quick: bool, repeat: int, r_repeat: int, skip: set[str],
             budget: float | None) -> CaseResult:
    case = make_case(name, quick)
    rows = [time_aurora(case, repeat)]
    if "r" not in skip and shutil.which("Rscript"):
        rows.append(time_r(case, r_repeat))
    elif "r" not in skip:
        rows.append(Timing("lme4 " + case.kind, None, note="Rscript not on PATH"))
    if "statsmodels" not in skip:
        try:
            rows.append(time_statsmodels(case, repeat, budget))
        except ImportError as exc:
            rows.append(Timing("statsmodels MixedLM", None, note=f"not installed: {exc}"))
    return CaseResult(case, rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=None,
                    help="cases to run (default: all)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="timed fits per Python method (median reported)")
    ap.add_argument("--r-repeat", type=int, default=None,
                    help="timed fits per R method (default: --repeat)")
    ap.add_argument("--quick", action="store_true",
                    help="small data (2,000-7,000 rows) and one repeat: a smoke test")
    ap.add_argument("--skip", nargs="*", default=[], choices=["statsmodels", "r"],
                    help="competitors to leave out")
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds after which a Python competitor's repeats stop")
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    r_repeat = 1 if args.quick else (args.r_repeat or args.repeat)
    print(_versions(), flush=True)
    results = []
    for name in args.cases or list(CASES):
        res = run_case(name, args.quick, repeat, r_repeat, set(args.skip), args.budget)
        results.append(res)
        print("\n" + format_case(res, repeat, r_repeat), flush=True)
    print("\n" + format_summary(results), flush=True)


if __name__ == "__main__":
    main()
