"""Real-chain put-write speed: `putwrite_from_chains` (DuckDB) over a generated multi-million-row chain CSV, and
optopsy's `csv_data` + `short_puts` on the same file when optopsy is installed (it is not a putwheel dependency).

Run: python bench/backtest_chains.py [--years 10] [--strikes 130] [--repeat 5] [--file chain.csv]
(prints seconds and ratios; no thresholds). `--file` reuses a CSV written by an earlier run (`--keep DIR`).

The file: every NYSE day of the last `years` of the embedded S&P 500 closes (real), the next three monthly expiries,
`strikes` 5-point strikes around spot, puts and calls; quotes are modelled (Black-Scholes at realized vol x 1.15
with a put skew, +-2 % around mid). One CSV (plus the same rows as Parquet beside it), read from disk by both
tools; the file is read once before timing so both find it in the page cache. Runs alternate between the tools
and the table gives the best and the median of `repeat` runs.

What each side computes (different work, so the ratio is wall time on the same file, nothing more):
- putwheel: one pass over the CSV bytes (numba kernel, one thread per core; the file is memory-mapped, read from
  the page cache on every run): every row's underlying, the symbol's quote_time and spot (the New York date of
  each distinct quote_time via DuckDB), and strike/bid/ask only for puts of a monthly expiry quoted inside their
  own cycle; then the daily median spot, the Cboe PUT strike on each monthly roll day, that put's daily mid,
  settlement and the cash-secured account path (see docs/backtest.md). Files outside the kernel's plain-CSV
  grammar go to the DuckDB reader, also timed here ("DuckDB reader"), which must give the identical result.
- optopsy 2.0.3: pandas `read_csv` of the whole file (all columns; the plain `quote_date` column for dates),
  then `short_puts` with its defaults: every put entered at up to 90 DTE and held to expiry, returns grouped
  into DTE x OTM buckets (195 rows of statistics).
- "DuckDB read floor": a DuckDB query that only parses the same 8 columns and aggregates them; no backtest can
  read the CSV faster than this with DuckDB on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from putwheel.backtest import realchain
from putwheel.backtest.inputs import IVModel, realized_iv, roll_dates
from putwheel.backtest.realchain import RealChainResult, putwrite_from_chains
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


def _time(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _duckdb_reader(path: Path, start: date, end: date) -> RealChainResult:
    """putwrite_from_chains with the numba CSV fast path switched off (the reader every other file uses)."""
    fast = realchain._fast_fold
    realchain._fast_fold = lambda *args: None
    try:
        return putwrite_from_chains(path, "SPX", start, end)
    finally:
        realchain._fast_fold = fast


def _run(path: Path, repeat: int) -> None:
    quotes = pd.read_csv(path, usecols=["quote_date"])["quote_date"]
    start, end = pd.Timestamp(quotes.min()).date(), pd.Timestamp(quotes.max()).date()
    path.read_bytes()                                   # page cache: both tools read a warm file
    res = putwrite_from_chains(path, "SPX", start, end)
    same = putwrite_from_chains(path.with_suffix(".parquet"), "SPX", start, end)
    print(f"putwheel: {len(res.cycles)} monthly cycles, final value {res.daily['value'].iloc[-1]:.1f}; "
          f"Parquet gives the same result: {bool(np.allclose(same.daily['value'], res.daily['value']))}")
    reader = _duckdb_reader(path, start, end)
    identical = reader.daily.equals(res.daily) and reader.cycles.equals(res.cycles)
    print(f"CSV fast path and DuckDB reader give identical frames: {identical}")
    src = f"read_csv('{path}', header=true, types={{'quote_time': 'VARCHAR'}})"
    floor_sql = (f"SELECT max(quote_time), sum(spot + strike + bid + ask), max(expiry), "
                 f"count(*) FILTER (underlying = 'SPX' AND \"right\" = 'P') FROM {src}")
    runs: dict[str, Callable[[], object]] = {
        "DuckDB read floor (8 columns, CSV)": lambda: duckdb.connect().execute(floor_sql).fetchall(),
        "putwheel putwrite_from_chains, CSV": lambda: putwrite_from_chains(path, "SPX", start, end),
        "putwheel putwrite_from_chains, Parquet": lambda: putwrite_from_chains(path.with_suffix(".parquet"), "SPX",
                                                                                start, end),
        "putwheel, CSV via the DuckDB reader": lambda: _duckdb_reader(path, start, end),
    }
    try:
        import optopsy as op

        def theirs() -> object:
            data = op.csv_data(str(path), underlying_symbol=0, underlying_price=1, option_type=2, expiration=3,
                               quote_date=4, strike=5, bid=6, ask=7)
            return op.short_puts(data)

        runs[f"optopsy {op.__version__} csv_data + short_puts, CSV"] = theirs
    except ImportError:
        print("optopsy not installed: pip install optopsy==2.0.3 to compare")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            times[name].append(_time(fn))
    print(f"{'':42s} {'best s':>8s} {'median s':>9s}")
    for name, ts in times.items():
        print(f"{name:42s} {min(ts):8.3f} {float(np.median(ts)):9.3f}")
    ours = times["putwheel putwrite_from_chains, CSV"]
    other = [ts for name, ts in times.items() if name.startswith("optopsy")]
    if other:
        print(f"optopsy / putwheel on the CSV: {np.median(other[0]) / np.median(ours):.1f}x (medians), "
              f"{min(other[0]) / min(ours):.1f}x (best runs)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--strikes", type=int, default=130)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--file", type=Path, help="reuse a CSV written by --keep (its .parquet twin beside it)")
    parser.add_argument("--keep", type=Path, help="write the generated files into this folder and keep them")
    args = parser.parse_args()
    if args.file is not None:
        _run(args.file, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "spx_chain.csv"
        t = time.perf_counter()
        rows = make_chain_csv(path, args.years, args.strikes)
        print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB CSV) in {time.perf_counter() - t:.1f} s")
        _run(path, args.repeat)


if __name__ == "__main__":
    main()
