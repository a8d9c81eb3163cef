"""Alembic environment: always called programmatically with a live connection in `config.attributes`."""

from __future__ import annotations

from alembic import context

from putwheel.ledger.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI, which we do not ship
    raise RuntimeError("putwheel migrations run through putwheel.ledger.store.open_ledger(), not the alembic CLI")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
