"""api.plan and `putwheel plan` on the embedded offline universe: a sized, explained plan with no network."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from putwheel import api
from putwheel.api import ledger as api_ledger
from putwheel.cli.app import app
from putwheel.config import PlanConfig, load_config, parse_config
from putwheel.domain.errors import DataError, InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "putwheel.toml"
runner = CliRunner()


@pytest.fixture(scope="module")
def example_plan() -> api.PlanResult:
    return api.plan(load_config(EXAMPLE))


def test_plan_offline_default_is_sized_explained_and_labelled_modelled():
    res = api.plan(PlanConfig())
    assert res.as_of == date(2017, 12, 1)  # the embedded data's last close
    assert res.data_label == "modelled" and (res.tickets["data"] == "modelled").all()
    assert len(res.tickets) >= 1 and (res.tickets["contracts"] >= 1).all()
    assert res.collateral.amount <= res.free_cash.amount
    assert res.tickets["why"].str.contains("annualized on collateral").all()
    assert (res.rejected["reason"] != "").all()


def test_plan_example_totals_are_exact_and_cash_secured(example_plan):
    t = example_plan.tickets
    assert len(t) >= 3
    assert float(example_plan.collateral.amount) == pytest.approx(t["collateral"].sum())
    assert float(example_plan.income.amount) == pytest.approx(t["income"].sum())
    assert example_plan.collateral.amount <= example_plan.free_cash.amount
    assert example_plan.cash_left.amount == example_plan.free_cash.amount - example_plan.collateral.amount
    assert set(t["target_source"]) <= {"explicit target", "20-day swing low",
                                       "fair value 1050 less 6% margin of safety", "2% below spot", "50-day moving average"}
    # every ticket obeys the rules it was screened with
    cfg = load_config(EXAMPLE)
    assert t["dte"].between(cfg.rules.dte_min, cfg.rules.dte_max).all()
    assert (t["delta"].abs() <= cfg.rules.max_abs_delta).all()
    assert (t["strike"] <= t["target_price"]).all()
    assert (t["collateral"] <= cfg.rules.max_pct_per_name * (cfg.account.free_cash + 8426.0) + 1e-6).all()


def test_plan_explain_lists_chosen_first_then_every_reason(example_plan):
    sym = example_plan.tickets["underlying"].iloc[0]
    e = example_plan.explain(sym.lower())
    assert e["reason"].iloc[0].startswith("chosen: ")
    assert (e["underlying"] == sym).all() and (e["reason"] != "").all()
    with pytest.raises(InputError, match="NOPE is not in this plan"):
        example_plan.explain("NOPE")


def test_plan_partial_on_bad_symbols_and_itm_target():
    cfg = parse_config({"watchlist": [{"symbol": "AAPL"}, {"symbol": "ZZZZ"}, {"symbol": "MSFT", "target_price": 90}]})
    res = api.plan(cfg)
    assert "ZZZZ: unknown symbol, no option chain in the source; skipped" in res.warnings
    assert any(w.startswith("MSFT: target 90.00 is above spot 84.26") for w in res.warnings)
    assert set(res.underlyings.index) == {"AAPL", "MSFT"}


def test_plan_not_enough_cash_warns_and_plans_the_rest():
    cfg = parse_config({"account": {"free_cash": 20_000},
                        "rules": {"max_pct_per_name": 1.0, "max_pct_per_sector": 1.0, "min_names": 1},
                        "watchlist": [{"symbol": "GOOG"}, {"symbol": "AAPL"}]})
    res = api.plan(cfg)
    assert any(w.startswith("GOOG: not enough cash for one contract") for w in res.warnings)
    assert list(res.tickets["underlying"]) == ["AAPL"]


def test_plan_no_chain_in_dte_window():
    # as of Friday 2017-12-01 the weekly expiries are 7, 14, ... days out: none in 31-33.
    res = api.plan(parse_config({"rules": {"dte_min": 31, "dte_max": 33}}))
    assert res.tickets.empty
    assert "AAPL: no expiry within the DTE window 31-33 days; skipped" in res.warnings


def test_plan_as_of_outside_embedded_data_is_an_input_error():
    with pytest.raises(InputError, match="outside the embedded data"):
        api.plan(PlanConfig(), as_of=date(2020, 1, 3))


def test_plan_earlier_as_of_uses_only_history_up_to_it():
    res = api.plan(PlanConfig(), as_of=date(2016, 6, 30))
    assert res.as_of == date(2016, 6, 30)
    assert res.underlyings.at["AAPL", "spot"] == pytest.approx(95.60)  # AAPL's close on 2016-06-30


def test_cli_plan_table_json_csv_and_explain():
    out = runner.invoke(app, ["plan", "--config", str(EXAMPLE)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "Sell to open (modelled quotes)" in out.output and "If everything is assigned" in out.output
    js = runner.invoke(app, ["plan", "--config", str(EXAMPLE), "--json"])
    doc = json.loads(js.stdout)
    assert doc["data"] == "modelled" and len(doc["tickets"]) >= 3 and doc["rejected"]
    assert float(doc["collateral"]) <= float(doc["free_cash"])
    csv = runner.invoke(app, ["plan", "--config", str(EXAMPLE), "--csv"])
    assert csv.stdout.splitlines()[0].startswith("underlying,occ_symbol,expiry")
    ex = runner.invoke(app, ["plan", "--config", str(EXAMPLE), "--explain", "XSP"], env={"COLUMNS": "200"})
    assert ex.exit_code == 0 and "XSP: puts that reached pricing" in ex.output
    assert "dropped before pricing: expiry sooner than dte_min 30" in ex.output


def test_cli_plan_bad_input_is_one_line_and_an_exit_code(tmp_path):
    bad = tmp_path / "putwheel.toml"
    bad.write_text("[rules]\ndte_min = 50\ndte_max = 45\n", encoding="utf-8")
    out = runner.invoke(app, ["plan", "--config", str(bad)])
    assert out.exit_code == 3 and "Traceback" not in out.output
    assert "rules: dte_min 50 is above dte_max 45" in out.output
    out = runner.invoke(app, ["plan", "--as-of", "2017-02-30"])
    assert out.exit_code == 2 and "is not a date" in out.output
    out = runner.invoke(app, ["plan", "--explain", "NOPE"])
    assert out.exit_code == 2 and "NOPE is not in this plan" in out.output


def test_plan_rejected_frame_has_a_reason_for_every_put(example_plan):
    n_puts = len(example_plan.rejected) + len(example_plan.tickets)
    assert n_puts == example_plan.rejected.groupby("underlying").size().add(
        example_plan.tickets.groupby("underlying").size(), fill_value=0).sum()
    assert isinstance(example_plan.rejected, pd.DataFrame) and example_plan.rejected["reason"].str.len().min() > 0


@pytest.mark.shared
def test_plan_from_a_recorded_chain_file_is_labelled_market(fixtures_dir):
    # Cboe DataShop EOD excerpt, VIX on 2016-06-01 (spot 14.24): the 28-DTE 14 put, bid 0.30 / ask 0.50 (|delta| 0.43),
    # is the only put between the floor 14 × 0.95 = 13.30 and the target 14; mid 0.40 -> 0.40 / 14 × 365 / 28 = 37 %.
    path = fixtures_dir / "historical" / "cboe_datashop_UnderlyingOptionsEODCalcs_2016-06-01_excerpt.csv"
    cfg = parse_config({"source": {"chains": f"file:{path}", "rate": 0.003},
                        "rules": {"dte_min": 20, "dte_max": 35, "max_spread_pct": 0.6, "min_names": 1,
                                  "max_abs_delta": 0.5, "max_pct_per_sector": 1.0},
                        "watchlist": [{"symbol": "VIX", "target_price": 14.0}, {"symbol": "SPY"}]})
    res = api.plan(cfg)
    assert res.as_of == date(2016, 6, 1) and res.data_label == "market"
    assert "SPY: unknown symbol, no option chain in the source; skipped" in res.warnings
    t = res.tickets.iloc[0]
    assert (t["underlying"], t["strike"], t["dte"], t["limit_price"]) == ("VIX", 14.0, 28, 0.40)
    assert t["roc_annualized"] == pytest.approx(0.40 / 14 * 365 / 28)


def test_plan_bad_chain_file_is_a_data_error(tmp_path):
    bad = tmp_path / "chain.csv"
    bad.write_text("symbol,price\nAAPL,1\n", encoding="utf-8")
    out = runner.invoke(app, ["plan", "--config", str(_config_file(tmp_path, f"file:{bad}"))])
    assert out.exit_code == 4 and "missing column(s)" in out.output and "Traceback" not in out.output
    out = runner.invoke(app, ["plan", "--source", f"file:{bad}"])
    assert out.exit_code == 4 and "missing column(s)" in out.output and "Traceback" not in out.output


def _config_file(tmp_path: Path, chains: str) -> Path:
    path = tmp_path / "putwheel.toml"
    path.write_text(f'[source]\nchains = "{chains}"\nrate = 0.04\n', encoding="utf-8")
    return path


def test_plan_reads_cash_and_positions_from_the_ledger(tmp_path):
    # Deposit 60,000, sell 1 MSFT 80 put at 0.50: cash 60,050, 8,000 reserved -> free cash 52,050. Capital for the caps
    # is 52,050 + 8,000 = 60,050; the MSFT cap 20 % = 12,010 less the 8,000 held leaves 4,010: no room for one more.
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    api_ledger.trade_deposit("60000", on=date(2017, 11, 1), db=db)
    api_ledger.trade_sell_put("MSFT", "80", date(2017, 12, 15), 1, "0.50", on=date(2017, 11, 2), db=db)
    cfg = parse_config({"account": {"ledger": True, "ledger_db": db},
                        "rules": {"max_pct_per_sector": 1.0, "min_annualized_return": 0.03},
                        "watchlist": [{"symbol": "MSFT"}, {"symbol": "AAPL"}]})
    res = api.plan(cfg)
    assert res.free_cash.amount == Decimal("52050.00")
    assert "cash and positions: ledger account 'main'" in res.source
    msft = res.explain("MSFT")
    assert msft["reason"].str.contains("above the per-name cap 4,010 (20% of 60,050 capital)", regex=False).any()
    aapl = res.explain("AAPL")  # not held: the full 12,010 cap, still under one 16,000+ contract
    assert aapl["reason"].str.contains("above the per-name cap 12,010 (20% of 60,050 capital)", regex=False).any()
    assert res.tickets.empty and res.collateral.amount == 0


class FakeProvider:
    """A live provider stand-in: modelled chains from the embedded closes; refuses one symbol like Cboe's 404."""

    name = "cboe"

    def chain(self, symbol: str, as_of: date | None = None, policy: object = None) -> pd.DataFrame:
        from putwheel.data.modelled import modelled_chain, weekly_expiries
        from putwheel.data.universe import embedded_universe

        if symbol == "NOPE":
            raise DataError("unknown symbol 'NOPE' (Cboe answered HTTP 404)", where="cboe")
        day = date(2017, 12, 1)
        return modelled_chain(symbol, embedded_universe().closes[symbol], day, weekly_expiries(day, 60), 0.0127)


