"""Orders sent by `putwheel run`, their state history, and the paper broker's book.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_seq = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("broker", sa.String(32), nullable=False),
        sa.Column("run_date", sa.Date, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("reason_code", sa.Integer, nullable=False),
        sa.Column("legs", sa.Text, nullable=False),
        sa.Column("combo", sa.Integer, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("limit_price", sa.BigInteger),
        sa.Column("collateral", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled", sa.Integer, nullable=False),
        sa.Column("broker_order_id", sa.String(64)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_orders_account_run", "orders", ["account", "run_date"])
    op.create_table(
        "order_states",
        sa.Column("seq", _seq, primary_key=True, autoincrement=True),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled", sa.Integer, nullable=False),
        sa.Column("limit_price", sa.BigInteger),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_order_states_cid", "order_states", ["client_order_id"])
    op.create_table(
        "broker_state",
        sa.Column("broker", sa.String(32), primary_key=True),
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("doc", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("broker_state")
    op.drop_index("ix_order_states_cid", table_name="order_states")
    op.drop_table("order_states")
    op.drop_index("ix_orders_account_run", table_name="orders")
    op.drop_table("orders")
