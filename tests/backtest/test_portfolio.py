"""The Wheel on several names: shared cash always secures every short put, caps bind at entry, one manager call
per day, staggered expiries, per-name assignment counts; on one name it is the single-name Wheel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.wheel import WheelConfig, WheelPortfolioResult, run_wheel, run_wheel_portfolio, weekly_expiries
from putwheel.data.calendar import xnys_sessions
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError

SESSIONS = xnys_sessions("2010-01-01", "2011-12-31")
N = 200


def _history() -> MarketHistory:
    days = SESSIONS[:N]
    return MarketHistory(spx=pd.Series(1000.0, index=days), tbill_pct=pd.Series(2.0, index=days),
                         div_yield_pct=pd.Series(0.0, index=days), label="synthetic", tbill_kind="discount")


def _closes() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    noise = np.exp(rng.normal(0.0, 0.008, (N, 3)))
    crash = np.concatenate([np.full(80, 100.0), np.linspace(100, 70, 25), np.linspace(70, 105, N - 105)])
    quiet = 50.0 * np.exp(np.linspace(0, 0.06, N))
    drift = np.concatenate([np.full(80, 400.0), np.linspace(400, 340, 40), np.full(N - 120, 340.0)])
    return pd.DataFrame({"CRSH": crash, "QUIT": quiet, "DRFT": drift}, index=SESSIONS[:N]) * noise


@pytest.fixture(scope="module")
def run() -> tuple[WheelPortfolioResult, list[object]]:
    res = run_wheel_portfolio(_history(), _closes(), SESSIONS[40].date(), SESSIONS[N - 1].date(),
                              WheelConfig(start_cash=300_000.0), max_pct_per_name=0.34)
    return res, []


def test_portfolio_collateral_is_always_cash_secured(run: tuple[WheelPortfolioResult, list[object]]) -> None:
    res, _ = run
    daily = res.daily
    assert (daily["free_cash"] >= 0).all(), daily.loc[daily["free_cash"] < 0]
    assert daily["collateral"].max() > 0.5 * 300_000.0            # the cash is actually put to work
    np.testing.assert_allclose(daily["free_cash"], daily["cash"] - daily["collateral"])
    np.testing.assert_allclose(daily["value"], daily["cash"] + daily["shares_value"] - daily["short_options"])


def test_portfolio_caps_each_name_at_entry(run: tuple[WheelPortfolioResult, list[object]]) -> None:
    res, _ = run
    opens = res.events[res.events["reason_code"] == "new_put"]
    assert set(opens["symbol"]) == {"CRSH", "QUIT", "DRFT"}
    value_then = res.daily["value"].reindex(pd.to_datetime(opens["date"])).to_numpy()
    collateral = (opens["strike"] * opens["contracts"] * 100).to_numpy()
    assert (collateral <= 0.34 * value_then * 1.02).all()        # 2 %: the day's value moves after the decision


def test_portfolio_counts_assignments_per_name(run: tuple[WheelPortfolioResult, list[object]]) -> None:
    res, _ = run
    per = res.per_name
    assert per.loc["CRSH", "puts_assigned"] > 0
    assert per.loc["QUIT", "puts_assigned"] == 0 and per.loc["QUIT", "time_in_shares"] == 0.0
    assigned = res.events[res.events["action"] == "assigned"].groupby("symbol")["contracts"].sum()
    for name in per.index:
        assert per.loc[name, "puts_assigned"] == assigned.get(name, 0)
    assert per["puts_assigned"].sum() / per["puts_sold"].sum() == pytest.approx(res.assignment_rate)
    assert res.per_name.loc["CRSH", "time_in_shares"] > 0 and res.time_in_shares >= per["time_in_shares"].max()


def test_portfolio_staggers_first_expiries(run: tuple[WheelPortfolioResult, list[object]]) -> None:
    res, _ = run
    first = res.events[res.events["reason_code"] == "new_put"].groupby("symbol")["expiry"].first()
    assert first.nunique() == 3


def test_portfolio_on_one_name_is_the_single_name_wheel() -> None:
    closes = _closes()[["CRSH"]]
    cfg = WheelConfig(start_cash=200_000.0)
    start, end = SESSIONS[40].date(), SESSIONS[N - 1].date()
    multi = run_wheel_portfolio(_history(), closes, start, end, cfg, max_pct_per_name=1.0, stagger=False)
    single = run_wheel(_history(), start, end, cfg, symbol="CRSH", closes=closes["CRSH"])
    np.testing.assert_allclose(multi.daily["value"], single.daily["value"], rtol=1e-9)
    assert list(multi.events["reason_code"]) == list(single.events["reason_code"])


def test_weekly_expiries_move_holiday_fridays_back() -> None:
    exp = weekly_expiries(pd.Timestamp("2010-03-29").date(), pd.Timestamp("2010-04-16").date())
    assert [str(e) for e in exp] == ["2010-04-01", "2010-04-09", "2010-04-16"]   # Good Friday 2010-04-02


@pytest.mark.parametrize(("names", "cap", "match"), [
    (["CRSH", "QUIT"], 0.0, "max-pct-per-name"),
    (["CRSH", "QUIT"], 1.5, "max-pct-per-name"),
    (["CRSH", "CRSH"], 0.3, "distinct"),
])
def test_portfolio_rejects_bad_input(names: list[str], cap: float, match: str) -> None:
    closes = pd.concat([_closes()[n] for n in names], axis=1)
    with pytest.raises(InputError, match=match):
        run_wheel_portfolio(_history(), closes, SESSIONS[40].date(), SESSIONS[N - 1].date(), max_pct_per_name=cap)


def test_portfolio_without_a_cap_is_bounded_by_the_shared_cash() -> None:
    res = run_wheel_portfolio(_history(), _closes(), SESSIONS[40].date(), SESSIONS[120].date(),
                              WheelConfig(start_cash=300_000.0), max_pct_per_name=1.0)
    assert (res.daily["free_cash"] >= 0).all()
    first = res.events[res.events["reason_code"] == "new_put"].iloc[0]
    assert first["strike"] * first["contracts"] * 100 > 0.9 * 300_000.0      # the first name may take it all
    same_day = res.events[(res.events["date"] == first["date"]) & (res.events["reason_code"] == "new_put")]
    later = same_day.iloc[1:]                                              # the others only get the remainder
    assert (later["strike"] * later["contracts"] * 100).sum() <= 0.1 * 300_000.0
    assert "DRFT" not in set(same_day["symbol"])                           # 100 shares of a ~400 name do not fit
