"""Every screening rule, table-driven, with the arithmetic that decides it written out.

The base put: spot 100, strike 95, bid 1.15 / ask 1.25 (mid 1.20), 35 DTE, iv 30 %, r 4 %, open interest 1000,
volume 50, target 96. Its numbers: return on collateral 1.20 / 95 = 1.263 %; annualized 1.263 % × 365 / 35 =
13.17 %; spread (1.25 - 1.15) / 1.20 = 8.3 %; breakeven 95 - 1.20 = 93.80, 6.2 % under spot; American delta -0.2630
(the European BSM delta is -0.2611; QuantLib's QdFp engine at high precision, spot bumped by ±0.01, gives -0.263017)
and N(-d2) = 29.2 % (s 100, k 95, t 35/365, r 0.04, σ 0.30). With default rules it is a candidate.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from putwheel.screener.core import limit_price
from putwheel.screener.rules import PutRules
from putwheel.screener.steps import screen

from .chains import AS_OF, chain, context, put

TS = pd.Timestamp(AS_OF)


def _screen(rules: PutRules | None = None, ctx: pd.DataFrame | None = None, **put_kw: object) -> pd.Series:
    df = screen(chain(put(**put_kw)), ctx if ctx is not None else context("AAA"), rules or PutRules(), TS)
    assert len(df) == 1
    return df.iloc[0]


def test_screen_base_put_arithmetic():
    row = _screen()
    assert row["reason"] == ""
    assert row["premium_mid"] == pytest.approx(1.20)
    assert row["roc"] == pytest.approx(1.20 / 95) and round(row["roc"] * 100, 3) == 1.263
    assert row["roc_annualized"] == pytest.approx(1.20 / 95 * 365 / 35) and round(row["roc_annualized"] * 100, 1) == 13.2
    assert row["spread_pct"] == pytest.approx(0.10 / 1.20)
    assert row["breakeven"] == pytest.approx(93.80)
    assert row["discount_to_spot"] == pytest.approx(0.062)
    assert row["delta"] == pytest.approx(-0.263017, abs=1e-5)  # American (the put can be assigned early)
    assert row["prob_assign"] == pytest.approx(0.2922, abs=1e-4)
    assert row["iv_used"] == pytest.approx(0.30)
    assert 0 < row["prob_assign"] < row["prob_touch"] < 1


RULE_TABLE = [
    # (case, rule overrides, put overrides, context overrides, expected reason)
    ("dte below window: 29 < 30", {}, {"dte": 29}, {}, "expiry sooner than dte_min 30"),
    ("dte at the low edge passes", {}, {"dte": 30}, {}, ""),
    ("dte at the high edge passes", {}, {"dte": 45}, {}, ""),
    ("dte above window: 46 > 45", {}, {"dte": 46}, {}, "expiry later than dte_max 45"),
    ("strike 97 above target 96", {}, {"strike": 97.0}, {}, "strike above target price 96.00"),
    ("strike 95 ≥ floor 96 × 0.98 = 94.08", {"strike_below_target_pct": 0.02}, {}, {}, ""),
    ("strike 94 < floor 96 × 0.98 = 94.08", {"strike_below_target_pct": 0.02}, {"strike": 94.0}, {},
     "strike more than 2% below target (floor 94.08)"),
    ("no target", {}, {}, {"target": float("nan")}, "no target price for this name"),
    ("bid 0: nothing to sell", {}, {"bid": 0.0}, {}, "zero or missing bid: no premium to sell"),
    ("ask 1.10 < bid 1.15", {}, {"ask": 1.10}, {}, "crossed market (ask below bid)"),
    ("reader left mid NaN", {}, {"mid": float("nan")}, {}, "no two-sided quote (mid missing)"),
    ("|delta| 0.26 > 0.25", {"max_abs_delta": 0.25}, {}, {}, "|delta| 0.26 > 0.25"),
    ("|delta| 0.26 ≤ 0.27", {"max_abs_delta": 0.27}, {}, {}, ""),
    ("open interest 99 < 100", {}, {"open_interest": 99.0}, {}, "open interest 99 < 100"),
    ("missing open interest counts as 0", {}, {"open_interest": float("nan")}, {}, "open interest 0 < 100"),
    ("volume 50 < 60", {"min_volume": 60}, {}, {}, "volume 50 < 60"),
    ("spread 0.20 / 1.20 = 16.7 % > 15 %", {}, {"bid": 1.10, "ask": 1.30}, {}, "spread 16.7% of mid > 15%"),
    ("annualized 13.17 % < 14 %", {"min_annualized_return": 0.14}, {}, {}, "annualized return 13.17% < 14.00%"),
    ("annualized 13.2 % ≥ 13 %", {"min_annualized_return": 0.13}, {}, {}, ""),
    ("earnings in 10 days, expiry in 35", {}, {}, {"earnings_date": TS + timedelta(days=10)}, "earnings before expiry"),
    ("earnings after expiry", {}, {}, {"earnings_date": TS + timedelta(days=36)}, ""),
    ("earnings rule off", {"skip_earnings": False}, {}, {"earnings_date": TS + timedelta(days=10)}, ""),
    ("ex-dividend ignored by default", {}, {}, {"ex_dividend_date": TS + timedelta(days=10)}, ""),
    ("ex-dividend before expiry", {"skip_ex_dividend": True}, {}, {"ex_dividend_date": TS + timedelta(days=10)},
     "ex-dividend date before expiry"),
    ("quality fails", {}, {}, {"quality_pass": False, "quality_reason": "score below minimum"},
     "underlying fails the quality screen: score below minimum"),
    ("quality passes", {}, {}, {"quality_pass": True}, ""),
    ("first failing rule wins: dte before spread", {}, {"dte": 60, "bid": 0.5, "ask": 1.5}, {},
     "expiry later than dte_max 45"),
]


@pytest.mark.parametrize(("case", "rule_kw", "put_kw", "ctx_kw", "expected"), RULE_TABLE, ids=[r[0] for r in RULE_TABLE])
def test_screen_rule_table(case, rule_kw, put_kw, ctx_kw, expected):
    ctx_kw = dict(ctx_kw)
    target = ctx_kw.pop("target", 96.0)
    row = _screen(PutRules(**rule_kw), context("AAA", target=target, **ctx_kw), **put_kw)
    assert row["reason"] == expected, case


def test_screen_keeps_calls_out_and_every_put_in():
    df = screen(chain(put(), put(strike=90.0), put(right="C", strike=105.0)), context("AAA"), PutRules(), TS)
    assert list(df["strike"]) == [95.0, 90.0]
    assert list(df["reason"]) == ["", "strike more than 5% below target (floor 91.20)"]


def test_screen_implies_vol_from_mid_when_provider_iv_is_garbage():
    # Yahoo-style iv 1e-05: the vol is implied from mid 1.20 instead, American (the put can be assigned early):
    # σ = 26.467 % for s 100, k 95, 35 days, r 4 % (QuantLib's QdFp high precision prices 1.20000 there; the
    # European implied vol would be 26.547 %)
    row = _screen(iv=1e-5)
    assert row["iv_used"] == pytest.approx(0.26467, abs=1e-5)
    assert row["reason"] == ""


def test_screen_fills_mid_and_dte_when_the_reader_left_them_out():
    raw = chain(put()).drop(columns=["mid", "dte"])
    row = screen(raw, context("AAA"), PutRules(), TS).iloc[0]
    assert row["dte"] == 35 and row["premium_mid"] == pytest.approx(1.20)


LIMIT_TABLE = [
    # (mid, bid, ask, expected): ticks 0.01 under $3, 0.05 from $3; clipped into [bid, ask] on the tick grid
    (1.234, 1.20, 1.27, 1.23),
    (1.236, 1.20, 1.27, 1.24),
    (3.12, 3.00, 3.25, 3.10),
    (3.13, 3.00, 3.25, 3.15),
    (0.055, 0.06, 0.07, 0.06),  # rounding under the bid would give premium away: bid instead
    (4.98, 4.90, 4.96, 4.95),  # rounding over the ask would never fill: the last tick under the ask
]


@pytest.mark.parametrize(("mid", "bid", "ask", "expected"), LIMIT_TABLE)
def test_limit_price_table(mid, bid, ask, expected):
    got = limit_price(np.array([mid]), np.array([bid]), np.array([ask]), 0.01, 0.05)
    assert got[0] == pytest.approx(expected)


def test_screen_days_to_earnings():
    row = _screen(PutRules(skip_earnings=False), context("AAA", earnings_date=TS + timedelta(days=12)))
    assert row["days_to_earnings"] == 12 and row["reason"] == ""
    assert np.isnan(_screen()["days_to_earnings"])  # unknown earnings date stays unknown
