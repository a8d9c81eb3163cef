from __future__ import annotations

import re

import pytest

from putwheel.execution.brokers.credentials import AlpacaCredentials, Secret

KEY_ID = "PKTESTKEY0000000000"
SECRET_KEY = "s3cr3t-Th1s-Must-N3ver-Print-0123456789"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)  # loopback only, any free port


@pytest.fixture
def alpaca_creds() -> AlpacaCredentials:
    return AlpacaCredentials(Secret(KEY_ID), Secret(SECRET_KEY), "environment")


@pytest.fixture
def standin(httpserver):  # type: ignore[no-untyped-def]
    pytest.importorskip("alpaca")
    from .alpaca_standin import AlpacaStandIn

    fake = AlpacaStandIn(KEY_ID, SECRET_KEY)
    httpserver.expect_request(re.compile(r"/v2/.*")).respond_with_handler(fake)
    return fake


@pytest.fixture
def alpaca(standin, httpserver, alpaca_creds):  # type: ignore[no-untyped-def]
    from putwheel.execution.brokers.alpaca import AlpacaBroker

    return AlpacaBroker(alpaca_creds, url_override=httpserver.url_for("").rstrip("/"))
