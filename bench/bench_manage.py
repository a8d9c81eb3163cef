"""Manager throughput: one backtest day of 500 names (a short put and a share lot each) over a 175k-quote chain.

Run: python bench/bench_manage.py   (prints ms per day for `decide_many` and ms per single `decide`)
The backtester calls `decide_many` once per day; 20 years is ~5,000 calls.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from putwheel.strategy import ManageRules, MarketView, decide, decide_many, option_position, positions_frame, share_lot

AS_OF = date(2024, 3, 1)


def book(rng: np.random.Generator, n: int = 500) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    legs, market, quotes = [], [], []
    for i in range(n):
        name, spot = f"N{i:03d}", float(rng.uniform(20, 300))
        market.append({"underlying": name, "spot": spot, "rate": 0.04, "dividend_yield": 0.01, "iv": 0.3})
        expiry = AS_OF + timedelta(days=int(rng.integers(1, 40)))
        legs.append(option_position(name, "P", float(round(spot * rng.uniform(0.9, 1.1))), expiry, -1, 2.0, date(2024, 1, 2)))
        legs.append(share_lot(name, 100, spot, date(2024, 1, 2)))
        strikes = np.round(spot * np.linspace(0.8, 1.2, 25))
        for d in (7, 14, 21, 28, 35, 42, 49):
            for right in "PC":
                quotes.append(pd.DataFrame({"underlying": name, "expiry": AS_OF + timedelta(days=d), "strike": strikes,
                                            "right": right, "bid": 1.0, "ask": 1.1, "iv": 0.3}))
    return positions_frame(legs), pd.DataFrame(market).set_index("underlying"), pd.concat(quotes, ignore_index=True)


def main() -> None:
    positions, market, chain = book(np.random.default_rng(7))
    rules = ManageRules()
    decide_many(positions, market, rules, AS_OF, chain=chain)  # warm the numba kernels
    runs = 5
    start = time.perf_counter()
    for _ in range(runs):
        decide_many(positions, market, rules, AS_OF, chain=chain)
    per_day = (time.perf_counter() - start) / runs
    print(f"decide_many: {len(positions)} positions, {len(chain)} quotes: {per_day * 1000:.0f} ms/day; "
          f"5,000 days ~ {per_day * 5000 / 60:.1f} min")
    leg = option_position("XYZ", "P", 100.0, AS_OF + timedelta(days=10), -1, 2.0, date(2024, 1, 2))
    mv = MarketView(spot=98.0, as_of=AS_OF, iv=0.3)
    start = time.perf_counter()
    for _ in range(20):
        decide(leg, mv, rules, AS_OF)
    print(f"decide (one position, no chain): {(time.perf_counter() - start) / 20 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
