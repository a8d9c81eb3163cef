"""The ledger HTML report: charts carry the ledger's numbers; an empty ledger is a clear error."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from putwheel.domain.errors import InputError
from putwheel.ledger import cycles, manual, monthly_income
from putwheel.ledger.events import Kind, option
from putwheel.reports.ledger import write_ledger_report

AS_OF = date(2024, 5, 1)


def _wheel():
    t = lambda d: datetime(2024, *d, 15, tzinfo=UTC)  # noqa: E731
    evs = manual.cash_move("a", t((1, 2)), Kind.DEPOSIT, "10000")
    evs += manual.sell_put("a", t((1, 3)), "XYZ", "50", date(2024, 2, 16), 1, "1.20", "1.14")
    evs += manual.assign("a", t((2, 16)), option("XYZ", "P", 50, date(2024, 2, 16)), 1)
    evs += manual.sell_call("a", t((2, 20)), "XYZ", "52", date(2024, 3, 15), 1, "0.80")
    evs += manual.assign("a", t((3, 15)), option("XYZ", "C", 52, date(2024, 3, 15)), 1)
    return evs


def test_report_has_income_and_cycle_charts_with_ledger_numbers(tmp_path):
    evs = _wheel()
    path = write_ledger_report(monthly_income(evs), cycles(evs), tmp_path / "r.html", title="t", as_of=AS_OF)
    text = path.read_text(encoding="utf-8")
    assert text.count("Plotly.newPlot") == 2 and "<table class=\"metrics\">" in text
    # The assigned put's 118.86 lowers the shares' basis (48.8114) instead of being realized in Feb; the call's 80
    # joins the proceeds when the shares are called away in Mar: 5,280 - 4,881.14 = 398.86, all of it in Mar
    assert "a/XYZ#1" in text and "398.86" in text and "called away" in text
    payloads = [json.loads(m) for m in re.findall(r'Plotly\.newPlot\(\s*"fig0",\s*(\[.*?\]),\s*\{', text, re.S)]
    total = next(tr for tr in payloads[0] if tr["name"] == "total realized")
    assert total["x"] == ["2024-01", "2024-02", "2024-03"] and total["y"] == [0.0, 0.0, 398.86]


def test_report_refuses_an_empty_ledger(tmp_path):
    with pytest.raises(InputError, match="no trades"):
        write_ledger_report([], [], tmp_path / "r.html", title="t", as_of=AS_OF)
