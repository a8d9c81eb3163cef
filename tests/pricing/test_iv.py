"""Implied vol: round trip to 1e-10 where vega is not negligible, Let's Be Rational as the oracle, reasons at the edges.

Reference cases: QuantLib test-suite/blackformula.cpp (testBlackFormulaImpliedStdDev... round trips) and Jaeckel's
"Let's Be Rational" (py_lets_be_rational, the reference implementation's Python port) on random contracts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from putwheel.pricing import bs_greeks, bs_price, implied_vol, reason_text
from putwheel.pricing import iv as ivm


def _random_contracts(n: int, seed: int = 11):
    rng = np.random.default_rng(seed)
    s = 100.0 * np.exp(rng.normal(0, 0.02, n))
    k = rng.uniform(50, 150, n)
    t = rng.integers(1, 366, n) / 365
    v = rng.uniform(0.10, 1.00, n)
    r, q = rng.uniform(0, 0.05, n), rng.uniform(0, 0.03, n)
    return s, k, t, r, q, v, rng.random(n) < 0.5


def test_round_trip_is_exact_where_vega_is_not_negligible():
    s, k, t, r, q, v, c = _random_contracts(200_000)
    price = bs_price(s, k, t, r, q, v, c)
    res = implied_vol(price, s, k, t, r, q, c)
    vega = bs_greeks(s, k, t, r, q, v, c).vega
    live = vega > 1e-2  # > 0.0001 $ per vol point: every contract a screen would show
    assert (res.reason[live] == ivm.OK).all()
    assert np.max(np.abs(res.iv[live] - v[live])) <= 1e-10
    # elsewhere the error is what double precision in the price allows (eps * price / vega), never worse
    ok = (res.reason == ivm.OK) & (vega > 0)
    bound = 64 * np.finfo(float).eps * np.maximum(price[ok], 1.0) / vega[ok]
    assert (np.abs(res.iv[ok] - v[ok]) <= np.maximum(bound, 1e-10)).all()


def test_agrees_with_lets_be_rational():
    lbr = pytest.importorskip("py_lets_be_rational")
    s, k, t, r, q, v, c = _random_contracts(400, seed=5)
    price = bs_price(s, k, t, r, q, v, c)
    ours = implied_vol(price, s, k, t, r, q, c).iv
    vega = bs_greeks(s, k, t, r, q, v, c).vega
    for i in np.flatnonzero(vega > 1e-2):
        fwd = s[i] * math.exp((r[i] - q[i]) * t[i])
        undiscounted = price[i] * math.exp(r[i] * t[i])
        ref = lbr.implied_volatility_from_a_transformed_rational_guess(undiscounted, fwd, k[i], t[i], 1 if c[i] else -1)
        assert ours[i] == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize(
    ("price", "s", "k", "t", "call", "reason"),
    [
        (4.0, 100.0, 105.0, 0.1, False, ivm.BELOW_INTRINSIC),  # put worth at least ~5 discounted
        (101.0, 100.0, 90.0, 0.1, True, ivm.ABOVE_BOUND),  # a call can't cost more than the stock
        (200.0, 100.0, 150.0, 0.1, False, ivm.ABOVE_BOUND),  # a put can't cost more than the strike
        (1.0, 100.0, 100.0, 0.0, True, ivm.EXPIRED),
        (1.0, 100.0, 100.0, -0.1, True, ivm.EXPIRED),
        (math.nan, 100.0, 100.0, 0.1, True, ivm.INVALID),
        (1.0, -100.0, 100.0, 0.1, True, ivm.INVALID),
        (1.0, 100.0, 0.0, 0.1, True, ivm.INVALID),
        (-0.5, 100.0, 100.0, 0.1, True, ivm.INVALID),
        (0.0, 100.0, 150.0, 0.1, True, ivm.NO_TIME_VALUE),  # zero bid far OTM
    ],
)
def test_no_solution_gives_nan_and_a_reason(price, s, k, t, call, reason):
    res = implied_vol(price, s, k, t, 0.03, 0.0, call)
    assert np.isnan(res.iv)
    assert int(res.reason) == reason
    assert reason_text(int(res.reason)) != "ok"


def test_deep_otm_and_short_dated_still_solve():
    cases = [(100.0, 60.0, 7 / 365, 0.9), (100.0, 150.0, 1 / 365, 1.0), (100.0, 100.0, 1 / 365, 0.1),
             (100.0, 200.0, 2.0, 0.15)]
    for s, k, t, v in cases:
        for call in (True, False):
            p = bs_price(s, k, t, 0.02, 0.01, v, call)
            if bs_greeks(s, k, t, 0.02, 0.01, v, call).vega > 1e-2:
                assert float(implied_vol(p, s, k, t, 0.02, 0.01, call).iv) == pytest.approx(v, abs=1e-10)


@settings(max_examples=300, deadline=None)
@given(
    s=st.floats(20, 500), moneyness=st.floats(0.5, 1.5), days=st.integers(1, 730), v=st.floats(0.05, 2.0),
    r=st.floats(0.0, 0.08), q=st.floats(0.0, 0.05), call=st.booleans(),
)
def test_property_round_trip(s, moneyness, days, v, r, q, call):
    k, t = s * moneyness, days / 365
    p = bs_price(s, k, t, r, q, v, call)
    res = implied_vol(p, s, k, t, r, q, call)
    vega = float(bs_greeks(s, k, t, r, q, v, call).vega)
    if vega > 1e-2 * s / 100:
        assert int(res.reason) == ivm.OK
        assert float(res.iv) == pytest.approx(v, abs=1e-10 * max(1.0, 100 / s))
    elif int(res.reason) == ivm.OK:
        assert float(bs_price(s, k, t, r, q, float(res.iv), call)) == pytest.approx(float(p), abs=1e-9 * s)
    else:
        assert np.isnan(res.iv)
