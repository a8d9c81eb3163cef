"""Append-only events and import batches.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_seq = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", _seq, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("seq", _seq, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("ts", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("underlying", sa.String(16)),
        sa.Column("right", sa.String(1)),
        sa.Column("strike", sa.BigInteger),
        sa.Column("expiry", sa.Date),
        sa.Column("multiplier", sa.Integer, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("fees", sa.BigInteger, nullable=False),
        sa.Column("cash", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("effect", sa.String(5)),
        sa.Column("grp", sa.String(64)),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("batch", sa.Integer),
        sa.UniqueConstraint("key", name="uq_events_key"),
    )
    op.create_index("ix_events_account_ts", "events", ["account", "ts"])


def downgrade() -> None:
    op.drop_index("ix_events_account_ts", table_name="events")
    op.drop_table("events")
    op.drop_table("batches")
