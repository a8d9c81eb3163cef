"""TD Ameritrade / Schwab Trader API option-chain JSON (`callExpDateMap`/`putExpDateMap`) to the chain schema.

Shape: map → "YYYY-MM-DD:DTE" → "strike" → [contract]. `volatility` is a percent (12.7 = 12.7 %) and TDA writes
-999 for "not available"; times are epoch milliseconds; TDA symbols look like `SPY_082820P340` while Schwab's are
OSI-padded, so the OSI symbol is rebuilt from the fields (`normalize_chain`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from putwheel.data.quality import QualityPolicy, flag_quality
from putwheel.data.schema import NY, normalize_chain
from putwheel.domain.errors import DataError

NUMERIC = ("bid", "ask", "last", "totalVolume", "openInterest", "volatility", "delta", "gamma", "theta", "vega",
           "strikePrice", "multiplier", "quoteTimeInLong", "tradeTimeInLong", "expirationDate")


def _contracts(doc: dict[str, Any], source: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, right in (("callExpDateMap", "C"), ("putExpDateMap", "P")):
        by_exp = doc.get(key) or {}
        if not isinstance(by_exp, dict):
            raise DataError(f"{key} is not an object", where=source)
        for exp_key, strikes in by_exp.items():
            if not isinstance(strikes, dict):
                raise DataError(f"{key}[{exp_key!r}] is not an object of strikes", where=source)
            for contracts in strikes.values():
                if not isinstance(contracts, list) or not all(isinstance(c, dict) for c in contracts):
                    raise DataError(f"{key}[{exp_key!r}] holds something that is not a list of contracts", where=source)
                for c in contracts:
                    rows.append({**c, "_right": right, "_exp_key": str(exp_key).split(":")[0]})
    return rows


def tda_frame(doc: Any, source: str = "tda") -> pd.DataFrame:
    """Raw schema-named frame (before `normalize_chain`) from a TDA/Schwab chains response."""
    if not isinstance(doc, dict) or not ({"callExpDateMap", "putExpDateMap"} & doc.keys()):
        raise DataError("not a TDA/Schwab chain (no callExpDateMap/putExpDateMap)", where=source)
    if str(doc.get("status", "SUCCESS")).upper() != "SUCCESS":
        raise DataError(f"the response status is {doc.get('status')!r}", where=source, hint="unknown symbol?")
    rows = _contracts(doc, source)
    if not rows:
        raise DataError("the chain is empty (no option rows)", where=source)
    raw = pd.DataFrame.from_records(rows)
    num = {c: pd.to_numeric(raw[c], errors="coerce") if c in raw else pd.Series(np.nan, index=raw.index) for c in NUMERIC}

    def clean(name: str) -> pd.Series:
        s = num[name]
        return s.where(s > -999)  # TDA's "not available"

    exp_ms = num["expirationDate"]
    expiry = pd.to_datetime(exp_ms, unit="ms", utc=True).dt.tz_convert(NY).dt.tz_localize(None).dt.normalize()
    expiry = expiry.fillna(pd.to_datetime(raw["_exp_key"], errors="coerce"))
    quote_ms = num["quoteTimeInLong"]
    if not quote_ms.notna().any():
        raise DataError("no quoteTimeInLong on any contract: the snapshot has no time", where=source)
    trade_ms = num["tradeTimeInLong"].where(num["tradeTimeInLong"] > 0)
    return pd.DataFrame({
        "underlying": str(doc.get("symbol", "")).strip().lstrip("$"),
        "spot": pd.to_numeric(doc.get("underlyingPrice"), errors="coerce"),
        "expiry": expiry, "strike": num["strikePrice"], "right": raw["_right"],
        "bid": num["bid"], "ask": num["ask"], "last": clean("last").where(num["last"] > 0),
        "volume": num["totalVolume"], "open_interest": num["openInterest"],
        "iv": clean("volatility") / 100.0,
        "delta": clean("delta"), "gamma": clean("gamma"), "theta": clean("theta"), "vega": clean("vega"),
        "multiplier": num["multiplier"],
        "quote_time": pd.to_datetime(quote_ms.fillna(quote_ms.max()), unit="ms", utc=True),
        "last_trade_time": pd.to_datetime(trade_ms, unit="ms", utc=True),
        "source": "tda/schwab chains",
    })


def normalize_tda(doc: Any, source: str = "tda", as_of: date | None = None,
                  policy: QualityPolicy | None = None) -> pd.DataFrame:
    """The validated, quality-flagged chain from a TDA/Schwab chains response."""
    return flag_quality(normalize_chain(tda_frame(doc, source), source, as_of), policy)
