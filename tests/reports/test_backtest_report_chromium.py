"""The put-writing report opened in headless Chromium (Debian `chromium`): every chart renders, no console errors.

Skipped when no chromium binary is on PATH (.ci/run installs it). A broken page is the negative control, so the
console check is shown to catch errors.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from putwheel.api.backtest import backtest_putwrite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")


def _open(page: Path) -> tuple[str, list[str]]:
    """(DOM after scripts ran, console lines) from headless Chromium."""
    proc = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=15000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    _, console = _open(bad)
    assert any("undefinedFunction" in line for line in console)


def test_report_renders_every_chart_without_console_errors(tmp_path: Path) -> None:
    out = tmp_path / "put.html"
    backtest_putwrite(date(2010, 1, 29), date(2018, 11, 30), data="embedded", report=out)
    dom, console = _open(out)
    assert console == []
    assert dom.count('class="plot-container plotly"') == 4
    assert dom.count('class="main-svg"') >= 8        # plotly draws at least two svg layers per chart


@pytest.mark.parametrize("names", [None, ["AAPL", "MSFT", "GOOG"]])
def test_wheel_report_renders_every_chart_without_console_errors(tmp_path: Path, names: list[str] | None) -> None:
    from putwheel.api.backtest import backtest_wheel

    out = tmp_path / "wheel.html"
    start, end = (date(2016, 1, 4), date(2017, 12, 1)) if names else (date(2007, 1, 3), date(2010, 12, 31))
    run = backtest_wheel(start, end, data="embedded", names=names, report=out)
    assert run.report_path == out
    dom, console = _open(out)
    assert console == []
    assert dom.count('class="plot-container plotly"') == 4
    assert dom.count('class="main-svg"') >= 8
    assert "Assignments and call-aways" in dom and "Wheel monthly returns" in dom
    if names:
        assert "Per name" in dom and "GOOG" in dom
    else:
        assert ">assigned<" in dom          # the 2008 assignment is in the events table
