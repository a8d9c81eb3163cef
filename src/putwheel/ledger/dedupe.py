"""Recognise a transaction already in the ledger by its economic content, whatever export or format it came from.

Stages: `fingerprint` each event (account, kind, instrument, quantity, currency; not the row text, the note, the
order id or the source; the price is implied by the cash, and the legacy export rounds it differently) -> match
each new event one-to-one with a stored event of the same fingerprint whose cash agrees within a cent (tastyworks'
legacy export keeps fees to 3 decimals, the current one to cents) and whose time differs by a whole number of half
hours up to 14 h, give or take a minute (the same instant written in another time zone, or by an export that keeps
only minutes: the legacy format has no UTC offset and no seconds) -> the unmatched new events are the ones to add.

Two identical fills stay two: matching is one-to-one, so a history in two formats gives one ledger, and a longer
export adds only what the shorter one lacked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal

from putwheel.ledger.events import LedgerEvent

_MAX_OFFSET = timedelta(hours=14)
_STEP = timedelta(minutes=30)
_SLACK = timedelta(seconds=60)

_CENT = Decimal("0.01")

Fingerprint = tuple[str, str, str, int, str]


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


def split_present(new: Sequence[LedgerEvent], stored: Iterable[LedgerEvent]) -> tuple[list[LedgerEvent], list[LedgerEvent]]:
    """(events to add, events already present) of `new`, matched one-to-one against `stored` by content."""
    pool: dict[Fingerprint, list[LedgerEvent]] = defaultdict(list)
    for ev in stored:
        pool[fingerprint(ev)].append(ev)
    fresh, present = [], []
    for ev in new:
        candidates = pool.get(fingerprint(ev))
        match = None
        if candidates:
            close = [c for c in candidates if _same(c, ev)]
            match = min(close, key=lambda c: abs(c.ts - ev.ts), default=None)
        if match is None:
            fresh.append(ev)
        else:
            assert candidates is not None
            candidates.remove(match)
            present.append(ev)
    return fresh, present
