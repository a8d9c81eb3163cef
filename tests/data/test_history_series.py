"""History-series readers: clean parses, and every kind of malformed input becomes a DataError with a location."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from putwheel.data.series import (
    load_embedded_history,
    load_shared_history,
    read_fred,
    read_french_daily_rf,
    read_multpl_yield,
    read_vix_close,
    read_yahoo_close,
)
from putwheel.domain.errors import DataError


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_fred_drops_holiday_dots(tmp_path: Path) -> None:
    path = _write(tmp_path, "DTB3.csv", "DATE,DTB3\n2020-01-02,1.52\n2020-01-03,.\n2020-01-06,1.50\n")
    series = read_fred(path)
    assert list(series.index) == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-06")]
    assert series.iloc[-1] == pytest.approx(1.50)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("DATE,DTB3\n2020-01-02,1.52\n2020-01-03,abc\n", r"DTB3.csv:3:DTB3: non-numeric value 'abc'"),
        ("DATE,DTB3\n2020-01-02,1.52\nnot-a-date,1.5\n", r"unparseable date 'not-a-date'"),
        ("DATE,DTB3\n2020-01-02,1.52\n2020-01-02,1.53\n", r"duplicate date 2020-01-02"),
        ("DATE\n2020-01-02\n", r"expected two columns"),
    ],
)
def test_read_fred_malformed_raises_data_error(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        read_fred(_write(tmp_path, "DTB3.csv", text))


def test_read_yahoo_close_rejects_missing_column_and_negative_price(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing column 'Close'"):
        read_yahoo_close(_write(tmp_path, "a.csv", "Date,Open\n2020-01-02,1\n"))
    with pytest.raises(DataError, match="non-positive value"):
        read_yahoo_close(_write(tmp_path, "b.csv", "Date,Close\n2020-01-02,3200\n2020-01-03,-1\n"))


def test_read_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_yahoo_close(tmp_path / "nope.csv")


def test_read_vix_accepts_both_layouts(tmp_path: Path) -> None:
    ohlc = _write(tmp_path, "v1.csv", "DATE,OPEN,HIGH,LOW,CLOSE\n1990-01-02,17.24,17.24,17.24,17.24\n")
    fred = _write(tmp_path, "v2.csv", '"date","VIXCLS"\n1990-01-02,17.24\n')
    assert read_vix_close(ohlc).iloc[0] == read_vix_close(fred).iloc[0] == pytest.approx(17.24)


def test_read_french_daily_rf_skips_the_preamble(tmp_path: Path) -> None:
    text = ("This file was created by CMPT_ME_BEME_RETS_DAILY\r\n\r\n,Mkt-RF,SMB,HML,RF\r\n"
            "19260701,    0.10,   -0.24,   -0.28,   0.009\r\n19260702,    0.45,   -0.32,   -0.08,   0.010\r\n\r\n"
            "Copyright 2020 Kenneth R. French\r\n")
    rf = read_french_daily_rf(_write(tmp_path, "ff.csv", text))
    assert list(rf.to_numpy()) == pytest.approx([0.009, 0.010])
    assert rf.index[0] == pd.Timestamp("1926-07-01")
    with pytest.raises(DataError, match="Mkt-RF"):
        read_french_daily_rf(_write(tmp_path, "bad.csv", "Date,RF\n20200101,0.1\n"))


def test_read_multpl_yield_sorts_ascending(tmp_path: Path) -> None:
    series = read_multpl_yield(_write(tmp_path, "y.csv", "Date,Value\n2020-12-01,1.61\n2020-11-30,1.72\n"))
    assert series.index.is_monotonic_increasing
    assert series.iloc[0] == pytest.approx(1.72)


def test_embedded_history_is_what_the_packages_ship() -> None:
    hist = load_embedded_history()
    assert hist.spx.index[0] == pd.Timestamp("1950-01-03")
    assert hist.spx.index[-1] == pd.Timestamp("2018-12-07")
    assert hist.vix is not None and hist.vix.index[0].year == 2014
    assert hist.tbill_kind == "return" and hist.div_yield_pct is None and hist.vxo is None
    assert "MODELLED" in hist.label


@pytest.mark.shared
def test_shared_history_covers_the_published_period(shared: Path) -> None:
    hist = load_shared_history(shared)
    assert hist.spx.index[0] <= pd.Timestamp("1986-06-01") <= hist.spx.index[-1]
    assert hist.vxo is not None and hist.vxo.index[0] <= pd.Timestamp("1986-06-01")
    assert hist.spx_tr is not None and hist.spx_tr.index[0] == pd.Timestamp("1988-01-04")
    assert hist.div_yield_pct is not None and hist.vix is not None
    assert 0.0 < hist.tbill_pct.loc["1986":"2018"].mean() < 10.0


def test_shared_history_missing_file_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(DataError, match="no file matching"):
        load_shared_history(tmp_path)
