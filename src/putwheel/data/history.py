"""Daily series from public sources into a local cache: Cboe index CSVs, FRED CSVs, yfinance history.

Stages: a series spec (`cboe:VIX`, `fred:DTB3`, `yf:SPY`) → download (`data.http`, retry + backoff; no network →
`DataError`, the cache stays usable) → parse and validate the text (`parse_cboe_index_csv`, `parse_fred_csv`) →
one Parquet file per series in the cache directory (platformdirs user data dir, or `$PUTWHEEL_CACHE`), with its
source, URL and fetch time in the file's metadata → `list_cached` reads only that metadata.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from putwheel.data.http import get_with_retry
from putwheel.domain.errors import DataError

CACHE_ENV = "PUTWHEEL_CACHE"
CBOE_URL = "https://cdn.cboe.com/api/global/us_indices/daily_prices/{symbol}_History.csv"
FRED_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}"
PROVIDERS = ("cboe", "fred", "yf")
META_KEY = b"putwheel"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where fetched series live: `$PUTWHEEL_CACHE`, else the platform's user data dir (`…/putwheel/cache`)."""
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV]).expanduser()
    import platformdirs
    return Path(platformdirs.user_data_dir("putwheel", appauthor=False)) / "cache"


@dataclass(frozen=True)
class SeriesSpec:
    provider: str
    symbol: str

    @classmethod
    def parse(cls, text: str) -> SeriesSpec:
        provider, _, symbol = text.strip().partition(":")
        provider = provider.lower()
        if provider not in PROVIDERS or not symbol.strip():
            raise DataError(f"unknown series {text!r}", where="data fetch",
                            hint="use cboe:VIX (Cboe index CSV), fred:DTB3 (FRED series) or yf:SPY (yfinance history)")
        return cls(provider, symbol.strip().upper())

    @property
    def name(self) -> str:
        return f"{self.provider}:{self.symbol}"

    @property
    def filename(self) -> str:
        return f"{self.provider}_{self.symbol.replace('^', 'IDX_').replace('/', '_')}.parquet"


@dataclass(frozen=True)
class CachedSeries:
    name: str
    source: str
    url: str
    rows: int
    first: date
    last: date
    fetched_at: str
    path: Path


def _dated(frame: pd.DataFrame, date_col: str, source: str, fmt: str | None) -> pd.DataFrame:
    dates = pd.to_datetime(frame[date_col].astype(str).str.strip(), format=fmt, errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise DataError(f"{frame[date_col].iloc[bad[0]]!r} is not a date", where=f"{source}, row {bad[0]}, column {date_col!r}")
    out = frame.drop(columns=[date_col]).set_axis(pd.DatetimeIndex(dates, name="date"), axis=0)
    if out.index.has_duplicates:
        raise DataError(f"duplicate date {out.index[out.index.duplicated()][0].date()}", where=source)
    return out.sort_index()


def _read_text(text: str, source: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), skip_blank_lines=True, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"cannot parse CSV: {str(exc)[:160]}", where=source) from None
    if frame.empty or frame.shape[1] < 2:
        raise DataError("no data rows (or fewer than 2 columns)", where=source, hint="is this the provider's CSV?")
    frame.columns = [str(c).strip().strip('"') for c in frame.columns]
    return frame


def _numeric(frame: pd.DataFrame, source: str, missing: tuple[str, ...] = ()) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        text = frame[col].astype(str).str.strip()
        values = pd.to_numeric(text.where(~text.isin(missing)), errors="coerce")
        bad = np.flatnonzero((values.isna() & ~text.isin(missing) & frame[col].notna()).to_numpy())
        if bad.size:
            raise DataError(f"{frame[col].iloc[bad[0]]!r} is not a number", where=f"{source}, row {bad[0]}, column {col!r}")
        out[str(col).lower()] = values.to_numpy(dtype=float)
    return pd.DataFrame(out, index=frame.index)


def parse_cboe_index_csv(text: str, source: str) -> pd.DataFrame:
    """Cboe `{SYM}_History.csv`: `DATE,OPEN,HIGH,LOW,CLOSE` (or `DATE,<SYM>`), MM/DD/YYYY; BOM and CRLF tolerated."""
    frame = _read_text(text, source)
    if frame.columns[0].upper() != "DATE":
        raise DataError(f"first column is {frame.columns[0]!r}, not DATE", where=source, hint="expected DATE,OPEN,HIGH,LOW,CLOSE")
    out = _numeric(_dated(frame, frame.columns[0], source, "%m/%d/%Y"), source)
    if "close" not in out:
        out = out.rename(columns={out.columns[-1]: "close"})
    return out


