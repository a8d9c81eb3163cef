"""Wheel rules as pure functions: `decide(position, market, rules, as_of) -> Decision`, shared by live trading and backtests.

`decide` handles one position; `decide_many` takes a frame of all open positions for a day (what the backtester
calls) and runs the same code vectorized.
"""

from putwheel.strategy.decide import DETAIL_COLUMNS, Action, Decision, decide, decide_many, to_decision
from putwheel.strategy.position import Leg, MarketView, PositionLike, positions_frame
from putwheel.strategy.rules import ManageRules

__all__ = [
    "DETAIL_COLUMNS",
    "Action",
    "Decision",
    "Leg",
    "ManageRules",
    "MarketView",
    "PositionLike",
    "decide",
    "decide_many",
    "positions_frame",
    "to_decision",
]
