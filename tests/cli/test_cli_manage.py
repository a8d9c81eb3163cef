"""`putwheel manage` through the CLI and `api.manage`: positions file or ledger in, decisions with reasons out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from putwheel import api
from putwheel.cli.app import app
from putwheel.domain.errors import ConfigError, DataError, InputError
from putwheel.ledger import Kind, Ledger, option
from putwheel.ledger.manual import assign, cash_move, sell_put

runner = CliRunner()
AS_OF = "2016-06-01"

POSITIONS = """
[[position]]
account = "ira"
underlying = "MSFT"
right = "put"
strike = 47
expiry = 2016-07-01
contracts = -2
open_premium = 1.10
opened = 2016-05-20

[[position]]
underlying = "XYZ"
right = "call"
strike = 50
expiry = 2016-06-17
contracts = -1
open_premium = 1.00
opened = 2016-05-20

[[position]]
underlying = "XYZ"
right = "put"
strike = 40
expiry = 2016-05-20
contracts = -1
open_premium = 0.50
opened = 2016-04-20

[market.XYZ]
spot = 52.0
iv = 0.30
ex_dividend_date = 2016-06-08
dividend = 0.60
"""


@pytest.fixture
def positions_file(tmp_path: Path) -> Path:
    path = tmp_path / "positions.toml"
    path.write_text(POSITIONS, encoding="utf-8")
    return path


def test_cli_manage_json_from_positions_file(positions_file):
    res = runner.invoke(app, ["manage", "--as-of", AS_OF, "--positions", str(positions_file), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    rows = {r["position"]: r for r in out["decisions"]}
    msft = rows["MSFT 2016-07-01 47P x-2"]
    # MSFT 47P on the modelled chain (real close 52.85 on 2016-06-01): far OTM, bought back cheaply -> take profit
    assert msft["action"] == "take_profit" and msft["account"] == "ira"
    assert msft["captured_pct"] == pytest.approx((1.10 - msft["close_cost"]) / 1.10)
    xyz = rows["XYZ 2016-06-17 50C x-1"]
    # no chain for XYZ: quotes modelled from the table's spot and iv; ITM by 52 - 50 = 2.00, dividend 0.60 vs extrinsic
    assert xyz["mark_source"] == "modelled quote mid" and xyz["intrinsic"] == pytest.approx(2.0)
    assert "modelled from its spot and iv" in out["market_sources"]["XYZ"]
    assert xyz["action"] == "accept_assignment"
    assert xyz["early_assignment_risk"] is (xyz["extrinsic"] < 0.60)
    assert out["market_sources"]["MSFT"].startswith("modelled chain over real closes")
    assert any("expired before 2016-06-01" in n for n in out["notes"])  # the May 40P needs its expiry recorded


def test_cli_manage_table_shows_reasons(positions_file):
    res = runner.invoke(app, ["manage", "--as-of", AS_OF, "-p", str(positions_file)], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "take_profit" in res.output and "captures" in res.output
    assert "record its expiration or assignment" in res.output


@pytest.mark.parametrize(("text", "needle"), [
    ("[[position]]\nunderlying='MSFT'\nright='put'\nstrike=47\n", "missing key 'opened'"),
    ("[[position]]\nunderlying='MSFT'\nright='put'\nstrike=-1\nexpiry=2016-07-01\ncontracts=-1\nopen_premium=1\n"
     "opened=2016-05-02\n", "positive strike"),
    ("[[position]]\nunderlying='MSFT'\nright='shares'\nshares=100\ncost_basis=50\nopened=2016-05-02\ncolour=1\n",
     "unknown keys"),
    ("[[position]\n", "cannot parse"),
    ("[[position]]\nunderlying='ZZZ'\nright='put'\nstrike=40\nexpiry=2016-07-01\ncontracts=-1\nopen_premium=1\n"
     "opened=2016-05-02\n", "no market data for ZZZ on"),
    ("[rules]\ntake_profit=0.5\n[[position]]\nunderlying='MSFT'\nright='shares'\nshares=100\ncost_basis=50\n"
     "opened=2016-05-02\n", "rules.take_profit"),
])
def test_cli_manage_bad_positions_file_is_one_line(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    res = runner.invoke(app, ["manage", "--as-of", AS_OF, "-p", str(path)])
    assert res.exit_code in (InputError.exit_code, DataError.exit_code, ConfigError.exit_code), res.output
    assert needle in res.output
    assert "Traceback" not in res.output


def test_cli_manage_without_ledger_or_file_says_how(tmp_path):
    res = runner.invoke(app, ["manage", "--as-of", AS_OF, "--db", str(tmp_path / "none.sqlite")])
    assert res.exit_code == InputError.exit_code
    assert "no ledger database yet" in res.output


def test_api_manage_reads_the_ledger(tmp_path):
    """A put sold and assigned on MSFT (shares at the premium-adjusted basis) and an open AAPL put, from SQLite."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    t0, t1 = datetime(2016, 4, 1, 15, tzinfo=UTC), datetime(2016, 4, 15, 21, tzinfo=UTC)
    msft_put = option("MSFT", "P", 55, date(2016, 4, 15))
    events = [
        *cash_move("acct", t0, Kind.DEPOSIT, "50000"),
        *sell_put("acct", t0, "MSFT", 55, date(2016, 4, 15), 1, "1.20"),
        *assign("acct", t1, msft_put, 1),
        *sell_put("acct", datetime(2016, 5, 16, 15, tzinfo=UTC), "AAPL", 90, date(2016, 6, 24), 1, "1.50"),
    ]
    with Ledger.open(url) as ledger:
        ledger.append(events, strict=True, recorded_at=datetime(2026, 1, 1, tzinfo=UTC))
    res = api.manage(date(2016, 6, 1), db=url)
    rows = {r["position"]: r for r in res.records()}
    assert res.positions_source.startswith("ledger sqlite:///")
    # basis = 55 strike - 1.20 premium = 53.80 per share, premium-adjusted from the wheel cycle
    shares = rows["MSFT 100 shares @ 53.80"]
    assert shares["action"] == "sell_covered_call"
    assert shares["cc_strike"] >= 53.80
    aapl = rows["AAPL 2016-06-24 90P x-1"]
    assert aapl["account"] == "acct" and aapl["action"] in ("hold", "take_profit")
    assert aapl["captured_pct"] == pytest.approx((1.50 - aapl["close_cost"]) / 1.50)


