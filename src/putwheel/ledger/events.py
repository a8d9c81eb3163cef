"""Ledger events: the only thing stored. One frozen `LedgerEvent` per broker row or manual action.

Stages: build (manual helpers or importers) -> `key` (idempotency) -> store -> replay. Money is `Decimal`
throughout; `cash` is the signed net cash effect (what the broker's Total/Value column says), so replay
reconciles with the export to the cent without re-deriving fees.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from putwheel.domain.contract import OptionContract, Right, canonical, position_label
from putwheel.domain.errors import InputError

QUANTUM = Decimal("1e-8")  # the ledger's money resolution (IBKR commissions carry 7 decimals)
# Limits checked before anything reaches the database (docs/ledger.md, "Limits"): one event's cash, price, fees or
# strike is below 10 billion (the BIGINT column in units of 1e-8 holds up to 9.2e10), quantities below a billion.
MAX_AMOUNT = Decimal(10) ** 10
MAX_QUANTITY = 10**9
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # before listed options existed: a typo, not a trade
MAX_ACCOUNT, MAX_SYMBOL, MAX_GROUP = 64, 16, 64  # the column widths in ledger/schema.py
_SYMBOL = re.compile(r"[A-Z0-9^_][A-Z0-9 ./^_-]*")  # SPY, BRK.B, BRK/B, IBKR's "BRK B"
_CURRENCY = re.compile(r"[A-Z]{3}")


class Kind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRADE = "trade"  # buy/sell to open/close, options or shares
    EXPIRE = "expire"  # option removed at zero
    ASSIGN = "assign"  # option removed by assignment, or the share delivery that goes with it
    EXERCISE = "exercise"  # option removed by exercise, or its share delivery
    CORPORATE = "corporate"  # one leg of a split, symbol change or merger: basis moves, nothing is realized
    DIVIDEND = "dividend"  # also money-market fund distributions
    WITHHOLDING = "withholding"  # tax withheld on dividends (negative), or its refund
    INTEREST = "interest"  # credit interest, and debit (margin) interest as a negative amount
    LENDING = "lending"  # fully paid stock lending income
    FEE = "fee"
    ADJUSTMENT = "adjustment"  # any other cash-only row (balance adjustment, journal)
    # A marker, not a fact: the stored event whose key is in `note` is replaced by a better export's copy of the
    # same transaction (`ledger/dedupe.py`). Events stay append-only; reads drop the marker and what it replaces.
    SUPERSEDED = "superseded"


CASH_ONLY = frozenset({Kind.DEPOSIT, Kind.WITHDRAWAL, Kind.DIVIDEND, Kind.WITHHOLDING, Kind.INTEREST, Kind.LENDING,
                       Kind.FEE, Kind.ADJUSTMENT})
POSITION_KINDS = frozenset({Kind.TRADE, Kind.EXPIRE, Kind.ASSIGN, Kind.EXERCISE, Kind.CORPORATE})


class Effect(StrEnum):
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Instrument:
    """Shares (`right is None`) or one option series. Hashable: the key of a position."""

    underlying: str
    right: Right | None = None
    strike: Decimal | None = None
    expiry: date | None = None
    multiplier: int = 1

    def __post_init__(self) -> None:
        sym = self.underlying
        if not isinstance(sym, str) or len(sym) > MAX_SYMBOL or not _SYMBOL.fullmatch(sym) or sym != sym.strip():
            raise InputError(f"symbol {str(sym)[:40]!r} is not a ticker symbol",
                             hint=f"use 1-{MAX_SYMBOL} capital letters, digits or . / - such as SPY or BRK.B")

    @property
    def is_option(self) -> bool:
        return self.right is not None

    @property
    def label(self) -> str:
        return position_label(self.underlying, self.right, self.strike, self.expiry)

    def contract(self) -> OptionContract:
        if self.right is None or self.strike is None or self.expiry is None:
            raise InputError(f"{self.label} is shares, not an option")
        return OptionContract(self.underlying, self.expiry, self.strike, self.right, self.multiplier)


def shares(underlying: str) -> Instrument:
    return Instrument(str(underlying).strip().upper())


def check_account(account: object) -> str:
    """An account name: 1-64 printable characters, surrounding blanks dropped."""
    name = str(account).strip()
    if not name or len(name) > MAX_ACCOUNT or not name.isprintable():
        raise InputError(f"account name {str(account)[:40]!r} is empty, longer than {MAX_ACCOUNT} characters or "
                         "has control characters", hint="use a short name such as main or ira")
    return name


def _big(value: Decimal) -> str:
    """An amount over the limit as a reader can take it in: 12,345,678,901.50, or 1.000E+400 past 10^15."""
    return f"{value:,f}" if abs(value) < Decimal(10) ** 15 else f"{value:.3E}"


def check_currency(currency: object) -> str:
    """ISO 4217 code, case-normalised ('usd' -> 'USD'); anything else ('US Dollar', '$') is refused."""
    code = str(currency).strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise InputError(f"currency {str(currency)[:40]!r} is not a 3-letter ISO code", hint="e.g. USD, EUR, CAD")
    return code


def option(underlying: str, right: Right | str, strike: Decimal, expiry: date, multiplier: int = 100) -> Instrument:
    c = OptionContract(underlying, expiry, strike, Right.parse(right), multiplier)
    return Instrument(c.underlying, c.right, canonical(c.strike), c.expiry, c.multiplier)


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One append-only fact. `quantity` is signed (+ bought/received, - sold/delivered) in contracts or shares."""

    account: str
    ts: datetime
    kind: Kind
    cash: Decimal
    instrument: Instrument | None = None
    quantity: int = 0
    price: Decimal = Decimal(0)  # per share
    fees: Decimal = Decimal(0)  # commissions + fees, positive = cost (already inside `cash`)
    currency: str = "USD"
    effect: Effect | None = None
    group: str | None = None  # broker order id; a roll is a close + open sharing one group
    source: str = "manual"
    note: str = ""
    key: str = field(default="")

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None:
            raise InputError(f"event time {self.ts.isoformat()} has no time zone", hint="use a tz-aware UTC datetime")
        object.__setattr__(self, "ts", self.ts.astimezone(UTC))
        if self.ts < EARLIEST:
            raise InputError(f"event date {self.ts:%Y-%m-%d} is before 1970", hint="check the year of the trade date")
        object.__setattr__(self, "account", check_account(self.account))
        object.__setattr__(self, "currency", check_currency(self.currency))
        if self.group is not None and len(self.group) > MAX_GROUP:
            raise InputError(f"order id {self.group[:40]!r}... is longer than {MAX_GROUP} characters")
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.effect is not None:
            object.__setattr__(self, "effect", Effect(self.effect))
        for name in ("cash", "price", "fees"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise InputError(f"event {name} must be a finite Decimal, got {value!r}")
            if abs(value) >= MAX_AMOUNT:
                raise InputError(f"{name} {_big(value)} is above the ledger's limit of 10,000,000,000 per entry",
                                 hint="a typo or a unit mix-up? Split a genuinely larger amount")
            if value != value.quantize(QUANTUM, rounding=ROUND_DOWN):
                raise InputError(f"event {name} {value} has more than 8 decimals",
                                 hint="the ledger stores money exactly in units of 1e-8; round at the source")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise InputError(f"event quantity must be a whole number, got {self.quantity!r}")
        if abs(self.quantity) >= MAX_QUANTITY:
            raise InputError(f"quantity {self.quantity:,} is above the ledger's limit of 1,000,000,000")
        if self.kind in POSITION_KINDS:
            if self.instrument is None or self.quantity == 0:
                raise InputError(f"a {self.kind.value} event needs an instrument and a non-zero quantity")
            if self.price < 0:
                raise InputError(f"price must not be negative, got {self.price}")
        elif self.kind in CASH_ONLY and self.quantity != 0:
            raise InputError(f"a {self.kind.value} event moves cash only; quantity must be 0")
        elif self.kind is Kind.SUPERSEDED and (self.quantity or self.cash or self.instrument or not self.note):
            raise InputError("a superseded marker moves nothing and names the replaced event's key in its note")
        if not self.key:
            object.__setattr__(self, "key", content_key(self))

    @property
    def multiplier(self) -> int:
        return self.instrument.multiplier if self.instrument else 1

    def with_key(self, key: str) -> LedgerEvent:
        return _replace(self, key=key)


def _replace(ev: LedgerEvent, **changes: object) -> LedgerEvent:
    from dataclasses import replace

    return replace(ev, **changes)  # type: ignore[arg-type]


def content_key(ev: LedgerEvent, *, ordinal: int = 0) -> str:
    """A stable hash of what the event says (not when it was recorded): same fact -> same key."""
    inst = ev.instrument
    parts = [
        ev.source, ev.account, ev.ts.isoformat(), ev.kind.value, str(ev.cash), str(ev.quantity), str(ev.price),
        str(ev.fees), ev.currency, ev.effect.value if ev.effect else "", ev.group or "", ev.note,
        inst.label if inst else "", str(inst.multiplier) if inst else "", str(ordinal),
    ]
    return f"{ev.source}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


_IN_LIEU = re.compile(r"^cash in lieu of (\d+(?:\.\d+)?) ")


def in_lieu_note(units: Decimal, symbol: str) -> str:
    """The note of a corporate action's receiving leg whose fraction `units` of a new share was paid in cash."""
    return f"cash in lieu of {units.normalize():f} {symbol}"


def in_lieu_units(note: str) -> Decimal:
    """The fraction of a new unit an event's note says was paid as cash in lieu (0 if none)."""
    m = _IN_LIEU.match(note)
    return Decimal(m[1]) if m else Decimal(0)
