"""The database layer on SQLite and PostgreSQL: migrations, idempotency, atomic refused writes, exact money."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from putwheel.domain.errors import InputError, LedgerError
from putwheel.ledger import manual
from putwheel.ledger.events import Kind, option
from putwheel.ledger.replay import replay
from putwheel.ledger.store import ENV_DB, Ledger, resolve_url

RECORDED = datetime(2026, 1, 1, tzinfo=UTC)
T0 = datetime(2024, 1, 2, 15, 30, tzinfo=UTC)
EXP = date(2024, 2, 16)


def _deposit(led: Ledger, amount: str, acct: str = "main") -> None:
    led.append(manual.cash_move(acct, T0, Kind.DEPOSIT, amount), strict=True, recorded_at=RECORDED)


def test_store_migrates_an_empty_database_to_head(db_url):
    led = Ledger.open(db_url)
    with led.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
    led.close()
    assert {"events", "batches", "alembic_version"} <= names
    assert version == "0003"
    Ledger.open(db_url).close()  # re-opening an up-to-date database is a no-op


def test_store_round_trips_events_exactly(ledger):
    _deposit(ledger, "10000.00")
    ledger.append(manual.sell_put("main", T0, "xyz", "12.5", EXP, 2, "0.37", "2.264"), strict=True, recorded_at=RECORDED)
    evs = ledger.events()
    assert [e.kind for e in evs] == [Kind.DEPOSIT, Kind.TRADE]
    sp = evs[1]
    assert sp.cash == Decimal("71.736")  # 2 x 0.37 x 100 - 2.264, no float on the way
    assert sp.instrument == option("XYZ", "P", Decimal("12.5"), EXP)
    assert sp.ts == T0 and sp.ts.tzinfo is not None
    assert replay(evs).cash["USD"] == Decimal("10071.736")


def test_store_reimport_of_same_events_adds_nothing(ledger):
    _deposit(ledger, "5000")
    again = ledger.append(manual.cash_move("main", T0, Kind.DEPOSIT, "5000"), strict=True, recorded_at=RECORDED)
    assert (again.added, again.skipped) == (0, 1)
    assert ledger.count() == 1


def test_store_refuses_put_without_collateral_and_changes_nothing(ledger):
    _deposit(ledger, "1949.99")  # + 50 premium = 1,999.99 < 2,000 (the credit counts, as at brokers)
    before = ledger.events()
    with pytest.raises(LedgerError, match=r"free cash would be .*reserved as collateral"):
        ledger.append(manual.sell_put("main", T0, "XYZ", "20", EXP, 1, "0.50"), strict=True, recorded_at=RECORDED)
    assert ledger.events() == before
    with ledger.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM batches").scalar_one() == 1


def test_store_refuses_uncovered_call_and_partial_roll_atomically(ledger):
    _deposit(ledger, "2000")
    with pytest.raises(LedgerError, match="need 100 shares, only 0 held"):
        ledger.append(manual.sell_call("main", T0, "XYZ", "25", EXP, 1, "0.40"), strict=True, recorded_at=RECORDED)
    ledger.append(manual.sell_put("main", T0, "XYZ", "20", EXP, 1, "0.50"), strict=True, recorded_at=RECORDED)
    old = option("XYZ", "P", Decimal(20), EXP)
    new = option("XYZ", "P", Decimal(21), date(2024, 3, 15))
    n = ledger.count()
    # The close leg alone is valid; the open leg needs 2,100 of collateral; cash would be 2,095: all or nothing.
    with pytest.raises(LedgerError, match="free cash"):
        ledger.append(manual.roll("main", T0, old, new, 1, "0.10", "0.55"), strict=True, recorded_at=RECORDED)
    assert ledger.count() == n


def test_store_lenient_append_records_what_the_broker_says(ledger):
    evs = manual.sell_put("broker", T0, "XYZ", "20", EXP, 1, "0.50")
    res = ledger.append(evs, strict=False, origin="file.csv", source="manual", recorded_at=RECORDED)
    assert res.added == 1
    assert replay(ledger.events("broker")).free_cash() == Decimal("-1950")


def test_store_rejects_more_than_eight_decimals(ledger):
    with pytest.raises(InputError, match="more than 8 decimals"):
        ledger.append(manual.cash_move("main", T0, Kind.FEE, "-0.000000001"), strict=False, recorded_at=RECORDED)
    assert ledger.count() == 0


def test_store_bad_url_is_a_ledger_error():
    with pytest.raises(LedgerError, match="cannot open ledger database"):
        Ledger.open("postgresql+psycopg2://nobody:x@127.0.0.1:1/none?connect_timeout=1")


def test_store_missing_driver_names_it_and_the_install(monkeypatch):
    # pg8000 is not installed: the error names the driver and how to get one, and never the password.
    with pytest.raises(LedgerError) as err:
        Ledger.open("postgresql+pg8000://bob:s3cret@127.0.0.1:1/none")
    text = f"{err.value} {err.value.hint}"
    assert "its driver pg8000 is not installed" in text and "pip install 'putwheel[postgres]'" in text
    assert "s3cret" not in text and "bob:***@" in text


def test_store_plain_postgresql_url_opens_with_the_default_driver(pg_schema_url):
    # What a user types, postgresql://user:pw@host/db, is SQLAlchemy 2.1's psycopg (3) driver; CI's URLs name
    # psycopg2. Both must hold the same ledger.
    plain = pg_schema_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    assert plain.startswith("postgresql://")
    led = Ledger.open(plain)
    assert led.engine.dialect.driver == "psycopg"
    _deposit(led, "2500.25")
    led.close()
    other = Ledger.open(pg_schema_url)
    assert other.engine.dialect.driver == "psycopg2"
    assert replay(other.events()).cash["USD"] == Decimal("2500.25")
    other.close()


@pytest.mark.parametrize(("arg", "env", "expected_prefix"), [
    ("sqlite:///x.db", {}, "sqlite:///x.db"),
    (None, {ENV_DB: "postgresql://h/db"}, "postgresql://h/db"),
    ("/tmp/some/ledger.sqlite", {ENV_DB: "postgresql://h/db"}, "sqlite:////tmp/some/ledger.sqlite"),
    (None, {}, "sqlite:///"),
])
def test_store_resolve_url_prefers_argument_then_env_then_user_data_dir(arg, env, expected_prefix):
    url = resolve_url(arg, env)
    assert url.startswith(expected_prefix)
    if arg is None and not env:
        assert url.endswith("ledger.sqlite") and "putwheel" in url


def test_store_concurrent_writers_cannot_both_spend_the_same_cash(db_url):
    """Two processes' worth of writers race for one collateral: the write lock lets exactly one through."""
    setup = Ledger.open(db_url)
    _deposit(setup, "2000")
    setup.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def writer(strike_expiry: date) -> None:
        led = Ledger.open(db_url)  # its own engine and connection, as another process would have
        barrier.wait()
        try:
            led.append(manual.sell_put("main", T0, "XYZ", "20", strike_expiry, 1, "0"), strict=True, recorded_at=RECORDED)
            outcomes.append("ok")
        except LedgerError:
            outcomes.append("refused")
        finally:
            led.close()

    threads = [threading.Thread(target=writer, args=(d,)) for d in (EXP, date(2024, 3, 15))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    final = Ledger.open(db_url)
    assert replay(final.events()).reserved() == Decimal(2000)
    final.close()
