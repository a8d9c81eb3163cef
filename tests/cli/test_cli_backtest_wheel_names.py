"""`putwheel backtest wheel --names ...` (several names, shared cash) and `--png` on putwrite and wheel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from putwheel.cli.app import app

runner = CliRunner()


def check_png(path: Path) -> None:
    """A decodable, non-blank PNG of sensible size (tests/reports/test_backtest_png.py checks more)."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and 20_000 < len(raw) < 3_000_000
    pixels = imread(path)
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 600 and float(pixels[..., :3].std()) > 0.05
NAMES = ["backtest", "wheel", "--data", "embedded", "--names", "AAPL,MSFT,GOOG", "--start", "2016-05-02",
         "--end", "2016-10-31"]


def test_wheel_names_json_has_per_name_counts_and_stays_cash_secured(tmp_path: Path) -> None:
    png = tmp_path / "wheel.png"
    res = runner.invoke(app, [*NAMES, "--max-pct-per-name", "0.3", "--json", "--png", str(png)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [row["symbol"] for row in out["per_name"]] == ["AAPL", "MSFT", "GOOG"]
    assert all(row["puts_sold"] > 0 for row in out["per_name"])
    assert out["min_free_cash"] >= 0
    assert "cap 30% each" in out["label"] and "equal weights" in out["benchmark"]
    assert out["png"] == str(png)
    check_png(png)


def test_wheel_names_table_shows_the_per_name_table() -> None:
    res = runner.invoke(app, NAMES, env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "Per name" in res.output and "GOOG" in res.output and "equal weights" in res.output
    assert "embedded closes and" in " ".join(res.output.split())   # the closes are embedded whatever --data says


@pytest.mark.parametrize(("args", "code", "text"), [
    (["--names", "AAPL,ZZZZ"], 2, "ZZZZ"),
    (["--names", "AAPL,MSFT", "--max-pct-per-name", "0"], 2, "--max-pct-per-name"),
    (["--png", "/no/such/folder/x.png"], 2, "does not exist"),
])
def test_wheel_names_bad_input_is_one_line(args: list[str], code: int, text: str) -> None:
    res = runner.invoke(app, ["backtest", "wheel", "--data", "embedded", *args])
    assert res.exit_code == code, res.output
    assert text in res.output and "Traceback" not in res.output


def test_putwrite_png(tmp_path: Path) -> None:
    png = tmp_path / "put.png"
    res = runner.invoke(app, ["backtest", "putwrite", "--data", "embedded", "--start", "2010-01-29",
                              "--end", "2012-12-31", "--png", str(png)])
    assert res.exit_code == 0, res.output
    assert f"png: {png}" in res.output.replace("\n", "")
    check_png(png)
