"""Yahoo Finance through `yfinance`: option chains (a fallback source), price history with dividends, fundamentals,
earnings and ex-dividend dates — normalized, with units fixed and rate limits retried with backoff.

Pitfalls handled (shared/fixtures/FORMATS.md §1): garbage IVs (1e-05, or 5-20 on illiquid strikes) are flagged
and recomputed by `flag_quality`; omitted fields mean NaN, not 0; the formatted API variant wraps numbers as
`{"raw": …, "fmt": …}`; `debtToEquity` and (now) `dividendYield` come in percent while `returnOnEquity` and
`profitMargins` are fractions; `YFRateLimitError` and 401 "Invalid Crumb" are transient.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from putwheel.data.cboe import OCC_RE
from putwheel.data.quality import QualityPolicy, flag_quality
from putwheel.data.schema import NY, normalize_chain
from putwheel.domain.errors import DataError

YAHOO_HOST = "query2.finance.yahoo.com"
PREFLIGHT_TIMEOUT_S = 4.0


def yahoo_reachable(host: str = YAHOO_HOST, timeout: float = PREFLIGHT_TIMEOUT_S) -> str | None:
    """None when a TCP connection to Yahoo opens within `timeout`, else a few words on why not."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except socket.gaierror:
        return "DNS lookup failed"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return type(exc).__name__
    return None


# The columns yfinance's `_options2df` keeps, in its order.
YF_COLUMNS = ("contractSymbol", "lastTradeDate", "strike", "lastPrice", "bid", "ask", "change", "percentChange",
              "volume", "openInterest", "impliedVolatility", "inTheMoney", "contractSize", "currency")


def _unwrap(value: Any) -> Any:
    return value.get("raw") if isinstance(value, dict) else value


def options_to_df(contracts: list[Any]) -> pd.DataFrame:
    """What `yfinance.Ticker.option_chain` builds from the raw contract dicts (epoch seconds → UTC)."""
    if not all(isinstance(c, dict) for c in contracts):
        raise DataError("a contract in the Yahoo response is not an object", where="yahoo")
    df = pd.DataFrame([{k: _unwrap(v) for k, v in c.items()} for c in contracts]).reindex(columns=list(YF_COLUMNS))
    df["lastTradeDate"] = pd.to_datetime(pd.to_numeric(df["lastTradeDate"], errors="coerce"), unit="s", utc=True)
    return df


def yfinance_frame(calls: pd.DataFrame, puts: pd.DataFrame, underlying: dict[str, Any] | None, source: str,
                   as_of: date | None = None) -> pd.DataFrame:
    """Raw schema-named frame from yfinance's `(calls, puts, underlying)` option_chain result."""
    both = pd.concat([calls, puts], ignore_index=True)
    if both.empty:
        raise DataError("the chain is empty (no option rows)", where=source)
    parts = both["contractSymbol"].astype(str).str.strip().str.upper().str.extract(OCC_RE)
    bad = np.flatnonzero(parts["root"].isna().to_numpy())
    if bad.size:
        raise DataError(f"{both['contractSymbol'].iloc[bad[0]]!r} is not an OCC symbol",
                        where=f"{source}, row {bad[0]}, column 'contractSymbol'")
    quote = underlying or {}
    stamp = _unwrap(quote.get("regularMarketTime"))
    if stamp is not None and pd.notna(pd.to_numeric(stamp, errors="coerce")):
        quote_time = pd.to_datetime(float(stamp), unit="s", utc=True)
    elif as_of is not None:
        quote_time = pd.Timestamp(as_of).replace(hour=16).tz_localize(NY).tz_convert("UTC")
    else:
        raise DataError("no quote time in the response (no underlying quote)", where=source,
                        hint="pass as_of (--as-of) to date the snapshot")
    spot = pd.to_numeric(_unwrap(quote.get("regularMarketPrice")), errors="coerce") if quote else np.nan
    last = pd.to_numeric(both["lastPrice"], errors="coerce")
    return pd.DataFrame({
        "underlying": str(quote.get("symbol") or parts["root"].iloc[0]), "root": parts["root"], "spot": spot,
        "expiry": pd.to_datetime("20" + parts["ymd"], format="%Y%m%d", errors="coerce"),
        "strike": parts["strike"].astype(float) / 1000.0, "right": parts["right"],
        "bid": pd.to_numeric(both["bid"], errors="coerce"), "ask": pd.to_numeric(both["ask"], errors="coerce"),
        "last": last.where(last > 0), "volume": both["volume"], "open_interest": both["openInterest"],
        "iv": both["impliedVolatility"], "quote_time": quote_time,
        "last_trade_time": pd.to_datetime(both["lastTradeDate"], utc=True, errors="coerce"),
        "source": "yahoo",
    })


