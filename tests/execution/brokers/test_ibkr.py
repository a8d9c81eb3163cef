"""Contract tests: `IbkrBroker` against `FakeIB`, a stand-in at `ib_async.IB`'s public methods (no TWS here)."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

pytest.importorskip("ib_async")

from ib_async import IB, OrderState

from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import ConfigError, InputError
from putwheel.domain.orders import ActivityKind, ComboOrder, Intent, Order, OrderStatus, Side
from putwheel.execution.brokers.errors import OrderRejected
from putwheel.execution.brokers.ibkr import STATUS_MAP, IbkrBroker, connect

from .ib_fake import FakeIB, completed_trade, held, option_contract

AS_OF = date(2026, 12, 4)
P450, P445, P455, C470 = "SPY261218P00450000", "SPY270115P00445000", "SPY270115P00455000", "SPY261218C00470000"
LISTED = {("SPY", "20261218", 450.0, "P"): 101, ("SPY", "20270115", 445.0, "P"): 102,
          ("SPY", "20270115", 455.0, "P"): 103, ("SPY", "20261218", 470.0, "C"): 104}


def _order(symbol: str, side: Side, intent: Intent, qty: int, limit: str | None, coid: str) -> Order:
    return Order(coid, OptionContract.from_occ(symbol), side, intent, qty, None if limit is None else Decimal(limit),
                 reason_code=0, placed=AS_OF)


def _roll(to: str = P445, credit: str = "0.40", coid: str = "pw-roll") -> ComboOrder:
    legs = (_order(P450, Side.BUY, Intent.CLOSE, 1, None, coid), _order(to, Side.SELL, Intent.OPEN, 1, None, coid))
    return ComboOrder(coid, legs, Decimal(credit), reason_code=0, placed=AS_OF)


@pytest.fixture
def ib() -> FakeIB:
    return FakeIB(listed=dict(LISTED))


@pytest.fixture
def broker(ib: FakeIB) -> IbkrBroker:
    return IbkrBroker(ib, settle=0)  # type: ignore[arg-type]


def test_ib_fake_speaks_ib_async():
    """Every method the fake offers exists on the real `ib_async.IB`, with the fake's parameter names."""
    for name, member in inspect.getmembers(FakeIB, callable):
        if name.startswith("_") or name in ("execute",):
            continue
        assert hasattr(IB, name), name
        real = set(inspect.signature(getattr(IB, name)).parameters)
        fake = set(inspect.signature(member).parameters)
        assert fake <= real, (name, fake - real)
    for event in ("newOrderEvent", "orderStatusEvent", "execDetailsEvent", "errorEvent"):
        assert hasattr(IB(), event)


def test_ibkr_place_csp_checks_margin_then_sends_a_day_limit_order(broker, ib):  # type: ignore[no-untyped-def]
    report = broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.15", "pw-csp"))
    ((contract, order),) = ib.placed
    assert len(ib.what_ifs) == 1 and ib.what_ifs[0][1] is order
    assert (contract.conId, contract.symbol, contract.lastTradeDateOrContractMonth, contract.strike, contract.right) == (
        101, "SPY", "20261218", 450.0, "P")
    assert (order.action, order.totalQuantity, order.orderType, order.lmtPrice, order.tif) == ("SELL", 1, "LMT", 2.15, "DAY")
    assert order.orderRef == "pw-csp" and order.account == "DU1234567"
    assert report.status is OrderStatus.ACCEPTED and report.broker_order_id == str(order.permId)
    assert report.limit == Decimal("2.15") and report.client_order_id == "pw-csp"


def test_ibkr_covered_call_needs_no_margin_check(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_order(C470, Side.SELL, Intent.OPEN, 1, "1.05", "pw-cc"))
    assert ib.what_ifs == [] and len(ib.placed) == 1


