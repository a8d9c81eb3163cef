"""CLI commands through typer's CliRunner, asserting on the ledger's state via the api, plus api imports on both DBs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from putwheel.api import ledger as api
from putwheel.cli.app import app

runner = CliRunner()
LEDGER_COMMANDS = [["trade", "sell-put"], ["trade", "sell-call"], ["trade", "buy-close"], ["trade", "assign"],
                   ["trade", "expire"], ["trade", "roll"], ["trade", "deposit"], ["import", "tastytrade"],
                   ["import", "ibkr"], ["positions"], ["income"], ["cycles"]]


def _run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.sqlite'}"


@pytest.mark.parametrize("cmd", LEDGER_COMMANDS)
def test_cli_every_ledger_command_has_help(cmd):
    res = _run(*cmd, "--help")
    assert res.exit_code == 0, res.output
    assert "--db" in res.output or "--help" in res.output


def test_cli_wheel_round_trip(db, tmp_path):
    assert _run("trade", "deposit", "10000", "--date", "2024-01-02", "--db", db).exit_code == 0
    res = _run("trade", "sell-put", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--premium", "1.20",
               "--fees", "1.14", "--date", "2024-01-03", "--db", db)
    assert res.exit_code == 0, res.output
    res = _run("trade", "sell-put", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--premium", "1.20",
               "--contracts", "2", "--date", "2024-01-04", "--db", db)
    assert res.exit_code == 5 and "free cash would be" in res.output  # 3 x 5,000 of collateral > 10,000 + premium
    res = _run("trade", "roll", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--new-strike", "48",
               "--new-expiry", "2024-03-15", "--close-price", "2.00", "--open-price", "2.50", "--date", "2024-02-09",
               "--db", db)
    assert res.exit_code == 0, res.output
    assert _run("trade", "assign", "XYZ", "--strike", "48", "--expiry", "2024-03-15", "--db", db).exit_code == 0
    res = _run("trade", "sell-call", "XYZ", "--strike", "50", "--expiry", "2024-04-19", "--premium", "0.80",
               "--date", "2024-03-18", "--db", db)
    assert res.exit_code == 0, res.output
    assert _run("trade", "assign", "XYZ", "--strike", "50", "--expiry", "2024-04-19", "--right", "call",
                "--db", db).exit_code == 0
    [cycle] = api.cycles(db=db)
    # premiums 120 - 1.14 - 200 + 250 + 80 = 248.86; shares 4,800 in, 5,000 out: +448.86 over 107 days on 4,800 at risk
    assert (cycle.outcome, cycle.assigned, len(cycle.rolls)) == ("called away", True, 1)
    assert cycle.pnl == Decimal("448.86") and cycle.max_capital == Decimal(5000)
    rep = api.positions(db=db)
    assert rep.positions == () and rep.cash["main"]["USD"] == Decimal("10448.86")
    assert rep.realized["main"]["USD"] == Decimal("448.86")
    out = json.loads(_run("cycles", "--json", "--db", db).output)
    assert out[0]["pnl"] == "448.86" and out[0]["status"] == "closed"
    inc = json.loads(_run("income", "--by", "month", "--json", "--db", db).output)
    assert [m["month"] for m in inc] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert sum(Decimal(m["total"]) for m in inc) == Decimal("448.86")
    res = _run("income", "--html", str(tmp_path / "r.html"), "--as-of", "2024-05-01", "--db", db)
    assert res.exit_code == 0 and "main/XYZ#1" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_cli_covered_call_without_shares_is_refused_cleanly(db):
    _run("trade", "deposit", "1000", "--date", "2024-01-02", "--db", db)
    res = _run("trade", "sell-call", "XYZ", "--strike", "5", "--expiry", "2024-02-16", "--premium", "0.1",
               "--date", "2024-01-03", "--db", db)
    assert res.exit_code == 5 and "need 100 shares, only 0 held" in res.output and "Traceback" not in res.output
    assert len(api.positions(db=db).positions) == 0


def test_cli_bad_input_is_one_line_not_a_traceback(db):
    res = _run("trade", "sell-put", "XYZ", "--strike", "-5", "--expiry", "2024-02-16", "--premium", "1",
               "--date", "2024-01-03", "--db", db)
    assert res.exit_code == 2 and "strike must be positive" in res.output
    res = _run("import", "tastytrade", "/nonexistent/file.csv", "--db", db)
    assert res.exit_code == 2 and "no such file" in res.output


@pytest.mark.shared
def test_cli_import_twice_adds_nothing_and_reports(db, fixtures_dir):
    path = str(fixtures_dir / "broker_exports" / "ibkr_flex_activity_DU_paper_2026_trimmed.xml")
    first = _run("import", "ibkr", path, "--db", db)
    assert first.exit_code == 0 and "24 added" in first.output and "without their opening" in first.output
    again = json.loads(_run("import", "ibkr", path, "--db", db, "--json").output)
    assert again["added"] == 0 and again["skipped"] == 24
    res = _run("positions", "--json", "--db", db)
    assert {p["underlying"] for p in json.loads(res.output)["positions"]} == {"CLF", "CZR"}


@pytest.mark.shared
def test_api_import_is_idempotent_on_both_databases(db_url, fixtures_dir):
    path = fixtures_dir / "broker_exports" / "tastyworks_transactions_x3569_2021-11-01_2021-12-31.csv"
    first = api.import_tastytrade(path, account="x3569", db=db_url)
    second = api.import_tastytrade(path, account="x3569", db=db_url)
    assert (first.added, second.added, second.skipped) == (53, 0, 53)
    assert second.cash == {"x3569": {"USD": Decimal("7080.508")}}
    assert api.positions(db=db_url).free_cash("x3569") == Decimal("230.508")


def test_cli_import_with_a_bad_row_is_refused_whole_unless_skip_bad(db, tmp_path):
    from putwheel.ledger.importers.tastytrade import GEN2

    path = tmp_path / "hand.csv"  # hand-written rows, not broker data
    path.write_text("\n".join([
        ",".join(GEN2),
        "2021-11-26T23:00:00+0100,Money Movement,,,,Wire Funds Received,\"11,219.00\",0,,--,0.00,,,,,,,",
        "2021-12-16T23:00:00+0100,Money Movement,,,,INTEREST ON CREDIT BALANCE,five cents,0,,--,0.00,,,,,,,",
    ]) + "\n", encoding="utf-8")
    res = _run("import", "tastytrade", str(path), "--db", db)
    assert res.exit_code == 4 and "hand.csv:3" in res.output and "nothing imported" in res.output
    assert not (tmp_path / "cli.sqlite").exists()  # refused before the ledger was even opened
    res = _run("import", "tastytrade", str(path), "--skip-bad", "--db", db)
    assert res.exit_code == 0 and "1 added" in res.output and "skipped hand.csv:3" in res.output
    assert api.positions(db=db).cash == {"tastytrade": {"USD": Decimal("11219.00")}}


def test_cli_positions_unrealized_at_marks(db):
    _run("trade", "deposit", "6000", "--date", "2024-01-02", "--db", db)
    _run("trade", "sell-put", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--premium", "1.20", "--fees", "1.14",
         "--date", "2024-01-03", "--db", db)
    out = json.loads(_run("positions", "--mark", "XYZ 2024-02-16 50P=0.45", "--json", "--db", db).output)
    assert out["unrealized"] == {"main XYZ 2024-02-16 50P": "73.86"}  # 118.86 credit - 45 to buy back
    assert out["positions"][0]["cost_total"] == "-118.86"
    res = _run("positions", "--mark", "ABC=1", "--db", db)
    assert res.exit_code == 2 and "no open position 'ABC' to mark" in res.output
    res = _run("positions", "--mark", "XYZ 2024-02-16 50P", "--db", db)
    assert res.exit_code == 2 and "is not LABEL=PRICE" in res.output
