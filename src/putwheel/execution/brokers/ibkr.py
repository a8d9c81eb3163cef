"""`IbkrBroker`: the `LiveBroker` interface over TWS / IB Gateway, through `ib_async.IB`.

Stages: our order -> `ib_async.Option` (qualified to a conId) or a `Bag` of `ComboLeg`s for a roll -> a DAY
`LimitOrder` whose `orderRef` is our client order id -> a `whatIfOrder` margin check first whenever the order opens a
short put -> `IB.placeOrder` -> the `Trade` it returns (status, fills, commissions) -> our types, money as `Decimal`.
Lookups go by `orderRef`: `IB.trades()` for this session, `IB.reqCompletedOrders(apiOnly=True)` after a restart.

IBKR conventions relied on (TWS API):
- a combo is BOUGHT at a net price; a negative limit is a net credit, so a roll for a credit of c is `BUY` at -c;
- `Position.avgCost` of an option is per contract (premium x multiplier); we report per share like every broker;
- order states: PendingSubmit/ApiPending (not acknowledged) -> PreSubmitted/Submitted -> Filled, or Cancelled /
  ApiCancelled / Inactive; a refusal is an error (201 "Order rejected", 203, ...) in the trade's log;
- the TWS API has no assignment / exercise / expiration event: `activities` reads the `OptionEAE` section of a Flex
  query when one is configured (`$PUTWHEEL_IB_FLEX_TOKEN` + `$PUTWHEEL_IB_FLEX_QUERY`) and is empty otherwise
  (reconciliation then sees the position change instead).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from math import gcd
from typing import Any, TypeVar

from ib_async import IB, Bag, ComboLeg, LimitOrder, Option

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import ConfigError, InputError
from putwheel.domain.money import to_decimal
from putwheel.domain.orders import (
    ActivityKind,
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
from putwheel.execution.brokers.errors import BrokerError, OrderRejected, one_line

# ib_async logs connection failures and TWS errors itself; with no handler configured Python would print them to
# stderr next to our one-line error. A NullHandler keeps them out of the terminal and still lets an application that
# configures logging (root handlers) receive them.
logging.getLogger("ib_async").addHandler(logging.NullHandler())

EXCHANGE = "SMART"
CURRENCY = "USD"
UNSET = 1.7976931348623157e308  # ib_async's UNSET_DOUBLE: "no value"
# Errors that mean "refused" when they cancel a new order. Not 202 ("Order Canceled"): TWS sends it for our own
# cancel, and ib_async then marks the trade Cancelled with that code in its log, as it does for every order error.
REJECT_CODES = frozenset({103, 110, 200, 201, 203, 383, 387, 388})

STATUS_MAP: dict[str, OrderStatus] = {
    "PendingSubmit": OrderStatus.NEW,
    "ApiPending": OrderStatus.NEW,
    "PreSubmitted": OrderStatus.ACCEPTED,
    "Submitted": OrderStatus.ACCEPTED,
    "ApiUpdate": OrderStatus.ACCEPTED,
    "ValidationError": OrderStatus.ACCEPTED,  # IB keeps the order live (or the previous version of it)
    "PendingCancel": OrderStatus.ACCEPTED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELLED,
    "ApiCancelled": OrderStatus.CANCELLED,
    "Inactive": OrderStatus.REJECTED,
}

EAE_KINDS = {"Assignment": ActivityKind.ASSIGNMENT, "Exercise": ActivityKind.EXERCISE,
             "Expiration": ActivityKind.EXPIRATION}

T = TypeVar("T")
FlexSource = Callable[[], Any]  # returns an `ib_async.FlexReport` (or anything with `.extract("OptionEAE")`)


def _dec(value: object, what: str) -> Decimal:
    if isinstance(value, float) and value >= UNSET:
        return Decimal(0)
    try:
        return to_decimal(value if isinstance(value, (int, float, Decimal)) else str(value), what=what)
    except InputError as exc:
        raise BrokerError(f"IBKR sent an unreadable {what}: {value!r}") from exc


def _text_dec(value: str) -> Decimal | None:
    """A what-if figure (sent as text; empty or UNSET when TWS has none)."""
    try:
        dec = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return None if not dec.is_finite() or dec >= Decimal(UNSET) / 2 else dec


def _tws(method: Callable[..., T]) -> Callable[..., T]:
    """A lost TWS connection or an unanswered request becomes one `BrokerError` line, not an ib_async traceback."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except TimeoutError:  # asyncio.TimeoutError is TimeoutError on 3.11+
            raise BrokerError(f"TWS / IB Gateway did not answer in time ({method.__name__})",
                              hint="check TWS is running and logged in; PUTWHEEL_IB_* set the address") from None
        except ConnectionError as exc:
            raise BrokerError(f"lost the connection to TWS / IB Gateway ({type(exc).__name__}: {one_line(exc)})",
                              hint="restart TWS / IB Gateway, then run again") from None

    return wrapper