def test_ibkr_roll_is_one_bag_bought_at_a_negative_price(broker, ib):  # type: ignore[no-untyped-def]
    report = broker.place(_roll(P445, "0.40"))
    ((bag, order),) = ib.placed
    assert bag.secType == "BAG" and bag.symbol == "SPY"
    assert [(leg.conId, leg.action, leg.ratio) for leg in bag.comboLegs] == [(101, "BUY", 1), (102, "SELL", 1)]
    assert (order.action, order.totalQuantity, order.lmtPrice, order.orderRef) == ("BUY", 1, -0.40, "pw-roll")
    assert ib.what_ifs == []  # rolling down frees collateral: nothing to check
    assert report.limit == Decimal("0.40")


def test_ibkr_roll_up_that_needs_more_cash_is_margin_checked(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_roll(P455, "0.10"))
    assert len(ib.what_ifs) == 1


def test_ibkr_what_if_margin_failure_refuses_before_placing(broker, ib):  # type: ignore[no-untyped-def]
    ib.what_if = OrderState(status="PreSubmitted", initMarginAfter="70000", equityWithLoanAfter="61000")
    with pytest.raises(OrderRejected, match="what-if margin check failed") as caught:
        broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.15", "pw-big"))
    assert caught.value.report.status is OrderStatus.REJECTED and ib.placed == []


def test_ibkr_what_if_without_figures_refuses(broker, ib):  # type: ignore[no-untyped-def]
    ib.what_if = OrderState(status="", initMarginAfter="1.7976931348623157E308", equityWithLoanAfter="",
                            warningText="Order size exceeds\nlimit")
    with pytest.raises(OrderRejected, match="gave no answer") as caught:
        broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.15", "pw-none"))
    assert "\n" not in str(caught.value) and ib.placed == []


def test_ibkr_rejection_error_201_is_order_rejected(broker, ib):  # type: ignore[no-untyped-def]
    ib.reject_next = (201, "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION")
    with pytest.raises(OrderRejected) as caught:
        broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.15", "pw-201"))
    report = caught.value.report
    assert report.status is OrderStatus.REJECTED and "Error 201" in report.message
    assert broker.order("pw-201").status is OrderStatus.REJECTED


def test_ibkr_fills_partial_then_full_with_commissions(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_order(P450, Side.SELL, Intent.OPEN, 2, "2.15", "pw-fill"))
    trade = ib.trades()[0]
    ib.execute(trade, trade.contract, 1, 2.15)
    assert broker.order("pw-fill").status is OrderStatus.PARTIALLY_FILLED
    ib.execute(trade, trade.contract, 1, 2.1, commission=0.66)
    report = broker.order("pw-fill")
    assert report.status is OrderStatus.FILLED and report.filled == 2
    assert [(f.side, f.quantity, f.price, f.fees) for f in report.fills] == [
        (Side.SELL, 1, Decimal("2.15"), Decimal("0.65")), (Side.SELL, 1, Decimal("2.1"), Decimal("0.66"))]
    assert report.fills[0].time == datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    assert report.fills[0].contract == OptionContract.from_occ(P450)
    assert len({f.fill_id for f in report.fills}) == 2


def test_ibkr_combo_fills_are_the_legs_and_the_count_is_the_bag(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_roll(P445, "0.40"))
    trade = ib.trades()[0]
    ib.execute(trade, option_contract("SPY", "20261218", 450.0, "P", 101), 1, 3.10)
    ib.execute(trade, option_contract("SPY", "20270115", 445.0, "P", 102), 1, 3.50)
    ib.execute(trade, trade.contract, 1, -0.40, commission=1.30)  # the BAG summary execution
    report = broker.order("pw-roll")
    assert report.status is OrderStatus.FILLED and report.filled == 1
    assert [(f.side, f.contract.strike, f.price) for f in report.fills] == [
        (Side.BUY, Decimal(450), Decimal("3.1")), (Side.SELL, Decimal(445), Decimal("3.5"))]


