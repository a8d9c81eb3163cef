"""The first real-chain implementation (two DuckDB passes over a per-row view), kept as the oracle the fast
single-scan `putwrite_from_chains` must match exactly. Slow by design; used only by tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from putwheel.backtest.inputs import roll_dates
from putwheel.backtest.realchain import RealChainConfig, RealChainResult, _account
from putwheel.data.chainscan import _source


def _connect(source: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"""CREATE VIEW chain AS SELECT upper(CAST(underlying AS VARCHAR)) AS underlying,
        CAST(CAST(quote_time AS TIMESTAMPTZ) AT TIME ZONE 'America/New_York' AS DATE) AS quote_date,
        CAST(expiry AS DATE) AS expiry, CAST(strike AS DOUBLE) AS strike, upper(left(CAST("right" AS VARCHAR), 1)) AS
        "right", CAST(bid AS DOUBLE) AS bid, CAST(ask AS DOUBLE) AS ask, CAST(spot AS DOUBLE) AS spot FROM {source}""")
    return con


def _writes(con: duckdb.DuckDBPyConnection, days: pd.DatetimeIndex, spot: np.ndarray, symbol: str) -> pd.DataFrame:
    rolls = roll_dates(days[0].date(), days[-1].date())
    here = np.flatnonzero(rolls[:-1].isin(days))
    pairs = pd.DataFrame({"write_date": rolls[here].date, "expiry": rolls[here + 1].date})
    pairs["spot"] = spot[days.get_indexer(pd.DatetimeIndex(pairs["write_date"]))]
    con.register("pairs", pairs)
    con.execute("""
        CREATE TEMP TABLE cand AS SELECT p.write_date, p.expiry, p.spot, c.quote_date, c.strike, c.bid, c.ask
        FROM chain c JOIN pairs p ON c.expiry = p.expiry AND c.quote_date >= p.write_date AND c.quote_date < p.expiry
        WHERE c.underlying = ? AND c."right" = 'P' AND c.strike <= p.spot AND c.strike >= 0.9 * p.spot""", [symbol])
    return con.execute("""
        SELECT write_date, expiry, spot, strike, bid, ask FROM cand
        WHERE quote_date = write_date AND bid > 0 AND ask >= bid
        QUALIFY row_number() OVER (PARTITION BY write_date ORDER BY strike DESC) = 1
        ORDER BY write_date""").df()


def reference_putwrite(paths: str | Path | list[Path], symbol: str, start: date, end: date,
                       config: RealChainConfig | None = None) -> RealChainResult:
    con = _connect(_source(paths))
    spot_df = con.execute("""SELECT quote_date, median(spot) AS spot FROM chain WHERE underlying = ?
        AND quote_date BETWEEN ? AND ? GROUP BY 1 ORDER BY 1""", [symbol.upper(), start, end]).df()
    days = pd.DatetimeIndex(pd.to_datetime(spot_df["quote_date"]))
    spot = spot_df["spot"].to_numpy(dtype=float)
    cyc = _writes(con, days, spot, symbol.upper())
    con.register("picked", cyc[["write_date", "strike"]])
    marks = con.execute("""SELECT c.quote_date, c.write_date, (c.bid + c.ask) / 2 AS mid FROM cand c
        JOIN picked p ON c.write_date = p.write_date AND c.strike = p.strike""").df()
    return _account(days, spot, cyc, marks, config or RealChainConfig())
