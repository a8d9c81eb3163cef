"""Ledger fixtures: the same tests on SQLite and on a real PostgreSQL (a fresh schema per test).

PostgreSQL runs when PUTWHEEL_TEST_PG_URL is set (`.ci/postgres.sh` prints it); without it those cases skip,
and under PUTWHEEL_REQUIRE_PG=1 (CI) they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from putwheel.ledger.store import Ledger

PG_ENV = "PUTWHEEL_TEST_PG_URL"
REQUIRE_PG = "PUTWHEEL_REQUIRE_PG"
RECORDED = datetime(2026, 1, 1, tzinfo=UTC)




@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    led = Ledger.open(db_url)
    yield led
    led.close()
