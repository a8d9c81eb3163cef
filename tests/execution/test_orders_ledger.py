"""Orders in the ledger: migrations 0002/0003 over older databases, persist-before-send, fills once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import LedgerError
from putwheel.domain.orders import Intent, Order, OrderStatus, Side
from putwheel.ledger import Effect, Kind, Ledger, manual, option, replay
from putwheel.ledger import orders as lo
from putwheel.ledger.store import migrate

NOW = datetime(2017, 12, 1, 20, tzinfo=UTC)
PUT = OptionContract("AAPL", date(2018, 1, 12), Decimal(162), Right.PUT)


def _order(cid: str = "pw-1", n: int = 1, contract: OptionContract = PUT) -> lo.StoredOrder:
    o = Order(cid, contract, Side.SELL, Intent.OPEN, n, Decimal("1.72"), 0, date(2017, 12, 1))
    return lo.StoredOrder(o, "main", "paper", date(2017, 12, 1), "plan", "sell_put")


def _fund(led: Ledger, amount: str = "20000") -> None:
    led.append(manual.cash_move("main", datetime(2017, 11, 30, tzinfo=UTC), Kind.DEPOSIT, amount), strict=True,
               recorded_at=NOW)


def _at_revision(db_url: str, revision: str) -> sa.Engine:
    """A database the way an older putwheel left it: migrated up to `revision` only."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", "putwheel.ledger:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return engine


def test_migration_0002_upgrades_a_0001_database_keeping_its_events(db_url):
    engine = _at_revision(db_url, "0001")
    led = Ledger(engine, db_url)
    _fund(led)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == "0003"
        assert {"orders", "order_states", "broker_state"} <= set(sa.inspect(conn).get_table_names())
    assert replay(led.events("main")).free_cash() == Decimal(20000)
    engine.dispose()


def test_migration_0003_keeps_open_orders_and_reads_their_floor_as_not_recorded(db_url):
    engine = _at_revision(db_url, "0002")
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO orders (client_order_id, account, broker, run_date, origin, action, reason_code, legs, combo,"
            " quantity, limit_price, collateral, status, filled, broker_order_id, message, created_at, updated_at)"
            " VALUES ('pw-old', 'main', 'paper', '2017-12-01', 'plan', 'sell_put', 0, :legs, 0, 1, 172000000,"
            " 1620000000000, 'accepted', 0, NULL, '', '2017-12-01 20:00:00', '2017-12-01 20:00:00')"),
            {"legs": '[{"underlying": "AAPL", "expiry": "2018-01-12", "strike": "162", "right": "P", "multiplier": 100,'
                     ' "side": "sell", "intent": "open", "quantity": 1, "limit": "1.72"}]'})
    led = Ledger(engine, db_url)
    migrate(engine)
    kept = lo.order(led, "pw-old")
    assert kept is not None and kept.limit == Decimal("1.72") and kept.min_credit is None
    assert lo.free_cash(led, "main") == Decimal(-16200)   # still reserving its collateral
    engine.dispose()


def test_order_persisted_once_and_fills_recorded_once_with_its_state(db_url):
    with Ledger.open(db_url) as led:
        _fund(led)
        assert lo.add_order(led, _order(), now=NOW)
        assert not lo.add_order(led, _order(), now=NOW)       # the same client order id: recognised, not doubled
        assert lo.free_cash(led, "main") == Decimal(20000 - 16200)   # the open order reserves its collateral
        inst = option("AAPL", Right.PUT, Decimal(162), date(2018, 1, 12))
        fill = manual.option_trade("main", NOW, inst, -1, Decimal("1.69"), Decimal("0.65"), effect=Effect.OPEN,
                                   group="pw-1").with_key("paper:id:f1")
        assert lo.record_fills(led, "pw-1", [fill], OrderStatus.FILLED, filled=1, now=NOW) == 1
        assert lo.record_fills(led, "pw-1", [fill], OrderStatus.FILLED, filled=1, now=NOW) == 0
        stored = lo.order(led, "pw-1")
        assert stored is not None and stored.status is OrderStatus.FILLED and stored.reserved == 0
        assert [h[0] for h in lo.history(led, "pw-1")] == [OrderStatus.NEW, OrderStatus.FILLED, OrderStatus.FILLED]
        state = replay(led.events("main"))
        assert state.reserved() == Decimal(16200)
        assert lo.free_cash(led, "main") == Decimal(20000 - 16200) + Decimal("169") - Decimal("0.65")


def test_order_refused_unless_its_collateral_is_free_after_open_orders(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        _fund(led, "30000")
        assert lo.add_order(led, _order("pw-1"), now=NOW)
        with pytest.raises(LedgerError, match="collateral"):
            lo.add_order(led, _order("pw-2"), now=NOW)       # 2 x 16,200 > 30,000
        assert [s.client_order_id for s in lo.orders_of(led, "main")] == ["pw-1"]
        lo.set_status(led, "pw-1", OrderStatus.CANCELLED, filled=0, now=NOW)
        assert lo.add_order(led, _order("pw-2"), now=NOW)    # a cancelled order frees its cash


def test_fill_and_state_written_together_or_not_at_all(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite'}") as led:
        _fund(led, "1000")   # not enough for the put: the strict check refuses the fill and the state with it
        led2 = _order()
        with led.engine.begin() as conn:   # an order stored directly (as if the guard had been bypassed)
            conn.execute(sa.insert(lo.orders).values(**lo._row(led2, NOW)))
        inst = option("AAPL", Right.PUT, Decimal(162), date(2018, 1, 12))
        fill = manual.option_trade("main", NOW, inst, -1, Decimal("1.69"), effect=Effect.OPEN).with_key("paper:id:f9")
        with pytest.raises(LedgerError):
            lo.record_fills(led, "pw-1", [fill], OrderStatus.FILLED, filled=1, now=NOW)
        assert lo.order(led, "pw-1").status is OrderStatus.NEW
        assert len(led.events("main")) == 1
