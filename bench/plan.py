"""Planner benchmark: a 500-symbol watchlist over a generated 1.5M-contract snapshot -> the full plan; prints seconds.

The snapshot is synthetic and says so: 500 names in 11 sectors with a one-factor-per-sector return model (one
year of daily closes, for targets, realized vol and the correlation cap), 15 weekly expiries x 100 strikes x put
and call per name, priced with the pricing core (skewed vol, 4 % wide quotes, open interest falling off with
moneyness). Generation is not timed; the timed part is what `putwheel plan` does after loading: per-underlying
context (targets, quality, correlation) and `build_plan` (screen 750k puts, enrich survivors, MILP, sizing).

    python bench/plan.py [--symbols 500] [--repeat 3]      # target: <= 2 s for 1.5M contracts
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from putwheel.pricing import bs_price
from putwheel.screener.context import underlying_context
from putwheel.screener.plan import PlanResult, build_plan
from putwheel.screener.portfolio import Holdings
from putwheel.screener.rules import PutRules, QualityThresholds, WatchItem
from putwheel.screener.underlying import correlation_matrix

AS_OF = date(2024, 3, 1)
SECTORS = ["Tech", "Health", "Financials", "Energy", "Industrials", "Staples", "Discretionary", "Utilities",
           "Materials", "RealEstate", "Communication"]


def history(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, str]]:
    """One year of daily closes from a market + sector + idiosyncratic factor model."""
    days = pd.bdate_range(end=pd.Timestamp(AS_OF), periods=260)
    symbols = [f"S{i:03d}" for i in range(n)]
    sector_of = {s: SECTORS[i % len(SECTORS)] for i, s in enumerate(symbols)}
    market = rng.normal(0, 0.009, len(days))
    sect = {s: rng.normal(0, 0.008, len(days)) for s in SECTORS}
    vol = rng.uniform(0.008, 0.02, n)
    rets = np.column_stack([market + sect[sector_of[s]] + rng.normal(0, vol[i], len(days)) for i, s in enumerate(symbols)])
    start = rng.uniform(20, 400, n)
    closes = pd.DataFrame(start * np.exp(np.cumsum(rets, axis=0)), index=days, columns=symbols)
    return closes, sector_of


def snapshot(closes: pd.DataFrame, rate: float, n_exp: int = 15, n_strikes: int = 100) -> pd.DataFrame:
    """Puts and calls for every name: n_exp weekly expiries x n_strikes strikes at a 1 % step around spot."""
    spots = closes.iloc[-1].to_numpy()
    rv = np.log(closes).diff().std().to_numpy() * np.sqrt(252)
    n = len(spots)
    per = n_exp * n_strikes * 2
    sym = np.repeat(np.arange(n), per)
    first = AS_OF + timedelta(days=(4 - AS_OF.weekday()) % 7 or 7)
    dte = np.tile(np.repeat((first - AS_OF).days + 7 * np.arange(n_exp), n_strikes * 2), n)
    step = np.maximum(np.round(spots * 0.01, 0), 0.5)
    offs = np.tile(np.tile(np.arange(n_strikes) - n_strikes // 2, 2 * n_exp), n)
    strike = np.round(spots[sym] / step[sym]) * step[sym] + offs * step[sym]
    keep = strike > 0
    is_call = np.tile(np.repeat(np.array([False, True]), n_strikes), n * n_exp)
    s, t = spots[sym], dte / 365.0
    iv = np.clip(rv[sym] * 1.15 + 0.3 * np.log(s / np.maximum(strike, 1e-9)), 0.05, 3.0)
    mid = np.asarray(bs_price(s, np.maximum(strike, 1e-9), t, rate, 0.0, iv, is_call))
    half = np.maximum(0.005, 0.02 * mid)
    bid = np.maximum(np.round((mid - half) * 100) / 100, 0.0)
    ask = np.round((mid + half) * 100) / 100 + 0.01 * (bid == 0)
    money = np.log(np.maximum(strike, 1e-9) / s) / np.maximum(iv * np.sqrt(t), 1e-6)
    oi = np.round(8000 * np.exp(-0.5 * money**2))
    names = np.asarray(closes.columns)
    expiry = pd.Timestamp(AS_OF) + pd.to_timedelta(dte, unit="D")
    df = pd.DataFrame({
        "underlying": names[sym], "spot": s, "expiry": expiry, "strike": strike, "right": np.where(is_call, "C", "P"),
        "bid": bid, "ask": ask, "mid": (bid + ask) / 2, "volume": oi // 10, "open_interest": oi, "iv": iv, "dte": dte,
        "multiplier": 100,
    })[keep]
    df["occ_symbol"] = (df["underlying"].str.ljust(6) + df["expiry"].dt.strftime("%y%m%d") + df["right"]
                        + (df["strike"] * 1000).round().astype(np.int64).astype(str).str.zfill(8))
    return df.reset_index(drop=True)


def run(chain: pd.DataFrame, closes: pd.DataFrame, sectors: dict[str, str], rate: float) -> tuple[float, float, PlanResult]:
    items = [WatchItem(symbol=s) for s in closes.columns]
    rules = PutRules(max_names=10, max_pct_per_name=0.1, max_pct_per_sector=0.3)
    t0, c0 = time.perf_counter(), time.process_time()
    ctx, _ = underlying_context(items, chain, closes, sectors, rate, rules, QualityThresholds())
    res = build_plan(chain, ctx, rules, 1_000_000.0, pd.Timestamp(AS_OF), Holdings(), correlation_matrix(closes))
    return time.perf_counter() - t0, time.process_time() - c0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(20240301)
    closes, sectors = history(args.symbols, rng)
    chain = snapshot(closes, rate=0.05)
    print(f"synthetic snapshot: {len(chain):,} contracts on {args.symbols} names ({(chain['right'] == 'P').sum():,} puts)")
    times, cpu = [], []
    for _ in range(args.repeat):
        secs, cpu_secs, res = run(chain, closes, sectors, 0.05)
        times.append(secs)
        cpu.append(cpu_secs)
    cands = int(res.screened["reason"].str.startswith("not chosen").sum()) + len(res.tickets)
    print(f"plan: {len(res.tickets)} tickets, {cands:,} candidates for the optimizer, "
          f"collateral {res.collateral_used:,.0f} of 1,000,000, optimizer {res.status}")
    print(f"seconds: best {min(times):.3f} wall ({min(cpu):.3f} CPU); all runs " + ", ".join(f"{t:.3f}" for t in times)
          + " (target <= 2 s; wall time rises with other load on the machine)")


if __name__ == "__main__":
    main()
