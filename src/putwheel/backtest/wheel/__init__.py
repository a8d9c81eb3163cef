"""The Wheel engine: one book as arrays, one compiled step per name-day, one day loop (see docs/adr/0008).

`run_wheel` (one name; SPY-like by default), `run_wheel_portfolio` (one pool of cash, caps, staggered expiries,
delta or planner entry), `run_wheel_sleeves` and `wheel_paths` (a sleeve of cash per name) all run
`engine.simulate`, which runs `loop.run_days` with the rules of `strategy.core`.
"""

from putwheel.backtest.wheel.config import EVENT_COLUMNS, WheelConfig, WheelPortfolioResult, WheelResult
from putwheel.backtest.wheel.runs import (
    SPY_LIKE,
    WheelPaths,
    run_wheel,
    run_wheel_portfolio,
    run_wheel_sleeves,
    weekly_expiries,
    wheel_paths,
)

__all__ = [
    "EVENT_COLUMNS",
    "SPY_LIKE",
    "WheelConfig",
    "WheelPaths",
    "WheelPortfolioResult",
    "WheelResult",
    "run_wheel",
    "run_wheel_portfolio",
    "run_wheel_sleeves",
    "weekly_expiries",
    "wheel_paths",
]
