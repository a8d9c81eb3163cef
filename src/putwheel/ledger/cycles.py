"""Wheel cycles, roll chains and monthly income, derived from the event list (pure functions).

A cycle on one underlying starts when the account goes from flat to holding anything on it (normally a short
put) and ends when it is flat again (put expired or bought back, or shares called away or sold). Every event on
the underlying in between belongs to the cycle, so the premium-adjusted cost basis and the breakeven carry the
credits of every roll and covered call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from putwheel.domain.contract import Right
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent
from putwheel.ledger.replay import ZERO, State, apply, ordered


@dataclass(frozen=True, slots=True)
class Roll:
    """A short option closed and a new one opened in one order (or at one instant): one link of a roll chain."""

    on: date
    closed: str
    opened: str
    net_credit: Decimal  # cash of both legs, fees included


@dataclass(slots=True)
class WheelCycle:
    account: str
    underlying: str
    number: int
    start: date
    end: date | None = None
    outcome: str | None = None  # expired, bought back, called away, shares sold
    assigned: bool = False
    option_cash: Decimal = ZERO  # premiums net of buybacks and fees
    stock_cash: Decimal = ZERO
    income_cash: Decimal = ZERO  # dividends on the underlying during the cycle
    max_capital: Decimal = ZERO  # largest put collateral + share cost at any point
    shares: int = 0
    short_put_exposure: Decimal = ZERO  # strike × multiplier × contracts of open short puts
    short_put_shares: int = 0
    rolls: list[Roll] = field(default_factory=list)
    events: int = 0
    currency: str = "USD"

    @property
    def cycle_id(self) -> str:
        return f"{self.account}/{self.underlying}#{self.number}"

    @property
    def status(self) -> str:
        return "closed" if self.end is not None else "open"

    @property
    def phase(self) -> str:
        if self.end is not None:
            return "done"
        if self.shares > 0:
            return "shares"
        return "put" if self.short_put_shares else "other"

    @property
    def net_cash(self) -> Decimal:
        return self.option_cash + self.stock_cash + self.income_cash

    @property
    def pnl(self) -> Decimal | None:
        """Realized P&L of a closed cycle (all its cash flows); None while open."""
        return self.net_cash if self.end is not None else None

    @property
    def cost_basis_per_share(self) -> Decimal | None:
        """Premium-adjusted cost basis of the shares held: all cash put in during the cycle per share."""
        if self.shares <= 0:
            return None
        return -self.net_cash / self.shares

    @property
    def breakeven(self) -> Decimal | None:
        """Price at which the open cycle breaks even if every short put is assigned (across all rolls)."""
        exposure = self.shares + self.short_put_shares
        if self.end is not None or exposure <= 0:
            return None
        return (self.short_put_exposure - self.net_cash) / exposure

    def days(self, as_of: date) -> int:
        return max(1, ((self.end or as_of) - self.start).days)

    def annualized_return(self, as_of: date) -> float | None:
        """P&L / largest capital committed, annualized over the cycle's calendar days (closed cycles only)."""
        if self.end is None or self.max_capital <= 0:
            return None
        return float(self.net_cash / self.max_capital) * 365.0 / self.days(as_of)


def _flat(state: State, account: str, underlying: str) -> bool:
    return not any(a == account and inst.underlying == underlying for (a, inst) in state.holdings)


def _exposure(state: State, account: str, underlying: str) -> tuple[int, Decimal, int, Decimal]:
    shares, share_cost, put_shares, put_cash = 0, ZERO, 0, ZERO
    for (a, inst), h in state.holdings.items():
        if a != account or inst.underlying != underlying:
            continue
        if not inst.is_option:
            shares, share_cost = h.quantity, h.basis
        elif inst.right is Right.PUT and h.quantity < 0:
            put_shares += -h.quantity * inst.multiplier
            put_cash += inst.strike * inst.multiplier * -h.quantity  # type: ignore[operator]
    return shares, share_cost, put_shares, put_cash


