"""The one error hierarchy. Every error a user can cause says what was wrong, where, and how to fix it.

The CLI maps each subclass to a one-line message and an exit code in `cli/errors.py`; nothing below the CLI
prints or exits.
"""

from __future__ import annotations


class PutwheelError(Exception):
    """Base of every error putwheel raises on purpose. `hint` says how to fix it."""

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(PutwheelError, ValueError):
    """A value the user gave is invalid (negative strike, bad symbol, expiry before as_of)."""

    exit_code = 2


class ConfigError(PutwheelError):
    """The config file or environment is invalid."""

    exit_code = 3


class DataError(PutwheelError):
    """A file or provider returned something we cannot trust (malformed, missing columns, garbage quotes)."""

    exit_code = 4


class LedgerError(PutwheelError):
    """A ledger write was refused (e.g. a short put without its full collateral in free cash)."""

    exit_code = 5
