"""The backtest's broker: fills an `Order` against a quote with the Wheel's one fill model.

A sale fills at mid less `slippage` of the half-spread, a buy at mid plus it (`strategy.core.sell_price1` /
`buy_price1`, the functions the compiled engine books its fills with), and pays `commission` per contract. A limit
order fills only at its limit or better. Paper and live brokers implement the same `domain.orders.Broker`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from putwheel.domain.money import to_decimal
from putwheel.domain.orders import Execution, Order, Side
from putwheel.strategy import core

Quote = Callable[[Order], tuple[float, float]]   # (bid, ask) of the order's contract now


@dataclass
class SimulatedBroker:
    """Fills orders on the quotes `quote` gives; `free_cash` guards every put it opens (fully cash-secured)."""

    quote: Quote
    slippage: float = 0.0
    commission: float = 0.65
    free_cash: float = 0.0

    def submit(self, order: Order) -> Execution | None:
        bid, ask = self.quote(order)
        price = core.fill_at(order.side is Side.SELL, bid, ask, self.slippage,
                             None if order.limit is None else float(order.limit))
        if price is None:
            return None
        need = float(order.collateral())
        if need > self.free_cash + 1e-6:
            return None   # never open a put whose full collateral is not free cash
        self.free_cash -= need
        fees = to_decimal(round(self.commission * order.quantity, 6), what="fees")
        return Execution(order.client_order_id, order.quantity, Decimal(repr(round(price, 6))), fees)
