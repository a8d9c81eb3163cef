"""The fixed-point American engine against published values.

Cases from QuantLib's `test-suite/americanoption.cpp` (lballabio/QuantLib, read at 2a13d4550):
- `testAndersenLakeHighPrecisionExample`: Andersen, Lake & Offengenden (2015), "High Performance American Option
  Pricing", S = K = 100, T = 1 y, q = 5 %, vol 25 %, put; early-exercise premium at r = 5 % and 7.5 % (the most
  converged scheme, (l, m, n) = (65, 8, 32)).
- `testQdEngineStandardExample`: S = 100, K = 95, r = 7.5 %, q = 5 %, vol 25 %, 1 y put; the premium's two
  schemes (FP-A 0.2386475283, FP-B 0.2386596963) bracket the value.
- `testQdAmericanEngines`, "high precision edge cases": zero-vol puts and calls (exact values), one day left. Its
  10-year put (S 100, K 120, r 10 %, q 3 %, vol 25 %) expects 22.97383256, but that test runs the QD+
  *approximation*; QuantLib's own QdFp engine at its high-precision scheme gives 23.000293541 (QuantLib 1.44,
  computed for this test), its FD engine (2000 x 2000) 22.9922. We test against the QdFp value.
Maturities there are calendar days / 365 (Actual/365 Fixed), as here.
"""

from __future__ import annotations

import pytest

from putwheel.pricing import american_price, bs_price

PREMIUMS = [  # (s, k, t, r, q, vol, premium over the European put, tolerance)
    (100.0, 100.0, 1.0, 0.05, 0.05, 0.25, 0.1069527028247546, 5e-6),
    (100.0, 100.0, 1.0, 0.075, 0.05, 0.25, 0.3671111267813689, 5e-5),
    (100.0, 95.0, 1.0, 0.075, 0.05, 0.25, 0.23865, 3e-5),
]

EDGES = [  # (s, k, t, r, q, vol, call, price, tolerance)
    (100.0, 50.0, 1.0, 0.05, 0.01, 0.0, True, 51.4435121498811085, 1e-9),      # zero vol call
    (100.0, 120.0, 40.0, 0.01, 0.50, 0.0, False, 108.980904561184602, 1e-9),   # zero vol put, interior exercise
    (100.0, 120.0, 1.0, 0.05, 0.01, 0.0, False, 20.0, 1e-9),                    # zero vol put: exercise now
    (100.0, 120.0, 1.0, 0.0, 0.05, 0.0, False, 24.8770575499286082, 1e-9),      # zero vol put, r = 0: European
    (100.0, 120.0, 1 / 365, 0.05, 0.0, 0.25, False, 20.0, 1e-9),                # one day left, deep ITM
]


@pytest.mark.parametrize(("s", "k", "t", "r", "q", "vol", "premium", "tol"), PREMIUMS)
def test_american_early_exercise_premium_matches_andersen_lake_offengenden(s, k, t, r, q, vol, premium, tol):
    got = float(american_price(s, k, t, r, q, vol, False)) - float(bs_price(s, k, t, r, q, vol, False))
    assert got == pytest.approx(premium, abs=tol)


@pytest.mark.parametrize(("s", "k", "t", "r", "q", "vol", "call", "price", "tol"), EDGES)
def test_american_edge_cases_match_quantlib_high_precision(s, k, t, r, q, vol, call, price, tol):
    assert float(american_price(s, k, t, r, q, vol, call)) == pytest.approx(price, abs=tol)


@pytest.mark.parametrize(("s", "k", "r", "q", "call"), [(100.0, 120.0, 0.10, 0.03, False), (120.0, 100.0, 0.03, 0.10, True)])
def test_american_ten_year_put_and_its_symmetric_call_to_a_twentieth_of_a_cent(s, k, r, q, call):
    assert float(american_price(s, k, 10.0, r, q, 0.25, call)) == pytest.approx(23.000293541286037, abs=5e-4)
