"""A module stand-in imported on first use, so `putwheel --help` and light commands skip heavy imports."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """`api = LazyModule("putwheel.api.ledger")`: `api.positions(...)` imports the module at that call, once."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}>"
