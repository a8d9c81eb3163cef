"""Truncated and corrupted versions of every chain fixture give a `DataError` (or a still-valid chain), never
another exception: a broken download must end in one clear line, not a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from putwheel.data.files import read_chain, write_chain
from putwheel.data.schema import validate_chain
from putwheel.domain.errors import DataError

pytestmark = pytest.mark.shared

CHAIN_FIXTURES = (
    "cboe/cboe_delayed_options_QQQ_2023-05-19_response_excerpt.json",
    "cboe/cboe_delayed_options_SPY_2026-08-17_evidence_excerpt.json",
    "cboe/cboe_delayed_options__SPX_2026-08-17_evidence_excerpt.json",
    "historical/cboe_datashop_UnderlyingOptionsEODCalcs_2016-06-01_excerpt.csv",
    "historical/optionsdx_eod_HEADER_ONLY.txt",
    "schwab_tda/tda_chains_SPY_2020-08-21_atm_340.json",
    "yfinance/yahoo_v7_options_APRN_2018-05-11_raw.json",
    "yfinance/yahoo_v7_options_formatted_TSLA_2021_rawfmt_excerpt.json",
)
GARBAGE = (b"", b"\x00", b"\xff\xfe", b"NaN", b"-1", b"1e999", b"null", b'"x"', b"{", b"]", b",", b"\n", b"-999",
           b"0", b"9999999999999", b"2016-13-45", b"[]", b"{}", b"P00450000")


def _mutations(data: bytes, rng: random.Random, n: int) -> list[bytes]:
    cuts = {1, 2, len(data) // 3, len(data) // 2, len(data) - 2, *rng.sample(range(1, len(data)), 8)}
    out = [data[:cut] for cut in sorted(cuts)]
    for _ in range(n):
        kind = rng.randrange(4)
        i = rng.randrange(len(data))
        j = min(len(data), i + rng.randrange(1, 24))
        if kind == 0:  # overwrite a span with garbage
            out.append(data[:i] + rng.choice(GARBAGE) + data[j:])
        elif kind == 1:  # flip random bytes
            buf = bytearray(data)
            for _ in range(rng.randrange(1, 6)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            out.append(bytes(buf))
        elif kind == 2:  # drop a span
            out.append(data[:i] + data[j:])
        else:  # drop or duplicate a whole line
            lines = data.split(b"\n")
            k = rng.randrange(len(lines))
            lines[k:k + 1] = [] if rng.random() < 0.5 else [lines[k], lines[k]]
            out.append(b"\n".join(lines))
    return out


def _outcome(path: Path) -> str:
    try:
        chain = read_chain(path)
    except DataError as exc:
        assert exc.where and str(path) in exc.where  # the message names the file
        return "error"
    validate_chain(chain, "fuzz")  # whatever still parses must still be a valid chain
    return "ok"


@pytest.mark.parametrize("name", CHAIN_FIXTURES)
def test_corrupted_fixture_gives_data_error_only(fixtures_dir: Path, tmp_path: Path, name: str):
    src = fixtures_dir / name
    rng = random.Random(sum(name.encode()))  # fixed per fixture (hash() varies with PYTHONHASHSEED)
    outcomes = []
    for k, blob in enumerate(_mutations(src.read_bytes(), rng, 60)):
        path = tmp_path / f"m{k}{src.suffix}"
        path.write_bytes(blob)
        outcomes.append(_outcome(path))
    assert "error" in outcomes


@pytest.mark.parametrize("cut", [0, 4, 100, 1000, -100, -8])
def test_truncated_parquet_is_a_data_error(fixtures_dir: Path, tmp_path: Path, cut: int):
    good = write_chain(read_chain(fixtures_dir / CHAIN_FIXTURES[3]), tmp_path / "good.parquet")
    data = good.read_bytes()
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(data[:cut])
    with pytest.raises(DataError):
        read_chain(bad)


@pytest.mark.parametrize("name", [n for n in CHAIN_FIXTURES if n.endswith(".json")])
def test_truncated_json_is_always_a_data_error(fixtures_dir: Path, tmp_path: Path, name: str):
    data = (fixtures_dir / name).read_bytes().rstrip()
    for cut in range(1, len(data), max(1, len(data) // 40)):
        path = tmp_path / "cut.json"
        path.write_bytes(data[:cut])
        with pytest.raises(DataError):
            read_chain(path)


HISTORY_FIXTURES = (
    ("cboe/cboe_us_indices_VIX_History_head_tail.csv", "cboe"),
    ("yfinance/yfinance_history_CALM_1d_with_dividend_excerpt.csv", "yfinance"),
)


@pytest.mark.parametrize(("name", "kind"), HISTORY_FIXTURES)
def test_corrupted_history_gives_data_error_only(fixtures_dir: Path, name: str, kind: str):
    from putwheel.data.history import parse_cboe_index_csv
    from putwheel.data.yfinance import read_history_csv
    parse = parse_cboe_index_csv if kind == "cboe" else read_history_csv
    rng = random.Random(sum(name.encode()))
    errors = 0
    for blob in _mutations((fixtures_dir / name).read_bytes(), rng, 60):
        try:
            out = parse(blob.decode("utf-8", errors="replace"), name)
        except DataError:
            errors += 1
            continue
        assert out.index.is_monotonic_increasing and not out.index.has_duplicates
    assert errors > 0
