"""Lots and one-instrument positions, rebuilt from `domain.fills.Fill`s (re-exported by `domain.position`).

Positions are derived by replaying fills, never stored.

Stages: a `Fill` is validated at construction -> `Position.apply(fill)` matches it against open lots (FIFO, or
average cost) and returns the P&L it realized -> `WheelCycle` (in `domain.cycle`) groups the positions of one
underlying and applies the basis rule. Amounts are exact `Decimal`; a lot split in part keeps the precision of
its own cost (cents for cents) and the remainder stays on the lot, so totals never gain or lose a fraction.

The assignment rule (IRS Pub. 550, and what brokers report on the 1099-B): an option that leaves by assignment
or exercise realizes nothing itself. Its premium is *carried* to the share fill of the same assignment: a short
put's credit lowers the cost of the assigned shares, a short call's credit raises the proceeds of the shares
called away, a long option's debit raises the cost (call) or lowers the proceeds (put). `Position` keeps the
carried amount in `carry` until its cycle folds it into the share fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from putwheel.domain.errors import InputError
from putwheel.domain.fills import ZERO, Fill, Instrument
from putwheel.domain.money import Money, per_share


@dataclass(frozen=True, slots=True)
class Lot:
    """An open tax lot. `cost` is cash paid to open it, fees included (negative for a short: credit received)."""

    fill_id: str
    quantity: int
    cost: Decimal
    opened: datetime


def _apportion(total: int, weights: list[int]) -> list[int]:
    """`total` whole units shared in proportion to `weights` (largest remainder; ties to the earlier weight)."""
    whole = sum(weights)
    base = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:total - sum(base)]:
        base[i] += 1
    return base


def split(amount: Decimal, part: int, whole: int) -> Decimal:
    """`amount × part / whole`, rounded half-even to the amount's own precision (cents at least)."""
    if part == whole:
        return amount
    exponent = amount.as_tuple().exponent
    places = min(exponent if isinstance(exponent, int) else 0, -2)
    return (amount * part / whole).quantize(Decimal(1).scaleb(places), rounding=ROUND_HALF_EVEN)


class CostMethod(StrEnum):
    """How a close is matched to open lots: first in first out (the tax default) or one average-cost lot."""

    FIFO = "fifo"
    AVERAGE = "average"


