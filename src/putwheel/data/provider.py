"""The one interface every chain source implements, and the choice of source from a `--source` string.

`file:PATH` reads a recorded or exported chain (any format `data.files` knows), `cboe` is Cboe's delayed
quotes (the primary live source: all expiries, greeks and open interest in one request), `yfinance` is Yahoo
(a fallback: one expiry per request, IVs often garbage and re-solved by `flag_quality`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from putwheel.data.files import read_chain
from putwheel.data.quality import QualityPolicy
from putwheel.domain.errors import InputError

SOURCES = ("file:PATH", "cboe", "yfinance")


@runtime_checkable
class MarketDataProvider(Protocol):
    """A source of option chains in the schema of `data.schema`, already quality-flagged."""

    name: str

    def chain(self, symbol: str, as_of: date | None = None, policy: QualityPolicy | None = None) -> pd.DataFrame:
        """Every listed contract of `symbol` in one snapshot; raises `DataError` on anything untrustworthy."""
        ...


class FileProvider:
    """A chain file; `chain(symbol)` returns the whole file (a file may hold several underlyings)."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def chain(self, symbol: str, as_of: date | None = None, policy: QualityPolicy | None = None) -> pd.DataFrame:
        return read_chain(self.path, as_of=as_of, policy=policy)


def provider_for(source: str) -> MarketDataProvider:
    """`file:PATH`, `cboe` or `yfinance` to a provider; anything else is an `InputError` listing the choices."""
    kind, _, arg = source.strip().partition(":")
    if kind == "file":
        if not arg:
            raise InputError("--source file: needs a path", hint="e.g. --source file:chains/spy.parquet")
        return FileProvider(Path(arg).expanduser())
    if kind == "cboe" and not arg:
        from putwheel.data.cboe import CboeProvider
        return CboeProvider()
    if kind == "yfinance" and not arg:
        from putwheel.data.yfinance import YFinanceProvider
        return YFinanceProvider()
    raise InputError(f"unknown source {source!r}", hint="use one of: " + ", ".join(SOURCES))
