"""One market snapshot for a day: every name's normalized chain, its price history where one exists, and labels.

`load_snapshot(source, symbols, as_of, ...)` is how `plan`, `manage` and the coming `run` get market data, so they
cannot disagree about where a quote came from. Sources:
- `embedded`: a modelled chain over the embedded real closes (`data.modelled`), labelled "modelled";
- `file:PATH`: a chain file in any supported format (`data.files.read_chain`);
- a provider name (`cboe`, `yfinance`) or a `MarketDataProvider`: one request per symbol; a symbol the provider
  refuses is reported in `failed`, not fatal while another symbol loads.
Every chain, the modelled ones too, goes through the data layer's schema (`normalize_chain`) and quality flags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from putwheel.data.provider import MarketDataProvider
from putwheel.domain.errors import DataError, InputError


@dataclass(frozen=True)
class Snapshot:
    """What a source gave for `as_of`: the chain of every name it quoted, closes up to `as_of` when the source has
    a price history (None for chain files and live chains), per-name quote sources, `kind` ("modelled" or
    "market") and the symbols it refused."""

    as_of: date
    chain: pd.DataFrame
    closes: pd.DataFrame | None
    quotes: Mapping[str, str]
    kind: str
    label: str
    failed: frozenset[str] = field(default_factory=frozenset)
    why: Mapping[str, str] = field(default_factory=dict)   # a refused symbol: what the source said

    def only(self, names: Sequence[str]) -> Snapshot:
        """This snapshot for `names` alone (a `putwheel run` loads the watchlist and the held names at once; its
        plan reads the one part, its manager the other). A name it has no quote for keeps its why."""
        quotes = {n: q for n, q in self.quotes.items() if n in names}
        return replace(self, chain=self.chain.loc[self.chain["underlying"].isin(names)], quotes=quotes,
                       why={n: w for n, w in self.why.items() if n in names},
                       failed=frozenset(n for n in names if n not in quotes))


def _modelled(symbols: Sequence[str], as_of: date | None, rate_for: Callable[[date], float], horizon_days: int,
              dividend_yields: Mapping[str, float], fresh_days: int | None) -> Snapshot:
    from putwheel.data.modelled import modelled_chain, weekly_expiries
    from putwheel.data.quality import flag_quality
    from putwheel.data.schema import normalize_chain
    from putwheel.data.universe import embedded_universe

    uni = embedded_universe(extended=True)
    first, last = uni.closes.index[0].date(), uni.closes.index[-1].date()
    day = as_of or uni.last_date   # default: the last day every name has a close
    if not first + pd.Timedelta(days=60) <= day <= last:
        raise InputError(f"--as-of {day} is outside the embedded data ({first + pd.Timedelta(days=60)} .. {last})",
                         hint="pick a date in that range, or use a chain file: --source file:PATH")
    closes = uni.closes.loc[: pd.Timestamp(day)]
    session = closes.index[-1]   # the last trading day on or before `day`: a name without a close there is missing
    rate = rate_for(day)
    expiries = weekly_expiries(day, horizon_days + 7)
    frames, quotes, why = [], {}, {}
    for s in symbols:
        hist = closes[s].dropna() if s in closes else pd.Series(dtype=float)
        if len(hist) and (hist.index[-1] < session or (
                fresh_days is not None and (pd.Timestamp(day) - hist.index[-1]).days > fresh_days)):
            why[s] = f"no embedded close on {session.date()} (its closes end {hist.index[-1].date()})"
            continue
        if len(hist) < 30:
            continue
        raw = modelled_chain(s, hist, day, expiries, rate, dividend_yields.get(s, 0.0))
        frames.append(flag_quality(normalize_chain(raw, f"modelled {s}", day)).assign(quality="modelled"))
        quotes[s] = "modelled chain over real closes (embedded universe)"
    missing = [s for s in symbols if s not in quotes]
    if not frames:
        said = "; ".join(f"{s}: {why[s]}" for s in missing if s in why)   # a name the demo has, but not on `day`
        raise DataError(f"no embedded data for {', '.join(missing)}" + (f" ({said})" if said else ""), where="watchlist",
                        hint=f"the offline demo covers {', '.join(sorted(closes.columns))}" + (
                            "; pick a day inside its closes" if said else "") + "; for other names use a "
                             "chain file, --source file:PATH, or live quotes, --source cboe or yfinance")
    return Snapshot(day, pd.concat(frames, ignore_index=True), closes, quotes, "modelled", f"embedded: {uni.label}",
                    frozenset(missing), why)


def _file(path: str, symbols: Sequence[str], as_of: date | None) -> Snapshot:
    from putwheel.data.files import quote_date, read_chain

    chain = read_chain(Path(path), as_of)
    day = as_of or quote_date(chain)
    have = set(chain["underlying"].astype(str))
    return Snapshot(day, chain, None, {s: f"chain {path}" for s in symbols if s in have}, "market", f"file {path}",
                    frozenset(s for s in symbols if s not in have))


def _provider(provider: MarketDataProvider, symbols: Sequence[str], as_of: date | None) -> Snapshot:
    from putwheel.data.files import quote_date

    frames, quotes, why = [], {}, {}
    for sym in symbols:
        try:
            chain = provider.chain(sym, as_of=as_of)
        except DataError as exc:
            why[sym] = exc.render()
            continue
        chain = chain.loc[chain["underlying"].astype(str).str.upper() == sym]
        if chain.empty:
            why[sym] = "no options returned"
            continue
        frames.append(chain)
        quotes[sym] = f"{provider.name} chain"
    if not frames:
        first = next(iter(why.items()), ("", ""))
        raise DataError(f"no option chain could be loaded for any symbol ({first[0]}: {first[1]})",
                        where=provider.name, hint="check the symbols and the network, or work offline: --source embedded")
    chain = pd.concat(frames, ignore_index=True)
    return Snapshot(as_of or quote_date(chain), chain, None, quotes, "market", f"{provider.name} (live)",
                    frozenset(why), why)


def load_snapshot(source: str | MarketDataProvider, symbols: Sequence[str], as_of: date | None, *,
                  rate_for: Callable[[date], float] = lambda _day: 0.04, horizon_days: int = 63,
                  dividend_yields: Mapping[str, float] | None = None, fresh_days: int | None = None) -> Snapshot:
    """The market on `as_of` (None: the source's own latest day) for `symbols` from `source`.

    `rate_for(as_of)` gives the rate modelled chains are priced at; `horizon_days` how far out their expiries go;
    `fresh_days` drops embedded names whose last close is older than that (a stale modelled quote is no quote).
    Raises `DataError` when no symbol could be loaded, `InputError` for a date outside the embedded data.
    """
    names = [str(s).strip().upper() for s in symbols]
    if isinstance(source, str):
        src = source.strip()
        if src in ("", "embedded"):
            return _modelled(names, as_of, rate_for, horizon_days, dict(dividend_yields or {}), fresh_days)
        if src.startswith("file:"):
            return _file(src[5:], names, as_of)
        from putwheel.data.provider import provider_for

        return _provider(provider_for(src), names, as_of)
    return _provider(source, names, as_of)
