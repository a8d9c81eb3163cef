"""Chain files: our own CSV/Parquet, Cboe DataShop EOD, OptionsDX EOD, and JSON from Cboe, Yahoo and TDA/Schwab.

Stages: sniff the format from the extension and the first bytes/header → a format reader builds the raw
schema-named frame → `normalize_chain` validates it → `flag_quality` marks untrustworthy quotes. Every failure,
including a truncated or corrupted file, is a `DataError` naming the file (and row/column where known).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from putwheel.data.quality import QualityPolicy, flag_quality
from putwheel.data.schema import COLUMNS, NY, OPTIONAL, normalize_chain
from putwheel.domain.errors import DataError, PutwheelError

FORMATS = ("ours", "datashop", "optionsdx", "cboe", "yahoo", "tda")


@contextmanager
def _reading(source: str) -> Iterator[None]:
    """Any parser failure on a malformed file becomes a DataError naming the file, never a traceback."""
    try:
        yield
    except PutwheelError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the file: {exc}", where=source) from None
    except Exception as exc:  # pandas/pyarrow/json raise many types on corrupt input
        raise DataError(f"malformed file ({type(exc).__name__}: {str(exc)[:160]})", where=source,
                        hint="is the file complete and in one of the formats: " + ", ".join(FORMATS) + "?") from None


def _head(path: Path) -> bytes:
    """The first 4 kB of the file, or of the single CSV inside a zip (DataShop ships one zipped CSV per day)."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            if len(names) != 1:
                raise DataError(f"the zip holds {len(names)} files; expected exactly one chain CSV", where=str(path))
            with zf.open(names[0]) as fh:
                return fh.read(4096)
    with path.open("rb") as fh:
        return fh.read(4096)


