"""Orders: what a strategy asks a broker for, the same object in a backtest, paper trading and a live account.

The Wheel engine (and, next, `putwheel run`) turns decisions into `Order`s; a `Broker` fills them. The backtest's
broker is `backtest.wheel.broker.SimulatedBroker` (mid less / plus a share of the half-spread, commission per
contract); paper and live brokers implement the same `Broker` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import InputError


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Intent(StrEnum):
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Order:
    """A limit order for one option contract (a multi-leg order is a tuple of these sharing `client_order_id`).

    `reason_code` is the `strategy.reasons` code of the decision behind it; `limit` is per share (None: the
    broker's fill model decides, as a simulated market order at mid +/- slippage).
    """

    client_order_id: str
    contract: OptionContract
    side: Side
    intent: Intent
    quantity: int
    limit: Decimal | None
    reason_code: int
    placed: date

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity <= 0:
            raise InputError(f"an order needs a positive whole quantity, got {self.quantity!r}",
                             where=self.client_order_id, hint="contracts, e.g. 1")
        if self.limit is not None and (not self.limit.is_finite() or self.limit < 0):
            raise InputError(f"limit {self.limit} is not a price", where=self.client_order_id,
                             hint="a non-negative price per share")
        if not self.client_order_id.strip():
            raise InputError("an order needs a client order id", where="order", hint="any unique text")

    def collateral(self) -> Decimal:
        """Cash a sell-to-open put locks: strike x multiplier x contracts (0 for anything else)."""
        if self.side is Side.SELL and self.intent is Intent.OPEN and not self.contract.right.is_call:
            return self.contract.collateral_per_contract() * self.quantity
        return Decimal(0)


@dataclass(frozen=True, slots=True)
class Execution:
    """What a broker reports for an order: contracts filled, average price per share, fees."""

    client_order_id: str
    filled: int
    price: Decimal
    fees: Decimal


class Broker(Protocol):
    """Anything that takes orders and reports executions (simulated, paper or live)."""

    def submit(self, order: Order) -> Execution | None: ...
