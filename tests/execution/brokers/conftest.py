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


@pytest.fixture
def memory_keyring():  # type: ignore[no-untyped-def]
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}  # noqa: RUF012

        def get_password(self, service, username):  # type: ignore[no-untyped-def]
            return self.store.get((service, username))

        def set_password(self, service, username, password):  # type: ignore[no-untyped-def]
            self.store[(service, username)] = password

        def delete_password(self, service, username):  # type: ignore[no-untyped-def]
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = Memory()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(memory_keyring):  # type: ignore[no-untyped-def]
    memory_keyring.store.clear()
    return memory_keyring
