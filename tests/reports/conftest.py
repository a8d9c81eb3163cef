"""Report fixtures: the full-period PUT report (the largest page) made once per session, and a reader for the
figures a page hands to Plotly.newPlot (data and layout as JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from putwheel.api.backtest import backtest_putwrite

Figures = dict[str, tuple[list[dict[str, Any]], dict[str, Any]]]


def read_figures(text: str) -> Figures:
    """{div id: (traces, layout)} for every Plotly.newPlot call in the page."""
    out: Figures = {}
    decoder = json.JSONDecoder()
    for m in re.finditer(r'Plotly\.newPlot\(\s*"(\w+)",\s*', text):
        traces, end = decoder.raw_decode(text, m.end())
        layout, _ = decoder.raw_decode(text, re.compile(r",\s*").match(text, end).end())  # type: ignore[union-attr]
        out[m.group(1)] = (traces, layout)
    return out


@pytest.fixture(scope="session")
def figures() -> Callable[[str], Figures]:
    return read_figures


@pytest.fixture(scope="session")
def put_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PUT report over the whole published period on the embedded data (1986-06-30 .. 2018-12-31)."""
    out = tmp_path_factory.mktemp("put") / "put.html"
    run = backtest_putwrite(date(1986, 6, 30), date(2018, 12, 31), data="embedded", report=out)
    assert run.report_path == out
    return out
