"""`index_checks.by_market`: ours minus the official index, grouped by the month's market return."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.index_checks import by_market


def _levels(returns: np.ndarray, start: str = "2000-01-31") -> pd.Series:
    days = pd.date_range(start, periods=len(returns) + 1, freq="ME")
    return pd.Series(100 * np.cumprod(np.concatenate([[1.0], 1 + returns])), index=days)


def test_by_market_puts_each_month_in_its_bucket_and_the_slope_sees_the_lean():
    # 48 months, the market cycling -5 %, -1 %, +1 %, +5 %. Ours = official + 0.2 pp in the falling months only.
    market = np.tile([-0.05, -0.01, 0.01, 0.05], 12)
    official = np.full(48, 0.005)
    ours = official + np.where(market < 0, 0.002, 0.0)
    months = _levels(ours).pct_change().dropna()
    months.index = pd.DatetimeIndex(months.index)
    split = by_market(months, _levels(official), _levels(market))
    got = {b["bucket"]: b for b in split}
    assert got["all"]["months"] == 48 and got["all"]["mean_diff_per_year"] == pytest.approx(0.012)
    assert [got[k]["months"] for k in ("below -3 %", "-3 % .. 0", "0 .. 3 %", "above 3 %")] == [12, 12, 12, 12]
    assert got["below -3 %"]["mean_diff_per_year"] == pytest.approx(0.024)
    assert got["-3 % .. 0"]["mean_diff_per_year"] == pytest.approx(0.024)
    assert got["0 .. 3 %"]["mean_diff_per_year"] == pytest.approx(0.0, abs=1e-12)
    assert got["all"]["slope"] < 0      # the excess falls as the market rises


def test_by_market_needs_a_year_of_overlap():
    r = np.full(6, 0.01)
    months = _levels(r).pct_change().dropna()
    assert by_market(months, _levels(r), _levels(r)) == []
