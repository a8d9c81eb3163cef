"""The ledger database: open (and migrate), read events, append events atomically with the write-time checks.

Stages of `Ledger.append`: one transaction -> take the write lock -> drop events whose idempotency key is already
stored -> (imports) match the rest with the stored events by economic content (`dedupe`): a match is skipped, or,
when this file's format outranks the stored copy's, stored with a marker that supersedes the old copy -> (strict)
replay the account with the new events and validate them -> insert the batch and its events. Any error rolls the
whole transaction back, so a refused or interrupted write changes nothing.

SQLite runs in WAL mode: only writes take the write lock (BEGIN IMMEDIATE); reads are deferred transactions on a
snapshot, so `positions` never waits for an import. Opening for reading never creates a file or a folder. Which
database, its password and how a URL is printed (masked) live in `ledger/urls.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from putwheel.domain.contract import Right
from putwheel.domain.errors import LedgerError
from putwheel.ledger.dedupe import MANUAL_RANK, effective, rank, split_present
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent
from putwheel.ledger.replay import State, later_shortfall, replay
from putwheel.ledger.schema import batches, events
from putwheel.ledger.urls import (
    ENV_DB,
    ENV_PASSWORD,
    default_url,
    driver_message,
    mask_url,
    resolve_url,
    sqlite_path,
    with_password,
)

_WRITE = "putwheel_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
_LOCK_ID = 0x5075_7457  # "PutW": the advisory lock that serializes ledger writers on PostgreSQL
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AppendResult:
    added: int
    skipped: int  # already stored and kept: same idempotency key, or (imports) the same transaction by content
    batch: int | None
    keys: tuple[str, ...] = field(default=())
    by_content: int = 0  # of `skipped`, recognised by economic content (another export of the same history)
    replaced: int = 0  # already stored from a lower-ranked export: this batch's copy supersedes it (not in `added`)
    replaced_formats: tuple[str, ...] = ()  # the formats whose copies were replaced


def _sqlite_hooks(engine: Engine) -> None:
    # Writes take the write lock up front (BEGIN IMMEDIATE) so a check-then-insert cannot interleave with another
    # writer; reads are plain deferred transactions, which under WAL read a snapshot and never wait for a writer.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout = 30000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _driver_hint(url: str) -> str:
    if url.startswith("postgresql"):
        return ("pip install 'putwheel[postgres]' (psycopg 3, what postgresql:// uses), or name an installed driver "
                "in the URL: postgresql+psycopg2://...")
    return "install the database's SQLAlchemy driver, or name an installed one in the URL (dialect+driver://...)"


def _make_engine(url: str, *, create: bool, env: Mapping[str, str]) -> Engine:
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        if path.exists():
            raise LedgerError(f"ledger {path} is a folder, not a file", hint="give the path of the ledger file")
        if not create:
            raise LedgerError(f"no ledger at {path}", hint=f"check --db / ${ENV_DB}, or record a trade or import an "
                                                           "export first: reading never creates a ledger")
    try:
        if path is not None and create:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(with_password(url, env), future=True)
    except ImportError as exc:   # the URL's database driver is not installed
        raise LedgerError(f"cannot open ledger database {mask_url(url)}: its driver"
                          f"{' ' + exc.name if exc.name else ''} is not installed",
                          hint=_driver_hint(url)) from None
    except (SQLAlchemyError, ValueError, OSError) as exc:
        raise LedgerError(f"cannot open ledger database {mask_url(url)}: {driver_message(exc, url)}",
                          hint=f"pass --db URL or set {ENV_DB}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_hooks(engine)
        if path is not None and create:
            _wal(engine)
    return engine


def _wal(engine: Engine) -> None:
    # WAL is a property of the file (set once, by a writer): readers then see a snapshot instead of waiting.
    raw = engine.raw_connection()
    try:
        with contextlib.suppress(sqlite3.DatabaseError):  # read-only: keeps its mode; not a database: said next
            raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
    finally:
        raw.close()


_MIGRATIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^revision(?:\s*:\s*\w+)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.M)


def _shipped_revisions() -> tuple[set[str], set[str]] | None:
    """(all revisions, heads) of the migrations in the package, read as text: Alembic costs 0.4 s to import."""
    known: set[str] = set()
    parents: set[str] = set()
    for script in _MIGRATIONS.glob("*.py"):
        body = script.read_text(encoding="utf-8")
        rev, down = _REVISION.search(body), _DOWN.search(body)
        if rev is None or down is None:
            continue  # __init__.py
        known.add(rev[1])
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down[1]))
    return (known, known - parents) if known else None


def _at_head(engine: Engine) -> bool:
    """True when the schema is current (a read, no lock); an unknown revision is a clear error, not a traceback."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    shipped = _shipped_revisions()
    if shipped is None:  # cannot tell from the files: let Alembic decide
        return False
    known, heads = shipped
    unknown = sorted(current - known)
    if unknown:
        raise LedgerError(f"the ledger's schema revision {unknown[0]!r} is unknown to putwheel {_version()}",
                          hint="it was written by a newer putwheel: upgrade putwheel, or point --db at another ledger")
    return current == heads


