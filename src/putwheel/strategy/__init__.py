"""Wheel rules as pure functions: `decide(position, market, rules, as_of) -> Decision`, shared by live trading and backtests.

`decide` handles one position; `decide_many` takes a frame of all open positions for a day (what the backtester
calls) and runs the same code vectorized.
"""

from putwheel.domain.holding import OpenPosition, option_position, share_lot
from putwheel.strategy.decide import DETAIL_COLUMNS, Action, Decision, decide, decide_many, to_decision
from putwheel.strategy.position import MarketView, positions_frame
from putwheel.strategy.rules import ManageRules

__all__ = [
    "DETAIL_COLUMNS",
    "Action",
    "Decision",
    "ManageRules",
    "MarketView",
    "OpenPosition",
    "decide",
    "decide_many",
    "option_position",
    "positions_frame",
    "share_lot",
    "to_decision",
]
