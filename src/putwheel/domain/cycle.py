"""`WheelCycle`: one underlying from the first put sold to the day it is flat again, with one basis and one credit.

Stages: `WheelBook.apply(fill)` (in `domain.book`) routes a fill to the underlying's open cycle ->
`WheelCycle.apply` updates the instrument's `Position`, folds an assigned option's premium into the share fill
of the same instant (the rule in `domain.position`), tracks the short option's credit across its rolls ->
when the next instant arrives (or `settle()` is called) the last instant's order is read for rolls and the cycle
is closed if it is flat. `domain.book.build_cycles(fills)` does all of this for an ordered fill list.

Definitions used everywhere (ledger, manager, reports):
- `net_credit`: option cash of the cycle, premiums received net of buy-backs and fees, across every put, roll
  and covered call.
- `short_option_net_credit(right)`: the same, for the short option position open now, over the chain of rolls
  that led to it (a chain starts when a short option is sold while none of that right is open, and continues
  through closes and opens in one order or at one instant).
- `adjusted_basis_per_share`: all cash put into the cycle (shares, premiums, fees, dividends) per share held.
  The Wheel's figure; the *tax* basis is `tax_basis_per_share`, the open share lots, where only the assigned
  option's own premium is folded in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import InputError
from putwheel.domain.fills import ZERO, Fill, FillKind, Instrument, Stock, is_option
from putwheel.domain.lots import CostMethod, Lot, Position
from putwheel.domain.money import Money, per_share

MIN_ANNUALIZED_DAYS = 30  # a cycle shorter than this reports a plain return, never an annualized one


@dataclass(frozen=True, slots=True)
class Roll:
    """Short options of one right closed and reopened in one order (or at one instant); the net is every leg's cash."""

    time: datetime
    right: Right
    closed: tuple[OptionContract, ...]
    opened: tuple[OptionContract, ...]
    net_credit: Decimal


class Phase(StrEnum):
    PUT = "put"
    SHARES = "shares"
    SHORT_SHARES = "short shares"
    OTHER = "other"
    DONE = "done"


