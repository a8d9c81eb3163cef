"""The numba CSV fast path of `putwrite_from_chains` gives exactly the DuckDB reader's results, and hands every
file outside its grammar back to DuckDB (same results, or DuckDB's clear error)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest import realchain
from putwheel.backtest.realchain import putwrite_from_chains
from putwheel.data import chainscan
from putwheel.domain.errors import DataError

from .test_realchain_identical import END, START, _rough_chain


@pytest.fixture(scope="module")
def rough(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _rough_chain(np.random.default_rng(11))


def _duckdb_only(path: Path) -> realchain.RealChainResult:
    orig = realchain._fast_fold
    realchain._fast_fold = lambda *a: None   # type: ignore[assignment]
    try:
        return putwrite_from_chains(path, "SPX", START, END)
    finally:
        realchain._fast_fold = orig


def _same(a: realchain.RealChainResult, b: realchain.RealChainResult) -> None:
    pd.testing.assert_frame_equal(a.daily, b.daily, check_exact=True)
    pd.testing.assert_frame_equal(a.cycles, b.cycles, check_exact=True)


@pytest.mark.parametrize("fmt", ["repr", "fixed", "crlf"])
def test_fast_path_matches_duckdb(rough: pd.DataFrame, tmp_path: Path, fmt: str) -> None:
    """pandas' 17-digit reprs (parsed by Python), short fixed decimals (parsed in the kernel), CRLF line ends."""
    path = tmp_path / "chain.csv"
    if fmt == "fixed":
        rough.to_csv(path, index=False, float_format="%.4f")
    else:
        rough.to_csv(path, index=False, lineterminator="\r\n" if fmt == "crlf" else "\n")
    assert chainscan._fast_fold(path, "SPX", START, END) is not None
    _same(putwrite_from_chains(path, "SPX", START, END), _duckdb_only(path))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: t.replace(",Put,", ',"Put",', 1),                 # quoting: DuckDB's CSV dialect
        lambda t: t.replace(",2017-0", ",2017/0"),                  # dates the kernel does not read
        lambda t: t.replace(",SPX,", ",SPX ,", 1),                   # no effect on either path
    ],
)
def test_outside_the_grammar_falls_back(rough: pd.DataFrame, tmp_path: Path, spoil) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "chain.csv"
    rough.to_csv(path, index=False)
    path.write_text(spoil(path.read_text()))
    try:
        expected = _duckdb_only(path)
    except DataError as exc:
        with pytest.raises(DataError, match=str(exc.message)[:20]):
            putwrite_from_chains(path, "SPX", START, END)
        return
    _same(putwrite_from_chains(path, "SPX", START, END), expected)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("underlying,spot,right,expiry,strike,bid,ask,quote_time\nSPX,abc,P,2017-01-20,2000,1,1.1,2017-01-03 16:00:00-05:00\n",
         "cannot read|no SPX quotes"),
        ("underlying,spot,right,expiry,strike,bid,ask,quote_time\nSPX,1,P,2017-01-20\n", "cannot read"),
        ("underlying,spot,right,expiry,strike,bid,ask,quote_time\n", "cannot read|no SPX quotes"),
    ],
)
def test_malformed_files_give_putwheel_errors(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=match):
        putwrite_from_chains(path, "SPX", date(2017, 1, 3), date(2017, 6, 30))


def test_full_outputs_resume(rough: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernel calls that fill their output arrays resume from the next line: the same result as one call."""
    path = tmp_path / "chain.csv"
    rough.to_csv(path, index=False)
    whole = putwrite_from_chains(path, "SPX", START, END)
    monkeypatch.setattr(chainscan, "_CAP", 37)
    monkeypatch.setattr(chainscan, "_CHUNK", 1 << 16)    # several threads' chunks on this small file too
    assert chainscan._fast_fold(path, "SPX", START, END) is not None
    _same(putwrite_from_chains(path, "SPX", START, END), whole)
