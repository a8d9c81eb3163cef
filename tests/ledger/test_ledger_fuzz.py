"""Fuzz: >= 10,000 generated malformed rows, in files, through every importer: never a traceback, never half a write.

Rows start from hand-written valid ones (tastytrade 2024/2021/legacy CSV, IBKR Flex CSV and XML) and are broken
by a seeded generator: junk and locale numbers in cells, impossible dates, cells dropped or added, cut rows,
duplicated ids, stray bytes, broken quoting and XML. Every file must parse to rows and issues or raise a
`PutwheelError`; a sample also goes through the api into a SQLite ledger, which must change all-or-nothing.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from putwheel.api import ledger as api
from putwheel.domain.errors import PutwheelError
from putwheel.ledger.importers import ibkr, tastytrade
from putwheel.ledger.importers.common import Parsed
from putwheel.ledger.importers.tastytrade import GEN2, LEGACY

SEED = 20261203
ROWS_PER_FILE = 40
FILES_PER_FORMAT = 80  # x 5 formats x 40 rows = 16,000 rows, about 70 % of them broken
API_SAMPLE = 6  # files per format also imported through the api into a ledger

TASTY_2024 = [*GEN2[:2], "Sub Type", *GEN2[2:], "Total", "Currency"]  # the 2024+ header with Total
GOOD_2024 = [
    ["2024-01-03T14:00:00+0000", "Money Movement", "Deposit", "", "", "", "Wire Funds Received", "10,000.00", "0", "",
     "--", "0.00", "", "", "", "", "", "", "", "10,000.00", "USD"],
    ["2024-01-04T15:00:00+0000", "Trade", "Sell to Open", "SELL_TO_OPEN", "XYZ   240216P00050000", "Equity Option",
     "Sold 1 XYZ 02/16/24 Put 50.00 @ 1.20", "120.00", "1", "120.00", "-1.00", "-0.14", "100", "XYZ", "XYZ",
     "2/16/24", "50", "PUT", "1001", "118.86", "USD"],
    ["2024-02-16T22:00:00+0000", "Receive Deliver", "Expiration", "", "XYZ   240216P00050000", "Equity Option",
     "Removal of 1.0 XYZ 02/16/24 Put 50.00 due to expiration.", "0.00", "1", "0.00", "--", "0.00", "100", "XYZ", "XYZ",
     "2/16/24", "50", "PUT", "", "0.00", "USD"],
]
GOOD_2021 = [
    ["2021-11-26T23:00:00+0100", "Money Movement", "", "", "", "Wire Funds Received", "11,219.00", "0", "", "--", "0.00",
     "", "", "", "", "", "", ""],
    ["2021-12-01T16:00:00+0100", "Trade", "SELL_TO_OPEN", "ABC   211217P00020000", "Equity Option",
     "Sold 1 ABC 12/17/21 Put 20.00 @ 0.45", "45.00", "1", "45.00", "-1.00", "-0.14", "100", "ABC", "ABC", "12/17/21",
     "20", "PUT", "77"],
]
GOOD_LEGACY = [
    ["01/04/2019 3:30 PM", "Trade", "Sell to Open", "ABC 01/18/19 20 P", "SELL", "OPEN", "1", "01/18/2019", "20", "P",
     "0.45", "1.14", "45.00", "Sold 1 ABC 01/18/19 Put 20.00 @ 0.45", "x1"],
]
IBKR_CSV = ["ClientAccountID", "CurrencyPrimary", "AssetClass", "Symbol", "Strike", "Expiry", "Put/Call", "TradeDate",
            "DateTime", "Quantity", "TradePrice", "IBCommission", "Buy/Sell", "TransactionID", "Notes/Codes",
            "UnderlyingSymbol", "Multiplier", "Open/CloseIndicator", "Conid", "UnderlyingConid"]
GOOD_IBKR = [
    ["U1", "USD", "OPT", "XYZ 240216P50", "50", "2024-02-16", "P", "2024-01-04", "20240104;153000", "-1", "1.20",
     "-1.1", "SELL", "9001", "", "XYZ", "100", "O", "111", "222"],
    ["U1", "USD", "OPT", "XYZ 240216P50", "50", "2024-02-16", "P", "2024-02-16", "20240216;162000", "1", "0", "0",
     "BUY", "9002", "A", "XYZ", "100", "C", "111", "222"],
    ["U1", "USD", "STK", "XYZ", "", "", "", "2024-02-16", "20240216;162000", "100", "50", "0", "BUY", "9003", "A", "",
     "1", "O", "222", ""],
]

JUNK = ["", " ", "--", "abc", "1.989,90", "-493,00", "1,99", "1e400", "-1e20", "NaN", "inf", "9" * 30, "0", "-0",
        "2024-13-45", "20241399;999999", "1800-01-01T00:00:00+0000", "2099-12-31T00:00:00+0000", "20990101",
        "x" * 300, "€", "a\x07b", '"', "'", "US Dollar", "usd", "USDX", "PUT", "CALL", "Q", "(12.00)", "$5", "1/2",
        "12/31/99", "\t", "<", "&amp;", "&", "]]>", "ABCDEFGHIJKLMNOPQRSTU", "-", "+", ".", ",", "1,000,00"]


def _mutate_row(rng: random.Random, row: list[str]) -> list[str]:
    row = list(row)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        if op < 0.6 and row:
            row[rng.randrange(len(row))] = rng.choice(JUNK)
        elif op < 0.7 and row:
            del row[rng.randrange(len(row))]
        elif op < 0.8:
            row.insert(rng.randrange(len(row) + 1), rng.choice(JUNK))
        elif op < 0.9 and len(row) > 1:
            i, j = rng.randrange(len(row)), rng.randrange(len(row))
            row[i], row[j] = row[j], row[i]
        else:
            row = row[: rng.randrange(len(row) + 1)]
    return row


def _rows(rng: random.Random, good: list[list[str]]) -> list[list[str]]:
    out = []
    for _ in range(ROWS_PER_FILE):
        base = rng.choice(good)
        out.append(base if rng.random() < 0.3 else _mutate_row(rng, base))  # some rows stay valid
    return out


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _xml_text(rows: list[list[str]]) -> str:
    def esc(v: str) -> str:
        return v.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")

    names = [ibkr._CSV_NAMES.get(h, h) for h in IBKR_CSV]
    trades = "".join("<Trade " + " ".join(f'{n}="{esc(v)}"' for n, v in zip(names, row, strict=False)) + "/>"
                     for row in rows)
    return ("<FlexQueryResponse><FlexStatements><FlexStatement><Trades>" + trades
            + "</Trades></FlexStatement></FlexStatements></FlexQueryResponse>")


def _damage_file(rng: random.Random, text: str) -> str:
    op = rng.random()
    if op < 0.55:
        return text
    if op < 0.65:
        return text[: rng.randrange(len(text) + 1)]  # cut anywhere, mid-quote and mid-tag included
    if op < 0.75:
        i = rng.randrange(len(text) + 1)
        return text[:i] + "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randint(1, 20))) + text[i:]
    if op < 0.8:
        return "\ufeff" + text.replace("\n", "\r\n")
    if op < 0.85:
        return text.replace('"', "", rng.randint(1, 3))  # unbalanced quoting
    if op < 0.9:
        return text.split("\n", 1)[0] + "\n"  # header only
    if op < 0.95:
        return ""
    return text.replace(",", ";")  # another delimiter


FORMATS: dict[str, tuple[Callable[..., Parsed], Callable[[random.Random], str], str]] = {
    "tasty-2024": (tastytrade.parse, lambda r: _csv_text(TASTY_2024, _rows(r, GOOD_2024)), "tastytrade"),
    "tasty-2021": (tastytrade.parse, lambda r: _csv_text(GEN2, _rows(r, GOOD_2021)), "tastytrade"),
    "tasty-legacy": (tastytrade.parse, lambda r: _csv_text(LEGACY, _rows(r, GOOD_LEGACY)), "tastytrade"),
    "ibkr-csv": (ibkr.parse, lambda r: _csv_text(IBKR_CSV, _rows(r, GOOD_IBKR)), "ibkr"),
    "ibkr-xml": (ibkr.parse, lambda r: _xml_text(_rows(r, GOOD_IBKR)), "ibkr"),
}


def _files(fmt: str) -> list[str]:
    rng = random.Random(f"{SEED}-{fmt}")
    make = FORMATS[fmt][1]
    return [_damage_file(rng, make(rng)) for _ in range(FILES_PER_FORMAT)]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fuzz_importers_never_raise_anything_but_putwheel_errors(fmt):
    parse = FORMATS[fmt][0]
    outcomes = {"parsed": 0, "issues": 0, "refused": 0}
    for n, text in enumerate(_files(fmt)):
        try:
            parsed = parse(text, origin=f"{fmt}-{n}.csv")
        except PutwheelError as exc:
            assert exc.render() and "\n" not in exc.render()
            outcomes["refused"] += 1
            continue
        outcomes["issues" if parsed.issues else "parsed"] += 1
        assert all(":" in issue.where for issue in parsed.issues)  # every issue names file:line
    assert sum(outcomes.values()) == FILES_PER_FORMAT and outcomes["refused"] < FILES_PER_FORMAT


def _count(db: Path) -> tuple[int, int]:
    if not db.exists():
        return 0, 0
    with sqlite3.connect(db) as conn:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        return events, conn.execute("SELECT count(*) FROM batches").fetchone()[0]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fuzz_api_import_is_all_or_nothing(fmt, tmp_path):
    source = FORMATS[fmt][2]
    db = tmp_path / "ledger.sqlite"
    importer = api.import_tastytrade if source == "tastytrade" else api.import_ibkr
    for n, text in enumerate(_files(fmt)[:API_SAMPLE * 4:4]):
        path = tmp_path / f"{fmt}-{n}.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        before = _count(db)
        for skip_bad in (False, True):
            try:
                res = importer(path, skip_bad=skip_bad, db=f"sqlite:///{db}")
            except PutwheelError:
                assert _count(db) == before  # refused: nothing written, not even a batch row
                continue
            events, batches = _count(db)
            assert events == before[0] + res.added and batches == before[1] + 1
            before = (events, batches)
