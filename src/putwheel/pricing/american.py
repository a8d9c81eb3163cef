"""American options: single-stock options are American, so a short put can be assigned early.

`american_price` is the default everywhere an American value is needed: the Andersen-Lake-Offengeld fixed-point
exercise-boundary engine (`_alo_kernels`, ADR 0008), within about a hundredth of a cent of QuantLib's QdFp engine
at high precision on wheel-style contracts. `american_greeks` and `american_implied_vol` run on the same engine.
Bjerksund-Stensland 2002 and Barone-Adesi-Whaley stay as named closed-form alternatives (errors measured in their
docstrings); a CRR-style tree is kept as an independent check.
"""

from __future__ import annotations

import numpy as np

from putwheel.pricing import _alo_loops as alo
from putwheel.pricing import _american_kernels as ak
from putwheel.pricing._arrays import ArrayLike, Float, flat_inputs, floor_zero, per_contract, pick, shaped
from putwheel.pricing.bsm import Greeks
from putwheel.pricing.iv import IVResult

# an American price costs ~ a few dozen European ones: the parallel kernels pay off sooner
_WORK = 32


def american_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
                   is_call: ArrayLike) -> Float:
    """American price by the fixed-point exercise-boundary method (Andersen, Lake, Offengeld 2016).

    t in years (ACT/365); NaN for invalid inputs. Measured against QuantLib's `QdFpAmericanEngine` at its high
    precision scheme (bench/american.py, 2026-12-04 04:12 UTC, shared machine): max abs error 0.026 cent, mean
    0.0004 cent, on 10,000 wheel-style contracts (S 10-1000, K/S 0.7-1.1, 5-90 days, vol 10-120 %, r 0-6 %,
    q 0-4 %), and 0.17 cent (mean 0.006) on 2,000 of a wide domain (to 5 years, vol to 300 %, r -1..10 %,
    q 0..10 %); all of QuantLib's americanoption.cpp QD+/QdFp cases (tests/pricing/test_american_quantlib.py).
    1.7 us per contract on one core (0.34x Bjerksund-Stensland's time; 88x faster than QdFp's default scheme, 15x
    than QuantLib's QD+), up to half a year from a tabled boundary seed and one sweep (`_alo_seed`).

    Calls by McDonald-Schroder symmetry C(S, K, r, q) = P(K, S, q, r). A put with r <= 0 and q >= r, and a call
    with q <= 0 and r >= q, are never exercised early: European value. The two-boundary case (puts with
    q < r < 0, calls with r < q < 0) is approximated on a 2,000-step tree (about 1e-3 relative); r = 0 with q < 0
    (a put) is the one-boundary limit r -> 0+ and runs the fixed-point method. Zero vol is solved exactly (the best
    deterministic exercise date); a zero spot or strike has its exact limit (Greeks stay NaN there).
    """
    return per_contract(alo.american_vec, alo.american_vec_serial, s, k, t, r, q, sigma, flags=is_call, price=True)


def american_greeks(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
                    is_call: ArrayLike) -> Greeks:
    """Price and Greeks from the fixed-point engine, in `bs_greeks`' conventions (theta per calendar day, vega and
    rho per 1.00).

    Delta and gamma are the exact spot derivatives of the engine's premium quadrature (the boundary does not depend
    on spot); theta is dV/dt from the Black-Scholes PDE, zero inside the exercise region; vega and rho are central
    differences of the full engine (boundary recomputed; bumps 1e-4 vol relative and 1e-5 in rate), so each costs
    two more prices. Rho straddles the kink at r = 0 for puts (q = 0 for calls), where early exercise switches on.
    """
    shape, (s_, k_, t_, r_, q_, v_), c_ = flat_inputs(s, k, t, r, q, sigma, flags=is_call)
    out = np.empty((6, s_.size))
    pick(alo.american_greeks_vec, alo.american_greeks_vec_serial, s_.size * 5 * _WORK)(s_, k_, t_, r_, q_, v_, c_, out)
    floor_zero(out[0])
    return Greeks(*(shaped(row, shape) for row in out))


