"""The one Wheel engine: it is cash-secured under any rules, its events carry codes and cycles, its take-profits
are gains, it never re-sells what it just bought back, and its decisions are the live manager's on the same day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from putwheel.backtest.inputs import roll_dates
from putwheel.backtest.wheel import WheelConfig, run_wheel, run_wheel_sleeves, wheel_paths
from putwheel.data.calendar import xnys_sessions
from putwheel.data.modelled import modelled_chain
from putwheel.data.series import MarketHistory, load_embedded_history, load_shared_history
from putwheel.data.universe import embedded_universe
from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import InputError
from putwheel.domain.position import Fill, FillKind, Stock, WheelBook
from putwheel.strategy import Decision, ManageRules, MarketView, decide, option_position

SESSIONS = xnys_sessions("2010-01-01", "2011-12-31")


def _history(path: np.ndarray) -> MarketHistory:
    days = SESSIONS[: len(path)]
    return MarketHistory(spx=pd.Series(path, index=days), tbill_pct=pd.Series(2.0, index=days),
                         div_yield_pct=pd.Series(1.5, index=days), label="synthetic", tbill_kind="discount")


def _noisy(level: np.ndarray, seed: int, vol: float = 0.008) -> np.ndarray:
    return level * np.exp(np.random.default_rng(seed).normal(0.0, vol, len(level)))


CRASH_THEN_RALLY = _noisy(np.concatenate([np.full(90, 1000.0), np.linspace(1000, 750, 25), np.linspace(750, 1100, 90)]), 3)
GRIND_DOWN = _noisy(np.concatenate([np.full(60, 500.0), np.linspace(500, 360, 150)]), 11, 0.015)


def _paths(seed: int, n_days: int, n_names: int, vol: float, drift: float) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2005-01-03", periods=n_days)
    vols = vol * rng.uniform(0.5, 2.0, n_names)
    jumps = rng.binomial(1, 0.01, (n_days, n_names)) * rng.normal(-0.08, 0.05, (n_days, n_names))
    rets = rng.normal(drift / 252, vols / np.sqrt(252), (n_days, n_names)) + jumps
    return days, 100.0 * np.exp(np.cumsum(rets, axis=0))


def _position_cash(events: pd.DataFrame) -> pd.Series:
    """Option cash of each event's position up to and including it: a position opens with a new put or a covered
    call and continues through its rolls (one slot of one name)."""
    opts = events[events["action"].isin(["sell_to_open", "buy_to_close"])]
    opens = (opts["action"] == "sell_to_open") & opts["reason_code"].isin(["new_put", "covered_call"])
    pid = opens.groupby([opts["symbol"], opts["right"]]).cumsum()
    return opts["cash_flow"].groupby([opts["symbol"], opts["right"], pid]).cumsum()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), vol=st.floats(0.1, 0.9), drift=st.floats(-0.5, 0.5),
       delta=st.floats(0.05, 0.6), dte=st.integers(20, 60), tp=st.floats(0.2, 1.0),
       cash=st.floats(5_000, 500_000), natural=st.booleans(), rolls=st.booleans(), assign=st.booleans())
def test_no_put_is_ever_less_than_fully_cash_secured_and_no_take_profit_is_a_loss(
        seed: int, vol: float, drift: float, delta: float, dte: int, tp: float, cash: float, natural: bool,
        rolls: bool, assign: bool) -> None:
    days, spot = _paths(seed, 300, 4, vol, drift)
    cfg = WheelConfig(put_delta=delta, put_dte=dte, allow_rolls=rolls, start_cash=cash,
                      rules=ManageRules(take_profit_pct=tp, fill="natural" if natural else "mid",
                                        accept_assignment=assign))
    res = wheel_paths(spot, np.full(spot.shape, vol * 1.1), np.full(len(days), 0.03), np.zeros(len(days)), days,
                      roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150)), cfg)
    # free cash = cash - strike x 100 x contracts of the open short put, on every day of every sleeve
    assert (res.per_name["min_free_cash"] >= -1e-6).all()
    assert np.isfinite(res.value.to_numpy()).all()
    assert (res.shares.to_numpy() % 100 == 0).all() and (res.shares.to_numpy() >= 0).all()
    ev = res.events
    assert (ev["contracts"] > 0).all()
    tp_rows = ev["reason_code"] == "take_profit"
    if tp_rows.any():   # a take-profit closes a position whose option cash across all its rolls is a gain
        assert (_position_cash(ev).loc[tp_rows[tp_rows].index] > 0).all()
    losses = ev[ev["reason_code"] == "close_for_loss"]
    if len(losses):
        assert (_position_cash(ev).loc[losses.index] < 0).all()


def test_the_wheel_takes_assignment_and_sells_covered_calls_through_a_crash() -> None:
    res = run_wheel(_history(CRASH_THEN_RALLY), SESSIONS[60].date(), SESSIONS[204].date(),
                    WheelConfig(start_cash=200_000.0))
    codes = list(res.events["reason_code"])
    first = codes.index("assigned")
    assert codes[0] == "new_put" and "covered_call" in codes[first:] and "called_away" in codes[first:]
    cycle = res.events.loc[first, "cycle_id"]
    assert set(res.events.loc[res.events["cycle_id"] == cycle, "reason_code"]) >= {"new_put", "assigned", "covered_call"}
    assert res.label.startswith("Wheel on SPY-like")


def test_events_carry_codes_numbers_english_and_cycles() -> None:
    res = run_wheel(_history(GRIND_DOWN), SESSIONS[60].date(), SESSIONS[209].date(), WheelConfig(start_cash=200_000.0))
    ev = res.events
    assert {"date", "action", "right", "strike", "expiry", "contracts", "price", "cash_flow", "reason_code", "reason",
            "cycle_id"} <= set(ev.columns)
    assert set(ev["action"]) <= {"sell_to_open", "buy_to_close", "expired", "assigned", "called_away"}
    assert ev["reason"].str.len().min() > 10 and ev["cycle_id"].str.match(r"^SPY-like#\d+$").all()
    rolls = ev[ev["reason_code"] == "roll"]
    assert rolls.empty or rolls["reason"].str.contains("beats the next best").all()


def test_nothing_bought_back_is_sold_again_the_same_day() -> None:
    days, spot = _paths(5, 600, 6, 0.35, 0.1)
    res = wheel_paths(spot, np.full(spot.shape, 0.35), np.full(len(days), 0.03), np.zeros(len(days)), days,
                      roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150)),
                      WheelConfig(start_cash=100_000.0, rules=ManageRules(take_profit_pct=0.3)))
    ev = res.events
    key = ["date", "symbol", "right", "strike", "expiry"]
    bought = ev[ev["action"] == "buy_to_close"][key]
    sold = ev[ev["action"] == "sell_to_open"][key]
    assert len(bought) > 20 and bought.merge(sold, on=key).empty


def test_sleeves_are_independent_and_add_up() -> None:
    days, spot = _paths(7, 400, 3, 0.3, 0.05)
    args = (np.full(spot.shape, 0.33), np.full(len(days), 0.02), np.zeros(len(days)), days,
            roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150)), WheelConfig(start_cash=50_000.0))
    together = wheel_paths(spot, *args)
    for j in range(3):
        alone = wheel_paths(spot[:, [j]], args[0][:, [j]], *args[1:])
        np.testing.assert_array_equal(alone.value.to_numpy()[:, 0], together.value.to_numpy()[:, j])


def test_sleeves_on_real_closes_report_the_account() -> None:
    closes = embedded_universe().closes[["AAPL", "MSFT", "GOOG"]].dropna()
    res = run_wheel_sleeves(load_embedded_history(), closes, date(2016, 1, 14), date(2017, 12, 1),
                            WheelConfig(start_cash=900_000.0), stagger=True)
    assert res.daily["value"].iloc[0] == pytest.approx(900_000.0, rel=0.02)
    assert res.per_name is not None and set(res.per_name.index) == {"AAPL", "MSFT", "GOOG"}
    assert (res.per_name["puts_sold"] > 0).all()
    assert "equal sleeves" in res.label and "MODELLED" in res.label


def test_bad_paths_are_refused_with_the_place() -> None:
    days, spot = _paths(1, 60, 2, 0.3, 0.0)
    spot[10, 1] = np.nan
    exps = roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150))
    with pytest.raises(InputError, match=r"spot .* 2005-01-17 for path1"):
        wheel_paths(spot, np.full(spot.shape, 0.3), np.full(60, 0.02), np.zeros(60), days, exps, WheelConfig())
    with pytest.raises(InputError, match="days x names"):
        wheel_paths(spot[:50], np.full(spot.shape, 0.3), np.full(60, 0.02), np.zeros(60), days, exps, WheelConfig())


def _live(ev: pd.Series, px: pd.Series, atm: float, cfg: WheelConfig, credit: float) -> Decision:
    """What `putwheel manage` (decide) says on the day of an engine event, given the same position and market."""
    day = ev["date"]
    exps = [e.date() for e in roll_dates(day, day + pd.Timedelta(days=120)) if e.date() > day]
    chain = modelled_chain("XYZ", px, day, exps, 0.03, 0.0, cfg.chain, atm=atm)
    leg = option_position("XYZ", ev["right"], ev["strike"], ev["expiry"], -int(ev["contracts"]), credit, day, net_credit=credit)
    market = MarketView(spot=float(px.iloc[-1]), as_of=day, rate=0.03, iv=atm, realized_vol=atm / cfg.chain.vrp_factor,
                        chain=chain)
    return decide(leg, market, cfg.rules.model_copy(update={"commission": cfg.commission_per_contract}), day)


@pytest.mark.parametrize("seed", [3, 21])
def test_the_engine_decides_what_the_live_manager_decides_on_the_same_day(seed: int) -> None:
    days, spot = _paths(seed, 900, 1, 0.35, 0.05)
    cfg, atm = WheelConfig(start_cash=100_000.0), 0.35
    res = wheel_paths(spot, np.full(spot.shape, atm), np.full(len(days), 0.03), np.zeros(len(days)), days,
                      roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150)), cfg)
    ev = res.events.assign(cash=_position_cash(res.events))
    px = pd.Series(spot[:, 0], index=days)
    seen = set()
    for i in ev.index[(ev["action"] == "buy_to_close")][:40]:
        row = ev.loc[i]
        credit = (row["cash"] - row["cash_flow"]) / (100 * row["contracts"])   # net credit before today's trade
        live = _live(row, px.loc[: pd.Timestamp(row["date"])], atm, cfg, credit)
        assert live.action.value == row["reason_code"], (row.to_dict(), live.reason)
        if row["reason_code"] == "roll":   # and to the same contract: the engine's next event opens it
            new = ev.loc[i + 1]
            assert (live.details["roll_strike"], live.details["roll_expiry"]) == (new["strike"], new["expiry"])
        seen.add(row["reason_code"])
    assert {"take_profit", "roll"} <= seen


def test_one_name_needs_a_period_and_no_planner() -> None:
    with pytest.raises(InputError, match="at least 30 trading days"):
        run_wheel(_history(np.full(100, 1000.0)), SESSIONS[80].date(), SESSIONS[90].date())


@pytest.mark.shared
def test_shared_sp500_2015_2020_default_rules_assign_and_sell_calls(shared: Path) -> None:
    res = run_wheel(load_shared_history(shared), date(2015, 1, 2), date(2020, 12, 31))
    ev = res.events
    assert (ev["reason_code"] == "assigned").sum() >= 2 and (ev["reason_code"] == "covered_call").sum() >= 4
    assert res.assignment_rate > 0 and res.time_in_shares > 0.05
    march = ev[(pd.to_datetime(ev["date"]) >= "2020-03-01") & (pd.to_datetime(ev["date"]) <= "2020-04-30")]
    assert "assigned" in set(march["reason_code"])                      # the COVID crash ends in shares
    tp = ev["reason_code"] == "take_profit"
    assert (_position_cash(ev).loc[tp[tp].index] > 0).all()


def _fills(events: pd.DataFrame, commission: float) -> list[tuple[int, Fill]]:
    """The engine's events as domain fills (index of the event, fill), each event at its own instant."""
    out: list[tuple[int, Fill]] = []
    for n, (i, e) in enumerate(events.iterrows()):
        time = datetime(e["date"].year, e["date"].month, e["date"].day, 15, tzinfo=UTC) + timedelta(seconds=n)
        opt = OptionContract("XYZ", e["expiry"], Decimal(repr(float(e["strike"]))), Right(e["right"]))
        qty, price = int(e["contracts"]), Decimal(repr(abs(float(e["price"]))))
        fee = Decimal(repr(round(commission * qty, 6)))
        if e["action"] == "sell_to_open":
            out.append((i, Fill(f"{n}", opt, -qty, price, fee, time)))
        elif e["action"] == "buy_to_close":
            out.append((i, Fill(f"{n}", opt, qty, price, fee, time)))
        elif e["action"] == "expired":
            out.append((i, Fill(f"{n}", opt, qty, Decimal(0), Decimal(0), time, kind=FillKind.EXPIRATION)))
        else:   # assigned / called away: the option leaves, the shares move at the strike
            shares = qty * 100 * (1 if e["action"] == "assigned" else -1)
            out.append((i, Fill(f"{n}o", opt, qty, Decimal(0), Decimal(0), time, kind=FillKind.ASSIGNMENT)))
            out.append((i, Fill(f"{n}s", Stock("XYZ"), shares, opt.strike, Decimal(0), time, kind=FillKind.ASSIGNMENT)))
    return out


