"""`manage`: today's decision for every open position, from the ledger or a positions file.

Stages: load positions (a TOML/JSON positions file, else the ledger replayed, with uncovered shares at their
premium-adjusted cycle basis) -> set aside legs that expired before `as_of` (they need an expiration or
assignment recorded first) -> market per underlying (the file's `[market.SYM]` table, else a chain file, else a
chain modelled from the embedded universe's real closes, labelled as such) -> one `decide_many` call.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from putwheel.data.files import quote_date, read_chain
from putwheel.data.modelled import ChainModel, atm_vol
from putwheel.data.provider import MarketDataProvider, provider_for
from putwheel.data.snapshot import Snapshot, load_snapshot
from putwheel.domain.contract import Right
from putwheel.domain.errors import ConfigError, DataError, InputError, PutwheelError
from putwheel.strategy import DETAIL_COLUMNS, ManageRules, OpenPosition, decide_many, option_position, positions_frame, share_lot
from putwheel.strategy.quotes import model_quotes

SHOWN = ("account", "position", "action", "reason", *DETAIL_COLUMNS)
COUNTS = {"dte", "roll_dte", "cc_dte", "roll_candidates", "cc_candidates", "cc_contracts"}


@dataclass(frozen=True)
class ManageResult:
    """Decisions (one row per position, `SHOWN` columns) and where positions and quotes came from."""

    as_of: date
    positions_source: str
    market_sources: dict[str, str]
    decisions: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    undecided: tuple[str, ...] = ()   # names left undecided for want of market data (`skip_missing`)

    def records(self) -> list[dict[str, Any]]:
        out = []
        for row in self.decisions.to_dict(orient="records"):
            rec = {}
            for k, v in row.items():
                if isinstance(v, pd.Timestamp):
                    v = v.date().isoformat()
                elif isinstance(v, np.generic):
                    v = v.item()
                if v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                    v = None
                elif k in COUNTS and isinstance(v, float):
                    v = int(v)
                rec[str(k)] = v
            out.append(rec)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "positions_source": self.positions_source,
                "market_sources": self.market_sources, "notes": list(self.notes), "decisions": self.records()}


def _load_doc(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError("no such positions file", where=str(path), hint="give a TOML or JSON file: --positions FILE")
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputError("not a text file (not UTF-8)", where=str(path), hint="give a TOML or JSON file") from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot parse: {exc}", where=str(path), hint="TOML ([[position]] tables) or JSON") from None
    if not isinstance(doc, dict):
        raise InputError("the file must hold a table/object", where=str(path))
    return doc


def _as_date(value: Any, what: str, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{what} {value!r} is not a date", where=where, hint="use YYYY-MM-DD") from None


def _leg(item: Any, where: str) -> tuple[str, OpenPosition]:
    if not isinstance(item, dict):
        raise InputError("each position must be a table", where=where)
    known = {"account", "underlying", "right", "strike", "expiry", "contracts", "shares", "open_premium", "opened",
             "cost_basis", "multiplier"}
    unknown = sorted(set(item) - known)
    if unknown:
        raise InputError(f"unknown keys {unknown}", where=where, hint="keys: " + ", ".join(sorted(known)))
    try:
        under, kind = str(item["underlying"]), str(item.get("right", "")).strip().lower()
        opened = _as_date(item["opened"], "opened", where)
        if kind in ("shares", "stock", ""):
            return str(item.get("account", "")), share_lot(under, int(item["shares"]), item["cost_basis"], opened)
        leg = option_position(under, Right.parse(kind), item["strike"], _as_date(item["expiry"], "expiry", where),
                              int(item["contracts"]), item["open_premium"], opened,
                              share_cost_basis=item.get("cost_basis"), multiplier=int(item.get("multiplier", 100)))
    except KeyError as exc:
        raise InputError(f"missing key {exc.args[0]!r}", where=where,
                         hint="options need underlying, right, strike, expiry, contracts, open_premium, opened; "
                              "shares need underlying, right='shares', shares, cost_basis, opened") from None
    except PutwheelError as exc:
        raise InputError(exc.message, where=where, hint=exc.hint) from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"bad value: {exc}", where=where) from None
    return str(item.get("account", "")), leg


def _tables(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(k).upper(): dict(v) for k, v in dict(doc.get("market", {})).items()}


def _rules(doc: dict[str, Any], path: Path) -> ManageRules | None:
    if "rules" not in doc:
        return None
    try:
        return ManageRules(**dict(doc["rules"]))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"rules.{key}: {err['msg']}" if key else f"rules: {err['msg']}", where=str(path)) from None


def positions_from_file(path: Path) -> tuple[list[tuple[str, OpenPosition]], dict[str, dict[str, Any]], ManageRules | None]:
    """Positions, per-name market tables and rules from a positions file (`[[position]]`, `[market.SYM]`, `[rules]`)."""
    doc = _load_doc(path)
    items = doc.get("position", doc.get("positions", []))
    if not isinstance(items, list) or not items:
        raise InputError("no positions in the file", where=str(path), hint="add [[position]] tables")
    legs = [_leg(item, f"{path}: position {i + 1}") for i, item in enumerate(items)]
    return legs, _tables(doc), _rules(doc, path)


def positions_from_ledger(db: str | None, account: str | None, as_of: date) -> tuple[list[tuple[str, OpenPosition]], str]:
    """Open legs and uncovered share lots from the ledger's events up to `as_of` (later trades are not yet known).

    Shares carry the premium-adjusted basis of their open wheel cycle (the covered-call floor).
    """
    from putwheel.ledger import Ledger, cycles, replay, resolve_url
    from putwheel.ledger.store import mask_url

    url = resolve_url(db)
    where = mask_url(url)  # never show a password
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:" and not Path(url.removeprefix("sqlite:///")).is_file():
        raise InputError("no ledger database yet", where=where,
                         hint="import or record trades first (putwheel import ...), or give --positions FILE")
    with Ledger.open(url, create=False) as ledger:
        events = [e for e in ledger.events(account) if e.ts.date() <= as_of]
    if not events:
        raise InputError(f"the ledger holds no trades on or before {as_of}", where=where,
                         hint="import or record trades first, pick a later --as-of, or give --positions FILE")
    state = replay(events)
    basis = {(c.account, c.underlying): c.cost_basis_per_share for c in cycles(events) if c.end is None}
    out: list[tuple[str, OpenPosition]] = []
    for p in state.positions():
        if p.right is not None:
            # take-profit and the loss label read the net credit across every roll that led here (domain cycle)
            out.append((p.account, p))
            continue
        uncovered = p.contracts - state.short_call_shares(p.account, p.underlying)
        cost = basis.get((p.account, p.underlying)) or p.cost_basis_per_share
        if uncovered > 0 and cost is not None and cost > 0:
            out.append((p.account, replace(p, contracts=uncovered, cost_basis_per_share=cost)))
    return out, f"ledger {where}"


def _market_row(table: dict[str, Any], where: str, as_of: date) -> dict[str, Any]:
    known = {"spot", "iv", "rate", "dividend_yield", "realized_vol", "ex_dividend_date", "dividend"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"unknown keys {unknown}", where=where, hint="keys: " + ", ".join(sorted(known)))
    if "spot" not in table or "iv" not in table:
        raise InputError("a market table needs spot and iv", where=where, hint="e.g. spot = 98.5, iv = 0.27")
    exd = table.get("ex_dividend_date")
    return {"spot": float(table["spot"]), "iv": float(table["iv"]), "rate": float(table.get("rate", 0.04)),
            "dividend_yield": float(table.get("dividend_yield", 0.0)),
            "realized_vol": float(table.get("realized_vol", np.nan)),
            "ex_dividend_date": pd.Timestamp(_as_date(exd, "ex_dividend_date", where)) if exd else pd.NaT,
            "dividend": float(table.get("dividend", 0.0)), "quote_date": pd.Timestamp(as_of)}


def _chain_market(chain: pd.DataFrame, name: str, rate: float) -> dict[str, Any]:
    rows = chain.loc[chain["underlying"] == name]
    iv = rows["iv"].to_numpy(dtype=float)
    dte = rows["dte"].to_numpy(dtype=float)
    atm = np.abs(rows["strike"].to_numpy(dtype=float) / float(rows["spot"].iloc[0]) - 1) < 0.05
    pick = np.isfinite(iv) & atm & (dte >= 7)
    return {"spot": float(rows["spot"].iloc[0]), "iv": float(np.nanmedian(iv[pick])) if pick.any() else np.nan,
            "rate": rate, "dividend_yield": 0.0, "realized_vol": np.nan, "ex_dividend_date": pd.NaT, "dividend": 0.0,
            "quote_date": pd.Timestamp(quote_date(rows))}


def _snapshot_row(snap: Snapshot, name: str, rate: float) -> dict[str, Any]:
    """A name's market row from a snapshot: a modelled chain's own ATM vol (and realized vol = ATM / VRP), else the
    chain's near-the-money implied vols."""
    if snap.kind != "modelled" or snap.closes is None:
        return _chain_market(snap.chain, name, rate)
    model = ChainModel()
    hist = snap.closes[name].dropna()
    iv = atm_vol(hist, model)
    return {"spot": float(hist.iloc[-1]), "iv": iv, "rate": rate, "dividend_yield": 0.0,
            "realized_vol": iv / model.vrp_factor, "ex_dividend_date": pd.NaT, "dividend": 0.0,
            "quote_date": pd.Timestamp(hist.index[-1].date())}


