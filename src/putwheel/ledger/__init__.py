"""The ledger: append-only trade events in a SQL database (SQLAlchemy Core + Alembic); positions and cycles derived by replay."""