class Position:
    """One instrument's open lots, quantity, open cost and realized P&L, built by `apply`-ing fills in order."""

    def __init__(self, instrument: Instrument, *, method: CostMethod = CostMethod.FIFO, currency: str = "USD") -> None:
        self.instrument = instrument
        self.method = CostMethod(method)
        self.currency = currency
        self.realized = ZERO
        self.carry = ZERO  # premium of options that left by assignment/exercise, not yet folded into shares
        self.unmatched: list[tuple[Fill, int, Decimal]] = []  # (fill, quantity closed beyond what was open, its cash)
        self._lots: list[Lot] = []
        self._ids: set[str] = set()

    @property
    def lots(self) -> tuple[Lot, ...]:
        return tuple(self._lots)

    @property
    def quantity(self) -> int:
        return sum(lot.quantity for lot in self._lots)

    @property
    def open_cost(self) -> Decimal:
        """Cash paid to open what is still open (negative for a short: credit received)."""
        return sum((lot.cost for lot in self._lots), ZERO)

    @property
    def is_flat(self) -> bool:
        return not self._lots

    @property
    def opened(self) -> datetime | None:
        return self._lots[0].opened if self._lots else None

    def average_cost_per_share(self) -> Decimal | None:
        """Open cost per share over all open lots (whatever the matching method); None when flat."""
        qty = self.quantity
        return None if qty == 0 else per_share(self.open_cost / (qty * self.instrument.multiplier))

    def apply(self, fill: Fill, *, carry: Decimal = ZERO) -> Money:
        """Apply `fill`; returns the P&L it realized.

        `carry` is cash of a linked option leg folded into this fill by the assignment rule (added to the cost of
        what it opens, or to the proceeds of what it closes). Raises `InputError` for a fill already applied, for
        another instrument or another currency.
        """
        self._register(fill)
        cash = fill.net_cash + carry
        held = self.quantity
        same_way = held == 0 or (held > 0) == (fill.quantity > 0)
        if same_way and not fill.closes_only:
            self._open(fill, fill.quantity, -cash)
            return Money(ZERO, self.currency)
        closing = 0 if same_way else min(abs(fill.quantity), abs(held))
        rest = abs(fill.quantity) - closing
        cash_close = split(cash, closing, abs(fill.quantity))
        realized = ZERO
        if closing:
            realized = cash_close - self._release(closing)
        if rest and fill.closes_only:
            self.unmatched.append((fill, rest, cash - cash_close))
        elif rest:
            self._open(fill, rest if fill.quantity > 0 else -rest, -(cash - cash_close))
        if fill.carries_premium:
            self.carry += realized
            return Money(ZERO, self.currency)
        self.realized += realized
        return Money(realized, self.currency)

    def fold(self, fill_id: str, amount: Decimal) -> Decimal:
        """Fold a linked option's premium into fill `fill_id` after the fact (the share leg came first).

        Lowers the cost of the lot it opened when that lot is still open (returns 0); otherwise the fill closed
        shares and the amount is realized (returned).
        """
        for i, lot in enumerate(self._lots):
            if lot.fill_id == fill_id:
                self._lots[i] = Lot(lot.fill_id, lot.quantity, lot.cost - amount, lot.opened)
                return ZERO
        self.realized += amount
        return amount

    def transfer_out(self, fill: Fill) -> tuple[Lot, ...]:
        """A corporate action's closing leg: remove `fill.quantity` from the oldest lots, realizing nothing.

        Returns the lots removed (their cost and open time) for the action's opening leg; a part beyond what is
        open is kept in `unmatched`.
        """
        self._register(fill)
        take = min(abs(fill.quantity), abs(self.quantity)) if (self.quantity > 0) != (fill.quantity > 0) else 0
        moved: list[Lot] = []
        while take:
            lot = self._lots[0]
            n = min(take, abs(lot.quantity))
            part = split(lot.cost, n, abs(lot.quantity))
            sign = 1 if lot.quantity > 0 else -1
            moved.append(Lot(lot.fill_id, sign * n, part, lot.opened))
            if n == abs(lot.quantity):
                self._lots.pop(0)
            else:
                self._lots[0] = Lot(lot.fill_id, lot.quantity - sign * n, lot.cost - part, lot.opened)
            take -= n
        rest = abs(fill.quantity) - sum(abs(lot.quantity) for lot in moved)
        if rest:
            self.unmatched.append((fill, rest, split(fill.net_cash, rest, abs(fill.quantity))))
        return tuple(moved)

    def transfer_in(self, fill: Fill, lots: tuple[Lot, ...]) -> Decimal:
        """A corporate action's opening leg: each moved tax lot stays a lot, with its own cost and holding period.

        `fill.quantity` (the new units: 100 shares after a 1-for-8 reverse split of 800) is shared out over the lots
        in proportion to their old quantities (largest remainder, whole units). A lot left with no whole unit (5 old
        shares in a 1-for-10 split) hands its cost to the next lot, so the basis moved is always the total.
        Average cost keeps one lot. Cash in lieu of a fraction (`fill.in_lieu` units) disposes of that fraction:
        each lot gives up the share in_lieu / (quantity + in_lieu) of its cost, realized against the cash (returned).
        """
        self._register(fill)
        if not lots:
            self._insert(Lot(fill.fill_id, fill.quantity, ZERO, fill.time))
            self.realized += fill.net_cash if fill.in_lieu else ZERO
            return fill.net_cash if fill.in_lieu else ZERO
        if self.method is CostMethod.AVERAGE:
            lots = (Lot(lots[0].fill_id, sum(lot.quantity for lot in lots), sum((lot.cost for lot in lots), ZERO),
                        min(lot.opened for lot in lots)),)
        sign = 1 if fill.quantity > 0 else -1
        shares = _apportion(abs(fill.quantity), [abs(lot.quantity) for lot in lots])
        carried = ZERO
        new: list[Lot] = []
        for lot, n in zip(lots, shares, strict=True):
            if n == 0:
                carried += lot.cost
                continue
            new.append(Lot(lot.fill_id, sign * n, lot.cost + carried, lot.opened))
            carried = ZERO
        if carried:
            last = new[-1]
            new[-1] = Lot(last.fill_id, last.quantity, last.cost + carried, last.opened)
        for lot in new:
            if self.method is CostMethod.AVERAGE and self._lots:
                first = self._lots[0]
                self._lots[0] = Lot(first.fill_id, first.quantity + lot.quantity, first.cost + lot.cost,
                                    min(first.opened, lot.opened))
            else:
                self._insert(lot)
        return self._dispose_fraction(fill, [lot.fill_id for lot in new])

    def _dispose_fraction(self, fill: Fill, ids: list[str]) -> Decimal:
        # Cash in lieu: the fraction's share of each received lot's cost is sold for the cash booked.
        if not fill.in_lieu:
            return ZERO
        share = fill.in_lieu / (abs(fill.quantity) + fill.in_lieu)
        basis = ZERO
        for i, lot in enumerate(self._lots):
            if lot.fill_id in ids:
                part = (lot.cost * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
                self._lots[i] = Lot(lot.fill_id, lot.quantity, lot.cost - part, lot.opened)
                basis += part
        realized = fill.net_cash - basis
        self.realized += realized
        return realized

    def _insert(self, lot: Lot) -> None:
        # FIFO by acquisition date: a moved lot keeps its place among lots already held
        i = len(self._lots)
        while i and self._lots[i - 1].opened > lot.opened:
            i -= 1
        self._lots.insert(i, lot)

    def _register(self, fill: Fill) -> None:
        if fill.fill_id in self._ids:
            raise InputError(f"fill {fill.fill_id} was already applied to {self.instrument}",
                             hint="each fill id is applied once; a re-sent execution must keep its id")
        if fill.instrument != self.instrument or fill.currency != self.currency:
            raise InputError(f"fill {fill.fill_id} is for {fill.instrument} {fill.currency}, "
                             f"not {self.instrument} {self.currency}")
        self._ids.add(fill.fill_id)

    def take_carry(self) -> Decimal:
        """The premium carried out by assignments/exercises since the last call (and reset it to 0)."""
        out, self.carry = self.carry, ZERO
        return out

    def _open(self, fill: Fill, quantity: int, cost: Decimal) -> None:
        if self.method is CostMethod.AVERAGE and self._lots:
            first = self._lots[0]
            self._lots[0] = Lot(first.fill_id, first.quantity + quantity, first.cost + cost, first.opened)
        else:
            self._lots.append(Lot(fill.fill_id, quantity, cost, fill.time))

    def _release(self, quantity: int) -> Decimal:
        # Close `quantity` (unsigned) from the oldest lots first; returns the cost they carried.
        released = ZERO
        while quantity:
            lot = self._lots[0]
            take = min(quantity, abs(lot.quantity))
            part = split(lot.cost, take, abs(lot.quantity))
            released += part
            quantity -= take
            if take == abs(lot.quantity):
                self._lots.pop(0)
            else:
                sign = 1 if lot.quantity > 0 else -1
                self._lots[0] = Lot(lot.fill_id, lot.quantity - sign * take, lot.cost - part, lot.opened)
        return released
