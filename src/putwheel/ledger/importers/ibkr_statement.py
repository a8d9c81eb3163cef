"""IBKR Activity Statement CSV (the default Statements > Activity download): trades and cash by section.

Stages: split rows by section (column 0) and kind (column 1: Header / Data / SubTotal / Total) -> zip each Data row
with its section's latest Header (Trades has one header per asset class) -> read Account Information and the
option multipliers/underlyings of Financial Instrument Information -> map Trades (Stocks, Equity and Index
Options; codes O, C, A, Ep, Ex) and the cash sections (Deposits & Withdrawals, Dividends, Withholding Tax,
Interest, Fees) and Corporate Actions (stocks and options, `ibkr_corporate`) to `LedgerEvent`s -> `finish`.
Forex conversions and corporate actions on other assets (warrants...) are not imported and are listed in the
notes. Times are New York; a date-only row is booked at New York midnight.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from putwheel.domain.errors import InputError
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, option, shares
from putwheel.ledger.importers import ibkr_corporate
from putwheel.ledger.importers.common import Parsed, RowError, RowIssue, as_input_error, finish, money, whole
from putwheel.ledger.importers.ibkr import NEW_YORK, SOURCE, codes

FIRST_ROW = ["Statement", "Header", "Field Name", "Field Value"]
_OPTION = re.compile(r"^(?P<root>[A-Z0-9.]+)\s+(?P<day>\d{2})(?P<mon>[A-Z]{3})(?P<yy>\d{2})\s+"
                     r"(?P<strike>[\d.]+)\s+(?P<right>[PC])$")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_CASH_SECTIONS = {"Deposits & Withdrawals": None, "Dividends": Kind.DIVIDEND, "Withholding Tax": Kind.WITHHOLDING,
                  "Interest": Kind.INTEREST, "Fees": Kind.FEE}
_TICKER = re.compile(r"^([A-Z0-9.]+)\s?\(")


def is_statement(text: str) -> bool:
    first = next(csv.reader(io.StringIO(text.lstrip("\ufeff").split("\n", 1)[0])), [])
    return [c.strip() for c in first] == FIRST_ROW


def _when(text: str) -> datetime:
    raw = text.strip()
    for fmt in ("%Y-%m-%d, %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            local = datetime.strptime(raw, fmt)  # noqa: DTZ007 - New York wall time, zoned below
        except ValueError:
            continue
        return local.replace(tzinfo=NEW_YORK).astimezone(UTC)
    raise RowError(f"Date/Time {text!r} is not 'YYYY-MM-DD, HH:MM:SS'")


def _option(symbol: str, info: dict[str, dict[str, str]]) -> Instrument:
    m = _OPTION.match(" ".join(symbol.split()))
    if m is None:
        raise RowError(f"option symbol {symbol!r} is not 'ROOT DDMONYY STRIKE P|C'")
    fii = info.get(" ".join(symbol.split()), {})
    try:
        expiry = datetime(2000 + int(m["yy"]), _MONTHS[m["mon"]], int(m["day"]), tzinfo=UTC).date()
        return option(fii.get("Underlying") or m["root"], m["right"], money(m["strike"], what="strike"), expiry,
                      whole(fii.get("Multiplier") or "100", what="Multiplier"))
    except (KeyError, ValueError) as exc:
        raise RowError(f"option symbol {symbol!r} has an impossible expiry") from exc
    except InputError as exc:
        raise as_input_error(exc) from exc


def _trade(r: dict[str, str], account: str, info: dict[str, dict[str, str]]) -> LedgerEvent:
    category = r.get("Asset Category", "").strip()
    if category == "Stocks":
        inst = shares(r["Symbol"])
    elif category == "Equity and Index Options":
        inst = _option(r["Symbol"], info)
    else:
        raise RowError(f"asset category {category!r} is not supported (Stocks and Equity and Index Options only)")
    qty = whole(r.get("Quantity"), what="Quantity")
    if qty == 0:
        raise RowError("Quantity is 0")
    proceeds, commission = money(r.get("Proceeds"), what="Proceeds"), money(r.get("Comm/Fee"), what="Comm/Fee")
    flags = codes(r.get("Code"))
    kind = (Kind.EXPIRE if "Ep" in flags else Kind.ASSIGN if "A" in flags else Kind.EXERCISE if "Ex" in flags
            else Kind.TRADE)
    effect = Effect.OPEN if "O" in flags else Effect.CLOSE if "C" in flags else None
    return LedgerEvent(account, _when(r["Date/Time"]), kind, proceeds + commission, inst, qty,
                       abs(money(r.get("T. Price"), what="T. Price")), -commission, r.get("Currency", "USD").strip(),
                       effect, None, SOURCE, ";".join(sorted(flags - {"O", "C"})))


def _cash(section: str, r: dict[str, str], account: str) -> LedgerEvent:
    amount = money(r.get("Amount"), what="Amount")
    kind = _CASH_SECTIONS[section] or (Kind.DEPOSIT if amount >= 0 else Kind.WITHDRAWAL)
    desc = r.get("Description", "").strip()
    ticker = _TICKER.match(desc)
    inst = shares(ticker[1]) if ticker and kind in (Kind.DIVIDEND, Kind.WITHHOLDING) else None
    day = r.get("Date") or r.get("Settle Date") or ""
    note = f"{section}: {desc}" if section == "Withholding Tax" else desc
    return LedgerEvent(account, _when(day), kind, amount, inst, currency=r.get("Currency", "USD").strip(),
                       source=SOURCE, note=note[:80])


_CA_CATEGORIES = ("Stocks", "Equity and Index Options")


def _orders_with_executions(rows: list[tuple[int, str, dict[str, str]]]) -> set[int]:
    """Lines of Order rows followed by their own executions (DataDiscriminator Trade, same symbol, quantities summing
    to the order's): a statement run with executions lists both, and only the executions are imported."""
    out: set[int] = set()
    trades = [(line, r) for line, section, r in rows if section == "Trades"]
    for i, (line, r) in enumerate(trades):
        if r.get("DataDiscriminator") != "Order":
            continue
        total, j = Decimal(0), i + 1
        while j < len(trades) and trades[j][1].get("DataDiscriminator") == "Trade" \
                and trades[j][1].get("Symbol") == r.get("Symbol"):
            try:
                total += money(trades[j][1].get("Quantity"), what="Quantity")
            except RowError:
                break
            j += 1
        try:
            if j > i + 1 and total == money(r.get("Quantity"), what="Quantity"):
                out.add(line)
        except RowError:
            continue
    return out
_FRACTION = re.compile(r"-?0?\.\d+")


def _corporate_leg(r: dict[str, str], account: str, info: dict[str, dict[str, str]], where: str) -> ibkr_corporate.Leg:
    # "VXX(US06742E7114) SPLIT 1 FOR 4 (VXX.OLD, IPATH S&P 500 VIX S/T FU ETN, 06742E711)": the leg's security
    # is the first name of the closing parentheses (an option's second name is its "ROOT DDMONYY STRIKE R")
    desc = r.get("Description", "")
    tail = desc[desc.rfind("(") + 1:].rstrip(") ").split(",") if desc.rstrip().endswith(")") else []
    symbol = tail[0].strip() if tail else ""
    if not symbol:
        raise RowError(f"corporate action {desc[:60]!r} names no security in its closing parentheses")
    opt = None
    if r.get("Asset Category") == "Equity and Index Options":
        opt = _option(tail[1].strip() if len(tail) > 1 and _OPTION.match(" ".join(tail[1].split())) else symbol, info)
    return ibkr_corporate.Leg(where, account, _when(r.get("Date/Time") or r.get("Report Date") or ""),
                              "OPT" if opt else "STK", symbol, desc, money(r.get("Quantity"), what="Quantity"),
                              money(r.get("Proceeds"), what="Proceeds"), r.get("Currency", "USD").strip(),
                              codes=frozenset(codes(r.get("Code"))), option=opt)


def _sections(text: str, parsed: Parsed) -> list[tuple[int, str, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    headers: dict[str, list[str]] = {}
    rows = []
    for row in reader:
        if len(row) < 2 or not row[0].strip():
            continue
        section, kind = row[0].strip(), row[1].strip()
        if kind == "Header":
            headers[section] = [c.strip() for c in row[2:]]
        elif kind == "Data" and section in headers:
            cells = row[2:]
            head = headers[section]
            if len(cells) != len(head):
                parsed.issues.append(RowIssue(f"{parsed.origin}:{reader.line_num}",
                                              f"{section}: {len(cells)} columns, its header has {len(head)}"))
                continue
            rows.append((reader.line_num, section, dict(zip(head, cells, strict=True))))
    return rows


def parse(text: str, *, origin: str, account: str | None = None) -> Parsed:
    """Parse an Activity Statement; unreadable rows become `RowIssue`s (file:line), never silent skips."""
    parsed = Parsed(SOURCE, origin, format="statement")
    rows = _sections(text, parsed)
    acct = account or next((r["Field Value"] for _, s, r in rows if s == "Account Information"
                            and r.get("Field Name") == "Account"), "ibkr").strip()
    info = {" ".join(r.get("Description", "").split()): r for _, s, r in rows if s == "Financial Instrument Information"}
    events: list[LedgerEvent] = []
    skipped: dict[str, int] = {}
    legs: list[ibkr_corporate.Leg] = []
    fractions: list[ibkr_corporate.Fraction] = []
    detailed = _orders_with_executions(rows)
    if detailed:
        parsed.notes.append(f"{len(detailed)} order row(s) listed with their executions: the executions are imported")
    for line, section, r in rows:
        if line in detailed:
            continue
        is_trade = section == "Trades" and r.get("DataDiscriminator") in ("Order", "Trade")
        is_cash = section in _CASH_SECTIONS and not r.get("Currency", "").startswith("Total")
        if section == "Corporate Actions" and r.get("Asset Category") in _CA_CATEGORIES:
            parsed.rows += 1
            try:
                legs.append(_corporate_leg(r, acct, info, f"{origin}:{line}"))
            except (RowError, InputError, KeyError) as exc:
                parsed.issues.append(RowIssue(f"{origin}:{line}", exc.message if isinstance(exc, InputError) else str(exc)))
            continue
        if is_trade and r.get("Asset Category") == "Stocks" and _FRACTION.fullmatch(r.get("Quantity", "").strip()):
            parsed.rows += 1
            fractions.append(ibkr_corporate.Fraction(f"{origin}:{line}", r["Symbol"].strip(),
                                                     money(r["Quantity"], what="Quantity"),
                                                     money(r.get("T. Price"), what="T. Price"),
                                                     money(r.get("Proceeds"), what="Proceeds")
                                                     + money(r.get("Comm/Fee"), what="Comm/Fee")))
            continue
        if section == "Corporate Actions" or (section == "Trades" and r.get("Asset Category") == "Forex"):
            what = "Corporate Actions" if section == "Corporate Actions" else "Forex conversion"
            if r.get("Asset Category") != "Total":
                skipped[what] = skipped.get(what, 0) + 1
            continue
        if not (is_trade or is_cash):
            continue
        parsed.rows += 1
        try:
            events.append(_trade(r, acct, info) if is_trade else _cash(section, r, acct))
        except (RowError, InputError, KeyError) as exc:
            msg = exc.message if isinstance(exc, InputError) else str(exc)
            parsed.issues.append(RowIssue(f"{origin}:{line}", msg))
    events += ibkr_corporate.corporate_events(legs, fractions, parsed, events)
    for f in fractions:
        parsed.issues.append(RowIssue(f.where, f"{f.symbol} quantity {f.quantity} is a fraction sold for cash without "
                                               "its corporate action in this file; the ledger holds whole shares"))
    parsed.notes.append(f"IBKR Activity Statement CSV, account {acct}")
    for what, n in skipped.items():
        parsed.notes.append(f"{n} {what} row(s) not imported (record them by hand if they matter)")
    parsed.events = finish(events)
    return parsed

