"""Property: no sequence of decisions, partial fills, rejects and crashes opens a put without its full collateral.

The broker here is hostile: it never checks cash, fills any part of any order it is sent, rejects at random, and
the run is interrupted at random persist/send/record boundaries and restarted (resume, then the same decisions
again). The only guard is putwheel's own; after every step the ledger's free cash must not be negative, no fill
may be refused by the ledger's strict check, and no fill may be recorded twice.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.orders import BrokerFill, Intent, Order, OrderReport, OrderStatus, Side
from putwheel.execution.engine import Engine, Intended, Limits, client_order_id
from putwheel.execution.policy import PricePolicy
from putwheel.ledger import Kind, Ledger, manual, replay
from putwheel.ledger import orders as lo

D = Decimal
DAY = date(2017, 12, 1)
NOW = datetime(2017, 12, 1, 20, tzinfo=UTC)
STRIKES = [D(50), D(80), D(120), D(162)]


class Crash(Exception):
    pass


@dataclass
class HostileBroker:
    """Fills what `script` says, whatever the cash: (kind, n) per call, kind in fill / reject / rest."""

    script: list[tuple[str, int]]
    name: str = "hostile"
    supports_combo: bool = True
    orders: dict[str, dict] = field(default_factory=dict)

    def _next(self) -> tuple[str, int]:
        return self.script.pop(0) if self.script else ("rest", 0)

    def _act(self, cid: str) -> OrderReport:
        rec = self.orders[cid]
        if not rec["status"].is_terminal:
            kind, n = self._next()
            if kind == "reject":
                rec["status"] = OrderStatus.REJECTED
            elif kind == "fill":
                k = max(1, min(n, rec["qty"] - rec["filled"]))
                rec["filled"] += k
                o = rec["order"]
                rec["fills"].append(BrokerFill(f"{cid}-{len(rec['fills']) + 1}", cid, o.contract, o.side, k,
                                               rec["limit"], D("0.65") * k, NOW))
                rec["status"] = OrderStatus.FILLED if rec["filled"] == rec["qty"] else OrderStatus.PARTIALLY_FILLED
        return self.order(cid)

    def account(self):
        raise NotImplementedError

    def place(self, order):
        if order.client_order_id not in self.orders:
            self.orders[order.client_order_id] = {"order": order, "qty": order.quantity, "filled": 0, "fills": [],
                                                  "limit": order.limit, "status": OrderStatus.ACCEPTED}
        return self._act(order.client_order_id)

    def replace(self, cid, limit):
        self.orders[cid]["limit"] = limit
        return self._act(cid)

    def cancel(self, cid):
        rec = self.orders[cid]
        if not rec["status"].is_terminal:
            rec["status"] = OrderStatus.CANCELLED
        return self.order(cid)

    def order(self, cid):
        rec = self.orders.get(cid)
        if rec is None:
            return None
        return OrderReport(cid, cid, rec["status"], rec["filled"], rec["limit"], tuple(rec["fills"]))

    def open_orders(self):
        return []

    def activities(self, since):
        return []


def _quote(c: OptionContract):
    return (c.strike / 100, c.strike / 100 + D("0.20"))


def _intents(decisions: list[tuple[int, int]]) -> list[Intended]:
    out = []
    for i, (k, n) in enumerate(decisions):
        c = OptionContract("XSP", date(2018, 1, 12), STRIKES[k], Right.PUT)
        cid = client_order_id(DAY, f"d{i}|{c.occ_symbol}|{n}")
        out.append(Intended("plan", "sell_put", Order(cid, c, Side.SELL, Intent.OPEN, n, None, 1, DAY)))
    return out


def _engine(led: Ledger, broker: HostileBroker, crash_at: tuple[str, int] | None) -> Engine:
    seen: dict[str, int] = {}

    def boundary(name: str) -> None:
        seen[name] = seen.get(name, 0) + 1
        if crash_at is not None and (name, seen[name]) == crash_at:
            raise Crash(name)

    return Engine(led, broker, account="main", run_date=DAY, quote=_quote, policy=PricePolicy(steps=2, interval_seconds=0),
                  limits_=Limits(), now=lambda: NOW, sleep=lambda _s: None, boundary=boundary)


def _check(led: Ledger) -> None:
    events = led.events("main")
    assert replay(events).free_cash() >= 0                       # every short put fully cash-secured
    assert len({e.key for e in events}) == len(events)           # no fill twice
    for s in lo.orders_of(led, "main"):
        mine = sum(-e.quantity for e in events if e.group == s.client_order_id)
        assert mine == s.filled <= s.quantity                    # the ledger holds exactly what the broker filled


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cash=st.integers(min_value=0, max_value=40_000),
       decisions=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=5),
       script=st.lists(st.tuples(st.sampled_from(["fill", "fill", "reject", "rest"]), st.integers(1, 3)), max_size=20),
       crashes=st.lists(st.tuples(st.sampled_from(["persist", "send", "record"]), st.integers(1, 4)), max_size=3))
def test_no_put_opens_without_its_collateral(cash, decisions, script, crashes):
    with tempfile.TemporaryDirectory() as tmp, Ledger.open(f"sqlite:///{Path(tmp) / 'l.sqlite'}") as led:
        if cash:
            led.append(manual.cash_move("main", datetime(2017, 11, 30, tzinfo=UTC), Kind.DEPOSIT, cash), strict=True,
                       recorded_at=NOW)
        broker = HostileBroker(list(script))
        plans = [*crashes, None]
        for crash_at in plans:   # each pass is a run; all but the last die at a boundary
            eng = _engine(led, broker, crash_at)
            try:
                unsent, working = eng.resume()
                for s in unsent:
                    eng.submit(Intended(s.origin, s.action, s.order), resumed=s)
                for s in working:
                    eng.follow(s, Intended(s.origin, s.action, s.order))
                for it in _intents(decisions):
                    eng.submit(it)
            except Crash:
                pass
            _check(led)
        assert all(s.status.is_terminal for s in lo.orders_of(led, "main"))