def sniff(path: Path) -> str:
    """Which reader a file needs, from its extension and its first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "ours"
    head = _head(path).decode("utf-8-sig", errors="replace").lstrip()
    first = head.splitlines()[0] if head else ""
    if "[QUOTE_" in first.upper():
        return "optionsdx"
    if head.startswith(("{", "[")):
        if "callExpDateMap" in head or "putExpDateMap" in head:
            return "tda"
        if "optionChain" in head or "contractSymbol" in head:
            return "yahoo"
        return "cboe"
    if "underlying_symbol" in first and "_1545" in first:
        return "datashop"
    return "ours"


# -- our own schema -------------------------------------------------------------------------------------------

def _ours(path: Path, source: str) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"occ_symbol": str, "underlying": str, "right": str, "quality": str},
                       keep_default_na=True)


def write_chain(chain: pd.DataFrame, path: Path) -> Path:
    """Write a normalized chain as Parquet (or CSV by extension); `read_chain` reads it back unchanged."""
    cols = [c for c in chain.columns if c in COLUMNS or c in OPTIONAL]
    if path.suffix.lower() == ".csv":
        chain[cols].to_csv(path, index=False)
    else:
        chain[cols].to_parquet(path, index=False)
    return path


# -- Cboe DataShop "Option EOD Summary (with Calcs)" ---------------------------------------------------------

DATASHOP_NEEDED = ("underlying_symbol", "quote_date", "root", "expiration", "strike", "option_type",
                   "bid_1545", "ask_1545", "underlying_bid_1545", "underlying_ask_1545")


def _datashop(path: Path, source: str) -> pd.DataFrame:
    raw = pd.read_csv(path, skipinitialspace=True)
    raw.columns = [str(c).strip().strip('"') for c in raw.columns]
    missing = [c for c in DATASHOP_NEEDED if c not in raw]
    if missing:
        raise DataError(f"DataShop file lacks column(s) {', '.join(missing)}", where=source)

    def num(col: str) -> pd.Series:
        return pd.to_numeric(raw[col], errors="coerce") if col in raw else pd.Series(np.nan, index=raw.index)

    active = num("active_underlying_price_1545")
    spot = active.where(active > 0, (num("underlying_bid_1545") + num("underlying_ask_1545")) / 2)
    quote_day = pd.to_datetime(raw["quote_date"], errors="coerce", format="mixed")
    traded = num("trade_volume") > 0
    # The "1545" snapshot: DataShop's IV and greeks are computed from it (12:45 on half days, same column name).
    return pd.DataFrame({
        "underlying": raw["underlying_symbol"].astype(str).str.strip(), "root": raw["root"].astype(str).str.strip(),
        "spot": spot, "expiry": pd.to_datetime(raw["expiration"], errors="coerce", format="mixed"),
        "strike": num("strike"), "right": raw["option_type"],
        "bid": num("bid_1545"), "ask": num("ask_1545"), "last": num("close").where(traded & (num("close") > 0)),
        "volume": num("trade_volume"), "open_interest": num("open_interest"),
        "iv": num("implied_volatility_1545").where(num("implied_volatility_1545") > 0),
        "delta": num("delta_1545"), "gamma": num("gamma_1545"), "theta": num("theta_1545"), "vega": num("vega_1545"),
        "quote_time": quote_day.dt.normalize() + pd.Timedelta(hours=15, minutes=45),
        "source": "cboe datashop eod",
    })


# -- OptionsDX EOD (wide: call and put on one row, bracketed headers) ----------------------------------------

def _optionsdx(path: Path, source: str) -> pd.DataFrame:
    raw = pd.read_csv(path, skipinitialspace=True, dtype=str)
    raw.columns = [str(c).strip().strip("[]").upper() for c in raw.columns]
    needed = ("QUOTE_UNIXTIME", "UNDERLYING_LAST", "EXPIRE_DATE", "STRIKE", "C_BID", "C_ASK", "P_BID", "P_ASK")
    missing = [c for c in needed if c not in raw]
    if missing:
        raise DataError(f"OptionsDX file lacks column(s) {', '.join(missing)}", where=source)
    if raw.empty:
        raise DataError("the chain is empty (header only, no option rows)", where=source)
    underlying = path.name.split("_")[0].upper()

    def num(col: str) -> pd.Series:
        if col not in raw:
            return pd.Series(np.nan, index=raw.index)
        return pd.to_numeric(raw[col].str.strip().replace("", None), errors="coerce")

    def side(p: str, right: str) -> pd.DataFrame:
        return pd.DataFrame({
            "underlying": underlying, "spot": num("UNDERLYING_LAST"),
            "expiry": pd.to_datetime(raw["EXPIRE_DATE"].str.strip(), errors="coerce", format="mixed"),
            "strike": num("STRIKE"), "right": right, "bid": num(f"{p}_BID"), "ask": num(f"{p}_ASK"),
            "last": num(f"{p}_LAST").where(num(f"{p}_LAST") > 0), "volume": num(f"{p}_VOLUME"),
            "iv": num(f"{p}_IV").where(num(f"{p}_IV") > 0), "delta": num(f"{p}_DELTA"), "gamma": num(f"{p}_GAMMA"),
            "theta": num(f"{p}_THETA"), "vega": num(f"{p}_VEGA"),
            "quote_time": pd.to_datetime(num("QUOTE_UNIXTIME"), unit="s", utc=True),
            "source": "optionsdx eod",
        })
    return pd.concat([side("P", "P"), side("C", "C")], ignore_index=True)


# -- dispatcher -----------------------------------------------------------------------------------------------

def _json_reader(kind: str) -> Callable[[Any, str, date | None], pd.DataFrame]:
    if kind == "cboe":
        from putwheel.data.cboe import cboe_frame
        return cboe_frame
    if kind == "tda":
        from putwheel.data.tda import tda_frame
        return lambda doc, source, as_of: tda_frame(doc, source)
    from putwheel.data.yfinance import yahoo_json_frame
    return yahoo_json_frame


def read_chain_frame(path: str | Path, as_of: date | None = None, fmt: str | None = None,
                     spot: float | None = None) -> pd.DataFrame:
    """The normalized chain (not yet quality-flagged) from a file in any supported format."""
    p = Path(path)
    source = str(p)
    if not p.is_file():
        raise DataError("no such file", where=source, hint="give a path to a chain file: --source file:PATH")
    if fmt is not None and fmt not in FORMATS:
        raise DataError(f"unknown chain format {fmt!r}", where=source, hint="one of " + ", ".join(FORMATS))
    with _reading(source):
        kind = fmt or sniff(p)
        if kind in ("cboe", "tda", "yahoo"):
            doc = json.loads(p.read_text(encoding="utf-8-sig"))
            raw = _json_reader(kind)(doc, source, as_of)
        else:
            raw = {"ours": _ours, "datashop": _datashop, "optionsdx": _optionsdx}[kind](p, source)
        if spot is not None:
            raw["spot"] = spot
        return normalize_chain(raw, source, as_of)


def read_chain(path: str | Path, as_of: date | None = None, fmt: str | None = None,
               policy: QualityPolicy | None = None, spot: float | None = None) -> pd.DataFrame:
    """Read, validate and quality-flag a chain file. `spot` overrides the file's underlying price when given."""
    return flag_quality(read_chain_frame(path, as_of, fmt, spot), policy)


def quote_date(chain: pd.DataFrame) -> date:
    """The snapshot's trading date in New York (the latest quote time)."""
    return pd.Timestamp(chain["quote_time"].max()).tz_convert(NY).date()
