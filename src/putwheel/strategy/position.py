"""What the manager decides about: a position (`PositionLike`, `Leg`) and the market around it (`MarketView`).

Stages: value types validated at construction -> `positions_frame` / `MarketView.market_frame` turn them into the
one-row-per-position frames that `decide_many` works on, so the single and the batch form share one code path.
A share lot is a `Leg` with `right=None` (no strike, no expiry) whose `contracts` counts *uncovered shares*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from putwheel.domain.contract import Right
from putwheel.domain.errors import InputError

VolSurface = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""iv(strike, t_years) -> annual vol, both arrays (broadcast)."""

POSITION_COLUMNS = ("underlying", "right", "strike", "expiry", "contracts", "open_premium", "opened",
                    "share_cost_basis", "multiplier")
MARKET_COLUMNS = ("spot", "rate", "dividend_yield", "iv", "realized_vol", "ex_dividend_date", "dividend", "quote_date")
CHAIN_COLUMNS = ("underlying", "expiry", "strike", "right", "bid", "ask")


@runtime_checkable
class PositionLike(Protocol):
    """Anything the ledger or the backtester holds: one option leg or one lot of uncovered shares."""

    @property
    def underlying(self) -> str: ...
    @property
    def right(self) -> Right | None: ...  # None: a share lot
    @property
    def strike(self) -> float | None: ...
    @property
    def expiry(self) -> date | None: ...
    @property
    def contracts(self) -> int: ...  # options: signed contracts (negative = short); shares: uncovered share count
    @property
    def open_premium(self) -> float: ...  # per share, as sold (positive)
    @property
    def opened(self) -> date: ...
    @property
    def share_cost_basis(self) -> float | None: ...  # per share, premium-adjusted; needed for share lots


@dataclass(frozen=True, slots=True)
class Leg:
    """A concrete `PositionLike` for tests, backtests and position files."""

    underlying: str
    right: Right | None
    strike: float | None
    expiry: date | None
    contracts: int
    open_premium: float
    opened: date
    share_cost_basis: float | None = None
    multiplier: int = 100
    net_credit: float | None = None   # per share across all rolls (None: the open premium, a position never rolled)

    def __post_init__(self) -> None:
        object.__setattr__(self, "underlying", str(self.underlying).strip().upper())
        if not self.underlying:
            raise InputError("a position needs an underlying symbol")
        if self.right is not None:
            object.__setattr__(self, "right", Right.parse(self.right))
        where = f"{self.underlying} position"
        if self.contracts == 0 or isinstance(self.contracts, bool) or not isinstance(self.contracts, int | np.integer):
            raise InputError(f"contracts must be a non-zero whole number, got {self.contracts!r}", where=where)
        if self.right is None:
            self._check_shares(where)
            return
        if self.strike is None or not np.isfinite(self.strike) or self.strike <= 0:
            raise InputError(f"an option leg needs a positive strike, got {self.strike!r}", where=where)
        if not isinstance(self.expiry, date):
            raise InputError(f"an option leg needs an expiry date, got {self.expiry!r}", where=where)
        if not np.isfinite(self.open_premium) or self.open_premium < 0:
            raise InputError(f"open_premium must be a non-negative price per share, got {self.open_premium!r}",
                             where=where, hint="the premium received per share when the option was sold, e.g. 2.15")
        if self.expiry < self.opened:
            raise InputError(f"expiry {self.expiry} is before the open date {self.opened}", where=where)

    def _check_shares(self, where: str) -> None:
        if self.contracts < 0:
            raise InputError("short stock is not part of the Wheel", where=where)
        basis = self.share_cost_basis
        if basis is None or not np.isfinite(basis) or basis <= 0:
            raise InputError("a share lot needs a positive share_cost_basis", where=where,
                             hint="the assignment strike minus premiums collected, per share")

    @classmethod
    def shares(cls, underlying: str, quantity: int, cost_basis: float, opened: date) -> Leg:
        """A lot of uncovered shares (e.g. just assigned), the start of the covered-call phase."""
        return cls(underlying, None, None, None, quantity, 0.0, opened, cost_basis)


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


def positions_frame(positions: Iterable[PositionLike]) -> pd.DataFrame:
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
            "multiplier": int(getattr(p, "multiplier", 100)),
            "net_credit": float(credit) if (credit := getattr(p, "net_credit", None)) is not None else float(p.open_premium),
        })
    return pd.DataFrame(rows, columns=[*POSITION_COLUMNS, "net_credit"])
