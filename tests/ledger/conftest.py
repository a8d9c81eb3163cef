"""Ledger fixtures: the same tests on SQLite and on a real PostgreSQL (a fresh schema per test).

PostgreSQL runs when PUTWHEEL_TEST_PG_URL is set (`.ci/postgres.sh` prints it); without it those cases skip,
and under PUTWHEEL_REQUIRE_PG=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from putwheel.ledger.store import Ledger

PG_ENV = "PUTWHEEL_TEST_PG_URL"
REQUIRE_PG = "PUTWHEEL_REQUIRE_PG"
RECORDED = datetime(2026, 1, 1, tzinfo=UTC)


def pg_url_or_skip() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        reason = f"{PG_ENV} is not set (run `eval \"$(bash .ci/postgres.sh)\"` for a loopback PostgreSQL)"
        if os.environ.get(REQUIRE_PG) == "1":
            pytest.fail(f"{reason}; {REQUIRE_PG}=1 turns this skip into a failure")
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, private schema (dropped afterwards)."""
    base = pg_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    led = Ledger.open(db_url)
    yield led
    led.close()
