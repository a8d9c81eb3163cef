"""`AlpacaBroker`: the `LiveBroker` interface over Alpaca's Trading API, through the official `alpaca-py` SDK.

Stages of every call: our types -> an `alpaca.trading.requests` model -> `TradingClient` (paper endpoint unless
`live=True`) -> the SDK's response model -> our types (money as `Decimal`, statuses as `OrderStatus`). Errors come
back as one-line `ConfigError` / `BrokerError` / `OrderRejected`, with both keys scrubbed from any broker text.

Wire facts this relies on (alpaca-py 0.44 `TradingClient`, Alpaca's Trading API reference):
- an option order is a `LimitOrderRequest` on the unpadded OCC symbol with `position_intent` (STO/BTC/...), day only;
- a roll is one `order_class="mleg"` order whose `limit_price` is signed the other way round from ours
  (Alpaca: positive = debit, negative = credit; `ComboOrder.net_limit`: positive = credit);
- a replace (`PATCH /v2/orders/{id}`) makes a NEW order (`replaced_by` / `replaces`); we name it `<ours>#r<n>` and
  follow the chain from our client order id, so every report is still keyed by the id we persisted;
- fills are `FILL` account activities (one per execution, with its own id) matched by `order_id`;
- assignment / exercise / expiration are the non-trade activities `OPASN` / `OPEXC` / `OPEXP` (`qty` signed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, QueryOrderStatus
from alpaca.trading.enums import OrderStatus as AlpacaStatus
from alpaca.trading.models import Order as AlpacaOrder
from alpaca.trading.models import Position as AlpacaPosition
from alpaca.trading.requests import GetOrdersRequest, ReplaceOrderRequest
from pydantic import ValidationError

from putwheel.domain.errors import ConfigError, InputError, PutwheelError
from putwheel.domain.orders import (
    BrokerAccount,
    BrokerActivity,
    BrokerFill,
    BrokerPosition,
    ComboOrder,
    Order,
    OrderReport,
    OrderStatus,
    Side,
)
from putwheel.execution.brokers._alpaca_wire import (
    ACTIVITY_KINDS,
    STATUS_MAP,
    _contracts,
    _dec,
    _error_body,
    _limit_of,
    _occ,
    _order_request,
    _price_float,
    _rejected,
    _utc,
)
from putwheel.execution.brokers.credentials import ENV_ALPACA_KEY, ENV_ALPACA_SECRET, AlpacaCredentials
from putwheel.execution.brokers.errors import BrokerError, OrderRejected, one_line

REPLACE_MARK = "#r"  # our client order id + "#r<n>" names the n-th replacement of an order
_PAGE = 100
MLEG_LEVEL = 3  # Alpaca options levels: 1 covered call / cash-secured put, 2 long options, 3 spreads (mleg)
_MAX_CHAIN = 50  # replacements followed from one client order id (a walk ladder is a handful)

def root_client_order_id(client_order_id: str) -> str:
    """Our client order id behind a replacement's (`abc#r2` -> `abc`)."""
    return client_order_id.split(REPLACE_MARK, 1)[0]


