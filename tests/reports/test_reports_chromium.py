"""Every report kind opened in headless Chromium (Debian `chromium`): each page draws all its plotly charts (the DOM
after scripts ran, not a string search), logs no console error, and its screenshot is a real, non-blank image.
Also, without a browser: each page is under 2 MB and the vendored plotly.js matches plotly.py's.

The browser tests are skipped when no chromium binary is on PATH (.ci/run installs it). A broken page is the
negative control, so the console check is shown to catch errors.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import pytest
from matplotlib.image import imread

from putwheel.api.backtest import backtest_wheel
from putwheel.api.indexes import backtest_index
from putwheel.ledger import cycles, manual, monthly_income
from putwheel.ledger.events import Kind, option
from putwheel.reports._page import plotly_js_version
from putwheel.reports.ledger import write_ledger_report
from putwheel.reports.sweep import write_frontier

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: apt-get install chromium "
                                                             "(.ci/run does) to check the reports in a real browser")


def _ledger_events() -> list:
    t = lambda m, d: datetime(2024, m, d, 15, tzinfo=UTC)  # noqa: E731
    evs = manual.cash_move("a", t(1, 2), Kind.DEPOSIT, "10000")
    evs += manual.sell_put("a", t(1, 3), "XYZ", "50", date(2024, 2, 16), 1, "1.20", "1.14")
    evs += manual.assign("a", t(2, 16), option("XYZ", "P", 50, date(2024, 2, 16)), 1)
    evs += manual.sell_call("a", t(2, 20), "XYZ", "52", date(2024, 3, 15), 1, "0.80")
    evs += manual.assign("a", t(3, 15), option("XYZ", "C", 52, date(2024, 3, 15)), 1)
    return evs


def _sweep_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    delta = np.repeat([0.15, 0.25, 0.35], 3)
    dte = np.tile([30, 45, 60], 3)
    return pd.DataFrame({"kind": "wheel", "delta": delta, "dte": dte, "period": "2015-01-02..2018-11-30",
                         "cagr": 0.04 + 0.2 * delta + rng.normal(0, 0.01, 9), "vol": 0.03 + 0.25 * delta,
                         "sharpe": rng.uniform(0.8, 1.6, 9), "max_drawdown": -0.02 - 0.3 * delta})


@pytest.fixture(scope="module")
def reports(put_report: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """kind -> (page, number of charts it must draw)."""
    d = tmp_path_factory.mktemp("reports")
    backtest_wheel(date(2007, 1, 3), date(2010, 12, 31), data="embedded", report=d / "wheel.html")
    backtest_wheel(date(2016, 1, 4), date(2017, 12, 1), data="embedded", names=["AAPL", "MSFT", "GOOG"],
                   report=d / "names.html")
    write_frontier(_sweep_frame(), ["delta", "dte"], d / "frontier.html", title="wheel sweep")
    evs = _ledger_events()
    write_ledger_report(monthly_income(evs), cycles(evs), d / "ledger.html", title="ledger", as_of=date(2024, 5, 1))
    run = backtest_index("BXM", date(2007, 1, 3), date(2010, 12, 31), data="embedded", report=d / "bxm.html")
    # A stand-in "official" series (generated here, not Cboe's): our own month-ends with noise, so the page
    # draws its third chart (the monthly difference and its tracking error).
    levels = run.result.daily["value"].resample("ME").last()
    noisy = levels * np.cumprod(1 + np.random.default_rng(5).normal(0, 0.004, len(levels)))
    (d / "BXM_History.csv").write_text("DATE,CLOSE\n" + "".join(f"{t:%m/%d/%Y},{v:.4f}\n" for t, v in noisy.items()))
    backtest_index("BXM", date(2007, 1, 3), date(2010, 12, 31), data="embedded", official=d / "BXM_History.csv",
                   report=d / "bxm_official.html")
    return {"put": (put_report, 3), "wheel": (d / "wheel.html", 3), "wheel --names": (d / "names.html", 3),
            "sweep frontier": (d / "frontier.html", 1), "ledger": (d / "ledger.html", 2),
            "index": (d / "bxm.html", 2), "index --official": (d / "bxm_official.html", 3)}


KINDS = ["put", "wheel", "wheel --names", "sweep frontier", "ledger", "index", "index --official"]


def _command(page: Path, png: Path | None = None) -> list[str]:
    shot = [f"--screenshot={png}", "--window-size=1200,2600", "--hide-scrollbars"] if png else []
    return [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=5000", *shot, "--dump-dom", page.resolve().as_uri()]


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _open(page: Path) -> tuple[str, list[str]]:
    """(DOM after scripts ran, console lines) from headless Chromium."""
    proc = subprocess.run(_command(page), capture_output=True, text=True, timeout=180, check=False)
    return proc.stdout, _console(proc.stderr)


@pytest.fixture(scope="module")
def opened(reports: dict[str, tuple[Path, int]], tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, tuple[str, list[str], Path]]:
    """kind -> (DOM after scripts ran, console lines, screenshot), one browser run per page (in turn: at once is
    slower on two cores)."""
    d = tmp_path_factory.mktemp("shots")
    out = {}
    for i, (kind, (page, _)) in enumerate(reports.items()):
        png = d / f"{i}.png"
        proc = subprocess.run(_command(page, png), capture_output=True, text=True, timeout=180, check=False)
        out[kind] = (proc.stdout, _console(proc.stderr), png)
    return out


@needs_chromium
def test_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    _, console = _open(bad)
    assert any("undefinedFunction" in line for line in console)


@needs_chromium
@pytest.mark.parametrize("kind", KINDS)
def test_every_report_draws_all_its_charts_in_chromium(reports: dict[str, tuple[Path, int]],
                                                       opened: dict[str, tuple[str, list[str], Path]], kind: str) -> None:
    charts = reports[kind][1]
    dom, console, png = opened[kind]
    assert console == []
    assert dom.count('class="plot-container plotly"') == charts
    assert dom.count('class="main-svg"') >= 2 * charts       # plotly draws at least two svg layers per chart
    assert dom.count('class="xtick"') >= charts                # axes were laid out: the charts have ticks
    pixels = imread(png)                                      # the screenshot decodes and is not a blank page
    assert pixels.shape[:2] == (2600, 1200) and float(pixels[..., :3].std()) > 0.05
    if kind == "put":
        assert "Monthly returns, %" in dom and "max drawdown (daily closes)" in dom
    if kind.startswith("wheel"):
        assert "Assignments and call-aways" in dom and "Wheel monthly returns" in dom
    if kind == "wheel":
        assert ">assigned<" in dom                             # the 2008 assignment is in the events table
    if kind == "wheel --names":
        assert "Per name" in dom and "GOOG" in dom and "<th>puts sold</th>" in dom and "puts_sold" not in dom
    if kind == "sweep frontier":
        assert "Parameter sets" in dom and "Pareto frontier" in dom


@pytest.mark.parametrize("kind", KINDS)
def test_every_report_is_under_2_mb(reports: dict[str, tuple[Path, int]], kind: str) -> None:
    assert reports[kind][0].stat().st_size <= 2_000_000


def test_wheel_income_axis_for_assignments_only_when_there_are_some(reports: dict[str, tuple[Path, int]],
                                                                    tmp_path: Path, figures: Callable) -> None:
    _, with_assignments = figures(reports["wheel"][0].read_text(encoding="utf-8"))["fig2"]
    assert with_assignments["yaxis2"]["title"]["text"] == "put assignments"
    backtest_wheel(date(2015, 1, 2), date(2018, 11, 30), data="embedded", report=tmp_path / "quiet.html")
    traces, layout = figures((tmp_path / "quiet.html").read_text(encoding="utf-8"))["fig2"]
    assert "yaxis2" not in layout and [t["name"] for t in traces] == ["net option income"]


def test_vendored_plotly_matches_plotly_py() -> None:
    """The page's plotly.js (vendored cartesian bundle) has the major version of the one plotly.py ships, so the
    figure JSON plotly.py writes is the schema the page draws. Refresh: src/putwheel/reports/vendor/README.md."""
    bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")[:200]
    theirs = bundled.split("plotly.js v", 1)[1].split()[0]
    assert plotly_js_version().split(".")[0] == theirs.split(".")[0], (plotly_js_version(), theirs)
