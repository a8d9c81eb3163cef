"""What a broker adapter raises: one-line `PutwheelError`s that never carry a credential.

- `ConfigError` (domain): the keys were refused, the SDK extra is missing, the address is wrong -> fix the setup.
- `BrokerError`: the broker could not be reached or answered something we cannot use (5xx, malformed data).
- `OrderRejected(BrokerError)`: the broker refused one order (Alpaca 403 "insufficient buying power", 422 invalid
  order; IBKR error 201 or a what-if margin check that fails). `report` is the order's REJECTED `OrderReport`, so
  the run can record the refusal against its client order id and carry on with the next order.
"""

from __future__ import annotations

from putwheel.domain.errors import PutwheelError
from putwheel.domain.orders import OrderReport

_MAX_BROKER_TEXT = 200


class BrokerError(PutwheelError):
    """The broker could not be reached or answered something unusable."""

    exit_code = 7


class OrderRejected(BrokerError):
    """The broker refused an order; `report` is its REJECTED `OrderReport`."""

    def __init__(self, message: str, *, report: OrderReport, where: str | None = None, hint: str | None = None) -> None:
        self.report = report
        super().__init__(message, where=where, hint=hint)


def one_line(text: object) -> str:
    """Broker text squeezed onto one short line (multi-line HTML error pages, JSON bodies)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_BROKER_TEXT else flat[: _MAX_BROKER_TEXT - 1] + "…"