class WheelCycle:
    """One Wheel cycle on one underlying: put sold -> rolls -> assigned -> covered calls -> called away / sold."""

    def __init__(self, underlying: str, *, number: int = 1, method: CostMethod = CostMethod.FIFO,
                 currency: str = "USD") -> None:
        self.underlying = underlying
        self.number = number
        self.method = method
        self.currency = currency
        self.positions: dict[Instrument, Position] = {}
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.outcome: str | None = None
        self.assigned = False
        self.option_cash = ZERO
        self.stock_cash = ZERO
        self.income_cash = ZERO
        self.other_cash = ZERO  # the carried values a broker books on corporate-action legs (they net to 0)
        self.underlyings = {underlying}  # a symbol change or merger adds the new symbol
        self.fees = ZERO
        self.max_capital = ZERO
        self.rolls: list[Roll] = []
        self.realized_by_fill: dict[str, Decimal] = {}
        self.fill_count = 0
        self.opened_any = False  # False for a cycle of closes only (their openings predate the fills given)
        self._key: tuple[datetime, str | None] | None = None  # the instant (and order) being applied
        self._instant: list[tuple[Fill, str]] = []  # its fills with their role (open/close short, other)
        self._pending: list[tuple[Fill, Decimal]] = []  # option premium waiting for its share fill
        self._awaiting: list[Fill] = []  # share fills of an assignment waiting for the option's premium
        self._moved: list[tuple[Fill, tuple[Lot, ...]]] = []  # corporate-action lots waiting for their new instrument
        self._chain: dict[Right, Decimal] = {}
        self._chain_ended: dict[Right, tuple[datetime, str | None]] = {}
        self._last_time: datetime | None = None

    # -- applying ---------------------------------------------------------------------------------------------
    def apply(self, fill: Fill) -> Money:
        """Apply one fill of this underlying; returns the P&L realized now (the tax rule may defer a premium)."""
        if self.end is not None:
            raise InputError(f"cycle {self.underlying}#{self.number} is closed; start a new one")
        if fill.instrument.underlying not in self.underlyings and self.awaiting_transfer(fill.time, fill.order_id):
            self.underlyings.add(fill.instrument.underlying)  # the new symbol of a symbol change or merger
        if fill.instrument.underlying not in self.underlyings or fill.currency != self.currency:
            raise InputError(f"fill {fill.fill_id} is not on {self.underlying} {self.currency}")
        key = (fill.time, fill.order_id)
        if self._key is not None and not self._same_instant(key):
            self._flush()
        self._key = key
        self.start = self.start or fill.time
        self.fill_count += 1
        pos = self.positions.get(fill.instrument)
        if pos is None:
            pos = self.positions[fill.instrument] = Position(fill.instrument, method=self.method, currency=self.currency)
        short_before = self._short(fill)
        realized = self._apply_linked(pos, fill)
        self.opened_any |= not pos.is_flat
        role = self._track_chain(fill, short_before, self._short(fill))
        self._instant.append((fill, role))
        if fill.kind is FillKind.CORPORATE_ACTION:
            self.other_cash += fill.net_cash
        elif is_option(fill.instrument):
            self.option_cash += fill.net_cash
        else:
            self.stock_cash += fill.net_cash
            self.assigned |= fill.kind in (FillKind.ASSIGNMENT, FillKind.EXERCISE)
        self.fees += fill.fees
        if realized:
            self.realized_by_fill[fill.fill_id] = self.realized_by_fill.get(fill.fill_id, ZERO) + realized
        return Money(realized, self.currency)

    def add_income(self, amount: Decimal) -> None:
        """A dividend (or its withholding) on the underlying paid while the cycle is open."""
        self.income_cash += amount

    def settle(self) -> None:
        """Finish the instant being applied: read its order for rolls, realize a premium no share fill took."""
        if self._key is not None:
            self._flush()

    def close(self) -> None:
        """Mark the cycle done (it must be flat); `end` and `outcome` come from its last instant."""
        self.settle()
        if not self.is_flat:
            raise InputError(f"cycle {self.underlying}#{self.number} still holds positions")
        self.end = self._last_time

    def _same_instant(self, key: tuple[datetime, str | None]) -> bool:
        return self.continues(*key)

    def continues(self, time: datetime, order_id: str | None) -> bool:
        """True when a fill at `time` in order `order_id` belongs to the instant being applied."""
        if self._key is None:
            return False
        return time == self._key[0] or (order_id is not None and order_id == self._key[1])

    def awaiting_transfer(self, time: datetime, order_id: str | None) -> bool:
        """True when a corporate action's closing leg at this instant waits for its opening leg."""
        return bool(self._moved) and self.continues(time, order_id)

    def _corporate(self, pos: Position, fill: Fill) -> Decimal:
        # A split, symbol change or merger: the closing leg's lots (cost, holding period) move to the opening leg.
        held = pos.quantity
        if fill.closing or (held != 0 and (held > 0) != (fill.quantity > 0)):
            self._moved.append((fill, pos.transfer_out(fill)))
            return ZERO
        i = _best_match(fill.instrument, [f.instrument for f, _ in self._moved])
        if i is None:
            return pos.apply(fill).amount  # received from nothing we hold (a spinoff): at its booked value
        _, lots = self._moved.pop(i)
        return pos.transfer_in(fill, lots)  # 0, or the gain on a fraction paid as cash in lieu

    def _apply_linked(self, pos: Position, fill: Fill) -> Decimal:
        # The assignment rule: an option's premium goes into the share fill of the same instant, in either order.
        if fill.kind is FillKind.CORPORATE_ACTION:
            return self._corporate(pos, fill)
        if is_option(fill.instrument):
            realized = pos.apply(fill).amount
            if fill.carries_premium:
                premium = pos.take_carry()
                if self._awaiting:
                    shares = self._awaiting.pop(0)
                    late = self.positions[shares.instrument].fold(shares.fill_id, premium)
                    if late:
                        self.realized_by_fill[shares.fill_id] = self.realized_by_fill.get(shares.fill_id, ZERO) + late
                else:
                    self._pending.append((fill, premium))
            return realized
        carry = ZERO
        if fill.kind is not FillKind.TRADE:
            if self._pending:
                carry = sum((amount for _, amount in self._pending), ZERO)
                self._pending.clear()
            else:
                self._awaiting.append(fill)
        return pos.apply(fill, carry=carry).amount

    def _short(self, fill: Fill) -> int:
        inst = fill.instrument
        if not isinstance(inst, OptionContract):
            return 0
        return sum(p.quantity for i, p in self.positions.items()
                   if isinstance(i, OptionContract) and i.right is inst.right and p.quantity < 0)

    def _track_chain(self, fill: Fill, before: int, after: int) -> str:
        inst = fill.instrument
        if not isinstance(inst, OptionContract) or (before == 0 and after == 0):
            return "other"
        right = inst.right
        ended = self._chain_ended.get(right)
        if before == 0 and (ended is None or not self._same_instant(ended)):
            self._chain[right] = ZERO
        self._chain[right] = self._chain.get(right, ZERO) + fill.net_cash
        if after == 0 and self._key is not None:
            self._chain_ended[right] = self._key
        if fill.kind is FillKind.TRADE and after < before:
            return "open"
        return "close" if fill.kind is FillKind.TRADE and after > before else "other"

    def _flush(self) -> None:
        # capital at risk is read at the end of an instant, never between an assignment's two legs
        self.max_capital = max(self.max_capital, self.capital)
        for right in (Right.PUT, Right.CALL):
            legs = [(f, role) for f, role in self._instant
                    if isinstance(f.instrument, OptionContract) and f.instrument.right is right]
            closed = _unique(f.instrument for f, role in legs if role == "close")
            opened = _unique(f.instrument for f, role in legs if role == "open")
            if closed and opened:
                net = sum((f.net_cash for f, role in legs if role in ("open", "close")), ZERO)
                self.rolls.append(Roll(legs[0][0].time, right, closed, opened, net))
        for option_fill, premium in self._pending:  # no share fill came (cash settlement, or a partial export)
            self.positions[option_fill.instrument].realized += premium
            fid = option_fill.fill_id
            self.realized_by_fill[fid] = self.realized_by_fill.get(fid, ZERO) + premium
        self._pending.clear()
        self._awaiting.clear()
        for gone, lots in self._moved:  # removed for cash (a cash merger): a disposal at the cash booked
            late = gone.net_cash - sum((lot.cost for lot in lots), ZERO)
            self.positions[gone.instrument].realized += late
            self.realized_by_fill[gone.fill_id] = self.realized_by_fill.get(gone.fill_id, ZERO) + late
        self._moved.clear()
        if self._instant:
            self._last_time = self._instant[-1][0].time
            self.outcome = _outcome([f for f, _ in self._instant])
        self._instant = []
        self._key = None

    # -- reading ----------------------------------------------------------------------------------------------
    @property
    def is_flat(self) -> bool:
        return all(p.is_flat for p in self.positions.values())

    @property
    def is_closed(self) -> bool:
        return self.end is not None

    @property
    def shares(self) -> int:
        return sum(p.quantity for i, p in self.positions.items() if isinstance(i, Stock))

    @property
    def short_put_shares(self) -> int:
        return sum(-p.quantity * i.multiplier for i, p in self.positions.items()
                   if isinstance(i, OptionContract) and i.right is Right.PUT and p.quantity < 0)

    @property
    def short_put_exposure(self) -> Decimal:
        """strike × multiplier × contracts of the open short puts: the cash they secure."""
        return sum((i.strike * i.multiplier * -p.quantity for i, p in self.positions.items()
                    if isinstance(i, OptionContract) and i.right is Right.PUT and p.quantity < 0), ZERO)

    @property
    def capital(self) -> Decimal:
        """Capital at risk now: put collateral, share cost, long option debits, short stock, and the strike
        notional of short calls no shares cover (a spread's long leg does not make a short call riskless)."""
        total = self.short_put_exposure
        calls = [(i, -p.quantity * i.multiplier) for i, p in self.positions.items()
                 if isinstance(i, OptionContract) and i.right is Right.CALL and p.quantity < 0]
        call_shares = sum(n for _, n in calls)
        uncovered = max(0, call_shares - max(self.shares, 0))
        if uncovered:
            total += sum((i.strike * n for i, n in calls), ZERO) * uncovered / call_shares
        for inst, pos in self.positions.items():
            if isinstance(inst, Stock) or pos.quantity > 0:
                total += abs(pos.open_cost)
        return total

    @property
    def realized(self) -> Decimal:
        """P&L realized so far under the assignment rule (a premium folded into shares shows when they go)."""
        return sum(self.realized_by_fill.values(), ZERO)

    @property
    def net_credit(self) -> Decimal:
        """Option cash of the cycle: premiums net of buy-backs and fees, across all puts, rolls and calls."""
        return self.option_cash

    def short_option_net_credit(self, right: Right) -> Decimal | None:
        """Net credit of the short `right` position open now, across the rolls that led to it; None if none is open."""
        if not any(isinstance(i, OptionContract) and i.right is right and p.quantity < 0
                   for i, p in self.positions.items()):
            return None
        return self._chain.get(right, ZERO)

    @property
    def net_cash(self) -> Decimal:
        return self.option_cash + self.stock_cash + self.income_cash + self.other_cash

    @property
    def pnl(self) -> Decimal | None:
        """Realized P&L of a closed cycle: all its cash; None while open."""
        return self.net_cash if self.end is not None else None

    @property
    def adjusted_basis_per_share(self) -> Decimal | None:
        """All cash put into the cycle per share held (the Wheel's premium-adjusted basis); None without shares."""
        shares = self.shares
        return per_share(-self.net_cash / shares) if shares > 0 else None

    @property
    def tax_basis_per_share(self) -> Decimal | None:
        """Cost per share of the open share lots (assigned put's premium folded in); None without shares."""
        costs = [p for i, p in self.positions.items() if isinstance(i, Stock) and p.quantity > 0]
        return costs[0].average_cost_per_share() if costs else None

    @property
    def breakeven(self) -> Decimal | None:
        """Price at which the open cycle breaks even if every short put is assigned (across all rolls)."""
        exposure = self.shares + self.short_put_shares
        if self.end is not None or exposure <= 0:
            return None
        return per_share((self.short_put_exposure - self.net_cash) / exposure)

    @property
    def phase(self) -> Phase:
        if self.end is not None:
            return Phase.DONE
        shares = self.shares
        if shares:
            return Phase.SHARES if shares > 0 else Phase.SHORT_SHARES
        return Phase.PUT if self.short_put_shares else Phase.OTHER

    def days(self, as_of: date) -> int:
        start = self.start.date() if self.start else as_of
        end = self.end.date() if self.end else as_of
        return max(1, (end - start).days)

    def return_on_capital(self) -> Decimal | None:
        """P&L over the largest capital at risk (closed cycles only)."""
        if self.end is None or self.max_capital <= 0:
            return None
        return per_share(self.net_cash / self.max_capital)  # a ratio: 6 decimals, like per-share figures

    def annualized_return(self, as_of: date) -> float | None:
        """`annualize(return_on_capital(), days)`."""
        return annualize(self.return_on_capital(), self.days(as_of))


