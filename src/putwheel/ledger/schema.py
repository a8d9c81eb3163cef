"""SQLAlchemy Core tables. Money is INTEGER in units of 1e-8 through one `MoneyType`; never REAL.

1e-8 rather than micro-dollars because IBKR reports commissions with 7 decimals (-1.0439432); a value with
more precision than the column holds is refused, never rounded silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from putwheel.domain.errors import LedgerError
from putwheel.ledger.events import canonical

SCALE = 10**8
_BIGINT_MAX = 2**63 - 1
metadata = MetaData()


class MoneyType(TypeDecorator[Decimal]):
    """Decimal in Python, exact BIGINT (units of 1e-8) in SQL."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * SCALE
        if scaled != scaled.to_integral_value():
            raise LedgerError(f"amount {value} has more than 8 decimals", hint="round it at the source")
        if abs(scaled) > _BIGINT_MAX:  # events.MAX_AMOUNT refuses these first; this guards any other writer
            raise LedgerError(f"amount {value} is too large for the ledger", hint="amounts must be below 10 billion")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return canonical(Decimal(int(value)) / SCALE)


class UTCDateTime(TypeDecorator[datetime]):
    """tz-aware UTC in Python, naive UTC in SQL (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise LedgerError(f"timestamp {value} has no time zone")
        naive: datetime = value.astimezone(UTC).replace(tzinfo=None)
        return naive

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        out: datetime = value.replace(tzinfo=UTC)
        return out


SeqType = BigInteger().with_variant(Integer, "sqlite")

events = Table(
    "events",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("key", String(80), nullable=False),
    Column("account", String(64), nullable=False),
    Column("ts", UTCDateTime(), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("underlying", String(16)),
    Column("right", String(1)),
    Column("strike", MoneyType()),
    Column("expiry", Date()),
    Column("multiplier", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("price", MoneyType(), nullable=False),
    Column("fees", MoneyType(), nullable=False),
    Column("cash", MoneyType(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effect", String(5)),
    Column("grp", String(64)),
    Column("source", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("batch", Integer),
    UniqueConstraint("key", name="uq_events_key"),
    Index("ix_events_account_ts", "account", "ts"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("origin", Text, nullable=False),  # file name or "manual"
    Column("sha256", String(64)),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)

# --- orders sent by `putwheel run` (migration 0002) -------------------------------------------------------------
# An order is written (status "new") before it is sent; every state it reaches is one `order_states` row; its fills
# are ordinary `events` (key "<broker>:id:<fill id>") written in the same transaction as the state they cause.
orders = Table(
    "orders",
    metadata,
    Column("client_order_id", String(64), primary_key=True),
    Column("account", String(64), nullable=False),
    Column("broker", String(32), nullable=False),
    Column("run_date", Date(), nullable=False),
    Column("origin", String(16), nullable=False),  # plan | manage | roll-leg
    Column("action", String(24), nullable=False),
    Column("reason_code", Integer, nullable=False),
    Column("legs", Text, nullable=False),  # JSON: the domain order's legs
    Column("combo", Integer, nullable=False),  # 1: a multi-leg order at one net limit
    Column("quantity", Integer, nullable=False),
    Column("limit_price", MoneyType()),  # per share; a combo's net limit (+ credit / - debit)
    Column("collateral", MoneyType(), nullable=False),  # cash the order locks once filled in full
    Column("min_credit", MoneyType()),  # a roll's net credit floor per share (migration 0003); NULL: none recorded
    Column("status", String(16), nullable=False),
    Column("filled", Integer, nullable=False),
    Column("broker_order_id", String(64)),
    Column("message", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_orders_account_run", "account", "run_date"),
)

order_states = Table(
    "order_states",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("client_order_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("filled", Integer, nullable=False),
    Column("limit_price", MoneyType()),
    Column("at", UTCDateTime(), nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_order_states_cid", "client_order_id"),
)

broker_state = Table(  # a broker that keeps its own book locally (the paper broker): one JSON document per account
    "broker_state",
    metadata,
    Column("broker", String(32), primary_key=True),
    Column("account", String(64), primary_key=True),
    Column("doc", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