def test_ibkr_replace_modifies_the_same_order(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.20", "pw-walk"))
    report = broker.replace("pw-walk", Decimal("2.10"))
    (_, first), (_, second) = ib.placed
    assert second is first and second.lmtPrice == 2.10 and second.orderRef == "pw-walk"
    assert report.limit == Decimal("2.1") and report.client_order_id == "pw-walk"
    assert [o.client_order_id for o in broker.open_orders()] == ["pw-walk"]


def test_ibkr_replace_a_roll_keeps_the_credit_sign(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_roll(P445, "0.40"))
    assert broker.replace("pw-roll", Decimal("0.30")).limit == Decimal("0.3")
    assert ib.placed[-1][1].lmtPrice == -0.30


def test_ibkr_cancel_and_finished_orders(broker, ib):  # type: ignore[no-untyped-def]
    broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.20", "pw-cxl"))
    assert broker.cancel("pw-cxl").status is OrderStatus.CANCELLED
    assert broker.cancel("pw-cxl").status is OrderStatus.CANCELLED and len(ib.cancels) == 1
    assert broker.replace("pw-cxl", Decimal("2.0")).status is OrderStatus.CANCELLED and len(ib.placed) == 1
    assert broker.open_orders() == []


@pytest.mark.parametrize(("wire", "ours"), sorted(STATUS_MAP.items()))
def test_ibkr_status_on_the_wire(broker, ib, wire, ours):  # type: ignore[no-untyped-def]
    broker.place(_order(C470, Side.SELL, Intent.OPEN, 1, "1.05", "pw-st"))
    ib.trades()[0].orderStatus.status = wire
    assert broker.order("pw-st").status is ours


def test_ibkr_after_a_restart_finds_completed_orders_and_never_places_twice(broker, ib):  # type: ignore[no-untyped-def]
    ib.completed = [completed_trade("pw-old")]
    assert broker.order("pw-old").status is OrderStatus.FILLED
    again = broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "1.50", "pw-old"))
    assert again.status is OrderStatus.FILLED and ib.placed == [] and ib.what_ifs == []
    assert broker.order("never") is None


def test_ibkr_account_in_decimal_and_option_cost_per_share(broker, ib):  # type: ignore[no-untyped-def]
    from ib_async import Stock

    ib.held = [held(option_contract("SPY", "20261218", 450.0, "P", 101), -1.0, 215.0),
               held(Stock("SPY", "SMART", "USD"), 100.0, 448.2)]
    account = broker.account()
    assert account.account_id == "DU1234567"
    assert account.cash == Decimal("50000.25") and account.buying_power == Decimal("200000.00")
    put, shares = account.positions
    assert (put.quantity, put.average_price, put.contract) == (-1, Decimal("2.15"), OptionContract.from_occ(P450))
    assert (shares.symbol, shares.quantity, shares.average_price, shares.contract) == ("SPY", 100, Decimal("448.2"), None)


def test_ibkr_unknown_option_is_an_input_error(broker, ib):  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="does not know"):
        broker.place(_order("SPY261218P00451000", Side.SELL, Intent.OPEN, 1, "2.0", "pw-x"))
    assert ib.placed == []


def test_ibkr_activities_without_flex_are_empty(broker):  # type: ignore[no-untyped-def]
    assert broker.activities(AS_OF) == []


@pytest.mark.shared
def test_ibkr_activities_from_a_real_flex_option_eae_section(ib, fixtures_dir):  # type: ignore[no-untyped-def]
    from ib_async import FlexReport

    path = fixtures_dir / "broker_exports" / "ibkr_flex_activity_DU_paper_2026_trimmed.xml"
    broker = IbkrBroker(ib, flex=lambda: FlexReport(path=str(path)), settle=0)  # type: ignore[arg-type]
    got = broker.activities(date(2026, 7, 1))
    assert (ActivityKind.EXERCISE, "CLF   260724C00011500", 4, date(2026, 7, 24)) in [
        (a.kind, a.contract.occ_symbol, a.quantity, a.on) for a in got]
    assert (ActivityKind.EXPIRATION, "AA    260717P00040000", 2, date(2026, 7, 17)) in [
        (a.kind, a.contract.occ_symbol, a.quantity, a.on) for a in got]
    assert all(a.contract is not None for a in got) and len({a.activity_id for a in got}) == len(got)
    assert [a for a in broker.activities(date(2026, 7, 18)) if a.on < date(2026, 7, 18)] == []


