"""Send orders and follow them: resume what an earlier run left, persist, send, walk the limit, record the fills.

Stages: `resume` (every order the ledger holds open for this broker: ask the broker by client order id, record
what it says; an order persisted but never sent is sent now if it is today's, else closed) -> for each intended
order: recognise it (its client order id is deterministic from the run date and the decision, so a re-run finds
its own order and sends nothing twice) -> guard (per-run and per-order limits, the collateral check under the
ledger's write lock) -> persist (status new) -> send at the first limit of the policy's walk -> replace along the
walk until filled -> cancel at the deadline -> record each report (fills as ledger events keyed by the broker's
fill id, with the state, in one transaction). A roll is one multi-leg order when the broker supports it, else
two orders: the close, then the new leg priced to keep the minimum credit.

`PUTWHEEL_TEST_CRASH_AT=persist:N|send:N|record:N` kills the process (SIGKILL) at the N-th such boundary: the
restart tests use it; it does nothing unless set.
"""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import DataError, LedgerError, PutwheelError
from putwheel.domain.orders import BrokerFill, ComboOrder, Intent, LiveBroker, Order, OrderReport, OrderStatus, Side
from putwheel.execution.brokers.errors import BrokerError, OrderRejected
from putwheel.execution.policy import PricePolicy, limits, open_leg_floor, roll_limits
from putwheel.ledger import Effect, Ledger, LedgerEvent, manual, option
from putwheel.ledger import orders as lo

CRASH_ENV = "PUTWHEEL_TEST_CRASH_AT"
ZERO = Decimal(0)
Quote = Callable[[OptionContract], tuple[Decimal, Decimal] | None]


