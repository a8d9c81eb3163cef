"""Cboe PUT on end-of-day chain files through DuckDB: the files are generated here (modelled, labelled so)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.inputs import roll_dates
from putwheel.backtest.realchain import FeeModel, FillModel, RealChainConfig, putwrite_from_chains
from putwheel.data.modelled import ChainModel, modelled_chain
from putwheel.data.series import load_embedded_history
from putwheel.domain.errors import DataError, InputError

START, END = date(2017, 1, 3), date(2017, 6, 30)


@pytest.fixture(scope="module")
def chain_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A modelled SPX chain (real closes, modelled quotes) per day, as one Parquet, one CSV and two monthly files."""
    px = load_embedded_history().spx.loc["2016-01-01":"2017-06-30"]
    expiries = [d.date() for d in roll_dates(START, date(2017, 9, 30))]
    model = ChainModel(strike_step_pct=0.005, strikes_each_side=20)
    frames = [modelled_chain("SPX", px.loc[:ts], ts.date(), [e for e in expiries if e > ts.date()][:3], 0.01, 0.02, model)
              for ts in px.loc[str(START):str(END)].index]
    chain = pd.concat(frames, ignore_index=True)
    out = tmp_path_factory.mktemp("chains")
    files = {"parquet": out / "spx.parquet", "csv": out / "spx.csv"}
    chain.to_parquet(files["parquet"])
    chain.to_csv(files["csv"], index=False)
    first_half = chain["quote_time"] < pd.Timestamp("2017-04-01", tz="UTC")
    chain[first_half].to_parquet(out / "part-1.parquet")
    chain[~first_half].to_parquet(out / "part-2.parquet")
    files["glob"] = out / "part-*.parquet"
    return files


def test_parquet_csv_and_split_files_agree(chain_files: dict[str, Path]) -> None:
    runs = [putwrite_from_chains(chain_files[k], "SPX", START, END) for k in ("parquet", "csv", "glob")]
    for other in runs[1:]:
        np.testing.assert_allclose(other.daily["value"], runs[0].daily["value"], rtol=1e-12)
    cycles = runs[0].cycles
    assert list(cycles["write_date"].dt.strftime("%m-%d")) == ["01-20", "02-17", "03-17", "04-21", "05-19", "06-16"]
    assert (cycles["strike"] <= cycles["spot"]).all() and (cycles["spot"] - cycles["strike"] < 12).all()


def test_first_cycle_by_hand(chain_files: dict[str, Path]) -> None:
    res = putwrite_from_chains(chain_files["parquet"], "spx", START, END, RealChainConfig(rate=0.0))
    c = res.cycles.iloc[0]
    fill = (c["bid"] + c["ask"]) / 2
    assert c["fill"] == pytest.approx(fill)
    # N = 1 / (K - P) puts per unit of account (the PUT methodology's count: the premium secures puts too)
    payoff = max(c["strike"] - c["settle_spot"], 0)
    assert c["cycle_return"] == pytest.approx((fill - payoff) / (c["strike"] - fill))
    assert c["cycle_return"] != pytest.approx(fill / c["strike"] - payoff / c["strike"])   # not the old 1 / K count
    assert res.daily["value"].iloc[0] == pytest.approx(100.0)


def test_worse_fills_and_fees_cost_money(chain_files: dict[str, Path]) -> None:
    mid = putwrite_from_chains(chain_files["parquet"], "SPX", START, END).daily["value"].iloc[-1]
    bid = putwrite_from_chains(chain_files["parquet"], "SPX", START, END,
                               RealChainConfig(fill=FillModel(1.0))).daily["value"].iloc[-1]
    fees = putwrite_from_chains(chain_files["parquet"], "SPX", START, END,
                                RealChainConfig(fees=FeeModel(per_contract=5.0))).daily["value"].iloc[-1]
    assert bid < mid and fees < mid


@pytest.mark.parametrize(
    ("make", "err", "match"),
    [
        (lambda d: d / "absent.parquet", DataError, "not found"),
        (lambda d: d / "*.csv", DataError, "no file matches this pattern"),
        (lambda d: str(d / "none" / "*.parquet"), DataError, "no file matches this pattern"),
        (lambda d: (d / "x.txt").write_text("a") and d / "x.txt", InputError, "Parquet or all CSV"),
        (lambda d: (d / "bad.csv").write_text("underlying,spot\nSPX,1\n") and d / "bad.csv", DataError, "lack columns"),
    ],
)
def test_bad_files(tmp_path: Path, make, err: type[Exception], match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(err, match=match):
        putwrite_from_chains(make(tmp_path), "SPX", START, END)


def test_unknown_symbol_and_bad_slippage(chain_files: dict[str, Path]) -> None:
    with pytest.raises(DataError, match="no QQQ quotes"):
        putwrite_from_chains(chain_files["parquet"], "QQQ", START, END)
    with pytest.raises(InputError, match="slippage"):
        FillModel(1.5)
