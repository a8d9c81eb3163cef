"""The planner's rules and watchlist as frozen pydantic models (unknown keys are refused with the key named).

Defaults follow the seed text: 30-45 DTE, strike at or below the price you would gladly pay, 5-10 names,
quality large caps with liquid options, staggered expiries. Every threshold is a field the user can set in
`putwheel.toml` under `[rules]`, `[quality]` and `[[watchlist]]`.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Final, Literal

import numpy as np
from pydantic import Field, model_validator

from putwheel.domain.frozen import Frozen


class TargetRule(Frozen):
    """How to derive the price the user would gladly pay when no explicit target is given."""

    kind: Literal["pct_below_spot", "swing_low", "sma", "valuation"] = "pct_below_spot"
    pct: float = Field(0.05, ge=0, lt=0.9, description="pct_below_spot: 0.05 = 5 % under spot")
    days: int = Field(60, ge=5, le=750, description="swing_low / sma look-back in trading days")
    fair_value: float | None = Field(None, gt=0, description="valuation: your fair value per share")
    margin_of_safety: float = Field(0.10, ge=0, lt=0.9, description="valuation: buy this far under fair value")

    @model_validator(mode="after")
    def _valuation_needs_fair_value(self) -> TargetRule:
        if self.kind == "valuation" and self.fair_value is None:
            raise ValueError("target rule 'valuation' needs fair_value")
        return self


UNKNOWN_SECTOR: Final = "unknown"   # a name with no sector (see `screener.portfolio.cap_group`)


class WatchItem(Frozen):
    symbol: str = Field(min_length=1, max_length=12)
    target_price: float | None = Field(None, gt=0, description="the price you would gladly pay per share")
    target_rule: TargetRule | None = None
    sector: str | None = None
    dividend_yield: float = Field(0.0, ge=0, lt=0.5, description="continuous annual yield, 0.015 = 1.5 %")
    earnings_date: date | None = Field(None, description="next earnings date, for the skip-earnings rule")
    ex_dividend_date: date | None = None


class PutRules(Frozen):
    """Which puts qualify and how the plan is built."""

    dte_min: int = Field(30, ge=0, le=730)
    dte_max: int = Field(45, ge=0, le=730)
    strike_below_target_pct: float = Field(
        0.05, ge=0, lt=0.5, description="strikes down to this far under the target still count as 'slightly below'")
    max_abs_delta: float = Field(0.35, gt=0, le=1)
    min_open_interest: int = Field(100, ge=0)
    min_volume: int = Field(0, ge=0)
    max_spread_pct: float = Field(0.15, gt=0, le=2, description="(ask - bid) / mid")
    min_annualized_return: float = Field(0.06, ge=0, le=5, description="premium / collateral, annualized")
    skip_earnings: bool = True
    skip_ex_dividend: bool = False
    max_pct_per_name: float = Field(0.20, gt=0, le=1)
    max_pct_per_sector: float = Field(0.40, gt=0, le=1)
    max_pair_correlation: float = Field(0.75, ge=-1, le=1, description="from 1-year daily returns")
    min_names: int = Field(5, ge=1, le=100)
    max_names: int = Field(10, ge=1, le=100)
    ladder_weeks: tuple[int, ...] = Field(
        (2, 4, 6), description="the expiry ladder's rungs; with max_names_per_expiry unset, at most "
                               "ceil(max_names / number of rungs) names share one expiry date")
    max_names_per_expiry: int | None = Field(None, ge=1, description="default: ceil(max_names / ladder rungs)")
    ladder: Literal["per_expiry", "rungs"] = Field(
        "per_expiry", description="per_expiry: the cap applies to each expiry date inside [dte_min, dte_max]; rungs: "
                                  "expiries must sit within rung_tolerance_days of a rung (2, 4, 6 weeks), which "
                                  "replaces the DTE window, and the cap applies to each rung")
    rung_tolerance_days: int = Field(3, ge=0, le=14)
    equity_risk_premium: float = Field(0.0, ge=-0.2, le=0.3, description="drift over T-bills for expected value")
    tick: float = Field(0.01, gt=0, description="limit-price tick under $3 (0.01 penny-pilot, 0.05 otherwise)")
    tick_above_3: float = Field(0.05, gt=0, description="limit-price tick from $3 (0.05 penny-pilot, 0.10 otherwise)")
    max_contracts_per_ticket: int = Field(100, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> PutRules:
        if self.dte_min > self.dte_max:
            raise ValueError(f"dte_min {self.dte_min} is above dte_max {self.dte_max}")
        if self.min_names > self.max_names:
            raise ValueError(f"min_names {self.min_names} is above max_names {self.max_names}")
        if len(set(self.ladder_weeks)) != len(self.ladder_weeks) or any(w <= 0 for w in self.ladder_weeks):
            raise ValueError("ladder_weeks must be distinct positive week counts, e.g. [2, 4, 6]")
        return self


class QualityThresholds(Frozen):
    """Minimum quality of an underlying; a missing input never passes or fails silently: it is shown as missing."""

    min_score: float = Field(0.5, ge=0, le=1)
    min_market_cap: float = Field(10e9, ge=0)
    max_debt_to_equity: float = Field(2.0, ge=0, description="a ratio (1.5 = 150 %), not a percent")
    min_roe: float = Field(0.08)
    min_profit_margin: float = Field(0.05)
    max_beta: float = Field(1.6, gt=0)
    max_realized_vol: float = Field(0.60, gt=0)
    max_drawdown: float = Field(0.55, gt=0, le=1, description="1-year max drawdown, as a positive fraction")
    require_positive_fcf: bool = True
    missing_counts_as: Literal["neutral", "fail"] = "neutral"


def names_per_rung(rules: PutRules) -> int:
    """How many names may share one expiry (or one rung): the explicit cap, else ceil(max_names / rungs)."""
    return rules.max_names_per_expiry or math.ceil(rules.max_names / max(len(rules.ladder_weeks), 1))


def rung_of(dte: np.ndarray, rules: PutRules) -> np.ndarray:
    """The ladder rung (in weeks) each DTE falls on, or 0 where it is on none (rungs mode)."""
    dte = np.asarray(dte, dtype=float)
    out = np.zeros(len(dte), dtype=int)
    for weeks in sorted(rules.ladder_weeks, reverse=True):
        out[np.abs(dte - 7 * weeks) <= rules.rung_tolerance_days] = weeks
    return out


def in_dte_window(dte: np.ndarray, rules: PutRules) -> np.ndarray:
    """Whether each DTE is plannable: inside [dte_min, dte_max], or on a rung in rungs mode."""
    dte = np.asarray(dte, dtype=float)
    if rules.ladder == "rungs":
        return rung_of(dte, rules) > 0
    return (dte >= rules.dte_min) & (dte <= rules.dte_max)


def window_text(rules: PutRules) -> str:
    if rules.ladder == "rungs":
        weeks = "/".join(str(w) for w in sorted(rules.ladder_weeks))
        return f"the ladder rungs {weeks} weeks ± {rules.rung_tolerance_days} days"
    return f"the DTE window {rules.dte_min}-{rules.dte_max} days"
