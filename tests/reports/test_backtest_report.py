"""The put-writing HTML report: self-contained, four charts, the metrics table next to the published figures."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from putwheel.api.backtest import backtest_putwrite
from putwheel.domain.errors import InputError


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "put.html"
    run = backtest_putwrite(date(2014, 1, 31), date(2018, 11, 30), data="embedded", report=out)
    assert run.report_path == out
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained_with_four_charts(report: str) -> None:
    assert report.count("Plotly.newPlot(") == 4
    assert "<script src=" not in report      # plotly.js inlined, no CDN: works offline
    for div in ("fig0", "fig1", "fig2", "fig3"):
        assert f'id="{div}"' in report


def test_report_chart_data_is_valid_json_with_the_series(report: str) -> None:
    calls = re.findall(r'Plotly\.newPlot\(\s*"fig0",\s*(\[.*?\]),\s*\{', report, flags=re.S)
    traces = json.loads(calls[0])
    names = {t.get("name") for t in traces}
    assert {"PUT (model-priced)", "S&P 500 total return"} <= names


def test_report_has_metrics_next_to_published(report: str) -> None:
    assert '<table class="metrics">' in report
    assert "9.54%" in report and "14.93%" in report
    assert "MODELLED" in report                       # the embedded label travels into the page


def test_report_into_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        backtest_putwrite(date(2015, 1, 30), date(2016, 12, 30), data="embedded", report=tmp_path / "no" / "x.html")
