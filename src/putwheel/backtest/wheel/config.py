"""What a Wheel run takes (`WheelConfig`) and gives (`WheelResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from putwheel.backtest.metrics import Metrics
from putwheel.backtest.planned import PlannerEntry
from putwheel.data.modelled import ChainModel
from putwheel.strategy import ManageRules

EVENT_COLUMNS = ["date", "symbol", "action", "right", "strike", "expiry", "contracts", "price", "cash_flow",
                 "reason_code", "reason", "cycle_id", "x1", "x2", "x3"]


@dataclass(frozen=True)
class WheelConfig:
    """Entry rule for new puts, the manager's rules, the chain model and costs."""

    put_delta: float = 0.30
    put_dte: int = 35
    allow_rolls: bool = True    # False: a roll the manager proposes becomes its no-roll fallback (sweeps' "never")
    rules: ManageRules = field(default_factory=ManageRules)  # type: ignore[arg-type]
    chain: ChainModel = field(default_factory=ChainModel)
    commission_per_contract: float = 0.65
    start_cash: float = 1_000_000.0
    planner: PlannerEntry | None = None   # new puts from `putwheel plan`'s planner instead of the delta/DTE rule


@dataclass(frozen=True)
class WheelResult:
    """The account day by day, every event, the metrics and per-name counters.

    `daily`: cash, collateral, free cash, shares, shares value, short options, value, T-bill growth.
    `events`: `EVENT_COLUMNS`, one row per fill or settlement, with the reason code, its English and the cycle.
    """

    daily: pd.DataFrame
    events: pd.DataFrame
    metrics: Metrics
    assignment_rate: float       # puts assigned / puts sold
    time_in_shares: float        # share of days holding shares
    monthly_income: pd.Series    # option premium received minus buy-backs and fees, every month of the run, by the
    # month of the trade; the sale of an option still open after the last day is left out (`open_premium`)
    label: str
    per_name: pd.DataFrame | None = None     # several names: one row each
    max_pct_per_name: float | None = None
    open_premium: float = 0.0    # premium (net of fees) of the options still open after the last day, not income yet


WheelPortfolioResult = WheelResult   # the multi-name result is the same type (kept for the API's older name)
