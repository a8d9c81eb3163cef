"""`putwheel backtest putwrite` through typer's CliRunner: table, JSON, errors as one line + exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from putwheel.cli.app import app

runner = CliRunner()


def _strict_json(text: str) -> dict:  # type: ignore[type-arg]
    """JSON that other tools can read: NaN / Infinity are refused."""
    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON constant {token}")
    return json.loads(text, parse_constant=refuse)  # type: ignore[no-any-return]


def test_putwrite_embedded_json_is_labelled_modelled() -> None:
    res = runner.invoke(app, ["backtest", "putwrite", "--start", "2010-01-29", "--end", "2012-12-31",
                              "--data", "embedded", "--json"])
    assert res.exit_code == 0, res.output
    out = _strict_json(res.output)
    assert out["data"] == "embedded" and out["modelled"] is True
    assert out["start"] == "2010-01-29" and out["end"] == "2012-12-31"
    assert not out["matches_published_period"]
    cagr = next(row for row in out["metrics"] if row["metric"] == "CAGR")
    assert cagr["PUT published"] == pytest.approx(0.0954)
    assert 0.0 < cagr["PUT ours"] < 0.3


def test_putwrite_table_shows_published_columns() -> None:
    res = runner.invoke(app, ["backtest", "putwrite", "--start", "2015-01-30", "--end", "2016-12-30",
                              "--data", "embedded"], env={"COLUMNS": "140"})
    assert res.exit_code == 0, res.output
    assert "PUT published" in res.output and "9.54%" in res.output and "modelled" in res.output


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--start", "1986-13-01"], 2, "--start '1986-13-01' is not a date"),
        (["--start", "2012-01-01", "--end", "2011-01-01", "--data", "embedded"], 2, "not after start"),
        (["--start", "1940-01-01", "--data", "embedded"], 4, "S&P 500 history covers"),
        (["--data", "nope"], 2, "unknown data choice"),
    ],
)
def test_putwrite_bad_input_is_one_line_and_an_exit_code(args: list[str], code: int, text: str) -> None:
    res = runner.invoke(app, ["backtest", "putwrite", *args])
    assert res.exit_code == code
    assert text in res.output
    assert "Traceback" not in res.output


def test_putwrite_shared_missing_is_a_data_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["backtest", "putwrite", "--data", "shared"],
                        env={"PUTWHEEL_SHARED": str(tmp_path / "absent")})
    assert res.exit_code == 4
    assert "shared data folder was not found" in res.output


@pytest.mark.shared
def test_putwrite_shared_full_period_marks_every_published_metric_ok(shared: Path) -> None:
    res = runner.invoke(app, ["backtest", "putwrite", "--data", "shared", "--json"],
                        env={"PUTWHEEL_SHARED": str(shared)})
    assert res.exit_code == 0, res.output
    out = _strict_json(res.output)
    assert out["matches_published_period"]
    flags = [row[f"{leg} within tolerance"] for row in out["metrics"] for leg in ("PUT", "SPTR")]
    assert [f for f in flags if f is not None] == [True] * 8
    assert out["verdict"] == "reproduces" and out["misses"] == []
    table = runner.invoke(app, ["backtest", "putwrite", "--data", "shared"],
                          env={"PUTWHEEL_SHARED": str(shared), "COLUMNS": "100"})
    assert "verdict: reproduces the published table" in table.output


def test_putwrite_embedded_full_period_prints_its_verdict_and_why() -> None:
    res = runner.invoke(app, ["backtest", "putwrite", "--data", "embedded"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "verdict: does not reproduce the published table" in text and "PUT CAGR" in text and "pp" in text
    assert " no " in text and " ok " in text          # every published figure is marked, met or not
    assert "implied vol MODELLED from realized vol on" in text   # the why
    assert "log-HAR fit, validated out of sample" in text and "validated 1986-01..2002-12 (ADR 0006)" in text
    out = _strict_json(runner.invoke(app, ["backtest", "putwrite", "--data", "embedded", "--json"]).output)
    assert out["verdict"] == "misses" and {m["metric"] for m in out["misses"]} >= {"CAGR"}


def test_wheel_embedded_json_reports_wheel_and_buy_and_hold() -> None:
    res = runner.invoke(app, ["backtest", "wheel", "--start", "2018-01-02", "--end", "2018-06-29",
                              "--data", "embedded", "--json"])
    assert res.exit_code == 0, res.output
    out = _strict_json(res.output)
    assert "MODELLED" in out["label"] and out["event_count"] == len(out["events"]) > 0
    fields = {"date", "action", "right", "strike", "expiry", "contracts", "price", "cash_flow", "reason_code", "reason",
              "cycle_id"}
    assert all(set(e) >= fields for e in out["events"])
    # money as a statement shows it: cash flows in cents, prices without float noise in the last digits
    assert all(e["cash_flow"] == round(e["cash_flow"], 2) and len(repr(e["price"])) <= 12 for e in out["events"])
    assert set(out["wheel"]) >= {"cagr", "vol", "sharpe", "max_drawdown"}
    assert out["buy_and_hold"]["months"] == out["wheel"]["months"]


@pytest.mark.parametrize(("args", "text"), [(["--delta", "1.5"], "--delta 1.5"), (["--dte", "3"], "--dte 3"),
                                            (["--cash", "-5"], "--cash -5.0"),
                                            (["--slippage", "1.5"], "--slippage 1.5"),
                                            (["--engine", "turbo"], "engine 'turbo' is gone"),
                                            (["--entry", "plan"], "--entry plan needs several names"),
                                            (["--config", "examples/putwheel.toml"], "only applies with --entry plan"),
                                            (["--entry", "guess", "--names", "AAPL"], "unknown entry rule 'guess'")])
def test_wheel_bad_rules_are_input_errors(args: list[str], text: str) -> None:
    res = runner.invoke(app, ["backtest", "wheel", "--data", "embedded", *args])
    assert res.exit_code == 2
    assert text in res.output


def test_wheel_names_outside_their_data_say_where_the_data_is() -> None:
    res = runner.invoke(app, ["backtest", "wheel", "--data", "embedded", "--names", "AAPL", "--start", "2007-01-03",
                              "--end", "2010-12-31"])
    assert res.exit_code == 2
    assert "cover 2015-12-01..2017-12-01" in res.output and "Traceback" not in res.output


def test_wheel_has_one_engine_and_says_so() -> None:
    args = ["backtest", "wheel", "--data", "embedded", "--start", "2016-01-04", "--end", "2016-06-30", "--json"]
    plain = _strict_json(runner.invoke(app, args).output)
    same = _strict_json(runner.invoke(app, [*args, "--engine", "compiled"]).output)
    assert plain["wheel"] == same["wheel"] and plain["events"] == same["events"]
    gone = runner.invoke(app, [*args, "--engine", "manager"])
    assert gone.exit_code == 2 and "one Wheel engine" in gone.output


def test_chains_command_on_a_generated_chain_file(tmp_path: Path) -> None:
    from datetime import date

    import pandas as pd

    from putwheel.backtest.inputs import roll_dates
    from putwheel.data.modelled import ChainModel, modelled_chain
    from putwheel.data.series import load_embedded_history

    px = load_embedded_history().spx.loc["2016-01-01":"2017-03-31"]
    expiries = [d.date() for d in roll_dates(date(2017, 1, 3), date(2017, 6, 30))]
    model = ChainModel(strike_step_pct=0.005, strikes_each_side=10)
    chain = pd.concat([modelled_chain("SPX", px.loc[:ts], ts.date(), [e for e in expiries if e > ts.date()][:2], 0.01,
                                      0.02, model) for ts in px.loc["2017-01-03":].index], ignore_index=True)
    path = tmp_path / "spx.parquet"
    chain.to_parquet(path)
    res = runner.invoke(app, ["backtest", "chains", str(path), "--start", "2017-01-03", "--end", "2017-03-31", "--json"])
    assert res.exit_code == 0, res.output
    out = _strict_json(res.output)
    assert out["symbol"] == "SPX" and out["cycles"] == 3
    assert 0.0 < out["mean_premium_pct_of_strike"] < 0.05
    bad = runner.invoke(app, ["backtest", "chains", str(tmp_path / "none*.csv"), "--start", "2017-01-03",
                              "--end", "2017-03-31"])
    assert bad.exit_code == 4 and "none*.csv: no file matches this pattern" in bad.output
