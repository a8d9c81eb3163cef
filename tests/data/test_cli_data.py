"""`putwheel chain` and `putwheel data list|fetch` through typer's CliRunner, checked against the api's data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from putwheel import api
from putwheel.cli.app import app
from putwheel.domain.errors import DataError, InputError

runner = CliRunner()
DATASHOP = "historical/cboe_datashop_UnderlyingOptionsEODCalcs_2016-06-01_excerpt.csv"
TDA = "schwab_tda/tda_chains_SPY_2020-08-21_atm_340.json"


@pytest.mark.shared
def test_api_chain_puts_only_sorted(fixtures_dir: Path):
    res = api.chain("^vix", f"file:{fixtures_dir / DATASHOP}", puts_only=True)
    assert res.symbol == "VIX" and res.spot == 14.24 and str(res.quote_date) == "2016-06-01"
    assert (res.frame["right"] == "P").all() and len(res.frame) == 7
    assert res.frame["strike"].tolist() == [10.0, 13.0, 14.0, 15.0, 16.0, 20.0, 40.0]
    assert res.flagged == 1


@pytest.mark.shared
def test_api_chain_dte_window(fixtures_dir: Path):
    res = api.chain("VIX", f"file:{fixtures_dir / DATASHOP}", dte_min=1, dte_max=30)
    assert len(res.frame) == 12 and (res.frame["dte"] == 28).all()
    with pytest.raises(InputError, match="above --dte-max"):
        api.chain("VIX", f"file:{fixtures_dir / DATASHOP}", dte_min=30, dte_max=10)


@pytest.mark.shared
def test_data_list_shows_cached_series(fixtures_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from datetime import UTC, datetime

    from putwheel.data.history import SeriesSpec, parse_cboe_index_csv, store
    vix = parse_cboe_index_csv((fixtures_dir / "cboe/cboe_us_indices_VIX_History_head_tail.csv").read_text(), "VIX")
    store(vix, SeriesSpec.parse("cboe:VIX"), "Cboe index history CSV", "recorded fixture",
          datetime(2026, 11, 25, tzinfo=UTC), tmp_path)
    monkeypatch.setenv("PUTWHEEL_CACHE", str(tmp_path))
    cached = [r for r in api.data_list() if r.kind == "cached"]
    assert [(r.name, r.rows, str(r.last)) for r in cached] == [("cboe:VIX", 25, "2026-07-06")]


@pytest.mark.shared
def test_api_chain_by_root(fixtures_dir: Path):
    res = api.chain("SPX", f"file:{fixtures_dir / 'cboe/cboe_delayed_options__SPX_2026-08-17_evidence_excerpt.json'}")
    assert len(res.frame) == 2 and res.symbol == "SPX"


@pytest.mark.shared
def test_api_chain_wrong_symbol_lists_what_the_file_holds(fixtures_dir: Path):
    with pytest.raises(DataError, match="no SPY options") as err:
        api.chain("SPY", f"file:{fixtures_dir / DATASHOP}")
    assert err.value.hint == "it holds: VIX"


@pytest.mark.parametrize("source", ["file:", "bloomberg", "ftp:x"])
def test_api_chain_bad_source_is_input_error(source):
    with pytest.raises(InputError):
        api.chain("SPY", source)


@pytest.mark.shared
def test_cli_chain_table_shows_flags(fixtures_dir: Path):
    result = runner.invoke(app, ["chain", "VIX", "--source", f"file:{fixtures_dir / DATASHOP}", "--puts"],
                           env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "VIX chain" in result.output and "no bid and no ask" in result.output
    assert "7 contracts, 1 flagged" in result.output


@pytest.mark.shared
def test_cli_chain_json_matches_api(fixtures_dir: Path):
    result = runner.invoke(app, ["chain", "SPY", "--source", f"file:{fixtures_dir / TDA}", "--json", "--as-of", "2020-08-21"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    res = api.chain("SPY", f"file:{fixtures_dir / TDA}")
    assert [r["occ_symbol"] for r in rows] == res.frame["occ_symbol"].tolist()
    assert rows[0]["expiry"] == "2020-08-28" and rows[0]["dte"] == 7 and rows[0]["iv"] == pytest.approx(0.12701)


def test_cli_chain_missing_file_is_one_line_exit_4(tmp_path: Path):
    result = runner.invoke(app, ["chain", "SPY", "--source", f"file:{tmp_path / 'none.csv'}"])
    assert result.exit_code == 4
    assert "no such file" in result.output and "Traceback" not in result.output


def test_cli_chain_bad_date_is_exit_2(tmp_path: Path):
    result = runner.invoke(app, ["chain", "SPY", "--source", f"file:{tmp_path}", "--as-of", "21/08/2020"])
    assert result.exit_code == 2


def test_data_list_offline_shows_embedded_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PUTWHEEL_CACHE", str(tmp_path))
    rows = api.data_list()
    names = [r.name for r in rows]
    assert {"embedded:AAPL", "embedded:XSP", "embedded:SPX", "embedded:VIX"} <= set(names)
    spx = next(r for r in rows if r.name == "embedded:SPX")
    assert (spx.first, spx.last) == (date(1950, 1, 3), date(2018, 12, 7)) and "sp500_1950_2018" in spx.source
    assert all(r.kind == "embedded" for r in rows)  # empty cache
    result = runner.invoke(app, ["data", "list"], env={"COLUMNS": "200", "PUTWHEEL_CACHE": str(tmp_path)})
    assert result.exit_code == 0 and "embedded:MSFT" in result.output
    as_json = runner.invoke(app, ["data", "list", "--json"], env={"PUTWHEEL_CACHE": str(tmp_path)})
    listed = json.loads(as_json.output)
    assert as_json.exit_code == 0 and [r["name"] for r in listed] == names
    assert next(r for r in listed if r["name"] == "embedded:SPX")["first"] == "1950-01-03"


def test_data_fetch_unknown_series_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["data", "fetch", "bloomberg:SPX"], env={"PUTWHEEL_CACHE": str(tmp_path)})
    assert result.exit_code == 4 and "unknown series" in result.output


def test_commands_have_help():
    for args in (["chain", "--help"], ["data", "list", "--help"], ["data", "fetch", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and len(result.output) > 100


@pytest.mark.shared
def test_data_fetch_command_caches_and_prints_one_line_a_series(fixtures_dir: Path, tmp_path: Path, monkeypatch):
    """`putwheel data fetch` end to end through a recorded Cboe file (no network): the shared bar
    (`cli.progress.progress_bar`) counts the series, then one line says what was cached where."""
    from test_history_cache import VIX_CSV, FakeResponse, FakeSession  # (this folder is on sys.path)

    import putwheel.api.data as api_data
    from putwheel.data import history

    session = FakeSession({"VIX_History.csv": FakeResponse(200, (fixtures_dir / VIX_CSV).read_text())})
    monkeypatch.setattr(api_data, "fetch", lambda *a, **k: history.fetch(*a, session=session, **k))
    result = runner.invoke(app, ["data", "fetch", "cboe:VIX"], env={"PUTWHEEL_CACHE": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "cached cboe:VIX: 25 rows 1990-01-02 .. 2026-07-06 -> " in result.output
    assert (tmp_path / "cboe_VIX.parquet").is_file()


def test_cli_chain_embedded_is_the_chain_plan_prices():
    """`chain SYM --source embedded` shows the modelled chain `plan` sells from offline: the plan's ticket is a row of
    it at the same bid and ask, every row labelled modelled, and no bid printed as -0.00."""
    plan = json.loads(runner.invoke(app, ["plan", "--json", "--as-of", "2017-12-01"]).output)
    ticket = plan["tickets"][0]
    out = runner.invoke(app, ["chain", ticket["underlying"], "--source", "embedded", "--as-of", "2017-12-01", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    same = [r for r in rows if r["expiry"] == ticket["expiry"][:10] and r["strike"] == ticket["strike"]
            and r["right"] == "P"]
    assert len(same) == 1 and (same[0]["bid"], same[0]["ask"]) == (ticket["bid"], ticket["ask"])
    assert {r["quality"] for r in rows} == {"modelled"}
    assert all(r["bid"] >= 0 and str(r["bid"]) != "-0.0" for r in rows)
    table = runner.invoke(app, ["chain", "XSP", "--source", "embedded", "--as-of", "2018-06-01"], env={"COLUMNS": "80"})
    assert table.exit_code == 0 and "MODELLED quotes" in table.output and "-0.00" not in table.output


def test_cli_chain_embedded_name_past_its_closes_says_why():
    out = runner.invoke(app, ["chain", "AAPL", "--source", "embedded", "--as-of", "2018-06-01"])
    assert out.exit_code == 4
    assert "error: --source embedded: no embedded data for AAPL (AAPL: no embedded close on 2018-06-01 (its closes " \
        "end 2017-12-01))" in out.output
