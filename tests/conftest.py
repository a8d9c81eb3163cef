"""Shared test fixtures: the real-data folder (skip without it, fail under PUTWHEEL_REQUIRE_SHARED=1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from putwheel.data.shared import ENV_VAR, shared_root

REQUIRE_FLAG = "PUTWHEEL_REQUIRE_SHARED"
PG_ENV = "PUTWHEEL_TEST_PG_URL"
REQUIRE_PG = "PUTWHEEL_REQUIRE_PG"


def _shared_or_skip() -> Path:
    root = shared_root()
    if root is None:
        reason = (
            f"real data folder not found: set {ENV_VAR} or place 'shared/' beside the checkout "
            "(tests that need real market history cannot run without it)"
        )
        if os.environ.get(REQUIRE_FLAG) == "1":
            pytest.fail(f"{reason}; {REQUIRE_FLAG}=1 turns this skip into a failure")
        pytest.skip(reason)
    return root


@pytest.fixture(scope="session")
def shared() -> Path:
    """Root of ../shared (data/, fixtures/, seed/)."""
    return _shared_or_skip()


@pytest.fixture(scope="session")
def shared_data(shared: Path) -> Path:
    return shared / "data"


@pytest.fixture(scope="session")
def fixtures_dir(shared: Path) -> Path:
    return shared / "fixtures"


# ---- PostgreSQL: the ledger and execution tests on a real server (a fresh schema per test); skipped without
# PUTWHEEL_TEST_PG_URL (`.ci/postgres.sh` prints it), failed instead under PUTWHEEL_REQUIRE_PG=1 (CI).


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
    import sqlalchemy as sa

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
def pg_base_url() -> str:
    """The test server's URL itself (no private schema): for tests of how a URL and its password are resolved."""
    return pg_url_or_skip()
