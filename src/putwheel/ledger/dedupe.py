"""Recognise a transaction already in the ledger by its economic content, whatever export or format it came from.

Stages: `fingerprint` each event (account, kind, instrument, quantity, currency; not the row text, the note, the
order id or the source; the price is implied by the cash, and the legacy export rounds it differently) -> match
each new event one-to-one with a stored event of the same fingerprint whose cash agrees within a cent (tastyworks'
legacy export keeps fees to 3 decimals, the current one to cents) and whose time differs by a whole number of half
hours up to 14 h, give or take a minute (the same instant written in another time zone, or by an export that keeps
only minutes: the legacy format has no UTC offset and no seconds) -> the unmatched new events are the ones to add.

Two identical fills stay two: matching is one-to-one, so a history in two formats gives one ledger, and a longer
export adds only what the shorter one lacked.

Which copy is kept does not depend on the import order: export formats are ranked (`FORMAT_RANK`: the current
tastytrade export over the 2021-2023 one over legacy tastyworks; IBKR Flex over the Activity Statement; entries
made by hand are never replaced). A matched new event of a higher-ranked format *supersedes* the stored one: both
stay in the append-only log, plus a `Kind.SUPERSEDED` marker naming the replaced key, and `effective` (what every
read returns) drops the marker and the event it names. Equal or lower rank: the stored copy is kept.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from putwheel.ledger.events import Kind, LedgerEvent

_MAX_OFFSET = timedelta(hours=14)
_STEP = timedelta(minutes=30)
_SLACK = timedelta(seconds=60)

_CENT = Decimal("0.01")

Fingerprint = tuple[str, str, str, int, str]

# The format an import batch was read from (`Parsed.format_id`, stored as the batch's source) -> its rank. A higher
# rank replaces a lower one's copy of the same transaction. Plain "tastytrade" / "ibkr" are batches recorded before
# formats were ranked: rank 0, so any ranked export's copy replaces theirs (an equal copy has the same key anyway).
FORMAT_RANK: dict[str, int] = {
    "tastytrade/legacy": 0,  # 15 columns, no UTC offset, minutes only, fees to 3 decimals
    "tastytrade/2021": 1,  # 18 columns
    "tastytrade/2024": 2,  # 20 columns (Sub Type, Currency)
    "tastytrade/2024-total": 2,  # 21 columns (also Total)
    "ibkr/statement": 0,  # Activity Statement CSV: order-level rows, no ids
    "ibkr/flex-csv": 1,
    "ibkr/flex": 1,  # Activity Flex XML: execution ids, seconds
    "ibkr/tcf": 1,  # Trade Confirmation Flex XML
}
MANUAL_RANK = 1_000  # recorded by hand: never replaced by an import


def rank(format_id: str | None) -> int:
    """The rank of an import format (`FORMAT_RANK`); "manual" outranks every export, unknown formats rank 0."""
    if format_id in (None, "", "manual"):
        return MANUAL_RANK
    return FORMAT_RANK.get(format_id, 0)


@dataclass(slots=True)
class Matched:
    """`new` split against the stored events: what to add, what was present, which stored copies `new` replaces."""

    fresh: list[LedgerEvent] = field(default_factory=list)  # new transactions (replacements not included)
    present: list[LedgerEvent] = field(default_factory=list)  # already stored, the stored copy kept
    # (new copies, the stored copies they replace): one to one, or an order's executions against its one order row
    replacing: list[tuple[list[LedgerEvent], list[LedgerEvent]]] = field(default_factory=list)
    order: list[LedgerEvent] = field(default_factory=list)  # the new events in the file's order

    @property
    def replaced(self) -> int:
        """How many new events replace stored copies."""
        return sum(len(news) for news, _ in self.replacing)

    @property
    def to_insert(self) -> list[LedgerEvent]:
        """The events to store: fresh ones and replacements in the file's order, then one marker per replaced copy."""
        keep = {id(e) for e in self.fresh} | {id(n) for news, _ in self.replacing for n in news}
        return [e for e in self.order if id(e) in keep] + [marker(old, news[0]) for news, olds in self.replacing
                                                           for old in olds]


def marker(old: LedgerEvent, new: LedgerEvent) -> LedgerEvent:
    """The append-only record that `old` is replaced by `new` (the same transaction from a better export)."""
    digest = hashlib.sha256(old.key.encode()).hexdigest()[:40]
    return LedgerEvent(account=old.account, ts=old.ts, kind=Kind.SUPERSEDED, cash=Decimal(0), currency=old.currency,
                       source=new.source, note=old.key, key=f"superseded:{digest}")


def effective(events: Iterable[LedgerEvent]) -> list[LedgerEvent]:
    """The events that count: without the markers and without the events they name (order kept)."""
    evs = list(events)
    gone = {e.note for e in evs if e.kind is Kind.SUPERSEDED}
    return [e for e in evs if e.kind is not Kind.SUPERSEDED and e.key not in gone]


