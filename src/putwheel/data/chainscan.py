"""Real end-of-day chain files, scanned for what the Cboe PUT rules need: the daily spot and the chosen puts.

Stages: DuckDB view over CSV/Parquet files in the chain schema (`data/schema.py`: underlying, spot, expiry,
strike, right, bid, ask, quote_time) -> the underlying's daily spot -> at each monthly expiry the next monthly
put at the strike at or just below spot -> that contract's daily quotes. Only the rows of the chosen contracts
leave DuckDB, so a multi-million-row file never becomes a DataFrame.

One plain CSV file first goes to the numba byte scanner (`_csvscan`, memory-mapped, one thread per core), which
keeps the same two folds without building rows; anything outside its grammar returns to the DuckDB reader, which
gives the identical result (tests/backtest/test_realchain_fastscan.py). The account is `backtest.realchain`'s.
"""

from __future__ import annotations

import csv
import glob
import mmap
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from putwheel.data import _csvscan
from putwheel.data.calendar import roll_dates
from putwheel.domain.errors import DataError, InputError

NY = "America/New_York"
NEEDED = ("underlying", "spot", "expiry", "strike", "right", "bid", "ask", "quote_time")


def _sources(paths: str | Path | list[Path]) -> tuple[str, str | None]:
    """The DuckDB table function over the files as given (types sniffed), and for CSV a faster twin that reads
    the numbers as DOUBLE and `quote_time` as text (parsed later, once per distinct value)."""
    items = [Path(p) for p in paths] if isinstance(paths, list) else [Path(paths)]
    if not items:
        raise InputError("no chain files given", where="chains", hint="pass a file, a list, or a glob")
    globbed = [p for p in items if any(ch in str(p) for ch in "*?[")]
    missing = [p for p in items if p not in globbed and not p.exists()]
    if missing:
        raise DataError("chain file not found", where=str(missing[0]), hint="check the path")
    empty = [p for p in globbed if not glob.glob(str(p))]
    if empty:
        raise DataError("no file matches this pattern", where=str(empty[0]), hint="check the folder and the pattern")
    quoted = ", ".join("'" + str(p).replace("'", "''") + "'" for p in items)
    suffixes = {p.suffix.lower() for p in items}
    if suffixes <= {".parquet", ".pq"}:
        return f"read_parquet([{quoted}], union_by_name=true)", None
    if suffixes <= {".csv", ".gz"}:
        union = ", union_by_name=true" if len(items) > 1 or globbed else ""
        return (f"read_csv([{quoted}], union_by_name=true, header=true)",
                f"read_csv([{quoted}], header=true{union}, types={_FAST_TYPES})")
    raise InputError(f"chain files must all be Parquet or all CSV, got {sorted(suffixes)}", where="chains",
                     hint="convert with putwheel.data.files.write_chain")


def _source(paths: str | Path | list[Path]) -> str:
    return _sources(paths)[0]


_FAST_TYPES = ("{'quote_time': 'VARCHAR', 'underlying': 'VARCHAR', 'right': 'VARCHAR', 'spot': 'DOUBLE', "
               "'strike': 'DOUBLE', 'bid': 'DOUBLE', 'ask': 'DOUBLE'}")


def _header(paths: str | Path | list[Path]) -> set[str] | None:
    """Column names of one plain CSV file, read from its first line (no DuckDB sniffing pass); None otherwise."""
    items = paths if isinstance(paths, list) else [paths]
    path = Path(items[0])
    if len(items) != 1 or path.suffix.lower() != ".csv" or any(ch in str(path) for ch in "*?["):
        return None
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        return set(next(csv.reader([fh.readline()]), []))


