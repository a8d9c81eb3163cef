"""The Cboe S&P 500 PutWrite (PUT) methodology, model-priced, vectorized over days and cycles.

Stages: roll calendar (third-Friday expiries) -> per-cycle terms at each roll (strike at or just below the close,
premium from `bs_price`) -> per-day marks (T-bill account minus the short put marked with that day's vol) ->
chain-linked account value -> month-end metrics next to the S&P 500 total return.

Account per cycle c, per unit of value at the roll V_c: N = V_c / K puts sold (fully cash-secured: the T-bills
are worth N*K at the roll), premium N*P_0 added to the T-bills, which accrue the 3-month T-bill yield. On day d
of the cycle V_d / V_c = (1 + P_0/K) * G_d/G_c - P_d/K, where P_d is the put marked at d; at expiry
P = max(K - S, 0). Cycles chain multiplicatively, so the whole path is one cumprod, no event loop.

Settlement: the real index settles at the SET (special opening quotation) of expiration Friday (AM settlement,
since 1992; PM before) and writes the new put at 11:00-11:30 ET. Daily open prints in the free data are stale,
so this engine settles and re-writes at the expiration-day close (the previous session when Friday is a holiday).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import (
    IVModel,
    atm_vol,
    check_window,
    dividend_yield,
    roll_dates,
    tbill_growth,
    tbill_rates,
    total_return_index,
)
from putwheel.backtest.kernel import putwrite_paths
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError

START_VALUE = 100.0


@dataclass(frozen=True)
class PutWriteConfig:
    """Strike grid, dividend assumption (only where no yield series exists) and the implied-vol model.

    `put_delta` None is the Cboe rule (strike at or just below the close); a number writes the strike at or just
    below the one with that |delta| instead (used by sweeps)."""

    strike_step: float = 5.0
    put_delta: float | None = None
    assumed_dividend_yield: float = 0.022
    iv_model: IVModel = field(default_factory=IVModel)


@dataclass(frozen=True)
class PutWriteResult:
    """`daily`: value, benchmark, T-bill growth, spot, vol per day; `cycles`: one row per written put."""

    daily: pd.DataFrame
    cycles: pd.DataFrame
    putwrite: Metrics
    benchmark: Metrics
    tbill: Metrics
    label: str
    benchmark_label: str
    iv_sources: dict[str, int]


def _trading_days(history: MarketHistory, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    spx = history.spx.loc[first:last].dropna()
    return pd.DatetimeIndex(spx.index)


def _cycles(days: pd.DatetimeIndex, rolls: pd.DatetimeIndex) -> pd.DataFrame:
    """Write day (last trading day on or before each expiry) and the expiry it runs to, for each cycle."""
    pos = days.searchsorted(rolls, side="right") - 1
    valid = pos >= 0
    pos, rolls = pos[valid], rolls[valid]
    write = pd.DataFrame({"write_pos": pos[:-1], "write_date": days[pos[:-1]], "expiry": rolls[1:]})
    return write[write["write_date"] < write["expiry"]].reset_index(drop=True)


def _simulate(days: pd.DatetimeIndex, history: MarketHistory, cfg: PutWriteConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    cyc = _cycles(days, roll_dates(days[0].date(), days[-1].date()))
    if cyc.empty:
        raise InputError("the period holds no complete option cycle", where="putwrite", hint="widen the date range")
    days = days[int(cyc["write_pos"].iloc[0]):]       # start on the first write
    wpos = cyc["write_pos"].to_numpy() - int(cyc["write_pos"].iloc[0])
    spot = history.spx.reindex(days).to_numpy(dtype=float)
    simple, cont = tbill_rates(history, days)
    growth = tbill_growth(simple, days)
    q = dividend_yield(history, days, cfg.assumed_dividend_yield)
    atm, source = atm_vol(history, days, cfg.iv_model)
    # Each day belongs to the last cycle written on or before it (a write day values the new position).
    cid = np.searchsorted(wpos, np.arange(len(days)), side="right") - 1
    expiry = cyc["expiry"].to_numpy()[cid]
    t_left = (expiry - days.to_numpy()).astype("timedelta64[D]").astype(float) / 365.0
    value, terms = putwrite_paths(spot[:, None], atm, growth, cont, q, t_left, cid, wpos, cfg.strike_step,
                                  cfg.iv_model, cfg.put_delta)
    cyc["spot"], cyc["strike"] = spot[wpos], terms.strike[:, 0]
    cyc["iv_atm"], cyc["iv_strike"], cyc["premium"] = atm[wpos], terms.iv_strike[:, 0], terms.premium[:, 0]
    cyc["rate"], cyc["div_yield"] = cont[wpos], q[wpos]
    cyc["settle_spot"], cyc["payoff"], cyc["cycle_return"] = (terms.settle_spot[:, 0], terms.payoff[:, 0],
                                                              terms.cycle_return[:, 0])
    daily = pd.DataFrame({"spot": spot, "value": START_VALUE * value[:, 0], "strike": terms.strike[cid, 0],
                          "iv_atm": atm, "iv_source": source, "tbill_growth": growth, "rate": cont, "div_yield": q},
                         index=days)
    return daily, cyc.drop(columns=["write_pos"])


def run_putwrite(history: MarketHistory, start: date, end: date, config: PutWriteConfig | None = None) -> PutWriteResult:
    """Model-priced Cboe PUT on `history` from `start` to `end`, rebased to 100 at the first trading day >= start."""
    cfg = config or PutWriteConfig()
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    check_window(history, first, last, end)
    # Start at the expiry before `start` so the put held at `start` is already on (as the index was).
    warm = roll_dates(first.date(), first.date())[0] - pd.Timedelta(days=1)
    days = _trading_days(history, warm, last)
    daily, cycles = _simulate(days, history, cfg)
    daily = daily.loc[first:]
    daily["value"] *= START_VALUE / daily["value"].iloc[0]
    daily["tbill_growth"] /= daily["tbill_growth"].iloc[0]
    bench, bench_label = total_return_index(history, pd.DatetimeIndex(daily.index), cfg.assumed_dividend_yield)
    daily["benchmark"] = START_VALUE * bench / bench[0]
    tb_month = month_end_values(daily["tbill_growth"])
    rf = tb_month.pct_change().dropna()
    cycles = cycles[(cycles["expiry"] > first) & (cycles["write_date"] <= last)].reset_index(drop=True)
    sources = daily["iv_source"].value_counts()
    return PutWriteResult(
        daily=daily, cycles=cycles,
        putwrite=compute_metrics(daily["value"], rf), benchmark=compute_metrics(daily["benchmark"], rf),
        tbill=compute_metrics(daily["tbill_growth"], rf),
        label=history.label, benchmark_label=bench_label,
        iv_sources={str(k): int(v) for k, v in sources.items()},
    )
