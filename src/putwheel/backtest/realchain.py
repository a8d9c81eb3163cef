"""The Cboe PUT methodology on real end-of-day chains: files too large for memory queried with DuckDB.

Stages: DuckDB view over CSV/Parquet files in the chain schema (`data/schema.py`: underlying, spot, expiry,
strike, right, bid, ask, quote_time) -> the underlying's daily spot -> at each monthly expiry the next monthly
put at the strike at or just below spot, filled per the `FillModel` -> that contract's daily mid (carried
forward over missing quotes) -> settlement at intrinsic on its expiry -> the same cash-secured account as the
model-priced engine (`kernel` formula), chain-linked with numpy. Only the rows of the chosen contracts leave
DuckDB, so a multi-million-row file never becomes a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from putwheel.backtest.inputs import roll_dates
from putwheel.domain.errors import DataError, InputError

NEEDED = ("underlying", "spot", "expiry", "strike", "right", "bid", "ask", "quote_time")


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


def _source(paths: str | Path | list[Path]) -> str:
    items = [Path(p) for p in paths] if isinstance(paths, list) else [Path(paths)]
    if not items:
        raise InputError("no chain files given", where="chains", hint="pass a file, a list, or a glob")
    globbed = [p for p in items if any(ch in str(p) for ch in "*?[")]
    missing = [p for p in items if p not in globbed and not p.exists()]
    if missing:
        raise DataError("chain file not found", where=str(missing[0]), hint="check the path")
    quoted = ", ".join("'" + str(p).replace("'", "''") + "'" for p in items)
    suffixes = {p.suffix.lower() for p in items}
    if suffixes <= {".parquet", ".pq"}:
        return f"read_parquet([{quoted}], union_by_name=true)"
    if suffixes <= {".csv", ".gz"}:
        return f"read_csv([{quoted}], union_by_name=true, header=true)"
    raise InputError(f"chain files must all be Parquet or all CSV, got {sorted(suffixes)}", where="chains",
                     hint="convert with putwheel.data.files.write_chain")


def _connect(source: str, where: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    try:
        cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    except duckdb.Error as exc:
        raise DataError(f"cannot read chain files: {str(exc).splitlines()[0]}", where=where,
                        hint="CSV or Parquet in putwheel's chain schema") from None
    missing = [c for c in NEEDED if c not in cols]
    if missing:
        raise DataError(f"chain files lack columns {missing}", where=where, hint="see putwheel.data.schema.COLUMNS")
    con.execute(f"""CREATE VIEW chain AS SELECT upper(CAST(underlying AS VARCHAR)) AS underlying,
        CAST(CAST(quote_time AS TIMESTAMPTZ) AT TIME ZONE 'America/New_York' AS DATE) AS quote_date,
        CAST(expiry AS DATE) AS expiry, CAST(strike AS DOUBLE) AS strike, upper(left(CAST("right" AS VARCHAR), 1)) AS
        "right", CAST(bid AS DOUBLE) AS bid, CAST(ask AS DOUBLE) AS ask, CAST(spot AS DOUBLE) AS spot FROM {source}""")
    return con


def _writes(con: duckdb.DuckDBPyConnection, days: pd.DatetimeIndex, spot: np.ndarray, symbol: str) -> pd.DataFrame:
    """Roll days (monthly expiries that are quote days) with the next expiry and the put at or below spot."""
    rolls = roll_dates(days[0].date(), days[-1].date())
    here = np.flatnonzero(rolls[:-1].isin(days))
    pairs = pd.DataFrame({"write_date": rolls[here].date, "expiry": rolls[here + 1].date})
    if pairs.empty:
        raise InputError("the chain files span no full monthly cycle", where="chains", hint="give more quote days")
    pairs["spot"] = spot[days.get_indexer(pd.DatetimeIndex(pairs["write_date"]))]
    con.register("pairs", pairs)
    # One pass over the files keeps every put that could be written (at or within 10 % below the write-day spot)
    # with its quotes through expiry; choosing the strike and marking it then run on this small table.
    con.execute("""
        CREATE TEMP TABLE cand AS SELECT p.write_date, p.expiry, p.spot, c.quote_date, c.strike, c.bid, c.ask
        FROM chain c JOIN pairs p ON c.expiry = p.expiry AND c.quote_date >= p.write_date AND c.quote_date < p.expiry
        WHERE c.underlying = ? AND c."right" = 'P' AND c.strike <= p.spot AND c.strike >= 0.9 * p.spot""", [symbol])
    picked = con.execute("""
        SELECT write_date, expiry, spot, strike, bid, ask FROM cand
        WHERE quote_date = write_date AND bid > 0 AND ask >= bid
        QUALIFY row_number() OVER (PARTITION BY write_date ORDER BY strike DESC) = 1
        ORDER BY write_date""").df()
    wanted = pd.DatetimeIndex(pd.to_datetime(pairs["write_date"]))
    skipped = wanted.difference(pd.DatetimeIndex(pd.to_datetime(picked["write_date"])))
    if len(skipped):
        raise DataError(f"no quoted put at or below spot for the expiry after {skipped[0].date()}", where="chains",
                        hint="the files must hold the monthly expiry's puts on every roll day")
    return picked


def putwrite_from_chains(paths: str | Path | list[Path], symbol: str, start: date, end: date,
                         config: RealChainConfig | None = None) -> RealChainResult:
    """Cboe PUT rules on real quotes; returns the account (100 at the first write) and one row per cycle."""
    cfg = config or RealChainConfig()
    con = _connect(_source(paths), where=str(paths))
    spot_df = con.execute("""SELECT quote_date, median(spot) AS spot FROM chain WHERE underlying = ?
        AND quote_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 1""", [symbol.upper(), start, end]).df()
    if len(spot_df) < 2:
        raise DataError(f"no {symbol} quotes between {start} and {end}", where=str(paths), hint="check symbol/dates")
    days = pd.DatetimeIndex(pd.to_datetime(spot_df["quote_date"]))
    spot = spot_df["spot"].to_numpy(dtype=float)
    cyc = _writes(con, days, spot, symbol.upper())
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
    grid = pd.DataFrame({"quote_date": days, "write_date": pd.DatetimeIndex(cyc["write_date"])[cid]})
    quoted = grid.merge(table, on=["quote_date", "write_date"], how="left")["mid"]
    mark: np.ndarray = quoted.groupby(grid["write_date"]).ffill().to_numpy(dtype=float)
    # A day past the last write that is that cycle's expiry: the put is worth its intrinsic value.
    at_expiry = np.arange(len(days)) == epos[cid]
    mark = np.where(at_expiry, np.maximum(k[cid] - spot, 0.0), mark)
    gaps = np.diff(days.to_numpy()).astype("timedelta64[D]").astype(float)
    growth = np.concatenate([[1.0], np.cumprod(1.0 + cfg.rate * gaps / 365.0)])
    rel = (1.0 + net[cid] / k[cid]) * growth / growth[wpos][cid] - mark / k[cid]
    done = epos >= 0
    payoff = np.where(done, np.maximum(k - spot[epos], 0.0), np.nan)
    mult = (1.0 + net / k) * np.where(done, growth[epos], np.nan) / growth[wpos] - payoff / k
    base = np.concatenate([[1.0], np.cumprod(np.where(done, mult, 1.0))[:-1]])
    value = 100.0 * base[cid] * rel
    last = int(epos[-1]) if done[-1] else len(days) - 1
    days, spot, mark, value = days[: last + 1], spot[: last + 1], mark[: last + 1], value[: last + 1]
    cycles = cyc.assign(mid=mid0, fill=fill, settle_spot=np.where(done, spot[np.maximum(epos, 0)], np.nan), payoff=payoff,
                        cycle_return=mult - 1.0)
    daily = pd.DataFrame({"spot": spot, "put_mark": mark, "value": value}, index=days)
    return RealChainResult(daily=daily, cycles=cycles)
