"""tastytrade / tastyworks transaction CSVs, all three header generations (detected from the header).

Stages: detect the generation -> normalize each row to one dict of the 2024+ names -> map to `LedgerEvent`s
(trades, expirations/assignments/exercises from "Receive Deliver", money movements) -> give removal rows
without an Action the sign that closes the open position -> `finish` (order, keys).
Cash is the broker's own Total (or Value + Commissions + Fees), so the account reconciles to the cent.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from putwheel.domain.errors import DataError, InputError
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, option, shares
from putwheel.ledger.importers.common import (
    Parsed,
    RowError,
    RowIssue,
    as_input_error,
    finish,
    foreign,
    money,
    per_share,
    whole,
)

SOURCE = "tastytrade"
TOTAL_TOLERANCE = Decimal("0.05")
GEN2 = ("Date,Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,"  # noqa: SIM905
        "Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #").split(",")
LEGACY = ("Date/Time,Transaction Code,Transaction Subcode,Symbol,Buy/Sell,Open/Close,Quantity,Expiration Date,"  # noqa: SIM905
          "Strike,Call/Put,Price,Fees,Amount,Description,Account Reference").split(",")


# "Receive Deliver" sub types that re-denominate a position (its basis carries across; nothing is realized)
# ("Special Dividend": an option series re-struck for a special dividend, TSLL 36C -> 35.7C: the same position)
CORPORATE_SUBTYPES = frozenset({"reverse split", "forward split", "symbol change", "stock merger", "cash merger",
                                "spin-off", "spinoff", "reorganization", "special dividend"})


def is_corporate(sub: str, desc: str) -> bool:
    """A corporate-action row: by its Sub Type, or (2021-2023 exports have none) by its description's first words
    ("Symbol change:  Open 2.0 PARA ...", "Stock merger Close 6.0 SPRT ...", "Reverse split: ...")."""
    words = " ".join(desc.lower().replace(":", " ").split())
    return sub.lower() in CORPORATE_SUBTYPES or any(words.startswith(w) for w in CORPORATE_SUBTYPES)


def generation(header: list[str]) -> str:
    cols = [c.strip().lstrip("\ufeff") for c in header]
    if cols == LEGACY:
        return "legacy"
    if cols == GEN2:
        return "2021"
    if cols[:3] == ["Date", "Type", "Sub Type"] and "Currency" in cols and "Value" in cols:
        return "2024-total" if "Total" in cols else "2024"
    raise DataError(f"unrecognized tastytrade header ({len(cols)} columns): {','.join(cols[:6])},...",
                    hint="export Activity > Transactions as CSV from tastytrade (any of the three known generations)")


def _legacy_row(r: dict[str, str]) -> dict[str, str]:
    bs, oc = r.get("Buy/Sell", "").strip().upper(), r.get("Open/Close", "").strip().upper()
    action = f"{bs}_TO_{oc}" if bs in ("BUY", "SELL") and oc in ("OPEN", "CLOSE") else ""
    when = datetime.strptime(r["Date/Time"].strip(), "%m/%d/%Y %I:%M %p").replace(tzinfo=UTC)
    amount, fees = money(r.get("Amount"), what="Amount"), money(r.get("Fees"), what="Fees")
    symbol = r.get("Symbol", "").strip()
    is_option = bool(r.get("Call/Put", "").strip())
    return {
        "Date": when.isoformat(), "Type": r.get("Transaction Code", ""), "Sub Type": r.get("Transaction Subcode", ""),
        "Action": action, "Symbol": symbol, "Instrument Type": "Equity Option" if is_option else ("Equity" if symbol else ""),
        "Description": r.get("Description", ""), "Value": str(amount), "Quantity": r.get("Quantity", "") or "0",
        "Commissions": "0", "Fees": str(-abs(fees)), "Multiplier": "100" if is_option else "",
        "Underlying Symbol": symbol.split()[0] if symbol else "", "Expiration Date": r.get("Expiration Date", ""),
        "Strike Price": r.get("Strike", ""), "Call or Put": r.get("Call/Put", ""), "Order #": "",
        "Total": str(amount - abs(fees)), "Currency": "USD",
    }


def _when(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise RowError(f"Date {text!r} is not an ISO timestamp like 2021-12-03T23:00:00+0100") from exc
    if ts.tzinfo is None:
        raise RowError(f"Date {text!r} has no UTC offset")
    return ts


def _expiry(text: str) -> date:
    for fmt in ("%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise RowError(f"Expiration Date {text!r} is not m/dd/yy")


def _instrument(r: dict[str, str]) -> Instrument:
    kind = r.get("Instrument Type", "").strip()
    if kind == "Equity Option":
        try:
            return option(r["Underlying Symbol"] or r["Root Symbol"], r["Call or Put"], money(r["Strike Price"], what="Strike"),
                          _expiry(r["Expiration Date"]), whole(r.get("Multiplier") or "100", what="Multiplier"))
        except InputError as exc:
            raise as_input_error(exc) from exc
    if kind == "Equity":
        return shares(r["Symbol"])
    raise RowError(f"instrument type {kind!r} is not supported (equities and equity options only)")


def _cash(r: dict[str, str]) -> tuple[Decimal, Decimal]:
    """(net cash, fees as a positive cost) from Total, else Value + Commissions + Fees."""
    value = money(r.get("Value"), what="Value")
    costs = money(r.get("Commissions"), what="Commissions") + money(r.get("Fees"), what="Fees")
    total = r.get("Total")
    if total in (None, ""):
        return value + costs, -costs
    cash = money(total, what="Total")
    if cash and (r.get("Value") or "").strip() in ("", "--"):
        raise RowError(f"Value is empty but Total is {total!r}", hint="export the transactions again")
    expected = value + costs
    if abs(cash - expected) > TOTAL_TOLERANCE or cash * expected < 0:  # the broker rounds by a cent at most
        raise RowError(f"Total {total!r} contradicts Value + Commissions + Fees = {expected}",
                       hint="the row is damaged: export it again")
    return cash, -costs


def _event(r: dict[str, str], account: str, where: str) -> LedgerEvent:
    ts, typ = _when(r["Date"]), r.get("Type", "").strip()
    sub, action = r.get("Sub Type", "").strip(), r.get("Action", "").strip().upper()
    desc = r.get("Description", "").strip()
    cash, fees = _cash(r)
    common = {"account": account, "ts": ts, "currency": (r.get("Currency") or "USD").strip() or "USD", "source": SOURCE,
              "group": r.get("Order #", "").strip() or None}
    if typ == "Money Movement":
        return _money_movement(r, sub, desc, cash, common)
    if typ not in ("Trade", "Receive Deliver"):
        raise RowError(f"transaction type {typ!r} is not supported")
    inst = _instrument(r)
    qty = whole(r.get("Quantity"), what="Quantity")
    if qty <= 0:
        raise RowError(f"Quantity {r.get('Quantity')!r} must be positive")
    text = f"{sub} {desc}".lower()
    kind = Kind.TRADE
    if typ == "Receive Deliver" and is_corporate(sub, desc):
        kind = Kind.CORPORATE
    elif typ == "Receive Deliver" and inst.is_option:
        kind = (Kind.EXPIRE if "expiration" in text else Kind.ASSIGN if "assignment" in text
                else Kind.EXERCISE if "exercise" in text else Kind.TRADE)
    if kind in (Kind.TRADE, Kind.CORPORATE) and not action:
        raise RowError(f"{typ} row has no Action and is not an expiration/assignment/exercise: {desc!r}")
    sign = 0 if not action else (1 if action.startswith("BUY") else -1)
    closes = action.endswith("CLOSE") or kind is not Kind.TRADE
    effect = Effect.OPEN if action.endswith("OPEN") else Effect.CLOSE if closes else None
    if kind is Kind.TRADE and (r.get("Value") or "").strip() in ("", "--"):
        raise RowError("Value is empty, so the trade's price is unknown", hint="export the transactions again")
    value = abs(money(r.get("Value"), what="Value"))
    price = per_share(value / (qty * inst.multiplier))
    note = sub or desc[:60]
    return LedgerEvent(kind=kind, cash=cash, instrument=inst, quantity=sign * qty or qty, price=price, fees=fees,
                       effect=effect, note=note if sign else f"{note}|sign?", **common)  # type: ignore[arg-type]


_DEBIT_INTEREST = re.compile(r"^FROM \d\d/\d\d THRU \d\d/\d\d @")  # "FROM 07/16 THRU 08/15 @ 8 %", typed Withdrawal


def money_movement_kind(sub: str, desc: str, symbol: str, cash: Decimal) -> Kind:
    """The income category of a Money Movement row, from its sub type and text (not its sign alone)."""
    text = f"{sub} {desc}".lower()
    if "interest" in text or _DEBIT_INTEREST.match(desc.strip().upper()):
        return Kind.INTEREST
    if "lending" in text:
        return Kind.LENDING
    if "withholding" in text:
        return Kind.WITHHOLDING
    if "dividend" in text or (symbol and sub.lower() in ("deposit", "")):  # fund distributions come as "Deposit"
        return Kind.DIVIDEND if cash >= 0 else Kind.WITHHOLDING  # a negative dividend row is the tax withheld
    if any(w in text for w in ("deposit", "withdrawal", "wire funds", "ach", "transfer")):
        return Kind.DEPOSIT if cash >= 0 else Kind.WITHDRAWAL
    return Kind.FEE if "fee" in text else Kind.ADJUSTMENT


def _money_movement(r: dict[str, str], sub: str, desc: str, cash: Decimal, common: dict[str, Any]) -> LedgerEvent:
    symbol = r.get("Symbol", "").strip()
    kind = money_movement_kind(sub, desc, symbol, cash)
    inst = shares(symbol) if symbol and kind in (Kind.DIVIDEND, Kind.WITHHOLDING) else None
    return LedgerEvent(kind=kind, cash=cash, instrument=inst, note=(sub or desc)[:80], **common)


def _resolve_signs(events: list[LedgerEvent], parsed: Parsed) -> list[LedgerEvent]:
    """Removal rows without an Action close whatever is open; with nothing open on file, assume a short."""
    net: dict[Instrument, int] = defaultdict(int)
    out = []
    for ev in sorted(events, key=lambda e: e.ts):
        if ev.note.endswith("|sign?") and ev.instrument is not None:
            open_qty = net[ev.instrument]
            sign = -1 if open_qty > 0 else 1
            if open_qty == 0:
                parsed.notes.append(f"{ev.instrument.label} {ev.kind.value} on {ev.ts:%Y-%m-%d}: opening not in this file, "
                                    "treated as closing a short")
            ev = replace(ev, quantity=sign * abs(ev.quantity), note=ev.note.removesuffix("|sign?"))
        if ev.instrument is not None:
            net[ev.instrument] += ev.quantity
        out.append(ev)
    return out


def parse(text: str, *, origin: str, account: str = "tastytrade") -> Parsed:
    """Parse a whole export; rows that cannot be read become `RowIssue`s (file:line), never silent skips."""
    problem = foreign(text, origin, "tastytrade")
    if problem is not None:
        raise problem
    parsed = Parsed(SOURCE, origin)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("empty file", where=origin, hint="export the transactions again") from None
    gen = generation(header)
    parsed.format = gen
    parsed.notes.append(f"tastytrade header generation: {gen} ({len(header)} columns)")
    events: list[LedgerEvent] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        parsed.rows += 1
        where = f"{origin}:{line}"
        if len(row) != len(header):
            parsed.issues.append(RowIssue(where, f"{len(row)} columns, the header has {len(header)}"))
            continue
        rec = dict(zip([h.strip().lstrip("\ufeff") for h in header], row, strict=True))
        try:
            rec = _legacy_row(rec) if gen == "legacy" else rec
            events.append(_event(rec, account, where))
        except (RowError, InputError, ValueError, KeyError) as exc:
            msg = exc.message if isinstance(exc, InputError) else str(exc)
            parsed.issues.append(RowIssue(where, msg))
    parsed.events = finish(_fees_without_dividend(_pair_deliveries(_resolve_signs(events, parsed)), gen))
    return parsed


def _fees_without_dividend(events: list[LedgerEvent], gen: str) -> list[LedgerEvent]:
    """2021-2023 exports have no Sub Type: a negative Money Movement on a symbol is the tax withheld from that day's
    dividend when there is one, else a fee on the position (LFIN -43.24 "LONGFIN CORP" is a "Fee" in the other
    generations)."""
    if gen != "2021":
        return events
    paid = {(e.instrument, e.ts.date()) for e in events if e.kind is Kind.DIVIDEND}
    return [replace(e, kind=Kind.FEE, instrument=None) if e.kind is Kind.WITHHOLDING
            and (e.instrument, e.ts.date()) not in paid else e for e in events]


def _pair_deliveries(events: list[LedgerEvent]) -> list[LedgerEvent]:
    """A share row at the instant an option on the same underlying is assigned/exercised is that delivery."""
    removals = {(e.ts, e.instrument.underlying): e.kind for e in events
                if e.instrument is not None and e.instrument.is_option and e.kind in (Kind.ASSIGN, Kind.EXERCISE)}
    out = []
    for ev in events:
        kind = removals.get((ev.ts, ev.instrument.underlying)) if ev.instrument and not ev.instrument.is_option else None
        out.append(replace(ev, kind=kind) if kind is not None and ev.kind is Kind.TRADE else ev)
    return out
