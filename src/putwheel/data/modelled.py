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
    bid = max(np.rint((mid - half) / tick) * tick, 0.0) + 0.0   # (+ 0.0: a bid rounded to -0.0 reads 0.00, not -0.00)
    ask = np.rint((mid + half) / tick) * tick + (tick if bid == 0.0 else 0.0)
    return iv, mid, bid, ask


@jit
def quote_vec(spot: np.ndarray, k: np.ndarray, t: np.ndarray, r: float, q: float, atm: np.ndarray, call: np.ndarray,
              skew: float, spread_pct: float, tick: float) -> np.ndarray:
    """`quote1` per row; spot and atm per row too, so several names' chains are priced in one call."""
    out = np.empty((4, k.size))
    for i in range(k.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = quote1(spot[i], k[i], t[i], r, q, atm[i], call[i], skew,
                                                            spread_pct, tick)
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
    return pd.DataFrame(_chain_columns([(symbol, closes, atm)], as_of, expiries, rate, dividend_yield, model,
                                       one_value=True))


def modelled_chains(names: Sequence[tuple[str, pd.Series, float | None]], as_of: date, expiries: Sequence[date],
                    rate: float, dividend_yield: float = 0.0, model: ChainModel | None = None,
                    calls: bool = True, labels: bool = True) -> pd.DataFrame:
    """`modelled_chain` of several names (symbol, closes, atm or None) as one frame: the same rows as concatenating
    them, built at once (the planner's backtest asks for a few names ~130 times a run).

    `calls=False`: the put rows alone; `labels=False`: without the columns only a reader of tickets wants (OSI
    symbol, last trade, quote time, data quality). The other columns of the rows kept are unchanged."""
    return pd.DataFrame(_chain_columns(names, as_of, expiries, rate, dividend_yield, model, calls, labels,
                                       one_value=True) if names else {})


def modelled_columns(names: Sequence[tuple[str, pd.Series, float | None]], as_of: date, expiries: Sequence[date],
                     rate: float, dividend_yield: float = 0.0, model: ChainModel | None = None,
                     calls: bool = True, labels: bool = True) -> dict[str, object]:
    """`modelled_chains` as its columns (arrays; one value where every row has the same: multiplier, quote time,
    quality), no frame built: the planner's backtest reads them as arrays. Names are never empty here."""
    return _chain_columns(names, as_of, expiries, rate, dividend_yield, model, calls, labels)


def _spot_atm(closes: pd.Series, as_of: date, model: ChainModel, atm: float | None) -> tuple[float, float]:
    """One name's spot on `as_of` (its last known close) and ATM vol (`atm`, or `atm_vol` of the history)."""
    index = closes.index
    if atm is None or not isinstance(index, pd.DatetimeIndex) or index.tz is not None or not index.is_monotonic_increasing:
        hist = closes.loc[: pd.Timestamp(as_of)].dropna()
        return float(hist.iloc[-1]), atm_vol(hist, model) if atm is None else float(atm)
    # the same spot without a sliced, cleaned copy of the history (the planner's backtest: ~300 a run): numpy's
    # searchsorted on the index's datetime64 values, the same position as the index's without pandas' overhead
    known = np.asarray(closes.values, dtype=float)[: index.values.searchsorted(np.datetime64(as_of, "D"), side="right")]
    return float(known[~np.isnan(known)][-1]), float(atm)


def _chain_columns(names: Sequence[tuple[str, pd.Series, float | None]], as_of: date, expiries: Sequence[date],
                   rate: float, dividend_yield: float = 0.0, model: ChainModel | None = None,
                   calls: bool = True, labels: bool = True, one_value: bool = False) -> dict[str, object]:
    """The columns of the names' modelled chains, in their order (arrays, or one value for every row; with
    `one_value`, underlying and spot as one value when there is one name, as a frame of one name has them).

    Every name's rows in one pass (one `quote_vec` call, each column built once): per name, only its spot, ATM
    vol and strike grid; the numbers of each row are the same operations as one name's alone (~0.47 ms a call for
    ~2.3 names in the planner's backtest when built name by name, most of it per-name numpy overhead)."""
    model = model or ChainModel()
    exp = [e for e in expiries if e > as_of]
    exp_days = np.array(exp, dtype="datetime64[D]")   # the dates converted once, for the days and the expiry column
    sides = [False, True] if calls else [False]
    days = (exp_days - np.datetime64(as_of, "D")).astype(float)
    syms, spots, atms, grids = [], [], [], []
    for symbol, closes, atm in names:
        spot, vol = _spot_atm(closes, as_of, model, atm)
        strikes = strike_grid(spot, model)
        syms.append(symbol)
        spots.append(spot)
        atms.append(vol)
        grids.append(strikes[strikes > 0])
    per_expiry = np.array([len(sides) * len(g) for g in grids])   # puts then calls, each over the strike grid
    sizes = per_expiry * len(exp)
    k = np.concatenate([np.tile(g, len(sides) * len(exp)) for g in grids])
    is_call = np.concatenate([np.tile(np.repeat(sides, len(g)), len(exp)) for g in grids])
    block = np.repeat(per_expiry, len(exp))   # rows of each (name, expiry)
    dte = np.repeat(np.tile(days, len(grids)), block)
    spot_row, atm_row = np.repeat(np.array(spots), sizes), np.repeat(np.array(atms), sizes)
    t = dte / 365.0
    iv, mid, bid, ask = quote_vec(spot_row, k.astype(float), t, float(rate), float(dividend_yield), atm_row, is_call,
                                  model.skew, model.spread_pct, model.tick)
    moneyness = np.log(k / spot_row) / np.maximum(atm_row * np.sqrt(t), 1e-6)
    oi = np.round(model.peak_open_interest * np.exp(-0.5 * moneyness**2)).astype(int)
    rights = np.where(is_call, Right.CALL.value, Right.PUT.value)
    expiry = np.repeat(np.tile(exp_days.astype("datetime64[ns]"), len(grids)), block)
    one = one_value and len(syms) == 1
    columns: dict[str, object] = {
        "underlying": syms[0] if one else np.repeat(np.array(syms, dtype=object), sizes),
        "spot": spots[0] if one else spot_row, "expiry": expiry, "strike": k, "right": rights,
        "bid": bid, "ask": ask, "mid": (bid + ask) / 2, "last": np.round(mid, 2),
        "volume": (oi // 10).astype(float), "open_interest": oi.astype(float), "iv": iv,
        "dte": dte.astype(int), "occ_symbol": None,
        "multiplier": 100,
    }
    if not labels:
        return {name: v for name, v in columns.items() if name not in ("last", "occ_symbol")}
    columns["quote_time"] = pd.Timestamp(as_of).tz_localize(NY).replace(hour=16).tz_convert("UTC")
    columns["quality"] = "modelled"
    columns["occ_symbol"] = np.concatenate([_occ(sym, exp, len(g), g, calls) for sym, g in zip(syms, grids, strict=True)])
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
