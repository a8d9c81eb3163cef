"""Every table-producing command fits 80 and 120 columns: no line is wider, no row wraps, no number is cut.

Each command runs through typer's CliRunner at COLUMNS=80 and 120 and again with `--wide` at 1000 columns (where
nothing can wrap). The narrow tables must have the same rows, one line each, and every cell shown narrow must be a
cell of the same row wide (a number is never shortened: a column is dropped instead; only text may end in "…").
The slow api calls are memoized for this module: the rendering is under test, not the backtests.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.text import Text
from typer.testing import CliRunner

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.tables import fit_table, num, plan_widths, text

from .test_cli_manage import POSITIONS

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "putwheel.toml"
NUMBER = re.compile(r"^[-+–]?[$]?[\d,]*\.?\d+%?( ok| no)?$")
WIDTHS = (80, 120)


def tables(output: str) -> list[list[list[str]]]:
    """The body rows of every rich table in `output`, each row a list of stripped cells."""
    found: list[list[list[str]]] = []
    body: list[list[str]] | None = None
    for line in output.splitlines():
        edge = line[:1]
        if not edge:
            continue
        if edge in "┏┌":
            body = [] if edge == "┌" else None
            current: list[list[str]] | None = []
            found.append(current)
        elif edge == "┡":
            body = found[-1]
        elif edge == "└":
            body = None
        elif edge == "│" and body is not None:
            body.append([c.strip() for c in line.strip().strip("│").split("│")])
    return found


def invoke(args: list[str], columns: int, **env: str) -> str:
    res = runner.invoke(app, args, env={"COLUMNS": str(columns), **env})
    assert res.exit_code == 0, res.output
    return res.output


def check_fits(args: list[str], wide: bool = True, **env: str) -> list[list[list[str]]]:
    full = tables(invoke([*args, "--wide"] if wide else args, 1000, **env))
    assert full, "no table printed"
    for width in WIDTHS:
        out = invoke(args, width, **env)
        too_wide = [line for line in out.splitlines() if cell_len(line) > width]
        assert not too_wide, f"{width} columns: {too_wide[:2]}"
        narrow = tables(out)
        assert [len(t) for t in narrow] == [len(t) for t in full], f"{width} columns: a row wrapped onto two lines"
        for t_narrow, t_full in zip(narrow, full, strict=True):
            for row, whole in zip(t_narrow, t_full, strict=True):
                for cell in filter(None, row):
                    if cell.endswith("…"):  # shortened text, never a number
                        assert not NUMBER.match(cell[:-1]), f"number cut at {width} columns: {cell!r}"
                        assert any(w.startswith(cell[:-1]) for w in whole), (cell, whole)
                    else:
                        assert cell in whole, f"{width} columns: cell {cell!r} is not one of {whole}"
    return full


@pytest.fixture(autouse=True)
def _memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same arguments, same result, computed once per module (progress callbacks are left out of the key)."""
    for name in ("plan", "backtest_putwrite", "backtest_wheel", "sweep"):
        fn = getattr(api, name)
        monkeypatch.setattr(api, name, _memoized(name, fn))


_CACHE: dict[str, Any] = {}


