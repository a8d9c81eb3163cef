"""Alerts through apprise to a local HTTP endpoint (json://127.0.0.1:PORT): what a run sends, and a dead endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from putwheel.execution.alerts import notify


class _Sink(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[tuple[str, list[dict]]]:
    _Sink.received = []
    server = HTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}", _Sink.received
    server.shutdown()
    server.server_close()


def test_alerts_reach_a_local_endpoint(sink):
    url, got = sink
    alerts = [("fill", "sell 1 AAPL180105P00166000 at 1.89"), ("unfilled", "pw-1 unfilled at the deadline"),
              ("roll_failed", "pw-2: the new leg did not fill"), ("missing_data", "no quote for XSP"),
              ("assignment", "AAPL180105P00166000 x1 assignment on 2018-01-05")]
    assert notify([url], "putwheel run 2017-12-01 (paper)", alerts) is None
    assert len(got) == 1 and got[0]["title"] == "putwheel run 2017-12-01 (paper)"
    body = got[0]["message"]
    for text in ("[filled]", "[unfilled at deadline]", "[roll failed]", "[missing market data]", "[assigned]"):
        assert text in body


def test_alerts_failures_are_reported_not_raised():
    assert notify(["not a url at all"], "t", [("fill", "x")]) is not None
    assert notify(["json://127.0.0.1:9"], "t", [("fill", "x")]) is not None   # nothing listens on port 9
    assert notify([], "t", [("fill", "x")]) is None


def test_run_sends_its_fills_as_one_alert(sink, tmp_path):
    from putwheel.api import ledger as api_ledger
    from putwheel.api.run import run
    from putwheel.config import parse_config

    url, got = sink
    db = str(tmp_path / "l.sqlite")
    api_ledger.trade_deposit("50000", on=date(2017, 11, 20), db=db)
    config = parse_config({"watchlist": [{"symbol": "MSFT"}], "execution": {"alerts": [url]}})
    res = run(date(2017, 11, 24), config=config, broker="paper", dry_run=False, db=db)
    assert res.fills and len(got) == 1
    assert all(f["contract"] in got[0]["message"] for f in res.fills)
