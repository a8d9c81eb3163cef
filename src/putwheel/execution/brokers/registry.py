"""`open_live_broker`: a broker name and `--live` -> a connected `LiveBroker`, or one `ConfigError` line saying why not.

Stages: the name (alpaca, ibkr; tastytrade is not supported yet) -> the optional SDK extra is importable (else
``pip install 'putwheel[alpaca]'``) -> credentials / address from the environment or keyring (`credentials.py`, which
names the variables when something is missing) -> the adapter, on the paper endpoint unless `live` is True.
Nothing here prints; every value read from the environment stays inside a `Secret`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from putwheel.domain.errors import ConfigError
from putwheel.domain.orders import LiveBroker
from putwheel.execution.brokers.credentials import alpaca_credentials, ibkr_connection, ibkr_flex

LIVE_BROKERS = ("alpaca", "ibkr")
NOT_YET = ("tastytrade",)
ENV_ALPACA_URL = "PUTWHEEL_ALPACA_URL"  # a stand-in or proxy in front of Alpaca's Trading API (tests, firewalls)

_SDK = {"alpaca": ("alpaca", "alpaca-py"), "ibkr": ("ib_async", "ib_async")}


def _missing_extra(name: str, exc: ImportError) -> ConfigError:
    """The SDK behind `name` is not installed -> one line; any other ImportError is a bug and propagates."""
    module, package = _SDK[name]
    if (exc.name or "").split(".")[0] != module:
        raise exc
    return ConfigError(f"the {name} broker needs {package}, which is not installed",
                       hint=f"pip install 'putwheel[{name}]'")


def open_live_broker(name: str, *, live: bool, env: Mapping[str, str] | None = None) -> LiveBroker:
    """The named broker, on its paper account unless `live`; `ConfigError` (one line) when it cannot be opened."""
    env = os.environ if env is None else env
    key = name.strip().lower()
    if key in NOT_YET:
        raise ConfigError(f"the {key} broker is not supported yet", hint="use --broker alpaca or --broker ibkr")
    if key not in LIVE_BROKERS:
        raise ConfigError(f"unknown broker {name!r}", hint=f"choose one of: {', '.join(LIVE_BROKERS)}")
    if key == "alpaca":
        return _alpaca(live, env)
    return _ibkr(live, env)


def _alpaca(live: bool, env: Mapping[str, str]) -> LiveBroker:
    try:
        from putwheel.execution.brokers.alpaca import AlpacaBroker
    except ImportError as exc:
        raise _missing_extra("alpaca", exc) from None
    credentials = alpaca_credentials(live=live, env=env)
    return AlpacaBroker(credentials, live=live, url_override=env.get(ENV_ALPACA_URL, "").strip() or None)


def _ibkr(live: bool, env: Mapping[str, str]) -> LiveBroker:
    try:
        from putwheel.execution.brokers.ibkr import connect
    except ImportError as exc:
        raise _missing_extra("ibkr", exc) from None
    address = ibkr_connection(env)
    flex = ibkr_flex(env)
    flex_source = None
    if flex is not None:
        def flex_source() -> Any:
            from ib_async import FlexReport

            return FlexReport(token=flex.token.reveal(), queryId=flex.query_id)

    return connect(address.host, address.port, address.client_id, live=live, account=address.account,
                   flex=flex_source)
