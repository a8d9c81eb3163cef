"""Frozen value types of the options trade: money, rights, contracts, errors, day counts. No I/O, no pandas.

The names are re-exported lazily (PEP 562): `putwheel.domain.errors`, which every command's error handling imports,
does not pull in money and contracts (`fractions`, ~4 ms of `putwheel --help`'s ~0.3 s start-up)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {"OptionContract": "contract", "Right": "contract", "DAYS_PER_YEAR": "dates", "year_fraction": "dates",
            "ConfigError": "errors", "DataError": "errors", "InputError": "errors", "LedgerError": "errors",
            "PutwheelError": "errors", "Money": "money"}

if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from putwheel.domain.contract import OptionContract as OptionContract
    from putwheel.domain.contract import Right as Right
    from putwheel.domain.dates import DAYS_PER_YEAR as DAYS_PER_YEAR
    from putwheel.domain.dates import year_fraction as year_fraction
    from putwheel.domain.errors import ConfigError as ConfigError
    from putwheel.domain.errors import DataError as DataError
    from putwheel.domain.errors import InputError as InputError
    from putwheel.domain.errors import LedgerError as LedgerError
    from putwheel.domain.errors import PutwheelError as PutwheelError
    from putwheel.domain.money import Money as Money


def __getattr__(name: str) -> Any:
    sub = _EXPORTS.get(name)
    if sub is None:
        raise AttributeError(f"module 'putwheel.domain' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"putwheel.domain.{sub}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = ["DAYS_PER_YEAR", "ConfigError", "DataError", "InputError", "LedgerError", "Money", "OptionContract",
           "PutwheelError", "Right", "year_fraction"]