def _version() -> str:
    from putwheel import __version__

    return __version__


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration shipped with the package (nothing to do, nothing locked)."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "putwheel.ledger:migrations")
    with engine.execution_options(**{_WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":  # two processes opening a new database must not both create it
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID + 1})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Ledger:
    """A migrated ledger database. Reads return `LedgerEvent`s; `append` is the only write."""

    def __init__(self, engine: Engine, url: str = "") -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = True, env: Mapping[str, str] | None = None) -> Ledger:
        """Open (and migrate) the ledger; `create=False` (the read commands) refuses a SQLite file that is not there."""
        resolved = resolve_url(url, env)
        engine = _make_engine(resolved, create=create, env=os.environ if env is None else env)
        try:
            migrate(engine)
        except Exception as exc:
            engine.dispose()
            if isinstance(exc, LedgerError) or not _is_db_error(exc):
                raise
            raise _open_error(exc, resolved) from None
        return cls(engine, resolved)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------------------------
    def events(self, account: str | None = None, *, raw: bool = False) -> list[LedgerEvent]:
        """The events that count, in replay order; `raw` also returns superseded copies and their markers."""
        with self.engine.connect() as conn:
            return _read(conn, None if account is None else [account], raw=raw)

    def accounts(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(events.c.account).distinct().order_by(events.c.account))]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    # -- the one write ----------------------------------------------------------------------------------
    def append(self, new: Sequence[LedgerEvent], *, strict: bool, origin: str = "manual", source: str = "manual",
               recorded_at: datetime, sha256: str | None = None,
               also: Callable[[Connection], None] | None = None) -> AppendResult:
        """Store `new` in one transaction; already-stored keys are skipped; `strict` enforces the discipline.

        `also(conn)` runs inside the same transaction after the events are inserted (`ledger.orders` updates an
        order's state with the fills it records): both are written or neither is.
        """
        try:
            return self._append(new, strict=strict, origin=origin, source=source, recorded_at=recorded_at,
                                sha256=sha256, also=also)
        except SQLAlchemyError as exc:
            raise _write_error(exc, self.url) from None

    def _append(self, new: Sequence[LedgerEvent], *, strict: bool, origin: str, source: str, recorded_at: datetime,
                sha256: str | None, also: Callable[[Connection], None] | None = None) -> AppendResult:
        with self.engine.execution_options(**{_WRITE: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
            fresh = _fresh(conn, new)
            inserted, by_content, replaced, formats = fresh, 0, 0, ()
            if not strict and fresh:  # an import: the same transactions may be stored from another export format
                accounts = sorted({e.account for e in fresh})
                ranks = _batch_sources(conn, accounts)
                def stored_rank(e: LedgerEvent) -> int:
                    return MANUAL_RANK if e.source == "manual" else rank(ranks.get(e.key, e.source))

                match = split_present(fresh, _read(conn, accounts), new_rank=rank(source), stored_rank=stored_rank)
                fresh, inserted, by_content, replaced = match.fresh, match.to_insert, len(match.present), match.replaced
                formats = tuple(sorted({ranks.get(old.key) or old.source for _, olds in match.replacing for old in olds}))
            if strict and fresh:
                _check(conn, fresh)
            facts = [e for e in inserted if e.kind is not Kind.SUPERSEDED]
            pk = conn.execute(insert(batches).values(
                source=source, origin=origin, sha256=sha256, rows=len(new), added=len(facts), recorded_at=recorded_at,
            )).inserted_primary_key
            assert pk is not None
            batch_id = int(pk[0])
            rows = [_row(e, batch_id) for e in inserted]
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert(events), rows[i:i + _CHUNK])
            if also is not None:
                also(conn)
        return AppendResult(len(fresh), len(new) - len(fresh) - replaced, int(batch_id), tuple(e.key for e in facts),
                            by_content, replaced, formats)


def _is_db_error(exc: BaseException) -> bool:
    if isinstance(exc, SQLAlchemyError):
        return True
    from alembic.util.exc import CommandError  # Alembic is loaded only if a migration ran

    return isinstance(exc, CommandError)


def _open_error(exc: BaseException, url: str) -> LedgerError:
    why = driver_message(exc, url)
    where = mask_url(url)
    if "file is not a database" in why:
        return LedgerError(f"{where} is not a SQLite database ({why})",
                           hint="--db points at some other file: give the path of a putwheel ledger")
    if not isinstance(exc, SQLAlchemyError):  # Alembic's CommandError
        return LedgerError(f"cannot migrate the ledger {where}: {why}",
                           hint="the ledger was written by a newer putwheel: upgrade putwheel")
    return LedgerError(f"cannot open ledger database {where}: {exc.__class__.__name__}: {why}",
                       hint=f"check the URL in --db or ${ENV_DB}, the password, and that the server is running")


def _write_error(exc: SQLAlchemyError, url: str) -> LedgerError:
    why = driver_message(exc, url)
    if "readonly" in why.replace("-", "").replace(" ", "") or "read-only" in why:
        hint = "the ledger file (or its folder) is not writable: check its permissions, or use another --db"
        return LedgerError(f"ledger {mask_url(url)} is read-only ({why}); nothing was written", hint=hint)
    if "locked" in why:
        return LedgerError(f"ledger {mask_url(url)} is busy ({why}); nothing was written",
                           hint="another putwheel is writing to it: try again in a moment")
    return LedgerError(f"writing to ledger {mask_url(url)} failed ({exc.__class__.__name__}: {why}); nothing was written",
                       hint="check the database server and the values given")


def _fresh(conn: Connection, new: Sequence[LedgerEvent]) -> list[LedgerEvent]:
    keys = [e.key for e in new]
    stored: dict[str, tuple[int, object, object]] = {}
    cols = (events.c.key, events.c.quantity, events.c.price, events.c.cash)
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i:i + _CHUNK]
        stored.update((r[0], (int(r[1]), r[2], r[3])) for r in conn.execute(select(*cols).where(events.c.key.in_(chunk))))
    _refuse_restated(new, stored)
    seen: set[str] = set()
    out = []
    for e in new:
        if e.key in stored or e.key in seen:
            continue
        seen.add(e.key)
        out.append(e)
    return out