def annualize(return_on_capital: Decimal | None, days: int) -> float | None:
    """Return × 365 / days held; None without a return or for cycles under `MIN_ANNUALIZED_DAYS` days (a 9-day
    cycle annualized says 4,000 %, which nobody earns)."""
    if return_on_capital is None or days < MIN_ANNUALIZED_DAYS:
        return None
    return float(return_on_capital) * 365.0 / days


def _best_match(new: Instrument, old: list[Instrument]) -> int | None:
    # The closing leg an opening leg continues: the same terms (right, strike, expiry) first, then the same kind.
    def terms(i: Instrument) -> tuple[object, ...]:
        return (i.right, i.strike, i.expiry) if isinstance(i, OptionContract) else ()

    same_kind = [k for k, inst in enumerate(old) if type(inst) is type(new)]
    same_terms = [k for k in same_kind if terms(old[k]) == terms(new)]
    found = same_terms or same_kind
    return found[0] if found else None


def _unique(instruments: Iterable[Instrument]) -> tuple[OptionContract, ...]:
    out: list[OptionContract] = []
    for inst in instruments:
        if isinstance(inst, OptionContract) and inst not in out:
            out.append(inst)
    return tuple(out)


def _outcome(fills: list[Fill]) -> str:
    if any(f.kind is FillKind.CORPORATE_ACTION for f in fills):
        return "corporate action"
    stock = [f for f in fills if isinstance(f.instrument, Stock)]
    if any(f.kind is not FillKind.TRADE and f.quantity < 0 for f in stock):
        return "called away"
    if any(f.quantity < 0 for f in stock):
        return "shares sold"
    if stock:
        return "short covered"
    if any(f.kind in (FillKind.ASSIGNMENT, FillKind.EXERCISE) for f in fills):
        return "cash settled"
    if any(f.kind is FillKind.EXPIRATION for f in fills):
        return "expired"
    return "bought back" if any(f.quantity > 0 for f in fills) else "closed"
