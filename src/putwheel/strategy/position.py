"""What the manager decides about: a position (the domain `OpenPosition`) and the market around it (`MarketView`).

Stages: value types validated at construction -> `positions_frame` / `MarketView.market_frame` turn them into the
one-row-per-position frames that `decide_many` works on, so the single and the batch form share one code path.
A share lot is an `OpenPosition` with `right=None` (`domain.holding.share_lot`) whose `contracts` counts
*uncovered shares*; hand-typed positions come from `option_position` / `share_lot`, which validate them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from putwheel.domain.contract import Right
from putwheel.domain.errors import InputError
from putwheel.domain.holding import OpenPosition

VolSurface = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""iv(strike, t_years) -> annual vol, both arrays (broadcast)."""

POSITION_COLUMNS = ("underlying", "right", "strike", "expiry", "contracts", "open_premium", "opened",
                    "share_cost_basis", "multiplier")
MARKET_COLUMNS = ("spot", "rate", "dividend_yield", "iv", "realized_vol", "ex_dividend_date", "dividend", "quote_date")
CHAIN_COLUMNS = ("underlying", "expiry", "strike", "right", "bid", "ask")


@dataclass(frozen=True)
class MarketView:
    """One underlying's market on `as_of`: spot, carry, vol (flat or a surface), next dividend, optional chain.

    `chain` uses the data layer's chain schema (`underlying, expiry, strike, right, bid, ask`, optional `mid`,
    `iv`); it is where roll and covered-call candidates come from. `realized_vol` is the vol used for the
    real-world expected value of a candidate (default: the implied vol, which leaves only the spread as edge).
    """

    spot: float
    as_of: date
    rate: float = 0.04
    dividend_yield: float = 0.0
    iv: float | VolSurface | None = None
    realized_vol: float | None = None
    ex_dividend_date: date | None = None
    dividend: float = 0.0
    chain: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.spot) or self.spot <= 0:
            raise InputError(f"spot must be a positive price, got {self.spot!r}")
        if not np.isfinite(self.rate) or not -0.05 < self.rate < 0.5:
            raise InputError(f"rate {self.rate} is not a plausible annual rate", hint="a fraction, e.g. 0.045")
        if not np.isfinite(self.dividend) or self.dividend < 0:
            raise InputError(f"dividend must be a non-negative amount per share, got {self.dividend!r}")
        if isinstance(self.iv, float | int) and (not np.isfinite(self.iv) or self.iv <= 0):
            raise InputError(f"iv must be a positive annual vol, got {self.iv!r}", hint="a fraction, e.g. 0.25")

    def vol_at(self, strike: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The view's implied vol at (strike, t); NaN where it has none."""
        strike, t = np.asarray(strike, dtype=float), np.asarray(t, dtype=float)
        if self.iv is None:
            return np.full(np.broadcast(strike, t).shape, np.nan)
        if callable(self.iv):
            return np.broadcast_to(np.asarray(self.iv(strike, t), dtype=float), np.broadcast(strike, t).shape).copy()
        return np.full(np.broadcast(strike, t).shape, float(self.iv))

    def market_frame(self, underlying: str) -> pd.DataFrame:
        """The one-row market frame `decide_many` expects, indexed by underlying."""
        row = {"spot": self.spot, "rate": self.rate, "dividend_yield": self.dividend_yield,
               "iv": float(self.iv) if isinstance(self.iv, float | int) else np.nan,
               "realized_vol": np.nan if self.realized_vol is None else float(self.realized_vol),
               "ex_dividend_date": pd.Timestamp(self.ex_dividend_date) if self.ex_dividend_date else pd.NaT,
               "dividend": self.dividend, "quote_date": pd.Timestamp(self.as_of)}
        return pd.DataFrame([row], index=pd.Index([underlying.upper()], name="underlying"))

    def chain_frame(self, as_of: date) -> pd.DataFrame | None:
        """The chain with `iv` filled from the surface where the chain has none."""
        if self.chain is None or not callable(self.iv):
            return self.chain
        chain = self.chain.copy()
        t = (pd.to_datetime(chain["expiry"]) - pd.Timestamp(as_of)).dt.days.to_numpy(dtype=float) / 365.0
        surface = self.vol_at(chain["strike"].to_numpy(dtype=float), t)
        iv = chain["iv"].to_numpy(dtype=float) if "iv" in chain else np.full(len(chain), np.nan)
        chain["iv"] = np.where(np.isfinite(iv), iv, surface)
        return chain


SHARES_PER_CONTRACT = 100  # a standard equity option's deliverable


def positions_frame(positions: Iterable[OpenPosition]) -> pd.DataFrame:
    """Positions as the frame `decide_many` takes (one row each, in order)."""
    rows = []
    for p in positions:
        right = p.right
        rows.append({
            "underlying": str(p.underlying).upper(), "right": "" if right is None else Right.parse(right).value,
            "strike": np.nan if p.strike is None else float(p.strike),
            "expiry": pd.Timestamp(p.expiry) if p.expiry is not None else pd.NaT,
            "contracts": int(p.contracts), "open_premium": float(p.open_premium), "opened": pd.Timestamp(p.opened),
            "share_cost_basis": np.nan if p.share_cost_basis is None else float(p.share_cost_basis),
            # a share lot's row carries the contract size its covered calls would have (shares per contract)
            "multiplier": SHARES_PER_CONTRACT if right is None else int(p.multiplier),
            "net_credit": float(credit) if (credit := p.net_credit) is not None else float(p.open_premium),
        })
    return pd.DataFrame(rows, columns=[*POSITION_COLUMNS, "net_credit"])
