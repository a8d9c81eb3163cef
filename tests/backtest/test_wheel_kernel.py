"""The compiled Wheel engine trades exactly like the manager-driven event loop, and never under-secures a put."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from putwheel.backtest.inputs import roll_dates
from putwheel.backtest.wheel import WheelConfig, run_wheel
from putwheel.backtest.wheel_kernel import run_wheel_compiled, run_wheel_sleeves, wheel_paths
from putwheel.data.calendar import xnys_sessions
from putwheel.data.series import MarketHistory, load_embedded_history
from putwheel.data.universe import embedded_universe
from putwheel.domain.errors import InputError
from putwheel.strategy import ManageRules

SESSIONS = xnys_sessions("2010-01-01", "2011-12-31")
EVENT_COLS = ["date", "action", "right", "strike", "expiry", "contracts", "price", "cash_flow"]


def _history(path: np.ndarray) -> MarketHistory:
    days = SESSIONS[: len(path)]
    return MarketHistory(spx=pd.Series(path, index=days), tbill_pct=pd.Series(2.0, index=days),
                         div_yield_pct=pd.Series(1.5, index=days), label="synthetic", tbill_kind="discount")


def _noisy(level: np.ndarray, seed: int, vol: float = 0.008) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.exp(rng.normal(0.0, vol, len(level)))


PATHS = {
    # quiet, a 25 % slide (assignment), then a rally through the calls (called away)
    "crash_then_rally": _noisy(np.concatenate([np.full(90, 1000.0), np.linspace(1000, 750, 25),
                                               np.linspace(750, 1100, 90)]), 3),
    # a slow grind down with noise: tested puts, rolls for credits, covered calls under the basis
    "grind_down": _noisy(np.concatenate([np.full(60, 50.0), np.linspace(50, 36, 150)]), 11, 0.015),
}
CONFIGS = {
    "default": WheelConfig(start_cash=200_000.0),
    "natural_roll_calls": WheelConfig(start_cash=200_000.0, put_delta=0.4, commission_per_contract=1.0,
                                      rules=ManageRules(fill="natural", roll_calls=True, take_profit_pct=1.0,
                                                        roll_delta=0.4)),
    "roll_calls": WheelConfig(start_cash=200_000.0, rules=ManageRules(roll_calls=True, take_profit_pct=0.9)),
    "half_spread_slippage": WheelConfig(start_cash=200_000.0, put_delta=0.25, rules=ManageRules(slippage=0.5)),
    "no_rolls_no_assignment": WheelConfig(start_cash=200_000.0, allow_rolls=False, put_dte=45,
                                          rules=ManageRules(accept_assignment=False, take_profit_pct=0.3)),
}


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    ea, eb = a.loc[:, EVENT_COLS].reset_index(drop=True), b.loc[:, EVENT_COLS].reset_index(drop=True)
    ea["right"], eb["right"] = ea["right"].astype(str), eb["right"].astype(str)
    pd.testing.assert_frame_equal(ea.astype(str), eb.astype(str))


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("config", list(CONFIGS))
def test_compiled_engine_trades_exactly_like_the_manager(path: str, config: str) -> None:
    hist, cfg = _history(PATHS[path]), CONFIGS[config]
    start, end = SESSIONS[40].date(), SESSIONS[len(PATHS[path]) - 1].date()
    fast, slow = run_wheel_compiled(hist, start, end, cfg), run_wheel(hist, start, end, cfg)
    _same(fast.events, slow.events)
    cols = ["cash", "shares", "shares_value", "short_options", "value"]
    pd.testing.assert_frame_equal(fast.daily[cols], slow.daily[cols], check_dtype=False, rtol=1e-12, atol=1e-6)
    assert fast.assignment_rate == slow.assignment_rate
    assert len(slow.events) >= 4


def test_the_equivalence_covers_every_kind_of_trade() -> None:
    # the parametrized cases above must exercise every branch, else "identical" proves little
    kinds: set[tuple[str, str]] = set()
    for path in PATHS.values():
        hist = _history(path)
        for cfg in CONFIGS.values():
            ev = run_wheel_compiled(hist, SESSIONS[40].date(), SESSIONS[len(path) - 1].date(), cfg).events
            kinds |= set(zip(ev["action"], ev["right"], strict=True))
    assert kinds >= {("sell_to_open (put)", "P"), ("sell_to_open (covered call)", "C"), ("sell_to_open (roll)", "P"),
                     ("sell_to_open (roll)", "C"), ("buy_to_close (take_profit)", "P"),
                     ("buy_to_close (take_profit)", "C"), ("buy_to_close (close)", "P"), ("buy_to_close (roll)", "P"),
                     ("buy_to_close (roll)", "C"), ("expired", "P"), ("assigned", "P"), ("called_away", "C")}


def test_compiled_engine_matches_on_a_real_stock_history() -> None:
    closes = embedded_universe().closes["AAPL"].dropna()
    hist = load_embedded_history()
    cfg = WheelConfig(start_cash=300_000.0)
    fast = run_wheel_compiled(hist, date(2016, 1, 14), date(2016, 12, 30), cfg, symbol="AAPL", closes=closes)
    slow = run_wheel(hist, date(2016, 1, 14), date(2016, 12, 30), cfg, symbol="AAPL", closes=closes)
    _same(fast.events, slow.events)
    for key, value in fast.metrics.as_dict().items():
        other = slow.metrics.as_dict()[key]
        assert value == (pytest.approx(other, rel=1e-12) if isinstance(value, float) else other), key


def _paths(seed: int, n_days: int, n_names: int, vol: float, drift: float) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2005-01-03", periods=n_days)
    vols = vol * rng.uniform(0.5, 2.0, n_names)
    jumps = rng.binomial(1, 0.01, (n_days, n_names)) * rng.normal(-0.08, 0.05, (n_days, n_names))
    rets = rng.normal(drift / 252, vols / np.sqrt(252), (n_days, n_names)) + jumps
    return days, 100.0 * np.exp(np.cumsum(rets, axis=0))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), vol=st.floats(0.1, 0.9), drift=st.floats(-0.5, 0.5),
       delta=st.floats(0.05, 0.6), dte=st.integers(20, 60), tp=st.floats(0.2, 1.0),
       cash=st.floats(5_000, 500_000), natural=st.booleans(), rolls=st.booleans())
def test_no_put_is_ever_less_than_fully_cash_secured(seed: int, vol: float, drift: float, delta: float, dte: int,
                                                      tp: float, cash: float, natural: bool, rolls: bool) -> None:
    days, spot = _paths(seed, 300, 4, vol, drift)
    cfg = WheelConfig(put_delta=delta, put_dte=dte, allow_rolls=rolls, start_cash=cash,
                      rules=ManageRules(take_profit_pct=tp, fill="natural" if natural else "mid"))
    res = wheel_paths(spot, np.full(spot.shape, vol * 1.1), np.full(len(days), 0.03), np.zeros(len(days)), days,
                      roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150)), cfg)
    # free cash = cash - strike x 100 x contracts of the open short put, on every day of every sleeve
    assert (res.per_name["min_free_cash"] >= -1e-6).all()
    assert np.isfinite(res.value.to_numpy()).all()
    assert (res.shares.to_numpy() % 100 == 0).all() and (res.shares.to_numpy() >= 0).all()
    opened = res.events[res.events["action"] == "sell_to_open (put)"]
    assert (opened["contracts"] > 0).all()


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
    np.testing.assert_allclose(res.daily["value"], res.paths.value.sum(axis=1))
    assert res.daily["value"].iloc[0] == pytest.approx(900_000.0, rel=0.02)
    assert set(res.paths.per_name.index) == {"AAPL", "MSFT", "GOOG"}
    assert (res.paths.per_name["puts_sold"] > 0).all()
    assert "equal sleeves" in res.label and "MODELLED" in res.label


def test_bad_paths_are_refused_with_the_place() -> None:
    days, spot = _paths(1, 60, 2, 0.3, 0.0)
    spot[10, 1] = np.nan
    exps = roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150))
    with pytest.raises(InputError, match=r"spot .* 2005-01-17 for path1"):
        wheel_paths(spot, np.full(spot.shape, 0.3), np.full(60, 0.02), np.zeros(60), days, exps, WheelConfig())
    with pytest.raises(InputError, match="days x names"):
        wheel_paths(spot[:50], np.full(spot.shape, 0.3), np.full(60, 0.02), np.zeros(60), days, exps, WheelConfig())


def _pool_case() -> tuple[MarketHistory, pd.DataFrame]:
    n = len(PATHS["crash_then_rally"])
    third = _noisy(np.concatenate([np.full(90, 200.0), np.linspace(200, 260, n - 90)]), 5, 0.012)
    closes = pd.DataFrame({"CRSH": PATHS["crash_then_rally"] / 10.0, "GRND": PATHS["grind_down"][:n],
                           "RISE": third}, index=SESSIONS[:n])
    return _history(PATHS["crash_then_rally"]), closes


@pytest.mark.parametrize(("cap", "stagger", "config"), [(0.34, True, "default"), (0.5, False, "roll_calls"),
                                                         (0.4, True, "half_spread_slippage")])
def test_compiled_pool_trades_exactly_like_the_manager_pool(cap: float, stagger: bool, config: str) -> None:
    from putwheel.backtest.portfolio import run_wheel_portfolio
    from putwheel.backtest.wheel_kernel import run_wheel_portfolio_compiled

    hist, closes = _pool_case()
    cfg = replace(CONFIGS[config], start_cash=600_000.0)
    start, end = SESSIONS[40].date(), SESSIONS[len(closes) - 1].date()
    fast = run_wheel_portfolio_compiled(hist, closes, start, end, cfg, cap, stagger)
    slow = run_wheel_portfolio(hist, closes, start, end, cfg, cap, stagger)
    cols = ["symbol", *EVENT_COLS]
    pd.testing.assert_frame_equal(fast.events[cols].astype(str), slow.events[cols].astype(str))
    pd.testing.assert_frame_equal(fast.daily, slow.daily, check_dtype=False, rtol=1e-12, atol=1e-6)
    pd.testing.assert_frame_equal(fast.per_name, slow.per_name, check_dtype=False)
    assert {"assigned", "sell_to_open (covered call)"} <= set(slow.events["action"])
    assert (fast.daily["free_cash"] >= -1e-6).all()   # the pool never under-secures a put
