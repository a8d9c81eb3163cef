"""Real-chain put-write speed: `putwrite_from_chains` (DuckDB) over a generated multi-million-row chain file, and
optopsy's `short_puts` on the same file when optopsy is installed (it is not a putwheel dependency).

Run: python bench/backtest_chains.py [--years 10] [--strikes 130]   (prints seconds and the ratio; no thresholds)

The file: every NYSE day of the last `years` of the embedded S&P 500 closes (real), the next three monthly expiries,
`strikes` 5-point strikes around spot, puts and calls; quotes are modelled (Black-Scholes at realized vol x 1.15
with a put skew, +-2 % around mid). CSV, because optopsy reads CSV; DuckDB streams it without loading it whole.
The two tools do different work: putwheel runs one PUT account path; optopsy computes entry/exit statistics for
every short put in the file. The ratio is wall time on the same file, nothing more.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import IVModel, realized_iv, roll_dates
from putwheel.backtest.realchain import putwrite_from_chains
from putwheel.data.series import load_embedded_history
from putwheel.pricing import bs_price


def make_chain_csv(path: Path, years: int, n_strikes: int) -> int:
    """Write the chain as CSV at `path` and as Parquet beside it; returns the row count."""
    spx = load_embedded_history().spx
    days = spx.index[spx.index >= spx.index[-1] - pd.DateOffset(years=years)]
    spot = spx.reindex(days).to_numpy()
    atm = realized_iv(spx, pd.DatetimeIndex(days), IVModel())
    rolls = roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=100))
    nxt = rolls.searchsorted(days, side="left")   # an expiring option is still quoted on its expiry day
    expiry = np.stack([rolls[np.minimum(nxt + j, len(rolls) - 1)] for j in range(3)], axis=1)   # days x 3
    offsets = 5.0 * (np.arange(n_strikes) - n_strikes // 2)
    d, e, k, c = np.meshgrid(np.arange(len(days)), np.arange(3), offsets, [False, True], indexing="ij")
    d, e, k, c = d.ravel(), e.ravel(), k.ravel(), c.ravel()
    strike = np.round(spot[d] / 5.0) * 5.0 + k
    keep = strike > 0
    d, e, strike, c = d[keep], e[keep], strike[keep], c[keep]
    exp = expiry[d, e]
    t = np.maximum((exp - days.to_numpy()[d]).astype("timedelta64[D]").astype(float), 1e-4) / 365.0
    iv = np.clip(atm[d] + 0.30 * np.log(spot[d] / strike), 0.05, 3.0)
    mid = np.asarray(bs_price(spot[d], strike, t, 0.02, 0.02, iv, c), dtype=float)
    half = np.maximum(0.005, 0.02 * mid)
    frame = pd.DataFrame({
        "underlying": "SPX", "spot": spot[d], "right": np.where(c, "C", "P"), "expiry": pd.DatetimeIndex(exp).date,
        "quote_date": pd.DatetimeIndex(days.to_numpy()[d]).date, "strike": strike,
        "bid": np.round(np.maximum(mid - half, 0.0), 2), "ask": np.round(mid + half, 2),
        "quote_time": pd.DatetimeIndex(days.to_numpy()[d]).tz_localize("America/New_York") + pd.Timedelta(hours=16)})
    frame.to_csv(path, index=False)
    frame.to_parquet(path.with_suffix(".parquet"), index=False)
    return len(frame)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--strikes", type=int, default=130)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spx_chain.csv"
        t = time.perf_counter()
        rows = make_chain_csv(path, args.years, args.strikes)
        print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB CSV) in {time.perf_counter() - t:.1f} s")
        quotes = pd.read_csv(path, usecols=["quote_date"])["quote_date"]
        start, end = pd.Timestamp(quotes.min()).date(), pd.Timestamp(quotes.max()).date()
        t = time.perf_counter()
        res = putwrite_from_chains(path, "SPX", start, end)
        ours = time.perf_counter() - t
        print(f"putwheel putwrite_from_chains, CSV: {ours:.2f} s ({len(res.cycles)} monthly cycles, "
              f"final value {res.daily['value'].iloc[-1]:.1f})")
        t = time.perf_counter()
        res_pq = putwrite_from_chains(path.with_suffix(".parquet"), "SPX", start, end)
        print(f"putwheel putwrite_from_chains, same rows as Parquet: {time.perf_counter() - t:.2f} s "
              f"(same result: {bool(np.allclose(res_pq.daily['value'], res.daily['value']))})")
        try:
            import optopsy as op
        except ImportError:
            print("optopsy not installed: pip install optopsy to compare")
            return
        t = time.perf_counter()
        data = op.csv_data(str(path), underlying_symbol=0, underlying_price=1, option_type=2, expiration=3,
                           quote_date=4, strike=5, bid=6, ask=7)
        stats = op.short_puts(data)
        theirs = time.perf_counter() - t
        print(f"optopsy csv_data + short_puts: {theirs:.2f} s ({len(stats)} result rows); ratio {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
