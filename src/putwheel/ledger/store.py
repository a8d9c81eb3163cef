"""The ledger database: open (and migrate), read events, append events atomically with the write-time checks.

Stages of `Ledger.append`: one transaction -> take the write lock -> drop events whose idempotency key is already
stored -> (imports) drop events already stored by economic content (`dedupe`) -> (strict) replay the account with
the new events and validate them -> insert the batch and its events. Any error rolls the whole transaction back,
so a refused or interrupted write changes nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from putwheel.domain.contract import Right
from putwheel.domain.errors import LedgerError
from putwheel.ledger.dedupe import split_present
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent
from putwheel.ledger.replay import State, later_shortfall, replay
from putwheel.ledger.schema import batches, events

ENV_DB = "PUTWHEEL_DB"
_LOCK_ID = 0x5075_7457  # "PutW": the advisory lock that serializes ledger writers on PostgreSQL
_CHUNK = 500


def default_url() -> str:
    """A SQLite file in the user's data directory (created on first use)."""
    path = Path(platformdirs.user_data_dir("putwheel", appauthor=False)) / "ledger.sqlite"
    return f"sqlite:///{path}"


def resolve_url(url: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Explicit argument, else `$PUTWHEEL_DB`, else the default file. A bare path means a SQLite file."""
    env = os.environ if env is None else env
    chosen = url or env.get(ENV_DB) or default_url()
    if "://" not in chosen:
        chosen = f"sqlite:///{Path(chosen).expanduser()}"
    return chosen


@dataclass(frozen=True, slots=True)
class AppendResult:
    added: int
    skipped: int  # already stored: same idempotency key, or (imports) the same transaction by content
    batch: int | None
    keys: tuple[str, ...] = field(default=())
    by_content: int = 0  # of `skipped`, recognised by economic content (another export of the same history)


def _sqlite_hooks(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN; take the write lock up front instead (BEGIN IMMEDIATE),
    # so a check-then-insert cannot interleave with another writer.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout = 30000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ValueError, OSError, ImportError) as exc:
        raise LedgerError(f"cannot open ledger database {url!r}: {exc}", hint=f"pass --db URL or set {ENV_DB}") from exc
    if engine.dialect.name == "sqlite":
        _sqlite_hooks(engine)
    return engine


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration shipped with the package."""
    cfg = Config()
    cfg.set_main_option("script_location", "putwheel.ledger:migrations")
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two processes opening a new database must not both create it
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID + 1})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Ledger:
    """A migrated ledger database. Reads return `LedgerEvent`s; `append` is the only write."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> Ledger:
        resolved = resolve_url(url)
        engine = _make_engine(resolved)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise LedgerError(f"cannot open ledger database {_safe(resolved)}: {exc.__class__.__name__}: {exc}",
                              hint=f"check the URL (--db or {ENV_DB}) and that the server is running") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------------------------
    def events(self, account: str | None = None) -> list[LedgerEvent]:
        with self.engine.connect() as conn:
            return _read(conn, None if account is None else [account])

    def accounts(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(events.c.account).distinct().order_by(events.c.account))]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    # -- the one write ----------------------------------------------------------------------------------
    def append(self, new: Sequence[LedgerEvent], *, strict: bool, origin: str = "manual", source: str = "manual",
               recorded_at: datetime, sha256: str | None = None) -> AppendResult:
        """Store `new` in one transaction; already-stored keys are skipped; `strict` enforces the discipline."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
            fresh = _fresh(conn, new)
            by_content = 0
            if not strict and fresh:  # an import: the same transactions may be stored from another export format
                fresh, present = split_present(fresh, _read(conn, sorted({e.account for e in fresh})))
                by_content = len(present)
            if strict and fresh:
                _check(conn, fresh)
            pk = conn.execute(insert(batches).values(
                source=source, origin=origin, sha256=sha256, rows=len(new), added=len(fresh), recorded_at=recorded_at,
            )).inserted_primary_key
            assert pk is not None
            batch_id = int(pk[0])
            rows = [_row(e, batch_id) for e in fresh]
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert(events), rows[i:i + _CHUNK])
        return AppendResult(len(fresh), len(new) - len(fresh), int(batch_id), tuple(e.key for e in fresh), by_content)


def _safe(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _fresh(conn: Connection, new: Sequence[LedgerEvent]) -> list[LedgerEvent]:
    keys = [e.key for e in new]
    stored: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i:i + _CHUNK]
        stored.update(r[0] for r in conn.execute(select(events.c.key).where(events.c.key.in_(chunk))))
    seen: set[str] = set()
    out = []
    for e in new:
        if e.key in stored or e.key in seen:
            continue
        seen.add(e.key)
        out.append(e)
    return out


def _check(conn: Connection, fresh: list[LedgerEvent]) -> State:
    accounts = sorted({e.account for e in fresh})
    stored = _read(conn, accounts)
    new_keys = {e.key for e in fresh}
    first_new = min(e.ts for e in fresh)
    # New events are checked, and so are later manual events a back-dated insert could now invalidate.
    state = State()
    for acct in accounts:
        theirs = [e for e in stored if e.account == acct]
        mine = theirs + [e for e in fresh if e.account == acct]
        state = replay(mine, check=lambda e: e.key in new_keys or (e.source == "manual" and e.ts >= first_new))
        later_shortfall(theirs, mine, new_keys, first_new)  # imported later events count too
    return state


def _row(e: LedgerEvent, batch_id: int) -> dict[str, Any]:
    inst = e.instrument
    return {
        "key": e.key, "account": e.account, "ts": e.ts, "kind": e.kind.value,
        "underlying": inst.underlying if inst else None, "right": inst.right.value if inst and inst.right else None,
        "strike": inst.strike if inst else None, "expiry": inst.expiry if inst else None,
        "multiplier": inst.multiplier if inst else 1, "quantity": e.quantity, "price": e.price, "fees": e.fees,
        "cash": e.cash, "currency": e.currency, "effect": e.effect.value if e.effect else None, "grp": e.group,
        "source": e.source, "note": e.note, "batch": batch_id,
    }


def _read(conn: Connection, accounts: Iterable[str] | None) -> list[LedgerEvent]:
    q = select(events).order_by(events.c.ts, events.c.seq)
    if accounts is not None:
        q = q.where(events.c.account.in_(list(accounts)))
    out = []
    for r in conn.execute(q).mappings():
        inst = None
        if r["underlying"] is not None:
            inst = Instrument(r["underlying"], Right(r["right"]) if r["right"] else None, r["strike"], r["expiry"],
                              r["multiplier"])
        out.append(LedgerEvent(
            account=r["account"], ts=r["ts"], kind=Kind(r["kind"]), cash=r["cash"], instrument=inst,
            quantity=int(r["quantity"]), price=r["price"], fees=r["fees"], currency=r["currency"],
            effect=Effect(r["effect"]) if r["effect"] else None, group=r["grp"], source=r["source"], note=r["note"],
            key=r["key"],
        ))
    return out


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["ENV_DB", "AppendResult", "Ledger", "default_url", "file_sha256", "migrate", "resolve_url"]
