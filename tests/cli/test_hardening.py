"""Bad input through the CLI: a one-line error (what, where, how to fix), a non-zero exit, the ledger unchanged.

Each row of the tables is one case of issue 12 (tracebacks and silent accepts found by a 234-case sweep); the
classes are listed with what the user gets in docs/errors.md. Files are hand-written rows, not broker data.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from putwheel.api import ledger as api
from putwheel.cli import ledger as cli_ledger
from putwheel.cli.app import app

runner = CliRunner()

TASTY_HEADER = ("Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,"
                "Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Total,"
                "Currency")
TASTY_DEPOSIT = ('2024-01-03T14:00:00+0000,Money Movement,Deposit,,,,Wire Funds Received,"10,000.00",0,,--,0.00,,,,,,,,'
                 '"10,000.00",{cur}')
TASTY_PUT = ("2024-01-04T15:00:00+0000,Trade,Sell to Open,SELL_TO_OPEN,XYZ   240216P00050000,Equity Option,"
             "Sold 1 XYZ 02/16/24 Put 50.00 @ 1.20,{value},1,120.00,-1.00,-0.14,100,XYZ,XYZ,2/16/24,50,PUT,1001,{total},USD")
IBKR_HEADER = ('"ClientAccountID","CurrencyPrimary","AssetClass","Symbol","Strike","Expiry","Put/Call","TradeDate",'
               '"DateTime","Quantity","TradePrice","IBCommission","Buy/Sell","TransactionID","Notes/Codes",'
               '"UnderlyingSymbol","Multiplier","Open/CloseIndicator"')
IBKR_PUT = ('"U1","USD","OPT","XYZ 240216P50","50","2024-02-16","P","{day}","{stamp}","-1","{price}","-1.1","SELL",'
            '"{tid}","","XYZ","100","O"')


def _run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A ledger holding one deposit, so "unchanged" is checked against something."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    res = _run("trade", "deposit", "10000", "--date", "2024-01-02", "--db", url)
    assert res.exit_code == 0, res.output
    return url


def _state(url: str) -> tuple[tuple[str, ...], int] | None:
    """Event keys and batch count, read with sqlite3 itself (opening through putwheel must not be what we test)."""
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return None
    with sqlite3.connect(path) as conn:
        keys = tuple(sorted(r[0] for r in conn.execute("SELECT key FROM events")))
        return keys, conn.execute("SELECT count(*) FROM batches").fetchone()[0]


def _refused(res, code: int, needle: str) -> None:
    assert res.exit_code == code, res.output
    assert needle in res.output, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)  # a clean exit, not an escaped error
    assert res.output.count("error:") == 1


def _file(tmp_path: Path, name: str, lines: list[str] | bytes) -> str:
    path = tmp_path / name
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


X300 = "x" * 300
TRADE_CASES = [  # (id, argv, exit code, message)
    ("strike-not-a-number", ["trade", "buy-close", "XYZ", "--strike", "abc", "--expiry", "2024-02-16", "--price", "1"],
     2, "--strike must be a number, got 'abc'"),
    ("new-strike-not-a-number", ["trade", "roll", "XYZ", "--strike", "50", "--expiry", "2024-02-16", "--new-strike", "4x",
                                 "--new-expiry", "2024-03-15", "--close-price", "1", "--open-price", "2"], 2,
     "--new-strike must be a number"),
    ("premium-1e20", ["trade", "sell-put", "XYZ", "--strike", "5", "--expiry", "2024-02-16", "--premium", "1e20",
                      "--date", "2024-01-03"], 2, "premium 1e20 is at or above the strike 5"),
    ("deposit-1e11", ["trade", "deposit", "100000000000", "--date", "2024-01-03"], 2, "limit of 10,000,000,000"),
    ("deposit-1e20", ["trade", "deposit", "1e20", "--date", "2024-01-03"], 2, "limit of 10,000,000,000"),
    ("deposit-1e400", ["trade", "deposit", "1e400", "--date", "2024-01-03"], 2,   # said in 9 characters, not 400
     "cash 1.000E+400 is above the ledger's limit of 10,000,000,000"),
    ("deposit-nan", ["trade", "deposit", "nan", "--date", "2024-01-03"], 2, "must be finite"),
    ("deposit-text", ["trade", "deposit", "ten", "--date", "2024-01-03"], 2, "amount must be a number"),
    ("deposit-2099", ["trade", "deposit", "100", "--date", "2099-01-05"], 2, "dated in the future"),
    ("deposit-1800", ["trade", "deposit", "100", "--date", "1800-01-05"], 2, "before 1970"),
    ("account-empty", ["trade", "deposit", "100", "--date", "2024-01-03", "--account", ""], 2, "account name ''"),
    ("account-blank", ["trade", "deposit", "100", "--date", "2024-01-03", "--account", "   "], 2, "account name"),
    ("account-300", ["trade", "deposit", "100", "--date", "2024-01-03", "--account", X300], 2, "longer than 64"),
    ("account-control", ["trade", "deposit", "100", "--date", "2024-01-03", "--account", "a\x07b"], 2, "control"),
    ("symbol-300", ["trade", "sell-put", X300.upper(), "--strike", "5", "--expiry", "2024-02-16", "--premium", "1",
                    "--date", "2024-01-03"], 2, "is not a valid option root"),
    ("symbol-empty", ["trade", "sell-put", "", "--strike", "5", "--expiry", "2024-02-16", "--premium", "1",
                      "--date", "2024-01-03"], 2, "is not a valid option root"),
    ("sell-after-expiry", ["trade", "sell-put", "XYZ", "--strike", "5", "--expiry", "2024-01-05", "--premium", "0.5",
                           "--date", "2024-03-01"], 2, "XYZ 2024-01-05 5P expired on 2024-01-05, before the trade date"),
    ("roll-into-expired", ["trade", "roll", "XYZ", "--strike", "5", "--expiry", "2024-02-16", "--new-strike", "5",
                           "--new-expiry", "2024-01-05", "--close-price", "1", "--open-price", "2", "--date", "2024-01-10"],
     2, "expired on 2024-01-05"),
    ("expiry-month-13", ["trade", "sell-put", "XYZ", "--strike", "5", "--expiry", "2024-13-01", "--premium", "1"], 2,
     "--expiry '2024-13-01' is not a date"),
]


@pytest.mark.parametrize(("argv", "code", "needle"), [c[1:] for c in TRADE_CASES], ids=[c[0] for c in TRADE_CASES])
def test_hardening_trade_refused_and_ledger_unchanged(db, argv, code, needle):
    before = _state(db)
    _refused(_run(*argv, "--db", db), code, needle)
    assert _state(db) == before


def _tasty(cur: str = "USD", value: str = "120.00", total: str = "118.86", day: str = "2024-01-04") -> list[str]:
    return [TASTY_HEADER, TASTY_DEPOSIT.format(cur=cur),
            TASTY_PUT.format(value=value, total=total).replace("2024-01-04T", f"{day}T")]


def _ibkr(day: str = "2024-01-04", stamp: str = "", price: str = "1.20", tid: str = "9001") -> str:
    return IBKR_PUT.format(day=day, stamp=stamp, price=price, tid=tid)


IMPORT_CASES = [  # (id, importer, file name, content, exit code, message)
    ("tasty-binary", "tastytrade", "x.csv", bytes(range(256)) * 8, 4, "a binary file, not a CSV or XML export"),
    ("ibkr-binary", "ibkr", "x.csv", b"\x89PNG\r\n\x1a\n\x00\x00" * 100, 4, "a binary file"),
    ("tasty-bare-cr", "tastytrade", "x.csv", (TASTY_HEADER + "\n2024-01-03T1\r4:00,x\n").encode(), 4,
     "not a readable CSV file"),
    ("ibkr-huge-field", "ibkr", "x.csv", (IBKR_HEADER + "\n\"" + "9" * 200_000 + "\"\n").encode(), 4,
     "not a readable CSV file"),
    ("ibkr-month-13", "ibkr", "x.csv", [IBKR_HEADER, _ibkr(day="2024-13-04")], 4, "is not a real date"),
    ("ibkr-hour-99", "ibkr", "x.csv", [IBKR_HEADER, _ibkr(stamp="20240104;990000")], 4, "is not a real time of day"),
    ("ibkr-dup-id-other-content", "ibkr", "x.csv", [IBKR_HEADER, _ibkr(), _ibkr(price="9.99")], 4,
     "transactionID 9001 repeats x.csv:2 with different content"),
    ("ibkr-netcash-sign", "ibkr", "x.csv",
     [IBKR_HEADER.replace('"Open/CloseIndicator"', '"Open/CloseIndicator","NetCash"'), _ibkr() + ',"-121.1"'], 4,
     "netCash '-121.1' contradicts quantity x tradePrice + ibCommission = 118.9"),
    ("ibkr-2099", "ibkr", "x.csv", [IBKR_HEADER, _ibkr(day="2099-01-05")], 2, "dated in the future"),
    ("ibkr-1800", "ibkr", "x.csv", [IBKR_HEADER, _ibkr(day="1800-01-05")], 4, "before 1970"),
    ("ibkr-currency-name", "ibkr", "x.csv", [IBKR_HEADER, _ibkr().replace('"USD"', '"US Dollar"')], 4,
     "currency 'US Dollar' is not a 3-letter ISO code"),
    ("ibkr-symbol-20", "ibkr", "x.csv", [IBKR_HEADER, _ibkr().replace('"XYZ","100"', '"ABCDEFGHIJKLMNOPQRST","100"')],
     4, "is not a valid option root"),
    ("tasty-locale-total", "tastytrade", "x.csv", _tasty(total='"1.989,90"'), 4, "uses a decimal comma"),
    ("tasty-locale-value", "tastytrade", "x.csv", _tasty(value='"-493,00"'), 4, "uses a decimal comma"),
    ("tasty-currency-name", "tastytrade", "x.csv", _tasty(cur="US Dollar"), 4, "is not a 3-letter ISO code"),
    ("tasty-currency-4", "tastytrade", "x.csv", _tasty(cur="USDX"), 4, "is not a 3-letter ISO code"),
    ("tasty-empty-value", "tastytrade", "x.csv", _tasty(value=""), 4, "Value is empty"),
    ("tasty-no-value-column", "tastytrade", "x.csv",
     [TASTY_HEADER.replace("Value,", ""), "2024-01-03T14:00:00+0000,Money Movement,Deposit,,,,x,0,,--,0.00,,,,,,,,1,USD"],
     4, "unrecognized tastytrade header"),
    ("tasty-total-sign", "tastytrade", "x.csv", _tasty(total="-118.86"), 4, "contradicts Value + Commissions + Fees"),
    ("tasty-2099", "tastytrade", "x.csv", _tasty(day="2099-01-04"), 2, "dated in the future"),
    ("tasty-1800", "tastytrade", "x.csv", _tasty(day="1800-01-04"), 4, "before 1970"),
]


@pytest.mark.parametrize(("importer", "name", "content", "code", "needle"), [c[1:] for c in IMPORT_CASES],
                         ids=[c[0] for c in IMPORT_CASES])
def test_hardening_import_refused_and_ledger_unchanged(db, tmp_path, importer, name, content, code, needle):
    path = _file(tmp_path, name, content)
    before = _state(db)
    _refused(_run("import", importer, path, "--db", db), code, needle)
    assert _state(db) == before


def test_hardening_import_account_name_of_any_text_is_refused(db, tmp_path):
    path = _file(tmp_path, "t.csv", _tasty())
    before = _state(db)
    _refused(_run("import", "tastytrade", path, "--account", X300, "--db", db), 4, "longer than 64")
    _refused(_run("import", "tastytrade", path, "--account", "", "--db", db), 4, "account name ''")
    assert _state(db) == before


def test_hardening_currency_spelling_is_normalised_to_one_bucket(db, tmp_path):
    lower = _file(tmp_path, "lower.csv", _tasty(cur="usd"))
    res = _run("import", "tastytrade", lower, "--db", db)
    assert res.exit_code == 0, res.output
    cash = api.positions(db=db).cash["tastytrade"]
    assert cash == {"USD": Decimal("10118.86")}  # 'usd' and 'USD' are one cash bucket


def test_hardening_us_thousands_still_read(db, tmp_path):
    path = _file(tmp_path, "t.csv", _tasty(value='"1,120.00"', total='"1,118.86"'))
    assert _run("import", "tastytrade", path, "--db", db).exit_code == 0
    assert api.positions(db=db).cash["tastytrade"]["USD"] == Decimal("11118.86")


def test_hardening_total_off_by_a_cent_is_the_brokers_rounding(db, tmp_path):
    path = _file(tmp_path, "t.csv", _tasty(total="118.85"))  # tastytrade rounds fees: Value + costs - 0.01
    assert _run("import", "tastytrade", path, "--db", db).exit_code == 0


def test_hardening_ibkr_identical_duplicate_is_one_event(db, tmp_path):
    path = _file(tmp_path, "x.csv", [IBKR_HEADER, _ibkr(), _ibkr()])
    res = _run("import", "ibkr", path, "--db", db, "--json")
    assert res.exit_code == 0, res.output
    assert '"added": 1' in res.output


def test_hardening_empty_db_option_is_refused_not_the_default_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PUTWHEEL_DB", raising=False)
    for argv in (["trade", "deposit", "100"], ["positions"], ["import", "tastytrade", _file(tmp_path, "t.csv", _tasty())]):
        _refused(_run(*argv, "--db", ""), 2, "--db is empty")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("argv", [["positions"], ["income"], ["cycles"], ["trade", "expire", "XYZ", "--strike", "5",
                                                                          "--expiry", "2024-02-16"]])
def test_hardening_read_command_never_creates_a_ledger_or_folder(tmp_path, argv):
    target = tmp_path / "no" / "such" / "dir" / "x.sqlite"
    _refused(_run(*argv, "--db", str(target)), 5, f"no ledger at {target}")
    assert not (tmp_path / "no").exists()


def test_hardening_not_a_database(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list\n" * 200, encoding="utf-8")
    _refused(_run("positions", "--db", str(path)), 5, "is not a SQLite database")
    _refused(_run("trade", "deposit", "1", "--db", str(path)), 5, "is not a SQLite database")
    assert path.read_text(encoding="utf-8") == "shopping list\n" * 200


def test_hardening_read_only_ledger(db):
    read_only = f"sqlite:///file:{db.removeprefix('sqlite:///')}?mode=ro&uri=true"
    before = _state(db)
    _refused(_run("trade", "deposit", "5", "--date", "2024-01-03", "--db", read_only), 5, "is read-only")
    assert _state(db) == before
    res = _run("positions", "--db", read_only)  # reading a read-only ledger works
    assert res.exit_code == 0 and "10,000.00" in res.output


def test_hardening_unknown_migration_revision(db):
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    before = _state(db)
    _refused(_run("positions", "--db", db), 5, "schema revision 'f00dfeed' is unknown to putwheel")
    _refused(_run("trade", "deposit", "1", "--db", db), 5, "upgrade putwheel")
    assert _state(db) == before


@pytest.mark.parametrize("password", ["s3cretQ", "pQ7@ss@w0rdZ", "sl/aXh:c0lon@", "pct%40encQ"])
def test_hardening_password_never_printed(password):
    url = f"postgresql+psycopg2://bob:{password}@127.0.0.1:1/putwheel"  # port 1: nothing listens there
    res = _run("positions", "--db", url)
    assert res.exit_code == 5, res.output
    secret_parts = [p for p in password.replace("@", " ").replace("/", " ").replace(":", " ").split() if len(p) > 2]
    assert all(part not in res.output for part in secret_parts), res.output
    assert "bob:***@" in res.output


def test_hardening_cli_default_account_is_the_api_one():
    assert cli_ledger.DEFAULT_ACCOUNT == api.DEFAULT_ACCOUNT


def test_hardening_unwritable_output_path_is_one_line(db, tmp_path):
    _refused(_run("income", "--html", str(tmp_path), "--as-of", "2024-02-01", "--db", db), 6, "Is a directory")


BINARY = bytes(range(128, 256)) * 4
FILE_CASES = [  # (id, file name, content, argv with {f} for the file, exit code, message)
    ("config-empty-watchlist", "c.toml", b"watchlist = []\n", ["plan", "-c", "{f}"], 3,
     "watchlist: Tuple should have at least 1"),
    ("config-free-cash-1e300", "c.toml", b"[account]\nfree_cash = 1e300\n", ["plan", "-c", "{f}"], 3,
     "account.free_cash: Input should be less than 10000000000"),
    ("config-free-cash-inf", "c.toml", b"[account]\nfree_cash = inf\n", ["plan", "-c", "{f}"], 3, "finite number"),
    ("config-binary", "c.toml", BINARY, ["plan", "-c", "{f}"], 3, "not valid TOML"),
    ("plan-names-without-data", "c.toml", b'[[watchlist]]\nsymbol = "TSLA"\n[[watchlist]]\nsymbol = "KO"\n',
     ["plan", "-c", "{f}"], 4, "no embedded data for TSLA, KO (the offline demo covers AAPL, DJX, GOOG, MSFT, XSP; "
                               "for other names use a chain file, --source file:PATH, or live quotes"),
    ("manage-binary-positions", "p.toml", BINARY, ["manage", "--as-of", "2024-01-05", "--positions", "{f}"], 2,
     "not a text file"),
    ("chain-binary-file", "c.csv", BINARY, ["chain", "SPY", "--source", "file:{f}"], 4, "cannot read the file"),
]


@pytest.mark.parametrize(("name", "content", "argv", "code", "needle"), [c[1:] for c in FILE_CASES],
                         ids=[c[0] for c in FILE_CASES])
def test_hardening_config_and_files_one_line(tmp_path, name, content, argv, code, needle):
    path = _file(tmp_path, name, content)
    _refused(_run(*(a.format(f=path) for a in argv)), code, needle)


def test_hardening_ibkr_id_restated_in_a_later_file_is_refused(db, tmp_path):
    first = _file(tmp_path, "a.csv", [IBKR_HEADER, _ibkr()])
    assert _run("import", "ibkr", first, "--db", db).exit_code == 0
    before = _state(db)
    assert _run("import", "ibkr", first, "--db", db).exit_code == 0  # the same file again: nothing added, no error
    later = _file(tmp_path, "b.csv", [IBKR_HEADER, _ibkr(price="1.35")])
    _refused(_run("import", "ibkr", later, "--db", db), 5, "id 9001: stored qty -1 price 1.2 cash 118.9, this file")
    assert _state(db)[0] == before[0]


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", ":memory:"])
def test_hardening_in_memory_ledger_is_refused_not_silently_lost(url):
    _refused(_run("trade", "deposit", "5", "--date", "2024-01-03", "--db", url), 2, "is an in-memory database")


@pytest.mark.parametrize("argv", [
    ["backtest", "putwrite", "--start", "2018-01-01", "--end", "2018-01-05", "--data", "embedded"],
    ["backtest", "index", "PUT", "--start", "2018-01-01", "--end", "2018-01-31", "--data", "embedded"],
], ids=["putwrite-4-days", "index-one-month"])
def test_hardening_backtest_window_without_two_monthly_returns_is_refused(argv):
    """A window inside one calendar month used to print a table of NaN vol and Sharpe, with numpy's warning."""
    _refused(_run(*argv), 2, "gives fewer than two monthly returns")