def cycles(events: Iterable[LedgerEvent]) -> list[WheelCycle]:
    """All wheel cycles, oldest first, per (account, underlying)."""
    state = State()
    active: dict[tuple[str, str], WheelCycle] = {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    done: list[WheelCycle] = []
    pending: dict[tuple[str, str, str], LedgerEvent] = {}  # last short-option close per (account, underlying, group)
    evs = ordered(events)
    touched: dict[tuple[str, str], LedgerEvent] = {}
    for i, ev in enumerate(evs):
        und = ev.instrument.underlying if ev.instrument else None
        key = (ev.account, und) if und else None
        apply(state, ev)
        if key and key not in active and ev.quantity != 0 and not _flat(state, *key):
            counts[key] += 1
            active[key] = WheelCycle(ev.account, key[1], counts[key], ev.ts.date(), currency=ev.currency)
        cyc = active.get(key) if key else None
        if cyc is not None and key is not None:
            _account(cyc, ev, pending)
            cyc.shares, share_cost, cyc.short_put_shares, cyc.short_put_exposure = _exposure(state, *key)
            cyc.max_capital = max(cyc.max_capital, cyc.short_put_exposure + max(share_cost, ZERO))
            if ev.quantity != 0:
                touched[key] = ev
        if i + 1 < len(evs) and evs[i + 1].ts == ev.ts:
            continue  # an assignment is two rows at one instant (option out, shares in): judge after both
        for k, last in touched.items():
            if _flat(state, *k):
                cyc = active.pop(k)
                cyc.end, cyc.outcome = last.ts.date(), _outcome(last)
                done.append(cyc)
        touched.clear()
    return sorted([*done, *active.values()], key=lambda c: (c.start, c.account, c.underlying, c.number))


def _account(cyc: WheelCycle, ev: LedgerEvent, pending: dict[tuple[str, str, str], LedgerEvent]) -> None:
    cyc.events += 1
    inst = ev.instrument
    if inst is None or ev.quantity == 0:
        cyc.income_cash += ev.cash
        return
    if inst.is_option:
        cyc.option_cash += ev.cash
    else:
        cyc.stock_cash += ev.cash
        if ev.kind is Kind.ASSIGN and ev.quantity > 0:
            cyc.assigned = True
    group = ev.group or ev.ts.isoformat()
    gkey = (ev.account, inst.underlying, group)
    if inst.is_option and ev.kind is Kind.TRADE and ev.quantity > 0 and ev.effect is Effect.CLOSE:
        pending[gkey] = ev
    elif inst.is_option and ev.kind is Kind.TRADE and ev.quantity < 0 and ev.effect is Effect.OPEN and gkey in pending:
        closed = pending.pop(gkey)
        if closed.instrument is not None and closed.instrument.right is inst.right:
            cyc.rolls.append(Roll(ev.ts.date(), closed.instrument.label, inst.label, closed.cash + ev.cash))


def _outcome(ev: LedgerEvent) -> str:
    inst = ev.instrument
    if inst is None or ev.quantity == 0:
        return "closed"
    if ev.kind is Kind.EXPIRE:
        return "expired"
    if not inst.is_option and ev.kind in (Kind.ASSIGN, Kind.EXERCISE) and ev.quantity < 0:
        return "called away"
    if not inst.is_option:
        return "shares sold"
    return "bought back" if ev.quantity > 0 else "closed"


@dataclass(frozen=True, slots=True)
class MonthIncome:
    month: str  # YYYY-MM
    currency: str
    premium_sold: Decimal  # credits of sell-to-open option trades, net of their fees
    options_realized: Decimal
    stock_realized: Decimal
    dividends: Decimal
    interest: Decimal
    fees: Decimal  # cash-only fee and adjustment rows

    @property
    def total(self) -> Decimal:
        return self.options_realized + self.stock_realized + self.dividends + self.interest + self.fees


def monthly_income(events: Iterable[LedgerEvent]) -> list[MonthIncome]:
    """Realized income by calendar month (UTC) and currency."""
    state = State()
    rows: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for ev in ordered(events):
        realized = apply(state, ev)
        acc = rows[(f"{ev.ts:%Y-%m}", ev.currency)]
        inst: Instrument | None = ev.instrument
        if inst is not None and ev.quantity != 0:
            acc["options_realized" if inst.is_option else "stock_realized"] += realized
            if inst.is_option and ev.quantity < 0 and ev.effect is Effect.OPEN:
                acc["premium_sold"] += ev.cash
        elif ev.kind is Kind.DIVIDEND:
            acc["dividends"] += ev.cash
        elif ev.kind is Kind.INTEREST:
            acc["interest"] += ev.cash
        elif ev.kind in (Kind.FEE, Kind.ADJUSTMENT):
            acc["fees"] += ev.cash
    fields = ("premium_sold", "options_realized", "stock_realized", "dividends", "interest", "fees")
    return [MonthIncome(m, cur, *(vals[f] for f in fields)) for (m, cur), vals in sorted(rows.items())]
