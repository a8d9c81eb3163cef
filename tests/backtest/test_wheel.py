"""The Wheel event loop on synthetic histories: the manager's decisions are carried out, money adds up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.wheel import WheelConfig, run_wheel
from putwheel.data.calendar import xnys_sessions
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError

SESSIONS = xnys_sessions("2010-01-01", "2011-12-31")


def _history(path: np.ndarray) -> MarketHistory:
    days = SESSIONS[: len(path)]
    return MarketHistory(spx=pd.Series(path, index=days), tbill_pct=pd.Series(2.0, index=days),
                         div_yield_pct=pd.Series(0.0, index=days), label="synthetic", tbill_kind="discount")


def _noisy(level: np.ndarray, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.exp(rng.normal(0.0, 0.008, len(level)))


@pytest.fixture(scope="module")
def crash_then_rally() -> tuple[MarketHistory, object]:
    # 60 quiet days of history, then -25 % over a month (assignment), then a rally (calls get called away).
    level = np.concatenate([np.full(90, 1000.0), np.linspace(1000, 750, 25), np.linspace(750, 1100, 90)])
    hist = _history(_noisy(level))
    res = run_wheel(hist, SESSIONS[60].date(), SESSIONS[len(level) - 1].date(), WheelConfig(start_cash=200_000.0))
    return hist, res


def test_wheel_goes_round_put_assignment_call_called_away(crash_then_rally: tuple[MarketHistory, object]) -> None:
    _, res = crash_then_rally
    codes = list(res.events["reason_code"])  # type: ignore[attr-defined]
    assert codes[0] == "new_put"
    first_assign = codes.index("assigned")
    assert "covered_call" in codes[first_assign:]
    assert "called_away" in codes[first_assign:]
    assert res.assignment_rate > 0 and 0 < res.time_in_shares < 1  # type: ignore[attr-defined]
    assert res.events["reason"].str.len().min() > 0  # type: ignore[attr-defined]


def test_wheel_is_cash_secured_and_the_books_balance(crash_then_rally: tuple[MarketHistory, object]) -> None:
    hist, res = crash_then_rally
    daily = res.daily  # type: ignore[attr-defined]
    assert (daily["cash"] > -1e-6).all()                       # assignment never needs more cash than we had
    spot = (hist.spx / 10).reindex(daily.index)   # the SPY-like series
    np.testing.assert_allclose(daily["value"], daily["cash"] + daily["shares"] * spot - daily["short_options"])
    assert (daily["shares"] % 100 == 0).all()


def test_wheel_in_a_quiet_market_never_buys_shares() -> None:
    level = np.full(250, 1000.0) * np.exp(np.linspace(0, 0.05, 250))
    hist = _history(level * np.exp(np.sin(np.arange(250)) * 0.004))
    res = run_wheel(hist, SESSIONS[60].date(), SESSIONS[249].date(), WheelConfig(start_cash=200_000.0))
    assert res.time_in_shares == 0.0 and res.assignment_rate == 0.0
    assert res.daily["value"].iloc[-1] > 200_000.0
    assert res.monthly_income.sum() > 0


def test_wheel_needs_a_period() -> None:
    hist = _history(np.full(100, 1000.0))
    with pytest.raises(InputError, match="at least 30 trading days"):
        run_wheel(hist, SESSIONS[80].date(), SESSIONS[90].date())


def test_wheel_income_per_month_counts_every_month_and_leaves_out_options_still_open(
        crash_then_rally: tuple[MarketHistory, object]) -> None:
    _, res = crash_then_rally
    ev, income = res.events, res.monthly_income  # type: ignore[attr-defined]
    days = res.daily.index  # type: ignore[attr-defined]
    assert list(income.index) == list(pd.period_range(days[0], days[-1], freq="M"))
    last = ev.iloc[-1]
    settled = ev[(ev[["right", "strike", "expiry"]] == last[["right", "strike", "expiry"]]).all(axis=1)]
    assert last["action"] == "sell_to_open" and len(settled) == 1  # the run ends with an option still open
    assert res.open_premium == pytest.approx(last["cash_flow"])  # type: ignore[attr-defined]
    trades = ev[ev["action"].isin(["sell_to_open", "buy_to_close"])]
    assert income.sum() == pytest.approx(trades["cash_flow"].sum() - last["cash_flow"])


def test_open_at_end_marks_only_the_last_unsettled_sale_of_each_option() -> None:
    from putwheel.backtest.wheel.engine import open_at_end

    e1, e2 = pd.Timestamp("2020-01-17").date(), pd.Timestamp("2020-02-21").date()
    rows = [("X", "P", 100.0, e1, "sell_to_open"), ("X", "P", 100.0, e1, "buy_to_close"),   # closed
            ("X", "P", 100.0, e1, "sell_to_open"),                                          # the same put, open
            ("X", "P", 95.0, e1, "sell_to_open"), ("X", "P", 95.0, e1, "expired"),         # settled
            ("Y", "P", 100.0, e1, "sell_to_open"),                                          # another name: open
            ("X", "C", 100.0, e2, "sell_to_open"), ("X", "C", 100.0, e2, "called_away")]   # settled
    ev = pd.DataFrame(rows, columns=["symbol", "right", "strike", "expiry", "action"])
    assert open_at_end(ev).tolist() == [False, False, True, False, False, True, False, False]
