"""The ledger: append-only trade events in a SQL database (SQLAlchemy Core + Alembic); positions and cycles derived by replay."""

from putwheel.ledger.cycles import LedgerCycle, MonthIncome, Roll, cycles, monthly_income
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, option, shares
from putwheel.ledger.replay import OpenPosition, State, replay
from putwheel.ledger.store import ENV_DB, AppendResult, Ledger, resolve_url

__all__ = [
    "ENV_DB",
    "AppendResult",
    "Effect",
    "Instrument",
    "Kind",
    "Ledger",
    "LedgerCycle",
    "LedgerEvent",
    "MonthIncome",
    "OpenPosition",
    "Roll",
    "State",
    "cycles",
    "monthly_income",
    "option",
    "replay",
    "resolve_url",
    "shares",
]
