"""The ``aurora`` command: ``demo`` and ``fit`` (whose summary is R's, from the reference run).

Every error in what the user gave prints exactly one line, ``aurora: error: ...``, to
stderr and exits with status 2, with no traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from reference import VALIDATION, case_by_name

from aurora.cli import main
from aurora.errors import AuroraError

DATA = """y,x,g,w
1,0.5,a,1
0,1.5,b,2
3,2.5,a,1
2,3.5,b,2
5,4.5,a,1
"""


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(DATA)
    return str(path)


def _error(capsys, argv) -> str:
    """Run ``main(argv)``; check the exit status and the one-line error; return the line."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.startswith("aurora: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_demo_prints_r_style_summaries(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("Number of Fisher Scoring iterations") == 4
    assert "Theta:" in out  # the negative binomial fit
    assert out.count("Approximate significance of smooth terms:") == 3  # GAMs and the GAMM
    # the linear mixed model, printed as lme4's summary.merMod
    for line in ("Linear mixed model fit by REML ['lmerMod']",
                 "Formula: weight ~ Time + Diet + (1 + Time | Chick)", "   Data: ChickWeight",
                 "Random effects:", "Number of obs: 578, groups:  Chick, 50",
                 "Correlation of Fixed Effects:"):
        assert line in out.splitlines(), line
    # the GAMM, printed as gamm4's summary(m$gam) and summary(m$mer)
    assert out.count("Linear mixed model fit by REML ['lmerMod']") == 2
    assert "lmer.REML = 5558.8  Scale est. = 761.56    n = 578" in out.splitlines()
    assert " Xr       s(Time)     257.8    16.06   " in out.splitlines()


def test_fit_prints_the_summary_r_printed(capsys):
    case = case_by_name("poisson_offset_formula")
    code = main(["fit", case["formula"], "--data", str(VALIDATION / "data" / case["data"]),
                 "--family", "poisson"])
    assert code == 0
    ours = capsys.readouterr().out.splitlines()
    theirs = case["summary_text"].splitlines()
    start_o, start_t = ours.index("Deviance Residuals: "), theirs.index("Deviance Residuals: ")
    assert [l.rstrip() for l in ours[start_o:] if l.strip()] == \
        [l.rstrip() for l in theirs[start_t:] if l.strip()]


def test_fit_on_a_good_file_succeeds(capsys, csv):
    assert main(["fit", "y ~ x + g", "--data", csv, "--family", "poisson", "--weights", "w"]) == 0
    captured = capsys.readouterr()
    assert "Coefficients:" in captured.out and captured.err == ""


# ---------------------------------------------------------------- the data file
def test_missing_data_file(capsys, tmp_path):
    err = _error(capsys, ["fit", "y ~ x", "--data", str(tmp_path / "nope.csv")])
    assert "nope.csv" in err and "no such file" in err


def test_data_file_is_a_directory(capsys, tmp_path):
    err = _error(capsys, ["fit", "y ~ x", "--data", str(tmp_path)])
    assert "is a directory" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_data_file(capsys, csv):
    os.chmod(csv, 0)
    try:
        err = _error(capsys, ["fit", "y ~ x", "--data", csv])
    finally:
        os.chmod(csv, 0o644)
    assert "ermission denied" in err


def test_permission_error_while_parsing(capsys, csv, monkeypatch):
    """An OSError from the CSV reader itself (simulated: root can read any file)."""
    import aurora.io

    def denied(path, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(aurora.io, "read_csv", denied)
    assert "Permission denied" in _error(capsys, ["fit", "y ~ x", "--data", csv])


@pytest.mark.parametrize("content, expected", [
    (bytes(range(256)) * 8, "binary data"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "binary data"),
    (b"y,x\n1,\xe9\xff\n", "not UTF-8"),
    (b"", "empty"),
    (b"y,x\n1,2\n3,4,5,6\n", "not valid CSV"),
    (b'y,x\n"1,2\n', "not valid CSV"),
])
def test_data_file_that_is_not_csv(capsys, tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    err = _error(capsys, ["fit", "y ~ x", "--data", str(path)])
    assert expected in err and "bad.csv" in err


def test_garbage_text_parses_but_has_no_such_column(capsys, tmp_path):
    path = tmp_path / "words.csv"
    path.write_text("lorem ipsum dolor\nsit amet\n")
    assert "unknown variable 'y'" in _error(capsys, ["fit", "y ~ x", "--data", str(path)])


# ---------------------------------------------------------------- the model
def test_fit_reports_errors_with_exit_code_2(capsys):
    case = case_by_name("poisson_offset_formula")
    err = _error(capsys, ["fit", "y ~ x1 +", "--data", str(VALIDATION / "data" / case["data"])])
    assert "a term is missing" in err and "'y ~ x1 +'" in err and "character 9" in err


@pytest.mark.parametrize("formula", ["y ~ x + (", "y ~ ~ x", "y ~ x +* g", "y ~ x)"])
def test_formula_syntax_errors(capsys, csv, formula):
    err = _error(capsys, ["fit", formula, "--data", csv])
    assert repr(formula) in err


def test_unknown_column(capsys, csv):
    err = _error(capsys, ["fit", "y ~ nope + x", "--data", csv])
    assert "unknown variable 'nope'" in err and "(y, x, g, w)" in err
    err = _error(capsys, ["fit", "y ~ x", "--data", csv, "--weights", "nope"])
    assert "'nope'" in err


def test_unknown_family_and_link(capsys, csv):
    err = _error(capsys, ["fit", "y ~ x", "--data", csv, "--family", "poison"])
    assert "unknown family 'poison'" in err and "poisson" in err
    err = _error(capsys, ["fit", "y ~ x", "--data", csv, "--family", "poisson", "--link", "logitt"])
    assert "'logitt'" in err


def test_other_aurora_errors(capsys, csv):
    err = _error(capsys, ["fit", "y ~ x", "--data", csv, "--family", "binomial"])
    assert "binomial" in err  # y = 3 is not a proportion
    err = _error(capsys, ["fit", "y ~ x + (1 | x)", "--data", csv])
    assert "RandomEffect" in err


def test_any_aurora_error_is_one_line(capsys, csv, monkeypatch):
    import aurora

    def fail(*args, **kwargs):
        raise AuroraError("first line\nsecond line", "a fix\nover two lines")

    monkeypatch.setattr(aurora, "glm", fail)
    err = _error(capsys, ["fit", "y ~ x", "--data", csv])
    assert err == "aurora: error: first line second line; fix: a fix over two lines\n"


def test_the_console_command_exits_2_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "aurora", "fit", "y ~ x", "--data",
                             str(tmp_path / "missing.csv")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("aurora: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_fit_a_gam_from_the_shell(capsys, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(4)
    d = pd.DataFrame({"x": rng.uniform(size=120)})
    d["y"] = np.sin(5 * d["x"]) + rng.normal(scale=0.2, size=120)
    path = tmp_path / "g.csv"
    d.to_csv(path, index=False)
    from aurora.cli import main

    assert main(["fit", "y ~ s(x, bs = 'cr')", "--data", str(path), "--method", "ML"]) == 0
    out = capsys.readouterr().out
    assert "Approximate significance of smooth terms:" in out and "-ML = " in out
