"""Reconciliation: the broker's positions and activities against the ledger, on every run.

Stages: which positions are the bot's (opened by fills from this broker, or adopted) -> the broker's activities
(expirations, assignments) on the bot's positions become ledger events, keyed by the activity id so each is
recorded once -> positions compared instrument by instrument: every difference listed (a fill the ledger missed, a
position the broker no longer has, a trade made by hand at the broker) -> with `adopt`, the broker's truth is
recorded as events (source = the broker) and those positions become the bot's. Positions the ledger holds from
manual trades or imports are never touched unless adopted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

from putwheel.domain.contract import OptionContract
from putwheel.domain.orders import ActivityKind, BrokerActivity, BrokerPosition
from putwheel.ledger import Effect, Instrument, Kind, Ledger, LedgerEvent, State, manual, option, replay, shares

CLOSE_UTC = time(21, 0)


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the broker and the ledger disagree. `code`: missing_in_ledger, missing_at_broker, quantity,
    activity_not_open, activity_not_ours."""

    code: str
    label: str
    broker_quantity: int
    ledger_quantity: int
    adopted: bool = False


def _inst(c: OptionContract) -> Instrument:
    return option(c.underlying, c.right, c.strike, c.expiry, c.multiplier)


def owned(events: Sequence[LedgerEvent], broker: str) -> set[Instrument]:
    """Instruments the bot holds: any event from this broker (its fills, activities or adoptions) touched them."""
    return {e.instrument for e in events if e.source == broker and e.instrument is not None}


def _held(state: State, account: str, inst: Instrument) -> int:
    h = state.holdings.get((account, inst))
    return h.quantity if h else 0


def _activity_events(account: str, broker: str, a: BrokerActivity, open_qty: int) -> list[LedgerEvent]:
    inst = _inst(a.contract)
    ts = datetime.combine(a.on, CLOSE_UTC, UTC)
    key = f"{broker}:id:{a.activity_id}"
    if a.kind is ActivityKind.EXPIRATION:
        evs = manual.expire(account, ts, inst, open_qty)
    else:
        evs = manual.assign(account, ts, inst, a.quantity)
        if open_qty > 0:   # a long option exercised: the option leaves with the opposite sign
            evs = [replace(evs[0], quantity=-a.quantity), replace(evs[1], quantity=-evs[1].quantity,
                                                                   cash=-evs[1].cash)]
    suffix = ["", ":s"] if len(evs) == 2 else [""]
    return [replace(e, source=broker, key=key + s) for e, s in zip(evs, suffix, strict=False)]


def activities(ledger: Ledger, account: str, broker: str, reported: Sequence[BrokerActivity], *,
               adopt: bool = False) -> tuple[list[LedgerEvent], list[BrokerActivity], list[Difference]]:
    """Ledger events for the broker's activities on the bot's positions (not yet recorded); the rest listed."""
    events = ledger.events(account)
    keys = {e.key for e in events}
    mine = owned(events, broker)
    state = replay(events)
    out: list[LedgerEvent] = []
    done: list[BrokerActivity] = []
    diffs: list[Difference] = []
    for a in sorted(reported, key=lambda x: (x.on, x.activity_id)):
        if f"{broker}:id:{a.activity_id}" in keys:
            continue
        inst = _inst(a.contract)
        qty = _held(state, account, inst)
        label = f"{a.kind.value} {inst.label}"
        if inst not in mine and not adopt:
            diffs.append(Difference("activity_not_ours", label, a.quantity, qty))
            continue
        if qty == 0:
            diffs.append(Difference("activity_not_open", label, a.quantity, 0))
            continue
        evs = _activity_events(account, broker, a, qty)
        out.extend(evs)
        done.append(a)
        state = replay([*events, *out])
    return out, done, diffs


def positions(ledger: Ledger, account: str, broker: str, held: Sequence[BrokerPosition]) -> list[Difference]:
    """The broker's positions against the ledger's, for the bot's instruments and anything the ledger lacks."""
    events = ledger.events(account)
    state = replay(events)
    mine = owned(events, broker)
    at_broker: dict[Instrument, int] = {}
    for p in held:
        inst = _inst(p.contract) if p.contract is not None else shares(p.symbol)
        at_broker[inst] = at_broker.get(inst, 0) + p.quantity
    diffs = []
    for inst, qty in sorted(at_broker.items(), key=lambda kv: kv[0].label):
        have = _held(state, account, inst)
        if have != qty and (inst in mine or have == 0):
            diffs.append(Difference("missing_in_ledger" if have == 0 else "quantity", inst.label, qty, have))
    for (acct, inst), h in sorted(state.holdings.items(), key=lambda kv: kv[0][1].label):
        if acct == account and inst in mine and inst not in at_broker and h.quantity != 0:
            diffs.append(Difference("missing_at_broker", inst.label, 0, h.quantity))
    return diffs


def adopt_events(account: str, broker: str, diffs: Sequence[Difference], held: Sequence[BrokerPosition],
                 on: date) -> list[LedgerEvent]:
    """Trades that make the ledger hold what the broker holds, at the broker's average price (source: the broker)."""
    by_label = {}
    for p in held:
        inst = _inst(p.contract) if p.contract is not None else shares(p.symbol)
        by_label[inst.label] = (inst, p)
    ts = datetime.combine(on, CLOSE_UTC, UTC)
    out = []
    for d in diffs:
        if d.code not in ("missing_in_ledger", "quantity") or d.label not in by_label:
            continue
        inst, p = by_label[d.label]
        delta = d.broker_quantity - d.ledger_quantity
        price = max(p.average_price, Decimal(0))
        opening = (delta < 0) == (d.broker_quantity < 0)
        if inst.is_option:
            ev = manual.option_trade(account, ts, inst, delta, price, effect=Effect.OPEN if opening else Effect.CLOSE)
        else:
            ev = LedgerEvent(account, ts, Kind.TRADE, -Decimal(delta) * price, inst, delta, price,
                             effect=Effect.OPEN if opening else Effect.CLOSE)
        out.append(replace(ev, source=broker, key=f"{broker}:adopt:{d.label}:{on.isoformat()}"[:80],
                           note="adopted from the broker"))
    return out
