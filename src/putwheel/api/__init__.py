"""The public Python facade: one function per CLI command, returning DataFrames or typed dataclasses.

Areas live in submodules (`api.pricing`, `api.data`, ...) and are re-exported here *lazily* (PEP 562): importing
`putwheel.api` costs nothing, and `api.plan` imports the planner (pandas, scipy, numba) only when first used, so
`putwheel --help` and light commands never pay for the heavy ones.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

_EXPORTS = {  # public name -> submodule that defines it
    "ChainBacktest": "chains", "PutWriteBacktest": "backtest", "WheelBacktest": "backtest",
    "IndexBacktest": "indexes", "backtest_index": "indexes",
    "backtest_chains": "chains", "backtest_putwrite": "backtest", "backtest_wheel": "backtest",
    "wheel_config": "backtest", "ChainResult": "data", "chain": "data", "data_fetch": "data", "data_list": "data",
    "ManageResult": "manage", "manage": "manage", "PlanResult": "plan", "plan": "plan", "Quote": "pricing",
    "quote": "pricing", "sweep": "sweep",
}
_SUBMODULES = frozenset({"backtest", "chains", "data", "indexes", "ledger", "manage", "plan", "pricing", "sweep"})

if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from putwheel.api import ledger as ledger
    from putwheel.api.backtest import PutWriteBacktest as PutWriteBacktest
    from putwheel.api.backtest import WheelBacktest as WheelBacktest
    from putwheel.api.backtest import backtest_putwrite as backtest_putwrite
    from putwheel.api.backtest import backtest_wheel as backtest_wheel
    from putwheel.api.backtest import wheel_config as wheel_config
    from putwheel.api.chains import ChainBacktest as ChainBacktest
    from putwheel.api.chains import backtest_chains as backtest_chains
    from putwheel.api.data import ChainResult as ChainResult
    from putwheel.api.data import chain as chain
    from putwheel.api.data import data_fetch as data_fetch
    from putwheel.api.data import data_list as data_list
    from putwheel.api.indexes import IndexBacktest as IndexBacktest
    from putwheel.api.indexes import backtest_index as backtest_index
    from putwheel.api.manage import ManageResult as ManageResult
    from putwheel.api.manage import manage as manage
    from putwheel.api.plan import PlanResult as PlanResult
    from putwheel.api.plan import plan as plan
    from putwheel.api.pricing import Quote as Quote
    from putwheel.api.pricing import quote as quote
    from putwheel.api.sweep import sweep as sweep


_SHADOWED = frozenset(_EXPORTS) & _SUBMODULES  # `api.plan` is the function, not the module `putwheel.api.plan`


class _Facade(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        # Importing `putwheel.api.plan` binds the submodule as attribute `plan` of this package; keep the function.
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade


def __getattr__(name: str) -> Any:
    sub = _EXPORTS.get(name)
    if sub is None:
        if name in _SUBMODULES:
            return importlib.import_module(f"putwheel.api.{name}")
        raise AttributeError(f"module 'putwheel.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"putwheel.api.{sub}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})


__all__: list[str] = ["Quote", "quote"]