def american_delta(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
                   is_call: ArrayLike) -> Float:
    """The fixed-point engine's delta alone (`american_greeks(...).delta`, bit for bit), at about the cost of one
    `american_price`: delta is the exact spot derivative of the same premium quadrature, no bumped re-solves."""
    return per_contract(alo.american_delta_vec, alo.american_delta_vec_serial, s, k, t, r, q, sigma, flags=is_call)


def american_implied_vol(price: ArrayLike, s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike,
                         is_call: ArrayLike) -> IVResult:
    """Vol at which `american_price` matches a listed (American) premium; reason codes as `implied_vol`.

    From the European implied vol (an upper end) a de-Americanized step (the European vol of the premium less the
    early-exercise premium there), then secant steps inside the bracket until a step is below 1e-9 relative (the
    point it lands on is then good to ~1e-13): about 3-4 American prices per solve (15 us a contract on one core,
    bench/american.py); the round trip is within 1e-10
    wherever vega is not negligible (2.2e-11 at worst on the 10,000 wheel contracts with vega > 1e-3).
    """
    shape, (p_, s_, k_, t_, r_, q_), c_ = flat_inputs(price, s, k, t, r, q, flags=is_call)
    out = np.empty(s_.size)
    reason = np.empty(s_.size, dtype=np.int8)
    pick(alo.american_iv_vec, alo.american_iv_vec_serial, p_.size * 20 * _WORK)(p_, s_, k_, t_, r_, q_, c_, out, reason)
    return IVResult(shaped(out, shape), reason.reshape(shape))


def bjerksund_stensland_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike,
                              sigma: ArrayLike, is_call: ArrayLike) -> Float:
    """Bjerksund-Stensland 2002 closed form: a lower bound (a flat two-step exercise boundary), fast, biased low.

    Measured against QuantLib's QdFp engine at high precision (bench/american.py, re-measured 2026-12-04) on the
    10,000 wheel-style contracts of `american_price`: puts max error 43.9 cents (mean 2.2), calls 143.9 cents
    (mean 4.1; deep in-the-money calls on high-priced names); long-dated high-vol contracts are off by dollars
    (82 at worst on the wide domain of `american_price`, mean 7.8). Outside its domain (b T + 2 vol sqrt(T) <= 0,
    i.e. puts with (r - q) sqrt(T) > 2 vol, where it collapsed to the European value)
    and where it overflows, it defers to `american_price`.
    """
    return per_contract(ak.bs2002_vec, ak.bs2002_vec_serial, s, k, t, r, q, sigma, flags=is_call, price=True)


def baw_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
              is_call: ArrayLike) -> Float:
    """Barone-Adesi-Whaley (1987) quadratic approximation: closed form plus a Newton solve for the critical price.

    Measured against QuantLib's QdFp engine at high precision (bench/american.py, re-measured 2026-12-04) on the
    10,000 wheel-style contracts of `american_price`: puts max error 32.4 cents (mean 1.0), calls 44.9 cents (mean
    1.5); on its wide domain 19.5 dollars at worst (mean 2.8).
    Calls with r <= 0 < q are exercised early (M / K taken to its r -> 0 limit), not priced European.
    """
    return per_contract(ak.baw_vec, ak.baw_vec_serial, s, k, t, r, q, sigma, flags=is_call, price=True)


def binomial_price(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike,
                   is_call: ArrayLike, steps: int = 500, american: bool = True) -> Float:
    """Forward-centred binomial tree (average of `steps` and `steps + 1`): slow, an independent check.

    At 500 steps: max error 4.8 cents, mean 0.5 cents on the 10,000 wheel-style contracts of `american_price`.

    Calls are priced as the symmetric put, whose payoff is bounded (a call's top node overflowed to +inf once
    vol sqrt(T steps) > ~709)."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    shape, (s_, k_, t_, r_, q_, v_), c_ = flat_inputs(s, k, t, r, q, sigma, flags=is_call)
    out = np.empty(s_.size)
    pick(ak.binomial_vec, ak.binomial_vec_serial, s_.size * steps)(s_, k_, t_, r_, q_, v_, c_, steps, american, out)
    floor_zero(out)
    return shaped(out, shape)