def build_market(names: Sequence[str], tables: dict[str, dict[str, Any]], chains: Sequence[Path], as_of: date,
                 rate: float, provider: MarketDataProvider | None = None, *, allow_missing: bool = False,
                 snapshot: Snapshot | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str]]:
    """Market rows, one combined chain and a per-name source label; names with no source are refused (with
    `allow_missing`, left out: the caller says so).

    Per name, the first that has it: a market table, a chain file, `snapshot` (the day's market a `putwheel run`
    loaded) or else the provider, the embedded universe.
    """
    rows: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    files = [read_chain(p, as_of=as_of) for p in chains]
    frames = list(files)
    for name in names:
        quoted = [(p, f) for p, f in zip(chains, files, strict=True) if (f["underlying"] == name).any()]
        if name in tables:
            rows[name], sources[name] = _market_row(dict(tables[name]), f"market.{name}", as_of), "market table"
            if quoted:
                sources[name] += f" + chain {quoted[0][0]}"
            else:
                r = rows[name]
                frames.append(model_quotes(name, r["spot"], r["iv"], as_of, r["rate"], r["dividend_yield"]))
                sources[name] += " (no chain: candidate quotes modelled from its spot and iv)"
        elif quoted:
            rows[name], sources[name] = _chain_market(quoted[0][1], name, rate), f"chain {quoted[0][0]}"
    rest = [n for n in names if n not in rows]
    reasons: dict[str, str] = {}
    if rest:   # the provider's snapshot, else the embedded universe's (a stale modelled quote is no quote)
        try:
            snap = snapshot.only(rest) if snapshot is not None else load_snapshot(
                provider if provider is not None else "embedded", rest, as_of, rate_for=lambda _day: rate,
                fresh_days=None if provider is not None else 5)
        except DataError:
            if provider is not None:
                raise
        except InputError:   # as_of outside the embedded data: those names have no market
            pass
        else:
            if provider is not None and snap.why:
                sym, why = next(iter(snap.why.items()))
                raise DataError(f"{provider.name} returned no {sym} options ({why})", where=provider.name,
                                hint="check the symbol, or give a [market.SYM] table or --chain FILE")
            reasons.update(snap.why)
            for name in snap.quotes:
                rows[name], sources[name] = _snapshot_row(snap, name, rate), snap.quotes[name]
            frames.append(snap.chain)
    missing = [n for n in names if n not in rows]
    if missing and not (allow_missing and rows):
        said = "".join(f"; {n}: {reasons[n]}" for n in missing if n in reasons)
        raise DataError(f"no market data for {', '.join(missing)} on {as_of}{said}", where="manage",
                        hint="add [market.SYMBOL] tables (spot, iv) to the positions file or pass --chain FILE")
    market = pd.DataFrame.from_dict(rows, orient="index")
    market.index.name = "underlying"
    chain = pd.concat(frames, ignore_index=True) if frames else None
    return market, chain, sources


