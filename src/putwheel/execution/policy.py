"""The pricing policy: where each limit starts, how it walks, what it never crosses, when the order is cancelled.

Pure functions of quotes and settings. A sale starts at mid and walks toward the bid (its natural price) in
`steps` equal steps, one every `interval_seconds`; it never goes below the bid, and never below a floor (a roll's
minimum credit). A buy walks from mid toward the ask and never above it (or a ceiling). A roll as one multi-leg
order walks its net credit from the mid of the spread toward its natural credit (bid of the new leg less ask of the
old) and never below the minimum credit. After the last step has had its interval, the order is cancelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from putwheel.domain.errors import DataError, InputError
from putwheel.domain.orders import Side

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class PricePolicy:
    """How limits walk: `steps` moves from mid to natural, one per `interval_seconds`; prices on a `tick` grid."""

    steps: int = 3
    interval_seconds: float = 60.0
    tick: Decimal = CENT

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 0:
            raise InputError(f"price steps must be a whole number >= 0, got {self.steps!r}", where="execution.price_steps")
        if not (math.isfinite(self.interval_seconds) and self.interval_seconds >= 0):
            raise InputError(f"step interval {self.interval_seconds!r} is not a duration", where="execution.step_seconds")
        if not (self.tick.is_finite() and self.tick > 0):
            raise InputError(f"tick {self.tick} must be positive", where="execution.tick")

    @property
    def deadline_seconds(self) -> float:
        """Seconds after the first limit when an unfilled order is cancelled (every step has had its interval)."""
        return (self.steps + 1) * self.interval_seconds


def _quote(bid: Decimal, ask: Decimal, what: str) -> None:
    if not (bid.is_finite() and ask.is_finite()) or bid < 0 or ask < bid:
        raise DataError(f"no usable quote for {what}: bid {bid}, ask {ask}", where="execution",
                        hint="a missing or crossed quote is not traded; the order is skipped")


def _on_tick(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return (price / tick).to_integral_value(rounding=rounding) * tick


def _dedupe(path: list[Decimal]) -> tuple[Decimal, ...]:
    out: list[Decimal] = []
    for p in path:
        if not out or p != out[-1]:
            out.append(p)
    return tuple(out)


def _walk(start: Decimal, natural: Decimal, steps: int) -> list[Decimal]:
    if steps == 0:
        return [start]
    return [start + (natural - start) * i / steps for i in range(steps + 1)]


def limits(side: Side, bid: Decimal, ask: Decimal, policy: PricePolicy, *, floor: Decimal | None = None,
           ceiling: Decimal | None = None, what: str = "order") -> tuple[Decimal, ...]:
    """The limits an order walks through, first to last (consecutive repeats dropped).

    A sale: mid -> bid, each rounded up to the tick, never below the bid nor `floor`. A buy: mid -> ask, each
    rounded down, never above the ask nor `ceiling` (and never below 0).
    """
    _quote(bid, ask, what)
    mid = (bid + ask) / 2
    if side is Side.SELL:
        path = [max(_on_tick(p, policy.tick, ROUND_CEILING), bid) for p in _walk(mid, bid, policy.steps)]
        if floor is not None:
            path = [max(p, _on_tick(floor, policy.tick, ROUND_CEILING)) for p in path]
        return _dedupe(path)
    path = [min(_on_tick(p, policy.tick, ROUND_FLOOR), ask) for p in _walk(mid, ask, policy.steps)]
    if ceiling is not None:
        path = [min(p, _on_tick(ceiling, policy.tick, ROUND_FLOOR)) for p in path]
    return _dedupe([max(p, Decimal(0)) for p in path])


def roll_limits(close_bid: Decimal, close_ask: Decimal, open_bid: Decimal, open_ask: Decimal, policy: PricePolicy, *,
                min_credit: Decimal, what: str = "roll") -> tuple[Decimal, ...]:
    """Net-credit limits of a roll as one order (buy the old leg, sell the new): from the spread's mid toward its
    natural credit (new bid - old ask), each rounded up to the tick, never below the natural nor `min_credit`."""
    _quote(close_bid, close_ask, f"{what} (closing leg)")
    _quote(open_bid, open_ask, f"{what} (opening leg)")
    mid = (open_bid + open_ask) / 2 - (close_bid + close_ask) / 2
    natural = open_bid - close_ask
    floor = _on_tick(min_credit, policy.tick, ROUND_CEILING)
    return _dedupe([max(_on_tick(p, policy.tick, ROUND_CEILING), natural, floor) for p in _walk(mid, natural, policy.steps)])


def open_leg_floor(close_price: Decimal, min_credit: Decimal) -> Decimal:
    """A roll sent leg by leg: the new leg's sale must bring at least what the close cost plus the minimum credit."""
    return close_price + min_credit
