"""New puts chosen by the planner (`putwheel plan`'s `screener.plan.build_plan`) inside the multi-name Wheel.

Why: with `entry="plan"` a backtest sells exactly the puts the weekly planner would have proposed that day --
strike at or just below each name's target price, the DTE window and ladder, delta, spread, open-interest and
return floors, the quality screen, per-name and per-sector caps, the correlation rule, and the MILP that sizes
the tickets within free cash -- instead of the delta/DTE entry rule. The manager (`decide_many`) then runs the
positions as always.

Backtest-specific choices (said here because a successor will ask): the planner sees the modelled chain of every
name without a put or shares, the closes up to that day (targets, realized vol, correlation), the account's
current exposure (put collateral and share value per name) as holdings, and all free cash. Fixed earnings /
ex-dividend dates from a watchlist are dropped (one date cannot describe 20 years), so the skip-earnings rule is
not applied. Tickets fill at the planner's limit price (mid on the tick grid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from putwheel.screener.context import underlying_context
from putwheel.screener.plan import build_plan
from putwheel.screener.portfolio import Holdings
from putwheel.screener.rules import PutRules, QualityThresholds, WatchItem, in_dte_window
from putwheel.screener.underlying import correlation_matrix


@dataclass(frozen=True)
class PlannerEntry:
    """The planner's rules for new puts; `items` give per-name targets (a name not listed: the default rule)."""

    rules: PutRules = field(default_factory=PutRules)
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    items: tuple[WatchItem, ...] = ()
    sectors: Mapping[str, str] = field(default_factory=dict)

    def item(self, name: str) -> WatchItem:
        for it in self.items:
            if it.symbol.upper() == name:
                return it.model_copy(update={"earnings_date": None, "ex_dividend_date": None})
        return WatchItem(symbol=name)


def plan_puts(entry: PlannerEntry, chain: pd.DataFrame, names: Sequence[str], closes: pd.DataFrame, rate: float,
              free_cash: float, exposure: Mapping[str, float], as_of: pd.Timestamp) -> pd.DataFrame:
    """The planner's tickets (underlying, strike, expiry, contracts, limit_price) for `names` on `as_of`.

    `chain`: today's modelled chain for those names; `closes`: history up to `as_of` (every name, for the
    correlation rule); `exposure`: collateral and share value of the names already held.
    """
    none = pd.DataFrame(columns=["underlying", "strike", "expiry", "contracts", "limit_price"])
    if chain.empty or free_cash <= 0:
        return none
    ctx, _ = underlying_context([entry.item(n) for n in names], chain, closes, entry.sectors, rate, entry.rules,
                                entry.quality)
    # The screen only ever picks puts inside the DTE window (its first rule, `in_dte_window`): the rest of the chain
    # (calls, other expiries) would only be given reasons nobody reads here, so build_plan does not see it; the
    # context above saw the whole chain (its liquidity score uses every expiry).
    keep = (chain["right"].to_numpy() == "P") & in_dte_window(chain["dte"].to_numpy(), entry.rules)
    if not keep.any():
        return none
    # nor are the labels only a ticket's reader wants (OSI symbol, quote time, data quality, last trade)
    cols = [c for c in chain.columns if c not in ("occ_symbol", "quote_time", "quality", "last")]
    held = {n: v for n, v in exposure.items() if v > 0}
    holdings = Holdings(exposure_by_name=dict(held), sector_by_name={n: entry.sectors.get(n, "unknown") for n in held})
    corr = correlation_matrix(closes) if len(closes) > 30 and closes.shape[1] > 1 else None
    plan = build_plan(chain.loc[keep, cols].reset_index(drop=True), ctx, entry.rules, free_cash, as_of, holdings, corr,
                      explain=False)
    return plan.tickets.loc[:, ["underlying", "strike", "expiry", "contracts", "limit_price"]]
