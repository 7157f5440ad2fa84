"""The wheel ships the grammar: build it, install it into a fresh venv, parse from outside."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_parses_outside_source_tree(tmp_path):
    pytest.importorskip("hatchling", reason="hatchling is a dev dependency (pip install -e '.[dev]')")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("aurora_glm-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "aurora/grammar/formula.lark" in names
    assert any(n.startswith("aurora/datasets/data/") and n.endswith(".csv") for n in names)

    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # install the wheel into the fresh environment (no network: pip from the outer env)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(site), str(wheel)], check=True)
    # dependencies (numpy, lark, ...) come from the outer environment's site-packages, added
    # as a plain path: .pth files there (the editable install of the checkout) stay inactive
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    code = ("import aurora, pathlib; "
            "assert 'fresh' in aurora.__file__, aurora.__file__; "
            "f = aurora.parse('y ~ x + s(z, k = 5) + (1 | g)'); print(f); "
            "print(aurora.datasets.load('mtcars').shape)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    out = subprocess.run([str(py), "-c", code], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert "y ~ x + s(z, k = 5) + (1 | g)" in out
    assert "(32, 12)" in out
