from __future__ import annotations

import socket
import sys

import pytest

from putwheel.domain.errors import ConfigError
from putwheel.execution.brokers.registry import open_live_broker

from .conftest import KEY_ID, SECRET_KEY

KEYS = {"APCA_API_KEY_ID": KEY_ID, "APCA_API_SECRET_KEY": SECRET_KEY}


def _one_line(exc: pytest.ExceptionInfo[ConfigError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and SECRET_KEY not in text
    return text


def test_registry_alpaca_live_without_keys_refuses_in_one_line(no_keyring):  # type: ignore[no-untyped-def]
    pytest.importorskip("alpaca")
    with pytest.raises(ConfigError) as caught:
        open_live_broker("alpaca", live=True, env={})
    text = _one_line(caught)
    assert "APCA_API_KEY_ID" in text and "APCA_API_SECRET_KEY" in text and "live" in text


def test_registry_alpaca_paper_by_default_live_when_asked():  # type: ignore[no-untyped-def]
    pytest.importorskip("alpaca")
    paper = open_live_broker("alpaca", live=False, env=KEYS)
    live = open_live_broker("Alpaca", live=True, env=KEYS)
    assert paper.name == live.name == "alpaca"
    assert paper.endpoint == "https://paper-api.alpaca.markets"  # type: ignore[attr-defined]
    assert live.endpoint == "https://api.alpaca.markets"  # type: ignore[attr-defined]
    local = open_live_broker("alpaca", live=False, env={**KEYS, "PUTWHEEL_ALPACA_URL": "http://127.0.0.1:9"})
    assert local.endpoint == "http://127.0.0.1:9"  # type: ignore[attr-defined]
    assert SECRET_KEY not in repr(paper)


@pytest.mark.parametrize(("name", "module", "extra"), [("alpaca", "alpaca.trading.client", "alpaca"),
                                                       ("ibkr", "ib_async", "ibkr")])
def test_registry_missing_extra_says_what_to_install(monkeypatch, name, module, extra):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, module, None)  # as if the SDK were not installed
    monkeypatch.delitem(sys.modules, f"putwheel.execution.brokers.{name}", raising=False)
    with pytest.raises(ConfigError) as caught:
        open_live_broker(name, live=False, env=KEYS)
    assert f"pip install 'putwheel[{extra}]'" in _one_line(caught)


def test_registry_tastytrade_not_yet_and_unknown_names():  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="not supported yet"):
        open_live_broker("tastytrade", live=False, env={})
    with pytest.raises(ConfigError, match="alpaca, ibkr"):
        open_live_broker("robinhood", live=False, env={})


def test_registry_ibkr_nothing_listening_names_the_variables():  # type: ignore[no-untyped-def]
    pytest.importorskip("ib_async")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConfigError) as caught:
        open_live_broker("ibkr", live=False, env={"PUTWHEEL_IB_PORT": str(port)})
    text = _one_line(caught)
    assert f"127.0.0.1:{port}" in text and "PUTWHEEL_IB_PORT" in text


def test_registry_ibkr_half_configured_flex_refuses():  # type: ignore[no-untyped-def]
    pytest.importorskip("ib_async")
    with pytest.raises(ConfigError, match="PUTWHEEL_IB_FLEX_QUERY"):
        open_live_broker("ibkr", live=False, env={"PUTWHEEL_IB_FLEX_TOKEN": "123456789"})


def test_registry_both_adapters_have_every_live_broker_member():  # type: ignore[no-untyped-def]
    pytest.importorskip("alpaca")
    pytest.importorskip("ib_async")
    from putwheel.domain.orders import LiveBroker
    from putwheel.execution.brokers.alpaca import AlpacaBroker
    from putwheel.execution.brokers.ibkr import IbkrBroker

    members = {n for n in vars(LiveBroker) if not n.startswith("_")} | set(LiveBroker.__annotations__)
    assert {"name", "supports_combo", "account", "place", "replace", "cancel", "order", "open_orders",
            "activities"} <= members
    for adapter in (AlpacaBroker, IbkrBroker):
        for member in members:
            assert hasattr(adapter, member), (adapter.__name__, member)


def test_registry_alpaca_through_the_stand_in_end_to_end(standin, httpserver):  # type: ignore[no-untyped-def]
    """What `putwheel run` does with a broker: open it from env, sell a put, see it fill, read the account."""
    from datetime import date
    from decimal import Decimal

    from putwheel.domain.contract import OptionContract
    from putwheel.domain.orders import Intent, Order, OrderStatus, Side

    env = {**KEYS, "PUTWHEEL_ALPACA_URL": httpserver.url_for("").rstrip("/")}
    broker = open_live_broker("alpaca", live=False, env=env)
    put = Order("run-2026-12-04-1", OptionContract.from_occ("SPY261218P00450000"), Side.SELL, Intent.OPEN, 1,
                Decimal("2.15"), reason_code=0, placed=date(2026, 12, 4))
    assert broker.place(put).status is OrderStatus.ACCEPTED
    standin.fill(standin.by_client_id("run-2026-12-04-1")["id"], 1, "2.15")
    report = broker.order("run-2026-12-04-1")
    assert report is not None and report.status is OrderStatus.FILLED and report.fills[0].price == Decimal("2.15")
    assert broker.account().cash == Decimal("40000.12") and broker.supports_combo
