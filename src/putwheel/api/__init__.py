"""The public Python facade: one function per CLI command, returning DataFrames or typed dataclasses.

Areas live in submodules (`api.pricing`, `api.data`, ...) and are re-exported here.
"""

from putwheel.api.pricing import Quote, quote
from putwheel.api.backtest import PutWriteBacktest as PutWriteBacktest, backtest_putwrite as backtest_putwrite
from putwheel.api.plan import PlanResult as PlanResult, plan as plan
from putwheel.api.data import ChainResult as ChainResult, chain as chain, data_fetch as data_fetch, data_list as data_list
from putwheel.api.manage import ManageResult as ManageResult, manage as manage
from putwheel.api import ledger as ledger

__all__: list[str] = ["Quote", "quote"]
