"""Contract tests: `AlpacaBroker` through the real alpaca-py `TradingClient` against a stand-in on 127.0.0.1.

The stand-in (alpaca_standin.py) speaks Alpaca's documented JSON; the order and non-trade-activity bodies of
../shared/fixtures/alpaca are replayed where they exist. Nothing here reaches Alpaca.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

pytest.importorskip("alpaca")
pytest.importorskip("pytest_httpserver")

from alpaca.trading.enums import OrderStatus as AlpacaStatus

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import ConfigError, InputError
from putwheel.domain.orders import ActivityKind, ComboOrder, Intent, Order, OrderStatus, Side
from putwheel.execution.brokers.alpaca import STATUS_MAP, AlpacaBroker, root_client_order_id
from putwheel.execution.brokers.credentials import AlpacaCredentials, Secret
from putwheel.execution.brokers.errors import BrokerError, OrderRejected

from .alpaca_standin import position_json
from .conftest import KEY_ID, SECRET_KEY

AS_OF = date(2026, 12, 4)


def _order(symbol: str, side: Side, intent: Intent, qty: int, limit: str | None, coid: str = "pw-1") -> Order:
    return Order(coid, OptionContract.from_occ(symbol), side, intent, qty, None if limit is None else Decimal(limit),
                 reason_code=0, placed=AS_OF)


def _roll(coid: str = "pw-roll-1", qty: int = 1, credit: str = "0.40") -> ComboOrder:
    legs = (_order("SPY261218P00450000", Side.BUY, Intent.CLOSE, qty, None, coid),
            _order("SPY270115P00445000", Side.SELL, Intent.OPEN, qty, None, coid))
    return ComboOrder(coid, legs, Decimal(credit), reason_code=0, placed=AS_OF)


def _posted(standin):  # type: ignore[no-untyped-def]
    return [body for method, path, body, _ in standin.requests if method == "POST" and path == "/v2/orders"]


@pytest.fixture(scope="module")
def documented_orders(fixtures_dir):  # type: ignore[no-untyped-def]
    return json.loads((fixtures_dir / "alpaca" / "alpaca_docs_order_examples_csp_cc.json").read_text())


@pytest.mark.shared
def test_alpaca_place_csp_sends_the_documented_order(alpaca, standin, documented_orders):  # type: ignore[no-untyped-def]
    doc = documented_orders["sell_cash_secured_put"]  # the docs' example is a market order; ours always has a limit
    report = alpaca.place(_order(doc["symbol"], Side.SELL, Intent.OPEN, int(doc["qty"]), "2.15", "pw-csp-1"))
    (body,) = _posted(standin)
    assert body["symbol"] == doc["symbol"] and body["side"] == doc["side"] == "sell"
    assert Decimal(str(body["qty"])) == Decimal(doc["qty"]) and body["time_in_force"] == doc["time_in_force"]
    assert body["type"] == "limit" and Decimal(str(body["limit_price"])) == Decimal("2.15")
    assert body["position_intent"] == "sell_to_open" and body["client_order_id"] == "pw-csp-1"
    assert report.status is OrderStatus.ACCEPTED and report.client_order_id == "pw-csp-1"
    assert report.broker_order_id == standin.by_client_id("pw-csp-1")["id"]
    assert report.limit == Decimal("2.15") and report.filled == 0 and report.fills == ()


@pytest.mark.shared
def test_alpaca_place_covered_call_matches_the_documented_body(alpaca, standin, documented_orders):  # type: ignore[no-untyped-def]
    doc = documented_orders["sell_covered_call"]
    alpaca.place(_order(doc["symbol"], Side.SELL, Intent.OPEN, int(doc["qty"]), doc["limit_price"], "pw-cc-1"))
    (body,) = _posted(standin)
    for key in ("symbol", "side", "type", "time_in_force"):
        assert body[key] == doc[key], key
    for key in ("qty", "limit_price"):
        assert Decimal(str(body[key])) == Decimal(doc[key]), key


def test_alpaca_roll_is_one_mleg_order_with_alpaca_signed_limit(alpaca, standin):  # type: ignore[no-untyped-def]
    report = alpaca.place(_roll(qty=2, credit="0.40"))
    (body,) = _posted(standin)
    assert body["order_class"] == "mleg" and "symbol" not in body and body["qty"] == 2
    assert Decimal(str(body["limit_price"])) == Decimal("-0.40")  # Alpaca: negative = credit
    assert [(leg["symbol"], leg["side"], leg["position_intent"], leg["ratio_qty"]) for leg in body["legs"]] == [
        ("SPY261218P00450000", "buy", "buy_to_close", 1), ("SPY270115P00445000", "sell", "sell_to_open", 1)]
    assert report.status is OrderStatus.ACCEPTED and report.limit == Decimal("0.40")  # back to ours: credit positive


def test_alpaca_mleg_fills_come_from_each_leg(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_roll())
    parent = standin.by_client_id("pw-roll-1")
    standin.fill(parent["id"], 1, "3.10", leg_symbol="SPY261218P00450000")
    standin.fill(parent["id"], 1, "3.50", leg_symbol="SPY270115P00445000")
    report = alpaca.order("pw-roll-1")
    assert report.status is OrderStatus.FILLED and report.filled == 1
    assert sorted((f.side, f.contract.strike, f.price) for f in report.fills) == [
        (Side.BUY, Decimal(450), Decimal("3.10")), (Side.SELL, Decimal(445), Decimal("3.50"))]
    assert all(f.client_order_id == "pw-roll-1" for f in report.fills)


def test_alpaca_replace_follows_the_chain_from_our_client_order_id(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-walk"))
    first = alpaca.replace("pw-walk", Decimal("2.10"))
    second = alpaca.replace("pw-walk", Decimal("2.05"))
    patches = [(path, body) for method, path, body, _ in standin.requests if method == "PATCH"]
    assert [body["client_order_id"] for _, body in patches] == ["pw-walk#r1", "pw-walk#r2"]
    assert [Decimal(str(body["limit_price"])) for _, body in patches] == [Decimal("2.10"), Decimal("2.05")]
    assert first.client_order_id == second.client_order_id == "pw-walk"
    now = alpaca.order("pw-walk")
    assert now.limit == Decimal("2.05") and now.broker_order_id == standin.by_client_id("pw-walk#r2")["id"]
    assert [o.client_order_id for o in alpaca.open_orders()] == ["pw-walk"]
    assert root_client_order_id("pw-walk#r2") == "pw-walk"


def test_alpaca_replace_of_a_roll_keeps_the_credit_sign(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_roll(credit="0.40"))
    report = alpaca.replace("pw-roll-1", Decimal("0.30"))
    (patch,) = [body for method, _, body, _ in standin.requests if method == "PATCH"]
    assert Decimal(str(patch["limit_price"])) == Decimal("-0.30") and report.limit == Decimal("0.30")


def test_alpaca_partial_fill_then_replace_sends_the_rest_and_keeps_every_fill(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 3, "2.20", "pw-part"))
    standin.fill(standin.by_client_id("pw-part")["id"], 1, "2.20")
    assert alpaca.order("pw-part").status is OrderStatus.PARTIALLY_FILLED
    alpaca.replace("pw-part", Decimal("2.10"))
    (patch,) = [body for method, _, body, _ in standin.requests if method == "PATCH"]
    assert patch["qty"] == 2
    (open_report,) = alpaca.open_orders()  # the replacement, reported under our id with the first step's fill
    assert (open_report.client_order_id, open_report.filled, open_report.status) == (
        "pw-part", 1, OrderStatus.PARTIALLY_FILLED)
    standin.fill(standin.by_client_id("pw-part#r1")["id"], 2, "2.10")
    report = alpaca.order("pw-part")
    assert report.status is OrderStatus.FILLED and report.filled == 3
    assert [(f.quantity, f.price) for f in report.fills] == [(1, Decimal("2.20")), (2, Decimal("2.10"))]
    assert len({f.fill_id for f in report.fills}) == 2
    assert all(f.time.tzinfo is UTC or f.time.utcoffset().total_seconds() == 0 for f in report.fills)
    assert report.fills[0].time == datetime(2026, 12, 4, 15, 1, 0, 500000, tzinfo=UTC)


def test_alpaca_replace_or_cancel_a_finished_order_reports_it_and_sends_nothing(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-done"))
    standin.fill(standin.by_client_id("pw-done")["id"], 1, "2.20")
    assert alpaca.replace("pw-done", Decimal("2.00")).status is OrderStatus.FILLED
    assert alpaca.cancel("pw-done").status is OrderStatus.FILLED
    assert not [m for m, *_ in standin.requests if m in ("PATCH", "DELETE")]


def test_alpaca_cancel(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-cxl"))
    report = alpaca.cancel("pw-cxl")
    assert report.status is OrderStatus.CANCELLED and report.status.is_terminal
    assert alpaca.open_orders() == []


def test_alpaca_cancel_that_loses_the_race_to_a_fill_reports_the_fill(alpaca, standin):  # type: ignore[no-untyped-def]
    alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-race"))
    order_id = standin.by_client_id("pw-race")["id"]
    standin.refuse_next(422, {"code": 42210000, "message": "order is already in \"filled\" state"}, method="DELETE",
                        then=lambda: standin.fill(order_id, 1, "2.20"))
    report = alpaca.cancel("pw-race")
    assert report.status is OrderStatus.FILLED and report.filled == 1 and len(report.fills) == 1


def test_alpaca_every_order_status_maps():  # type: ignore[no-untyped-def]
    assert set(STATUS_MAP) == set(AlpacaStatus)


@pytest.mark.parametrize(("wire", "ours"), [
    ("new", OrderStatus.ACCEPTED), ("pending_new", OrderStatus.ACCEPTED), ("accepted", OrderStatus.ACCEPTED),
    ("held", OrderStatus.ACCEPTED), ("pending_cancel", OrderStatus.ACCEPTED), ("done_for_day", OrderStatus.ACCEPTED),
    ("partially_filled", OrderStatus.PARTIALLY_FILLED), ("filled", OrderStatus.FILLED),
    ("canceled", OrderStatus.CANCELLED), ("expired", OrderStatus.EXPIRED), ("rejected", OrderStatus.REJECTED),
])
def test_alpaca_status_on_the_wire(alpaca, standin, wire, ours):  # type: ignore[no-untyped-def]
    alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-st"))
    standin.set_status(standin.by_client_id("pw-st")["id"], wire)
    assert alpaca.order("pw-st").status is ours


def test_alpaca_unknown_order_is_none(alpaca):  # type: ignore[no-untyped-def]
    assert alpaca.order("never-sent") is None


def test_alpaca_place_twice_after_a_restart_returns_the_first_order(alpaca, standin):  # type: ignore[no-untyped-def]
    order = _order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-once")
    first = alpaca.place(order)
    again = alpaca.place(order)  # Alpaca answers 422 "client_order_id must be unique"
    assert again.broker_order_id == first.broker_order_id and len(standin.orders) == 1


def test_alpaca_account_and_positions_in_decimal(alpaca, standin):  # type: ignore[no-untyped-def]
    standin.positions = [position_json("SPY261218P00450000", "-1", "short", "2.15", "us_option"),
                         position_json("SPY", "100", "long", "448.20", "us_equity")]
    account = alpaca.account()
    assert account.account_id == "PA3W2X9TEST1"
    assert account.cash == Decimal("40000.12") and account.buying_power == Decimal("40000.00")
    put, shares = account.positions
    assert put.quantity == -1 and put.average_price == Decimal("2.15")
    assert put.contract == OptionContract("SPY", date(2026, 12, 18), Decimal(450), Right.PUT)
    assert shares.quantity == 100 and shares.contract is None and shares.average_price == Decimal("448.20")
    assert alpaca.supports_combo is True


def test_alpaca_without_options_level_3_does_not_take_combos(alpaca, standin):  # type: ignore[no-untyped-def]
    standin.account["options_trading_level"] = 1
    assert alpaca.supports_combo is False


@pytest.mark.shared
def test_alpaca_option_activities_from_the_documented_examples(alpaca, standin, fixtures_dir):  # type: ignore[no-untyped-def]
    doc = json.loads((fixtures_dir / "alpaca" / "alpaca_docs_nta_option_exercise_and_assignment.json").read_text())
    expiry = {"id": "20231201000000000::7c1f6c2e-8e07-4f0e-9b3e-2f1b8f6a0c11", "activity_type": "OPEXP",
              "date": "2023-12-01", "net_amount": "0", "description": "Option Expiry", "symbol": "AAPL231201P00175000",
              "qty": "1", "status": "executed"}
    standin.activities = [*doc["option_assignment"], *doc["option_exercise"], expiry]
    got = alpaca.activities(since=date(2023, 7, 1))
    assert [(a.kind, a.contract.occ_symbol, a.quantity, a.on) for a in got] == [
        (ActivityKind.ASSIGNMENT, "AAPL  230721C00150000", 2, date(2023, 7, 1)),
        (ActivityKind.EXERCISE, "AAPL  230721C00150000", 2, date(2023, 7, 21)),  # qty "-2" on the wire
        (ActivityKind.EXPIRATION, "AAPL  231201P00175000", 1, date(2023, 12, 1)),
    ]
    assert len({a.activity_id for a in got}) == 3  # the docs reuse one id across types; ours stay distinct
    assert [a.kind for a in alpaca.activities(since=date(2023, 7, 2))] == [ActivityKind.EXERCISE, ActivityKind.EXPIRATION]
    (_, _, _, params), *_ = [r for r in standin.requests if r[1] == "/v2/account/activities"]
    assert params["activity_types"] == "OPASN,OPEXC,OPEXP" and params["direction"] == "asc"


# --- errors ---------------------------------------------------------------------------------------------------------

def test_alpaca_403_insufficient_buying_power_is_a_rejection(alpaca, standin):  # type: ignore[no-untyped-def]
    standin.refuse_next(403, {"code": 40310000, "message": "insufficient options buying power for cash-secured put"})
    with pytest.raises(OrderRejected) as caught:
        alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-bp"))
    assert caught.value.report.status is OrderStatus.REJECTED and caught.value.report.client_order_id == "pw-bp"
    assert "insufficient options buying power" in caught.value.report.message
    assert "\n" not in str(caught.value) and str(caught.value).startswith("pw-bp: Alpaca rejected the order (HTTP 403")


def test_alpaca_422_invalid_order_is_a_rejection(alpaca, standin):  # type: ignore[no-untyped-def]
    standin.refuse_next(422, {"code": 40010001, "message": "invalid limit_price 2.123. sub-penny increment"})
    with pytest.raises(OrderRejected, match="HTTP 422"):
        alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, "2.20", "pw-422"))


def test_alpaca_wrong_keys_are_a_config_error_naming_the_variables(standin, httpserver):  # type: ignore[no-untyped-def]
    wrong = AlpacaCredentials(Secret("PKWRONG"), Secret("wrong-secret-value-123"), "environment")
    broker = AlpacaBroker(wrong, url_override=httpserver.url_for("").rstrip("/"))
    with pytest.raises(ConfigError) as caught:
        broker.account()
    text = str(caught.value)
    assert "APCA_API_KEY_ID" in text and "APCA_API_SECRET_KEY" in text and "paper" in text
    assert "wrong-secret-value-123" not in text and "PKWRONG" not in text


def test_alpaca_broker_text_never_carries_a_key(alpaca, standin):  # type: ignore[no-untyped-def]
    standin.refuse_next(500, {"code": 50010000, "message": f"internal error for key {KEY_ID} / {SECRET_KEY}"})
    with pytest.raises(BrokerError) as caught:
        alpaca.account()
    assert SECRET_KEY not in str(caught.value) and KEY_ID not in str(caught.value) and "HTTP 500" in str(caught.value)
    assert SECRET_KEY not in repr(alpaca) and KEY_ID not in repr(alpaca)


def test_alpaca_unreachable_is_a_broker_error(alpaca_creds):  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    broker = AlpacaBroker(alpaca_creds, url_override=f"http://127.0.0.1:{port}")
    with pytest.raises(BrokerError, match="cannot reach Alpaca"):
        broker.account()


def test_alpaca_refuses_an_order_without_a_limit(alpaca, standin):  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="needs a limit"):
        alpaca.place(_order("SPY261218P00450000", Side.SELL, Intent.OPEN, 1, None, "pw-mkt"))
    assert not _posted(standin)


def test_alpaca_endpoints_paper_by_default_live_on_request(alpaca_creds):  # type: ignore[no-untyped-def]
    assert AlpacaBroker(alpaca_creds).endpoint == "https://paper-api.alpaca.markets"
    assert AlpacaBroker(alpaca_creds, live=True).endpoint == "https://api.alpaca.markets"
