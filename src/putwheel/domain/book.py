"""`WheelBook`: the consecutive Wheel cycles of one underlying, and `build_cycles` over an ordered fill list.

Stages: a fill after the open cycle went flat (at a later instant) closes it and starts the next -> a corporate
action's opening leg on a new symbol joins the cycle its closing leg left (`transfer_target`, `joins`) ->
`settle` finishes the last instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from putwheel.domain.cycle import WheelCycle
from putwheel.domain.fills import Fill, FillKind
from putwheel.domain.lots import CostMethod
from putwheel.domain.money import Money

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class WheelBook:
    """Consecutive cycles of one underlying: a fill after the cycle went flat (at a later instant) starts a new one."""

    def __init__(self, underlying: str, *, method: CostMethod = CostMethod.FIFO, currency: str = "USD") -> None:
        self.underlying = underlying
        self.method = method
        self.currency = currency
        self.cycles: list[WheelCycle] = []
        self.orphans: list[WheelCycle] = []  # closes without their openings: kept for their cash, not a cycle

    @property
    def current(self) -> WheelCycle | None:
        """The open cycle, after closing it if it went flat at an instant already finished."""
        return self.cycles[-1] if self.cycles and self.cycles[-1].end is None else None

    def _close_if_done(self, time: datetime, order_id: str | None) -> None:
        cur = self.current
        if cur is None or cur.fill_count == 0 or not cur.is_flat or cur.continues(time, order_id):
            return
        self._close(cur)

    def _close(self, cur: WheelCycle) -> None:
        cur.close()
        if not cur.opened_any:
            self.cycles.remove(cur)
            self.orphans.append(cur)

    def apply(self, fill: Fill) -> Money:
        self._close_if_done(fill.time, fill.order_id)
        cur = self.current
        if cur is None:
            cur = WheelCycle(self.underlying, number=len(self.cycles) + 1, method=self.method, currency=self.currency)
            self.cycles.append(cur)
        return cur.apply(fill)

    def add_income(self, amount: Decimal, time: datetime) -> WheelCycle | None:
        """Credit income to the open cycle; returns it, or None when the underlying is not in a cycle."""
        self._close_if_done(time, None)
        cur = self.current
        if cur is not None:
            cur.add_income(amount)
        return cur

    def settle(self) -> None:
        """Finish the last instant: realize premiums no share fill took, close the cycle if flat."""
        cur = self.current
        if cur is not None:
            cur.settle()
            if cur.is_flat:
                self._close(cur)


def transfer_target(books: Iterable[WheelBook], fill: Fill) -> WheelBook | None:
    """The book whose open cycle a corporate action's opening leg continues (a symbol change or merger moves a
    position to a new underlying: the cycle, its basis and its credit go with it); None for any other fill."""
    if fill.kind is not FillKind.CORPORATE_ACTION or fill.closing:
        return None
    for book in books:
        cur = book.current
        if cur is not None and book.currency == fill.currency and cur.awaiting_transfer(fill.time, fill.order_id):
            return book
    return None


def joins(book: WheelBook, fill: Fill) -> bool:
    """True while `book`'s open cycle holds `fill`'s underlying under a symbol it took over (and still holds it)."""
    cur = book.current
    return cur is not None and fill.instrument.underlying in cur.underlyings and (
        not cur.is_flat or cur.continues(fill.time, fill.order_id))


def build_cycles(fills: Iterable[Fill], *, method: CostMethod = CostMethod.FIFO) -> list[WheelCycle]:
    """Every Wheel cycle of `fills` (in time order), oldest first; one book per underlying and currency.

    A symbol change or merger keeps the position in the cycle it was in (`transfer_target`).
    """
    books: dict[tuple[str, str], WheelBook] = {}
    moved: dict[tuple[str, str], tuple[str, str]] = {}  # a new symbol -> the book whose cycle took it over
    for fill in fills:
        key = (fill.instrument.underlying, fill.currency)
        if key in moved and not joins(books[moved[key]], fill):
            del moved[key]
        target = transfer_target(books.values(), fill) if key not in moved else None
        if target is not None and (target.underlying, target.currency) != key:
            moved[key] = (target.underlying, target.currency)
        book = books.get(moved.get(key, key))
        if book is None:
            book = books[key] = WheelBook(key[0], method=method, currency=key[1])
        book.apply(fill)
    for book in books.values():
        book.settle()
    out = [c for b in books.values() for c in b.cycles]
    return sorted(out, key=lambda c: (c.start or _EPOCH, c.underlying, c.number))
