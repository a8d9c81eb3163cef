"""The single-scan `putwrite_from_chains` gives exactly the first (two-pass, per-row view) implementation's
results, on a generated chain file (real SPX closes, modelled quotes) roughened the way real files are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest import realchain
from putwheel.backtest.inputs import roll_dates
from putwheel.backtest.realchain import FeeModel, FillModel, RealChainConfig, putwrite_from_chains
from putwheel.data import chainscan
from putwheel.data.modelled import ChainModel, modelled_chain
from putwheel.data.series import load_embedded_history

from .realchain_reference import reference_putwrite

START, END = date(2016, 12, 1), date(2017, 8, 31)
COLS = ["underlying", "spot", "right", "expiry", "strike", "bid", "ask", "quote_time", "volume"]


def _rough_chain(rng: np.random.Generator) -> pd.DataFrame:
    """Two snapshots a day with different spots (the median is a mean of two), weekly expiries beside the
    monthlies, calls, another symbol, mixed case in right/underlying, offsets in New York time and in UTC,
    duplicated rows, missing spots, dropped quotes (marks carried forward) and days outside the window."""
    px = load_embedded_history().spx.loc["2015-10-01":"2017-10-31"]
    monthly = [d.date() for d in roll_dates(date(2016, 11, 1), date(2017, 12, 31))]
    frames = []
    model = ChainModel(strike_step_pct=0.005, strikes_each_side=14)
    for ts in px.loc["2016-11-15":"2017-09-15"].index:
        day = ts.date()
        weekly = [(ts + pd.Timedelta(days=7 + (4 - ts.day_of_week) % 7)).date()]
        expiries = sorted({*[e for e in monthly if e > day][:2], *weekly} - {day})
        chain = modelled_chain("SPX", px.loc[:ts], day, expiries, 0.01, 0.02, model)
        early = chain.assign(spot=chain["spot"] * 0.998, quote_time=chain["quote_time"] - pd.Timedelta(minutes=15))
        frames += [chain, early]
    out = pd.concat(frames, ignore_index=True)
    out["expiry"] = pd.DatetimeIndex(out["expiry"]).date
    n = len(out)
    ny = pd.DatetimeIndex(out["quote_time"]).tz_convert("America/New_York")
    utc = pd.DatetimeIndex(out["quote_time"]).tz_convert("UTC")
    use_utc = rng.random(n) < 0.5
    out["quote_time"] = np.where(use_utc, utc.strftime("%Y-%m-%d %H:%M:%S+00:00"), ny.strftime("%Y-%m-%d %H:%M:%S%z"))
    out.loc[rng.random(n) < 0.1, "right"] = out["right"].str.lower()
    out.loc[rng.random(n) < 0.05, "right"] = out["right"].map({"P": "Put", "C": "Call", "p": "put", "c": "call"})
    out.loc[rng.random(n) < 0.05, "underlying"] = "spx"
    out.loc[rng.random(n) < 0.01, "spot"] = np.nan
    out = out[rng.random(n) > 0.03]                                   # missing quotes
    other = out.sample(frac=0.2, random_state=1).assign(underlying="QQQ", spot=lambda f: f["spot"] / 10)
    dupes = out.sample(frac=0.02, random_state=2)
    return pd.concat([out, other, dupes], ignore_index=True).sample(frac=1.0, random_state=3)[COLS]


@pytest.fixture(scope="module")
def rough_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    chain = _rough_chain(np.random.default_rng(7))
    out = tmp_path_factory.mktemp("rough")
    files = {"csv": out / "rough.csv", "parquet": out / "rough.parquet"}
    chain.to_csv(files["csv"], index=False)
    chain.to_parquet(files["parquet"], index=False)
    return files


def _same(a: realchain.RealChainResult, b: realchain.RealChainResult) -> None:
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    pd.testing.assert_frame_equal(a.cycles, b.cycles, check_exact=True)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("cfg", [RealChainConfig(), RealChainConfig(FillModel(0.5), FeeModel(0.65), rate=0.03)])
def test_single_scan_matches_the_two_pass_reference(rough_files: dict[str, Path], kind: str,
                                                     cfg: RealChainConfig) -> None:
    new = putwrite_from_chains(rough_files[kind], "SPX", START, END, cfg)
    _same(new, reference_putwrite(rough_files[kind], "SPX", START, END, cfg))
    assert len(new.cycles) == 9 and new.daily.index.is_monotonic_increasing


def test_exact_mode_matches_text_mode(rough_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = putwrite_from_chains(rough_files["csv"], "SPX", START, END)
    sources = chainscan._sources
    monkeypatch.setattr(chainscan, "_sources", lambda paths: (sources(paths)[0], None))
    _same(putwrite_from_chains(rough_files["csv"], "SPX", START, END), fast)


def test_non_iso_quote_times_fall_back_to_exact(rough_files: dict[str, Path], tmp_path: Path) -> None:
    """A quote_time whose text does not start with its ISO date cannot use the text windows: same result."""
    frame = pd.read_csv(rough_files["csv"])
    frame["quote_time"] = pd.to_datetime(frame["quote_time"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame["quote_time"] = " " + frame["quote_time"]
    path = tmp_path / "spaced.csv"
    frame.to_csv(path, index=False)
    _same(putwrite_from_chains(path, "SPX", START, END), reference_putwrite(path, "SPX", START, END))
    for file, usable in ((rough_files["csv"], True), (path, False)):
        exact, fast = chainscan._sources(file)
        assert fast is not None
        spots = chainscan._scan(chainscan._connect(exact, file), fast, "SPX", START, END, text=True)
        assert bool(spots["near"].all()) is usable


def test_median_spot_matches_duckdb(rough_files: dict[str, Path]) -> None:
    spot = putwrite_from_chains(rough_files["parquet"], "SPX", START, END).daily["spot"]
    ref = reference_putwrite(rough_files["parquet"], "SPX", START, END).daily["spot"]
    assert (spot.to_numpy() == ref.to_numpy()).all() and len(spot) > 150