def _refuse_restated(new: Sequence[LedgerEvent], stored: Mapping[str, tuple[int, object, object]]) -> None:
    """A broker id already stored must say the same thing (quantity, price, cash); a changed one is not skipped."""
    changed = [(e, stored[e.key]) for e in new if ":id:" in e.key and e.key in stored
               and stored[e.key] != (e.quantity, e.price, e.cash)]
    if changed:
        e, (qty, price, cash) = changed[0]
        raise LedgerError(f"{len(changed)} broker transaction(s) already in the ledger say something else now, first "
                          f"id {e.key.rsplit(':', 1)[-1]}: stored qty {qty} price {price} cash {cash}, this file "
                          f"qty {e.quantity} price {e.price} cash {e.cash}; nothing imported",
                          hint="the broker restated a past trade? check it, then record the correction by hand")


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


def _batch_sources(conn: Connection, accounts: Sequence[str]) -> dict[str, str]:
    """Event key -> the source (format) of the batch that stored it, for the accounts given."""
    q = (select(events.c.key, batches.c.source).join(batches, events.c.batch == batches.c.id)
         .where(events.c.account.in_(list(accounts))))
    return {r[0]: r[1] for r in conn.execute(q)}


def _read(conn: Connection, accounts: Iterable[str] | None, *, raw: bool = False) -> list[LedgerEvent]:
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
    return out if raw else effective(out)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["ENV_DB", "ENV_PASSWORD", "AppendResult", "Ledger", "default_url", "file_sha256", "mask_url", "migrate",
           "resolve_url", "sqlite_path"]
