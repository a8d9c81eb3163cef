"""A stand-in for `ib_async.IB` at the public methods `IbkrBroker` calls, built from ib_async's own data classes.

It plays TWS: `placeOrder` returns a live `ib_async.Trade` (PendingSubmit -> Submitted), emits `newOrderEvent` /
`orderStatusEvent` / `execDetailsEvent` like the real client, and tests drive fills, rejections and what-if answers.
`test_ib_fake_speaks_ib_async` checks every method here exists on the real `IB` with compatible parameters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventkit import Event
from ib_async import (
    AccountValue,
    CommissionReport,
    Contract,
    Execution,
    Fill,
    Order,
    OrderState,
    OrderStatus,
    Position,
    Trade,
    TradeLogEntry,
)

WHEN = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)


@dataclass
class FakeIB:
    accounts: list[str] = field(default_factory=lambda: ["DU1234567"])
    summary: dict[str, str] = field(default_factory=lambda: {"TotalCashValue": "50000.25", "BuyingPower": "200000.00",
                                                              "AvailableFunds": "50000.25", "NetLiquidation": "61000"})
    held: list[Position] = field(default_factory=list)
    listed: dict[tuple[str, str, float, str], int] = field(default_factory=dict)
    what_if: OrderState | None = None
    completed: list[Trade] = field(default_factory=list)
    _trades: list[Trade] = field(default_factory=list)
    placed: list[tuple[Contract, Order]] = field(default_factory=list)
    what_ifs: list[tuple[Contract, Order]] = field(default_factory=list)
    cancels: list[Order] = field(default_factory=list)
    reject_next: tuple[int, str] | None = None
    connected: bool = False
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    _exec: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def __post_init__(self) -> None:
        self.newOrderEvent = Event("newOrderEvent")
        self.orderStatusEvent = Event("orderStatusEvent")
        self.execDetailsEvent = Event("execDetailsEvent")
        self.errorEvent = Event("errorEvent")

    # --- connection -----------------------------------------------------------------------------------------------

    def connect(self, host: str = "127.0.0.1", port: int = 7497, clientId: int = 1, timeout: float = 4,
                readonly: bool = False, account: str = "") -> FakeIB:
        self.connected = (host, port, clientId)  # type: ignore[assignment]
        return self

    def disconnect(self) -> None:
        self.connected = False

    def managedAccounts(self) -> list[str]:
        return list(self.accounts)

    @staticmethod
    def sleep(secs: float = 0.02) -> bool:
        return True

    # --- account --------------------------------------------------------------------------------------------------

    def accountSummary(self, account: str = "") -> list[AccountValue]:
        return [AccountValue(self.accounts[0], tag, value, "USD", "") for tag, value in self.summary.items()]

    def positions(self, account: str = "") -> list[Position]:
        return list(self.held)

    # --- contracts and orders -------------------------------------------------------------------------------------

    def qualifyContracts(self, *contracts: Contract) -> list[Contract | None]:
        out: list[Contract | None] = []
        for c in contracts:
            con_id = self.listed.get((c.symbol, c.lastTradeDateOrContractMonth, float(c.strike), c.right))
            if con_id is None:
                out.append(None)
                continue
            c.conId = con_id
            c.localSymbol = f"{c.symbol:<6}{c.lastTradeDateOrContractMonth[2:]}{c.right}{int(c.strike * 1000):08d}"
            out.append(c)
        return out

    def whatIfOrder(self, contract: Contract, order: Order) -> OrderState:
        self.what_ifs.append((contract, order))
        return self.what_if or OrderState(status="PreSubmitted", initMarginBefore="0", initMarginChange="45000",
                                          initMarginAfter="45000", equityWithLoanBefore="61000",
                                          equityWithLoanAfter="61000")

    def placeOrder(self, contract: Contract, order: Order) -> Trade:
        self.placed.append((contract, order))
        for trade in self._trades:
            if trade.order.orderId and trade.order.orderId == order.orderId:  # a modification, as in ib_async
                trade.log.append(TradeLogEntry(WHEN, trade.orderStatus.status, "Modify"))
                return trade
        order.orderId = next(self._ids)
        order.permId = 900000 + order.orderId
        trade = Trade(contract, order, OrderStatus(orderId=order.orderId, status="PendingSubmit",
                                                   remaining=float(order.totalQuantity)), [],
                      [TradeLogEntry(WHEN, "PendingSubmit")])
        self._trades.append(trade)
        self.newOrderEvent.emit(trade)
        if self.reject_next is not None:
            code, text = self.reject_next
            self.reject_next = None
            trade.orderStatus.status = "Cancelled"
            trade.log.append(TradeLogEntry(WHEN, "Cancelled", f"Error {code}, reqId {order.orderId}: {text}", code))
            self.errorEvent.emit(order.orderId, code, text, contract)
        else:
            trade.orderStatus.status = "Submitted"
            trade.log.append(TradeLogEntry(WHEN, "Submitted"))
        self.orderStatusEvent.emit(trade)
        return trade

    def cancelOrder(self, order: Order, manualCancelOrderTime: str = "") -> Trade | None:
        self.cancels.append(order)
        for trade in self._trades:
            if trade.order.orderId == order.orderId and not trade.isDone():
                trade.orderStatus.status = "Cancelled"  # TWS confirms a cancel with error 202; ib_async logs it so
                trade.log.append(TradeLogEntry(WHEN, "Cancelled", f"Error 202, reqId {order.orderId}: Order Canceled - "
                                                                  "reason:", 202))
                self.orderStatusEvent.emit(trade)
                return trade
        return None

    def trades(self) -> list[Trade]:
        return list(self._trades)

    def openTrades(self) -> list[Trade]:
        return [t for t in self._trades if not t.isDone()]

    def reqCompletedOrders(self, apiOnly: bool) -> list[Trade]:
        return list(self.completed)

    # --- test controls --------------------------------------------------------------------------------------------

    def execute(self, trade: Trade, contract: Contract, shares: int, price: float, commission: float = 0.65) -> None:
        """One execution on `trade` (for a combo: pass a leg contract, then the BAG summary)."""
        n = next(self._exec)
        side = "BOT" if trade.order.action == "BUY" else "SLD"
        if contract.secType == "OPT" and trade.contract.secType == "BAG":
            leg = next(leg for leg in trade.contract.comboLegs if leg.conId == contract.conId)
            side = "BOT" if leg.action == "BUY" else "SLD"
        execution = Execution(execId=f"0000e1.{n:04d}.01", time=WHEN, acctNumber=self.accounts[0], side=side,
                              shares=float(shares), price=price, permId=trade.order.permId,
                              orderId=trade.order.orderId, orderRef=trade.order.orderRef)
        fill = Fill(contract, execution, CommissionReport(execId=execution.execId, commission=commission,
                                                          currency="USD"), WHEN)
        trade.fills.append(fill)
        counted = contract.secType == trade.contract.secType
        if counted:
            trade.orderStatus.filled += shares
            trade.orderStatus.remaining = float(trade.order.totalQuantity) - trade.orderStatus.filled
            trade.orderStatus.status = "Filled" if trade.orderStatus.remaining <= 0 else "Submitted"
        self.execDetailsEvent.emit(trade, fill)
        self.orderStatusEvent.emit(trade)


def option_contract(symbol: str, ymd: str, strike: float, right: str, con_id: int) -> Contract:
    return Contract(secType="OPT", conId=con_id, symbol=symbol, lastTradeDateOrContractMonth=ymd, strike=strike,
                    right=right, multiplier="100", exchange="SMART", currency="USD")


def held(contract: Contract, position: float, avg_cost: float, account: str = "DU1234567") -> Position:
    return Position(account, contract, position, avg_cost)


def completed_trade(order_ref: str, status: str = "Filled", **fields: Any) -> Trade:
    order = Order(orderId=0, permId=777, action="SELL", totalQuantity=1, orderType="LMT", lmtPrice=1.5,
                  orderRef=order_ref, **fields)
    contract = option_contract("SPY", "20261218", 450.0, "P", 111)
    return Trade(contract, order, OrderStatus(status=status, filled=1.0), [], [TradeLogEntry(WHEN, status)])
