"""The ``aurora`` command: ``demo`` and ``fit`` (whose summary is R's, from the reference run)."""
from __future__ import annotations

from reference import VALIDATION, case_by_name

from aurora.cli import main


def test_demo_prints_r_style_summaries(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("Number of Fisher Scoring iterations") == 4
    assert "Theta:" in out  # the negative binomial fit


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


def test_fit_reports_errors_with_exit_code_2(capsys):
    case = case_by_name("poisson_offset_formula")
    code = main(["fit", "y ~ x1 +", "--data", str(VALIDATION / "data" / case["data"])])
    assert code == 2
    assert "^" in capsys.readouterr().err
