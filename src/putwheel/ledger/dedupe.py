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
from datetime import timedelta
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
    replacing: list[tuple[LedgerEvent, LedgerEvent]] = field(default_factory=list)  # (new copy, stored copy it replaces)
    order: list[LedgerEvent] = field(default_factory=list)  # the new events in the file's order

    @property
    def to_insert(self) -> list[LedgerEvent]:
        """The events to store: fresh ones and replacements in the file's order, then one marker per replacement."""
        keep = {id(e) for e in self.fresh} | {id(n) for n, _ in self.replacing}
        return [e for e in self.order if id(e) in keep] + [marker(old, new) for new, old in self.replacing]


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


def _same(a: LedgerEvent, b: LedgerEvent) -> bool:
    if abs(a.cash - b.cash) > _CENT:
        return False
    gap = abs(a.ts - b.ts)
    if gap > _MAX_OFFSET + _SLACK:
        return False
    off = gap % _STEP
    return off <= _SLACK or _STEP - off <= _SLACK


def split_present(new: Sequence[LedgerEvent], stored: Iterable[LedgerEvent], *, new_rank: int = 0,
                  stored_rank: Callable[[LedgerEvent], int] = lambda e: MANUAL_RANK) -> Matched:
    """`new` matched one-to-one against the effective `stored` events by content; a match whose stored copy ranks
    below `new_rank` is replaced, any other match is present (and skipped)."""
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
        if stored_rank(match) < new_rank:
            out.replacing.append((ev, match))
        else:
            out.present.append(ev)
    return out
