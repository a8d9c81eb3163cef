"""The Cboe PUT methodology on real end-of-day chains (scanned by `data.chainscan`).

Stages: the daily spot and the chosen puts from the chain files (`data.chainscan`) -> each put filled per the
`FillModel` -> its daily mid (carried forward over missing quotes) -> settlement at intrinsic on its expiry -> the
same cash-secured account as the model-priced engine (`kernel` formula), chain-linked with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import tbill_growth
from putwheel.backtest.kernel import put_account
from putwheel.data.chainscan import _daily_spot, _fast_fold, _fold, _writes, _writes_fast
from putwheel.domain.errors import DataError, InputError


@dataclass(frozen=True)
class FillModel:
    """Sell at mid - slippage x (mid - bid): 0 fills at mid, 1 at the bid (the natural price)."""

    slippage: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.slippage <= 1.0:
            raise InputError(f"slippage {self.slippage} is outside 0..1", where="FillModel", hint="0 = mid, 1 = bid")


@dataclass(frozen=True)
class FeeModel:
    """A flat commission per contract (per 100-share multiplier), charged on each sale."""

    per_contract: float = 0.0
    multiplier: int = 100


@dataclass(frozen=True)
class RealChainConfig:
    fill: FillModel = field(default_factory=FillModel)
    fees: FeeModel = field(default_factory=FeeModel)
    rate: float = 0.02  # simple annual T-bill yield on the collateral when no rate series is given


@dataclass(frozen=True)
class RealChainResult:
    daily: pd.DataFrame     # spot, put mark, account value per quote day
    cycles: pd.DataFrame    # write date, expiry, strike, bid/ask/mid at the write, fill, settlement, cycle return


def putwrite_from_chains(paths: str | Path | list[Path], symbol: str, start: date, end: date,
                         config: RealChainConfig | None = None) -> RealChainResult:
    """Cboe PUT rules on real quotes; returns the account (100 at the first write) and one row per cycle."""
    cfg = config or RealChainConfig()
    fast = _fast_fold(paths, symbol.upper(), start, end)
    spots = fast[0] if fast is not None else None
    if spots is None:
        con, spots = _fold(paths, symbol.upper(), start, end)
    day = pd.to_datetime(spots["quote_date"])
    days, spot = _daily_spot(spots[((day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))).to_numpy()])
    if len(days) < 2:
        raise DataError(f"no {symbol} quotes between {start} and {end}", where=str(paths), hint="check symbol/dates")
    if fast is not None:
        cyc, marks = _writes_fast(days, spot, fast[1])
        return _account(days, spot, cyc, marks, cfg)
    cyc = _writes(con, days, spot)
    con.register("picked", cyc[["write_date", "strike"]])
    marks = con.execute("""SELECT c.quote_date, c.write_date, (c.bid + c.ask) / 2 AS mid FROM cand c
        JOIN picked p ON c.write_date = p.write_date AND c.strike = p.strike""").df()
    return _account(days, spot, cyc, marks, cfg)


def _account(days: pd.DatetimeIndex, spot: np.ndarray, cyc: pd.DataFrame, marks: pd.DataFrame,
             cfg: RealChainConfig) -> RealChainResult:
    first = days.get_loc(pd.Timestamp(cyc["write_date"].iloc[0]))
    days, spot = days[first:], spot[first:]
    wpos = days.get_indexer(pd.DatetimeIndex(cyc["write_date"]))
    epos = days.get_indexer(pd.DatetimeIndex(cyc["expiry"]))        # -1: expires after the data ends
    cid = np.searchsorted(wpos, np.arange(len(days)), side="right") - 1
    k = cyc["strike"].to_numpy(dtype=float)
    mid0 = (cyc["bid"] + cyc["ask"]).to_numpy(dtype=float) / 2
    fill = mid0 - cfg.fill.slippage * (mid0 - cyc["bid"].to_numpy(dtype=float))
    net = fill - cfg.fees.per_contract / cfg.fees.multiplier
    table = marks.assign(quote_date=pd.to_datetime(marks["quote_date"]), write_date=pd.to_datetime(marks["write_date"]))
    # Several quotes of the contract on one day (snapshots, repeated rows): the day's mark is their median.
    table = table.groupby(["quote_date", "write_date"], sort=False)["mid"].median().reset_index()
    grid = pd.DataFrame({"quote_date": days, "write_date": pd.DatetimeIndex(cyc["write_date"])[cid]})
    quoted = grid.merge(table, on=["quote_date", "write_date"], how="left")["mid"]
    mark: np.ndarray = quoted.groupby(grid["write_date"]).ffill().to_numpy(dtype=float)
    # A day past the last write that is that cycle's expiry: the put is worth its intrinsic value.
    at_expiry = np.arange(len(days)) == epos[cid]
    mark = np.where(at_expiry, np.maximum(k[cid] - spot, 0.0), mark)
    growth = tbill_growth(np.full(len(days), cfg.rate), days)
    unit, settle, payoff, mult = put_account(spot, k, net, mark, growth, cid, wpos, epos)
    value = 100.0 * unit
    done = epos >= 0
    last = int(epos[-1]) if done[-1] else len(days) - 1
    days, spot, mark, value = days[: last + 1], spot[: last + 1], mark[: last + 1], value[: last + 1]
    cycles = cyc.assign(mid=mid0, fill=fill, settle_spot=settle, payoff=payoff,
                        cycle_return=mult - 1.0)
    daily = pd.DataFrame({"spot": spot, "put_mark": mark, "value": value}, index=days)
    return RealChainResult(daily=daily, cycles=cycles)
