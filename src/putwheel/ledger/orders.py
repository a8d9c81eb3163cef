"""Orders in the ledger: persisted before they are sent, every state kept, fills recorded once with their state.

Stages of an order's life here: `add_order` (status new, under the write lock, refused unless the cash it would
lock is free after what the ledger's short puts and every other open order already reserve) -> `set_status` (the
broker acknowledged, replaced, cancelled, rejected ...) -> `record_fills` (the broker's fills as ledger events keyed
by the broker's fill id, and the order's new state, in one transaction: a crash leaves both or neither) -> read
back with `orders` / `order`. `broker_doc` / `save_broker_doc` keep a local broker's own book (the paper broker).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import LedgerError
from putwheel.domain.orders import ComboOrder, Intent, Order, OrderStatus, Side
from putwheel.ledger.events import LedgerEvent
from putwheel.ledger.replay import replay
from putwheel.ledger.schema import broker_state, order_states, orders
from putwheel.ledger.store import _LOCK_ID, _WRITE, Ledger, _read

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order as the ledger keeps it: the domain order, where it came from, and its state now."""

    order: Order | ComboOrder
    account: str
    broker: str
    run_date: date
    origin: str  # plan | manage | roll-leg
    action: str
    status: OrderStatus = OrderStatus.NEW
    filled: int = 0
    limit: Decimal | None = None  # the limit now (walked); a combo's net limit
    broker_order_id: str | None = None
    message: str = ""
    min_credit: Decimal | None = None  # a roll's net credit floor per share, as decided (None: not recorded)

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id

    @property
    def quantity(self) -> int:
        return self.order.legs[0].quantity if isinstance(self.order, ComboOrder) else self.order.quantity

    @property
    def collateral(self) -> Decimal:
        return self.order.collateral()

    @property
    def reserved(self) -> Decimal:
        """Cash this order still locks: the collateral of what has not filled yet (filled puts are positions)."""
        if self.status.is_terminal:
            return ZERO
        return self.collateral * (self.quantity - self.filled) / self.quantity


