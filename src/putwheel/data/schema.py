"""The one normalized option-chain frame every provider and file reader produces, and its entry validation.

Stages: a reader builds a raw frame with the schema's column names → `normalize_chain` fills derived columns
(mid, dte, occ_symbol, multiplier), coerces dtypes and drops nothing → `validate_chain` refuses anything a
downstream step could not trust, naming the source, the row and the column → `data.quality.flag_quality`
marks (does not drop) quotes that should not be believed and recomputes garbage IVs.

One row per contract per snapshot. Prices are per share; `iv` is a fraction (0.31 = 31 %); `expiry` is a
midnight `datetime64[ns]` (a calendar date); `quote_time` is tz-aware UTC; `right` is "P" or "C"; `occ_symbol`
is the padded 21-character OSI symbol (`putwheel.domain.contract`); missing numbers are NaN, never 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from putwheel.domain.errors import DataError

REQUIRED = ("underlying", "spot", "expiry", "strike", "right", "bid", "ask", "quote_time")
FLOAT_COLUMNS = ("spot", "strike", "bid", "ask", "mid", "last", "volume", "open_interest", "iv")
GREEKS = ("delta", "gamma", "theta", "vega")
COLUMNS = (
    "underlying", "spot", "expiry", "strike", "right", "bid", "ask", "mid", "last", "volume", "open_interest",
    "iv", "dte", "occ_symbol", "multiplier", "quote_time", *GREEKS, "quality",
)
# Carried when a source has them: the OSI root (SPXW vs SPX), the provider's own IV before any recompute,
# the time of the last trade (for the stale-last flag), the source's name and the underlying's 30-day IV.
OPTIONAL = ("root", "iv_provider", "last_trade_time", "source", "iv30")
NY = "America/New_York"


def _fail(source: str, message: str, row: int | None = None, column: str | None = None, hint: str | None = None) -> DataError:
    parts = [source]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    return DataError(message, where=", ".join(parts), hint=hint)


def _first_bad(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def _to_float(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    series = df[col]
    if series.dtype.kind in "fiub":
        return series.to_numpy(dtype=float)
    coerced = pd.to_numeric(series, errors="coerce")
    bad = coerced.isna().to_numpy() & series.notna().to_numpy() & (series.astype(str).str.strip() != "").to_numpy()
    row = _first_bad(bad)
    if row is not None:
        raise _fail(source, f"{series.iloc[row]!r} is not a number", row, col)
    return coerced.to_numpy(dtype=float)


def _to_expiry(values: pd.Series, source: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        return out.dt.normalize().astype("datetime64[ns]")
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    row = _first_bad(parsed.isna().to_numpy())
    if row is not None:
        raise _fail(source, f"{values.iloc[row]!r} is not an expiry date", row, "expiry", hint="use YYYY-MM-DD")
    return parsed.dt.normalize().astype("datetime64[ns]")


def _to_utc(values: pd.Series, source: str, column: str) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values
    else:
        try:
            parsed = pd.to_datetime(values, errors="coerce", utc=False, format="mixed")
        except (ValueError, TypeError):  # mixed time zones in one column
            parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(NY, ambiguous="NaT", nonexistent="NaT")  # naive times are exchange time
    if column == "quote_time":
        row = _first_bad(parsed.isna().to_numpy())
        if row is not None:
            raise _fail(source, f"{values.iloc[row]!r} is not a timestamp", row, column)
    return parsed.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def categorical(values: pd.Series, fn: Callable[[pd.Series], pd.Series] | None = None) -> pd.Series:
    """A text column as `category`, with `fn` (a vectorized str transform) applied once per distinct value."""
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    if fn is None:
        return cat
    cats = cat.cat.categories
    if not len(cats):
        return cat
    new = fn(pd.Series(cats.astype(str), dtype=object)).to_numpy(dtype=object).astype(str)
    uniq, inverse = np.unique(new, return_inverse=True)
    codes = cat.cat.codes.to_numpy()
    remapped = np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1)
    return pd.Series(pd.Categorical.from_codes(remapped, categories=pd.Index(uniq, dtype=object)), index=values.index)


def ny_dates(stamps: pd.Series) -> np.ndarray:
    """Calendar dates in New York of UTC timestamps (`datetime64[D]`), computed once per distinct stamp."""
    codes, uniq = pd.factorize(stamps)
    days = pd.DatetimeIndex(uniq).tz_convert(NY).tz_localize(None).normalize().to_numpy().astype("datetime64[D]")
    return np.where(codes >= 0, days[np.maximum(codes, 0)] if len(days) else np.datetime64("NaT"), np.datetime64("NaT"))


def occ_symbols(root: pd.Series, expiry: pd.Series, right: pd.Series, strike: np.ndarray) -> pd.Series:
    """Padded OSI symbols, vectorized (root to 6, YYMMDD, P/C, strike × 1000 in 8 digits)."""
    exp = pd.DatetimeIndex(expiry)
    ymd = pd.Series((exp.year % 100) * 10000 + exp.month * 100 + exp.day, index=root.index).astype(str).str.zfill(6)
    strike = np.where(np.isfinite(strike) & (strike > 0) & (strike < 1e8), strike, 0.0)  # validation reports bad ones
    millis = pd.Series(np.round(strike * 1000).astype(np.int64), index=root.index).astype(str).str.zfill(8)
    roots = root.astype(str).str.lstrip("^_").str.upper().str.ljust(6)
    return roots + ymd + right.astype(str) + millis


def normalize_chain(raw: pd.DataFrame, source: str, as_of: date | None = None) -> pd.DataFrame:
    """Coerce a reader's frame to the schema: dtypes, `right`, `mid`, `dte`, `occ_symbol`, `multiplier`.

    `as_of` sets `dte`; without it the quote date in New York is used. Raises `DataError` (via
    `validate_chain`) naming `source`, row and column for anything untrustworthy.
    """
    if not isinstance(raw, pd.DataFrame) or raw.empty:
        raise _fail(source, "the chain is empty (no option rows)", hint="check the symbol, expiry and file")
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise _fail(source, f"missing column(s) {', '.join(missing)}",
                    hint=f"a chain needs {', '.join(REQUIRED)}")
    df = raw.reset_index(drop=True)  # copy-on-write: the caller's frame is never modified
    for col in ("mid", "last", "volume", "open_interest", "iv", *GREEKS):
        if col not in df:
            df[col] = np.nan
    for col in (*FLOAT_COLUMNS, *GREEKS):
        df[col] = _to_float(df, col, source)
    right = categorical(df["right"], lambda s: s.str.strip().str.upper().str[:1])
    row = _first_bad(~right.isin(["P", "C"]).to_numpy())
    if row is not None:
        raise _fail(source, f"{df['right'].iloc[row]!r} is not a put or call", row, "right", hint="use P/C or put/call")
    df["right"] = right
    df["underlying"] = categorical(df["underlying"], lambda s: s.str.strip().str.lstrip("^_").str.upper())
    df["expiry"] = _to_expiry(df["expiry"], source)
    df["quote_time"] = _to_utc(df["quote_time"], source, "quote_time")
    if "last_trade_time" in df:
        df["last_trade_time"] = _to_utc(df["last_trade_time"], source, "last_trade_time")
    bid, ask = df["bid"].to_numpy(), df["ask"].to_numpy()
    computed_mid = np.where((ask > 0) & (ask >= bid) & (bid >= 0), (bid + ask) / 2, np.nan)
    df["mid"] = np.where(np.isfinite(df["mid"].to_numpy()), df["mid"].to_numpy(), computed_mid)
    if as_of is not None:
        base = np.datetime64(as_of, "D")
        dte = (df["expiry"].to_numpy().astype("datetime64[D]") - base).astype(np.int64)
    else:
        dte = (df["expiry"].to_numpy().astype("datetime64[D]") - ny_dates(df["quote_time"])).astype(np.int64)
    df["dte"] = dte
    if "multiplier" not in df:
        df["multiplier"] = 100
    mult = _to_float(df, "multiplier", source)
    df["multiplier"] = np.where(np.isfinite(mult), mult, 100).astype(np.int64)
    df["root"] = categorical(df["root"]) if "root" in df else df["underlying"]
    if "occ_symbol" not in df or df["occ_symbol"].isna().any():
        df["occ_symbol"] = occ_symbols(df["root"], df["expiry"], df["right"], df["strike"].to_numpy())
    df["quality"] = categorical(df["quality"].fillna("") if "quality" in df else pd.Series("", index=df.index))
    if "source" in df:
        df["source"] = categorical(df["source"])
    validate_chain(df, source)
    extra = [c for c in df.columns if c not in COLUMNS]
    return df[[*COLUMNS, *extra]]


def validate_chain(df: pd.DataFrame, source: str) -> None:
    """Refuse a chain downstream code could not trust; the error names source, first bad row and column."""
    if df.empty:
        raise _fail(source, "the chain is empty (no option rows)")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise _fail(source, f"missing column(s) {', '.join(missing)}")
    checks: list[tuple[str, np.ndarray, str, str | None]] = []
    strike, spot = df["strike"].to_numpy(dtype=float), df["spot"].to_numpy(dtype=float)
    checks.append(("strike", ~(np.isfinite(strike) & (strike > 0)), "strike must be a positive number", None))
    checks.append(("spot", ~(np.isfinite(spot) & (spot > 0)), "underlying price (spot) must be a positive number",
                   "the file or provider gave no usable underlying price"))
    for col in ("bid", "ask"):
        v = df[col].to_numpy(dtype=float)
        checks.append((col, np.isfinite(v) & (v < 0), f"{col} is negative", None))
        checks.append((col, np.isinf(v), f"{col} is infinite", None))
    for col in ("last", "volume", "open_interest"):
        v = df[col].to_numpy(dtype=float)
        checks.append((col, (v < 0) | np.isinf(v), f"{col} is negative or infinite", None))
    iv = df["iv"].to_numpy(dtype=float)
    checks.append(("iv", (iv < 0) | np.isinf(iv), "implied volatility is negative or infinite", None))
    checks.append(("right", ~df["right"].isin(["P", "C"]).to_numpy(), "right must be 'P' or 'C'", None))
    checks.append(("expiry", df["expiry"].isna().to_numpy(), "expiry is missing", None))
    checks.append(("quote_time", df["quote_time"].isna().to_numpy(), "quote time is missing", None))
    checks.append(("multiplier", df["multiplier"].to_numpy() <= 0, "multiplier must be positive", None))
    for col, bad, message, hint in checks:
        row = _first_bad(bad)
        if row is not None:
            raise _fail(source, f"{message} (got {df[col].iloc[row]!r})", row, col, hint)
    # Percent units: every IV above 100 % and the median above 500 %. Garbage IVs can be most of a chain (the
    # APRN fixture's median is 4.75) but some strike near the money always has a sane one below 1.0.
    finite = iv[np.isfinite(iv) & (iv > 1e-4)]
    if finite.size >= 3 and finite.min() > 1 and np.median(finite) > 5:
        raise _fail(source, f"implied vols look like percents (median {np.median(finite):.1f})", None, "iv",
                    hint="give iv as a fraction: 0.31 for 31 %")
    exp_date = df["expiry"].to_numpy().astype("datetime64[D]")
    q_date = ny_dates(df["quote_time"])
    row = _first_bad(exp_date < q_date)
    if row is not None:
        raise _fail(source, f"expiry {exp_date[row]} is before the quote date {q_date[row]}", row, "expiry",
                    hint="expired contracts cannot be quoted; check the file's date columns")
