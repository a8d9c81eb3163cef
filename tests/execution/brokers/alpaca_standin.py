"""A local stand-in for Alpaca's Trading API v2 on 127.0.0.1 (pytest-httpserver), speaking its documented JSON.

It keeps orders in memory and answers the endpoints `AlpacaBroker` uses: POST/GET/PATCH/DELETE /v2/orders...,
GET /v2/orders:by_client_order_id, /v2/account, /v2/positions, /v2/account/activities[/FILL]. Response bodies follow
the shapes in Alpaca's API reference (the same example objects alpaca-py's own tests use); tests move orders through
states with `fill()` / `set_status()` and queue refusals with `refuse_next()`.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from werkzeug import Request, Response

CREATED = "2026-12-04T15:00:01.000000Z"


def order_json(**fields: Any) -> dict[str, Any]:
    """An Order object as Alpaca documents it (every key present, nulls where unset)."""
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()), "client_order_id": str(uuid.uuid4()), "created_at": CREATED,
        "updated_at": CREATED, "submitted_at": CREATED, "filled_at": None, "expired_at": None, "canceled_at": None,
        "failed_at": None, "replaced_at": None, "replaced_by": None, "replaces": None,
        "asset_id": str(uuid.uuid4()), "symbol": "", "asset_class": "us_option", "notional": None, "qty": "1",
        "filled_qty": "0", "filled_avg_price": None, "order_class": "simple", "order_type": "limit", "type": "limit",
        "side": "sell", "position_intent": "sell_to_open", "time_in_force": "day", "limit_price": None,
        "stop_price": None, "status": "accepted", "extended_hours": False, "legs": None, "trail_percent": None,
        "trail_price": None, "hwm": None, "ratio_qty": None,
    }
    base.update(fields)
    return base


ACCOUNT = {
    "id": "904837e3-3b76-47ec-b432-046db621571b", "account_number": "PA3W2X9TEST1", "status": "ACTIVE",
    "crypto_status": "ACTIVE", "currency": "USD", "buying_power": "80000.00", "regt_buying_power": "80000.00",
    "daytrading_buying_power": "0", "non_marginable_buying_power": "40000.00", "options_buying_power": "40000.00",
    "cash": "40000.12", "accrued_fees": "0", "portfolio_value": "52000.12", "pattern_day_trader": False,
    "trading_blocked": False, "transfers_blocked": False, "account_blocked": False,
    "created_at": "2026-01-05T17:25:48.000000Z", "trade_suspended_by_user": False, "multiplier": "2",
    "shorting_enabled": True, "equity": "52000.12", "last_equity": "51800.00", "long_market_value": "12100.00",
    "short_market_value": "-100.00", "initial_margin": "0", "maintenance_margin": "0", "sma": "0",
    "daytrade_count": 0, "options_approved_level": 3, "options_trading_level": 3,
}


def position_json(symbol: str, qty: str, side: str, avg: str, asset_class: str) -> dict[str, Any]:
    return {"asset_id": str(uuid.uuid4()), "symbol": symbol, "exchange": "" if asset_class == "us_option" else "ARCA",
            "asset_class": asset_class, "asset_marginable": asset_class != "us_option", "qty": qty,
            "avg_entry_price": avg, "side": side, "market_value": "0", "cost_basis": "0", "unrealized_pl": "0",
            "unrealized_plpc": "0", "unrealized_intraday_pl": "0", "unrealized_intraday_plpc": "0",
            "current_price": avg, "lastday_price": avg, "change_today": "0", "qty_available": qty}


@dataclass
class AlpacaStandIn:
    """In-memory Alpaca: orders by id, FILL and non-trade activities, positions; records every request."""

    key_id: str
    secret_key: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    account: dict[str, Any] = field(default_factory=lambda: dict(ACCOUNT))
    requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]] = field(default_factory=list)
    _refusals: list[tuple[int, dict[str, Any] | str, str | None]] = field(default_factory=list)
    _then: Any = None
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    # --- test controls --------------------------------------------------------------------------------------------

    def refuse_next(self, status: int, body: dict[str, Any] | str, *, method: str | None = None,
                    then: Any = None) -> None:
        """Answer the next request (of `method`, if given) with `status` / `body`; `then()` runs first (a race)."""
        self._refusals.append((status, body, method))
        self._then = then

    def by_client_id(self, client_order_id: str) -> dict[str, Any]:
        return next(o for o in self.orders.values() if o["client_order_id"] == client_order_id)

    def set_status(self, order_id: str, status: str) -> None:
        self.orders[order_id]["status"] = status

    def fill(self, order_id: str, qty: int, price: str, *, leg_symbol: str | None = None) -> None:
        """Record an execution on an order (or on one leg of an mleg order) as Alpaca's FILL activity."""
        order = self.orders[order_id]
        target = order
        if leg_symbol is not None:
            target = next(leg for leg in order["legs"] if leg["symbol"] == leg_symbol)
        done = int(target["filled_qty"]) + qty
        target["filled_qty"] = str(done)
        target["filled_avg_price"] = price
        total = int(target["qty"])
        target["status"] = "filled" if done >= total else "partially_filled"
        if leg_symbol is not None:
            order["filled_qty"] = str(min(_n(leg["filled_qty"]) // _n(leg["ratio_qty"] or 1) for leg in order["legs"]))
            order["status"] = "filled" if all(leg["status"] == "filled" for leg in order["legs"]) else "partially_filled"
        n = next(self._seq)
        self.fills.append({
            "id": f"20261204150{n:03d}000::{uuid.uuid4()}", "activity_type": "FILL",
            "transaction_time": f"2026-12-04T15:{n:02d}:00.5Z",
            "type": "fill" if done >= total else "partial_fill", "price": price, "qty": str(qty),
            "side": target["side"], "symbol": target["symbol"], "leaves_qty": str(total - done),
            "order_id": target["id"], "cum_qty": str(done), "order_status": target["status"],
        })

    # --- the wire -------------------------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.data else None
        self.requests.append((request.method, request.path, body, dict(request.args)))
        if request.headers.get("APCA-API-KEY-ID") != self.key_id or request.headers.get("APCA-API-SECRET-KEY") != self.secret_key:
            return _json(403, {"message": "forbidden."})
        if self._refusals and self._refusals[0][2] in (None, request.method):
            status, refusal, _ = self._refusals.pop(0)
            if self._then is not None:
                self._then()
                self._then = None
            return _json(status, refusal)
        return self._route(request.method, request.path, body, request.args)

    def _route(self, method: str, path: str, body: Any, args: Any) -> Response:
        if path == "/v2/account":
            return _json(200, self.account)
        if path == "/v2/positions":
            return _json(200, self.positions)
        if path == "/v2/account/activities":
            kinds = set(str(args.get("activity_types", "")).split(","))
            after = str(args.get("after", ""))
            return _json(200, [a for a in self.activities if a["activity_type"] in kinds and a["date"] > after[:10]])
        if path == "/v2/account/activities/FILL":
            return _json(200, list(self.fills))
        if path == "/v2/orders:by_client_order_id":
            found = [o for o in self.orders.values() if o["client_order_id"] == args.get("client_order_id")]
            return _json(200, found[0]) if found else _json(404, {"code": 40410000, "message": "order not found"})
        if path == "/v2/orders" and method == "POST":
            return self._submit(body)
        if path == "/v2/orders" and method == "GET":
            live = [o for o in self.orders.values() if o["status"] in ("new", "accepted", "partially_filled", "pending_new")]
            return _json(200, live)
        order_id = path.removeprefix("/v2/orders/")
        if order_id not in self.orders:
            return _json(404, {"code": 40410000, "message": "order not found"})
        if method == "GET":
            return _json(200, self.orders[order_id])
        if method == "PATCH":
            return self._replace(order_id, body)
        if method == "DELETE":
            order = self.orders[order_id]
            if order["status"] in ("filled", "canceled", "expired", "rejected", "replaced"):
                return _json(422, {"code": 42210000, "message": f"order is already in \"{order['status']}\" state"})
            order["status"] = "canceled"
            order["canceled_at"] = CREATED
            return Response(status=204)
        return _json(404, {"message": "Not Found"})

    def _submit(self, body: dict[str, Any]) -> Response:
        if any(o["client_order_id"] == body.get("client_order_id") for o in self.orders.values()):
            return _json(422, {"code": 40010001, "message": "client_order_id must be unique"})
        common = {"qty": str(_n(body["qty"])), "limit_price": str(body["limit_price"]), "time_in_force": body["time_in_force"],
                  "client_order_id": body.get("client_order_id", str(uuid.uuid4())), "status": "accepted"}
        if body.get("order_class") == "mleg":
            legs = [order_json(symbol=leg["symbol"], side=leg["side"], position_intent=leg["position_intent"],
                               ratio_qty=str(_n(leg["ratio_qty"])), qty=str(_n(body["qty"]) * _n(leg["ratio_qty"])),
                               order_class="mleg", limit_price=None, status="accepted") for leg in body["legs"]]
            order = order_json(**common, order_class="mleg", symbol="", side="", position_intent="", asset_class="",
                               legs=legs)
        else:
            order = order_json(**common, symbol=body["symbol"], side=body["side"], position_intent=body["position_intent"])
        self.orders[order["id"]] = order
        for leg in order["legs"] or []:
            self.orders[leg["id"]] = leg
        return _json(200, order)

    def _replace(self, order_id: str, body: dict[str, Any]) -> Response:
        old = self.orders[order_id]
        if old["status"] not in ("new", "accepted", "partially_filled"):
            return _json(422, {"code": 42210000, "message": "order is not replaceable"})
        new = dict(old, id=str(uuid.uuid4()), client_order_id=body.get("client_order_id", str(uuid.uuid4())),
                   replaces=order_id, limit_price=str(body["limit_price"]), status="accepted", filled_qty="0",
                   filled_avg_price=None)
        if "qty" in body:
            new["qty"] = str(_n(body["qty"]))
        old["status"] = "replaced"
        old["replaced_by"] = new["id"]
        self.orders[new["id"]] = new
        return _json(200, new)


def _n(value: Any) -> int:
    return int(Decimal(str(value)))


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body) if not isinstance(body, str) else body, status=status,
                    content_type="application/json")