def _connect(source: str, paths: str | Path | list[Path]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")   # the scan's temp table need not keep file order
    cols = _header(paths)
    if cols is None or not set(NEEDED) <= cols:
        try:
            cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        except duckdb.Error as exc:
            raise DataError(f"cannot read chain files: {str(exc).splitlines()[0]}", where=str(paths),
                            hint="CSV or Parquet in putwheel's chain schema") from None
    missing = [c for c in NEEDED if c not in cols]
    if missing:
        raise DataError(f"chain files lack columns {missing}", where=str(paths), hint="see putwheel.data.schema.COLUMNS")
    return con


# The one scan over the files, into temp table `g`. The symbol's rows are folded two ways: (quote_time, spot)
# with a count, for the daily median spot; and the puts quoted inside their own monthly cycle (expiry = a roll
# date, quoted from the roll before it up to the day before it; table `win`). Time zones are converted once per
# distinct quote_time, not per file row. Exact mode compares instants; text mode (CSV) compares the ISO date at
# the start of `quote_time` against windows one day wider, and `near` says whether that was safe: that prefix is
# an ISO date within a day of the New York date, for every distinct quote_time of the symbol (table `d`).
# Rows outside the exact windows are dropped afterwards, by the same join as the two-pass original.
_SCAN = """
CREATE OR REPLACE TEMP TABLE g AS
SELECT c.qt, c.spot, w.expiry AS cyc_expiry, CASE WHEN w.expiry IS NULL THEN NULL ELSE c.strike END AS strike,
    CASE WHEN w.expiry IS NULL THEN NULL ELSE c.bid END AS bid,
    CASE WHEN w.expiry IS NULL THEN NULL ELSE c.ask END AS ask, count(*) AS n
FROM (SELECT {key} AS qt, {day} AS qday, CAST(spot AS DOUBLE) AS spot,
        upper(left(CAST("right" AS VARCHAR), 1)) = 'P' AS is_put, CAST(expiry AS DATE) AS expiry,
        CAST(strike AS DOUBLE) AS strike, CAST(bid AS DOUBLE) AS bid, CAST(ask AS DOUBLE) AS ask
      FROM {source} WHERE upper(CAST(underlying AS VARCHAR)) = $symbol) c
LEFT JOIN win w ON c.is_put AND c.expiry = w.expiry AND c.qday >= w.lo AND c.qday < w.hi
GROUP BY ALL
"""
_DAYS = """
CREATE OR REPLACE TEMP TABLE d AS
SELECT qt, CAST(CAST(qt AS TIMESTAMPTZ) AT TIME ZONE 'America/New_York' AS DATE) AS quote_date, {near} AS near
FROM (SELECT DISTINCT qt FROM g)
"""
_EXACT = {"key": "CAST(quote_time AS TIMESTAMPTZ)", "day": "CAST(quote_time AS TIMESTAMPTZ)", "near": "true"}
_TEXT = {"key": "quote_time", "day": "left(quote_time, 10)",
         "near": "coalesce(strftime(TRY_CAST(left(qt, 10) AS DATE), '%Y-%m-%d') = left(qt, 10) AND abs(date_diff("
                 "'day', TRY_CAST(left(qt, 10) AS DATE), CAST(CAST(qt AS TIMESTAMPTZ) AT TIME ZONE "
                 "'America/New_York' AS DATE))) <= 1, false)"}


def _scan(con: duckdb.DuckDBPyConnection, source: str, symbol: str, start: date, end: date,
          text: bool) -> pd.DataFrame:
    """Fill `g`; return its spot rows (quote_date, near, spot, n)."""
    rolls = roll_dates(start, end)
    if text:
        one = pd.Timedelta(days=1)
        lo, hi = (rolls[:-1] - one).strftime("%Y-%m-%d"), (rolls[1:] + one).strftime("%Y-%m-%d")
    else:
        lo, hi = rolls[:-1].tz_localize(NY), rolls[1:].tz_localize(NY)
    con.register("win", pd.DataFrame({"expiry": rolls[1:].date, "lo": lo, "hi": hi}))
    mode = _TEXT if text else _EXACT
    con.execute(_SCAN.format(source=source, **mode), {"symbol": symbol})
    con.execute(_DAYS.format(**mode))
    return con.execute("""SELECT d.quote_date, d.near, g.spot, sum(g.n) AS n FROM g JOIN d USING (qt)
        GROUP BY d.quote_date, d.near, g.qt, g.spot""").df()


@dataclass(frozen=True)
class _Puts:
    """The fast path's scan: per run of equal (quote_time, spot) text its NY quote day (days since 1970-01-01) and
    its (quote_time, spot) group; per candidate put its run, expiry day, strike, bid and ask."""

    run_day: np.ndarray
    run_group: np.ndarray
    run: np.ndarray
    expiry: np.ndarray
    strike: np.ndarray
    bid: np.ndarray
    ask: np.ndarray


_TZ: list[duckdb.DuckDBPyConnection] = []     # one in-memory DuckDB for the time-zone query (a cursor per call)
_TZ_LOCK = threading.Lock()
_OVERLAP = 1 << 16     # the longest line a chunk boundary search accepts
_CHUNK = 1 << 23       # at least this many bytes per thread
_CAP = 1 << 18         # rows per output array of one kernel call (a full call resumes in a new one)


def _fast_fold(paths: str | Path | list[Path], symbol: str, start: date,
               end: date) -> tuple[pd.DataFrame, _Puts] | None:
    """One plain CSV file scanned by the numba kernel (`_csvscan`), one thread per chunk; None when the file or a
    value in it is outside the kernel's grammar, or a quote_time date prefix is not within a day of its New York
    date: the DuckDB reader then runs (same results, tested)."""
    if isinstance(paths, list):
        if len(paths) != 1:
            return None
        paths = paths[0]
    path = Path(paths)
    if path.suffix.lower() != ".csv" or any(ch in str(path) for ch in "*?[") or not symbol.isascii():
        return None
    with path.open("rb") as fh:
        first = fh.readline()
        size = os.fstat(fh.fileno()).st_size
        if b'"' in first or not first.endswith(b"\n"):
            return None
        try:
            names = first.decode("utf-8").rstrip("\r\n").split(",")
        except UnicodeDecodeError:
            return None
        if not set(NEEDED) <= set(names) or any(names.count(c) > 1 for c in NEEDED):
            return None
        cols = np.array([names.index(c) for c in
                         ("underlying", "spot", "right", "expiry", "strike", "bid", "ask", "quote_time")], np.int64)
        rolls = roll_dates(start, end).to_numpy().astype("datetime64[D]").astype(np.int64)
        base = int(rolls[1]) if len(rolls) > 1 else 0
        lo = np.zeros(int(rolls[-1]) - base + 1 if len(rolls) > 1 else 0, np.int64)
        hi = lo.copy()
        lo[rolls[1:] - base], hi[rolls[1:] - base] = rolls[:-1] - 1, rolls[1:] + 1
        sym = np.frombuffer(symbol.encode("ascii"), np.uint8)
        head = len(first)
        if size <= head:
            return None
        # mapped, not copied: the page cache is the buffer (a copy of 165 MB costs more than the scan's share)
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return _fast_rest(mm, size, head, len(names), cols, sym, base, lo, hi)
    finally:
        mm.close()


def _scan_chunks(mm: mmap.mmap, size: int, head: int, ncols: int, cols: np.ndarray, sym: np.ndarray, base: int,
                 lo: np.ndarray, hi: np.ndarray) -> list[tuple] | None:
    """The kernel on the mapped file, split at line breaks into one chunk per CPU (each at least `_CHUNK`)."""
    buf = np.frombuffer(mm, np.uint8)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    n = max(1, min(cpus, (size - head) // _CHUNK))
    edges = [head]
    for i in range(1, n):
        at = head + (size - head) * i // n
        nl = np.flatnonzero(buf[at: at + _OVERLAP] == 10)
        if not len(nl):
            return None
        edges.append(at + int(nl[0]) + 1)
    edges.append(size)

    def scan(i: int) -> list[tuple]:
        out, pos = [], edges[i]
        while True:
            part = _csvscan.scan_chunk(buf, pos, edges[i + 1], ncols, cols, sym, base, lo, hi, _csvscan.POW10, _CAP)
            out.append(part)
            if part[0] != _csvscan.FULL:
                return out
            pos = part[1]

    if n == 1:
        parts = scan(0)
    else:
        with ThreadPoolExecutor(n) as pool:
            parts = [part for chunk in pool.map(scan, range(n)) for part in chunk]
    return parts if all(p[0] in (_csvscan.OK, _csvscan.FULL) for p in parts) else None


def _fast_rest(mm: mmap.mmap, size: int, head: int, ncols: int, cols: np.ndarray, sym: np.ndarray, base: int,
               lo: np.ndarray, hi: np.ndarray) -> tuple[pd.DataFrame, _Puts] | None:
    parts = _scan_chunks(mm, size, head, ncols, cols, sym, base, lo, hi)
    if parts is None:
        return None
    off, ln, spot, cnt, c_run, c_exp, c_k, c_bid, c_ask = (np.concatenate([p[j] for p in parts]) for j in range(2, 11))
    shift = np.cumsum([0] + [len(p[2]) for p in parts[:-1]])
    c_shift = np.cumsum([0] + [len(p[6]) for p in parts[:-1]])
    c_run = c_run + np.repeat(shift, [len(p[6]) for p in parts])
    # numbers longer than the kernel parses exactly: Python's float on the same text
    targets = (spot, c_k, c_bid, c_ask)
    for p, r0, c0 in zip(parts, shift.tolist(), c_shift.tolist(), strict=True):
        for kind, row, a, b in zip(*(p[j].tolist() for j in range(11, 15)), strict=True):
            targets[kind][row + (r0 if kind == 0 else c0)] = float(mm[a:b])
    qid: dict[bytes, int] = {}
    try:
        run_q = np.array([qid.setdefault(mm[o: o + m], len(qid)) for o, m in zip(off.tolist(), ln.tolist(),
                                                                                 strict=True)], dtype=np.int64)
        texts = [q.decode("utf-8") for q in qid]
    except UnicodeDecodeError:
        return None
    try:       # the DuckDB text mode's New York date and `near` test, once per distinct quote_time
        with _TZ_LOCK:
            if not _TZ:
                _TZ.append(duckdb.connect())
            con = _TZ[0].cursor()
        days = con.execute(f"""SELECT CAST(CAST(qt AS TIMESTAMPTZ) AT TIME ZONE '{NY}' AS DATE) AS quote_date,
            {_TEXT['near']} AS near FROM (SELECT unnest($1::VARCHAR[]) AS qt)""", [texts]).df()
        con.close()
    except duckdb.Error:
        return None
    if not len(days) or not days["near"].to_numpy(dtype=bool).all():
        return None
    qday = pd.DatetimeIndex(days["quote_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    spots = pd.DataFrame({"quote_date": days["quote_date"].to_numpy()[run_q], "near": True, "spot": spot, "n": cnt})
    # (quote_time, spot) groups: runs with equal text share one; spot compared as parsed (NaN = NULL, one group)
    codes, uniq = pd.factorize(spot, use_na_sentinel=False)
    group = pd.factorize(run_q * (len(uniq) + 1) + codes)[0]
    puts = _Puts(run_day=qday[run_q], run_group=group, run=c_run, expiry=c_exp, strike=c_k, bid=c_bid, ask=c_ask)
    return spots, puts


def _writes_fast(days: pd.DatetimeIndex, spot: np.ndarray, puts: _Puts) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`_writes` and the marks query on the fast path's puts (`_csvscan.select`): the same rules, the same frames."""
    rolls = roll_dates(days[0].date(), days[-1].date())
    here = np.flatnonzero(rolls[:-1].isin(days))
    if not len(here):
        raise InputError("the chain files span no full monthly cycle", where="chains", hint="give more quote days")
    w_ts, e_ts = rolls[here], rolls[here + 1]
    w = w_ts.to_numpy().astype("datetime64[D]").astype(np.int64)
    e = e_ts.to_numpy().astype("datetime64[D]").astype(np.int64)
    p_spot = spot[days.get_indexer(w_ts)]
    slot = np.full(int(e[-1] - e[0]) + 1, -1, np.int64)    # pair of each expiry day (pair expiries are distinct)
    slot[e - e[0]] = np.arange(len(e))
    cand, pair, best = _csvscan.select(puts.run_day, puts.run, puts.expiry, puts.strike, puts.bid, puts.ask, slot,
                                       int(e[0]), w, e, p_spot)
    if (best < 0).any():
        missing = int(np.flatnonzero(best < 0)[0])
        raise DataError(f"no quoted put at or below spot for the expiry after {w_ts[missing].date()}", where="chains",
                        hint="the files must hold the monthly expiry's puts on every roll day")
    unit = "datetime64[us]"
    k = puts.strike
    cyc = pd.DataFrame({"write_date": w_ts.to_numpy().astype(unit), "expiry": e_ts.to_numpy().astype(unit),
                        "spot": p_spot, "strike": k[best], "bid": puts.bid[best], "ask": puts.ask[best]})
    # every quote of the sold contracts through expiry, equal rows once (as the DuckDB path's fold)
    keep = k[cand] == k[best][pair]
    rows, rpair = cand[keep], pair[keep]
    run = puts.run[rows]
    marks = pd.DataFrame({"group": puts.run_group[run], "expiry": puts.expiry[rows], "strike": k[rows],
                          "bid": puts.bid[rows], "ask": puts.ask[rows], "quote_date": puts.run_day[run],
                          "write_date": w[rpair]}).drop_duplicates(["group", "expiry", "strike", "bid", "ask"])
    marks = pd.DataFrame({"quote_date": marks["quote_date"].to_numpy().astype("datetime64[D]").astype(unit),
                          "write_date": marks["write_date"].to_numpy().astype("datetime64[D]").astype(unit),
                          "mid": (marks["bid"].to_numpy() + marks["ask"].to_numpy()) / 2})
    return cyc, marks


def _fold(paths: str | Path | list[Path], symbol: str, start: date,
          end: date) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """The folded scan: text mode on CSV when every quote_time allows it, else (or on any failure) exact."""
    exact, fast = _sources(paths)
    con = _connect(exact, paths)
    if fast is not None:
        try:
            spots = _scan(con, fast, symbol, start, end, text=True)
            if len(spots) and spots["near"].to_numpy(dtype=bool).all():
                return con, spots
        except duckdb.Error:
            pass
    try:
        return con, _scan(con, exact, symbol, start, end, text=False)
    except duckdb.Error as exc:
        raise DataError(f"cannot read chain files: {str(exc).splitlines()[0]}", where=str(paths),
                        hint="CSV or Parquet in putwheel's chain schema") from None


def _daily_spot(groups: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Median spot per quote day from (day, spot, count) groups: DuckDB's `median` (the mean of the two middle
    values, as lo + (hi - lo) / 2, when the count is even); NaN where a day has no spot."""
    g = groups.sort_values(["quote_date", "spot"], kind="stable")
    day = pd.DatetimeIndex(pd.to_datetime(g["quote_date"])).as_unit("us")
    days = day.unique()
    d = days.get_indexer(day)
    ok = g["spot"].notna().to_numpy()
    val = g["spot"].to_numpy(dtype=float)[ok]
    cnt = g["n"].to_numpy(dtype=np.int64)[ok]
    total = np.bincount(d[ok], weights=cnt, minlength=len(days)).astype(np.int64)
    cum = np.cumsum(cnt)
    base = np.concatenate([[0], np.cumsum(total)[:-1]])
    has = total > 0
    lo_pos = base + (total - 1) // 2
    hi_pos = base + total // 2
    lo = val[np.minimum(np.searchsorted(cum, lo_pos, side="right"), len(val) - 1)] if len(val) else np.zeros(len(days))
    hi = val[np.minimum(np.searchsorted(cum, hi_pos, side="right"), len(val) - 1)] if len(val) else np.zeros(len(days))
    med = np.where(total % 2 == 1, lo, lo + (hi - lo) * 0.5)
    return days, np.where(has, med, np.nan)


def _writes(con: duckdb.DuckDBPyConnection, days: pd.DatetimeIndex, spot: np.ndarray) -> pd.DataFrame:
    """Roll days (monthly expiries that are quote days) with the next expiry and the put at or below spot."""
    rolls = roll_dates(days[0].date(), days[-1].date())
    here = np.flatnonzero(rolls[:-1].isin(days))
    pairs = pd.DataFrame({"write_date": rolls[here].date, "expiry": rolls[here + 1].date})
    if pairs.empty:
        raise InputError("the chain files span no full monthly cycle", where="chains", hint="give more quote days")
    pairs["spot"] = spot[days.get_indexer(pd.DatetimeIndex(pairs["write_date"]))]
    con.register("pairs", pairs)
    # Every put that could be written (at or within 10 % below the write-day spot) with its quotes through expiry;
    # choosing the strike and marking it then run on this small table.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE cand AS
        SELECT p.write_date, p.expiry, p.spot, c.quote_date, c.strike, c.bid, c.ask
        FROM (SELECT d.quote_date, g.* FROM g JOIN d USING (qt) WHERE g.cyc_expiry IS NOT NULL) c
        JOIN pairs p ON c.cyc_expiry = p.expiry AND c.quote_date >= p.write_date AND c.quote_date < p.expiry
        WHERE c.strike <= p.spot AND c.strike >= 0.9 * p.spot""")
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