def client_order_id(run_date: date, decision_key: str) -> str:
    """Deterministic from (run date, decision): the same decision on the same day is the same order."""
    return f"pw-{run_date:%Y%m%d}-" + hashlib.sha256(decision_key.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Intended:
    """An order a decision asks for, before pricing: `order.limit` is ignored (the policy sets it)."""

    origin: str           # plan | manage
    action: str           # sell_put, take_profit, roll, sell_covered_call, close ...
    order: Order | ComboOrder
    min_credit: Decimal = ZERO   # a roll's net credit floor per share


def _floor(intended: Intended) -> Decimal | None:
    """What the ledger keeps as the order's credit floor: a roll's (a resumed roll walks to it), else None."""
    return intended.min_credit if isinstance(intended.order, ComboOrder) else None


@dataclass(frozen=True)
class Limits:
    """Caps a live run refuses to exceed (None: no cap, allowed only on paper)."""

    max_order_notional: Decimal | None = None
    max_orders_per_run: int | None = None
    max_collateral_pct: Decimal | None = None


@dataclass
class Outcome:
    orders: list[dict[str, object]] = field(default_factory=list)
    fills: list[dict[str, object]] = field(default_factory=list)
    alerts: list[tuple[str, str]] = field(default_factory=list)   # (kind, text)
    sent: int = 0


class _Crash:
    def __init__(self) -> None:
        spec = os.environ.get(CRASH_ENV, "")
        name, _, n = spec.partition(":")
        self.name, self.at, self.seen = name, int(n or 0), 0

    def boundary(self, name: str) -> None:
        if name == self.name:
            self.seen += 1
            if self.seen == self.at:
                os.kill(os.getpid(), signal.SIGKILL)


def _legs(o: Order | ComboOrder) -> tuple[Order, ...]:
    return o.legs if isinstance(o, ComboOrder) else (o,)


def _notional(o: Order | ComboOrder) -> Decimal:
    """What an order puts at risk: a put's collateral, else premium x multiplier x contracts at its limit."""
    out = ZERO
    for leg in _legs(o):
        if leg.intent is Intent.OPEN and not leg.contract.right.is_call and leg.side is Side.SELL:
            out += leg.contract.collateral_per_contract() * leg.quantity
        elif leg.limit is not None:
            out += leg.limit * leg.contract.multiplier * leg.quantity
    return out


def fill_event(account: str, broker: str, fill: BrokerFill, intent: Intent) -> LedgerEvent:
    """One broker fill as a ledger trade, keyed by the broker's fill id (recorded once, however often it is seen)."""
    c = fill.contract
    inst = option(c.underlying, c.right, c.strike, c.expiry, c.multiplier)
    qty = fill.quantity if fill.side is Side.BUY else -fill.quantity
    ev = manual.option_trade(account, fill.time, inst, qty, fill.price, fill.fees,
                             effect=Effect.OPEN if intent is Intent.OPEN else Effect.CLOSE, group=fill.client_order_id)
    return replace(ev, source=broker, key=f"{broker}:id:{fill.fill_id}")


class Engine:
    """Drives one broker for one account on one run date, the ledger as the record of everything."""

    def __init__(self, ledger: Ledger, broker: LiveBroker, *, account: str, run_date: date, quote: Quote,
                 policy: PricePolicy, limits_: Limits, now: Callable[[], datetime],
                 sleep: Callable[[float], None], dry_run: bool = False,
                 boundary: Callable[[str], None] | None = None) -> None:
        self.ledger, self.broker, self.account, self.run_date = ledger, broker, account, run_date
        self.dry_run, self.reserved_dry = dry_run, ZERO
        self.quote, self.policy, self.limits, self.now, self.sleep = quote, policy, limits_, now, sleep
        self.out = Outcome()
        self.boundary = boundary or _Crash().boundary   # tests inject a crash at persist / send / record

    def reserved(self) -> Decimal:
        """Cash open orders lock (in a dry run, also what the orders it would send would lock)."""
        return lo.open_reserved(self.ledger, self.account) + self.reserved_dry

    # -- recording ------------------------------------------------------------------------------------------
    def record(self, stored: lo.StoredOrder, rep: OrderReport, note: str = "") -> lo.StoredOrder:
        """Write what the broker reports: new fills as events with the state, or the state alone."""
        known = {e.key for e in self.ledger.events(self.account)}
        intents = {(leg.contract.occ_symbol, leg.side): leg.intent for leg in _legs(stored.order)}
        new = [fill_event(self.account, self.broker.name, f, intents.get((f.contract.occ_symbol, f.side), Intent.OPEN))
               for f in rep.fills]
        new = [e for e in new if e.key not in known]
        if new:
            lo.record_fills(self.ledger, stored.client_order_id, new, rep.status, filled=rep.filled, now=self.now(),
                            broker_order_id=rep.broker_order_id, message=rep.message, limit=rep.limit)
            for f in rep.fills:
                if f"{self.broker.name}:id:{f.fill_id}" in {e.key for e in new}:
                    self.out.fills.append({"fill_id": f.fill_id, "client_order_id": f.client_order_id,
                                           "contract": f.contract.compact_symbol, "side": f.side.value,
                                           "quantity": f.quantity, "price": str(f.price), "fees": str(f.fees),
                                           "time": f.time.isoformat()})
        elif (rep.status, rep.filled, rep.limit) != (stored.status, stored.filled, stored.limit):
            lo.set_status(self.ledger, stored.client_order_id, rep.status, filled=rep.filled, now=self.now(),
                          limit=rep.limit, broker_order_id=rep.broker_order_id, message=rep.message, note=note)
        self.boundary("record")
        return replace(stored, status=rep.status, filled=rep.filled, limit=rep.limit, message=rep.message)

    # -- resume ---------------------------------------------------------------------------------------------
    def resume(self) -> tuple[list[lo.StoredOrder], list[lo.StoredOrder]]:
        """Orders an earlier run left open, recorded from the broker's view. Returns today's (unsent, still working):
        the first are sent now, the second walked on to their deadline (`follow`); an earlier day's are cancelled."""
        unsent, working = [], []
        for stored in lo.orders_of(self.ledger, self.account, open_only=True, broker=self.broker.name):
            rep = self.broker.order(stored.client_order_id)
            if rep is None:
                if stored.status is OrderStatus.NEW and stored.run_date == self.run_date:
                    unsent.append(stored)   # persisted, then the run stopped before sending it
                else:
                    lo.set_status(self.ledger, stored.client_order_id, OrderStatus.CANCELLED, filled=stored.filled,
                                  now=self.now(), message="never reached the broker", note="resume")
                continue
            stored = self.record(stored, rep, "resume")
            if stored.status.is_terminal:
                continue
            if stored.run_date != self.run_date:
                self.record(stored, self.broker.cancel(stored.client_order_id), "cancelled: an earlier day's")
            else:
                working.append(stored)
        return unsent, working

    def follow(self, stored: lo.StoredOrder, intended: Intended) -> lo.StoredOrder:
        """An order already at the broker (a run stopped while it worked): walk on from its limit, then the deadline."""
        try:
            path = self._path(intended)
        except DataError as exc:
            self.out.alerts.append(("missing_data", exc.render()))
            path = ()
        rest = list(path[path.index(stored.limit) + 1:]) if stored.limit in path else list(path)
        return self._walk(stored, intended, rest)

    # -- sending --------------------------------------------------------------------------------------------
    def _path(self, intended: Intended, floor: Decimal | None = None) -> tuple[Decimal, ...]:
        o = intended.order
        quotes = []
        for leg in _legs(o):
            q = self.quote(leg.contract)
            if q is None:
                raise DataError(f"no quote for {leg.contract.compact_symbol}", where="run",
                                hint="the order is skipped; check the market data source")
            quotes.append(q)
        if isinstance(o, ComboOrder):
            (cb, ca), (ob, oa) = (quotes[0], quotes[1]) if o.legs[0].side is Side.BUY else (quotes[1], quotes[0])
            return roll_limits(cb, ca, ob, oa, self.policy, min_credit=intended.min_credit,
                               what=o.client_order_id)
        bid, ask = quotes[0]
        return limits(o.side, bid, ask, self.policy, floor=floor, what=o.contract.compact_symbol)

    def _priced(self, o: Order | ComboOrder, limit: Decimal) -> Order | ComboOrder:
        if isinstance(o, ComboOrder):
            return replace(o, net_limit=limit)
        return replace(o, limit=limit)

    def _guard(self, o: Order | ComboOrder, pending: Decimal = ZERO) -> str | None:
        """A cap this order would break (`pending`: collateral of orders about to be persisted with it), or None."""
        lim = self.limits
        if lim.max_orders_per_run is not None and self.out.sent >= lim.max_orders_per_run:
            return f"max_orders_per_run {lim.max_orders_per_run} reached"
        if lim.max_order_notional is not None and _notional(o) > lim.max_order_notional:
            return f"notional {_notional(o):,f} is above max_order_notional {lim.max_order_notional:,f}"
        if lim.max_collateral_pct is not None and o.collateral() > 0:
            from putwheel.ledger import replay

            state = replay(self.ledger.events(self.account))
            cash = state.cash.get("USD", ZERO)
            locked = state.reserved() + lo.open_reserved(self.ledger, self.account) + pending + o.collateral()
            if locked > cash * lim.max_collateral_pct:
                return (f"collateral {locked:,f} would be above max_collateral_pct {lim.max_collateral_pct} of cash "
                        f"{cash:,f}")
        return None

    def submit(self, intended: Intended, *, resumed: lo.StoredOrder | None = None) -> lo.StoredOrder | None:
        """Persist (unless resumed), send and follow one order to a final state; None if it was not sent."""
        o = intended.order
        if resumed is None and lo.order(self.ledger, o.client_order_id) is not None:
            self._row(lo.order(self.ledger, o.client_order_id), intended, recognised=True)
            return None
        if isinstance(o, ComboOrder) and not self.broker.supports_combo and not self.dry_run:
            return self._leg_by_leg(intended)
        try:
            path = self._path(intended, floor=None)
        except DataError as exc:
            self.out.alerts.append(("missing_data", exc.render()))
            return None
        why = self._guard(self._priced(o, path[0]))
        if why is not None:
            self.out.alerts.append(("refused", f"{o.client_order_id}: {why}; not sent"))
            return None
        if self.dry_run:
            return self._dry(intended, path)
        return self._send(intended, path, resumed)

    def _dry(self, intended: Intended, path: Sequence[Decimal]) -> None:
        o = self._priced(intended.order, path[0])
        need, free = o.collateral(), lo.free_cash(self.ledger, self.account) - self.reserved_dry
        if need > free:
            self.out.alerts.append(("refused", f"{o.client_order_id} needs {need:,f} collateral, free cash is {free:,f}; "
                                               "would not be sent"))
            return
        self.reserved_dry += need
        stored = lo.StoredOrder(o, self.account, self.broker.name, self.run_date, intended.origin, intended.action,
                                limit=path[0])
        self._row(stored, intended)
        self.out.orders[-1]["status"] = "dry_run"
        self.out.orders[-1]["limits"] = [str(p) for p in path]

    def submit_all(self, batch: Sequence[Intended]) -> None:
        """Several orders persisted together (all or none), then sent one by one: a crash part-way leaves the rest
        `new` in the ledger, sent by the next run's `resume` -- a plan is never half remembered."""
        if self.dry_run:
            for intended in batch:
                self.submit(intended)
            return
        ready: list[tuple[Intended, tuple[Decimal, ...], lo.StoredOrder]] = []
        for intended in batch:
            o = intended.order
            earlier = lo.order(self.ledger, o.client_order_id)
            if earlier is not None:
                self._row(earlier, intended, recognised=True)
                continue
            try:
                path = self._path(intended)
            except DataError as exc:
                self.out.alerts.append(("missing_data", exc.render()))
                continue
            why = self._guard(self._priced(o, path[0]), sum((s.collateral for _, _, s in ready), ZERO))
            if why is None and self.limits.max_orders_per_run is not None:
                why = (f"max_orders_per_run {self.limits.max_orders_per_run} reached"
                       if self.out.sent + len(ready) >= self.limits.max_orders_per_run else None)
            if why is not None:
                self.out.alerts.append(("refused", f"{o.client_order_id}: {why}; not sent"))
                continue
            ready.append((intended, path, lo.StoredOrder(self._priced(o, path[0]), self.account, self.broker.name,
                                                         self.run_date, intended.origin, intended.action, limit=path[0],
                                                         min_credit=_floor(intended))))
        if not ready:
            return
        kept, refused = lo.add_orders(self.ledger, [s for _, _, s in ready], now=self.now())
        self.out.alerts.extend(("refused", text) for text in refused)
        self.boundary("persist")
        ids = {s.client_order_id for s in kept}
        for intended, path, stored in ready:
            if stored.client_order_id in ids:
                self._send(intended, path, stored)

    def _send(self, intended: Intended, path: Sequence[Decimal], resumed: lo.StoredOrder | None) -> lo.StoredOrder | None:
        o = self._priced(intended.order, path[0])
        stored = resumed or lo.StoredOrder(o, self.account, self.broker.name, self.run_date, intended.origin,
                                           intended.action, limit=path[0], min_credit=_floor(intended))
        if resumed is None:
            try:
                lo.add_order(self.ledger, stored, now=self.now())
            except LedgerError as exc:
                self.out.alerts.append(("refused", exc.message))
                return None
            self.boundary("persist")
        try:
            rep = self.broker.place(o)
        except BrokerError as exc:
            if not isinstance(exc, OrderRejected):
                # The request may have reached the broker (a timeout, a dropped connection): the order stays as
                # persisted, still reserving its cash; the next run asks the broker by client order id (`resume`)
                # and sends it only if the broker never got it. Marking it rejected could send it twice.
                self.out.alerts.append(("broker_unreachable", f"{o.client_order_id}: {exc.message}"))
                raise
            self._rejected(o, exc.message)
            return None
        except PutwheelError as exc:   # refused before it left (the adapter's own checks)
            self._rejected(o, exc.message)
            return None
        self.out.sent += 1
        self.boundary("send")
        stored = self.record(stored, rep, "placed")
        return self._walk(stored, intended, list(path[1:]))

    def _rejected(self, o: Order | ComboOrder, message: str) -> None:
        lo.set_status(self.ledger, o.client_order_id, OrderStatus.REJECTED, filled=0, now=self.now(), message=message,
                      note="place failed")
        self.out.alerts.append(("rejected", f"{o.client_order_id}: {message}"))

    def _walk(self, stored: lo.StoredOrder, intended: Intended, path: Sequence[Decimal]) -> lo.StoredOrder:
        o = stored.order
        for limit in path:
            if stored.status.is_terminal:
                break
            self.sleep(self.policy.interval_seconds)
            stored = self.record(stored, self.broker.replace(o.client_order_id, limit), f"limit {limit}")
        if not stored.status.is_terminal:
            self.sleep(self.policy.interval_seconds)
            stored = self.record(stored, self.broker.cancel(o.client_order_id), "deadline")
            if stored.status is OrderStatus.CANCELLED:
                self.out.alerts.append(("unfilled", f"{o.client_order_id} ({intended.action}) unfilled at the deadline; "
                                                    "cancelled"))
        if stored.status is OrderStatus.REJECTED:
            self.out.alerts.append(("rejected", f"{o.client_order_id}: {stored.message}"))
        self._row(stored, intended)
        return stored

    def _leg_by_leg(self, intended: Intended) -> lo.StoredOrder | None:
        """A roll on a broker without multi-leg orders: close first; the new leg only if the close filled, priced so
        the roll still brings its minimum credit."""
        combo = intended.order
        assert isinstance(combo, ComboOrder)
        close = next(leg for leg in combo.legs if leg.side is Side.BUY)
        new = next(leg for leg in combo.legs if leg.side is Side.SELL)
        c_int = Intended(intended.origin, intended.action + ":close", replace(close, client_order_id=combo.client_order_id + "c"))
        o_int = Intended(intended.origin, intended.action + ":open", replace(new, client_order_id=combo.client_order_id + "o"))
        earlier = lo.order(self.ledger, o_int.order.client_order_id)
        if earlier is not None:   # a re-run: the roll was already worked through today
            self._row(earlier, o_int, recognised=True)
            return None
        done = lo.order(self.ledger, c_int.order.client_order_id)
        if done is not None:
            self._row(done, c_int, recognised=True)
        else:
            done = self.submit(c_int)
        if done is None or done.status is not OrderStatus.FILLED:
            self.out.alerts.append(("roll_failed", f"{combo.client_order_id}: the closing leg did not fill; nothing rolled"))
            return done
        paid = [e for e in self.ledger.events(self.account) if e.group == c_int.order.client_order_id and e.quantity]
        qty = sum(e.quantity for e in paid)   # what the close cost per share, from its recorded fills
        close_px = sum((e.price * e.quantity for e in paid), ZERO) / qty if qty else (done.limit or ZERO)
        try:
            path = self._path(o_int, floor=open_leg_floor(close_px, intended.min_credit))
        except DataError as exc:
            self.out.alerts.append(("roll_failed", f"{combo.client_order_id}: {exc.message}; the old leg is closed"))
            return done
        opened = self._send(o_int, path, None)
        if opened is None or opened.status is not OrderStatus.FILLED:
            self.out.alerts.append(("roll_failed", f"{combo.client_order_id}: the new leg did not fill at the credit "
                                                   "floor; the old leg is closed"))
        return opened

    def _row(self, stored: lo.StoredOrder | None, intended: Intended, *, recognised: bool = False) -> None:
        if stored is None:
            return
        legs = _legs(stored.order)
        self.out.orders.append({
            "client_order_id": stored.client_order_id, "origin": intended.origin, "action": intended.action,
            "legs": [{"contract": leg.contract.compact_symbol, "side": leg.side.value, "intent": leg.intent.value,
                      "quantity": leg.quantity} for leg in legs],
            "limit": None if stored.limit is None else str(stored.limit), "status": stored.status.value,
            "filled": stored.filled, "collateral": str(stored.collateral), "recognised": recognised,
        })
