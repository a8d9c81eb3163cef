"""`putwheel backtest index NAME --report PATH`: the page holds the run's comparisons, says where it went, and a
missing folder is a one-line error before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from putwheel.api.indexes import backtest_index
from putwheel.cli.app import app

runner = CliRunner()
ARGS = ["backtest", "index", "BXM", "--start", "2007-01-03", "--end", "2010-12-31", "--data", "embedded"]


def test_index_report_holds_the_published_and_official_tables(tmp_path: Path) -> None:
    run = backtest_index("BXM", data="embedded")
    # A generated stand-in for the official series (not Cboe's): our own month-ends, each month 10 bp off.
    levels = run.result.daily["value"].resample("ME").last()
    bumped = levels * np.cumprod(1 + 0.001 * np.where(np.arange(len(levels)) % 2 == 0, 1.0, -1.0))
    official = tmp_path / "BXM_History.csv"
    official.write_text("DATE,CLOSE\n" + "".join(f"{t:%m/%d/%Y},{v:.6f}\n" for t, v in bumped.items()))
    page = tmp_path / "bxm.html"
    res = runner.invoke(app, [*ARGS[:3], "--data", "embedded", "--official", str(official), "--report", str(page)],
                        env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert f"report: {page}" in res.output.replace("\n", "")
    text = page.read_text()
    assert "Against the published figures" in text and "Against the official index" in text
    assert "our monthly return minus the official index" in text
    assert "whole overlap" in text and "in sample (to 2018-12)" in text
    assert str(official) in text and "Verdict: " in text
    assert "The difference by the month&#x27;s S&amp;P 500" in text or "The difference by the month's S&amp;P 500" in text


def test_index_report_path_is_in_the_json_and_a_missing_folder_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "x.html"
    res = runner.invoke(app, [*ARGS, "--report", str(page), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["report"] == str(page) and page.is_file() and out["official_by_market"] == []
    assert "No official series given" in page.read_text()
    bad = runner.invoke(app, [*ARGS, "--report", str(tmp_path / "nope" / "x.html")])
    assert bad.exit_code == 2 and "does not exist" in bad.output and "Traceback" not in bad.output
