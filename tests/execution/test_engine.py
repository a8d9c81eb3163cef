"""The order engine and the paper broker: walk to a fill, recognise a re-run, kill -9 at every boundary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from putwheel.domain.contract import Right
from putwheel.domain.orders import ActivityKind, ComboOrder, Intent, Order, OrderStatus, Side
from putwheel.execution import reconcile
from putwheel.execution.brokers.paper import MemoryBookStore, PaperBroker
from putwheel.execution.engine import CRASH_ENV, Intended, client_order_id
from putwheel.ledger import Ledger, replay
from putwheel.ledger import orders as lo
from putwheel.strategy import core

from ._kit import DAY, NOW, PUTS, contract, engine, fund, intents, paper, quote, run_day

D = Decimal
KIT = Path(__file__).with_name("_kit.py")


def _book(led: Ledger) -> dict[str, int]:
    return {p.contract.compact_symbol: p.quantity for p in paper(led).account().positions if p.contract}


def _ledger_book(led: Ledger) -> dict[str, int]:
    return {inst.contract().compact_symbol: p.quantity
            for (_, inst), p in replay(led.events("main")).holdings.items() if inst.is_option}


def test_engine_walks_to_the_bid_and_records_one_fill(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    with Ledger.open(url) as led:
        fund(led, "50000")
    eng = run_day(url)
    assert [f["price"] for f in eng.out.fills] == ["1.60", "0.90", "2.00"]   # mid, then walked to the bid
    with Ledger.open(url) as led:
        cid = intents()[0].order.client_order_id
        assert [h[0] for h in lo.history(led, cid)] == [OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.ACCEPTED,
                                                         OrderStatus.FILLED]
        assert [h[2] for h in lo.history(led, cid)][1:] == [D("1.70"), D("1.65"), D("1.60")]
        assert _book(led) == _ledger_book(led)
    again = run_day(url)   # the same day again: every order recognised, nothing sent
    assert again.out.sent == 0 and not again.out.fills
    assert all(o["recognised"] for o in again.out.orders)


@pytest.mark.parametrize("crash_at", ["persist:1", "send:1", "send:3", "record:1", "record:4", "record:9"])
def test_engine_kill_9_loses_and_doubles_nothing(tmp_path, crash_at):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    with Ledger.open(url) as led:
        fund(led, "50000")
    env = {**os.environ, CRASH_ENV: crash_at, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run([sys.executable, str(KIT), url], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    run_day(url)
    with Ledger.open(url) as led:
        stored = lo.orders_of(led, "main")
        assert sorted(s.client_order_id for s in stored) == sorted(i.order.client_order_id for i in intents())
        assert all(s.status is OrderStatus.FILLED for s in stored)
        trades = [e for e in led.events("main") if e.instrument is not None]
        assert len(trades) == 3 and len({e.key for e in trades}) == 3
        assert _book(led) == _ledger_book(led) == {contract(n).compact_symbol: -1 for n in PUTS}
        assert paper(led).cash == replay(led.events("main")).cash["USD"]   # the paper book and the ledger agree


def test_engine_never_sends_a_put_without_free_collateral(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "30000")   # AAPL 16,200 fits, MSFT 8,000 fits, XSP 25,000 does not
        eng = engine(led, paper(led))
        for it in intents():
            eng.submit(it)
        assert [o["legs"][0]["contract"][:4] for o in eng.out.orders] == ["AAPL", "MSFT"]
        assert any(k == "refused" and "collateral" in t for k, t in eng.out.alerts)
        assert replay(led.events("main")).free_cash() >= 0


def test_engine_cancels_at_the_deadline_when_the_floor_is_above_the_bid(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        eng = engine(led, paper(led))
        it = intents()[1]
        eng.submit(Intended(it.origin, it.action, it.order))
        # a roll whose minimum credit the market does not give: the combo walks to its floor and is cancelled
        old, new = contract("AAPL"), contract("MSFT")
        cid = client_order_id(DAY, "roll")
        legs = (Order(cid, new, Side.BUY, Intent.CLOSE, 1, None, 3, DAY),
                Order(cid, old, Side.SELL, Intent.OPEN, 1, None, 3, DAY))
        eng.submit(Intended("manage", "roll", ComboOrder(cid, legs, D("1"), 3, DAY), D("1.00")))
        assert lo.order(led, cid).status is OrderStatus.CANCELLED
        assert any(k == "unfilled" for k, _ in eng.out.alerts)
        assert lo.order(led, cid).limit >= D("1.00")


def test_paper_broker_reports_assignment_and_expiry_and_the_ledger_records_them(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        eng = engine(led, paper(led))
        for it in intents()[:2]:
            eng.submit(it)
        closes = {"AAPL": D(150), "MSFT": D(90)}   # AAPL below its 162 strike at expiry: assigned; MSFT expires
        later = date(2018, 1, 16)
        broker = PaperBroker(lo_store(led), later, quote, lambda s, d: closes.get(s) if d == date(2018, 1, 12) else None)
        acts = broker.activities(DAY)
        assert {(a.contract.underlying, a.kind) for a in acts} == {("AAPL", ActivityKind.ASSIGNMENT),
                                                                  ("MSFT", ActivityKind.EXPIRATION)}
        events, done, diffs = reconcile.activities(led, "main", "paper", acts)
        assert len(done) == 2 and not diffs
        led.append(events, strict=True, recorded_at=NOW)
        again, _, _ = reconcile.activities(led, "main", "paper", broker.activities(DAY))
        assert again == []   # recorded once
        state = replay(led.events("main"))
        assert state.shares("main", "AAPL") == 100 and state.reserved() == 0
        assert reconcile.positions(led, "main", "paper", broker.account().positions) == []
        assert state.cash["USD"] == broker.cash


def lo_store(led: Ledger):
    from putwheel.execution.brokers.paper import LedgerBookStore

    return LedgerBookStore(led, "main", lambda: NOW)


def test_reconcile_lists_manual_positions_apart_and_adopts_the_brokers(tmp_path):
    from putwheel.ledger import manual, option

    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        inst = option("MSFT", Right.PUT, D(80), date(2018, 1, 12))
        led.append(manual.sell_put("main", NOW, "MSFT", D(80), date(2018, 1, 12), 1, "0.95"), strict=True, recorded_at=NOW)
        store = MemoryBookStore()
        broker = PaperBroker(store, DAY, quote, lambda _s, _d: None, starting_cash=D(50000))
        broker.place(Order("x1", contract("AAPL"), Side.SELL, Intent.OPEN, 1, D("1.60"), 1, DAY))
        diffs = reconcile.positions(led, "main", "paper", broker.account().positions)
        assert [(d.code, d.label) for d in diffs] == [("missing_in_ledger", "AAPL 2018-01-12 162P")]   # MSFT: manual
        led.append(reconcile.adopt_events("main", "paper", diffs, broker.account().positions, DAY), strict=True,
                   recorded_at=NOW)
        assert reconcile.positions(led, "main", "paper", broker.account().positions) == []
        assert replay(led.events("main")).holdings[("main", inst)].quantity == -1


def _roll(day=DAY, min_credit="0.10"):
    old, new = contract("AAPL"), contract("AAPL", D(160), expiry=date(2018, 1, 19))
    cid = client_order_id(day, "roll|AAPL")
    legs = (Order(cid, old, Side.BUY, Intent.CLOSE, 1, None, 3, day),
            Order(cid, new, Side.SELL, Intent.OPEN, 1, None, 3, day))
    return Intended("manage", "roll", ComboOrder(cid, legs, D(min_credit), 3, day), D(min_credit)), old, new


@pytest.mark.parametrize("combo", [True, False])
def test_engine_rolls_as_one_order_or_leg_by_leg_keeping_the_credit(tmp_path, monkeypatch, combo):
    from putwheel.execution.brokers import paper as paper_mod

    it, _old, new = _roll()
    monkeypatch.setitem(_kit_quotes(), new.compact_symbol, (D("2.10"), D("2.30")))   # new leg 2.10/2.30; old 1.60/1.80
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        broker = paper(led)
        eng = engine(led, broker)
        eng.submit(intents()[0])   # short the AAPL 162 put first
        broker.supports_combo = combo
        eng.submit(it)
        held = _ledger_book(led)
        assert held == {new.compact_symbol: -1}
        rolled = [e for e in led.events("main") if e.group and e.group.startswith(it.order.client_order_id)]
        credit = (sum(e.cash for e in rolled) + sum(e.fees for e in rolled)) / 100   # per share, before fees
        assert credit >= D("0.10")   # natural credit 2.10 - 1.80 = 0.30, never below the minimum
        assert len(lo.orders_of(led, "main")) == (2 if combo else 3)
    assert paper_mod.PaperBroker.supports_combo is True


def _kit_quotes():
    from . import _kit

    return _kit.QUOTES


def test_engine_missing_quote_is_an_alert_and_nothing_is_persisted(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        eng = engine(led, paper(led))
        c = contract("AAPL", D(150))   # not quoted
        eng.submit(Intended("plan", "sell_put", Order("pw-x", c, Side.SELL, Intent.OPEN, 1, None, 1, DAY)))
        assert [k for k, _ in eng.out.alerts] == ["missing_data"] and lo.orders_of(led, "main") == []


@pytest.mark.parametrize(("limits", "sent"), [
    ({"max_orders_per_run": 1}, 1),
    ({"max_order_notional": D(20000)}, 2),          # XSP's 25,000 collateral is above the cap
    ({"max_collateral_pct": D("0.5")}, 2),          # 16,200 + 8,000 fit in half of 50,000; + 25,000 does not
])
def test_engine_caps_refuse_in_a_line(tmp_path, limits, sent):
    from putwheel.execution.engine import Limits

    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        eng = engine(led, paper(led))
        eng.limits = Limits(**limits)
        for it in intents():
            eng.submit(it)
        assert eng.out.sent == sent == len(lo.orders_of(led, "main"))
        assert [k for k, _ in eng.out.alerts].count("refused") == 3 - sent


def test_engine_on_postgresql(pg_schema_url):
    with Ledger.open(pg_schema_url) as led:
        fund(led, "50000")
    eng = run_day(pg_schema_url)
    assert len(eng.out.fills) == 3
    again = run_day(pg_schema_url)
    assert again.out.sent == 0
    with Ledger.open(pg_schema_url) as led:
        assert _book(led) == _ledger_book(led)


def test_engine_leg_by_leg_new_leg_never_below_the_credit_floor(tmp_path, monkeypatch):
    it, _old, new = _roll()
    monkeypatch.setitem(_kit_quotes(), new.compact_symbol, (D("1.70"), D("1.95")))   # close costs 1.80: floor 1.90
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "50000")
        broker = paper(led)
        eng = engine(led, broker)
        eng.submit(intents()[0])
        broker.supports_combo = False
        eng.submit(it)
        opened = lo.order(led, it.order.client_order_id + "o")
        assert opened.status is OrderStatus.CANCELLED and opened.limit >= D("1.90")
        assert {k for k, _ in eng.out.alerts} >= {"unfilled", "roll_failed"}
        assert _ledger_book(led) == {}   # the old leg is closed, nothing sold below the floor


def test_engine_a_plan_is_persisted_together_within_the_free_cash(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        fund(led, "30000")   # AAPL 16,200 + MSFT 8,000 fit together; XSP's 25,000 does not fit after them
        eng = engine(led, paper(led))
        eng.submit_all(intents())
        assert sorted(s.order.contract.underlying for s in lo.orders_of(led, "main")) == ["AAPL", "MSFT"]
        assert [k for k, _ in eng.out.alerts] == ["refused"]
        assert replay(led.events("main")).free_cash() == D(30000 - 24200) + D(160 + 90) - D("1.30")


class _Unreachable:
    """A broker whose `place` times out after the request may have left: the adapters' BrokerError."""

    def __init__(self, inner: PaperBroker) -> None:
        self.inner, self.name, self.supports_combo = inner, inner.name, inner.supports_combo

    def __getattr__(self, attr: str) -> object:
        return getattr(self.inner, attr)

    def place(self, order: object) -> object:
        from putwheel.execution.brokers.errors import BrokerError
        raise BrokerError("timed out waiting for the broker", where="test broker")