def yahoo_json_frame(doc: Any, source: str = "yahoo", as_of: date | None = None) -> pd.DataFrame:
    """Raw frame from a recorded Yahoo `v7/finance/options` response, or a list of (formatted) contracts."""
    if isinstance(doc, list):  # bare contracts, possibly the {"raw", "fmt"} variant: no underlying quote
        return yfinance_frame(options_to_df(doc), options_to_df([]), None, source, as_of)
    if not isinstance(doc, dict) or not isinstance(doc.get("optionChain"), dict):
        raise DataError("not a Yahoo options response (no 'optionChain')", where=source)
    chain = doc["optionChain"]
    if chain.get("error"):
        raise DataError(f"Yahoo answered an error: {chain['error']}", where=source, hint="unknown symbol?")
    result = chain.get("result")
    if not isinstance(result, list) or not result or not isinstance(result[0], dict):
        raise DataError("the chain is empty (no result)", where=source, hint="unknown symbol?")
    res = result[0]
    options = res.get("options") or [{}]
    if not isinstance(options, list) or not isinstance(options[0], dict):
        raise DataError("'options' is not a list of expiries", where=source)
    calls, puts = options[0].get("calls") or [], options[0].get("puts") or []
    if not isinstance(calls, list) or not isinstance(puts, list):
        raise DataError("calls/puts are not lists", where=source)
    quote = res.get("quote") if isinstance(res.get("quote"), dict) else None
    return yfinance_frame(options_to_df(calls), options_to_df(puts), quote, source, as_of)


def normalize_yahoo(doc: Any, source: str = "yahoo", as_of: date | None = None,
                    policy: QualityPolicy | None = None) -> pd.DataFrame:
    return flag_quality(normalize_chain(yahoo_json_frame(doc, source, as_of), source, as_of), policy)


def normalize_history(hist: pd.DataFrame, source: str) -> pd.DataFrame:
    """yfinance `history(auto_adjust=False)` → date-indexed open/high/low/close/adj_close/volume/dividends/splits."""
    if hist is None or hist.empty:
        raise DataError("no price history returned", where=source, hint="unknown symbol or empty date range?")
    df = hist.copy()
    idx = pd.to_datetime(df.index, utc=True) if not isinstance(df.index, pd.DatetimeIndex) else df.index
    if idx.tz is not None:
        idx = idx.tz_convert(NY).tz_localize(None)
    df.index = pd.DatetimeIndex(idx).normalize().rename("date")
    df.columns = [str(c).strip().lower().replace(" ", "_") for c in df.columns]
    df = df.rename(columns={"stock_splits": "splits"})
    if "close" not in df:
        raise DataError("history has no Close column", where=source)
    return df.apply(pd.to_numeric, errors="coerce").sort_index()


def read_history_csv(text: str, source: str) -> pd.DataFrame:
    """A saved `Ticker.history()` frame (`Datetime,Open,...,Dividends,Stock Splits`, tz-aware) back to a history."""
    import io
    try:
        raw = pd.read_csv(io.StringIO(text), index_col=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, IndexError) as exc:
        raise DataError(f"cannot parse CSV: {str(exc)[:160]}", where=source) from None
    stamps = pd.to_datetime(pd.Series(raw.index.astype(str)), utc=True, errors="coerce", format="mixed")
    bad = np.flatnonzero(stamps.isna().to_numpy())
    if bad.size:
        raise DataError(f"{raw.index[bad[0]]!r} is not a timestamp", where=f"{source}, row {bad[0]}, column 'Datetime'")
    raw.index = pd.DatetimeIndex(stamps)
    hist = normalize_history(raw, source)
    for col in ("open", "high", "low", "close"):
        if col in hist:
            v = hist[col].to_numpy(dtype=float)
            row = np.flatnonzero(~(np.isfinite(v) & (v > 0)))
            if row.size:
                raise DataError(f"{col} must be a positive price", where=f"{source}, row {row[0]}, column {col!r}")
    if hist.index.has_duplicates:
        raise DataError("duplicate dates", where=source)
    return hist