def test_the_engine_basis_and_cycle_pnl_are_the_domain_cycles_on_the_same_fills() -> None:
    cfg = WheelConfig(start_cash=200_000.0, commission_per_contract=0.65)
    res = run_wheel(_history(CRASH_THEN_RALLY), SESSIONS[60].date(), SESSIONS[204].date(), cfg)
    ev = res.events
    book = WheelBook("XYZ")
    checked = 0
    for i, fill in _fills(ev, cfg.commission_per_contract):
        book.apply(fill)
        if ev.loc[i, "action"] == "assigned" and fill.instrument == Stock("XYZ"):
            cycle = book.current
            assert cycle is not None and cycle.adjusted_basis_per_share is not None
            assert float(cycle.adjusted_basis_per_share) == pytest.approx(ev.loc[i, "x2"], abs=1e-4)   # engine basis
            checked += 1
    book.settle()
    engine = ev.groupby("cycle_id", sort=False)["cash_flow"].sum()
    closed = [c for c in book.cycles if c.pnl is not None]
    assert checked >= 1 and len(book.cycles) == len(engine) and len(closed) >= len(engine) - 1
    for cycle, (cid, cash) in zip(closed, engine.items(), strict=False):
        assert float(cycle.pnl) == pytest.approx(cash, abs=0.01), cid   # the cycle's P&L, to the cent
    away = ev[ev["action"] == "called_away"]
    assert len(away) and np.allclose(away["x2"], away["cycle_id"].map(engine), atol=0.01)   # what the engine reports
