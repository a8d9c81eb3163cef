"""The code-quality gates run inside the test suite so one command checks everything: ruff, mypy, import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_quality_ruff_is_clean():
    res = _run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench"])
    assert res.returncode == 0, res.stdout + res.stderr


def test_quality_mypy_strict_on_domain_and_pricing():
    res = _run([sys.executable, "-m", "mypy"])
    assert res.returncode == 0, res.stdout + res.stderr


def test_quality_import_layers_hold():
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    res = _run([exe])
    assert res.returncode == 0, res.stdout + res.stderr
