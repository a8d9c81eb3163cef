"""Alembic migrations shipped inside the package; `putwheel.ledger.store` runs them on open."""
