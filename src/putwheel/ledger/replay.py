"""Replay: events in, account state out. Pure functions; nothing here touches the database.

Stages: order events by (ts, seq) -> `apply` each to a `State`: cash per currency, and each position event as a
domain `Fill` into the `WheelBook` of its (account, underlying, currency), which keeps the FIFO lots, the
realized P&L and the cycles (`domain.position`) -> optional strict `check` after the events being written (the
cash-secured and covered-call discipline). Balances are never stored; they are this function of the event list.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import LedgerError
from putwheel.domain.holding import OpenPosition
from putwheel.domain.money import per_share
from putwheel.domain.position import (
    CostMethod,
    Fill,
    FillKind,
    Position,
    Stock,
    WheelBook,
    WheelCycle,
    joins,
    transfer_target,
)
from putwheel.domain.position import Instrument as DomainInstrument
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, in_lieu_units

ZERO = Decimal(0)


_KINDS = {Kind.TRADE: FillKind.TRADE, Kind.ASSIGN: FillKind.ASSIGNMENT, Kind.EXERCISE: FillKind.EXERCISE,
          Kind.EXPIRE: FillKind.EXPIRATION, Kind.CORPORATE: FillKind.CORPORATE_ACTION}


def to_fill(ev: LedgerEvent) -> Fill:
    """The domain `Fill` of a position event: the broker's own cash, the event key as fill id, the order as group."""
    inst = ev.instrument
    assert inst is not None and ev.quantity != 0
    kind = _KINDS[ev.kind]
    closing = ev.effect is Effect.CLOSE
    if not inst.is_option and kind is FillKind.EXPIRATION:  # a share removal row: a close at zero
        kind, closing = FillKind.TRADE, True
    lieu = in_lieu_units(ev.note) if kind is FillKind.CORPORATE_ACTION and not closing else ZERO
    return Fill(ev.key, domain_instrument(inst), ev.quantity, ev.price, ev.fees, ev.ts, kind=kind, cash=ev.cash,
                currency=ev.currency, closing=closing, order_id=ev.group, in_lieu=lieu)


def domain_instrument(inst: Instrument) -> DomainInstrument:
    if inst.is_option:
        return inst.contract()
    return Stock(inst.underlying)


