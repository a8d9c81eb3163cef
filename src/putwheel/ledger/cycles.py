"""Wheel cycles, roll chains and monthly income, read from the replayed domain books (pure functions).

The cycle logic is `domain.position.WheelCycle`: a cycle on one underlying starts when the account goes from flat
to holding anything on it (normally a short put) and ends when it is flat again; the premium-adjusted basis, the
net credit and the rolls are defined there once. This module adds the account and renders labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from putwheel.domain.contract import OptionContract
from putwheel.domain.position import CostMethod, WheelCycle, annualize
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, option
from putwheel.ledger.replay import ZERO, replay


@dataclass(frozen=True, slots=True)
class Roll:
    """Short options of one right closed and reopened in one order (or at one instant): one link of a roll chain."""

    on: date
    closed: str
    opened: str
    net_credit: Decimal  # cash of every leg of the order, fees included


def _label(contracts: tuple[OptionContract, ...]) -> str:
    return " + ".join(option(c.underlying, c.right, c.strike, c.expiry, c.multiplier).label for c in contracts)


@dataclass(frozen=True, slots=True)
class LedgerCycle:
    """One account's snapshot of a domain `WheelCycle`: every number is the domain's (basis, credit, returns)."""

    account: str
    underlying: str
    number: int
    start: date
    end: date | None
    outcome: str | None  # expired, bought back, called away, shares sold, cash settled
    phase: str
    assigned: bool
    option_cash: Decimal  # the cycle's net credit: premiums net of buy-backs and fees
    stock_cash: Decimal
    income_cash: Decimal  # dividends on the underlying during the cycle
    fees: Decimal  # commissions and fees of the cycle's fills (already inside the cash)
    net_cash: Decimal
    pnl: Decimal | None  # realized P&L of a closed cycle
    realized: Decimal  # realized so far under the assignment rule
    max_capital: Decimal  # largest capital at risk: put collateral, share cost, long options, short stock
    return_on_capital: Decimal | None
    shares: int
    short_put_shares: int
    short_put_exposure: Decimal
    cost_basis_per_share: Decimal | None  # premium-adjusted (`WheelCycle.adjusted_basis_per_share`)
    tax_basis_per_share: Decimal | None  # the open share lots
    breakeven: Decimal | None
    rolls: list[Roll]
    events: int
    currency: str = "USD"

    @classmethod
    def of(cls, account: str, c: WheelCycle) -> LedgerCycle:
        assert c.start is not None
        return cls(
            account=account, underlying=c.underlying, number=c.number, start=c.start.date(),
            end=c.end.date() if c.end else None, outcome=c.outcome if c.end else None, phase=c.phase.value,
            assigned=c.assigned, option_cash=c.net_credit, stock_cash=c.stock_cash, income_cash=c.income_cash,
            fees=c.fees, net_cash=c.net_cash, pnl=c.pnl, realized=c.realized, max_capital=c.max_capital,
            return_on_capital=c.return_on_capital(), shares=c.shares, short_put_shares=c.short_put_shares,
            short_put_exposure=c.short_put_exposure, cost_basis_per_share=c.adjusted_basis_per_share,
            tax_basis_per_share=c.tax_basis_per_share, breakeven=c.breakeven,
            rolls=[Roll(r.time.date(), _label(r.closed), _label(r.opened), r.net_credit) for r in c.rolls],
            events=c.fill_count, currency=c.currency,
        )

    @property
    def cycle_id(self) -> str:
        return f"{self.account}/{self.underlying}#{self.number}"

    @property
    def status(self) -> str:
        return "closed" if self.end is not None else "open"

    def days(self, as_of: date) -> int:
        return max(1, ((self.end or as_of) - self.start).days)

    def annualized_return(self, as_of: date) -> float | None:
        """`domain.position.annualize`: None while open and for cycles under 30 days."""
        return annualize(self.return_on_capital, self.days(as_of))


def cycles(events: Iterable[LedgerEvent], *, method: CostMethod = CostMethod.FIFO) -> list[LedgerCycle]:
    """All wheel cycles, oldest first, per (account, underlying); tax lots matched by `method`."""
    state = replay(events, method=method)
    out = [LedgerCycle.of(acct, c) for (acct, _, _), book in state.books.items() for c in book.cycles]
    return sorted(out, key=lambda c: (c.start, c.account, c.underlying, c.number))


@dataclass(frozen=True, slots=True)
class MonthIncome:
    month: str  # YYYY-MM
    currency: str
    premium_sold: Decimal  # credits of sell-to-open option trades, net of their fees
    options_realized: Decimal
    stock_realized: Decimal
    dividends: Decimal  # money-market fund distributions included
    interest: Decimal  # credit interest less debit (margin) interest
    fees: Decimal  # cash-only fee and adjustment rows
    withholding: Decimal = ZERO  # tax withheld on dividends (negative)
    lending: Decimal = ZERO  # stock lending income
    commissions: Decimal = ZERO  # commissions and fees of the month's fills (a cost; already inside the P&L)

    @property
    def total(self) -> Decimal:
        return (self.options_realized + self.stock_realized + self.dividends + self.withholding + self.interest
                + self.lending + self.fees)


_CASH_FIELDS = {Kind.DIVIDEND: "dividends", Kind.WITHHOLDING: "withholding", Kind.INTEREST: "interest",
                Kind.LENDING: "lending", Kind.FEE: "fees", Kind.ADJUSTMENT: "fees"}
_FIELDS = ("premium_sold", "options_realized", "stock_realized", "dividends", "interest", "fees", "withholding",
           "lending", "commissions")


def monthly_income(events: Iterable[LedgerEvent], *, method: CostMethod = CostMethod.FIFO) -> list[MonthIncome]:
    """Realized income by calendar month (UTC) and currency; tax lots matched by `method`."""
    state = replay(events, method=method)
    rows: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for ev, realized in zip(state.order, state.realized, strict=True):
        acc = rows[(f"{ev.ts:%Y-%m}", ev.currency)]
        inst: Instrument | None = ev.instrument
        if inst is not None and ev.quantity != 0:
            acc["options_realized" if inst.is_option else "stock_realized"] += realized
            acc["commissions"] += ev.fees
            if inst.is_option and ev.quantity < 0 and ev.effect is Effect.OPEN and ev.kind is Kind.TRADE:
                acc["premium_sold"] += ev.cash
        elif ev.kind in _CASH_FIELDS:
            acc[_CASH_FIELDS[ev.kind]] += ev.cash
    return [MonthIncome(m, cur, *(vals[f] for f in _FIELDS)) for (m, cur), vals in sorted(rows.items())]
