"""Fills: what happened to one instrument, validated at construction (replayed into positions by `domain.lots`).

A `Fill` is one execution or one broker event (trade, assignment, exercise, expiry, transfer, corporate action)
on an `Instrument` (an `OptionContract` or a `Stock`): signed whole quantity, price and fees in exact Decimal,
a tz-aware UTC time and a unique id (a position rejects a fill id it has seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NewType

from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import InputError
from putwheel.domain.money import Money, to_decimal

ZERO = Decimal(0)
FillId = NewType("FillId", str)


class FillKind(StrEnum):
    """Why a position changed. Expiration, assignment and exercise only ever close an option."""

    TRADE = "trade"
    ASSIGNMENT = "assignment"
    EXERCISE = "exercise"
    EXPIRATION = "expiration"
    CORPORATE_ACTION = "corporate_action"  # split, symbol change, merger: lots move, nothing is realized


@dataclass(frozen=True, slots=True)
class Stock:
    """Shares of one symbol. `multiplier` is 1: quantities are shares."""

    symbol: str
    multiplier: int = 1

    def __post_init__(self) -> None:
        sym = str(self.symbol).strip().upper()
        if not sym:
            raise InputError("stock symbol must not be empty")
        object.__setattr__(self, "symbol", sym)
        if self.multiplier != 1:
            raise InputError(f"a stock's multiplier is 1, got {self.multiplier!r}")

    @property
    def underlying(self) -> str:
        return self.symbol

    def __str__(self) -> str:
        return self.symbol


Instrument = OptionContract | Stock


def is_option(instrument: Instrument) -> bool:
    return isinstance(instrument, OptionContract)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution or lifecycle event on one instrument.

    Parameters
    ----------
    quantity
        Signed: + bought or received, - sold or delivered; contracts for options, shares for stock.
    price
        Per share (an option's premium per share; 0 for an expiration or the option leg of an assignment).
    fees
        Commissions and fees, positive = cost. They are inside `cash`.
    cash
        The net cash effect; by default ``-(quantity × price × multiplier) - fees``. Importers pass the broker's
        own total so a replay reconciles with the export to the cent.
    closing
        The broker flagged the fill as a close: a close beyond what is open is kept as `unmatched`, never
        turned into a position in the other direction. Expirations, assignments and exercises of options
        always close.
    order_id
        The broker order; legs sharing one are one order (a roll).
    in_lieu
        A corporate action's receiving leg only: the units of the new instrument paid out as cash instead of
        delivered (the fraction of a share after a split), `cash` being that cash. The fraction's share of the
        carried basis is disposed of at that cash (realized); the whole units keep the rest.
    """

    fill_id: str
    instrument: Instrument
    quantity: int
    price: Decimal
    fees: Decimal
    time: datetime
    kind: FillKind = FillKind.TRADE
    cash: Decimal | None = None
    currency: str = "USD"
    closing: bool = False
    order_id: str | None = None
    in_lieu: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not isinstance(self.fill_id, str) or not self.fill_id:
            raise InputError(f"fill id must be a non-empty string, got {self.fill_id!r}")
        if not isinstance(self.instrument, OptionContract | Stock):
            raise InputError(f"fill instrument must be an OptionContract or a Stock, got {self.instrument!r}")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity == 0:
            raise InputError(f"fill quantity must be a non-zero whole number, got {self.quantity!r}",
                             where=self.fill_id)
        price = to_decimal(self.price, what="fill price")
        if price < 0:
            raise InputError(f"fill price must not be negative, got {price}", where=self.fill_id)
        object.__setattr__(self, "price", price)
        fees = to_decimal(self.fees, what="fill fees")
        object.__setattr__(self, "fees", fees)
        if not isinstance(self.time, datetime) or self.time.tzinfo is None:
            raise InputError(f"fill time {self.time!r} has no time zone", where=self.fill_id,
                             hint="use a tz-aware UTC datetime")
        object.__setattr__(self, "time", self.time.astimezone(UTC))
        kind = FillKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind is FillKind.EXPIRATION and not is_option(self.instrument):
            raise InputError(f"a {kind.value} fill applies to an option, not to {self.instrument}", where=self.fill_id)
        if self.cash is None:
            object.__setattr__(self, "cash", -(self.quantity * price * self.instrument.multiplier) - fees)
        else:
            object.__setattr__(self, "cash", to_decimal(self.cash, what="fill cash"))
        object.__setattr__(self, "currency", Money.zero(self.currency).currency)
        in_lieu = to_decimal(self.in_lieu, what="fill in_lieu")
        if in_lieu < 0 or (in_lieu and (kind is not FillKind.CORPORATE_ACTION or self.closing)):
            raise InputError("in_lieu is a positive fraction on a corporate action's receiving leg only",
                             where=self.fill_id)
        object.__setattr__(self, "in_lieu", in_lieu)

    @property
    def net_cash(self) -> Decimal:
        """`cash`, typed: never None after construction."""
        assert self.cash is not None
        return self.cash

    @property
    def closes_only(self) -> bool:
        """True when this fill may only reduce a position (flagged close, or an option's lifecycle event)."""
        return self.closing or (is_option(self.instrument) and self.kind in (
            FillKind.ASSIGNMENT, FillKind.EXERCISE, FillKind.EXPIRATION))

    @property
    def carries_premium(self) -> bool:
        """True for an option leaving by assignment or exercise: its premium goes into the share fill."""
        return is_option(self.instrument) and self.kind in (FillKind.ASSIGNMENT, FillKind.EXERCISE)