class State:
    """Account state after some events: cash per currency and one `WheelBook` per (account, underlying, currency).

    `realized[i]` is the P&L realized by the i-th applied event under the assignment rule (`domain.position`).
    """

    __slots__ = ("aliases", "books", "cash", "instruments", "method", "order")

    def __init__(self, method: CostMethod = CostMethod.FIFO) -> None:
        self.method = CostMethod(method)  # how closes match tax lots: FIFO (the default, as brokers report) or average
        self.cash: dict[str, Decimal] = {}
        self.books: dict[tuple[str, str, str], WheelBook] = {}
        self.instruments: dict[DomainInstrument, Instrument] = {}  # domain -> ledger instrument, for the views
        self.order: list[LedgerEvent] = []
        self.aliases: dict[tuple[str, str, str], tuple[str, str, str]] = {}  # new symbol -> the book it joined

    def copy(self) -> State:
        out = State(self.method)
        out.cash = dict(self.cash)
        out.books = copy.deepcopy(self.books)
        out.instruments = dict(self.instruments)
        out.order = list(self.order)
        out.aliases = dict(self.aliases)
        return out

    def book_key(self, ev: LedgerEvent, fill: Fill) -> tuple[str, str, str]:
        """The book a fill goes to: its underlying's, or the open cycle a symbol change or merger moved it into."""
        key = (ev.account, fill.instrument.underlying, ev.currency)
        alias = self.aliases.get(key)
        if alias is not None and joins(self.books[alias], fill):
            return alias
        self.aliases.pop(key, None)  # that cycle is over: the symbol trades on its own again
        mine = {k: b for k, b in self.books.items() if k[0] == ev.account and k != key}
        target = transfer_target(mine.values(), fill)
        if target is not None:
            self.aliases[key] = next(k for k, b in mine.items() if b is target)
            return self.aliases[key]
        return key

    def settle(self) -> None:
        """Finish every book's last instant (a premium no share fill took is realized, flat cycles close)."""
        for book in self.books.values():
            book.settle()

    def _cycles(self) -> Iterator[tuple[str, WheelCycle]]:
        for (acct, _, _), book in self.books.items():
            for cyc in [*book.cycles, *book.orphans]:
                yield acct, cyc

    def _open(self) -> Iterator[tuple[str, Position, WheelCycle]]:
        for (acct, _, _), book in self.books.items():
            cur = book.current
            if cur is not None:
                for pos in cur.positions.values():
                    if not pos.is_flat:
                        yield acct, pos, cur

    @property
    def holdings(self) -> dict[tuple[str, Instrument], OpenPosition]:
        """Each open position by (account, ledger instrument): the lookup the discipline checks read."""
        return {(acct, self.instruments[pos.instrument]): self._view(acct, pos, cyc) for acct, pos, cyc in self._open()}

    def _view(self, acct: str, pos: Position, cyc: WheelCycle) -> OpenPosition:
        inst = self.instruments[pos.instrument]
        qty, cost = pos.quantity, pos.open_cost
        assert pos.opened is not None
        credit = cyc.short_option_net_credit(inst.right) if inst.right is not None and qty < 0 else None
        return OpenPosition(
            account=acct, underlying=inst.underlying, right=inst.right, strike=inst.strike, expiry=inst.expiry,
            contracts=qty, multiplier=inst.multiplier,
            open_premium_per_share=per_share(abs(cost) / (abs(qty) * inst.multiplier)) if inst.is_option else None,
            cost_basis_per_share=None if inst.is_option else per_share(cost / qty),
            opened=pos.opened.date(), currency=pos.currency, cost_total=cost, chain_net_credit=credit,
        )

    @property
    def realized(self) -> list[Decimal]:
        by_fill: dict[str, Decimal] = {}
        for _, cyc in self._cycles():
            by_fill.update(cyc.realized_by_fill)
        return [by_fill.get(ev.key, ZERO) for ev in self.order]

    @property
    def realized_currency(self) -> list[str]:
        return [ev.currency for ev in self.order]

    @property
    def unmatched(self) -> list[tuple[LedgerEvent, int, Decimal]]:
        """Closes with no opening in the ledger: (event, quantity not matched, its cash), in replay order."""
        index = {ev.key: (i, ev) for i, ev in enumerate(self.order)}
        found = [(index[f.fill_id], q, cash) for _, cyc in self._cycles() for pos in cyc.positions.values()
                 for f, q, cash in pos.unmatched]
        return [(ev, q, cash) for (_, ev), q, cash in sorted(found, key=lambda x: x[0][0])]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return (self.cash, self.holdings, self.realized, self.unmatched) == (
            other.cash, other.holdings, other.realized, other.unmatched)

    __hash__ = None  # type: ignore[assignment]

    def reserved(self, currency: str = "USD", account: str | None = None) -> Decimal:
        return sum((cyc.short_put_exposure for (acct, _, cur), book in self.books.items()
                    if cur == currency and account in (None, acct) for cyc in [book.current] if cyc is not None), ZERO)

    def realized_by_currency(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for cur, pnl in zip(self.realized_currency, self.realized, strict=True):
            out[cur] = out.get(cur, ZERO) + pnl
        return out

    def free_cash(self, currency: str = "USD") -> Decimal:
        return self.cash.get(currency, ZERO) - self.reserved(currency)

    def shortfall(self, currency: str = "USD") -> Decimal:
        """How far cash is below the collateral of the short puts (0 when secured)."""
        return max(ZERO, -self.free_cash(currency))

    def _current(self, account: str, underlying: str) -> list[WheelCycle]:
        return [c for (acct, _, _), b in self.books.items() if acct == account
                for c in [b.current] if c is not None and underlying in c.underlyings]

    def shares(self, account: str, underlying: str) -> int:
        return sum(c.shares for c in self._current(account, underlying))

    def short_call_shares(self, account: str, underlying: str) -> int:
        return sum(-p.quantity * i.multiplier for c in self._current(account, underlying)
                   for i, p in c.positions.items() if isinstance(i, OptionContract) and i.right is Right.CALL
                   and p.quantity < 0)

    def positions(self) -> list[OpenPosition]:
        out = [self._view(acct, pos, cyc) for acct, pos, cyc in self._open()]
        return sorted(out, key=lambda p: (p.account, p.underlying, p.label))


def ordered(events: Iterable[LedgerEvent]) -> list[LedgerEvent]:
    """Replay order: by time, then by insertion order (Python's sort is stable)."""
    return sorted(events, key=lambda e: e.ts)


def apply(state: State, ev: LedgerEvent) -> Decimal:
    """Apply one event in place; returns the P&L it realized now (FIFO lots; an assigned premium goes to shares)."""
    state.cash[ev.currency] = state.cash.get(ev.currency, ZERO) + ev.cash
    state.order.append(ev)
    inst = ev.instrument
    if inst is None:
        return ZERO
    if ev.quantity == 0:  # a dividend or fee row on the underlying: the open cycle's income
        book = state.books.get((ev.account, inst.underlying, ev.currency))
        if book is not None:
            book.add_income(ev.cash, ev.ts)
        return ZERO
    fill = to_fill(ev)
    key = state.book_key(ev, fill)
    book = state.books.get(key)
    if book is None:
        book = state.books[key] = WheelBook(inst.underlying, currency=ev.currency, method=state.method)
    state.instruments.setdefault(fill.instrument, inst)
    return book.apply(fill).amount


def is_closing(ev: LedgerEvent) -> bool:
    """A close by intent: flagged close, or an option leaving by expiry, assignment or exercise."""
    inst = ev.instrument
    return ev.effect is Effect.CLOSE or (
        inst is not None and inst.is_option and ev.kind in (Kind.EXPIRE, Kind.ASSIGN, Kind.EXERCISE))


def replay(events: Iterable[LedgerEvent], *, check: Callable[[LedgerEvent], bool] | None = None,
           method: CostMethod = CostMethod.FIFO) -> State:
    """Replay `events` in order (lots matched by `method`). Events for which `check(ev)` is true are validated
    strictly after applying."""
    state = State(method)
    for ev in ordered(events):
        before = _snapshot(state, ev) if check is not None and check(ev) else None
        apply(state, ev)
        if before is not None:
            validate(state, ev, before)
    state.settle()
    return state


def reduces_risk(ev: LedgerEvent) -> bool:
    """A deposit, or a close (buy-back, expiry, assignment, exercise): recordable in an under-secured account."""
    return ev.kind is Kind.DEPOSIT or (ev.instrument is not None and is_closing(ev))


def shortfalls(events: Iterable[LedgerEvent]) -> dict[str, Decimal]:
    """Collateral shortfall (in the event's currency) after each event, by event key."""
    state = State()
    out = {}
    for ev in ordered(events):
        apply(state, ev)
        out[ev.key] = state.shortfall(ev.currency)
    return out


def later_shortfall(before: list[LedgerEvent], after: list[LedgerEvent], new_keys: set[str], since: datetime) -> None:
    """Refuse new events that leave an existing later event (an import included) with less collateral than it had.

    A back-dated trade is checked against everything recorded after it, not only later manual trades; a later
    event that was already under-secured without the new events (the broker allowed margin) is not held against it.
    """
    was, now = shortfalls(before), shortfalls(after)
    already_short = any(v > 0 for v in was.values())
    if already_short and all(reduces_risk(e) for e in after if e.key in new_keys):
        return  # repairs in an account the broker let go under-secured
    for ev in ordered(after):
        if ev.key in new_keys or ev.ts < since:
            continue
        if now[ev.key] > max(was.get(ev.key, ZERO), ZERO):
            raise LedgerError(
                f"a later {ev.kind.value} on {ev.ts:%Y-%m-%d} would leave cash {now[ev.key]:,.2f} {ev.currency} short "
                "of the collateral its short puts need", where=f"{ev.kind.value} on {ev.ts:%Y-%m-%d}",
                hint="a back-dated trade must stay cash-secured through every later event; deposit or close first")


def checked(state: State, new: Iterable[LedgerEvent]) -> State:
    """A copy of `state` with `new` applied and validated (the write-time check for events at the end of the log).

    Raises `LedgerError` and leaves `state` untouched when an event breaks the discipline.
    """
    out = state.copy()
    for ev in new:
        before = _snapshot(out, ev)
        apply(out, ev)
        validate(out, ev, before)
    return out


def _snapshot(state: State, ev: LedgerEvent) -> tuple[int, Decimal]:
    # (quantity held of the event's instrument, collateral shortfall) before the event
    h = state.holdings.get((ev.account, ev.instrument)) if ev.instrument is not None else None
    return (h.quantity if h else 0), state.shortfall(ev.currency)


def validate(state: State, ev: LedgerEvent, before: tuple[int, Decimal]) -> None:
    """The discipline, checked after `ev`: raise `LedgerError` naming the rule it breaks.

    The cash-secured rule refuses an event that leaves free cash negative *and* more negative than before it. In
    an account that is already under-secured (an import: the broker allowed margin), a risk-reducing event
    (`reduces_risk`: deposit, buy-to-close, expiry, assignment) is always recordable; a secured account stays
    secured.
    """
    qty_before, short_before = before
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
        uncovers = ev.quantity < 0 and (not inst.is_option or inst.right is Right.CALL)  # sells a call or shares
        if needed > covered and uncovers:
            raise LedgerError(f"short calls on {inst.underlying} need {needed} shares, only {covered} held", where=where,
                              hint="a covered call needs 100 shares per contract in this account")
    short_after = state.shortfall(ev.currency)
    if short_after <= max(short_before, ZERO) or (short_before > 0 and reduces_risk(ev)):
        return  # no worse than before; or a repair in an account that was already under-secured
    cash = state.cash.get(ev.currency, ZERO)
    reserved = state.reserved(ev.currency)
    if cash < reserved:
        raise LedgerError(
            f"free cash would be {cash - reserved:,.2f} {ev.currency}: cash {cash:,.2f} is below the "
            f"{reserved:,.2f} reserved as collateral for short puts",
            where=where, hint="a cash-secured put needs strike × 100 × contracts in free cash; deposit or close first",
        )
