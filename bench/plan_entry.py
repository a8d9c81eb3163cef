"""The Wheel's planner entry (`--entry plan`) vs its delta entry, per name-day, on four embedded names sharing one
pool of cash (the last line of bench/backtest.py, alone, and with the planner's calls counted).

Run: python bench/plan_entry.py   (prints microseconds per name-day and the ratio; nothing asserted)

Measured 2026-12-06 ~22:10-22:24 UTC, 2 cores, load 0.7-1.5, a very noisy machine (best of 3, fourteen runs, branch
`speed2`: the modelled chain of every name in one pass, the pricing wrappers without broadcasting for flat inputs,
one clip of the quality parts, plain str labels in the hook): planner entry 159-270 us per name-day (most runs
169-216; 9-15x the delta entry's 13-25 us; 1.5-2.2 ms median a call); alternating with the first round's code
(a8aa1ef) in six pairs at the same load, 159-258 against 177-331 us, and its 132 plan_puts calls replayed (least of
15) 1.51-1.78 against 1.66-1.75 ms a call: the 10x target (~140 us) is not reached.
Before (the first round, branch `speed`, ~21:58 UTC, load 1.0-1.3, ten runs): delta entry 14-25 us per name-day;
planner entry 198-251 us (most runs 200-217; 12-16x on most runs, 8-16x in all, the ratio moving with the delta
entry; 1.7-2.1 ms median a call). HiGHS runs in 4 of the 132 calls. The same planner run timed 12 times in one
process (the least), alternating with main at c7a7256, three each, same load: 182-214 us against 246-301 us.
Before the planner's context went on arrays (no pandas Series, factorize or per-name loop in its hot paths; branch
`speed`): 233-277 us, 16-17x, 2.3-2.5 ms a call (2026-12-06 ~21:00 UTC). Before names with no sector stopped
sharing one sector cap (`screener.portfolio.cap_group`; this script then passed no sectors, so the four names
shared "unknown" and the 40 % sector cap bound in 40 calls): 402-414 us, 26-29x (2026-12-04); before the planner's
array core (`screener.core.plan_rows`, issue #10): 1,589-1,664 us, 105-107x.
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
