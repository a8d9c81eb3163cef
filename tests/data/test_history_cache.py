"""History parsers on the real Cboe/FRED files, and the Parquet cache (fetch through a fake session, list offline)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import requests

from putwheel.data.history import (
    SeriesSpec,
    cache_dir,
    fetch,
    list_cached,
    load_cached,
    parse_cboe_index_csv,
    parse_fred_csv,
)
from putwheel.domain.errors import DataError

VIX_CSV = "cboe/cboe_us_indices_VIX_History_head_tail.csv"
FETCHED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class FakeResponse:
    def __init__(self, status_code: int, text: str = "") -> None:
        self.status_code, self.text = status_code, text


class FakeSession:
    """Serves recorded files by URL substring; raises ConnectionError for anything else."""

    def __init__(self, routes: dict[str, FakeResponse]) -> None:
        self.routes, self.urls = routes, []

    def get(self, url: str, headers=None, timeout=None) -> FakeResponse:
        self.urls.append(url)
        for key, resp in self.routes.items():
            if key in url:
                return resp
        raise requests.ConnectionError("Name or service not known")


@pytest.mark.shared
def test_cboe_vix_history(fixtures_dir: Path):
    vix = parse_cboe_index_csv((fixtures_dir / VIX_CSV).read_text(), "VIX_History.csv")
    assert list(vix.columns) == ["open", "high", "low", "close"]
    assert vix.index[0] == pd.Timestamp("1990-01-02") and vix["close"].iloc[0] == 17.24
    assert vix.index[-1] == pd.Timestamp("2026-07-06") and vix["close"].iloc[-1] == 15.57


@pytest.mark.shared
def test_cboe_history_with_bom_crlf_and_blank_line(fixtures_dir: Path):
    text = "\ufeff" + (fixtures_dir / VIX_CSV).read_text().replace("\n", "\r\n") + "\r\n"
    assert len(parse_cboe_index_csv(text, "x")) == 25


def test_cboe_single_value_column():
    out = parse_cboe_index_csv("DATE,SKEW\n01/02/1990,126.09\n01/03/1990,123.34\n", "SKEW_History.csv")
    assert out["close"].tolist() == [126.09, 123.34]


@pytest.mark.shared
@pytest.mark.parametrize("name", ["tbill3m_daily_1954_2024__FRED_DTB3.csv", "vix_daily_1990_2018__FRED_VIXCLS.csv",
                                  "cmt1m_monthly__FRED_GS1M.csv"])
def test_fred_csvs(shared_data: Path, name: str):
    out = parse_fred_csv((shared_data / name).read_text(), name)
    assert list(out.columns) == ["value"] and out.index.is_monotonic_increasing and len(out) > 100
    assert out["value"].dropna().between(-1, 100).all()  # DTB3 went slightly negative in 2015 and 2020


def test_fred_dot_is_missing_and_bad_values_name_the_row():
    out = parse_fred_csv("observation_date,DTB3\n2024-01-01,.\n2024-01-02,5.2\n", "fred")
    assert out["value"].isna().tolist() == [True, False]
    with pytest.raises(DataError) as err:
        parse_fred_csv("DATE,DTB3\n2024-01-01,5.1\n2024-01-02,abc\n", "fred DTB3")
    assert err.value.where == "fred DTB3, row 1, column 'DTB3'"
    with pytest.raises(DataError, match="not a date"):
        parse_fred_csv("DATE,DTB3\n2024-13-01,5.1\n", "fred")
    with pytest.raises(DataError, match="no data rows"):
        parse_fred_csv("DATE,DTB3\n", "fred")


@pytest.mark.parametrize("text", ["cboe:vix", "fred:DTB3", "yf:^GSPC"])
def test_series_spec_parse(text):
    spec = SeriesSpec.parse(text)
    assert spec.name == text.split(":")[0] + ":" + text.split(":")[1].upper()


@pytest.mark.parametrize("text", ["VIX", "bloomberg:SPX", "fred:"])
def test_series_spec_rejects_unknown(text):
    with pytest.raises(DataError, match="unknown series"):
        SeriesSpec.parse(text)


@pytest.mark.shared
def test_fetch_stores_parquet_and_lists_offline(fixtures_dir: Path, shared_data: Path, tmp_path: Path):
    session = FakeSession({
        "VIX_History.csv": FakeResponse(200, (fixtures_dir / VIX_CSV).read_text()),
        "id=DTB3": FakeResponse(200, (shared_data / "tbill3m_daily_1954_2024__FRED_DTB3.csv").read_text()),
    })
    seen: list[tuple[str, int, int]] = []
    stored = fetch(["cboe:VIX", "fred:DTB3"], date(1990, 1, 1), date(2026, 11, 25), FETCHED, root=tmp_path,
                   session=session, progress=lambda n, i, t: seen.append((n, i, t)))
    assert [s.name for s in stored] == ["cboe:VIX", "fred:DTB3"]
    assert seen == [("cboe:VIX", 0, 2), ("fred:DTB3", 1, 2), ("done", 2, 2)]
    listed = {s.name: s for s in list_cached(tmp_path)}
    assert listed["cboe:VIX"].rows == 25 and listed["cboe:VIX"].last == date(2026, 7, 6)
    assert listed["fred:DTB3"].first == date(1954, 1, 4)
    assert listed["cboe:VIX"].url.endswith("/VIX_History.csv") and listed["cboe:VIX"].fetched_at.startswith("2026-11-25")
    assert load_cached("cboe:VIX", tmp_path)["close"].iloc[-1] == 15.57


@pytest.mark.shared
def test_network_failure_keeps_earlier_series(fixtures_dir: Path, tmp_path: Path):
    session = FakeSession({"VIX_History.csv": FakeResponse(200, (fixtures_dir / VIX_CSV).read_text())})
    with pytest.raises(DataError, match="no network / provider unreachable"):
        fetch(["cboe:VIX", "fred:DTB3"], date(1990, 1, 1), date(2026, 1, 1), FETCHED, root=tmp_path, session=session)
    assert [s.name for s in list_cached(tmp_path)] == ["cboe:VIX"]


def test_unknown_cboe_symbol_is_a_data_error(tmp_path: Path):
    session = FakeSession({"History.csv": FakeResponse(403, "<Error><Code>AccessDenied</Code></Error>")})
    with pytest.raises(DataError, match="unknown series cboe:NOPE"):
        fetch(["cboe:NOPE"], date(2020, 1, 1), date(2021, 1, 1), FETCHED, root=tmp_path, session=session)
    assert list_cached(tmp_path) == []


def test_cache_dir_env_override(tmp_path: Path):
    assert cache_dir({"PUTWHEEL_CACHE": str(tmp_path)}) == tmp_path
    assert cache_dir({}).name == "cache"


def test_corrupt_cache_file_is_skipped_by_list_and_an_error_on_load(tmp_path: Path):
    (tmp_path / "cboe_VIX.parquet").write_bytes(b"PAR1 not really")
    assert list_cached(tmp_path) == []
    with pytest.raises(DataError, match="unreadable"):
        load_cached("cboe:VIX", tmp_path)


class HistoryTicker:
    """A yfinance Ticker whose `history()` returns the recorded CALM frame (yfinance's own test data)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.calls = frame, []

    def history(self, **kwargs: object) -> pd.DataFrame:
        self.calls.append(kwargs)
        return self.frame


@pytest.mark.shared
def test_fetch_yfinance_history_into_the_cache(fixtures_dir: Path, tmp_path: Path):
    raw = pd.read_csv(fixtures_dir / "yfinance/yfinance_history_CALM_1d_with_dividend_excerpt.csv", index_col=0)
    raw.index = pd.to_datetime(raw.index, utc=True).tz_convert("America/New_York")
    ticker = HistoryTicker(raw)
    stored = fetch(["yf:CALM"], date(2022, 4, 20), date(2022, 5, 4), FETCHED, root=tmp_path, ticker=lambda s: ticker)
    assert ticker.calls == [{"start": "2022-04-20", "end": "2022-05-04", "auto_adjust": False, "actions": True}]
    assert stored[0].rows == 10 and stored[0].first == date(2022, 4, 20)
    cached = load_cached("yf:CALM", tmp_path)
    assert cached.loc["2022-04-26", "dividends"] == 0.125 and "adj_close" in cached