def _memoized(name: str, fn: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        key = name + repr(args) + repr(sorted((k, repr(v)) for k, v in kwargs.items() if k != "progress"))
        if key not in _CACHE:
            _CACHE[key] = fn(*args, **kwargs)
        return _CACHE[key]
    return call


def test_fit_table_drops_low_priority_numbers_and_shortens_text_only() -> None:
    cols = [text("name"), num("strike"), num("collateral", 2), num("ann. RoC", 1), text("note", 3, wide=True)]
    rows = [["a very long name indeed", "1,010.00", "101,000", "15.0%", "x"]]
    shown, widths = plan_widths(cols, [[Text(c) for c in rows[0]]], 34)
    assert shown == [0, 1, 3] and widths[1] == 8 and widths[3] == 5  # collateral dropped, numbers whole
    assert widths[0] == 34 - 8 - 5 - 10  # the text gives way
    table = fit_table("t", cols, rows, width=34)
    assert "collateral" in str(table.caption) and "--wide" in str(table.caption)
    assert [c.header for c in fit_table("t", cols, rows, wide=True).columns][-1] == "note"


def test_quote_fits() -> None:
    check_fits(["quote", "SPY", "450", "put", "--expiry", "2025-01-17", "--spot", "455", "--vol", "0.18",
                "--as-of", "2024-12-02"], wide=False)


def test_plan_fits_and_shows_every_ticket_number_whole() -> None:
    full = check_fits(["plan", "--config", str(EXAMPLE)])
    narrow = invoke(["plan", "--config", str(EXAMPLE)], 80)
    tickets = json.loads(invoke(["plan", "--config", str(EXAMPLE), "--json"], 80))["tickets"]
    assert len(full[0]) == len(tickets)
    for t in tickets:  # the numbers of the --json output, as the table formats them, on one line each
        for value in (f"{t['strike']:,.2f}", f"{t['collateral']:,.0f}", f"{t['income']:,.2f}", f"{t['limit_price']:.2f}"):
            assert re.search(rf"(?<![\d,.]){re.escape(value)}(?![\d,.])", narrow), value
    check_fits(["plan", "--config", str(EXAMPLE), "--explain", "MSFT"])


def test_plan_csv_rounds_each_column_to_its_precision() -> None:
    csv = invoke(["plan", "--config", str(EXAMPLE), "--csv"], 80)
    assert not re.search(r"\d\.\d{6,}", csv), "a float printed to full binary precision"
    assert ",0.94," in csv  # MSFT's bid, not 0.9400000000000001


def test_manage_fits(tmp_path: Path) -> None:
    path = tmp_path / "positions.toml"
    path.write_text(POSITIONS, encoding="utf-8")
    check_fits(["manage", "--as-of", "2016-06-01", "-p", str(path)])


def test_backtests_fit() -> None:
    check_fits(["backtest", "putwrite", "--start", "2015-01-30", "--end", "2016-12-30", "--data", "embedded"])
    check_fits(["backtest", "wheel", "--data", "embedded", "--start", "2016-01-04", "--end", "2016-12-30"])
    check_fits(["backtest", "wheel", "--data", "embedded", "--names", "AAPL,MSFT,GOOG", "--start", "2016-05-02",
                "--end", "2016-10-31"])


def test_sweeps_fit() -> None:
    check_fits(["sweep", "putwrite", "--delta", "atm,0.25", "--start", "2014-01-02", "--end", "2016-12-30",
                "--data", "embedded", "--workers", "1"])


def test_data_commands_fit(tmp_path: Path) -> None:
    check_fits(["data", "list"], PUTWHEEL_CACHE=str(tmp_path))


@pytest.mark.shared
def test_chain_fits(fixtures_dir: Path) -> None:
    datashop = fixtures_dir / "historical" / "cboe_datashop_UnderlyingOptionsEODCalcs_2016-06-01_excerpt.csv"
    check_fits(["chain", "VIX", "--puts", "--source", f"file:{datashop}"])


def test_ledger_tables_fit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.sqlite'}"
    for args in (["deposit", "10000", "--date", "2024-01-02"],
                 ["sell-put", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--premium", "1.20", "--fees", "1.14",
                  "--date", "2024-01-03"],
                 ["roll", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--new-strike", "48", "--new-expiry",
                  "2024-03-15", "--close-price", "2.00", "--open-price", "2.50", "--date", "2024-02-09"],
                 ["assign", "XYZ", "--strike", "48", "--expiry", "2024-03-15"],
                 ["sell-call", "XYZ", "--strike", "50", "--expiry", "2024-04-19", "--premium", "0.80",
                  "--date", "2024-03-18"]):
        invoke(["trade", *args, "--db", db], 80)
    assert len(check_fits(["positions", "--db", db, "--mark", "XYZ=47.10"])[0]) == 2
    assert len(check_fits(["cycles", "--db", db, "--as-of", "2024-04-01"])[0]) == 1
    assert len(check_fits(["income", "--db", db])[0]) >= 3


def test_sweep_table_separates_periods_and_keeps_them_whole() -> None:
    import pandas as pd
    from rich.console import Console

    from putwheel.cli.sweep import render_sweep

    frame = pd.DataFrame({
        "names": ["AAPL+MSFT+GOOG", "AAPL", "SPX", "SPX"], "delta": [0.2, 0.3, 0.3, 0.2], "dte": 35,
        "profit_take": 0.5, "roll": "credit", "cagr": [0.15, 0.19, 0.097, 0.078], "vol": [0.058, 0.107, 0.057, 0.047],
        "sharpe": [2.24, 1.57, 1.51, 1.45], "max_drawdown": [-0.04, -0.09, -0.045, -0.035],
        "final_value": [1303202.5, 1397858.1, 1434097.9, 1342928.3], "assignment_rate": 0.0, "time_in_shares": 0.0,
        "period": ["2016-01-14..2017-12-01"] * 2 + ["2015-01-02..2018-11-30"] * 2, "pareto": [True, True, True, False]})
    frame.attrs = {"kind": "wheel", "start": "2015-01-02", "end": "2018-11-30", "data": "embedded", "modelled": True}
    for width in WIDTHS:
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(render_sweep(frame, "sharpe"))
        out = console.export_text()
        assert max(cell_len(line) for line in out.splitlines()) <= width
        assert out.count("├") == 1  # one line between the two periods: rows are ranked within their period
        assert "2016-01-14..2017-12-01" in out and "2015-01-02..2018-11-30" in out
        assert "…" not in "".join(c for row in tables(out)[0] for c in row[1:])  # only names may be shortened


def test_run_fits(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.sqlite'}"
    invoke(["trade", "deposit", "100000", "--date", "2017-11-20", "--db", db], 80)
    orders = check_fits(["run", "--as-of", "2017-11-24", "--db", db])[0]   # a dry run: the same orders each time
    assert len(orders) == 2 and all(row[-2] == "dry_run" for row in orders)