def test_a_broker_timeout_keeps_the_order_reserved_and_the_next_run_sends_it_once(tmp_path):
    from putwheel.execution.brokers.errors import BrokerError

    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    with Ledger.open(url) as led:
        fund(led, "50000")
        eng = engine(led, _Unreachable(paper(led)))
        with pytest.raises(BrokerError):
            eng.submit_all(intents())
        assert ("broker_unreachable" in [a for a, _ in eng.out.alerts])
        stored = lo.orders_of(led, "main", open_only=True)
        assert stored and all(s.status is OrderStatus.NEW for s in stored)   # not rejected: its cash stays reserved
        assert lo.open_reserved(led, "main") == sum(i.order.collateral() for i in intents())
    run_day(url)   # the broker is back: each order is asked for by client order id, sent once, filled once
    with Ledger.open(url) as led:
        assert all(s.status is OrderStatus.FILLED for s in lo.orders_of(led, "main"))
        trades = [e for e in led.events("main") if e.instrument is not None]
        assert len(trades) == len(intents()) == len({e.key for e in trades})


@pytest.mark.parametrize(("slippage", "fills"), [(D(1), ["1.60", "0.90", "2.00"]),    # natural: walked to the bid
                                                 (D("0.5"), ["1.65", "0.92", "2.05"])])  # halfway: the walk's step 2
