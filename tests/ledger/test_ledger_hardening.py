"""Store hardening: masked URLs, passwords from outside the URL, readers that never wait for a writer, limits.

PostgreSQL cases run when PUTWHEEL_TEST_PG_URL is set (see conftest.py), else they skip.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from putwheel.api import ledger as api
from putwheel.domain.errors import DataError, InputError, LedgerError
from putwheel.ledger.events import MAX_AMOUNT, Kind, LedgerEvent
from putwheel.ledger.store import ENV_PASSWORD, Ledger, mask_url, resolve_url

RECORDED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("url", "masked"), [
    ("postgresql://bob:s3cret@db.example:5432/pw", "postgresql://bob:***@db.example:5432/pw"),
    ("postgresql://bob:p@ss@word@db/pw", "postgresql://bob:***@db/pw"),  # '@' in the password: nothing leaks
    ("postgresql://bob:a/b:c@db/pw?sslmode=require", "postgresql://bob:***@db/pw?sslmode=require"),
    ("postgresql://bob@db/pw", "postgresql://bob@db/pw"),  # no password, nothing to hide
    ("sqlite:////home/me/ledger.sqlite", "sqlite:////home/me/ledger.sqlite"),
])
def test_store_mask_url(url, masked):
    assert mask_url(url) == masked


def test_store_empty_db_is_an_input_error_and_empty_env_is_unset():
    with pytest.raises(InputError, match="--db is empty"):
        resolve_url("")
    assert resolve_url(None, {"PUTWHEEL_DB": ""}).endswith("ledger.sqlite")


def test_store_reader_never_waits_for_a_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    api.trade_deposit("1000", on=datetime(2024, 1, 2, tzinfo=UTC), db=url)
    writer = sqlite3.connect(tmp_path / "l.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a concurrent import holding the write lock, mid-transaction
    writer.execute("INSERT INTO batches (source, origin, rows, added, recorded_at) VALUES ('x', 'x', 0, 0, '2024-01-03')")
    try:
        rep = api.positions(db=url)  # with BEGIN IMMEDIATE on reads this waited 30 s and failed "database is locked"
        assert rep.cash == {"main": {"USD": Decimal(1000)}}
        assert [r.cycle_id for r in api.cycles(db=url)] == []
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert sqlite3.connect(tmp_path / "l.sqlite").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_amount_limit_round_trips_at_the_edge(ledger):
    edge = MAX_AMOUNT - Decimal("1e-8")
    ev = LedgerEvent("main", RECORDED, Kind.DEPOSIT, edge)
    ledger.append([ev], strict=True, recorded_at=RECORDED)
    assert ledger.events("main")[0].cash == edge
    with pytest.raises(InputError, match="limit of 10,000,000,000"):
        LedgerEvent("main", RECORDED, Kind.DEPOSIT, MAX_AMOUNT)


def test_store_lengths_checked_before_the_database(db_url, tmp_path):
    """On PostgreSQL a 4-letter currency or a 17-letter symbol was a StringDataRightTruncation traceback."""
    header = ("Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,"
              "Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,Currency")
    rows = ["2024-01-03T14:00:00+0000,Money Movement,Deposit,,,,Wire,100.00,0,,--,0.00,,,,,,,,100.00,USDX",
            "2024-01-03T15:00:00+0000,Trade,Buy to Open,BUY_TO_OPEN,ABCDEFGHIJKLMNOPQ,Equity,Bought,-100.00,1,100,0,0,,,,,,,,"
            "-100.00,USD"]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        api.import_tastytrade(path, db=db_url)
    assert "3-letter ISO" in str(err.value) and "not a ticker symbol" in str(err.value)


def _without_password(url: str) -> tuple[str, str]:
    scheme, rest = url.split("://", 1)
    userinfo, host = rest.rsplit("@", 1)
    user, password = userinfo.split(":", 1)
    return f"{scheme}://{user}@{host}", password


@pytest.fixture
def no_libpq_password(monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none.pgpass"))


def test_store_password_from_env_var(no_libpq_password, pg_base_url):
    # The test server trusts loopback logins, so what is checked is that the password reaches the connection.
    bare, password = _without_password(pg_base_url)
    with Ledger.open(bare, env={ENV_PASSWORD: password}) as led:
        assert led.engine.url.password == password and led.count() >= 0


def test_store_password_from_pgpass(no_libpq_password, monkeypatch, tmp_path, pg_base_url):
    bare, password = _without_password(pg_base_url)
    from sqlalchemy import make_url

    u = make_url(bare)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{u.host}:{u.port or 5432}:{u.database}:{u.username}:{password}\n", encoding="utf-8")
    pgpass.chmod(stat.S_IRUSR | stat.S_IWUSR)  # libpq ignores a .pgpass others can read
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with Ledger.open(bare, env={}) as led:  # nothing injected: libpq reads $PGPASSFILE / ~/.pgpass itself
        assert led.engine.url.password is None and led.count() >= 0


def test_store_password_from_keyring(no_libpq_password, monkeypatch, pg_base_url):
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    bare, password = _without_password(pg_base_url)
    from sqlalchemy import make_url

    u = make_url(bare)

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return password if (service, username) == ("putwheel", f"{u.username}@{u.host}") else None

        def set_password(self, service: str, username: str, secret: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        with Ledger.open(bare, env={}) as led:
            assert led.engine.url.password == password and led.count() >= 0
    finally:
        keyring.set_keyring(previous)


def test_store_read_command_on_missing_file_creates_nothing(tmp_path):
    missing = tmp_path / "a" / "b.sqlite"
    with pytest.raises(LedgerError, match="no ledger at"):
        api.positions(db=str(missing))
    assert not (tmp_path / "a").exists()
    assert not Path(str(missing) + "-wal").exists()


def test_store_head_check_agrees_with_alembic():
    """Opening reads the shipped revisions as text (Alembic is not imported unless a migration must run)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from putwheel.ledger.store import _shipped_revisions

    cfg = Config()
    cfg.set_main_option("script_location", "putwheel.ledger:migrations")
    script = ScriptDirectory.from_config(cfg)
    shipped = _shipped_revisions()
    assert shipped == ({r.revision for r in script.walk_revisions()}, set(script.get_heads()))


def test_store_opening_a_current_ledger_does_not_import_alembic(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    Ledger.open(url).close()
    code = f"import sys; from putwheel.api import ledger as api; api.positions(db={url!r}); print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}).stdout
    assert out.strip() == "False"