@contextlib.contextmanager
def _writing(ledger: Ledger) -> Iterator[Connection]:
    with ledger.engine.execution_options(**{_WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
        yield conn


def _leg_doc(o: Order) -> dict[str, Any]:
    c = o.contract
    return {"underlying": c.underlying, "expiry": c.expiry.isoformat(), "strike": str(c.strike), "right": c.right.value,
            "multiplier": c.multiplier, "side": o.side.value, "intent": o.intent.value, "quantity": o.quantity,
            "limit": None if o.limit is None else str(o.limit)}


def _leg(doc: dict[str, Any], cid: str, reason: int, placed: date) -> Order:
    c = OptionContract(doc["underlying"], date.fromisoformat(doc["expiry"]), Decimal(doc["strike"]),
                       Right(doc["right"]), int(doc["multiplier"]))
    limit = None if doc["limit"] is None else Decimal(doc["limit"])
    return Order(cid, c, Side(doc["side"]), Intent(doc["intent"]), int(doc["quantity"]), limit, reason, placed)


def _legs(o: Order | ComboOrder) -> tuple[Order, ...]:
    return o.legs if isinstance(o, ComboOrder) else (o,)


def _row(s: StoredOrder, now: datetime) -> dict[str, Any]:
    o = s.order
    limit = s.limit if s.limit is not None else (o.net_limit if isinstance(o, ComboOrder) else o.limit)
    return {"client_order_id": s.client_order_id, "account": s.account, "broker": s.broker, "run_date": s.run_date,
            "origin": s.origin, "action": s.action, "reason_code": o.reason_code,
            "legs": json.dumps([_leg_doc(leg) for leg in _legs(o)]), "combo": int(isinstance(o, ComboOrder)),
            "quantity": s.quantity, "limit_price": limit, "collateral": s.collateral, "min_credit": s.min_credit,
            "status": s.status.value,
            "filled": s.filled, "broker_order_id": s.broker_order_id, "message": s.message, "created_at": now,
            "updated_at": now}


def _stored(r: Any) -> StoredOrder:
    cid, reason, placed = r["client_order_id"], int(r["reason_code"]), r["run_date"]
    legs = tuple(_leg(d, cid, reason, placed) for d in json.loads(r["legs"]))
    order: Order | ComboOrder = (ComboOrder(cid, legs, r["limit_price"], reason, placed) if r["combo"] else legs[0])
    return StoredOrder(order, r["account"], r["broker"], placed, r["origin"], r["action"], OrderStatus(r["status"]),
                       int(r["filled"]), r["limit_price"], r["broker_order_id"], r["message"], r["min_credit"])


def _open_reserved(conn: Connection, account: str, exclude: str | None = None) -> Decimal:
    q = select(orders).where(orders.c.account == account)
    return sum((s.reserved for s in map(_stored, conn.execute(q).mappings()) if s.client_order_id != exclude), ZERO)


def _free(conn: Connection, account: str, exclude: str | None = None) -> Decimal:
    state = replay(_read(conn, [account]))
    return state.free_cash() - _open_reserved(conn, account, exclude)


def free_cash(ledger: Ledger, account: str, *, exclude: str | None = None) -> Decimal:
    """The account's cash less the collateral of its short puts and of every open order (but `exclude`)."""
    with ledger.engine.connect() as conn:
        return _free(conn, account, exclude)


def open_reserved(ledger: Ledger, account: str) -> Decimal:
    """Cash the account's open orders lock (the unfilled part of each put they would open)."""
    with ledger.engine.connect() as conn:
        return _open_reserved(conn, account)


def add_order(ledger: Ledger, stored: StoredOrder, *, now: datetime) -> bool:
    """Persist a new order (before it is sent). False if this client order id is already stored (nothing written).

    Refused (LedgerError) when the cash it would lock is not free after the ledger's short puts and the other
    open orders: no put is ever sent without its full collateral.
    """
    with _writing(ledger) as conn:
        if conn.execute(select(orders.c.client_order_id).where(
                orders.c.client_order_id == stored.client_order_id)).first() is not None:
            return False
        need = stored.collateral
        if need > 0:
            free = _free(conn, stored.account)
            if need > free:
                raise LedgerError(f"order {stored.client_order_id} needs {need:,f} collateral, free cash is {free:,f}; "
                                  "not sent", hint="free cash counts the cash reserved by open orders")
        conn.execute(insert(orders).values(**_row(stored, now)))
        _history(conn, stored.client_order_id, stored.status, stored.filled, stored.limit, now, "persisted")
    return True


def add_orders(ledger: Ledger, batch: Sequence[StoredOrder], *, now: datetime) -> tuple[list[StoredOrder], list[str]]:
    """Persist several new orders in ONE transaction (a day's plan: all of it or none of it is in the ledger).

    Each is checked in turn against the free cash left after the ones before it; an order that does not fit is not
    stored and its refusal is returned. An id already stored is skipped (neither stored nor refused).
    """
    stored_now, refused = [], []
    with _writing(ledger) as conn:
        free = _free(conn, batch[0].account) if batch else ZERO
        for s in batch:
            if conn.execute(select(orders.c.client_order_id).where(
                    orders.c.client_order_id == s.client_order_id)).first() is not None:
                continue
            if s.collateral > free:
                refused.append(f"order {s.client_order_id} needs {s.collateral:,f} collateral, free cash is "
                               f"{free:,f}; not sent")
                continue
            free -= s.collateral
            conn.execute(insert(orders).values(**_row(s, now)))
            _history(conn, s.client_order_id, s.status, s.filled, s.limit, now, "persisted")
            stored_now.append(s)
    return stored_now, refused


def _history(conn: Connection, cid: str, status: OrderStatus, filled: int, limit: Decimal | None, at: datetime,
             note: str) -> None:
    conn.execute(insert(order_states).values(client_order_id=cid, status=status.value, filled=filled, limit_price=limit,
                                             at=at, note=note))


def _set(conn: Connection, cid: str, *, status: OrderStatus, filled: int, limit: Decimal | None,
         broker_order_id: str | None, message: str, now: datetime, note: str) -> None:
    values: dict[str, Any] = {"status": status.value, "filled": filled, "message": message, "updated_at": now}
    if limit is not None:
        values["limit_price"] = limit
    if broker_order_id:
        values["broker_order_id"] = broker_order_id
    if conn.execute(update(orders).where(orders.c.client_order_id == cid).values(**values)).rowcount != 1:
        raise LedgerError(f"no order {cid} in the ledger")
    _history(conn, cid, status, filled, limit, now, note)


def set_status(ledger: Ledger, cid: str, status: OrderStatus, *, filled: int, now: datetime, limit: Decimal | None = None,
               broker_order_id: str | None = None, message: str = "", note: str = "") -> None:
    """Record the state the broker reports for an order (and its limit now), with a history row."""
    with _writing(ledger) as conn:
        _set(conn, cid, status=status, filled=filled, limit=limit, broker_order_id=broker_order_id, message=message,
             now=now, note=note)


def record_fills(ledger: Ledger, cid: str, events: Sequence[LedgerEvent], status: OrderStatus, *, filled: int,
                 now: datetime, broker_order_id: str | None = None, message: str = "",
                 limit: Decimal | None = None) -> int:
    """Append the fill events (keys carry the broker's fill ids: a fill already stored adds nothing) and the order's
    new state in one transaction, strictly checked (a put fill needs its collateral free). Returns events added."""
    def _state(conn: Connection) -> None:
        _set(conn, cid, status=status, filled=filled, limit=limit, broker_order_id=broker_order_id, message=message,
             now=now, note=f"{len(events)} fill event(s)")

    res = ledger.append(list(events), strict=True, origin=f"order {cid}", source="run", recorded_at=now, also=_state)
    return res.added


def orders_of(ledger: Ledger, account: str, *, run_date: date | None = None, open_only: bool = False,
              broker: str | None = None) -> list[StoredOrder]:
    """The account's orders, oldest first; `open_only` keeps those not in a final state."""
    q = select(orders).where(orders.c.account == account).order_by(orders.c.created_at, orders.c.client_order_id)
    if run_date is not None:
        q = q.where(orders.c.run_date == run_date)
    if broker is not None:
        q = q.where(orders.c.broker == broker)
    with ledger.engine.connect() as conn:
        out = [_stored(r) for r in conn.execute(q).mappings()]
    return [s for s in out if not (open_only and s.status.is_terminal)]


def order(ledger: Ledger, cid: str) -> StoredOrder | None:
    with ledger.engine.connect() as conn:
        r = conn.execute(select(orders).where(orders.c.client_order_id == cid)).mappings().first()
    return None if r is None else _stored(r)


def history(ledger: Ledger, cid: str) -> list[tuple[OrderStatus, int, Decimal | None, str]]:
    """Every state the order reached, oldest first: (status, filled, limit, note)."""
    q = select(order_states).where(order_states.c.client_order_id == cid).order_by(order_states.c.seq)
    with ledger.engine.connect() as conn:
        return [(OrderStatus(r["status"]), int(r["filled"]), r["limit_price"], r["note"]) for r in conn.execute(q).mappings()]


def broker_doc(ledger: Ledger, broker: str, account: str) -> str | None:
    with ledger.engine.connect() as conn:
        r = conn.execute(select(broker_state.c.doc).where(broker_state.c.broker == broker,
                                                          broker_state.c.account == account)).first()
    return None if r is None else str(r[0])


def save_broker_doc(ledger: Ledger, broker: str, account: str, doc: str, *, now: datetime) -> None:
    with _writing(ledger) as conn:
        done = conn.execute(update(broker_state).where(broker_state.c.broker == broker, broker_state.c.account == account)
                            .values(doc=doc, updated_at=now)).rowcount
        if not done:
            conn.execute(insert(broker_state).values(broker=broker, account=account, doc=doc, updated_at=now))


