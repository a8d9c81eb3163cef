"""Broker credentials: from environment variables or the OS keyring, never from the command line, never printed.

Stages: look up (the environment first, then the `keyring` package's OS keyring under service "putwheel", when it is
installed and has a usable backend) -> wrap every secret value in `Secret`, whose `repr`/`str` are a fixed mask ->
refuse with one `ConfigError` line naming the variables to set when something is missing. The adapters call
`Secret.reveal()` only at the moment they hand the value to the broker SDK.

Keyring entries (service "putwheel"): ``alpaca-paper:key_id`` / ``alpaca-paper:secret_key`` for the paper account and
``alpaca-live:key_id`` / ``alpaca-live:secret_key`` for the live one (Alpaca issues separate keys for each), e.g.
``keyring set putwheel alpaca-paper:secret_key`` (it prompts, so the value never lands in the shell history).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from putwheel.domain.errors import ConfigError

KEYRING_SERVICE = "putwheel"
ENV_ALPACA_KEY = "APCA_API_KEY_ID"
ENV_ALPACA_SECRET = "APCA_API_SECRET_KEY"
ENV_IB_HOST = "PUTWHEEL_IB_HOST"
ENV_IB_PORT = "PUTWHEEL_IB_PORT"
ENV_IB_CLIENT_ID = "PUTWHEEL_IB_CLIENT_ID"
ENV_IB_ACCOUNT = "PUTWHEEL_IB_ACCOUNT"  # which account, when one TWS login manages several
ENV_IB_FLEX_TOKEN = "PUTWHEEL_IB_FLEX_TOKEN"  # optional: a Flex Web Service token (assignments / expirations)
ENV_IB_FLEX_QUERY = "PUTWHEEL_IB_FLEX_QUERY"  # the id of a Flex query with the OptionEAE section
IB_DEFAULTS = ("127.0.0.1", 7497, 1)  # TWS paper port; IB Gateway paper is 4002, live 7496 / 4001

_MASK = "Secret('********')"


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential. Printing, logging, formatting or `repr` shows a mask; `reveal()` is the only way to the value."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _MASK

    def __reduce__(self) -> tuple[object, ...]:  # no pickling a secret into a cache or a crash dump
        raise TypeError("a Secret cannot be pickled")

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class AlpacaCredentials:
    key_id: Secret
    secret_key: Secret
    source: str  # "environment" or "keyring" (for messages; never the values)

    def scrub(self, text: str) -> str:
        """`text` with every occurrence of either key replaced by a mask (broker messages, exception text)."""
        for secret in (self.secret_key, self.key_id):
            value = secret.reveal()
            if value:
                text = text.replace(value, "********")
        return text


@dataclass(frozen=True, slots=True)
class IbkrConnection:
    """Where TWS / IB Gateway listens. Not secret (the session is authenticated inside TWS), but from env only."""

    host: str
    port: int
    client_id: int
    account: str = ""  # empty: the login's only account


def _from_keyring(username: str) -> str | None:
    try:
        import keyring  # optional: `pip install 'putwheel[keyring]'`
    except ImportError:
        return None
    try:
        found = keyring.get_password(KEYRING_SERVICE, username)
    except Exception:  # no usable keyring backend on this machine (headless server): fall back to "missing"
        return None
    return str(found) if found else None


def alpaca_credentials(*, live: bool, env: Mapping[str, str] | None = None) -> AlpacaCredentials:
    """Alpaca API keys: `$APCA_API_KEY_ID` + `$APCA_API_SECRET_KEY`, else the keyring; `ConfigError` if neither."""
    env = os.environ if env is None else env
    key, secret = env.get(ENV_ALPACA_KEY, "").strip(), env.get(ENV_ALPACA_SECRET, "").strip()
    if key and secret:
        return AlpacaCredentials(Secret(key), Secret(secret), "environment")
    if key or secret:
        missing = ENV_ALPACA_SECRET if key else ENV_ALPACA_KEY
        raise ConfigError(f"Alpaca credentials are incomplete: {missing} is not set",
                          hint=f"set both {ENV_ALPACA_KEY} and {ENV_ALPACA_SECRET}")
    account = "alpaca-live" if live else "alpaca-paper"
    key_kr, secret_kr = _from_keyring(f"{account}:key_id"), _from_keyring(f"{account}:secret_key")
    if key_kr and secret_kr:
        return AlpacaCredentials(Secret(key_kr), Secret(secret_kr), "keyring")
    mode = "live" if live else "paper"
    raise ConfigError(f"no Alpaca {mode} API keys found",
                      hint=f"set {ENV_ALPACA_KEY} and {ENV_ALPACA_SECRET}, or store them with "
                           f"`keyring set {KEYRING_SERVICE} {account}:key_id` and `... {account}:secret_key`")


def _int_env(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a whole number", hint=f"e.g. {name}={default}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range {low}..{high}", hint=f"e.g. {name}={default}")
    return value


def ibkr_connection(env: Mapping[str, str] | None = None) -> IbkrConnection:
    """TWS / IB Gateway address from `$PUTWHEEL_IB_HOST`, `_PORT`, `_CLIENT_ID`, and `$PUTWHEEL_IB_ACCOUNT`."""
    env = os.environ if env is None else env
    host_default, port_default, client_default = IB_DEFAULTS
    host = env.get(ENV_IB_HOST, "").strip() or host_default
    port = _int_env(env, ENV_IB_PORT, port_default, low=1, high=65535)
    client_id = _int_env(env, ENV_IB_CLIENT_ID, client_default, low=0, high=2**31 - 1)
    return IbkrConnection(host, port, client_id, env.get(ENV_IB_ACCOUNT, "").strip().upper())


@dataclass(frozen=True, slots=True)
class IbkrFlex:
    """A Flex Web Service token (secret) and the id of a query whose report has the `OptionEAE` section."""

    token: Secret
    query_id: str


def ibkr_flex(env: Mapping[str, str] | None = None) -> IbkrFlex | None:
    """`$PUTWHEEL_IB_FLEX_TOKEN` (or keyring ``ibkr:flex_token``) + `$PUTWHEEL_IB_FLEX_QUERY`; None when unset."""
    env = os.environ if env is None else env
    query = env.get(ENV_IB_FLEX_QUERY, "").strip()
    token = env.get(ENV_IB_FLEX_TOKEN, "").strip() or (_from_keyring("ibkr:flex_token") if query else None) or ""
    if not query and not token:
        return None
    if not query or not token:
        missing = ENV_IB_FLEX_QUERY if token else ENV_IB_FLEX_TOKEN
        raise ConfigError(f"the IBKR Flex query is half configured: {missing} is not set",
                          hint=f"set both {ENV_IB_FLEX_TOKEN} and {ENV_IB_FLEX_QUERY}, or neither")
    return IbkrFlex(Secret(token), query)
