"""Orders: what a strategy asks a broker for, the same object in a backtest, paper trading and a live account.

The Wheel engine (and, next, `putwheel run`) turns decisions into `Order`s; a `Broker` fills them. The backtest's
broker is `backtest.wheel.broker.SimulatedBroker` (mid less / plus a share of the half-spread, commission per
contract); paper and live brokers implement the same `Broker` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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


# --- live and paper execution (`putwheel run`) -------------------------------------------------------------------
# The backtest's `Broker.submit` fills at once. A paper or live broker is asynchronous: an order is placed, moves
# through states, fills in parts, may be replaced (limit walked), cancelled, rejected or expire. `LiveBroker` is the
# one interface `putwheel run` drives (paper, Alpaca, IBKR); every adapter maps its wire format onto these types.


class OrderStatus(StrEnum):
    NEW = "new"                      # persisted in the ledger, not yet acknowledged by the broker
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


@dataclass(frozen=True, slots=True)
class ComboOrder:
    """A multi-leg order (a roll: buy-to-close one contract, sell-to-open another) at one net limit.

    `net_limit` is per share and signed as cash: positive = a net credit of at least this much, negative = a net
    debit of at most this much. Each leg is an `Order` whose `client_order_id` equals the combo's.
    """

    client_order_id: str
    legs: tuple[Order, ...]
    net_limit: Decimal
    reason_code: int
    placed: date

    def __post_init__(self) -> None:
        if len(self.legs) < 2:
            raise InputError("a combo order needs at least two legs", where=self.client_order_id,
                             hint="send a single Order instead")
        if any(leg.client_order_id != self.client_order_id for leg in self.legs):
            raise InputError("every leg of a combo carries the combo's client order id", where=self.client_order_id,
                             hint="build the legs with the same client_order_id")
        if not self.net_limit.is_finite():
            raise InputError(f"net limit {self.net_limit} is not a price", where=self.client_order_id,
                             hint="a net credit (+) or debit (-) per share")

    def collateral(self) -> Decimal:
        """Cash the combo locks once filled: the puts it opens less the puts it closes, never below 0."""
        opened = sum((leg.collateral() for leg in self.legs), Decimal(0))
        closed = sum((leg.contract.collateral_per_contract() * leg.quantity for leg in self.legs
                      if leg.side is Side.BUY and leg.intent is Intent.CLOSE and not leg.contract.right.is_call),
                     Decimal(0))
        return max(opened - closed, Decimal(0))


@dataclass(frozen=True, slots=True)
class BrokerFill:
    """One execution as the broker reports it; `fill_id` is the broker's execution id (unique, used to de-duplicate)."""

    fill_id: str
    client_order_id: str
    contract: OptionContract
    side: Side
    quantity: int
    price: Decimal             # per share
    fees: Decimal
    time: datetime             # tz-aware UTC


@dataclass(frozen=True, slots=True)
class OrderReport:
    """The broker's view of one order now: its state, what has filled, and why it was refused if it was."""

    client_order_id: str
    broker_order_id: str
    status: OrderStatus
    filled: int
    limit: Decimal | None
    fills: tuple[BrokerFill, ...] = ()
    message: str = ""


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    """A position the broker holds: an option (`contract` set) or shares (`contract` None); quantity signed."""

    symbol: str
    quantity: int
    average_price: Decimal
    contract: OptionContract | None = None


class ActivityKind(StrEnum):
    ASSIGNMENT = "assignment"
    EXERCISE = "exercise"
    EXPIRATION = "expiration"


@dataclass(frozen=True, slots=True)
class BrokerActivity:
    """A non-trade event the broker reports (Alpaca OPASN/OPEXC/OPEXP, IBKR OptionEAE)."""

    activity_id: str
    kind: ActivityKind
    contract: OptionContract
    quantity: int              # contracts (positive)
    on: date


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    """Cash and buying power as the broker reports them, with its positions."""

    account_id: str
    cash: Decimal
    buying_power: Decimal
    positions: tuple[BrokerPosition, ...]


class LiveBroker(Protocol):
    """What `putwheel run` drives: paper, Alpaca, IBKR. Every method is keyed by our `client_order_id`."""

    name: str
    supports_combo: bool

    def account(self) -> BrokerAccount: ...

    def place(self, order: Order | ComboOrder) -> OrderReport: ...

    def replace(self, client_order_id: str, limit: Decimal) -> OrderReport: ...

    def cancel(self, client_order_id: str) -> OrderReport: ...

    def order(self, client_order_id: str) -> OrderReport | None: ...

    def open_orders(self) -> list[OrderReport]: ...

    def activities(self, since: date) -> list[BrokerActivity]: ...
