"""Metrics: hand-computed values, edge cases and invariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from putwheel.backtest.metrics import (
    annualized_vol,
    cagr,
    compute_metrics,
    max_drawdown,
    month_end_values,
    monthly_returns,
    sharpe,
    sortino,
)
from putwheel.domain.errors import InputError


def _monthly(values: list[float], start: str = "2000-01-31") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="ME"), dtype=float)


def test_cagr_doubling_over_four_years() -> None:
    values = pd.Series([100.0, 200.0], index=pd.to_datetime(["2000-01-01", "2004-01-01"]))  # 1461 days = 4 x 365.25
    assert cagr(values) == pytest.approx(2 ** 0.25 - 1, rel=1e-12)


def test_annualized_vol_of_alternating_returns() -> None:
    rets = _monthly([0.01, -0.01] * 6)
    expected = np.std([0.01, -0.01] * 6, ddof=1) * np.sqrt(12)
    assert annualized_vol(rets) == pytest.approx(expected)
    assert expected == pytest.approx(0.0361, abs=1e-4)


@pytest.mark.parametrize(
    ("values", "depth", "length"),
    [
        ([100, 120, 60, 90, 130, 125], -0.5, 3),   # peak at 120, trough 60, recovered at 130
        ([100, 80, 90], -0.2, 2),                   # never recovers: length runs to the end
        ([100, 101, 102], 0.0, 0),                  # no drawdown
    ],
)
def test_max_drawdown_depth_and_length(values: list[float], depth: float, length: int) -> None:
    dd, months = max_drawdown(_monthly([float(v) for v in values]))
    assert dd == pytest.approx(depth)
    assert months == length


def test_sharpe_and_sortino_hand_computed() -> None:
    rets = _monthly([0.02, -0.01, 0.03, 0.0])
    rf = _monthly([0.005] * 4)
    ex = np.array([0.015, -0.015, 0.025, -0.005])
    assert sharpe(rets, rf) == pytest.approx(ex.mean() * 12 / (ex.std(ddof=1) * np.sqrt(12)))
    downside = np.sqrt(np.mean(np.minimum(ex, 0) ** 2))
    assert sortino(rets, rf) == pytest.approx(ex.mean() * 12 / (downside * np.sqrt(12)))


def test_sharpe_missing_rf_month_is_an_input_error() -> None:
    with pytest.raises(InputError, match="risk-free"):
        sharpe(_monthly([0.01, 0.02, 0.03]), _monthly([0.001, 0.001]))


def test_month_end_values_from_daily_keep_start_and_last_of_each_month() -> None:
    days = pd.bdate_range("2020-01-15", "2020-03-10")
    values = pd.Series(np.arange(len(days), dtype=float) + 100.0, index=days)
    me = month_end_values(values)
    assert list(me.index) == [pd.Timestamp("2020-01-15"), pd.Timestamp("2020-01-31"), pd.Timestamp("2020-02-28"),
                              pd.Timestamp("2020-03-10")]
    assert len(monthly_returns(values)) == 3


@pytest.mark.parametrize("values", [[100.0], [100.0, -5.0], [100.0, 0.0]])
def test_bad_value_series_raise_input_error(values: list[float]) -> None:
    with pytest.raises(InputError):
        compute_metrics(_monthly(values))


def test_metrics_need_a_datetime_index() -> None:
    with pytest.raises(InputError, match="DatetimeIndex"):
        cagr(pd.Series([1.0, 2.0]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-0.2, 0.2), min_size=3, max_size=60), st.floats(0.01, 1e6))
def test_metrics_do_not_depend_on_the_starting_value(rets: list[float], scale: float) -> None:
    values = _monthly(list(100.0 * np.cumprod(1.0 + np.array([0.0, *rets]))))
    a, b = compute_metrics(values), compute_metrics(values * scale)
    assert a.cagr == pytest.approx(b.cagr, rel=1e-9, abs=1e-12)
    assert a.max_drawdown == pytest.approx(b.max_drawdown, rel=1e-9, abs=1e-12)
    assert a.max_drawdown_months == b.max_drawdown_months
    assert -1.0 < a.max_drawdown <= 0.0
