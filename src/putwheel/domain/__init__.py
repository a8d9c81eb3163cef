"""Frozen value types of the options trade: money, rights, contracts, errors, day counts. No I/O, no pandas."""

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.dates import DAYS_PER_YEAR, year_fraction
from putwheel.domain.errors import ConfigError, DataError, InputError, LedgerError, PutwheelError
from putwheel.domain.money import Money

__all__ = [
    "DAYS_PER_YEAR",
    "ConfigError",
    "DataError",
    "InputError",
    "LedgerError",
    "Money",
    "OptionContract",
    "PutwheelError",
    "Right",
    "year_fraction",
]