def manage(as_of: date, *, positions: Path | None = None, db: str | None = None, chains: Sequence[Path] = (),
           market: Path | None = None, source: str | MarketDataProvider | None = None, account: str | None = None,
           rules: ManageRules | None = None, rate: float | None = None, skip_missing: bool = False,
           snapshot: Snapshot | None = None) -> ManageResult:
    """Decide every open position on `as_of`: hold, take profit, roll, let expire, accept assignment, covered call.

    A name with no market data is refused (`DataError`); with `skip_missing` (the daily `run`) its positions are
    left undecided and a note says so, as long as some name has data.

    `market` is a TOML/JSON file of `[market.SYM]` tables (spot, iv, ...) and optional `[rules]`; it overrides the
    positions file's own tables. Without it, quotes come from `chains`, then `source` (`cboe`, `yfinance`,
    `file:PATH` or a `MarketDataProvider`), then the embedded universe; `snapshot` (a run's market for the day,
    priced at `rate`) replaces the last two, so a run's manager sees the quotes its plan and broker see. `rate`
    prices the modelled and chain-file quotes; None: the plan's rule (`DayRates`: the day's 3-month T-bill, else
    0 % with a note), so `manage` and `plan` price a contract alike on the same day.
    """
    tables: dict[str, dict[str, Any]] = {}
    file_rules: ManageRules | None = None
    if positions is not None:
        legs, tables, file_rules = positions_from_file(positions)
        origin = f"positions file {positions}"
        if account is not None:
            legs = [(a, g) for a, g in legs if a == account]
    else:
        legs, origin = positions_from_ledger(db, account, as_of)
    if market is not None:
        doc = _load_doc(market)
        tables, file_rules = {**tables, **_tables(doc)}, _rules(doc, market) or file_rules
    rules = rules or file_rules
    rules = rules or ManageRules.model_validate({})
    notes = [f"{a + ': ' if a else ''}{g.underlying} {g.expiry} {g.strike:g}{g.right} expired before {as_of}: "
             "record its expiration or assignment" for a, g in legs
             if g.expiry is not None and g.expiry < as_of]
    live = [(a, g) for a, g in legs if g.expiry is None or g.expiry >= as_of]
    if not live:
        empty = pd.DataFrame(columns=list(SHOWN))
        return ManageResult(as_of, origin, {}, empty, (*notes, "no open positions to decide"))
    names = sorted({g.underlying for _, g in live})
    if rate is None:
        from putwheel.api.plan import DayRates
        from putwheel.config import PlanConfig

        rate = DayRates(PlanConfig(), notes)(as_of)
    provider = provider_for(source) if isinstance(source, str) else source
    frame, chain, sources = build_market(names, tables, chains, as_of, rate, provider, allow_missing=skip_missing,
                                         snapshot=snapshot)
    undecided = sorted(set(names) - set(frame.index))
    if undecided:
        notes.append(f"no market data for {', '.join(undecided)} on {as_of}: their positions are not decided today")
        live = [(a, g) for a, g in live if g.underlying not in undecided]
    out = decide_many(positions_frame([g for _, g in live]), frame, rules, as_of, chain=chain)
    out.insert(0, "account", [a for a, _ in live])
    out.insert(1, "position", [position_text(g) for _, g in live])
    return ManageResult(as_of, origin, sources, out.loc[:, [c for c in SHOWN if c in out]], tuple(notes),
                        tuple(undecided))


def position_text(g: OpenPosition) -> str:
    """How the manager names a position in its table (the `position` column that `run` matches decisions by)."""
    if g.right is None:
        return f"{g.underlying} {g.contracts} shares @ {g.share_cost_basis:.2f}"
    return f"{g.underlying} {g.expiry} {float(g.strike or 0):g}{g.right.value} x{g.contracts}"
