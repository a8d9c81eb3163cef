"""Cboe delayed quotes (no key): the `options/{SYM}.json` document normalized to the chain schema, and its live fetch.

Pitfalls handled (see shared/fixtures/FORMATS.md §2): index symbols take a leading underscore (`_SPX`) and one
document mixes roots (SPX and SPXW); per-contract `iv` is a fraction while the underlying's `iv30` is a percent;
`iv: 0.0` and months-old or null `last_trade_time` are common; the top-level timestamp is UTC (older captures
give only a time of day) while contract times are naive US/Eastern; an unknown symbol answers HTTP 403 with an
S3 XML body. The recorded "evidence packet" excerpts (same contract rows, wrapper keys added by their author)
are accepted too.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from putwheel.data.http import get_with_retry
from putwheel.data.quality import QualityPolicy, flag_quality
from putwheel.data.schema import NY, normalize_chain
from putwheel.domain.errors import DataError

URL = "https://cdn.cboe.com/api/global/delayed_quotes/options/{symbol}.json"
INDEXES = frozenset({"SPX", "NDX", "RUT", "VIX", "XSP", "DJX", "OEX", "XEO", "MRUT", "NANOS"})
OCC_RE = r"^(?P<root>[A-Z0-9.]{1,6}?)(?P<ymd>\d{6})(?P<right>[CP])(?P<strike>\d{8})$"


def cboe_symbol(symbol: str) -> str:
    """The symbol as Cboe's CDN spells it: `_SPX` for indexes, bare for stocks and ETFs."""
    bare = symbol.strip().upper().lstrip("^_")
    return f"_{bare}" if bare in INDEXES else bare


def _unpack(doc: Any, source: str) -> tuple[str, dict[str, Any], list[Any], str | None]:
    if not isinstance(doc, dict):
        raise DataError("not a Cboe delayed-quotes document (top level is not an object)", where=source)
    if "sample_contracts" in doc:  # recorded evidence packet
        under = doc.get("underlying") or {}
        return str(doc.get("symbol", "")), under, doc["sample_contracts"], doc.get("response_timestamp_field")
    data = doc.get("data")
    if not isinstance(data, dict) or "options" not in data:
        raise DataError("no 'data.options' in the document", where=source,
                        hint="expected the cdn.cboe.com delayed_quotes/options/{SYM}.json response")
    return str(doc.get("symbol") or data.get("symbol") or ""), data, data["options"], doc.get("timestamp")


def _quote_time(stamp: str | None, under: dict[str, Any], as_of: date | None, source: str) -> pd.Timestamp:
    if stamp and len(str(stamp)) > 10:
        ts = pd.to_datetime(str(stamp), errors="coerce")
        if pd.notna(ts):
            return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    # Older captures carry only "HH:MM:SS": use the underlying's last trade (US/Eastern), else as_of's close.
    ltt = pd.to_datetime(under.get("last_trade_time"), errors="coerce")
    if pd.notna(ltt):
        return ltt.tz_localize(NY).tz_convert("UTC")
    if as_of is not None:
        return pd.Timestamp(as_of).replace(hour=16).tz_localize(NY).tz_convert("UTC")
    raise DataError("the document has no date (timestamp is a time of day only)", where=source,
                    hint="pass as_of (--as-of) to date the snapshot")


