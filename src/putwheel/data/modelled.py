"""Modelled option chains built from real price history, for offline use — always labelled as modelled.

No free source ships historical option chains for single stocks, so the offline planner and the model-priced
Wheel backtest price a listed-style chain with the pricing core:

- ATM implied vol = realized vol (blend of 1-month and 1-year close-to-close) × a variance-risk-premium factor
  (default 1.15: implied vol has averaged roughly 10-20 % above subsequent realized vol on US equities and the
  S&P 500; Carr & Wu 2009, "Variance Risk Premiums").
- Put skew: iv(K) = atm + skew × ln(S/K), skew 0.30 by default (a 10 % OTM put carries ~3 vol points more).
- Strikes: the round step (1, 2.5, 5, 10 × 10^k) nearest 1 % of spot (AAPL 1 at 171, XSP 2.5 at 264, GOOG 10
  at 1010), 30 each side of spot.
- Quotes: mid = model price; half-spread = max(tick/2, spread_pct/2 × mid); open interest and volume fall off
  with distance from the money. None of these numbers are market data; the `quality` column says "modelled".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from putwheel.domain.contract import Right
from putwheel.domain.errors import DataError
from putwheel.pricing.scalar import SOURCES, bs1, cache_depends_on, jit
from putwheel.pricing.surface import skew_vol1

NY = "America/New_York"
VOL_FLOOR, VOL_CAP = 0.05, 3.0   # the modelled chain's vol stays within these (annual)


@dataclass(frozen=True)
class ChainModel:
    vrp_factor: float = 1.15
    skew: float = 0.30
    spread_pct: float = 0.04
    tick: float = 0.01
    strike_step_pct: float = 0.01
    strikes_each_side: int = 30
    peak_open_interest: float = 8000.0


@jit
def strike_step1(spot: float, step_pct: float) -> float:
    """The round step (1, 2.5, 5, 10 x 10^k) nearest `step_pct` of spot; the first of equals wins."""
    raw = spot * step_pct
    mag = 10.0 ** math.floor(math.log10(raw))
    best = mag
    for m in (1.0, 2.5, 5.0, 10.0):
        if abs(m * mag - raw) < abs(best - raw):
            best = m * mag
    return best


@jit
def grid_centre1(spot: float, step: float) -> float:
    return np.rint(spot / step) * step


@jit
def quote1(spot: float, k: float, t: float, r: float, q: float, atm: float, call: bool, skew: float,
           spread_pct: float, tick: float) -> tuple[float, float, float, float]:
    """(iv at the strike, model price, bid, ask) of one modelled contract: skewed vol, BS price, a spread of
    `spread_pct` of the price (at least a tick), bid floored at zero, ask a tick above a zero bid."""
    iv = skew_vol1(atm, skew, spot, k, VOL_FLOOR, VOL_CAP)
    mid = bs1(spot, k, t, r, q, iv, call)
    half = max(tick / 2, spread_pct / 2 * mid)
    bid = max(np.rint((mid - half) / tick) * tick, 0.0)
    ask = np.rint((mid + half) / tick) * tick + (tick if bid == 0.0 else 0.0)
    return iv, mid, bid, ask


@jit
def quote_vec(spot: float, k: np.ndarray, t: np.ndarray, r: float, q: float, atm: float, call: np.ndarray,
              skew: float, spread_pct: float, tick: float) -> np.ndarray:
    out = np.empty((4, k.size))
    for i in range(k.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = quote1(spot, k[i], t[i], r, q, atm, call[i], skew, spread_pct, tick)
    return out


def strike_grid(spot: float, model: ChainModel) -> np.ndarray:
    """Listed-looking strikes: a round step near `strike_step_pct` of spot, centred on spot."""
    step = strike_step1(spot, model.strike_step_pct)
    return grid_centre1(spot, step) + step * np.arange(-model.strikes_each_side, model.strikes_each_side + 1)


RV_SHORT, RV_LONG = 21, 252   # trading days: the 1-month and 1-year windows of the realized-vol blend


def realized_vol_blend(closes: pd.Series, short: int = RV_SHORT, long: int = RV_LONG) -> pd.Series:
    """Annualized sqrt(0.5 var_short + 0.5 var_long) of close-to-close log returns on each day of `closes`.

    The ONE realized-vol rule of the modelled vol: `atm_vol` (live quote, plan, manage) reads its last value and
    the backtests (`backtest.inputs.realized_iv`) the whole series, so both see the same numbers on the same
    closes. The long window starts once the short one is full (a run can start a month into the closes)."""
    rets = np.log(closes.sort_index()).diff()
    var_s = rets.rolling(short, min_periods=short).var()
    var_l = rets.rolling(long, min_periods=short).var()
    return np.sqrt(0.5 * var_s + 0.5 * var_l) * np.sqrt(252.0)


def atm_vol(closes: pd.Series, model: ChainModel) -> float:
    """Modelled ATM implied vol from realized vol (see module docstring): the last `realized_vol_blend` x VRP."""
    clean = closes.dropna()
    if len(clean) <= RV_SHORT:
        raise DataError(f"{len(clean)} closes cannot model an implied vol: the realized-vol blend needs at least "
                        f"{RV_SHORT + 1}", where="modelled chain", hint="give at least a month and a day of closes")
    return float(realized_vol_blend(clean).iloc[-1] * model.vrp_factor)


def modelled_chain(symbol: str, closes: pd.Series, as_of: date, expiries: Sequence[date], rate: float,
                   dividend_yield: float = 0.0, model: ChainModel | None = None, atm: float | None = None) -> pd.DataFrame:
    """Puts and calls on a strike grid for each expiry, priced from the history up to `as_of`.

    `atm`: the ATM vol when the caller already has it (the backtests' rolling series), else from `closes`."""
    return pd.DataFrame(_chain_columns(symbol, closes, as_of, expiries, rate, dividend_yield, model, atm))


def modelled_chains(names: Sequence[tuple[str, pd.Series, float | None]], as_of: date, expiries: Sequence[date],
                    rate: float, dividend_yield: float = 0.0, model: ChainModel | None = None,
                    calls: bool = True, labels: bool = True) -> pd.DataFrame:
    """`modelled_chain` of several names (symbol, closes, atm or None) as one frame: the same rows as concatenating
    them, built at once (the planner's backtest asks for a few names ~130 times a run).

    `calls=False`: the put rows alone; `labels=False`: without the columns only a reader of tickets wants (OSI
    symbol, last trade, quote time, data quality). The other columns of the rows kept are unchanged."""
    parts = [_chain_columns(sym, closes, as_of, expiries, rate, dividend_yield, model, atm, calls, labels)
             for sym, closes, atm in names]
    if len(parts) <= 1:
        return pd.DataFrame(parts[0] if parts else {})
    return pd.DataFrame(_joined(parts))


def modelled_columns(names: Sequence[tuple[str, pd.Series, float | None]], as_of: date, expiries: Sequence[date],
                     rate: float, dividend_yield: float = 0.0, model: ChainModel | None = None,
                     calls: bool = True, labels: bool = True) -> dict[str, object]:
    """`modelled_chains` as its columns (arrays; one value where every row has the same: multiplier, quote time,
    quality), no frame built: the planner's backtest reads them as arrays. Names are never empty here."""
    return _joined([_chain_columns(sym, closes, as_of, expiries, rate, dividend_yield, model, atm, calls, labels)
                    for sym, closes, atm in names])


def _joined(parts: list[dict[str, object]]) -> dict[str, object]:
    """Several names' `_chain_columns` as one set of columns, in their order (underlying and spot per row)."""
    sizes = [len(np.asarray(p["strike"])) for p in parts]
    columns: dict[str, object] = {}
    for name, first in parts[0].items():
        values = [p[name] for p in parts]
        if name in ("underlying", "spot"):   # one value per name (one repeat: `np.full` of an object is slow)
            columns[name] = np.repeat(np.array(values, dtype=object if name == "underlying" else float), sizes)
        elif np.ndim(first):
            columns[name] = np.concatenate([np.asarray(v) for v in values])
        else:   # the same for every name (multiplier, quote time, quality)
            columns[name] = first
    return columns


def _chain_columns(symbol: str, closes: pd.Series, as_of: date, expiries: Sequence[date], rate: float,
                   dividend_yield: float = 0.0, model: ChainModel | None = None,
                   atm: float | None = None, calls: bool = True, labels: bool = True) -> dict[str, object]:
    """The columns of one name's modelled chain (arrays, or one value for every row)."""
    model = model or ChainModel()
    index = closes.index
    if atm is None or not isinstance(index, pd.DatetimeIndex) or index.tz is not None or not index.is_monotonic_increasing:
        hist = closes.loc[: pd.Timestamp(as_of)].dropna()
        spot = float(hist.iloc[-1])
        atm = atm_vol(hist, model) if atm is None else float(atm)
    else:   # the same spot without a sliced, cleaned copy of the history (the planner's backtest: ~300 a run)
        # numpy's searchsorted on the index's datetime64 values: the same position as the index's, without pandas'
        # per-call overhead (~20 us)
        known = closes.to_numpy(dtype=float)[: index.values.searchsorted(np.datetime64(as_of, "D"), side="right")]
        spot = float(known[~np.isnan(known)][-1])
        atm = float(atm)
    strikes = strike_grid(spot, model)
    strikes = strikes[strikes > 0]
    exp = [e for e in expiries if e > as_of]
    exp_days = np.array(exp, dtype="datetime64[D]")   # the dates converted once, for the days and the expiry column
    sides = [False, True] if calls else [False]
    per_expiry = len(sides) * len(strikes)   # puts then calls, each over the strike grid
    k = np.tile(strikes, len(sides) * len(exp))
    is_call = np.repeat(np.tile(sides, len(exp)), len(strikes))
    dte = np.repeat((exp_days - np.datetime64(as_of, "D")).astype(float), per_expiry)
    t = dte / 365.0
    iv, mid, bid, ask = quote_vec(spot, k.astype(float), t, float(rate), float(dividend_yield), atm, is_call,
                                  model.skew, model.spread_pct, model.tick)
    moneyness = np.log(k / spot) / np.maximum(atm * np.sqrt(t), 1e-6)
    oi = np.round(model.peak_open_interest * np.exp(-0.5 * moneyness**2)).astype(int)
    rights = np.where(is_call, Right.CALL.value, Right.PUT.value)
    expiry = np.repeat(exp_days.astype("datetime64[ns]"), per_expiry)
    columns = {
        "underlying": symbol, "spot": spot, "expiry": expiry, "strike": k, "right": rights,
        "bid": bid, "ask": ask, "mid": (bid + ask) / 2, "last": np.round(mid, 2),
        "volume": (oi // 10).astype(float), "open_interest": oi.astype(float), "iv": iv,
        "dte": dte.astype(int), "occ_symbol": None,
        "multiplier": 100,
    }
    if not labels:
        return {name: v for name, v in columns.items() if name not in ("last", "occ_symbol")}
    columns["quote_time"] = pd.Timestamp(as_of).tz_localize(NY).replace(hour=16).tz_convert("UTC")
    columns["quality"] = "modelled"
    columns["occ_symbol"] = _occ(symbol, exp, len(strikes), k, calls)
    return columns


def _occ(symbol: str, expiries: Sequence[date], n_strikes: int, strikes: np.ndarray, calls: bool = True) -> np.ndarray:
    """Padded OSI symbols for one root, in the chain's row order (per expiry: the puts, then the calls, over the
    strike grid): root to 6, YYMMDD, P/C, strike x 1000 in 8 digits. Each expiry and strike is formatted once."""
    root = f"{symbol.upper():<6}"
    millis = [f"{m:08d}" for m in np.round(strikes[:n_strikes] * 1000).astype(np.int64).tolist()]
    out = [head + m for head in [f"{root}{e:%y%m%d}{right}" for e in expiries
                                 for right in (Right.PUT.value, Right.CALL.value)[: 2 if calls else 1]] for m in millis]
    return np.array(out, dtype=object)


def weekly_expiries(as_of: date, horizon_days: int) -> list[date]:
    """Every Friday after `as_of` up to `horizon_days` out: the weekly expiries listed on liquid names."""
    first = as_of + timedelta(days=(4 - as_of.weekday()) % 7 or 7)
    return [first + timedelta(weeks=i) for i in range((horizon_days - (first - as_of).days) // 7 + 1)]


cache_depends_on(globals(), *SOURCES)