def test_plan_live_source_one_request_per_symbol_and_refusals_are_warnings(monkeypatch):
    monkeypatch.setattr("putwheel.data.provider.provider_for", lambda src: FakeProvider())
    cfg = parse_config({"watchlist": [{"symbol": "AAPL"}, {"symbol": "NOPE"}], "source": {"rate": 0.0127},
                        "rules": {"min_names": 1}})
    res = api.plan(cfg, source="cboe")
    assert res.as_of == date(2017, 12, 1) and res.data_label == "market" and res.source.startswith("cboe (live)")
    assert any(w.startswith("NOPE: cboe: unknown symbol 'NOPE'") for w in res.warnings)
    assert not any(w.startswith("NOPE: unknown symbol, no option chain") for w in res.warnings)  # said once
    assert list(res.tickets["underlying"]) == ["AAPL"]


def test_plan_live_source_with_nothing_loaded_is_a_data_error(monkeypatch):
    monkeypatch.setattr("putwheel.data.provider.provider_for", lambda src: FakeProvider())
    with pytest.raises(DataError, match="no option chain could be loaded"):
        api.plan(parse_config({"watchlist": [{"symbol": "NOPE"}]}), source="cboe")


def test_cli_plan_help_names_every_option():
    out = runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "Plan the week's cash-secured puts" in out.output
    for option in ("--config", "--json", "--csv", "--explain", "--as-of", "--source"):
        assert option in out.output
    assert "putwheel plan" in (Path(__file__).resolve().parents[2] / "docs" / "plan.md").read_text(encoding="utf-8")


@pytest.mark.shared
def test_plan_iv_rank_from_the_vix_for_sp500_options(shared):
    # XSP options are on the S&P 500, whose 30-day implied vol is the VIX: rank it over the year to 2017-12-01.
    vix = pd.read_csv(shared / "data" / "vix_daily_1990_2026__datasets_finance-vix.csv", parse_dates=["DATE"])
    year = vix.loc[vix["DATE"] <= "2017-12-01", "CLOSE"].iloc[-252:]
    res = api.plan(PlanConfig())
    u = res.underlyings
    assert u.at["XSP", "iv_rank"] == pytest.approx((year.iloc[-1] - year.min()) / (year.max() - year.min()))
    assert u.at["XSP", "iv_percentile"] == pytest.approx((year < year.iloc[-1]).mean())
    assert u.at["XSP", "iv_history"].startswith("VIX")
    assert pd.isna(u.at["AAPL", "iv_rank"]) and pd.isna(u.at["DJX", "iv_rank"])  # no IV history: shown as missing
