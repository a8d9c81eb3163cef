"""Every recorded chain fixture in ../shared/fixtures reads into the schema, with the provider's pitfalls handled."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from putwheel.data.files import quote_date, read_chain, sniff, write_chain
from putwheel.domain.errors import DataError

pytestmark = pytest.mark.shared

CBOE_QQQ = "cboe/cboe_delayed_options_QQQ_2023-05-19_response_excerpt.json"
CBOE_SPY = "cboe/cboe_delayed_options_SPY_2026-08-17_evidence_excerpt.json"
CBOE_SPX = "cboe/cboe_delayed_options__SPX_2026-08-17_evidence_excerpt.json"
DATASHOP = "historical/cboe_datashop_UnderlyingOptionsEODCalcs_2016-06-01_excerpt.csv"
OPTIONSDX = "historical/optionsdx_eod_HEADER_ONLY.txt"
TDA = "schwab_tda/tda_chains_SPY_2020-08-21_atm_340.json"
APRN = "yfinance/yahoo_v7_options_APRN_2018-05-11_raw.json"
TSLA = "yfinance/yahoo_v7_options_formatted_TSLA_2021_rawfmt_excerpt.json"


@pytest.mark.parametrize(("name", "fmt"), [(CBOE_QQQ, "cboe"), (CBOE_SPX, "cboe"), (DATASHOP, "datashop"),
                                           (OPTIONSDX, "optionsdx"), (TDA, "tda"), (APRN, "yahoo"), (TSLA, "yahoo")])
def test_sniff_recognises_each_fixture(fixtures_dir: Path, name: str, fmt: str):
    assert sniff(fixtures_dir / name) == fmt


def test_cboe_qqq_response(fixtures_dir: Path):
    chain = read_chain(fixtures_dir / CBOE_QQQ)
    assert chain["underlying"].unique().tolist() == ["QQQ"]
    assert chain["spot"].iloc[0] == 336.46
    assert chain["occ_symbol"].tolist() == ["QQQ   230522C00260000", "QQQ   230522P00260000"]
    # timestamp is only "18:47:30": the snapshot is dated by the underlying's last trade (15:59:59 New York)
    assert quote_date(chain) == date(2023, 5, 19)
    assert chain["dte"].tolist() == [3, 3]
    assert chain["iv"].tolist() == [1.0682, 0.8992]  # a fraction per contract (iv30 is the percent one)
    assert chain["iv30"].tolist() == pytest.approx([0.16568, 0.16568])
    call, put = chain.iloc[0], chain.iloc[1]
    assert np.isnan(call["last"]) and "never traded" in call["quality"]
    assert "zero bid" in put["quality"] and "last trade before the quote day" in put["quality"]


def test_cboe_spx_keeps_root_and_recomputes_zero_iv(fixtures_dir: Path):
    chain = read_chain(fixtures_dir / CBOE_SPX)
    assert chain["underlying"].unique().tolist() == ["SPX"]
    assert chain["root"].unique().tolist() == ["SPX"]
    assert chain["quote_time"].iloc[0] == pd.Timestamp("2026-08-17 18:42:35", tz="UTC")
    assert (chain["iv_provider"] == 0.0).all()
    assert chain["quality"].str.contains("provider iv ~0").all()
    assert chain["quality"].str.contains("last trade before the quote day").all()  # 2026-08-11 and 2026-04-13
    deep_call = chain.loc[chain["right"] == "C"].iloc[0]
    assert np.isnan(deep_call["iv"]) and "below intrinsic" in deep_call["quality"]


def test_cboe_spy_expiring_contracts(fixtures_dir: Path):
    chain = read_chain(fixtures_dir / CBOE_SPY)
    assert chain["dte"].tolist() == [0, 0]
    put = chain.loc[chain["right"] == "P"].iloc[0]
    assert put["iv_provider"] == 8.2778 and "provider iv > 500%" in put["quality"]


def test_datashop_eod(fixtures_dir: Path):
    chain = read_chain(fixtures_dir / DATASHOP)
    assert len(chain) == 14
    assert chain["underlying"].unique().tolist() == ["VIX"]  # ^VIX without the caret
    assert (chain["spot"] == 14.24).all()
    assert chain["quote_time"].iloc[0] == pd.Timestamp("2016-06-01 19:45", tz="UTC")  # 15:45 New York
    expiring = chain.loc[chain["dte"] == 0]
    assert len(expiring) == 2 and expiring["quality"].str.contains("no bid and no ask").all()
    p15 = chain.loc[(chain["strike"] == 15) & (chain["right"] == "P")].iloc[0]
    assert (p15["bid"], p15["ask"], p15["iv"], p15["delta"], p15["open_interest"]) == (0.7, 0.9, 0.7267, -0.3364, 5108)
    assert p15["last"] == 0.79 and p15["quality"] == ""


def _optionsdx_from_datashop(fixtures_dir: Path, tmp_path: Path) -> Path:
    """OptionsDX layout filled with the real DataShop quotes (no real OptionsDX rows exist in the fixtures)."""
    header = (fixtures_dir / OPTIONSDX).read_text().strip()
    ds = pd.read_csv(fixtures_dir / DATASHOP)
    ds = ds[ds["expiration"] == "2016-06-29"]
    calls, puts = ds[ds["option_type"] == "C"].set_index("strike"), ds[ds["option_type"] == "P"].set_index("strike")
    quote_unix = int(pd.Timestamp("2016-06-01 16:00", tz="America/New_York").timestamp())
    lines = [header]
    for k in calls.index:
        c, p = calls.loc[k], puts.loc[k]
        vals = [quote_unix, "2016-06-01 16:00", "2016-06-01", 16.0, 14.24, "2016-06-29",
                int(pd.Timestamp("2016-06-29 16:00", tz="America/New_York").timestamp()), 28.0,
                c.delta_1545, c.gamma_1545, c.vega_1545, c.theta_1545, c.rho_1545, c.implied_volatility_1545,
                c.trade_volume, c.close if c.close > 0 else " ", f"{c.bid_size_1545} x {c.ask_size_1545}",
                c.bid_1545, c.ask_1545, k, p.bid_1545, p.ask_1545, f"{p.bid_size_1545} x {p.ask_size_1545}",
                p.close if p.close > 0 else " ", p.delta_1545, p.gamma_1545, p.vega_1545, p.theta_1545, p.rho_1545,
                p.implied_volatility_1545, p.trade_volume, round(abs(k - 14.24), 2), round(abs(k - 14.24) / 14.24, 3)]
        lines.append(", ".join(str(v) for v in vals))
    path = tmp_path / "vix_eod_201606.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_optionsdx_wide_rows_split_into_puts_and_calls(fixtures_dir: Path, tmp_path: Path):
    dx = read_chain(_optionsdx_from_datashop(fixtures_dir, tmp_path))
    ds = read_chain(fixtures_dir / DATASHOP)
    ds = ds[ds["dte"] == 28]
    assert len(dx) == len(ds) == 12
    key = ["right", "strike"]
    a, b = dx.sort_values(key).reset_index(drop=True), ds.sort_values(key).reset_index(drop=True)
    for col in ("bid", "ask", "iv", "delta", "dte", "spot", "occ_symbol"):
        assert a[col].tolist() == b[col].tolist(), col
    assert a["underlying"].unique().tolist() == ["VIX"]


def test_optionsdx_header_only_is_an_empty_chain_error(fixtures_dir: Path):
    with pytest.raises(DataError, match="empty"):
        read_chain(fixtures_dir / OPTIONSDX)


def test_tda_chain(fixtures_dir: Path):
    chain = read_chain(fixtures_dir / TDA)
    assert chain["occ_symbol"].tolist() == ["SPY   200828C00340000", "SPY   200828P00340000"]
    assert chain["iv"].tolist() == pytest.approx([0.12701, 0.13706])  # percent in the payload
    assert chain["dte"].tolist() == [7, 7]
    assert chain["open_interest"].tolist() == [14691, 3666]
    assert (chain["quality"] == "").all()


def test_yahoo_aprn_garbage_ivs(fixtures_dir: Path):
    chain = read_chain(fixtures_dir / APRN)
    assert len(chain) == 11 and chain["spot"].iloc[0] == 2.45
    extreme = chain["iv_provider"] > 5
    assert extreme.sum() == 5  # 10.31, 5.78, 7.0, 6.75 and 5.75
    assert chain.loc[extreme, "quality"].str.contains("provider iv > 500%").all()
    assert (chain.loc[extreme, "iv"].isna() | (chain.loc[extreme, "iv"] <= 5)).all()
    assert chain["quality"].str.contains("zero bid").sum() == (chain["bid"] == 0).sum()


def test_yahoo_formatted_variant_needs_spot_and_date(fixtures_dir: Path):
    with pytest.raises(DataError, match="quote time"):
        read_chain(fixtures_dir / TSLA)
    with pytest.raises(DataError, match="spot"):
        read_chain(fixtures_dir / TSLA, as_of=date(2021, 11, 29))
    chain = read_chain(fixtures_dir / TSLA, as_of=date(2021, 11, 29), spot=1136.99)  # TSLA close, 2021-11-29
    floor = chain["iv_provider"] < 1e-4
    assert floor.sum() == 2 and chain.loc[floor, "quality"].str.contains("provider iv ~0").all()
    assert chain.loc[~floor, "iv"].iloc[0] == pytest.approx(1.143436900024414)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_our_format_round_trips(fixtures_dir: Path, tmp_path: Path, suffix: str):
    chain = read_chain(fixtures_dir / DATASHOP)
    back = read_chain(write_chain(chain, tmp_path / f"chain{suffix}"))
    for col in ("occ_symbol", "bid", "ask", "dte", "quality", "right"):
        assert back[col].tolist() == chain[col].tolist(), col
    pd.testing.assert_series_equal(back["iv"], chain["iv"])
    assert back["quote_time"].tolist() == chain["quote_time"].tolist()


def test_missing_file_is_a_data_error(tmp_path: Path):
    with pytest.raises(DataError, match="no such file"):
        read_chain(tmp_path / "nope.csv")


def test_zipped_datashop_day_reads_like_the_csv(fixtures_dir: Path, tmp_path: Path):
    import zipfile
    path = tmp_path / "UnderlyingOptionsEODCalcs_2016-06-01.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(fixtures_dir / DATASHOP, "UnderlyingOptionsEODCalcs_2016-06-01.csv")
    assert sniff(path) == "datashop"
    assert read_chain(path)["occ_symbol"].tolist() == read_chain(fixtures_dir / DATASHOP)["occ_symbol"].tolist()


def test_zip_with_two_files_is_a_data_error(fixtures_dir: Path, tmp_path: Path):
    import zipfile
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(fixtures_dir / DATASHOP, "a.csv")
        zf.write(fixtures_dir / DATASHOP, "b.csv")
    with pytest.raises(DataError, match="exactly one"):
        read_chain(path)