def option_of(contract: OptionContract) -> Option:
    return Option(contract.osi_root, f"{contract.expiry:%Y%m%d}", float(contract.strike), contract.right.value,
                  EXCHANGE, str(contract.multiplier), CURRENCY)


def contract_of(ib_contract: Any) -> OptionContract:
    """An `ib_async` option contract back as ours (symbol, YYYYMMDD expiry, strike, right, multiplier)."""
    ymd = str(ib_contract.lastTradeDateOrContractMonth)[:8]
    return OptionContract(ib_contract.symbol, date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8])),
                          _dec(ib_contract.strike, "strike").normalize(), Right.parse(ib_contract.right),
                          int(float(ib_contract.multiplier or 100)))


class IbkrBroker:
    """Interactive Brokers through a connected `ib_async.IB` (TWS or IB Gateway). `settle`: seconds to wait for TWS."""

    name = "ibkr"
    supports_combo = True

    def __init__(self, ib: IB, *, account: str = "", flex: FlexSource | None = None, settle: float = 1.0) -> None:
        self._ib = ib
        self._account = account or next(iter(ib.managedAccounts()), "")
        self._flex = flex
        self._settle = settle

    def __repr__(self) -> str:
        return f"IbkrBroker(account={self._account!r})"

    # --- reads ----------------------------------------------------------------------------------------------------

    @_tws
    def account(self) -> BrokerAccount:
        values = {(v.tag, v.currency): v.value for v in self._ib.accountSummary(self._account)}
        cash = values.get(("TotalCashValue", CURRENCY))
        if cash is None:
            raise BrokerError(f"IBKR sent no TotalCashValue in USD for account {self._account or '(default)'}",
                              hint="check the account id and that TWS has finished loading it")
        buying_power = values.get(("BuyingPower", CURRENCY)) or values.get(("AvailableFunds", CURRENCY)) or cash
        positions = tuple(self._position(p) for p in self._ib.positions(self._account) if p.position)
        return BrokerAccount(self._account, _dec(cash, "cash"), _dec(buying_power, "buying power"), positions)

    def _position(self, pos: Any) -> BrokerPosition:
        qty = _dec(pos.position, "position")
        if qty != qty.to_integral_value():
            raise BrokerError(f"IBKR sent a fractional position {pos.position} in {pos.contract.symbol}")
        if pos.contract.secType == "OPT":
            contract = contract_of(pos.contract)
            per_share = _dec(pos.avgCost, "average cost") / contract.multiplier
            return BrokerPosition(contract.occ_symbol, int(qty), per_share, contract)
        return BrokerPosition(pos.contract.symbol, int(qty), _dec(pos.avgCost, "average cost"))

    @_tws
    def order(self, client_order_id: str) -> OrderReport | None:
        trade = self._find(client_order_id)
        return None if trade is None else self._report(trade)

    @_tws
    def open_orders(self) -> list[OrderReport]:
        return [self._report(t) for t in self._ib.openTrades()]

    def activities(self, since: date) -> list[BrokerActivity]:
        if self._flex is None:
            return []
        try:
            report = self._flex()
            rows = report.extract("OptionEAE", parseNumbers=False)
        except Exception as exc:  # ib_async.FlexError, network: one line, never the token (it is in the URL)
            raise BrokerError(f"IBKR Flex query failed: {type(exc).__name__}",
                              hint="check PUTWHEEL_IB_FLEX_QUERY and that the token is still valid") from None
        return list(_eae_activities(rows, since))

    # --- writes ---------------------------------------------------------------------------------------------------

    @_tws
    def place(self, order: Order | ComboOrder) -> OrderReport:
        existing = self._find(order.client_order_id)
        if existing is not None:  # placed before a restart: never send it twice
            return self._report(existing)
        contract, ib_order = self._build(order)
        if order.collateral() > 0:
            self._margin_check(order, contract, ib_order)
        trade = self._ib.placeOrder(contract, ib_order)
        self._ib.sleep(self._settle)  # let TWS's answers arrive
        report = self._report(trade)
        if report.status is OrderStatus.REJECTED:
            raise OrderRejected(f"IBKR rejected the order: {report.message or 'no reason given'}", report=report,
                                where=order.client_order_id)
        return report

    @_tws
    def replace(self, client_order_id: str, limit: Decimal) -> OrderReport:
        trade = self._find(client_order_id)
        if trade is None:
            raise BrokerError(f"IBKR has no order {client_order_id} to replace", where=client_order_id)
        if trade.isDone():
            return self._report(trade)
        is_combo = trade.contract.secType == "BAG"
        if not is_combo and limit <= 0:
            raise InputError(f"limit {limit} is not a price for a single option", where=client_order_id)
        trade.order.lmtPrice = _price_float(-limit if is_combo else limit)
        trade = self._ib.placeOrder(trade.contract, trade.order)  # same orderId: TWS modifies the live order
        self._ib.sleep(self._settle)  # let TWS's answers arrive
        return self._report(trade)

    @_tws
    def cancel(self, client_order_id: str) -> OrderReport:
        trade = self._find(client_order_id)
        if trade is None:
            raise BrokerError(f"IBKR has no order {client_order_id} to cancel", where=client_order_id)
        if not trade.isDone():
            trade = self._ib.cancelOrder(trade.order) or trade
            self._ib.sleep(self._settle)  # let TWS's answers arrive
        return self._report(trade)

    # --- building and checking ------------------------------------------------------------------------------------

    def _qualified(self, contracts: list[Option]) -> list[Option]:
        qualified = self._ib.qualifyContracts(*contracts)
        if len(qualified) != len(contracts) or any(c is None or not getattr(c, "conId", 0) for c in qualified):
            names = ", ".join(f"{c.symbol} {c.lastTradeDateOrContractMonth} {c.strike} {c.right}" for c in contracts)
            raise InputError(f"IBKR does not know the option(s) {names}", hint="check the expiry and strike are listed")
        return list(qualified)

    def _build(self, order: Order | ComboOrder) -> tuple[Any, LimitOrder]:
        if isinstance(order, ComboOrder):
            legs = self._qualified([option_of(leg.contract) for leg in order.legs])
            unit = 0
            for leg in order.legs:
                unit = gcd(unit, leg.quantity)
            bag = Bag(symbol=order.legs[0].contract.osi_root, exchange=EXCHANGE, currency=CURRENCY,
                      comboLegs=[ComboLeg(conId=c.conId, ratio=leg.quantity // unit, action=leg.side.value.upper(),
                                          exchange=EXCHANGE) for c, leg in zip(legs, order.legs, strict=True)])
            return bag, self._limit_order("BUY", unit, -order.net_limit, order.client_order_id)
        if order.limit is None:
            raise InputError("a live option order needs a limit price", where=order.client_order_id,
                             hint="price it with the pricing policy before sending")
        (contract,) = self._qualified([option_of(order.contract)])
        return contract, self._limit_order(order.side.value.upper(), order.quantity, order.limit, order.client_order_id)

    def _limit_order(self, action: str, quantity: int, limit: Decimal, client_order_id: str) -> LimitOrder:
        return LimitOrder(action, quantity, _price_float(limit), orderRef=client_order_id, tif="DAY",
                          account=self._account, transmit=True)

    def _margin_check(self, order: Order | ComboOrder, contract: Any, ib_order: LimitOrder) -> None:
        """Ask TWS what the order would do to margin; refuse it when margin after exceeds equity with loan."""
        state = self._ib.whatIfOrder(contract, ib_order)
        init_after = _text_dec(getattr(state, "initMarginAfter", ""))
        equity_after = _text_dec(getattr(state, "equityWithLoanAfter", ""))
        rejected = OrderReport(order.client_order_id, "", OrderStatus.REJECTED, 0, _limit_of(order))
        if init_after is None or equity_after is None:
            warning = one_line(getattr(state, "warningText", "") or "no margin figures")
            raise OrderRejected(f"IBKR what-if check gave no answer ({warning})", where=order.client_order_id,
                                report=rejected, hint="check TWS is logged in and the contract trades")
        if init_after > equity_after:
            text = f"initial margin after {init_after} would exceed equity with loan {equity_after}"
            raise OrderRejected(f"IBKR what-if margin check failed: {text}", where=order.client_order_id,
                                report=replace(rejected, message=text))

    # --- mapping --------------------------------------------------------------------------------------------------

    def _find(self, client_order_id: str) -> Any | None:
        for source in (self._ib.trades, lambda: self._ib.reqCompletedOrders(True)):
            matches = [t for t in source() if t.order.orderRef == client_order_id]
            if matches:
                return matches[-1]
        return None

    def _report(self, trade: Any) -> OrderReport:
        status = STATUS_MAP.get(trade.orderStatus.status, OrderStatus.ACCEPTED)
        errors = [entry for entry in trade.log if getattr(entry, "errorCode", 0)]
        message = one_line(errors[-1].message) if errors else one_line(getattr(trade, "advancedError", "") or "")
        if status is OrderStatus.CANCELLED and any(e.errorCode in REJECT_CODES for e in errors):
            status = OrderStatus.REJECTED
        is_combo = trade.contract.secType == "BAG"
        leg_fills = [f for f in trade.fills if f.contract.secType == "OPT"]
        summary = [f for f in trade.fills if f.contract.secType == ("BAG" if is_combo else "OPT")]
        filled = int(max(float(trade.orderStatus.filled or 0), sum(float(f.execution.shares) for f in summary)))
        if status in (OrderStatus.ACCEPTED, OrderStatus.NEW) and filled:
            status = OrderStatus.PARTIALLY_FILLED
        limit = trade.order.lmtPrice
        ours = None if limit is None or float(limit) >= UNSET else _dec(limit, "limit price")
        if ours is not None and is_combo:
            ours = -ours
        fills = tuple(self._fill(trade.order.orderRef, f) for f in leg_fills)
        broker_id = str(trade.order.permId or trade.order.orderId)
        return OrderReport(trade.order.orderRef, broker_id, status, filled, ours, fills, message)

    def _fill(self, client_order_id: str, fill: Any) -> BrokerFill:
        ex = fill.execution
        commission = getattr(fill.commissionReport, "commission", 0.0)
        when = fill.time if isinstance(fill.time, datetime) else ex.time
        return BrokerFill(fill_id=str(ex.execId), client_order_id=client_order_id, contract=contract_of(fill.contract),
                          side=Side.SELL if str(ex.side).upper() in ("SLD", "SELL") else Side.BUY,
                          quantity=int(float(ex.shares)), price=_dec(ex.price, "fill price"),
                          fees=abs(_dec(commission, "commission")),
                          time=when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC))


