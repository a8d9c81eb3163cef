"""A roll's net-credit floor kept with its order, so a run that resumes it walks to the floor it was decided with.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # MoneyType: INTEGER in units of 1e-8 (ledger/schema.py); NULL for an order without a floor, and for orders
    # persisted before this revision (a resumed one then takes the config's execution.roll_min_credit)
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("min_credit", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("min_credit")
