"""The page helpers: log-axis ticks a reader can read, daily series on a calendar grid, one plotly.js per page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from putwheel.reports._page import calendar_series, log_ticks, page, plotly_js_version, tick_text


@pytest.mark.parametrize(("lo", "hi", "want"), [
    (90.0, 2300.0, [100.0, 200.0, 500.0, 1000.0, 2000.0]),          # 32 years of PUT: 1-2-5 steps, no minor digits
    (95.0, 1100.0, [100.0, 200.0, 500.0, 1000.0]),
    (60.0, 130.0, [60.0, 80.0, 100.0, 120.0]),                      # a narrow range: even round steps
    (98.0, 112.0, [100.0, 105.0, 110.0]),
])
def test_log_ticks_are_few_round_numbers_inside_the_range(lo: float, hi: float, want: list[float]) -> None:
    assert log_ticks(lo, hi) == pytest.approx(want)


def test_log_ticks_of_a_wide_range_are_powers_of_ten() -> None:
    assert log_ticks(50, 250_000) == pytest.approx([100.0, 1000.0, 10_000.0, 100_000.0])
    assert log_ticks(0, 10) == [] and log_ticks(5, 5) == []


def test_tick_text_is_the_full_number() -> None:
    assert tick_text([100.0, 1000.0, 2000.0]) == ["100", "1,000", "2,000"]
    assert tick_text([1.0, 1.5, 2.0]) == ["1", "1.5", "2"]


def test_calendar_series_keeps_trading_days_and_leaves_the_rest_empty() -> None:
    days = pd.to_datetime(["2024-01-05", "2024-01-08", "2024-01-09"])      # Fri, Mon, Tue
    first, values = calendar_series(pd.Series([1.0, 2.0, 3.0], index=days))
    assert first == "2024-01-05" and values.dtype == np.float32 and len(values) == 5
    assert values[[0, 3, 4]].tolist() == [1.0, 2.0, 3.0] and np.isnan(values[1:3]).all()


def test_page_inlines_plotly_js_once_for_many_figures() -> None:
    figs = [go.Figure(go.Scatter(x=[1, 2], y=[3, 4])) for _ in range(3)]
    text = page("t", "<p>i</p>", "", figs)
    assert text.count(f"plotly.js (cartesian - minified) v{plotly_js_version()}") == 1
    assert text.count("Plotly.newPlot(") == 3 and "<script src=" not in text
