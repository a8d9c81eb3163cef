"""Start-up stays light: which heavy libraries each command imports (structure, not timing; bench/startup.py times it).

`putwheel --help` used to import everything (4-5 s, 330 MB). Now `putwheel.api` re-exports lazily and the cli
modules import their api module on first use, so a command pays only for what it runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("pandas", "numba", "scipy", "plotly", "yfinance", "sqlalchemy", "alembic", "pyarrow", "duckdb", "matplotlib",
         "exchange_calendars", "arch", "requests")
QUOTE = ["quote", "SPY", "450", "put", "--expiry", "2025-02-21", "--spot", "460", "--as-of", "2025-01-17", "--vol", "0.18"]


def _imported(argv: list[str]) -> set[str]:
    code = ("import sys, runpy\n"
            f"sys.argv = ['putwheel', *{argv!r}]\n"
            "try:\n    runpy.run_module('putwheel', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
            "else:\n    code = 0\n"
            f"print(code, *sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)})
    exit_code, *mods = res.stderr.strip().splitlines()[-1].split()
    assert exit_code in ("0", "None"), res.stderr[-600:]
    return set(mods)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('startup') / 'l.sqlite'}"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["trade", "sell-put", "--help"], ["import", "--help"],
                                  ["plan", "--help"], ["backtest", "wheel", "--help"]])
def test_startup_help_imports_nothing_heavy(argv):
    assert _imported(argv) == set()


def test_startup_ledger_commands_need_only_sqlalchemy(db):
    assert _imported(["trade", "deposit", "100", "--date", "2024-01-02", "--db", db]) == {"sqlalchemy", "alembic"}  # new
    assert _imported(["trade", "deposit", "100", "--date", "2024-01-03", "--db", db]) == {"sqlalchemy"}  # schema current
    assert _imported(["positions", "--db", db]) == {"sqlalchemy"}


def test_startup_quote_needs_only_the_pricing_core():
    assert _imported(QUOTE) <= {"numba", "scipy"}  # numba imports scipy.linalg for its BLAS check


def test_quote_run_alone_is_interpreted_and_prints_what_the_compiled_kernels_print() -> None:
    """`putwheel quote` in its own process runs the kernels interpreted (faster for one contract than loading their
    compiled caches); the numbers must be the compiled ones, to the last digit shown."""
    from typer.testing import CliRunner

    from putwheel.cli.app import app

    code = ("import sys, runpy, os\n"
            f"sys.argv = ['putwheel', *{QUOTE!r}]\n"
            "try:\n    runpy.run_module('putwheel', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "import numba\nprint('JIT-DISABLED', numba.config.DISABLE_JIT, file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**env, "PYTHONPATH": str(SRC), "COLUMNS": "100"})
    assert "JIT-DISABLED 1" in child.stderr
    compiled = CliRunner().invoke(app, QUOTE, env={"COLUMNS": "100"})
    assert compiled.exit_code == 0, compiled.output
    # the words and numbers, not the box lines: the table's width follows the terminal the runner reports
    assert _words(child.stdout) == _words(compiled.output)


def _words(text: str) -> list[str]:
    return [w for w in text.replace("│", " ").split() if not set(w) <= set("─┌┐└┘├┤┬┴┼━┏┓┗┛┃╇╈╋╭╮╰╯")]
