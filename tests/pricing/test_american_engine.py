"""The fixed-point American engine (american_price / american_greeks / american_implied_vol, scalar american1).

References: QuantLib's QdFpAmericanEngine with highPrecisionScheme() computed on the fly (quantlib marker), its FD
engine as an independent method, exact zero-vol values, and the four defects of issue 13 as regressions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from putwheel.pricing import (
    american_delta,
    american_greeks,
    american_implied_vol,
    american_price,
    baw_price,
    binomial_price,
    bjerksund_stensland_price,
    bs_greeks,
    bs_price,
)
from putwheel.pricing import iv as ivm
from putwheel.pricing.scalar import american1

from .extremes import extreme_inputs


def _quantlib(s, k, days, r, q, v, call, engine="qdfp"):
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    proc = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(s)), ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), v, dc)))
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, k),
                           ql.AmericanExercise(today, today + int(days)))
    if engine == "qdfp":
        opt.setPricingEngine(ql.QdFpAmericanEngine(proc, ql.QdFpAmericanEngine.highPrecisionScheme()))
    else:
        opt.setPricingEngine(ql.FdBlackScholesVanillaEngine(proc, 1000, 1000))
    return opt.NPV()


def _random_contracts(n, seed, wide):
    rng = np.random.default_rng(seed)
    s = rng.uniform(10, 1000, n)
    k = s * rng.uniform(0.7, 1.1, n)
    if wide:
        days, v = rng.integers(5, 1826, n), rng.uniform(0.1, 3.0, n)
        r, q = rng.uniform(-0.01, 0.10, n), rng.uniform(0.0, 0.10, n)
    else:
        days, v = rng.integers(5, 91, n), rng.uniform(0.1, 1.2, n)
        r, q = rng.uniform(0.0, 0.06, n), rng.uniform(0.0, 0.04, n)
    return s, k, days, r, q, v, rng.random(n) < 0.5


@pytest.mark.quantlib
@pytest.mark.parametrize(("wide", "n", "tol"), [(False, 300, 5e-4), (True, 60, 5e-3)])
def test_american_price_matches_quantlib_qdfp_high_precision(wide, n, tol):
    s, k, days, r, q, v, call = _random_contracts(n, 13 + wide, wide)
    ours = american_price(s, k, days / 365, r, q, v, call)
    ref = np.array([_quantlib(s[i], k[i], days[i], r[i], q[i], v[i], call[i]) for i in range(n)])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=tol)


@pytest.mark.quantlib
@pytest.mark.parametrize(("s", "k", "days", "r", "q", "v", "call"), [
    (100.0, 95.0, 30, 0.05, 0.0, 0.3, False), (100.0, 110.0, 45, 0.04, 0.02, 0.25, False),
    (50.0, 60.0, 200, 0.06, 0.0, 0.4, False), (100.0, 90.0, 300, 0.01, 0.05, 0.35, True),
])
def test_american_price_matches_quantlib_finite_differences(s, k, days, r, q, v, call):
    # an independent method (Crank-Nicolson on a 1000 x 1000 grid, itself good to ~1e-3)
    assert float(american_price(s, k, days / 365, r, q, v, call)) == pytest.approx(
        _quantlib(s, k, days, r, q, v, call, engine="fd"), abs=2e-3)


# ---------------------------------------------------------------- issue 13's defects


def test_baw_call_exercises_early_when_rate_is_zero_and_dividend_positive():
    # was the European 8.6392 (an r t < 1e-12 shortcut); 8.85266 is QuantLib's BaroneAdesiWhaleyApproximationEngine,
    # the engine-converged American value is 8.86535 (QdFp high precision 8.865365; its QD+ engine says 8.8715)
    euro = float(bs_price(100.0, 100.0, 1.0, 0.0, 0.025, 0.25, True))
    assert euro == pytest.approx(8.6392, abs=1e-4)
    assert float(baw_price(100.0, 100.0, 1.0, 0.0, 0.025, 0.25, True)) == pytest.approx(8.852660, abs=1e-5)
    assert float(american_price(100.0, 100.0, 1.0, 0.0, 0.025, 0.25, True)) == pytest.approx(8.865365, abs=5e-5)
    # negative rates too: still exercised early, still above the European value
    assert float(baw_price(100.0, 100.0, 1.0, -0.01, 0.025, 0.25, True)) > float(
        bs_price(100.0, 100.0, 1.0, -0.01, 0.025, 0.25, True)) + 0.1


def test_bs2002_put_no_longer_collapses_when_carry_beats_vol():
    # (r - q) sqrt(T) = 6 % > 2 vol = 4 %: BS2002 gave 0.00074 (about the European value); QdFp says 0.1224003
    assert float(american_price(100.0, 100.0, 1.0, 0.06, 0.0, 0.02, False)) == pytest.approx(0.1224003, abs=5e-5)
    assert float(bjerksund_stensland_price(100.0, 100.0, 1.0, 0.06, 0.0, 0.02, False)) == pytest.approx(0.1224, abs=1e-4)


def _zero_vol_put(s, k, t, r, q):
    u = math.log(r * k / (q * s)) / (r - q)  # the best exercise date of the deterministic path
    return max(k - s, k * math.exp(-r * t) - s * math.exp(-q * t), k * math.exp(-r * u) - s * math.exp(-q * u))


@pytest.mark.parametrize("fn", [american_price, bjerksund_stensland_price, baw_price, binomial_price])
def test_zero_vol_put_exercises_at_the_interior_optimum(fn):
    # S = 100, K = 120, 40 years, r = 1 %, q = 50 %: exercise after ~7.6 years is worth 108.981 (was 80.438: K e^{-rT}
    # - S e^{-qT}, i.e. waiting to expiry)
    want = _zero_vol_put(100.0, 120.0, 40.0, 0.01, 0.5)
    assert want == pytest.approx(108.981, abs=5e-4)
    assert float(fn(100.0, 120.0, 40.0, 0.01, 0.5, 0.0, False)) == pytest.approx(want, rel=1e-12)
    # and the call by symmetry: C(S, K, r, q) = P(K, S, q, r)
    assert float(fn(120.0, 100.0, 40.0, 0.5, 0.01, 0.0, True)) == pytest.approx(want, rel=1e-12)


def test_binomial_does_not_overflow_at_huge_vol_times_steps():
    # vol sqrt(T steps) = 35 sqrt(500) ~ 783 > 709: the call's top node was +inf
    for american in (True, False):
        tree = float(binomial_price(100.0, 100.0, 1.0, 0.05, 0.0, 35.0, True, steps=500, american=american))
        assert math.isfinite(tree)
        assert tree == pytest.approx(float(bs_price(100.0, 100.0, 1.0, 0.05, 0.0, 35.0, True)), abs=0.1)


# ---------------------------------------------------------------- regimes


def test_no_early_exercise_regimes_are_european():
    # puts with r <= 0 <= q, calls with q <= 0 <= r: exact European values
    s, k, t = 100.0, np.array([80.0, 100.0, 120.0]), 0.7
    for r, q, call in ((0.0, 0.02, False), (-0.01, 0.0, False), (0.05, 0.0, True), (0.03, -0.01, True)):
        np.testing.assert_allclose(american_price(s, k, t, r, q, 0.3, call), bs_price(s, k, t, r, q, 0.3, call),
                                   rtol=1e-13)


def test_two_boundary_case_is_bounded():
    # q < r < 0 for a put (r < q < 0 for a call): the tree, at least European and intrinsic
    for s, k, r, q, call in ((100.0, 100.0, -0.01, -0.03, False), (100.0, 110.0, -0.03, -0.01, True)):
        amer = float(american_price(s, k, 1.0, r, q, 0.2, call))
        assert amer >= float(bs_price(s, k, 1.0, r, q, 0.2, call)) - 1e-6
        assert amer >= max(s - k if call else k - s, 0.0)


def test_deep_in_the_money_put_is_worth_intrinsic_and_invalid_inputs_are_nan():
    assert float(american_price(50.0, 100.0, 0.25, 0.05, 0.0, 0.2, False)) == 50.0
    out = american_price([100.0, -1.0, 100.0, 100.0], 100.0, [0.0, 0.1, -0.1, 0.1], 0.05, 0.0,
                         [0.2, 0.2, 0.2, np.nan], False)
    assert out[0] == 0.0 and np.isnan(out[1:]).all()


def test_scalar_american1_is_the_vectorized_engine():
    s, k, days, r, q, v, call = _random_contracts(50, 3, wide=True)
    vec = american_price(s, k, days / 365, r, q, v, call)
    assert [american1(s[i], k[i], days[i] / 365, r[i], q[i], v[i], call[i]) for i in range(50)] == vec.tolist()


# ---------------------------------------------------------------- Greeks and implied vol


@pytest.mark.parametrize("call", [False, True])
def test_american_greeks_match_finite_differences_of_the_price(call):
    s, k, t, r, q, v = 100.0, np.array([90.0, 100.0, 108.0]), 50 / 365, 0.05, 0.02, np.array([0.35, 0.3, 0.25])
    g = american_greeks(s, k, t, r, q, v, call)
    base = {"s": s, "k": k, "t": t, "r": r, "q": q, "v": v}

    def p(**kw):
        a = base | kw
        return american_price(a["s"], a["k"], a["t"], a["r"], a["q"], a["v"], call)

    h = 1e-3
    np.testing.assert_allclose(g.price, p(), rtol=1e-14)
    np.testing.assert_allclose(g.delta, (p(s=s + h) - p(s=s - h)) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(g.gamma, (p(s=s + 0.05) - 2 * p() + p(s=s - 0.05)) / 0.0025, atol=1e-5)
    dt = 1e-4
    np.testing.assert_allclose(g.theta, -(p(t=t + dt) - p(t=t - dt)) / (2 * dt) / 365, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(g.vega, (p(v=v + 1e-3) - p(v=v - 1e-3)) / 2e-3, rtol=1e-5)
    np.testing.assert_allclose(g.rho, (p(r=r + 1e-4) - p(r=r - 1e-4)) / 2e-4, rtol=1e-5)


def test_american_delta_is_the_greeks_delta_bit_for_bit():
    s, k, days, r, q, v, call = _random_contracts(200, 8, wide=True)
    g = american_greeks(s, k, days / 365, r, q, v, call)
    assert american_delta(s, k, days / 365, r, q, v, call).tolist() == g.delta.tolist()


def test_american_greeks_are_european_where_exercise_never_pays():
    args = (100.0, np.array([90.0, 100.0, 110.0]), 0.4, 0.04, 0.0, 0.3, True)
    am, eu = american_greeks(*args), bs_greeks(*args)
    for name in ("price", "delta", "gamma", "theta"):
        np.testing.assert_allclose(getattr(am, name), getattr(eu, name), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(am.vega, eu.vega, rtol=1e-6)
    np.testing.assert_allclose(am.rho, eu.rho, rtol=1e-6)


def test_american_iv_round_trips_on_random_contracts():
    s, k, days, r, q, v, call = _random_contracts(400, 5, wide=False)
    t = days / 365
    g = american_greeks(s, k, t, r, q, v, call)
    res = american_implied_vol(g.price, s, k, t, r, q, call)
    live = g.vega > 1e-3  # elsewhere the premium barely depends on vol (deep in the money, past the boundary)
    assert live.mean() > 0.9
    assert (res.reason[live] == ivm.OK).all()
    np.testing.assert_allclose(res.iv[live], v[live], rtol=0, atol=1e-8)


# ---------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(s=st.floats(10, 1000), m=st.floats(0.6, 1.4), days=st.integers(1, 730), v=st.floats(0.05, 2.0),
       r=st.floats(-0.01, 0.1), q=st.floats(0.0, 0.1), call=st.booleans())
def test_property_american_bounds_monotonicity_and_symmetry(s, m, days, v, r, q, call):
    k, t = s * m, days / 365
    amer = float(american_price(s, k, t, r, q, v, call))
    assert amer >= float(bs_price(s, k, t, r, q, v, call)) - 1e-9 * s
    assert amer >= (max(s - k, 0.0) if call else max(k - s, 0.0)) - 1e-12 * s
    assert amer <= (s if call else k)
    tol = 1e-7 * max(s, k)  # the scheme's own noise level, far below the 5e-4 accuracy
    assert float(american_price(s, k, t, r, q, v * 1.05, call)) >= amer - tol  # more vol, more value
    bumped = float(american_price(s, k * 1.02, t, r, q, v, call))
    assert (bumped <= amer + tol) if call else (bumped >= amer - tol)  # calls fall, puts rise with the strike
    # McDonald-Schroder: a call is the put with spot and strike, rate and dividend yield exchanged
    assert float(american_price(k, s, t, q, r, v, not call)) == pytest.approx(amer, rel=1e-12, abs=1e-12)


def test_no_nan_and_no_arbitrage_violations_at_extreme_inputs():
    # tiny vol against large carry (FP-A), r t ~ 1e-15 (the boundary underflowed: NaN gamma), vol 10 over 30 years
    s, k, t, r, q, v, call = extreme_inputs(20_000)
    amer = american_price(s, k, t, r, q, v, call)
    assert np.isfinite(amer).all()
    assert (amer >= bs_price(s, k, t, r, q, v, call) - 1e-6 * s).all()
    assert (amer >= np.where(call, np.maximum(s - k, 0), np.maximum(k - s, 0)) - 1e-9).all()
    assert (amer <= np.where(call, s, k) * (1 + 1e-12)).all()
    g = american_greeks(s[:2000], k[:2000], t[:2000], r[:2000], q[:2000], v[:2000], call[:2000])
    assert all(np.isfinite(x).all() for x in g)
