from __future__ import annotations

import logging
import pickle

import pytest

from putwheel.domain.errors import ConfigError
from putwheel.execution.brokers.credentials import (
    AlpacaCredentials,
    IbkrConnection,
    Secret,
    alpaca_credentials,
    ibkr_connection,
)

VALUE = "sk-very-secret-0123456789"


def test_secret_never_shows_its_value(caplog):  # type: ignore[no-untyped-def]
    secret = Secret(VALUE)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret]),
             repr(AlpacaCredentials(secret, secret, "environment"))]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("putwheel.test").info("keys: %s %r", secret, secret)
    shown.append(caplog.text)
    assert all(VALUE not in text for text in shown)
    assert secret.reveal() == VALUE
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_alpaca_credentials_from_the_environment():  # type: ignore[no-untyped-def]
    creds = alpaca_credentials(live=False, env={"APCA_API_KEY_ID": " PKX ", "APCA_API_SECRET_KEY": VALUE})
    assert creds.key_id.reveal() == "PKX" and creds.secret_key.reveal() == VALUE and creds.source == "environment"
    assert creds.scrub(f"bad key {VALUE} / PKX") == "bad key ******** / ********"


def test_alpaca_credentials_missing_name_the_variables(no_keyring):  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        alpaca_credentials(live=True, env={})
    text = str(caught.value)
    assert "APCA_API_KEY_ID" in text and "APCA_API_SECRET_KEY" in text and "live" in text and "\n" not in text


def test_alpaca_credentials_half_set_says_which_is_missing():  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="APCA_API_SECRET_KEY is not set"):
        alpaca_credentials(live=False, env={"APCA_API_KEY_ID": "PKX"})


def test_alpaca_credentials_from_the_keyring_per_mode(no_keyring):  # type: ignore[no-untyped-def]
    no_keyring.set_password("putwheel", "alpaca-paper:key_id", "PKPAPER")
    no_keyring.set_password("putwheel", "alpaca-paper:secret_key", VALUE)
    creds = alpaca_credentials(live=False, env={})
    assert creds.source == "keyring" and creds.key_id.reveal() == "PKPAPER"
    with pytest.raises(ConfigError, match="no Alpaca live API keys"):
        alpaca_credentials(live=True, env={})  # paper keys are never used for the live account


def test_ibkr_connection_defaults_and_env():  # type: ignore[no-untyped-def]
    assert ibkr_connection({}) == IbkrConnection("127.0.0.1", 7497, 1)
    env = {"PUTWHEEL_IB_HOST": "10.0.0.5", "PUTWHEEL_IB_PORT": "4002", "PUTWHEEL_IB_CLIENT_ID": "17"}
    assert ibkr_connection(env) == IbkrConnection("10.0.0.5", 4002, 17)


@pytest.mark.parametrize(("name", "value"), [("PUTWHEEL_IB_PORT", "seven"), ("PUTWHEEL_IB_PORT", "70000"),
                                             ("PUTWHEEL_IB_CLIENT_ID", "-1")])
def test_ibkr_connection_bad_values_are_one_line(name, value):  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=name):
        ibkr_connection({name: value})