def _limit_of(order: Order | ComboOrder) -> Decimal | None:
    return order.net_limit if isinstance(order, ComboOrder) else order.limit


def _price_float(price: Decimal) -> float:
    return float(price.quantize(Decimal("0.01")))


def _eae_activities(rows: Iterable[Any], since: date) -> Iterable[BrokerActivity]:
    """Flex `OptionEAE` option rows (the stock legs are trades, not activities) dated on or after `since`."""
    for row in rows:
        kind = EAE_KINDS.get(str(getattr(row, "transactionType", "")))
        if kind is None or str(getattr(row, "assetCategory", "")) != "OPT":
            continue
        ymd = str(row.date)[:8]
        on = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:8]))
        if on < since:
            continue
        contract = OptionContract.from_occ(str(row.symbol), multiplier=int(float(row.multiplier or 100)))
        yield BrokerActivity(f"{kind.value}:{row.tradeID}", kind, contract, abs(int(float(row.quantity))), on)


def connect(host: str, port: int, client_id: int, *, live: bool, account: str = "", timeout: float = 10.0,
            request_timeout: float = 30.0, ib_factory: Callable[[], IB] = IB,
            flex: FlexSource | None = None) -> IbkrBroker:
    """Connect to TWS / IB Gateway, pick the account, and check it matches `live` (paper account ids start with 'D').

    One login can manage several accounts: then `account` must name one (positions and orders are per account, and
    guessing is how positions go missing).

    `request_timeout` bounds every blocking request (what-if, completed orders, account summary): ib_async's default
    of 0 would wait forever for a TWS that stopped answering.
    """
    ib = ib_factory()
    ib.RequestTimeout = request_timeout
    where = f"{host}:{port}"
    try:
        ib.connect(host, port, clientId=client_id, timeout=timeout)
    except (ConnectionError, OSError, TimeoutError) as exc:
        why = {ConnectionRefusedError: "connection refused", TimeoutError: f"no answer in {timeout:g} s"}.get(
            type(exc), type(exc).__name__)
        raise ConfigError(f"cannot connect to TWS / IB Gateway at {where}: {why}",
                          hint="start TWS or IB Gateway with the API enabled, or set PUTWHEEL_IB_HOST / "
                               "PUTWHEEL_IB_PORT / PUTWHEEL_IB_CLIENT_ID") from None
    accounts = list(ib.managedAccounts())
    if not accounts:
        ib.disconnect()
        raise ConfigError(f"TWS / IB Gateway at {where} reported no account", hint="log TWS in, then try again")
    chosen = _choose_account(accounts, account)
    if chosen is None:
        ib.disconnect()
        listed = ", ".join(accounts)
        if account:
            raise ConfigError(f"TWS / IB Gateway at {where} does not manage account {account} (it has {listed})",
                              hint="set PUTWHEEL_IB_ACCOUNT to one of those")
        raise ConfigError(f"TWS / IB Gateway at {where} manages {len(accounts)} accounts ({listed})",
                          hint="set PUTWHEEL_IB_ACCOUNT to the one putwheel trades")
    if not live and not chosen.upper().startswith("D"):
        ib.disconnect()
        raise ConfigError(f"account {chosen} at {where} is a live account, and --live was not given",
                          hint="log TWS into the paper account (port 7497 / 4002), or pass --live with limits")
    return IbkrBroker(ib, account=chosen, flex=flex)


def _choose_account(accounts: list[str], wanted: str) -> str | None:
    if wanted:
        return next((a for a in accounts if a.upper() == wanted.upper()), None)
    return accounts[0] if len(accounts) == 1 else None
