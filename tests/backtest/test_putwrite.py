"""Model-priced Cboe PUT: the calendar, the cash-secured accounting on synthetic paths, and errors."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.inputs import (
    DTB3_TERM_DAYS,
    IVModel,
    roll_dates,
    strike_vol,
    tbill_growth,
    tbill_rates,
    total_return_index,
    vix_to_atm,
    vxo_to_atm,
)
from putwheel.backtest.putwrite import PutWriteConfig, run_putwrite
from putwheel.data.calendar import xnys_sessions
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import DataError, InputError
from putwheel.pricing import bs_price

SESSIONS = xnys_sessions("2009-06-01", "2012-12-31")


def _history(spx: pd.Series, vix: float = 20.0, disc_pct: float = 2.0, q_pct: float = 2.0) -> MarketHistory:
    days = spx.index
    return MarketHistory(
        spx=spx, vix=pd.Series(vix, index=days), tbill_pct=pd.Series(disc_pct, index=days),
        div_yield_pct=pd.Series(q_pct, index=days), label="synthetic", tbill_kind="discount")


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (date(1987, 4, 1), date(1987, 4, 16)),   # Good Friday 1987-04-17 -> Thursday
        (date(2008, 3, 1), date(2008, 3, 20)),   # Good Friday 2008-03-21 -> Thursday
        (date(2018, 12, 1), date(2018, 12, 21)),
        (date(1986, 6, 30), date(1986, 7, 18)),
    ],
)
def test_roll_dates_third_friday_or_session_before(first: date, expected: date) -> None:
    rolls = roll_dates(first, first + pd.Timedelta(days=20))
    assert pd.Timestamp(expected) in rolls
    assert rolls[0] <= pd.Timestamp(first)


def test_dtb3_discount_rate_becomes_a_simple_yield() -> None:
    days = SESSIONS[:3]
    hist = _history(pd.Series(100.0, index=days), disc_pct=5.0)
    simple, cont = tbill_rates(hist, days)
    assert simple[0] == pytest.approx(365 * 0.05 / (360 - DTB3_TERM_DAYS * 0.05))
    assert cont[0] < simple[0]


def test_tbill_growth_accrues_over_calendar_gaps() -> None:
    days = pd.to_datetime(["2020-01-03", "2020-01-06", "2020-01-07"])  # Friday -> Monday is 3 days
    growth = tbill_growth(np.array([0.0365, 0.0365, 0.0365]), pd.DatetimeIndex(days))
    assert growth == pytest.approx([1.0, 1.0003, 1.0003 * 1.0001])


def test_vxo_trading_day_convention_is_undone() -> None:
    assert vxo_to_atm(np.array([30.0]))[0] == pytest.approx(0.30 * np.sqrt(22 / 30))


def test_strike_vol_is_atm_at_the_forward_and_clipped() -> None:
    model = IVModel()
    atm = np.array([0.2, 0.2, 0.2])
    vol = strike_vol(atm, np.array([100.0, 90.0, 10.0]), np.array([100.0, 100.0, 100.0]), model)
    assert vol[0] == pytest.approx(0.2)
    assert vol[1] == pytest.approx(0.2 - model.skew * np.log(100 / 90))
    assert vol[2] == pytest.approx(model.cap_ratio * 0.2)


def test_total_return_bridge_adds_the_dividend_yield() -> None:
    days = pd.DatetimeIndex(pd.to_datetime(["2020-01-03", "2020-01-06"]))
    hist = _history(pd.Series(100.0, index=days), q_pct=3.65)
    tr, label = total_return_index(hist, days, 0.0)
    assert tr[-1] == pytest.approx(1.0 + 0.0365 * 3 / 365)
    assert "trailing dividend yield" in label


def test_flat_market_earns_premium_plus_tbills() -> None:
    spx = pd.Series(1000.0, index=SESSIONS)
    res = run_putwrite(_history(spx), date(2010, 1, 4), date(2012, 6, 29))
    returns = res.cycles["cycle_return"].dropna()
    assert (returns > 0.01).all() and returns.max() - returns.min() < 0.005   # 4- vs 5-week cycles differ a little
    assert (res.cycles["payoff"].dropna() == 0.0).all()
    assert res.putwrite.cagr > res.tbill.cagr + 0.05           # ATM premium at 20 % IV is > 5 %/yr
    assert res.putwrite.max_drawdown > -0.05


def test_one_cycle_matches_a_hand_computation() -> None:
    # Price drifts up, then falls 10 % just before the April 2011 expiry.
    spx = pd.Series(1000.0, index=SESSIONS)
    spx.loc["2011-04-15"] = 900.0
    res = run_putwrite(_history(spx, vix=25.0, disc_pct=0.0, q_pct=0.0), date(2011, 1, 3), date(2011, 6, 30))
    cyc = res.cycles.set_index("expiry").loc[pd.Timestamp("2011-04-15")]
    t = (pd.Timestamp("2011-04-15") - cyc["write_date"]).days / 365
    sigma = float(vix_to_atm(np.array([25.0]), IVModel())[0])   # the default VIX line at VIX 25
    p0 = float(bs_price(1000.0, 1000.0, t, 0.0, 0.0, sigma, False))
    assert cyc["strike"] == 1000.0
    assert cyc["premium"] == pytest.approx(p0, rel=1e-9)
    assert cyc["payoff"] == pytest.approx(100.0)
    # N = 1 / (K - P0) puts per unit of account: (K - payoff) / (K - P0) - 1 at zero rates
    assert cyc["cycle_return"] == pytest.approx((p0 - 100.0) / (1000.0 - p0), rel=1e-9)


def test_scaling_the_index_and_strike_grid_leaves_returns_unchanged() -> None:
    rng = np.random.default_rng(7)
    path = 1000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, len(SESSIONS))))
    a = run_putwrite(_history(pd.Series(path, index=SESSIONS)), date(2010, 1, 4), date(2012, 12, 31))
    b = run_putwrite(_history(pd.Series(10 * path, index=SESSIONS)), date(2010, 1, 4), date(2012, 12, 31),
                     PutWriteConfig(strike_step=50.0))
    np.testing.assert_allclose(a.daily["value"], b.daily["value"], rtol=1e-9)


def test_put_writer_loses_less_than_the_index_in_a_crash() -> None:
    path = np.linspace(1000.0, 600.0, len(SESSIONS))
    res = run_putwrite(_history(pd.Series(path, index=SESSIONS)), date(2010, 1, 4), date(2012, 12, 31))
    assert res.putwrite.max_drawdown > res.benchmark.max_drawdown


@pytest.mark.parametrize(
    ("start", "end", "err", "match"),
    [
        (date(2011, 6, 1), date(2011, 1, 1), InputError, "not after start"),
        (date(1990, 1, 1), date(2011, 1, 1), DataError, "covers"),
    ],
)
def test_bad_periods_raise(start: date, end: date, err: type[Exception], match: str) -> None:
    with pytest.raises(err, match=match):
        run_putwrite(_history(pd.Series(1000.0, index=SESSIONS)), start, end)


def test_kernel_batch_equals_one_path_at_a_time() -> None:
    from putwheel.backtest.kernel import putwrite_paths

    rng = np.random.default_rng(11)
    n_days, n_paths = 120, 4
    paths = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.015, (n_days, n_paths)), axis=0))
    atm = rng.uniform(0.15, 0.4, (n_days, n_paths))
    wpos = np.arange(0, n_days, 20)
    cid = np.searchsorted(wpos, np.arange(n_days), side="right") - 1
    t_left = (20 - (np.arange(n_days) - wpos[cid])) / 365.0 * 1.4
    growth = np.cumprod(np.full(n_days, 1.0001))
    args = (growth, np.full(n_days, 0.02), np.full(n_days, 0.01), t_left, cid, wpos, 1.0, IVModel())
    batch, terms = putwrite_paths(paths, atm, *args)
    for j in range(n_paths):
        one, one_terms = putwrite_paths(paths[:, [j]], atm[:, [j]], *args)
        np.testing.assert_allclose(batch[:, j], one[:, 0], rtol=1e-12)
        np.testing.assert_allclose(terms.premium[:, j], one_terms.premium[:, 0], rtol=1e-12)
    assert np.isnan(terms.cycle_return[-1]).all()          # the last cycle has not expired inside the data