class AlpacaBroker:
    """Alpaca options trading (`LiveBroker`). Paper endpoint unless `live=True`; `url_override` for a stand-in."""

    name = "alpaca"

    def __init__(self, credentials: AlpacaCredentials, *, live: bool = False, url_override: str | None = None) -> None:
        self._creds = credentials
        self.live = live
        self._client = TradingClient(api_key=credentials.key_id.reveal(), secret_key=credentials.secret_key.reveal(),
                                     paper=not live, url_override=url_override)
        self._options_level: int | None = None

    @property
    def supports_combo(self) -> bool:
        """Alpaca takes multi-leg (mleg) orders from options level 3 up; the level is read once from the account."""
        if self._options_level is None:
            with self._call("read the account"):
                acct = self._client.get_account()
            self._options_level = int(acct.options_trading_level or 0)  # type: ignore[union-attr]
        return self._options_level >= MLEG_LEVEL

    @property
    def endpoint(self) -> str:
        """The Trading API base URL in use (paper, live or a stand-in); never holds a credential."""
        base = self._client._base_url
        return str(getattr(base, "value", base))

    def __repr__(self) -> str:
        return f"AlpacaBroker(live={self.live}, endpoint={self.endpoint!r})"

    # --- errors ---------------------------------------------------------------------------------------------------

    def _text(self, text: object) -> str:
        return one_line(self._creds.scrub(str(text)))

    @contextmanager
    def _call(self, what: str, rejected: OrderReport | None = None) -> Iterator[None]:
        """Run one SDK call; turn its failures into one-line putwheel errors without a key in them.

        `rejected`: the REJECTED report to raise `OrderRejected` with when the broker refuses an order (400/403/422).
        """
        try:
            yield
        except PutwheelError:
            raise
        except APIError as exc:
            raise self._api_error(exc, what, rejected) from None
        except requests.RequestException as exc:
            raise BrokerError(f"cannot reach Alpaca while trying to {what}: {self._text(type(exc).__name__)}",
                              hint="check the network, or Alpaca's status page") from None
        except ValidationError as exc:
            raise BrokerError(f"Alpaca answered {what} with data alpaca-py cannot read "
                              f"({exc.error_count()} field errors)", hint="upgrade alpaca-py") from None

    def _api_error(self, exc: APIError, what: str, rejected: OrderReport | None) -> PutwheelError:
        status = exc.status_code
        code, message = _error_body(str(exc))
        text = self._text(message)
        mode = "live" if self.live else "paper"
        if status == 401 or (status == 403 and code is None):
            return ConfigError(f"Alpaca refused the API keys (HTTP {status}: {text})",
                               hint=f"set {ENV_ALPACA_KEY} / {ENV_ALPACA_SECRET} to your {mode} account's keys")
        if rejected is not None and status in (400, 403, 422):
            return OrderRejected(f"Alpaca rejected the order (HTTP {status}: {text})",
                                 report=replace(rejected, message=text), where=rejected.client_order_id)
        return BrokerError(f"Alpaca answered HTTP {status} to {what}: {text}")

    # --- reads ----------------------------------------------------------------------------------------------------

    def account(self) -> BrokerAccount:
        with self._call("read the account"):
            acct = self._client.get_account()
            positions = self._client.get_all_positions()
        self._options_level = int(acct.options_trading_level or 0)  # type: ignore[union-attr]
        buying_power = acct.options_buying_power or acct.buying_power or acct.cash or "0"
        return BrokerAccount(account_id=str(acct.account_number), cash=_dec(acct.cash or "0", "cash"),
                             buying_power=_dec(buying_power, "buying power"),
                             positions=tuple(self._position(p) for p in positions))  # type: ignore[union-attr]

    def _position(self, pos: AlpacaPosition) -> BrokerPosition:
        qty = abs(_contracts(pos.qty))
        signed = -qty if str(getattr(pos.side, "value", pos.side)) == "short" else qty
        contract = None
        if str(getattr(pos.asset_class, "value", pos.asset_class)) == "us_option":
            contract = _occ(pos.symbol)
        return BrokerPosition(pos.symbol, signed, _dec(pos.avg_entry_price, "average price"), contract)

    def order(self, client_order_id: str) -> OrderReport | None:
        with self._call(f"look up order {client_order_id}"):
            chain = self._chain(client_order_id)
        return None if chain is None else self._report(client_order_id, chain)

    def open_orders(self) -> list[OrderReport]:
        with self._call("list open orders"):
            orders = self._client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, nested=True, limit=500))
            reports = []
            for o in orders:  # type: ignore[union-attr]
                root = root_client_order_id(o.client_order_id)
                chain = self._chain(root) if root != o.client_order_id else [o]  # a replacement: fills of every step
                reports.append(self._report(root, chain or [o]))
            return reports

    def activities(self, since: date) -> list[BrokerActivity]:
        """OPASN / OPEXC / OPEXP activities dated on or after `since` (paged oldest first)."""
        params: dict[str, Any] = {"activity_types": ",".join(ACTIVITY_KINDS), "after": (since - timedelta(days=1)).isoformat(),
                                  "direction": "asc", "page_size": _PAGE}
        with self._call("read account activities"):
            rows = self._paged("/account/activities", params)
        out = []
        for row in rows:
            kind = ACTIVITY_KINDS.get(str(row.get("activity_type")))
            if kind is None or not row.get("symbol"):
                continue
            try:
                on = date.fromisoformat(str(row.get("date"))[:10])
            except ValueError:
                raise BrokerError(f"Alpaca sent activity {row.get('id')} with an unreadable date {row.get('date')!r}") from None
            if on < since:
                continue
            out.append(BrokerActivity(f"{row['activity_type']}:{row['id']}", kind, _occ(row["symbol"]),
                                      abs(_contracts(row.get("qty", "0"))), on))
        return out

    def _paged(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self._client.get(path, params) or []
            if not isinstance(page, list):
                raise BrokerError(f"Alpaca answered {path} with {type(page).__name__}, not a list")
            rows.extend(page)
            if len(page) < _PAGE:
                return rows
            params = {**params, "page_token": page[-1]["id"]}

    # --- writes ---------------------------------------------------------------------------------------------------

    def place(self, order: Order | ComboOrder) -> OrderReport:
        request = _order_request(order)
        try:
            with self._call(f"place order {order.client_order_id}", _rejected(order.client_order_id, _limit_of(order))):
                placed = self._client.submit_order(request)
        except OrderRejected as exc:
            if "client_order_id" in exc.report.message.lower():  # already placed (a restart): report that order
                existing = self.order(order.client_order_id)
                if existing is not None:
                    return existing
            raise
        return self._report(order.client_order_id, [placed])  # type: ignore[list-item]

    def replace(self, client_order_id: str, limit: Decimal) -> OrderReport:
        with self._call(f"look up order {client_order_id}"):
            chain = self._chain(client_order_id)
        if chain is None:
            raise BrokerError(f"Alpaca has no order {client_order_id} to replace", where=client_order_id)
        current = chain[-1]
        report = self._report(client_order_id, chain)
        if report.status.is_terminal:
            return report
        combo = current.order_class == OrderClass.MLEG
        if combo:  # Alpaca signs an mleg limit as a debit
            price = _price_float(-limit)
        else:
            if limit <= 0:
                raise InputError(f"limit {limit} is not a price for a single option", where=client_order_id)
            price = _price_float(limit)
        fields: dict[str, Any] = {"limit_price": price,
                                  "client_order_id": f"{client_order_id}{REPLACE_MARK}{len(chain)}"}
        filled = _contracts(current.filled_qty or "0")
        if filled and not combo:
            fields["qty"] = _contracts(current.qty or "0") - filled
        with self._call(f"replace order {client_order_id}"):  # a refused replace leaves the order as it was
            new = self._client.replace_order_by_id(current.id, ReplaceOrderRequest(**fields))
        return self._report(client_order_id, [*chain, new])  # type: ignore[list-item]

    def cancel(self, client_order_id: str) -> OrderReport:
        with self._call(f"look up order {client_order_id}"):
            chain = self._chain(client_order_id)
        if chain is None:
            raise BrokerError(f"Alpaca has no order {client_order_id} to cancel", where=client_order_id)
        if not self._report(client_order_id, chain).status.is_terminal:
            try:
                with self._call(f"cancel order {client_order_id}"):
                    self._client.cancel_order_by_id(chain[-1].id)
            except BrokerError as exc:
                if "HTTP 422" not in exc.message:  # 422: no longer cancelable (filled meanwhile): report it
                    raise
            with self._call(f"look up order {client_order_id}"):
                chain = self._chain(client_order_id) or chain
        return self._report(client_order_id, chain)

    # --- mapping --------------------------------------------------------------------------------------------------

    def _chain(self, client_order_id: str) -> list[AlpacaOrder] | None:
        """Our order and each replacement of it, oldest first; None when Alpaca has no such order."""
        try:
            first = self._client.get_order_by_client_id(client_order_id)
        except APIError as exc:
            if exc.status_code == 404:
                return None
            raise
        chain: list[AlpacaOrder] = [first]  # type: ignore[list-item]
        while chain[-1].status == AlpacaStatus.REPLACED and chain[-1].replaced_by and len(chain) < _MAX_CHAIN:
            chain.append(self._client.get_order_by_id(chain[-1].replaced_by))  # type: ignore[arg-type]
        return chain

    def _report(self, client_order_id: str, chain: list[AlpacaOrder]) -> OrderReport:
        current = chain[-1]
        filled = sum(_contracts(o.filled_qty or "0") for o in chain)
        status = STATUS_MAP.get(current.status, OrderStatus.ACCEPTED)
        if status is OrderStatus.ACCEPTED and filled:
            status = OrderStatus.PARTIALLY_FILLED
        limit = None if current.limit_price is None else _dec(current.limit_price, "limit price")
        if limit is not None and current.order_class == OrderClass.MLEG:
            limit = -limit  # back to our sign: credit positive
        fills = self._fills(client_order_id, chain) if filled else ()
        return OrderReport(client_order_id, str(current.id), status, filled, limit, fills)

    def _fills(self, client_order_id: str, chain: list[AlpacaOrder]) -> tuple[BrokerFill, ...]:
        ids = {str(o.id) for o in chain} | {str(leg.id) for o in chain for leg in (o.legs or [])}
        after = min(o.created_at for o in chain) - timedelta(seconds=1)
        with self._call(f"read the fills of order {client_order_id}"):
            rows = self._paged("/account/activities/FILL", {"after": after.isoformat(), "direction": "asc",
                                                             "page_size": _PAGE})
        fills = []
        for row in rows:
            if str(row.get("order_id")) not in ids:
                continue
            side = Side.SELL if str(row.get("side", "")).lower().startswith("sell") else Side.BUY
            fills.append(BrokerFill(fill_id=str(row["id"]), client_order_id=client_order_id,
                                    contract=_occ(str(row["symbol"])), side=side,
                                    quantity=abs(_contracts(row["qty"])), price=_dec(row["price"], "fill price"),
                                    fees=Decimal(0), time=_utc(str(row["transaction_time"]))))
        return tuple(fills)
