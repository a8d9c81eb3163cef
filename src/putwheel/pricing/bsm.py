"""Black-Scholes-Merton with a continuous dividend yield: price, Greeks, assignment and touch probabilities.

Arrays in, arrays out (NumPy broadcasting; scalars give 0-d arrays). Conventions a seller reads on a broker screen:
theta per calendar day, vega and rho per 1.00 of vol / rate (the kernels' unit, which the implied-vol solvers use);
`Greeks.vega_per_vol_point` and `rho_per_rate_point` are the broker-screen units that `putwheel quote`, the Python
`api.quote` and the chain frames (`vega` column) show.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from putwheel.pricing import _kernels as kern
from putwheel.pricing._arrays import ArrayLike, Float, flat_inputs, floor_zero, per_contract, pick, shaped


class Greeks(NamedTuple):
    price: Float
    delta: Float
    gamma: Float
    theta: Float
    vega: Float  # per 1.00 of vol (0.20 -> 1.20); per vol point: `vega_per_vol_point`
    rho: Float  # per 1.00 of rate; per rate point: `rho_per_rate_point`

    @property
    def vega_per_vol_point(self) -> Float:
        """Price change for one vol point (0.20 -> 0.21): what a broker screen, `putwheel quote` and chains show."""
        return self.vega / 100.0

    @property
    def rho_per_rate_point(self) -> Float:
        return self.rho / 100.0


def bs_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
             is_call: ArrayLike) -> Float:
    """European price; t in years (ACT/365); NaN for invalid inputs (non-positive spot/strike, negative t or vol)."""
    return per_contract(kern.bs_price_vec, kern.bs_price_vec_serial, s, k, t, r, q, sigma, flags=is_call, price=True)


def bs_greeks(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
              is_call: ArrayLike) -> Greeks:
    """Price and first-order Greeks plus gamma in one pass (one d1/d2 per contract)."""
    shape, (s_, k_, t_, r_, q_, v_), c_ = flat_inputs(s, k, t, r, q, sigma, flags=is_call)
    out = np.empty((6, s_.size))
    pick(kern.greeks_vec, kern.greeks_vec_serial, s_.size)(s_, k_, t_, r_, q_, v_, c_, out)
    floor_zero(out[0])
    return Greeks(*(shaped(row, shape) for row in out))


def prob_itm(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
             is_call: ArrayLike) -> Float:
    """Risk-neutral probability of expiring in the money: N(d2) for calls, N(-d2) for puts (= odds of assignment)."""
    return per_contract(kern.prob_itm_vec, kern.prob_itm_vec_serial, s, k, t, r, q, sigma, flags=is_call)


def prob_touch(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike) -> Float:
    """Risk-neutral probability the underlying trades through the strike before expiry (roughly 2x prob_itm)."""
    shape, (s_, k_, t_, r_, q_, v_), _ = flat_inputs(s, k, t, r, q, sigma, flags=False)
    out = np.empty(s_.size)
    pick(kern.prob_touch_vec, kern.prob_touch_vec_serial, s_.size)(s_, k_, t_, r_, q_, v_, out)
    return shaped(out, shape)