def test_ibkr_connect_checks_paper_versus_live():  # type: ignore[no-untyped-def]
    fake = FakeIB()
    broker = connect("127.0.0.1", 7497, 3, live=False, ib_factory=lambda: fake)  # type: ignore[arg-type,return-value]
    assert fake.connected == ("127.0.0.1", 7497, 3) and repr(broker) == "IbkrBroker(account='DU1234567')"
    live_fake = FakeIB(accounts=["U7654321"])
    with pytest.raises(ConfigError, match="live account"):
        connect("127.0.0.1", 7496, 1, live=False, ib_factory=lambda: live_fake)  # type: ignore[arg-type,return-value]
    assert live_fake.connected is False
    connect("127.0.0.1", 7496, 1, live=True, ib_factory=lambda: FakeIB(accounts=["U7654321"]))  # type: ignore[arg-type,return-value]


def test_ibkr_connect_refused_names_the_variables():  # type: ignore[no-untyped-def]
    class Refusing(FakeIB):
        def connect(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionRefusedError(111, "Connect call failed")

    with pytest.raises(ConfigError) as caught:
        connect("127.0.0.1", 7497, 1, live=False, ib_factory=Refusing)  # type: ignore[arg-type]
    assert "PUTWHEEL_IB_PORT" in str(caught.value) and "127.0.0.1:7497" in str(caught.value)


def test_ibkr_lost_connection_or_silence_is_one_broker_error_line(broker, ib):  # type: ignore[no-untyped-def]
    from putwheel.execution.brokers.errors import BrokerError

    def gone(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("Not connected")

    def silent(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise TimeoutError

    ib.placeOrder = gone
    with pytest.raises(BrokerError, match="lost the connection"):
        broker.place(_order(C470, Side.SELL, Intent.OPEN, 1, "1.05", "pw-gone"))
    ib.whatIfOrder = silent
    with pytest.raises(BrokerError, match="did not answer in time"):
        broker.place(_order(P450, Side.SELL, Intent.OPEN, 1, "2.15", "pw-silent"))


def test_ibkr_connect_bounds_every_request():  # type: ignore[no-untyped-def]
    fake = FakeIB()
    connect("127.0.0.1", 7497, 1, live=False, ib_factory=lambda: fake)  # type: ignore[arg-type,return-value]
    assert fake.RequestTimeout == 30.0  # type: ignore[attr-defined]


def test_ibkr_connect_with_several_accounts_needs_one_named():  # type: ignore[no-untyped-def]
    def two() -> FakeIB:
        return FakeIB(accounts=["DU111", "DU222"])

    with pytest.raises(ConfigError, match=r"manages 2 accounts \(DU111, DU222\).*PUTWHEEL_IB_ACCOUNT"):
        connect("127.0.0.1", 7497, 1, live=False, ib_factory=two)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="does not manage account DU999"):
        connect("127.0.0.1", 7497, 1, live=False, account="DU999", ib_factory=two)  # type: ignore[arg-type]
    broker = connect("127.0.0.1", 7497, 1, live=False, account="du222", ib_factory=two)  # type: ignore[arg-type]
    assert repr(broker) == "IbkrBroker(account='DU222')"


def test_ibkr_account_from_the_environment():  # type: ignore[no-untyped-def]
    from putwheel.execution.brokers.credentials import ibkr_connection

    assert ibkr_connection({"PUTWHEEL_IB_ACCOUNT": " du222 "}).account == "DU222"