def parse_fred_csv(text: str, source: str) -> pd.DataFrame:
    """FRED `fredgraph.csv`: a date column (`DATE` or `observation_date`) and one series column; "." = missing."""
    frame = _read_text(text, source)
    out = _numeric(_dated(frame, frame.columns[0], source, "%Y-%m-%d"), source, missing=(".", ""))
    return out.rename(columns={out.columns[0]: "value"})


def _download(spec: SeriesSpec, session: Any, ticker: Any, start: date, end: date) -> tuple[pd.DataFrame, str, str]:
    if spec.provider == "yf":
        from putwheel.data.yfinance import YFinanceProvider
        hist = YFinanceProvider(ticker=ticker).history(spec.symbol, start, end)
        return hist, "yfinance history (auto_adjust=False)", f"yfinance:{spec.symbol}"
    url = (CBOE_URL if spec.provider == "cboe" else FRED_URL).format(symbol=spec.symbol, series=spec.symbol)
    resp = get_with_retry(url, spec.provider, session=session)
    if resp.status_code != 200:
        raise DataError(f"unknown series {spec.name} (HTTP {resp.status_code})", where=url, hint="check the symbol")
    parse = parse_cboe_index_csv if spec.provider == "cboe" else parse_fred_csv
    label = "Cboe index history CSV" if spec.provider == "cboe" else "FRED series CSV"
    return parse(resp.text, url), label, url


def store(frame: pd.DataFrame, spec: SeriesSpec, source: str, url: str, fetched_at: datetime, root: Path) -> CachedSeries:
    """Write one series as Parquet with its provenance in the file metadata."""
    root.mkdir(parents=True, exist_ok=True)
    first, last = frame.index.min().date(), frame.index.max().date()
    meta = {"name": spec.name, "source": source, "url": url, "rows": len(frame), "first": first.isoformat(),
            "last": last.isoformat(), "fetched_at": fetched_at.isoformat(timespec="seconds")}
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    path = root / spec.filename
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)  # atomic: a failed fetch never leaves half a file in the cache
    return CachedSeries(spec.name, source, url, len(frame), first, last, meta["fetched_at"], path)


def fetch(specs: list[str], start: date, end: date, fetched_at: datetime, root: Path | None = None, session: Any = None,
          ticker: Any = None, progress: Callable[[str, int, int], None] | None = None) -> list[CachedSeries]:
    """Download each series into the cache; a failure raises `DataError` after the earlier ones are stored.

    `session` (an HTTP session) and `ticker` (a yfinance Ticker factory) are for tests; None means the real ones.
    """
    parsed = [SeriesSpec.parse(s) for s in specs]
    root = root or cache_dir()
    done: list[CachedSeries] = []
    for i, spec in enumerate(parsed):
        if progress:
            progress(spec.name, i, len(parsed))
        frame, source, url = _download(spec, session, ticker, start, end)
        done.append(store(frame, spec, source, url, fetched_at, root))
    if progress:
        progress("done", len(parsed), len(parsed))
    return done


def list_cached(root: Path | None = None) -> list[CachedSeries]:
    """Everything in the cache, from Parquet metadata only; unreadable files are skipped, not fatal."""
    root = root or cache_dir()
    out = []
    for path in sorted(root.glob("*.parquet")) if root.is_dir() else []:
        try:
            meta = json.loads(pq.read_schema(path).metadata[META_KEY])
            out.append(CachedSeries(meta["name"], meta["source"], meta["url"], int(meta["rows"]),
                                    date.fromisoformat(meta["first"]), date.fromisoformat(meta["last"]),
                                    meta["fetched_at"], path))
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            continue
    return out


def load_cached(name: str, root: Path | None = None) -> pd.DataFrame:
    """One cached series as a date-indexed frame."""
    spec = SeriesSpec.parse(name)
    path = (root or cache_dir()) / spec.filename
    if not path.is_file():
        raise DataError(f"{spec.name} is not in the cache", where=str(path), hint=f"run: putwheel data fetch {spec.name}")
    try:
        return pd.read_parquet(path).set_index("date")
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DataError(f"cached file is unreadable: {exc}", where=str(path), hint="fetch it again") from None
