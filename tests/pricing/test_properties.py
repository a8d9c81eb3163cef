"""No-arbitrage properties every price must satisfy, checked with hypothesis."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from putwheel.pricing import bs_greeks, bs_price

contract = dict(
    s=st.floats(10, 1000), m=st.floats(0.5, 1.5), days=st.integers(1, 730), v=st.floats(0.05, 2.0),
    r=st.floats(0.0, 0.1), q=st.floats(0.0, 0.06),
)


@settings(max_examples=300, deadline=None)
@given(**contract)
def test_put_call_parity(s, m, days, v, r, q):
    k, t = s * m, days / 365
    c, p = float(bs_price(s, k, t, r, q, v, True)), float(bs_price(s, k, t, r, q, v, False))
    assert math.isclose(c - p, s * math.exp(-q * t) - k * math.exp(-r * t), abs_tol=1e-10 * s)


@settings(max_examples=300, deadline=None)
@given(**contract, bump=st.floats(1e-3, 0.5))
def test_monotone_in_vol_and_strike(s, m, days, v, r, q, bump):
    k, t = s * m, days / 365
    for call in (True, False):
        assert float(bs_price(s, k, t, r, q, v + bump, call)) >= float(bs_price(s, k, t, r, q, v, call)) - 1e-12 * s
    # to rounding (a far-OTM put is worth ~1e-323: the last bits of a subnormal are noise, not an arbitrage)
    assert float(bs_price(s, k * (1 + bump), t, r, q, v, False)) >= float(bs_price(s, k, t, r, q, v, False)) - 1e-12 * s
    assert float(bs_price(s, k * (1 + bump), t, r, q, v, True)) <= float(bs_price(s, k, t, r, q, v, True)) + 1e-12 * s


@settings(max_examples=200, deadline=None)
@given(**contract)
def test_greek_signs_for_a_short_put_seller(s, m, days, v, r, q):
    g = bs_greeks(s, s * m, days / 365, r, q, v, False)
    assert -1.0 <= float(g.delta) <= 0.0
    assert float(g.gamma) >= 0.0 and float(g.vega) >= 0.0 and float(g.rho) <= 0.0
