"""New puts chosen by the planner (`putwheel plan`'s rules: `screener.core.plan_rows`, which `build_plan` wraps)
inside the multi-name Wheel.

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

How (issue #10): `plan_puts` runs the plan's array core on the modelled chain's columns -- the per-name context
(`context_rows`, `quality_verdict`) and `core.plan_rows` -- with no frame and no English built (reason codes only),
the same functions `putwheel plan` wraps, so a rule exists once. ~1.5-2.2 ms a call instead of ~17 ms through frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from putwheel.screener import core
from putwheel.screener.context import FUNDAMENTALS, context_rows
from putwheel.screener.portfolio import Holdings
from putwheel.screener.rules import UNKNOWN_SECTOR, PutRules, QualityThresholds, WatchItem, in_dte_window
from putwheel.screener.underlying import correlation_matrix, quality_verdict


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


@dataclass(frozen=True)
class Tickets:
    """The planner's tickets as arrays, in `putwheel plan`'s ticket order (by expiry, then name)."""

    underlying: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray      # datetime64[ns]
    contracts: np.ndarray
    limit_price: np.ndarray

    def __len__(self) -> int:
        return len(self.underlying)

    def frame(self) -> pd.DataFrame:
        """The columns of `build_plan`'s tickets frame of the same name (for a reader, or a test)."""
        return pd.DataFrame({"underlying": self.underlying, "strike": self.strike, "expiry": self.expiry,
                             "contracts": self.contracts, "limit_price": self.limit_price})


_NONE = Tickets(np.array([], dtype=object), np.array([]), np.array([], dtype="datetime64[ns]"), np.array([], dtype=int),
                np.array([]))
_CHAIN = ("underlying", "spot", "expiry", "strike", "right", "bid", "ask", "mid", "volume", "open_interest", "iv", "dte")


def _name_context(entry: PlannerEntry, chain: Mapping[str, np.ndarray], names: Sequence[str], closes: pd.DataFrame,
                  rate: float) -> dict[str, np.ndarray]:
    """`underlying_context`'s numbers the plan reads, one entry per name of the chain (`names` index), plus a last
    entry for a chain name with no context (no target: its puts are rejected, as `attach_context` leaves them)."""
    rows, _ = context_rows([entry.item(n) for n in names], chain, closes, entry.sectors, rate, entry.rules)
    nan = np.full(len(rows), np.nan)
    # the quality screen on the same inputs `underlying_context` gives it: no fundamentals in a backtest
    inputs = {**{f: nan for f in FUNDAMENTALS},
              **{f: np.array([r[f] for r in rows], dtype=float)
                 for f in ("realized_vol", "max_drawdown", "option_spread_pct", "option_open_interest")}}
    _, score, _, hard = quality_verdict(inputs, entry.quality)
    out = {f: np.array([r[f] for r in rows] + [np.nan], dtype=float)
           for f in ("target_price", "rate", "dividend_yield", "realized_vol")}
    for f in ("earnings_date", "ex_dividend_date"):
        out[f] = np.array([pd.Timestamp(r[f]).to_datetime64() for r in rows] + [np.datetime64("NaT")],
                          dtype="datetime64[ns]")
    out["quality_fail"] = np.append(~np.isnan(score) & (hard != ""), False)   # not judged (NaN score) passes
    out["sector"] = np.array([str(r["sector"]) for r in rows] + [UNKNOWN_SECTOR], dtype=object)
    out["symbol"] = np.array([str(r["symbol"]) for r in rows], dtype=object)
    return out


def plan_puts(entry: PlannerEntry, chain: Mapping[str, object] | pd.DataFrame, names: Sequence[str],
              closes: pd.DataFrame, rate: float, free_cash: float, exposure: Mapping[str, float],
              as_of: pd.Timestamp) -> Tickets:
    """The planner's tickets (underlying, strike, expiry, contracts, limit_price) for `names` on `as_of`.

    `chain`: today's modelled chain for those names, as columns (`data.modelled.modelled_columns`) or a frame;
    `closes`: history up to `as_of` (every name, for the correlation rule); `exposure`: collateral and share value
    of the names already held. The same rules as `putwheel plan` (`screener.core.plan_rows`, which `build_plan`
    wraps), on arrays: no frame and no English is built."""
    n_rows = len(np.asarray(chain["strike"]))
    if n_rows == 0 or free_cash <= 0:
        return _NONE
    cols = {c: np.asarray(chain[c]) for c in _CHAIN if c in chain}
    cols["underlying"] = np.asarray(cols["underlying"], dtype=object)   # (no copy when it is already objects)
    ctx = _name_context(entry, cols, names, closes, rate)
    # The screen only ever picks puts inside the DTE window (its first rule, `in_dte_window`): the rest of the chain
    # (calls, other expiries) would only be given reasons nobody reads here, so the plan does not see it; the
    # context above saw the whole chain (its liquidity score uses every expiry).
    keep = np.flatnonzero((cols["right"] == "P") & in_dte_window(cols["dte"], entry.rules))
    if not len(keep):
        return _NONE
    c = {name: v[keep] for name, v in cols.items()}
    multiplier = np.asarray(chain.get("multiplier", 100), dtype=float)   # one value for every row, or one per row
    c["multiplier"] = np.full(len(keep), float(multiplier)) if multiplier.ndim == 0 \
        else np.broadcast_to(multiplier, n_rows)[keep]
    if "mid" not in c:
        c["mid"] = (c["bid"].astype(float) + c["ask"].astype(float)) / 2
    where = {n: i for i, n in enumerate(ctx["symbol"])}
    at = np.full(len(keep), len(where))   # a name with no context: the last entry
    for n, i in where.items():   # one comparison per name, not a dict look-up per put
        at[c["underlying"] == n] = i
    for name in ("target_price", "rate", "dividend_yield", "realized_vol", "earnings_date", "ex_dividend_date",
                 "quality_fail"):
        c[name] = ctx[name][at]
    held = {n: v for n, v in exposure.items() if v > 0}
    holdings = Holdings(exposure_by_name=dict(held), sector_by_name={n: entry.sectors.get(n, UNKNOWN_SECTOR) for n in held})
    corr = correlation_matrix(closes) if len(closes) > 30 and closes.shape[1] > 1 else None
    plan = core.plan_rows(c, c["underlying"], ctx["sector"][at], entry.rules, free_cash,
                          np.datetime64(pd.Timestamp(as_of), "ns"), holdings, corr, greeks=False)
    rows = plan.candidates[plan.tickets]
    return Tickets(c["underlying"][rows], c["strike"][rows].astype(float), c["expiry"][rows].astype("datetime64[ns]"),
                   plan.contracts, plan.limit)