def fingerprint(ev: LedgerEvent) -> Fingerprint:
    inst = ev.instrument
    label = f"{inst.label}x{inst.multiplier}" if inst else ""
    return ev.account, ev.kind.value, label, ev.quantity, ev.currency


def _near(a: datetime, b: datetime) -> bool:
    """The same instant, possibly written in another time zone: a whole number of half hours apart, up to 14 h."""
    gap = abs(a - b)
    if gap > _MAX_OFFSET + _SLACK:
        return False
    off = gap % _STEP
    return off <= _SLACK or _STEP - off <= _SLACK


def _same(a: LedgerEvent, b: LedgerEvent) -> bool:
    return abs(a.cash - b.cash) <= _CENT and _near(a.ts, b.ts)


Side = tuple[str, str, str, str, bool, object]


def _side(ev: LedgerEvent) -> Side:
    """What an order row and its executions share: account, kind, instrument, currency, direction, open/close."""
    account, kind, label, _, currency = fingerprint(ev)
    return account, kind, label, currency, ev.quantity > 0, ev.effect


def _orders(events: Iterable[LedgerEvent]) -> dict[tuple[Side, str], list[LedgerEvent]]:
    """Executions of one order (same side, same broker order id), where an order has two or more."""
    out: dict[tuple[Side, str], list[LedgerEvent]] = defaultdict(list)
    for ev in events:
        if ev.group and ev.instrument is not None:
            out[(_side(ev), ev.group)].append(ev)
    return {k: v for k, v in out.items() if len(v) > 1}


def _sums_to(parts: Sequence[LedgerEvent], whole: LedgerEvent) -> bool:
    # An order-level row (IBKR Activity Statement) is its executions summed: quantity exactly, cash within a cent,
    # at the time of one of them (or within their span)
    if sum(p.quantity for p in parts) != whole.quantity:
        return False
    if abs(sum((p.cash for p in parts), Decimal(0)) - whole.cash) > _CENT:
        return False
    first, last = min(p.ts for p in parts), max(p.ts for p in parts)
    return first - _SLACK <= whole.ts <= last + _SLACK or any(_near(p.ts, whole.ts) for p in parts)


def split_present(new: Sequence[LedgerEvent], stored: Iterable[LedgerEvent], *, new_rank: int = 0,
                  stored_rank: Callable[[LedgerEvent], int] = lambda e: MANUAL_RANK) -> Matched:
    """`new` matched against the effective `stored` events by content: one to one first, then an order's
    executions against one order-level row (either side may be the new one). A match whose stored copy ranks below
    `new_rank` is replaced; any other match is present (and skipped)."""
    pool: dict[Fingerprint, list[LedgerEvent]] = defaultdict(list)
    for ev in stored:
        pool[fingerprint(ev)].append(ev)
    out = Matched(order=list(new))
    for ev in new:
        candidates = pool.get(fingerprint(ev))
        match = None
        if candidates:
            close = [c for c in candidates if _same(c, ev)]
            match = min(close, key=lambda c: abs(c.ts - ev.ts), default=None)
        if match is None:
            out.fresh.append(ev)
            continue
        assert candidates is not None
        candidates.remove(match)
        _decide(out, [ev], [match], new_rank, stored_rank)
    left = [c for cands in pool.values() for c in cands]
    _match_orders(out, left, new_rank, stored_rank)
    return out


def _decide(out: Matched, news: list[LedgerEvent], olds: list[LedgerEvent], new_rank: int,
            stored_rank: Callable[[LedgerEvent], int]) -> None:
    if max(stored_rank(o) for o in olds) < new_rank:
        out.replacing.append((news, olds))
    else:
        out.present.extend(news)


def _match_orders(out: Matched, left: list[LedgerEvent], new_rank: int,
                  stored_rank: Callable[[LedgerEvent], int]) -> None:
    """Many to one: new executions of one order against a stored order row, and a new order row against stored
    executions (an IBKR Flex file and an Activity Statement of the same trades)."""
    by_side: dict[Side, list[LedgerEvent]] = defaultdict(list)
    for ev in left:
        by_side[_side(ev)].append(ev)
    taken: set[int] = set()
    for (side, _), parts in _orders(out.fresh).items():
        whole = next((c for c in by_side.get(side, []) if id(c) not in taken and _sums_to(parts, c)), None)
        if whole is not None:
            taken.add(id(whole))
            ids = {id(p) for p in parts}
            out.fresh = [e for e in out.fresh if id(e) not in ids]
            _decide(out, list(parts), [whole], new_rank, stored_rank)
    groups = [(side, parts) for (side, _), parts in _orders(e for e in left if id(e) not in taken).items()]
    for ev in list(out.fresh):
        hit = next((i for i, (side, parts) in enumerate(groups) if side == _side(ev) and _sums_to(parts, ev)), None)
        if hit is not None:
            _, parts = groups.pop(hit)
            out.fresh.remove(ev)
            _decide(out, [ev], list(parts), new_rank, stored_rank)
