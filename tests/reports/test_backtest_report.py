"""The put-writing HTML report: self-contained (plotly.js once, no CDN), under 2 MB over the whole published period,
three charts that say what they show, the metrics table next to the published figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from putwheel.api.backtest import backtest_putwrite
from putwheel.domain.errors import InputError
from putwheel.reports._page import plotly_js


@pytest.fixture(scope="module")
def report(put_report: Path) -> str:
    return put_report.read_text(encoding="utf-8")


def test_report_is_self_contained_with_plotly_js_once_and_three_charts(report: str) -> None:
    assert report.count("Plotly.newPlot(") == 3
    assert "<script src=" not in report                      # no CDN: opens offline
    assert report.count("plotly.js (cartesian - minified) v") == 1 and plotly_js()[:2000] in report
    for div in ("fig0", "fig1", "fig2"):
        assert f'id="{div}"' in report


def test_report_over_32_years_is_under_2_mb(put_report: Path) -> None:
    assert put_report.stat().st_size <= 2_000_000


def test_growth_chart_has_readable_log_ticks_and_axis_titles(report: str, figures: Callable) -> None:
    traces, layout = figures(report)["fig0"]
    assert {"PUT (model-priced)", "S&P 500 total return"} <= {t.get("name") for t in traces}
    growth = layout["yaxis"]
    assert growth["type"] == "log" and growth["title"]["text"] == "growth of 100 (log scale)"
    ticks = growth["tickvals"]        # major ticks only: 1, 2, 5 x 10^k, labelled in full
    assert 4 <= len(ticks) <= 8 and all(round(v / 10 ** np.floor(np.log10(v)), 6) in (1, 2, 5) for v in ticks)
    assert growth["ticktext"] == [f"{v:,.0f}" for v in ticks] and "1,000" in growth["ticktext"]
    assert layout["yaxis2"]["title"]["text"] == "drawdown"
    titles = [a["text"] for a in layout["annotations"]]
    assert any("daily closes" in t and "month-end" in t for t in titles)


def test_daily_curves_go_out_compact_on_a_calendar_grid(report: str, figures: Callable) -> None:
    traces, _ = figures(report)["fig0"]
    put = next(t for t in traces if t.get("name") == "PUT (model-priced)")
    assert put["x0"] == "1986-06-30" and put["dx"] == 86_400_000 and put["y"]["dtype"] == "f4"
    assert "x" not in put and put["connectgaps"] is True


def test_heatmaps_side_by_side_share_one_symmetric_scale_with_values(report: str, figures: Callable) -> None:
    traces, layout = figures(report)["fig1"]
    heat = [t for t in traces if t["type"] == "heatmap"]
    assert len(heat) == 2 and {t["coloraxis"] for t in heat} == {"coloraxis"}   # one scale for both panels
    axis = layout["coloraxis"]
    assert axis["cmin"] == -axis["cmax"] and axis["cmax"] >= 20                 # Oct 1987: -21.6 % on the S&P 500
    assert "return" in axis["colorbar"]["title"]["text"]
    assert all(t["texttemplate"] == "%{z:.1f}" for t in heat)
    assert {t["xaxis"] for t in heat} == {"x", "x2"}                             # two panels, one figure


def test_report_has_metrics_next_to_published_and_both_drawdowns_labelled(report: str) -> None:
    assert '<table class="metrics">' in report
    assert "9.54%" in report and "14.93%" in report
    assert "MODELLED" in report                       # the embedded label travels into the page
    assert "<td>max drawdown (month-end)</td>" in report and "<td>max drawdown (daily closes)</td>" in report
    assert "<td>max drawdown</td>" not in report


def test_report_into_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        backtest_putwrite(date(2015, 1, 30), date(2016, 12, 30), data="embedded", report=tmp_path / "no" / "x.html")