def test_paper_fills_with_the_backtests_fill_rule(tmp_path, slippage, fills):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    with Ledger.open(url) as led:
        fund(led, "50000")
        broker = paper(led)
        broker.slippage = slippage
        eng = engine(led, broker)
        for s in intents():
            eng.submit(s)
        assert [f["price"] for f in eng.out.fills] == fills
        # the same rule as the backtest's SimulatedBroker, rounded to the cent against the seller
        assert core.fill_at(True, 0.90, 1.00, 0.5, None) == pytest.approx(0.925)
        assert core.fill_at(True, 0.90, 1.00, 0.5, 0.93) is None   # a limit above it rests


def test_a_resumed_roll_walks_to_the_credit_floor_it_was_decided_with(tmp_path, monkeypatch):
    from putwheel.api import run as run_api

    it, _old, new = _roll(min_credit="0.40")   # natural credit 2.10 - 1.80 = 0.30: below the floor, never sent there
    monkeypatch.setitem(_kit_quotes(), new.compact_symbol, (D("2.10"), D("2.30")))

    class Crash(Exception):
        pass

    def crash(at: str) -> None:
        if at == "persist":
            raise Crash

    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    with Ledger.open(url) as led:
        fund(led, "50000")
        broker = paper(led)
        engine(led, broker).submit(intents()[0])   # short the AAPL 162 put first
        with pytest.raises(Crash):
            engine(led, broker, boundary=crash).submit_all([it])   # persisted, then the process dies
        assert lo.order(led, it.order.client_order_id).min_credit == D("0.40")
    with Ledger.open(url) as led:
        eng = engine(led, paper(led))
        run_api._resume(eng, D("0"))   # today's config says 0: the roll keeps the 0.40 it was decided with
        walked = [h[2] for h in lo.history(led, it.order.client_order_id) if h[2] is not None]
        assert walked and min(walked) >= D("0.40")
        assert not any(e.group == it.order.client_order_id for e in led.events("main"))   # not filled below it
