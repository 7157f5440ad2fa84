"""Run every script in ``examples/`` as a user would, in a fresh interpreter.

Each script runs once, from an empty temporary directory with ``AURORA_EXAMPLES_OUT``
pointing there (so nothing lands in the repository); it must exit 0, print an R-style
summary and leave its output files, non-empty, in that directory.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))

# the files each script must write to its output directory
OUTPUTS = {
    "poisson_offset.py": ["claims.csv"],
    "logistic_diagnostics.py": ["logistic_diagnostics.png"],
    "negative_binomial.py": [],
    "gam_additive.py": ["gam_additive.csv", "gam_additive.png", "gam_additive_check.png"],
    "gam_tensor.py": ["gam_tensor.png", "gam_tensor_heatmap.png"],
    "gam_factor_by.py": ["gam_factor_by.csv", "gam_factor_by.png"],
    "gam_poisson.py": ["gam_poisson.csv", "gam_poisson.png"],
    "gam_negative_binomial.py": ["gam_negative_binomial.csv", "gam_negative_binomial.png"],
    "mixed_longitudinal.py": ["mixed_longitudinal.png", "mixed_longitudinal_caterpillar.png"],
    "mixed_binomial.py": ["mixed_binomial.csv", "mixed_binomial.png",
                          "mixed_binomial_caterpillar.png"],
    "mixed_gamm.py": ["mixed_gamm.png", "mixed_gamm_smooths.png", "mixed_gamm_caterpillar.png"],
    "mixed_nested_crossed.py": ["mixed_nested.csv", "mixed_crossed.csv",
                                "mixed_nested_crossed.png"],
}

# the lines an R-style summary must contain: summary.glm's, summary.gam's for GAMs,
# lme4's summary.merMod for mixed models
SUMMARY_MARKERS = {
    "glm": ("Coefficients:", "Number of Fisher Scoring iterations"),
    "gam": ("Parametric coefficients:", "Approximate significance of smooth terms:"),
    "mixed": ("Random effects:", "Number of obs:", "Fixed effects:"),
}


def _kind(script: str) -> str:
    """Which summary a script prints, from its name's prefix (gam_, mixed_, else glm)."""
    prefix = script.split("_", 1)[0]
    return prefix if prefix in SUMMARY_MARKERS else "glm"


class Run:
    def __init__(self, proc: subprocess.CompletedProcess, out: Path) -> None:
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.out = out


_RUNS: dict[str, Run] = {}


@pytest.fixture
def run_example(tmp_path_factory):
    """Run a script (once per test session) and return its :class:`Run`."""

    def run(script: str) -> Run:
        if script not in _RUNS:
            out = tmp_path_factory.mktemp(script.removesuffix(".py"))
            env = dict(os.environ)
            env["AURORA_EXAMPLES_OUT"] = str(out)
            env["MPLBACKEND"] = "Agg"
            env["PYTHONPATH"] = os.pathsep.join(
                [str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
            proc = subprocess.run([sys.executable, str(EXAMPLES / script)], cwd=out, env=env,
                                  capture_output=True, text=True, timeout=300)
            _RUNS[script] = Run(proc, out)
        return _RUNS[script]

    return run


def test_every_example_is_listed():
    assert SCRIPTS and set(SCRIPTS) == set(OUTPUTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script, run_example):
    r = run_example(script)
    assert r.returncode == 0, f"{script} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    for marker in SUMMARY_MARKERS[_kind(script)]:
        assert marker in r.stdout, f"{script} printed no {marker!r}"
    for name in OUTPUTS[script]:
        path = r.out / name
        assert path.is_file(), f"{script} did not write {name}"
        assert path.stat().st_size > 0, f"{script} wrote an empty {name}"


@pytest.mark.slow
def test_logistic_plot_is_a_png(run_example):
    r = run_example("logistic_diagnostics.py")
    assert r.returncode == 0, r.stderr[-3000:]
    png = r.out / "logistic_diagnostics.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_examples_write_nothing_into_the_repo(run_example):
    for script in SCRIPTS:
        run_example(script)
    for folder in (REPO, EXAMPLES):
        stray = [p.name for p in folder.iterdir() if p.suffix in (".png", ".csv")]
        assert not stray, f"files written into {folder}: {stray}"


@pytest.mark.slow
def test_examples_print_r_numbers(run_example):
    """The examples on shipped data print R's numbers: lines taken from the R reference
    run (validation_r/glm_reference.json), never typed in."""
    import numpy as np

    from reference import case_by_name

    import aurora

    logit = case_by_name("mtcars_binomial")
    logistic = run_example("logistic_diagnostics.py").stdout
    for line in logit["summary_text"].splitlines():
        if line.startswith(("(Intercept)", "wt ", "hp ", "AIC:")):
            assert line.rstrip() in logistic, line
    cars = aurora.datasets.load("mtcars")["model"].tolist()
    top = logistic.split("Most influential cars")[1].splitlines()[2]
    assert top.startswith(cars[int(np.argmax(logit["cooks"]))])

    nb = case_by_name("warpbreaks_negbin")  # breaks ~ wool * tension, glm.nb
    out = run_example("negative_binomial.py").stdout
    row = next(l for l in out.splitlines() if l.startswith("negbin + wool:tension"))
    df, loglik, aic, bic = (float(v) for v in row.split()[3:7])
    assert df == nb["loglik_df"]
    assert abs(loglik - nb["loglik"]) < 1e-3 and abs(aic - nb["aic"]) < 1e-3
    assert abs(bic - nb["bic"]) < 1e-3
