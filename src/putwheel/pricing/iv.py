"""Implied volatility, vectorized, that says why when there is none.

Each contract is reduced to Jaeckel's normalised out-of-the-money Black price b(x, s) (x = ln F/K, s = sigma sqrt T;
the in-the-money side is mapped through put-call parity, i.e. its time value), then solved with bracketed Halley
steps anchored at the inflection point sqrt(2|x|): on ln b below it, on b above it (ADR 0002).
Round trip error is at the 1e-12 level wherever vega is not negligible (tests check against vollib's Let's Be Rational).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from putwheel.pricing import _kernels as kern
from putwheel.pricing._arrays import ArrayLike, Float, flat_inputs, pick, shaped

OK = kern.IV_OK
BELOW_INTRINSIC = kern.IV_BELOW_INTRINSIC
ABOVE_BOUND = kern.IV_ABOVE_BOUND
EXPIRED = kern.IV_EXPIRED
INVALID = kern.IV_INVALID
NO_TIME_VALUE = kern.IV_NO_TIME_VALUE

REASONS: dict[int, str] = {
    OK: "ok",
    BELOW_INTRINSIC: "price below intrinsic value (no volatility can produce it)",
    ABOVE_BOUND: "price above the no-arbitrage upper bound (spot for calls, strike for puts)",
    EXPIRED: "no time to expiry",
    INVALID: "invalid input (NaN, non-positive spot or strike, or negative price)",
    NO_TIME_VALUE: "no measurable time value: the price does not determine a volatility",
}


class IVResult(NamedTuple):
    iv: Float
    reason: npt.NDArray[np.int8]


def reason_text(code: int) -> str:
    return REASONS.get(int(code), f"unknown reason code {code}")


def implied_vol(price: ArrayLike, s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike,
                is_call: ArrayLike) -> IVResult:
    """European (Black-Scholes-Merton) implied vol; NaN with a reason code where none exists, never an exception."""
    shape, (p_, s_, k_, t_, r_, q_), c_ = flat_inputs(price, s, k, t, r, q, flags=is_call)
    out = np.empty(s_.size)
    reason = np.empty(s_.size, dtype=np.int8)
    pick(kern.iv_vec, kern.iv_vec_serial, p_.size)(p_, s_, k_, t_, r_, q_, c_, out, reason)
    return IVResult(shaped(out, shape), reason.reshape(shape))