def cboe_frame(doc: Any, source: str = "cboe", as_of: date | None = None) -> pd.DataFrame:
    """Raw schema-named frame (before `normalize_chain`) from a Cboe delayed-quotes document."""
    symbol, under, options, stamp = _unpack(doc, source)
    if not isinstance(options, list) or not options:
        raise DataError("the chain is empty (no option rows)", where=source, hint="unknown or optionless symbol?")
    if not all(isinstance(o, dict) for o in options):
        raise DataError("an option row is not an object", where=f"{source}, data.options")
    raw = pd.DataFrame.from_records(options)
    if "option" not in raw:
        raise DataError("option rows have no 'option' symbol", where=source, hint="expected 23-field contract rows")
    parts = raw["option"].astype(str).str.strip().str.upper().str.extract(OCC_RE)
    bad = np.flatnonzero(parts["root"].isna().to_numpy())
    if bad.size:
        raise DataError(f"{raw['option'].iloc[bad[0]]!r} is not an OCC symbol", where=f"{source}, row {bad[0]}, column 'option'")
    spot = under.get("current_price", under.get("price"))
    last = pd.to_numeric(raw.get("last_trade_price"), errors="coerce") if "last_trade_price" in raw else np.nan
    ltt = raw["last_trade_time"] if "last_trade_time" in raw else pd.Series(pd.NaT, index=raw.index)
    out = pd.DataFrame({
        "underlying": symbol.lstrip("_^") or parts["root"],
        "root": parts["root"],
        "spot": spot,
        "expiry": pd.to_datetime("20" + parts["ymd"], format="%Y%m%d", errors="coerce"),
        "strike": parts["strike"].astype(float) / 1000.0,
        "right": parts["right"],
        "bid": raw.get("bid"), "ask": raw.get("ask"),
        "last": np.where(pd.Series(last).fillna(0).to_numpy() > 0, last, np.nan),
        "volume": raw.get("volume"), "open_interest": raw.get("open_interest"),
        "iv": raw.get("iv"),
        "delta": raw.get("delta"), "gamma": raw.get("gamma"), "theta": raw.get("theta"), "vega": raw.get("vega"),
        "quote_time": _quote_time(stamp, under, as_of, source),
        "last_trade_time": pd.to_datetime(ltt, errors="coerce", format="ISO8601"),
        "source": "cboe delayed quotes",
        # the underlying's 30-day IV index comes in PERCENT (16.568), unlike the per-contract fractions
        "iv30": pd.to_numeric(under.get("iv30"), errors="coerce") / 100.0,
    })
    return out


def normalize_cboe(doc: Any, source: str = "cboe", as_of: date | None = None,
                   policy: QualityPolicy | None = None) -> pd.DataFrame:
    """The validated, quality-flagged chain from a Cboe delayed-quotes document."""
    return flag_quality(normalize_chain(cboe_frame(doc, source, as_of), source, as_of), policy)


class CboeProvider:
    """Live Cboe delayed chain, throttled (`min_interval` s between requests) and cached for `ttl` s per symbol
    (the feed is 15-minute delayed; a 6-14 MB body per symbol is worth not re-downloading).

    `session` is any object with `.get(url, headers=, timeout=)`; `sleep`/`clock` are injectable for tests.
    """

    name = "cboe"

    def __init__(self, session: Any = None, retries: int = 3, backoff: float = 0.5, sleep: Any = None,
                 clock: Any = None, ttl: float = 600.0, min_interval: float = 0.35) -> None:
        self.session, self.retries, self.backoff = session, retries, backoff
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.ttl, self.min_interval = ttl, min_interval
        self._docs: dict[str, tuple[float, Any]] = {}
        self._last_request = -float("inf")

    def document(self, symbol: str) -> Any:
        """The raw JSON document for `symbol`, from the TTL cache or one throttled, retried request."""
        key = cboe_symbol(symbol)
        hit = self._docs.get(key)
        if hit is not None and self.clock() - hit[0] < self.ttl:
            return hit[1]
        wait = self.min_interval - (self.clock() - self._last_request)
        if wait > 0:
            self.sleep(wait)
        self._last_request = self.clock()
        doc = self._get(key)
        self._docs[key] = (self.clock(), doc)
        return doc

    def chain(self, symbol: str, as_of: date | None = None, policy: QualityPolicy | None = None) -> pd.DataFrame:
        return normalize_cboe(self.document(symbol), f"cboe {cboe_symbol(symbol)}", as_of, policy)

    def _get(self, key: str) -> Any:
        url = URL.format(symbol=key)
        symbol = key.lstrip("_")
        resp = get_with_retry(url, "cboe", session=self.session, retries=self.retries, backoff=self.backoff,
                              sleep=self.sleep)
        if resp.status_code in (403, 404):
            raise DataError(f"unknown symbol {symbol!r} (Cboe answered HTTP {resp.status_code})", where=f"cboe {url}",
                            hint="check the ticker; indexes are SPX, NDX, RUT, VIX, XSP")
        if resp.status_code != 200:
            raise DataError(f"Cboe answered HTTP {resp.status_code}", where=f"cboe {url}", hint="try again later")
        try:
            doc = resp.json()
        except ValueError:
            raise DataError("Cboe answered with something that is not JSON", where=f"cboe {url}",
                            hint="the CDN may be down or the symbol unknown") from None
        return doc
