"""IBKR corporate actions (Flex `<CorporateAction>` rows and the Activity Statement's "Corporate Actions" section).

IBKR books an action as legs sharing one description and time: the old security delivered (its symbol often
renamed `VXX.OLD`) and the new one received ("VXX(US06742E7114) SPLIT 1 FOR 4 (VXX.OLD, ..., 06742E711)"); a
forward split is one row of the added shares only ("AMZN(...) Split 3 for 1", quantity 20). Stages: group the legs
-> drop cancelled pairs (code Ca) -> tell the old legs from the new (the old leg's CUSIP is inside the ISIN that
opens the description, or its symbol ends .OLD, else the delivered shares) -> `LedgerEvent`s of kind corporate
(old leg close, new leg open, one group: the domain moves each tax lot's cost and date across, nothing realized).
A group of old legs only (cash merger, delisting) is a disposal at its proceeds; new legs only (spinoff, stock
dividend) are received at no cost. A fraction of a new share sold for cash (Flex `FracShare`) becomes cash in lieu
on the receiving leg: that fraction of the carried basis is realized against the cash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from putwheel.domain.errors import InputError
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, in_lieu_note, shares
from putwheel.ledger.importers.common import Parsed, RowError, RowIssue, per_share

SOURCE = "ibkr"
_DESC = re.compile(r"^\s*(?P<ticker>[^\s(]*)\s*\((?P<id>[A-Z0-9]*)\)\s*(?P<what>.*?)\s*\((?P<tail>[^()]*)\)\s*$")
_SPLIT = re.compile(r"SPLIT\s+(\d+)\s+FOR\s+(\d+)", re.IGNORECASE)
_DATED = re.compile(r"^\d{14}")  # IBKR's temporary symbols: "20150224001800SGGHU"


@dataclass(frozen=True, slots=True)
class Leg:
    """One corporate-action row, broker-neutral: `instrument` is built by the caller for option legs."""

    where: str
    account: str
    ts: datetime
    category: str  # STK, OPT or what the broker says
    symbol: str
    description: str
    quantity: Decimal
    proceeds: Decimal
    currency: str = "USD"
    type: str = ""
    codes: frozenset[str] = frozenset()
    isin: str = ""
    key: str = ""  # the broker's transactionID, when it has one
    option: Instrument | None = None  # an option leg's contract, as the row names it


@dataclass(frozen=True, slots=True)
class Fraction:
    """A fractional share sold for cash (IBKR `FracShare`): `quantity` is negative, `cash` what it paid."""

    where: str
    symbol: str
    quantity: Decimal
    price: Decimal
    cash: Decimal


def _parts(desc: str) -> tuple[str, str, str, list[str]]:
    m = _DESC.match(desc)
    if m is None:
        return "", "", desc.strip(), []
    return m["ticker"], m["id"], m["what"], [p.strip() for p in m["tail"].split(",")]


def _head(desc: str) -> str:
    ticker, ident, what, _ = _parts(desc)
    return f"{ticker}({ident}) {' '.join(what.split())}" if ident else " ".join(desc.split())


def _is_old(leg: Leg, legs: list[Leg]) -> bool | None:
    ticker, ident, _, tail = _parts(leg.description)
    tail_id = tail[-1] if tail else ""
    if leg.symbol.endswith(".OLD"):
        return True
    if leg.option is not None:  # the old contract is on the ticker that opens the description, the new one is not
        roots = {other.option.underlying for other in legs if other.option is not None}
        return leg.option.underlying == ticker if ticker in roots and len(roots) > 1 else None
    if ident and (leg.isin == ident or (tail_id and tail_id in ident)):
        return True
    if ident and (leg.isin or tail_id):
        return False
    return None


def _instrument(leg: Leg, old: bool) -> Instrument:
    if leg.option is not None:
        return leg.option
    ticker = _parts(leg.description)[0]
    symbol = leg.symbol
    if old and (symbol.endswith(".OLD") or _DATED.match(symbol)) and ticker:
        symbol = ticker
    return shares(_DATED.sub("", symbol.removesuffix(".OLD")))


def _cancel(legs: list[Leg]) -> list[Leg]:
    # A row coded Ca reverses an earlier row of the same security and opposite quantity: both go
    out = [leg for leg in legs if "Ca" not in leg.codes]
    for ca in (leg for leg in legs if "Ca" in leg.codes):
        hit = next((i for i, leg in enumerate(out) if leg.symbol == ca.symbol and leg.quantity == -ca.quantity), None)
        if hit is not None:
            out.pop(hit)
    return out


def _whole(q: Decimal, leg: Leg) -> int:
    if q != q.to_integral_value():
        raise RowError(f"corporate action {leg.symbol} quantity {q} is fractional; the ledger holds whole shares "
                       "(import the file with the fraction's cash-in-lieu sale, or record it by hand)")
    return int(q)


def _forward_split(leg: Leg) -> tuple[int, int] | None:
    # One row of added shares: N for M with N > M; held = added x M / (N - M)
    m = _SPLIT.search(_parts(leg.description)[2] or leg.description)
    if m is None or leg.option is not None:
        return None
    n, k = int(m[1]), int(m[2])
    if n <= k:
        return None
    held = leg.quantity * k / (n - k)
    return (_whole(held, leg), _whole(held + leg.quantity, leg))


def _event(leg: Leg, inst: Instrument, qty: int, kind: Kind, effect: Effect, cash: Decimal, group: str,
           note: str, suffix: str = "") -> LedgerEvent:
    price = per_share(abs(cash) / (abs(qty) * inst.multiplier)) if kind is Kind.TRADE else Decimal(0)
    ev = LedgerEvent(leg.account, leg.ts, kind, cash, inst, qty, price, Decimal(0), leg.currency, effect, group,
                     SOURCE, note[:80])
    return ev.with_key(f"{SOURCE}:id:{leg.account}:ca:{leg.key}{suffix}") if leg.key else ev


Held = dict[tuple[str, str], Decimal]   # (account, instrument label) -> net quantity held before the action


def _held(before: Sequence[LedgerEvent], ts: datetime) -> Held:
    out: Held = {}
    for ev in before:
        if ev.instrument is not None and ev.ts < ts:
            key = (ev.account, f"{ev.instrument.label}x{ev.instrument.multiplier}")
            out[key] = out.get(key, Decimal(0)) + ev.quantity
    return out


def _closes_a_holding(leg: Leg, held: Held) -> bool:
    """The leg moves a position this file holds before the action back toward flat (a short's leg is a buy)."""
    if leg.option is None:
        return False
    now = held.get((leg.account, f"{leg.option.label}x{leg.option.multiplier}"), Decimal(0))
    return now != 0 and (now > 0) != (leg.quantity > 0) and abs(leg.quantity) <= abs(now)


def _marks(legs: list[Leg], held: Held | None = None) -> list[bool]:
    """Which legs (all stocks or all options) are the old security: from the description and symbols, else (options
    of one root re-struck by a split) the strike the split ratio leads from, else the option this file holds before
    the action (right for a short option too), else the delivered side."""
    marks = [_is_old(leg, legs) for leg in legs]
    if len(legs) > 1 and (None in marks or all(marks) or not any(marks)):
        ratio = _SPLIT.search(legs[0].description)
        strikes = {leg.option.strike for leg in legs if leg.option is not None}
        if ratio and len(strikes) == 2 and int(ratio[1]) != int(ratio[2]):
            pick = max(strikes) if int(ratio[1]) > int(ratio[2]) else min(strikes)  # a forward split lowers it
            return [leg.option is not None and leg.option.strike == pick for leg in legs]
        closing = [_closes_a_holding(leg, held or {}) for leg in legs]
        if any(closing) and not all(closing):
            return closing
        return [leg.quantity < 0 for leg in legs]  # nothing tells: the delivered side is the old one
    if len(legs) == 1 and marks[0] is None:
        return [legs[0].quantity < 0]
    return [bool(m) for m in marks]


def _group(legs: list[Leg], fractions: list[Fraction], parsed: Parsed, held: Held) -> list[LedgerEvent]:
    legs = [leg for leg in _cancel(legs) if leg.quantity != 0]
    if not legs:
        return []
    first = legs[0]
    head = _head(first.description)
    group = "ca:" + hashlib.sha1(f"{first.account}|{first.ts.isoformat()}|{head}".encode()).hexdigest()[:16]
    note = f"{first.type} {head}".strip()
    stocks = [leg for leg in legs if leg.option is None]
    out: list[LedgerEvent] = []
    if len(stocks) == 1 and (split := _forward_split(stocks[0])) is not None:
        # a forward split is one row of the added shares: read it as the held shares out and the new total in
        held, total = split
        leg = stocks[0]
        inst = _instrument(leg, True)
        out += [_event(leg, inst, -held, Kind.CORPORATE, Effect.CLOSE, Decimal(0), group, note, ":old"),
                _event(leg, inst, total, Kind.CORPORATE, Effect.OPEN, leg.proceeds, group, note, ":new")]
        legs = [leg for leg in legs if leg.option is not None]
    marks = (_marks([leg for leg in legs if leg.option is None])
             + _marks([leg for leg in legs if leg.option is not None], held))
    legs = [leg for leg in legs if leg.option is None] + [leg for leg in legs if leg.option is not None]
    olds = [leg for leg, m in zip(legs, marks, strict=True) if m]
    news = [leg for leg, m in zip(legs, marks, strict=True) if not m]
    for leg in olds:
        inst = _instrument(leg, True)
        qty = _whole(leg.quantity, leg)
        kind = Kind.CORPORATE if news else Kind.TRADE  # old legs only: sold for its proceeds (cash merger, delisting)
        out.append(_event(leg, inst, qty, kind, Effect.CLOSE, leg.proceeds, group, note))
    for leg in news:
        inst = _instrument(leg, False)
        whole = leg.quantity.to_integral_value(rounding="ROUND_DOWN") if leg.quantity > 0 else leg.quantity
        cash, leg_note = leg.proceeds, note
        frac = leg.quantity - whole
        if frac:
            sold = next((f for f in fractions if f.symbol == leg.symbol and f.quantity == -frac), None)
            if sold is None:
                raise RowError(f"corporate action {leg.symbol} quantity {leg.quantity} is fractional and this file "
                               "holds no sale of the fraction (FracShare); the ledger holds whole shares",
                               hint="import the statement that holds the cash in lieu, or record the action by hand")
            fractions.remove(sold)
            cash += sold.cash
            leg_note = in_lieu_note(frac, leg.symbol) + f" | {note}"
        out.append(_event(leg, inst, _whole(whole, leg), Kind.CORPORATE, Effect.OPEN, cash, group, leg_note))
    return out


def corporate_events(legs: list[Leg], fractions: list[Fraction], parsed: Parsed,
                     before: Sequence[LedgerEvent] = ()) -> list[LedgerEvent]:
    """Every corporate action of `legs` as ledger events; unreadable groups become `RowIssue`s, fractions sold for
    cash without their action stay in `fractions` for the caller to report. `before`: the file's other events (its
    trades), which tell an adjusted option's old leg from its new one when nothing else does."""
    groups: dict[tuple[str, datetime, str], list[Leg]] = {}
    for leg in legs:
        groups.setdefault((leg.account, leg.ts, _head(leg.description)), []).append(leg)
    out: list[LedgerEvent] = []
    for group in groups.values():
        try:
            out += _group(group, fractions, parsed, _held(before, group[0].ts))
        except (RowError, InputError) as exc:
            parsed.issues.append(RowIssue(group[0].where, exc.message if isinstance(exc, InputError) else str(exc)))
    if out:
        parsed.notes.append(f"{len(groups)} corporate action(s) imported as {len(out)} event(s): basis and holding "
                            "period carried to the new security, nothing realized (but cash in lieu, cash mergers)")
    return out