MARKET_TSLL = """
# test inputs, not market data: a spot and a vol chosen for the check
[market.TSLL]
spot = 12.0
iv = 0.60
"""


@pytest.mark.shared
def test_manage_on_the_imported_tastytrade_wheel(fixtures_dir, tmp_path):
    """The real TSLL export replayed to 2025-06-10: 1,400 shares, 13 short 16C expiring 2025-06-13."""
    url = f"sqlite:///{tmp_path / 'tsll.sqlite'}"
    api.ledger.import_tastytrade(fixtures_dir / "broker_exports" / "tastytrade_transactions_TSLL_wheel_2024-05_to_2025-10.csv",
                                 db=url)
    market = tmp_path / "market.toml"
    market.write_text(MARKET_TSLL, encoding="utf-8")
    res = runner.invoke(app, ["manage", "--as-of", "2025-06-10", "--db", url, "--market", str(market), "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["position"]: r for r in json.loads(res.output)["decisions"]}
    calls = rows["TSLL 2025-06-13 16C x-13"]
    # opened 12 @ 2,292.42 net and 1 @ 96.87 net -> (2292.42 + 96.87) / 1300 = 1.837915 per share
    assert calls["captured_pct"] == pytest.approx((2389.29 / 1300 - calls["close_cost"]) / (2389.29 / 1300), abs=1e-6)
    assert calls["action"] == "let_expire" and calls["dte"] == 3  # 16 strike vs 12 spot, 3 DTE: worth < 0.05
    # 1,400 shares less 13 x 100 covered -> 100 uncovered, at the cycle's premium-adjusted basis 12.11
    (label,) = [k for k in rows if k.startswith("TSLL 100 shares @ 12.11")]
    shares = rows[label]
    assert shares["action"] == "sell_covered_call" and shares["cc_contracts"] == 1
    assert shares["cc_strike"] >= 12.1121 and abs(shares["cc_delta"]) <= 0.35 and 30 <= shares["cc_dte"] <= 45


@pytest.mark.shared
def test_manage_on_the_imported_ibkr_flex_sample(fixtures_dir, tmp_path):
    """The IBKR Flex sample on 2026-07-16: an AA iron condor (short 47P/47C, long 40P/54C) a day before expiry."""
    url = f"sqlite:///{tmp_path / 'ibkr.sqlite'}"
    api.ledger.import_ibkr(fixtures_dir / "broker_exports" / "ibkr_flex_activity_DU_paper_2026_trimmed.xml", db=url)
    market = tmp_path / "market.toml"
    market.write_text("[market.AA]\nspot = 45.0\niv = 0.50\n", encoding="utf-8")  # test inputs
    res = api.manage(date(2026, 7, 16), db=url, market=market)
    rows = {r["position"]: r for r in res.records()}
    put, call = rows["AA 2026-07-17 47P x-2"], rows["AA 2026-07-17 47C x-2"]
    assert put["intrinsic"] == pytest.approx(2.0) and put["roll_candidates"] > 0  # ITM by 47 - 45, 1 DTE
    assert put["action"] == ("roll" if put["roll_value"] > put["value_keep"] + 0.01 else "accept_assignment")
    assert put["roll_credit"] > 0 and put["roll_strike"] <= 47
    assert call["action"] == "let_expire"  # 47C with spot 45 and 1 DTE
    assert rows["AA 2026-07-17 40P x2"]["action"] == "hold"  # long wings are not the Wheel's to manage


class FakeProvider:
    """Hand-written provider: a chain modelled from real AAPL closes, relabelled ZZZ, quoted on `quoted_on`."""

    name = "fake"

    def __init__(self, quoted_on: date) -> None:
        self.quoted_on = quoted_on
        self.calls: list[str] = []

    def chain(self, symbol, as_of=None, policy=None):
        from putwheel.data.modelled import modelled_chain, weekly_expiries
        from putwheel.data.universe import embedded_universe

        self.calls.append(symbol)
        closes = embedded_universe().closes["AAPL"]
        return modelled_chain(symbol, closes, self.quoted_on, weekly_expiries(self.quoted_on, 70), 0.01)


def test_api_manage_takes_quotes_from_a_provider(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[[position]]\nunderlying='ZZZ'\nright='put'\nstrike=90\nexpiry=2016-07-01\ncontracts=-1\n"
                    "open_premium=2.0\nopened=2016-05-20\n", encoding="utf-8")
    fake = FakeProvider(date(2016, 6, 1))
    res = api.manage(date(2016, 6, 1), positions=path, source=fake)
    (row,) = res.records()
    assert fake.calls == ["ZZZ"] and res.market_sources == {"ZZZ": "fake chain"}
    assert row["mark_source"] == "modelled quote mid"  # the fake's quotes say quality = "modelled"
    assert row["captured_pct"] == pytest.approx((2.0 - row["close_cost"]) / 2.0)
    with pytest.raises(InputError, match="dated after as_of"):  # a quote from the future is look-ahead
        api.manage(date(2016, 5, 31), positions=path, source=FakeProvider(date(2016, 6, 1)))


def test_manage_help_keeps_its_square_brackets() -> None:
    """The TOML table names in the help are text, not rich markup (they used to vanish: "([], optional , )")."""
    res = runner.invoke(app, ["manage", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "[[position]]" in text and "[market.SYM]" in text and "[rules]" in text


@pytest.mark.shared
def test_manage_marks_a_put_at_the_mid_plan_quotes_the_same_day(tmp_path: Path):
    """Offline, `manage` and `plan` price one contract alike on one day: the day's 3-month T-bill, the plan's rate
    rule (`DayRates`), not a flat 4 % (AAPL 162P on 2017-12-01: plan bid 1.69 / ask 1.76, so the mark is 1.725)."""
    plan = json.loads(CliRunner().invoke(app, ["plan", "--json", "--as-of", "2017-12-01"]).output)
    t = plan["tickets"][0]
    path = tmp_path / "p.toml"
    path.write_text(f'[[position]]\nunderlying = "{t["underlying"]}"\nright = "P"\nstrike = {t["strike"]}\n'
                    f'expiry = "{t["expiry"][:10]}"\ncontracts = -1\nopen_premium = 2.00\nopened = "2017-11-20"\n',
                    encoding="utf-8")
    out = CliRunner().invoke(app, ["manage", "--as-of", "2017-12-01", "-p", str(path), "--json"])
    assert out.exit_code == 0, out.output
    mark = json.loads(out.output)["decisions"][0]["mark"]
    assert mark == pytest.approx((t["bid"] + t["ask"]) / 2, abs=1e-9)
