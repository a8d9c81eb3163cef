"""Alpaca's wire format <-> our types, for `AlpacaBroker`: status and activity codes, OCC symbols, money as
`Decimal`, error bodies, and our orders as alpaca-py request models (pure functions: no network here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from math import gcd

from alpaca.trading.enums import OrderClass, OrderSide, PositionIntent, TimeInForce
from alpaca.trading.enums import OrderStatus as AlpacaStatus
from alpaca.trading.requests import LimitOrderRequest, OptionLegRequest
from pydantic import ValidationError

from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import InputError
from putwheel.domain.money import to_decimal
from putwheel.domain.orders import ActivityKind, ComboOrder, Intent, Order, OrderReport, OrderStatus, Side
from putwheel.execution.brokers.errors import BrokerError, one_line

STATUS_MAP: dict[AlpacaStatus, OrderStatus] = {
    AlpacaStatus.NEW: OrderStatus.ACCEPTED,  # Alpaca's "new" = received and routed: acknowledged, in our terms
    AlpacaStatus.PENDING_NEW: OrderStatus.ACCEPTED,
    AlpacaStatus.ACCEPTED: OrderStatus.ACCEPTED,
    AlpacaStatus.ACCEPTED_FOR_BIDDING: OrderStatus.ACCEPTED,
    AlpacaStatus.PENDING_REVIEW: OrderStatus.ACCEPTED,
    AlpacaStatus.HELD: OrderStatus.ACCEPTED,
    AlpacaStatus.CALCULATED: OrderStatus.ACCEPTED,
    AlpacaStatus.STOPPED: OrderStatus.ACCEPTED,
    AlpacaStatus.SUSPENDED: OrderStatus.ACCEPTED,
    AlpacaStatus.DONE_FOR_DAY: OrderStatus.ACCEPTED,  # a day order then turns canceled / expired
    AlpacaStatus.PENDING_CANCEL: OrderStatus.ACCEPTED,  # still live until Alpaca says canceled
    AlpacaStatus.PENDING_REPLACE: OrderStatus.ACCEPTED,
    AlpacaStatus.REPLACED: OrderStatus.ACCEPTED,  # only seen when the replacement cannot be followed
    AlpacaStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    AlpacaStatus.FILLED: OrderStatus.FILLED,
    AlpacaStatus.CANCELED: OrderStatus.CANCELLED,
    AlpacaStatus.EXPIRED: OrderStatus.EXPIRED,
    AlpacaStatus.REJECTED: OrderStatus.REJECTED,
}

ACTIVITY_KINDS = {"OPASN": ActivityKind.ASSIGNMENT, "OPEXC": ActivityKind.EXERCISE, "OPEXP": ActivityKind.EXPIRATION}

_INTENT = {
    (Side.SELL, Intent.OPEN): PositionIntent.SELL_TO_OPEN,
    (Side.BUY, Intent.CLOSE): PositionIntent.BUY_TO_CLOSE,
    (Side.BUY, Intent.OPEN): PositionIntent.BUY_TO_OPEN,
    (Side.SELL, Intent.CLOSE): PositionIntent.SELL_TO_CLOSE,
}


def _dec(value: object, what: str) -> Decimal:
    try:
        return to_decimal(value if isinstance(value, (int, float, Decimal)) else str(value), what=what)
    except InputError as exc:
        raise BrokerError(f"Alpaca sent an unreadable {what}: {value!r}") from exc


def _contracts(value: object, what: str = "quantity") -> int:
    qty = _dec(value, what)
    if qty != qty.to_integral_value():
        raise BrokerError(f"Alpaca sent a fractional option {what}: {value!r}")
    return int(qty)


def _occ(symbol: object) -> OptionContract:
    try:
        return OptionContract.from_occ(str(symbol))
    except InputError:
        raise BrokerError(f"Alpaca sent {symbol!r}, which is not an OCC option symbol") from None


def _price_float(price: Decimal) -> float:
    # alpaca-py's request models carry prices as floats; options trade in cents, so the float is exact enough
    return float(price.quantize(Decimal("0.01")))


def _rejected(client_order_id: str, limit: Decimal | None) -> OrderReport:
    return OrderReport(client_order_id, "", OrderStatus.REJECTED, 0, limit)


def _limit_of(order: Order | ComboOrder) -> Decimal | None:
    if isinstance(order, ComboOrder):
        return order.net_limit
    return order.limit


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _error_body(text: str) -> tuple[int | None, str]:
    """Alpaca's `{"code": 40310000, "message": "..."}` error body, or the raw text when it is not JSON."""
    try:
        body = json.loads(text)
    except ValueError:
        return None, text or "no message"
    if not isinstance(body, dict):
        return None, text
    code = body.get("code")
    return (int(code) if isinstance(code, int) else None), str(body.get("message", text))


def _order_request(order: Order | ComboOrder) -> LimitOrderRequest:
    """Our order as alpaca-py's request: a day limit order on the OCC symbol, or one mleg order for a combo."""
    try:
        if isinstance(order, ComboOrder):
            unit = 0
            for leg in order.legs:
                unit = gcd(unit, leg.quantity)
            legs = [OptionLegRequest(symbol=leg.contract.compact_symbol, ratio_qty=leg.quantity // unit,
                                     side=OrderSide(leg.side.value), position_intent=_INTENT[(leg.side, leg.intent)])
                    for leg in order.legs]
            return LimitOrderRequest(qty=unit, order_class=OrderClass.MLEG, legs=legs, time_in_force=TimeInForce.DAY,
                                     limit_price=_price_float(-order.net_limit), client_order_id=order.client_order_id)
        if order.limit is None:
            raise InputError("a live option order needs a limit price", where=order.client_order_id,
                             hint="price it with the pricing policy before sending")
        return LimitOrderRequest(symbol=order.contract.compact_symbol, qty=order.quantity, side=OrderSide(order.side.value),
                                 position_intent=_INTENT[(order.side, order.intent)], time_in_force=TimeInForce.DAY,
                                 limit_price=_price_float(order.limit), client_order_id=order.client_order_id)
    except ValidationError as exc:
        raise InputError(f"alpaca-py refused the order: {one_line(exc.errors()[0].get('msg', exc))}",
                         where=order.client_order_id) from None
