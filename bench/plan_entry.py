"""The Wheel's planner entry (`--entry plan`) vs its delta entry, per name-day, on four embedded names sharing one
pool of cash (the last line of bench/backtest.py, alone, and with the planner's calls counted).

Run: python bench/plan_entry.py   (prints microseconds per name-day and the ratio; nothing asserted)

Measured 2026-12-06 ~21:00 UTC, 2 cores, load ~1 (best of 3, five runs): delta entry 14-22 us per name-day; planner
entry 233-277 us (16-17x on most runs, 12-20x in all; 2.3-2.5 ms median a call). HiGHS runs in 4 of the 132 calls.
Before names with no sector stopped sharing one sector cap (`screener.portfolio.cap_group`; this script then passed
no sectors, so the four names shared "unknown" and the 40 % sector cap bound in 40 calls): 402-414 us, 26-29x
(2026-12-04); before the planner's array core (`screener.core.plan_rows`, issue #10): 1,589-1,664 us, 105-107x.
"""

from __future__ import annotations

import time
from datetime import date

import pandas as pd

import putwheel.backtest.wheel.planner as hook_module
from _timing import best_of
from putwheel.backtest.planned import PlannerEntry, Tickets, plan_puts
from putwheel.backtest.wheel import WheelConfig, run_wheel_portfolio
from putwheel.data.series import load_embedded_history
from putwheel.data.universe import embedded_universe


def main() -> None:
    history = load_embedded_history()
    universe = embedded_universe()
    closes = universe.closes[["AAPL", "MSFT", "GOOG", "XSP"]].dropna()
    first, last = closes.index[40].date(), closes.index[-1].date()
    planner = WheelConfig(planner=PlannerEntry(sectors=universe.sectors))   # as `backtest wheel --entry plan` does
    calls: list[float] = []

    def counted(*args: object) -> Tickets:
        t0 = time.perf_counter()
        out = plan_puts(*args)  # type: ignore[arg-type]
        calls.append(time.perf_counter() - t0)
        return out

    hook_module.plan_puts = counted  # type: ignore[assignment]
    t_delta = best_of(lambda: run_wheel_portfolio(history, closes, first, last), repeat=3)
    run_wheel_portfolio(history, closes, first, last, planner)   # warm
    calls.clear()
    t_plan = best_of(lambda: run_wheel_portfolio(history, closes, first, last, planner), repeat=3, warm=False)
    n_calls = len(calls) // 3
    days = len(closes.loc[pd.Timestamp(first):])
    nd = days * closes.shape[1]
    print(f"4 names on one pool, {days} days ({nd:,} name-days, {date.fromisoformat(str(first))}..{last}): "
          f"delta entry {t_delta / nd * 1e6:.1f} us per name-day, planner entry {t_plan / nd * 1e6:.1f} us per "
          f"name-day ({t_plan / t_delta:.1f}x)")
    print(f"  {n_calls} planner calls a run, {sorted(calls)[len(calls) // 2] * 1e3:.2f} ms median each (plan_puts)")


if __name__ == "__main__":
    main()
