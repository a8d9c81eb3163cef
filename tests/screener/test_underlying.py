"""Quality score, realized vol, drawdown and target rules, with the arithmetic written out; missing stays missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from putwheel.pricing import bs_price
from putwheel.screener.rules import PutRules, QualityThresholds, WatchItem
from putwheel.screener.steps import screen
from putwheel.screener.underlying import iv_rank, max_drawdown, quality_scores, realized_vol, target_price

from .chains import AS_OF, chain, context, put

TH = QualityThresholds()  # min cap 10e9, max D/E 2.0, min ROE 8 %, min margin 5 %, max beta 1.6, max rv 60 %, max dd 55 %

PART_TABLE = [
    # (input column, value, expected part score, arithmetic)
    ("market_cap", 100e9, 1.0, "log10 100e9 = 11 = good (log10 10e9 + 1)"),
    ("market_cap", 10e9, 0.5 / 1.5, "(10 - 9.5) / (11 - 9.5)"),
    ("debt_to_equity", 1.5, 0.5, "(1.5 - 3.0) / (0 - 3.0), bad = 2.0 × 1.5"),
    ("roe", 0.10, (0.10 - 0.03) / (0.16 - 0.03), "good 2 × 8 %, bad 8 % - 5 %"),
    ("profit_margin", 0.20, 1.0, "above good 3 × 5 %"),
    ("free_cash_flow", -1.0, 0.0, "not positive"),
    ("beta", 1.2, (1.2 - 2.0) / (0.8 - 2.0), "good 0.8, bad 1.6 + 0.4"),
    ("realized_vol", 0.30, (0.30 - 0.75) / (0.15 - 0.75), "good 15 %, bad 60 % × 1.25"),
    ("max_drawdown", 0.20, (0.20 - 0.55) / (0.10 - 0.55), "good 10 %, bad 55 %"),
    ("option_spread_pct", 0.16, 0.5, "(0.16 - 0.30) / (0.02 - 0.30)"),
    ("option_open_interest", 1000.0, 2 / 3, "(log10 1000 - 1) / (4 - 1)"),
]


@pytest.mark.parametrize(("column", "value", "expected", "why"), PART_TABLE, ids=[f"{r[0]}={r[1]:g}" for r in PART_TABLE])
def test_quality_part_table(column, value, expected, why):
    out = quality_scores(pd.DataFrame({column: [value]}, index=["X"]), TH)
    assert out.at["X", f"q_{column}"] == pytest.approx(expected), why
    assert out.at["X", "quality_missing"] == 9  # the other nine parts are missing, not zero


HARD_TABLE = [
    ({"market_cap": 5e9}, "market cap below minimum"),
    ({"debt_to_equity": 2.5}, "debt/equity above maximum"),
    ({"roe": 0.05}, "return on equity below minimum"),
    ({"profit_margin": 0.01}, "profit margin below minimum"),
    ({"beta": 1.8}, "beta above maximum"),
    ({"free_cash_flow": -1e6}, "free cash flow not positive"),
    ({"realized_vol": 0.7}, "realized vol above maximum"),
    ({"max_drawdown": 0.6}, "1-year drawdown above maximum"),
    ({"realized_vol": 0.74, "option_spread_pct": 0.30}, "realized vol above maximum"),
    ({"option_spread_pct": 0.29, "option_open_interest": 12.0}, "score below minimum"),  # parts 0.036, 0.036
    ({"market_cap": 50e9, "realized_vol": 0.2}, None),
]


@pytest.mark.parametrize(("inputs", "reason"), HARD_TABLE, ids=[str(r[1]) for r in HARD_TABLE])
def test_quality_pass_fail_table(inputs, reason):
    out = quality_scores(pd.DataFrame({k: [v] for k, v in inputs.items()}, index=["X"]), TH)
    assert out.at["X", "quality_reason"] == reason
    assert bool(out.at["X", "quality_pass"]) is (reason is None)


def test_quality_all_missing_is_unknown_not_zero():
    out = quality_scores(pd.DataFrame({"market_cap": [np.nan]}, index=["X"]), TH)
    assert pd.isna(out.at["X", "quality_score"]) and pd.isna(out.at["X", "quality_pass"])
    assert out.at["X", "quality_missing"] == 10


def test_quality_missing_counts_as_fail_when_asked():
    # Only spread is known (score 1.0 at 2 %); the nine missing parts count as 0 -> mean 0.1 < 0.5.
    inputs = pd.DataFrame({"option_spread_pct": [0.02]}, index=["X"])
    assert quality_scores(inputs, TH).at["X", "quality_score"] == pytest.approx(1.0)
    strict = quality_scores(inputs, QualityThresholds(missing_counts_as="fail"))
    assert strict.at["X", "quality_score"] == pytest.approx(0.1) and strict.at["X", "quality_reason"] == "score below minimum"


def test_realized_vol_and_drawdown_arithmetic():
    # Daily log returns alternating +1 % / -1 %: sample sd = 0.01 × sqrt(n / (n - 1)), annualized × sqrt(252).
    r = np.tile([0.01, -0.01], 50)
    closes = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(r)])))
    assert realized_vol(closes) == pytest.approx(0.01 * np.sqrt(100 / 99) * np.sqrt(252))
    # 100 -> 120 -> 90 -> 110: worst fall 120 -> 90 = 25 %.
    assert max_drawdown(pd.Series([100.0, 120.0, 90.0, 110.0])) == pytest.approx(0.25)
    assert np.isnan(realized_vol(pd.Series([100.0, 101.0])))  # under 20 returns: unknown


def test_target_from_history_needs_enough_history():
    item = WatchItem(symbol="X", target_rule={"kind": "sma", "days": 50})
    value, source = target_price(item, pd.Series([100.0, 101.0, 102.0]), 102.0)
    assert np.isnan(value) and source == "sma needs 50 days of history, have 3"
    value, source = target_price(item, None, 102.0)
    assert np.isnan(value)


@settings(max_examples=40, deadline=None)
@given(vol=st.floats(0.1, 0.8), strike=st.floats(80.0, 99.0), dte=st.integers(30, 45))
def test_expected_value_is_zero_when_premium_is_fair_and_drift_is_the_rate(vol, strike, dte):
    """EV = mid·e^{rT} − e^{rT}·BS_put(σ_realized, r): zero when mid is the BS price and realized vol = implied."""
    t = dte / 365
    mid = float(bs_price(100.0, strike, t, 0.04, 0.0, vol, False))
    row = put(strike=strike, bid=mid, ask=mid, dte=dte, iv=vol)
    df = screen(chain(row), context("AAA", target=strike, realized_vol=vol), PutRules(), pd.Timestamp(AS_OF))
    assert df["ev_per_share"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert df["ev_annualized"].iloc[0] == pytest.approx(0.0, abs=1e-9)


IV_RANK_TABLE = [
    # (history, rank, percentile): rank = (last - min) / (max - min); percentile = share of days below last
    (list(range(10, 31)), 1.0, 20 / 21),  # last 30 is the max; 20 of 21 days below it
    (list(range(30, 9, -1)), 0.0, 0.0),  # last 10 is the min
    ([10.0] * 10 + [30.0] * 10 + [15.0], 0.25, 10 / 21),  # (15 - 10) / (30 - 10)
    ([12.0] * 21, float("nan"), 0.0),  # flat: no range, no rank
    ([12.0] * 19, float("nan"), float("nan")),  # under 20 days: unknown
]


@pytest.mark.parametrize(("history", "rank", "pct"), IV_RANK_TABLE)
def test_iv_rank_table(history, rank, pct):
    got_rank, got_pct = iv_rank(pd.Series(history, dtype=float))
    assert got_rank == pytest.approx(rank, nan_ok=True) and got_pct == pytest.approx(pct, nan_ok=True)
