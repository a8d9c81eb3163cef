"""Crash safety: SIGKILL an import mid-transaction, reopen: all or nothing; re-running converges.

The large input is the real x3569 export's rows repeated (in tmp_path, never in the repo); identical rows get
distinct keys by occurrence, so every copy is a distinct event and the import is one big transaction.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

import putwheel
from putwheel.api import ledger as api
from putwheel.ledger.store import _LOCK_ID, Ledger

COPIES = 200
WAIT_LIMIT_S = 180  # a fail-safe against hanging, not a timing assertion


def _big_export(src: Path, dst: Path) -> int:
    header, *rows = src.read_text(encoding="utf-8").splitlines()
    dst.write_text("\n".join([header, *(rows * COPIES)]) + "\n", encoding="utf-8")
    return len(rows) * COPIES


def _in_transaction(app_name: str, db_file: Path | None, probe: sa.Engine | None) -> bool:
    if db_file is not None:  # SQLite (WAL): a write transaction is open while nobody else can take the write lock
        conn = sqlite3.connect(db_file, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    assert probe is not None
    with probe.connect() as conn:
        q = sa.text("SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                    "WHERE l.locktype = 'advisory' AND l.objid = :k AND a.application_name = :app "
                    "AND a.query ILIKE 'INSERT INTO events%'")
        return bool(conn.execute(q, {"k": _LOCK_ID, "app": app_name}).scalar_one())


@pytest.mark.shared
@pytest.mark.slow
def test_crash_sigkill_during_import_is_all_or_nothing_and_rerun_converges(db_url, fixtures_dir, tmp_path):
    src = fixtures_dir / "broker_exports" / "tastyworks_transactions_x3569_2021-11-01_2021-12-31.csv"
    big = tmp_path / "big.csv"
    n = _big_export(src, big)
    Ledger.open(db_url).close()  # migrate first, so the only write in the child is the import
    db_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None
    probe = None if db_file else sa.create_engine(db_url.split("?")[0])
    code = ("import sys; from putwheel.api import ledger as api; "
            "api.import_tastytrade(sys.argv[1], account='crash', db=sys.argv[2])")
    app_name = f"putwheel-crash-{uuid.uuid4().hex[:8]}"  # other test runs may share the server: watch only ours
    child_url = db_url if db_file else f"{db_url}&application_name={app_name}"
    env = {**os.environ, "PYTHONPATH": str(Path(putwheel.__file__).resolve().parents[1])}  # the code under test
    child = subprocess.Popen([sys.executable, "-c", code, str(big), child_url], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not _in_transaction(app_name, db_file, probe):
        assert child.poll() is None, f"import ended before it could be killed: {child.stderr.read().decode()[-500:]}"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    if probe is not None:
        probe.dispose()

    with Ledger.open(db_url) as led:  # reopening recovers (SQLite ignores the uncommitted WAL frames)
        stored = led.count()
        with led.engine.connect() as conn:
            batches = conn.exec_driver_sql("SELECT count(*) FROM batches").scalar_one()
    print(f"after SIGKILL: {stored} of {n} events stored")
    assert stored in (0, n), f"half an import survived the crash: {stored} of {n}"
    assert (stored, batches) in ((0, 0), (n, 1))

    first = api.import_tastytrade(big, account="crash", db=db_url)
    again = api.import_tastytrade(big, account="crash", db=db_url)
    assert first.added == n - stored and again.added == 0
    assert Ledger.open(db_url).count() == n
    whole = api.import_tastytrade(src, account="fresh", db=db_url)
    assert first.cash["crash"]["USD"] == whole.cash["fresh"]["USD"] * COPIES  # converged to the full import
