"""The public Python facade: one function per CLI command, returning DataFrames or typed dataclasses.

Areas live in submodules (`api.pricing`, `api.data`, ...) and are re-exported here.
"""

from putwheel.api import ledger as ledger
from putwheel.api.backtest import ChainBacktest as ChainBacktest
from putwheel.api.backtest import PutWriteBacktest as PutWriteBacktest
from putwheel.api.backtest import WheelBacktest as WheelBacktest
from putwheel.api.backtest import backtest_chains as backtest_chains
from putwheel.api.backtest import backtest_putwrite as backtest_putwrite
from putwheel.api.backtest import backtest_wheel as backtest_wheel
from putwheel.api.backtest import wheel_config as wheel_config
from putwheel.api.data import ChainResult as ChainResult
from putwheel.api.data import chain as chain
from putwheel.api.data import data_fetch as data_fetch
from putwheel.api.data import data_list as data_list
from putwheel.api.manage import ManageResult as ManageResult
from putwheel.api.manage import manage as manage
from putwheel.api.plan import PlanResult as PlanResult
from putwheel.api.plan import plan as plan
from putwheel.api.pricing import Quote, quote
from putwheel.api.sweep import sweep as sweep

__all__: list[str] = ["Quote", "quote"]
