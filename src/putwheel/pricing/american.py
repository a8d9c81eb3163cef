"""American options: single-stock options are American, so a short put can be assigned early.

Bjerksund-Stensland 2002 is the default (closed form, within a few cents of a 2,000-step tree on listed-style
contracts); Barone-Adesi-Whaley for comparison; a CRR tree as the accurate reference.
"""

from __future__ import annotations

import numpy as np

from putwheel.pricing import _american_kernels as ak
from putwheel.pricing._arrays import ArrayLike, Float, flat_inputs, floor_zero, per_contract, pick, shaped
from putwheel.pricing.iv import IVResult


def bjerksund_stensland_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike,
                              sigma: ArrayLike, is_call: ArrayLike) -> Float:
    return per_contract(ak.bs2002_vec, ak.bs2002_vec_serial, s, k, t, r, q, sigma, flags=is_call, price=True)


def baw_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
              is_call: ArrayLike) -> Float:
    return per_contract(ak.baw_vec, ak.baw_vec_serial, s, k, t, r, q, sigma, flags=is_call, price=True)


def binomial_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
                   is_call: ArrayLike, steps: int = 500, american: bool = True) -> Float:
    """Cox-Ross-Rubinstein tree (average of `steps` and `steps + 1`): slow, accurate, the reference."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    shape, (s_, k_, t_, r_, q_, v_), c_ = flat_inputs(s, k, t, r, q, sigma, flags=is_call)
    out = np.empty(s_.size)
    pick(ak.binomial_vec, ak.binomial_vec_serial, s_.size * steps)(s_, k_, t_, r_, q_, v_, c_, steps, american, out)
    floor_zero(out)
    return shaped(out, shape)


def american_implied_vol(price: ArrayLike, s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike,
                         is_call: ArrayLike) -> IVResult:
    """Vol that makes the Bjerksund-Stensland 2002 price match a listed (American) premium."""
    shape, (p_, s_, k_, t_, r_, q_), c_ = flat_inputs(price, s, k, t, r, q, flags=is_call)
    out = np.empty(s_.size)
    reason = np.empty(s_.size, dtype=np.int8)
    pick(ak.american_iv_vec, ak.american_iv_vec_serial, p_.size * 32)(p_, s_, k_, t_, r_, q_, c_, out, reason)
    return IVResult(shaped(out, shape), reason.reshape(shape))
