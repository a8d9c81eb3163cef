"""`putwheel sweep` through the CLI: JSON rows, bad flags as one-line errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from putwheel.cli.app import app

runner = CliRunner()


def test_sweep_putwrite_json():
    res = runner.invoke(app, ["sweep", "putwrite", "--delta", "atm,0.25", "--start", "2014-01-02", "--end", "2016-12-30",
                              "--data", "embedded", "--workers", "1", "--sort", "vol", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["attrs"]["kind"] == "putwrite" and len(out["rows"]) == 2
    assert out["rows"][0]["vol"] <= out["rows"][1]["vol"]
    assert {"cagr", "sharpe", "max_drawdown", "pareto", "delta"} <= set(out["rows"][0])


def test_sweep_bad_flag_is_one_line_error():
    res = runner.invoke(app, ["sweep", "wheel", "--roll", "sometimes", "--data", "embedded"])
    assert res.exit_code == 2
    assert "--roll" in res.output and "Traceback" not in res.output
