"""Put-writing backtest speed: the 32-year Cboe PUT reproduction, and 500 names x 20 years of daily marks at once.

Run: python bench/backtest.py   (prints seconds; no thresholds asserted, see README for the numbers)

1. `run_putwrite` 1986-06-30..2018-12-31 (shared data if present, else the embedded data), warm, best of 5.
2. `putwrite_paths` on 500 synthetic names x 20 years (5,040 days): each name's daily log returns are 21-day
   blocks bootstrapped from real S&P 500 returns (the embedded openintro closes), scaled to a per-name vol
   multiplier in [1, 2.5]; vol = each name's modelled IV. One vectorized call vs a Python loop over the names.
3. The Wheel on the same 500 synthetic names x 20 years on the one Wheel engine (`wheel_paths`, sleeves; target
   <= 2 s per parameter set); one name (the SPY-like S&P 500, 2015); and four embedded names on one pool of cash
   with the delta entry vs the planner entry (`--entry plan`), per name-day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from _timing import best_of
from putwheel.backtest.inputs import IVModel, roll_dates
from putwheel.backtest.kernel import putwrite_paths
from putwheel.backtest.planned import PlannerEntry
from putwheel.backtest.putwrite import run_putwrite
from putwheel.backtest.wheel import WheelConfig, run_wheel, run_wheel_portfolio, wheel_paths
from putwheel.data.series import load_embedded_history, load_shared_history
from putwheel.data.shared import shared_root
from putwheel.data.universe import embedded_universe

N_NAMES, YEARS, BLOCK = 500, 20, 21


def synthetic_paths(spx: pd.Series, rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rets = np.diff(np.log(spx.to_numpy()))
    days = pd.bdate_range("1999-01-04", periods=YEARS * 252)
    n_blocks = len(days) // BLOCK + 1
    starts = rng.integers(0, len(rets) - BLOCK, size=(n_blocks, N_NAMES))
    idx = (starts[:, None, :] + np.arange(BLOCK)[None, :, None]).reshape(-1, N_NAMES)[: len(days)]
    scale = rng.uniform(1.0, 2.5, N_NAMES)
    log_paths = np.cumsum(rets[idx] * scale, axis=0)
    return days, 100.0 * np.exp(log_paths - log_paths[0])


def modelled_iv(paths: np.ndarray, model: IVModel) -> np.ndarray:
    frame = pd.DataFrame(np.log(paths)).diff()
    short = frame.rolling(model.short_window, min_periods=2).var()
    long_ = frame.rolling(model.long_window, min_periods=2).var()
    rv = np.sqrt(0.5 * short + 0.5 * long_).bfill().to_numpy() * np.sqrt(252.0)
    return rv * model.vrp_factor * model.vix_atm_ratio


def main() -> None:
    root = shared_root()
    history = load_shared_history(root) if root else load_embedded_history()
    label = "shared" if root else "embedded"
    end = date(2018, 12, 31) if root else date(2018, 11, 30)
    run_putwrite(history, date(1986, 6, 30), end)   # warm the calendar cache
    t_one = best_of(lambda: run_putwrite(history, date(1986, 6, 30), end), repeat=5, warm=False)
    print(f"run_putwrite 1986-2018 ({label} data, 390 monthly cycles, ~8,200 daily marks): {t_one * 1e3:.0f} ms")

    rng = np.random.default_rng(20190101)
    days, paths = synthetic_paths(load_embedded_history().spx.loc["1950":"2018"], rng)
    model = IVModel()
    atm = modelled_iv(paths, model)
    rolls = roll_dates(days[0].date(), days[-1].date())
    pos = days.searchsorted(rolls, side="right") - 1
    wpos = np.unique(pos[(pos >= 0)])
    wpos = wpos[wpos >= wpos[0]] - wpos[0]
    days, paths, atm = days[pos[pos >= 0].min():], paths[pos[pos >= 0].min():], atm[pos[pos >= 0].min():]
    cid = np.searchsorted(wpos, np.arange(len(days)), side="right") - 1
    expiry_day = np.append(days[wpos[1:]].to_numpy(), days[-1].to_numpy() + np.timedelta64(28, "D"))[cid]
    t_left = (expiry_day - days.to_numpy()).astype("timedelta64[D]").astype(float) / 365.0
    flat = np.ones(len(days))
    growth = np.cumprod(np.concatenate([[1.0], np.full(len(days) - 1, 1.0 + 0.03 / 252)]))
    args = (growth, 0.03 * flat, 0.0 * flat, t_left, cid, wpos, 0.5, model)

    t_all = best_of(lambda: putwrite_paths(paths, atm, *args), repeat=3, warm=False)
    value, _ = putwrite_paths(paths, atm, *args)
    t_loop = best_of(lambda: [putwrite_paths(paths[:, [j]], atm[:, [j]], *args) for j in range(N_NAMES)], repeat=1, warm=False)
    cagr = value[-1] ** (1 / YEARS) - 1
    print(f"putwrite_paths {N_NAMES} names x {YEARS} years ({len(days):,} days, {len(wpos)} cycles): "
          f"{t_all:.2f} s vectorized vs {t_loop:.2f} s looping names ({t_loop / t_all:.1f}x)")
    print(f"  sanity: median name CAGR {np.median(cagr):.1%}, all values finite: {bool(np.isfinite(value).all())}")
    wheel_costs(days, paths, model)



def wheel_costs(days: pd.DatetimeIndex, paths: np.ndarray, model: IVModel) -> None:
    """The Wheel on 500 names x 20 years with the compiled engine (target <= 2 s per parameter set), and the
    manager-driven event loop (`run_wheel`, pandas `decide_many` every day) on one name for the ratio."""
    atm = modelled_iv(paths, model) / model.vix_atm_ratio           # the chain's ATM vol (VIX-like level)
    expiries = roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=150))
    rate, cfg = np.full(len(days), 0.03), WheelConfig(start_cash=100_000.0)

    def run(record: bool) -> object:
        return wheel_paths(paths, atm, rate, np.zeros(len(days)), days, expiries, cfg, record_events=record)

    run(False)   # compile (cached on disk after the first run)
    t_fast = best_of(lambda: run(False), repeat=3, warm=False)
    t_events = best_of(lambda: run(True), repeat=1, warm=False)
    res = run(False)
    stats = res.per_name  # type: ignore[attr-defined]
    name_days = paths.shape[0] * paths.shape[1]
    print(f"Wheel, compiled engine, {paths.shape[1]} names x {YEARS} years ({name_days:,} name-days): {t_fast:.2f} s "
          f"({t_fast / name_days * 1e9:.0f} ns per name-day; {t_events:.2f} s with the full event log)")
    print(f"  sanity: {stats['puts_sold'].sum():,.0f} puts sold, {stats['puts_assigned'].sum():,.0f} assigned, "
          f"{stats['calls_sold'].sum():,.0f} calls sold, {stats['rolls'].sum():,.0f} rolls; "
          f"min free cash {stats['min_free_cash'].min():,.0f} (never < 0)")

    history = load_embedded_history()
    start, end = date(2015, 1, 2), date(2015, 12, 31)
    run_wheel(history, start, end)
    t_one = best_of(lambda: run_wheel(history, start, end), repeat=5, warm=False)
    n = len(run_wheel(history, start, end).daily)
    print(f"one name (SPY-like S&P 500, 2015, {n} days): {t_one * 1e3:.1f} ms ({t_one / n * 1e6:.1f} us per name-day, "
          f"event log and metrics included)")
    universe = embedded_universe()
    closes = universe.closes[["AAPL", "MSFT", "GOOG", "XSP"]].dropna()
    first, last = closes.index[40].date(), closes.index[-1].date()
    planner = WheelConfig(planner=PlannerEntry(sectors=universe.sectors))   # as `backtest wheel --entry plan` does
    run_wheel_portfolio(history, closes, first, last)
    t_delta = best_of(lambda: run_wheel_portfolio(history, closes, first, last), repeat=3, warm=False)
    t_plan = best_of(lambda: run_wheel_portfolio(history, closes, first, last, planner), repeat=3)   # warm: scipy's milp
    days = len(closes.loc[pd.Timestamp(first):])
    nd = days * closes.shape[1]
    print(f"4 names on one pool, {days} days: delta entry {t_delta / nd * 1e6:.1f} us per name-day, planner entry "
          f"{t_plan / nd * 1e6:.1f} us per name-day ({t_plan / t_delta:.1f}x; a flat name asks the planner when it goes "
          f"flat, then weekly)")


if __name__ == "__main__":
    main()