def normalize_info(info: dict[str, Any]) -> dict[str, float | str | None]:
    """Fundamentals with one unit: fractions (0.78 = 78 %), whatever unit Yahoo used for each key."""
    def num(key: str, scale: float = 1.0) -> float | None:
        v = pd.to_numeric(info.get(key), errors="coerce")
        return None if v is None or pd.isna(v) else float(v) / scale
    return {
        "sector": info.get("sector"), "market_cap": num("marketCap"), "beta": num("beta"),
        "trailing_pe": num("trailingPE"), "forward_pe": num("forwardPE"),
        "debt_to_equity": num("debtToEquity", 100.0),  # Yahoo: percent
        "return_on_equity": num("returnOnEquity"), "profit_margin": num("profitMargins"),  # fractions
        "dividend_yield": num("dividendYield", 100.0),  # now percent (0.57 = 0.57 %)
        "free_cash_flow": num("freeCashflow"), "current_ratio": num("currentRatio"),
        "target_mean_price": num("targetMeanPrice"),
    }


class YFinanceProvider:
    """Live Yahoo data through yfinance; `ticker` builds a Ticker (tests pass a fake), retries use backoff."""

    name = "yfinance"

    def __init__(self, ticker: Callable[[str], Any] | None = None, retries: int = 3, backoff: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._ticker_fn, self.retries, self.backoff, self.sleep = ticker, retries, backoff, sleep

    def _ticker(self, symbol: str) -> Any:
        if self._ticker_fn is not None:
            return self._ticker_fn(symbol)
        self._preflight()
        import yfinance

        logging.getLogger("yfinance").setLevel(logging.CRITICAL)  # its own "Cookie/crumb fetch failed" lines: ours say it
        return yfinance.Ticker(symbol)

    def _preflight(self) -> None:
        # yfinance retries a dead network for a minute per symbol and then fails with a TypeError: ask once, fast.
        if not hasattr(self, "_unreachable"):
            self._unreachable = yahoo_reachable()
        if self._unreachable:
            raise DataError(f"no network / provider unreachable ({self._unreachable})", where=f"yfinance {YAHOO_HOST}",
                            hint="check the connection; cached data and --source embedded still work offline")

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        problem = ""
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except DataError:
                raise
            except Exception as exc:  # yfinance raises its own, requests' and curl_cffi's errors
                text = f"{type(exc).__name__}: {exc}"
                transient = any(s in text for s in ("RateLimit", "Too Many Requests", "401", "Crumb", "Timeout",
                                                    "Connection", "resolve", "Network"))
                if not transient:
                    raise DataError(f"{what} failed: {text[:200]}", where="yfinance") from None
                problem = text[:200]
            if attempt < self.retries:
                self.sleep(self.backoff * 2**attempt)
        raise DataError(f"no network / provider unreachable: {what} ({problem})", where="yfinance",
                        hint="Yahoo rate-limits often; wait a minute, or use cached data offline")

    def chain(self, symbol: str, as_of: date | None = None, policy: QualityPolicy | None = None,
              expiry: date | None = None) -> pd.DataFrame:
        """One expiry per request (Yahoo's limit): `expiry`, else the nearest listed one."""
        t = self._ticker(symbol)
        expiries = self._call(f"{symbol} expiries", lambda: list(t.options))
        if not expiries:
            raise DataError(f"no listed options for {symbol!r}", where="yfinance", hint="unknown symbol?")
        wanted = expiry.isoformat() if expiry else expiries[0]
        if wanted not in expiries:
            raise DataError(f"{symbol} has no expiry {wanted}", where="yfinance", hint="listed: " + ", ".join(expiries[:8]))
        res = self._call(f"{symbol} chain {wanted}", lambda: t.option_chain(wanted))
        raw = yfinance_frame(res.calls, res.puts, getattr(res, "underlying", None), f"yfinance {symbol}", as_of)
        return flag_quality(normalize_chain(raw, f"yfinance {symbol}", as_of), policy)

    def history(self, symbol: str, start: date, end: date) -> pd.DataFrame:
        t = self._ticker(symbol)
        hist = self._call(f"{symbol} history", lambda: t.history(start=start.isoformat(), end=end.isoformat(),
                                                                  auto_adjust=False, actions=True))
        return normalize_history(hist, f"yfinance {symbol}")

    def fundamentals(self, symbol: str) -> dict[str, float | str | None]:
        return normalize_info(self._call(f"{symbol} info", lambda: dict(self._ticker(symbol).info)))

    def events(self, symbol: str) -> dict[str, list[date]]:
        """Upcoming earnings and ex-dividend dates from `Ticker.calendar` (earnings may be a 2-date range)."""
        cal = self._call(f"{symbol} calendar", lambda: self._ticker(symbol).calendar) or {}
        def dates(v: Any) -> list[date]:
            items = v if isinstance(v, list | tuple) else [v]
            return [pd.Timestamp(x).date() for x in items if x is not None and pd.notna(pd.Timestamp(x))]
        return {"earnings": dates(cal.get("Earnings Date")), "ex_dividend": dates(cal.get("Ex-Dividend Date"))}
