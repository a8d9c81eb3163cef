"""Replay: events in, account state out. Pure functions; nothing here touches the database.

Stages: order events by (ts, seq) -> `apply` each to a `State` (cash per currency, positions at average cost,
realized P&L per event) -> optional strict `check` after the events being written (the cash-secured and
covered-call discipline). Balances are never stored; they are this function of the event list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from putwheel.domain.contract import Right
from putwheel.domain.errors import LedgerError
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent

ZERO = Decimal(0)


@dataclass(slots=True)
class Holding:
    """An open position at average cost. `basis` is cash paid to open it (negative for a short: credit received)."""

    instrument: Instrument
    quantity: int
    basis: Decimal
    opened: datetime
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """One open option or share position, as the manager and backtester read it.

    `contracts` is signed (negative = short); for shares it is the share count. `open_premium_per_share` is the
    average price per share at which the option was opened (credit for shorts); `cost_basis_per_share` is the
    average price paid per share for share lots (None for options).
    """

    account: str
    underlying: str
    right: Right | None
    strike: Decimal | None
    expiry: date | None
    contracts: int
    multiplier: int
    open_premium_per_share: Decimal | None
    cost_basis_per_share: Decimal | None
    opened: date
    currency: str = "USD"
    cost_total: Decimal = ZERO  # cash paid to open what is still open, fees included (negative: credit received)

    @property
    def is_option(self) -> bool:
        return self.right is not None

    @property
    def label(self) -> str:
        return Instrument(self.underlying, self.right, self.strike, self.expiry, self.multiplier).label

    def unrealized(self, mark: Decimal) -> Decimal:
        """P&L if closed at `mark` per share now (before closing fees)."""
        return mark * self.contracts * self.multiplier - self.cost_total

    @property
    def quantity(self) -> int:
        return self.contracts

    @property
    def collateral(self) -> Decimal:
        """Cash a short put reserves: strike × multiplier × contracts (0 for anything else)."""
        if self.right is Right.PUT and self.contracts < 0 and self.strike is not None:
            return self.strike * self.multiplier * -self.contracts
        return ZERO


@dataclass(slots=True)
class State:
    """Account state after some events. `realized[i]` is the P&L realized by the i-th applied event."""

    cash: dict[str, Decimal] = field(default_factory=dict)
    holdings: dict[tuple[str, Instrument], Holding] = field(default_factory=dict)
    realized: list[Decimal] = field(default_factory=list)
    realized_currency: list[str] = field(default_factory=list)
    # closes with no opening in the ledger: (event, quantity not matched, its cash)
    unmatched: list[tuple[LedgerEvent, int, Decimal]] = field(default_factory=list)

    def reserved(self, currency: str = "USD", account: str | None = None) -> Decimal:
        total = ZERO
        for (acct, inst), h in self.holdings.items():
            if inst.right is Right.PUT and h.quantity < 0 and h.currency == currency and account in (None, acct):
                total += inst.strike * inst.multiplier * -h.quantity  # type: ignore[operator]
        return total

    def realized_by_currency(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for cur, pnl in zip(self.realized_currency, self.realized, strict=True):
            out[cur] = out.get(cur, ZERO) + pnl
        return out

    def free_cash(self, currency: str = "USD") -> Decimal:
        return self.cash.get(currency, ZERO) - self.reserved(currency)

    def shares(self, account: str, underlying: str) -> int:
        h = self.holdings.get((account, Instrument(underlying)))
        return h.quantity if h else 0

    def short_call_shares(self, account: str, underlying: str) -> int:
        return sum(
            -h.quantity * inst.multiplier
            for (acct, inst), h in self.holdings.items()
            if acct == account and inst.underlying == underlying and inst.right is Right.CALL and h.quantity < 0
        )

    def positions(self) -> list[OpenPosition]:
        out = []
        for (acct, inst), h in sorted(self.holdings.items(), key=lambda kv: (kv[0][0], kv[0][1].underlying, kv[0][1].label)):
            per_share = abs(h.basis) / (abs(h.quantity) * inst.multiplier)
            out.append(OpenPosition(
                account=acct, underlying=inst.underlying, right=inst.right, strike=inst.strike, expiry=inst.expiry,
                contracts=h.quantity, multiplier=inst.multiplier,
                open_premium_per_share=per_share if inst.is_option else None,
                cost_basis_per_share=None if inst.is_option else h.basis / h.quantity,
                opened=h.opened.date(), currency=h.currency, cost_total=h.basis,
            ))
        return out


def ordered(events: Iterable[LedgerEvent]) -> list[LedgerEvent]:
    """Replay order: by time, then by insertion order (Python's sort is stable)."""
    return sorted(events, key=lambda e: e.ts)


def apply(state: State, ev: LedgerEvent) -> Decimal:
    """Apply one event in place; returns the P&L it realized (closing part of a position at average cost)."""
    state.cash[ev.currency] = state.cash.get(ev.currency, ZERO) + ev.cash
    realized = ZERO
    if ev.instrument is not None and ev.quantity:
        realized = _move(state, ev)
    state.realized.append(realized)
    state.realized_currency.append(ev.currency)
    return realized


def is_closing(ev: LedgerEvent) -> bool:
    """A close by intent: flagged close, or an option leaving by expiry, assignment or exercise."""
    inst = ev.instrument
    return ev.effect is Effect.CLOSE or (
        inst is not None and inst.is_option and ev.kind in (Kind.EXPIRE, Kind.ASSIGN, Kind.EXERCISE))


def _move(state: State, ev: LedgerEvent) -> Decimal:
    inst = ev.instrument
    assert inst is not None
    key = (ev.account, inst)
    h = state.holdings.get(key)
    qty = ev.quantity
    same_way = h is None or (h.quantity > 0) == (qty > 0)
    if same_way and not is_closing(ev):
        if h is None:
            state.holdings[key] = Holding(inst, qty, -ev.cash, ev.ts, ev.currency)
        else:
            h.quantity += qty
            h.basis += -ev.cash
        return ZERO
    closing = 0 if same_way or h is None else min(abs(qty), abs(h.quantity))
    rest = abs(qty) - closing
    cash_for_close = ev.cash * closing / abs(qty)
    realized = ZERO
    if h is not None and closing:
        released = h.basis * closing / abs(h.quantity)
        realized = cash_for_close - released
        h.basis -= released
        h.quantity += closing if qty > 0 else -closing
        if h.quantity == 0:
            del state.holdings[key]
    if rest and is_closing(ev):
        # Closing more than is open: the opening predates the ledger (a partial export). No phantom position
        # in the other direction; the cash is kept and the row listed as unmatched.
        state.unmatched.append((ev, rest, ev.cash - cash_for_close))
    elif rest:
        sign = 1 if qty > 0 else -1
        state.holdings[key] = Holding(inst, sign * rest, -(ev.cash - cash_for_close), ev.ts, ev.currency)
    return realized


def replay(events: Iterable[LedgerEvent], *, check: Callable[[LedgerEvent], bool] | None = None) -> State:
    """Replay `events` in order. Events for which `check(ev)` is true are validated strictly after applying."""
    state = State()
    for ev in ordered(events):
        before = _snapshot(state, ev) if check is not None and check(ev) else None
        apply(state, ev)
        if before is not None:
            validate(state, ev, before)
    return state


def checked(state: State, new: Iterable[LedgerEvent]) -> State:
    """A copy of `state` with `new` applied and validated (the write-time check for events at the end of the log).

    Raises `LedgerError` and leaves `state` untouched when an event breaks the discipline.
    """
    out = State(dict(state.cash), {k: replace(h) for k, h in state.holdings.items()}, list(state.realized),
                list(state.realized_currency), list(state.unmatched))
    for ev in new:
        before = _snapshot(out, ev)
        apply(out, ev)
        validate(out, ev, before)
    return out


def _snapshot(state: State, ev: LedgerEvent) -> int:
    if ev.instrument is None:
        return 0
    h = state.holdings.get((ev.account, ev.instrument))
    return h.quantity if h else 0


def validate(state: State, ev: LedgerEvent, qty_before: int) -> None:
    """The discipline, checked after `ev`: raise `LedgerError` naming the rule it breaks."""
    where = f"{ev.kind.value} {ev.instrument.label if ev.instrument else ev.currency} on {ev.ts:%Y-%m-%d}"
    inst = ev.instrument
    if inst is not None:
        after = qty_before + ev.quantity
        flips = after != 0 and (after > 0) != (qty_before > 0)
        if is_closing(ev) and (qty_before == 0 or abs(after) > abs(qty_before) or flips):
            raise LedgerError(f"cannot close {abs(ev.quantity)} of {inst.label}: position is {qty_before}", where=where,
                              hint="close at most what is open; check the position with `putwheel positions`")
        if ev.effect is Effect.OPEN and qty_before != 0 and (qty_before > 0) != (ev.quantity > 0):
            raise LedgerError(f"cannot open {ev.quantity:+d} {inst.label} against an opposite position of {qty_before}",
                              where=where, hint="close the existing position first")
        if not inst.is_option and state.shares(ev.account, inst.underlying) < 0:
            raise LedgerError(f"shares of {inst.underlying} would go negative", where=where,
                              hint="short stock is outside the Wheel; sell only shares you hold")
        covered = state.shares(ev.account, inst.underlying)
        needed = state.short_call_shares(ev.account, inst.underlying)
        if needed > covered:
            raise LedgerError(f"short calls on {inst.underlying} need {needed} shares, only {covered} held", where=where,
                              hint="a covered call needs 100 shares per contract in this account")
    cash = state.cash.get(ev.currency, ZERO)
    reserved = state.reserved(ev.currency)
    if cash < reserved:
        raise LedgerError(
            f"free cash would be {cash - reserved:,.2f} {ev.currency}: cash {cash:,.2f} is below the "
            f"{reserved:,.2f} reserved as collateral for short puts",
            where=where, hint="a cash-secured put needs strike × 100 × contracts in free cash; deposit or close first",
        )
