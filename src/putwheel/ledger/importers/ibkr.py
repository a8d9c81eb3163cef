"""IBKR Flex Query trades (XML and CSV) and cash transactions (XML), with the Notes/Codes A, Ep, Ex, P.

Stages: read `<Trade>`/`<CashTransaction>` elements (Activity Flex XML), `<TradeConfirm>` executions (Trade
Confirmation Flex XML, renamed to the Activity names) or the Trades rows (CSV, plain or with BOS/HEADER/DATA
section columns) into one attribute dict per row -> map to `LedgerEvent` (A = assignment,
Ep = expired, Ex = exercise, P = partial fill, a TradeCancel reverses its trade) -> `finish`.
Times are New York (`dateTime` YYYYMMDD;HHMMSS); the key is the broker's `transactionID`, so a re-import or an
overlapping statement adds nothing.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from putwheel.domain.errors import DataError, InputError
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, content_key, option, shares
from putwheel.ledger.importers import ibkr_corporate
from putwheel.ledger.importers.common import Parsed, RowError, RowIssue, as_input_error, finish, foreign, money, whole

SOURCE = "ibkr"
NEW_YORK = ZoneInfo("America/New_York")
_CSV_NAMES = {
    "ClientAccountID": "accountId", "CurrencyPrimary": "currency", "AssetClass": "assetCategory", "Symbol": "symbol",
    "Description": "description", "Strike": "strike", "Expiry": "expiry", "Put/Call": "putCall",
    "TradeDate": "tradeDate", "DateTime": "dateTime", "Quantity": "quantity", "TradePrice": "tradePrice",
    "IBCommission": "ibCommission", "Buy/Sell": "buySell", "TransactionID": "transactionID",
    "Notes/Codes": "notes", "UnderlyingSymbol": "underlyingSymbol", "Conid": "conid",
    "UnderlyingConid": "underlyingConid", "Multiplier": "multiplier", "Open/CloseIndicator": "openCloseIndicator",
    "TransactionType": "transactionType", "NetCash": "netCash", "TradeID": "tradeID", "OrigTradeID": "origTradeID",
    "IBOrderID": "ibOrderID",
}


def _day(text: str, what: str) -> date:
    raw = text.strip().replace("-", "")
    if not re.fullmatch(r"\d{8}", raw):
        raise RowError(f"{what} {text!r} is not YYYYMMDD or YYYY-MM-DD")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError as exc:
        raise RowError(f"{what} {text!r} is not a real date ({exc})") from None


def _when(a: dict[str, str]) -> datetime:
    stamp = (a.get("dateTime") or "").strip()
    if stamp:
        m = re.fullmatch(r"(\d{8})[;, ]?(\d{6})?", stamp.replace("-", "").replace(":", ""))
        if m is None:
            raise RowError(f"dateTime {stamp!r} is not YYYYMMDD;HHMMSS")
        try:
            clock = time(int(m[2][:2]), int(m[2][2:4]), int(m[2][4:])) if m[2] else time(0)
        except ValueError as exc:
            raise RowError(f"dateTime {stamp!r} is not a real time of day ({exc})") from None
        return datetime.combine(_day(m[1], "dateTime"), clock, NEW_YORK).astimezone(UTC)
    return datetime.combine(_day(a.get("tradeDate") or a.get("date") or "", "tradeDate"), time(0), NEW_YORK).astimezone(UTC)


def codes(notes: str | None) -> set[str]:
    return {c.strip() for c in (notes or "").split(";") if c.strip()}


def _instrument(a: dict[str, str], underlying_of: dict[str, str]) -> Instrument:
    cat = (a.get("assetCategory") or "").strip()
    if cat == "OPT":
        try:
            return option(a.get("underlyingSymbol") or a["symbol"].split()[0], a["putCall"],
                          money(a["strike"], what="strike"), _day(a["expiry"], "expiry"),
                          whole(a.get("multiplier") or "100", what="multiplier"))
        except InputError as exc:
            raise as_input_error(exc) from exc
    if cat == "STK":
        # The stock leg's own symbol can differ from the option's underlying (LEGd vs LEG): link by conid.
        return shares(underlying_of.get(a.get("conid", ""), "") or a.get("underlyingSymbol") or a["symbol"])
    raise RowError(f"asset category {cat!r} is not supported (STK and OPT only)")


def trade_event(a: dict[str, str], underlying_of: dict[str, str], account: str | None) -> LedgerEvent:
    inst = _instrument(a, underlying_of)
    qty = whole(a.get("quantity"), what="quantity")
    if qty == 0:
        raise RowError("quantity is 0")
    price = money(a.get("tradePrice"), what="tradePrice")
    commission = money(a.get("ibCommission"), what="ibCommission")
    net = a.get("netCash")
    expected = -Decimal(qty) * price * inst.multiplier + commission
    cash = money(net, what="netCash") if net not in (None, "") else expected
    if cash * expected < 0 and abs(expected) > abs(commission):  # a sell that costs cash, a buy that pays it
        raise RowError(f"netCash {net!r} contradicts quantity x tradePrice + ibCommission = {expected}",
                       hint="the row is damaged: export it again")
    flags = codes(a.get("notes"))
    kind = (Kind.EXPIRE if "Ep" in flags else Kind.ASSIGN if "A" in flags else Kind.EXERCISE if "Ex" in flags
            else Kind.TRADE)
    oc = (a.get("openCloseIndicator") or "").strip().upper()
    effect = Effect.OPEN if oc.startswith("O") else Effect.CLOSE if oc.startswith("C") else None
    cancel = (a.get("transactionType") or "").strip() == "TradeCancel"
    note = f"cancels trade {a.get('origTradeID', '')}" if cancel else ";".join(sorted(flags - {"O", "C"}))
    tid = (a.get("transactionID") or "").strip()
    acct = account or (a.get("accountId") or "ibkr").strip()
    ev = LedgerEvent(acct, _when(a), kind, cash, inst, qty, abs(price), -commission, (a.get("currency") or "USD").strip(),
                     None if cancel else effect, (a.get("ibOrderID") or "").strip() or None, SOURCE, note)
    return ev if not tid else ev.with_key(f"{SOURCE}:id:{acct}:{tid}")


_CASH_KINDS = (("deposit", None), ("withholding", Kind.WITHHOLDING), ("dividend", Kind.DIVIDEND),
               ("in lieu", Kind.DIVIDEND), ("interest", Kind.INTEREST), ("lending", Kind.LENDING), ("fee", Kind.FEE),
               ("commission", Kind.FEE))


def cash_event(a: dict[str, str], account: str | None) -> LedgerEvent:
    amount = money(a.get("amount"), what="amount")
    typ = (a.get("type") or "").lower()
    kind = Kind.ADJUSTMENT
    for word, k in _CASH_KINDS:
        if word in typ:
            kind = k if k is not None else (Kind.DEPOSIT if amount >= 0 else Kind.WITHDRAWAL)
            break
    symbol = (a.get("symbol") or "").strip()
    acct = account or (a.get("accountId") or "ibkr").strip()
    on_shares = symbol and kind in (Kind.DIVIDEND, Kind.WITHHOLDING)
    ev = LedgerEvent(acct, _when(a), kind, amount, shares(symbol) if on_shares else None,
                     currency=(a.get("currency") or "USD").strip(), source=SOURCE, note=(a.get("type") or "")[:80])
    tid = (a.get("transactionID") or "").strip()
    return ev if not tid else ev.with_key(f"{SOURCE}:id:{acct}:cash:{tid}")


def _add(parsed: Parsed, events: list[LedgerEvent], seen: dict[str, tuple[str, str]], ev: LedgerEvent, where: str) -> None:
    """Keep `ev` unless its transactionID was seen: an identical repeat is one fact, a different one an issue."""
    if ev.key.startswith(f"{SOURCE}:id:"):
        first = seen.get(ev.key)
        if first is not None:
            if first[0] != content_key(ev):
                parsed.issues.append(RowIssue(where, f"transactionID {ev.key.rsplit(':', 1)[-1]} repeats {first[1]} "
                                                     "with different content (which one is true?)"))
            return
        seen[ev.key] = (content_key(ev), where)
    events.append(ev)


def _lines_by_id(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        for m in re.finditer(r'transactionID="([^"]*)"', line):
            out.setdefault(m[1], n)
        for m in re.finditer(r'<CorporateAction [^>]*?transactionID="([^"]*)"', line):
            out[m[1]] = n
        for m in re.finditer(r'execID="([^"]*)"', line):
            out.setdefault(f"exec:{m[1]}", n)
    return out


_TCF_NAMES = {"price": "tradePrice", "commission": "ibCommission", "code": "notes", "orderID": "ibOrderID"}


def confirm_row(attrib: dict[str, str]) -> dict[str, str]:
    """A Trade Confirmation `<TradeConfirm>` in the Activity Flex names; its execution id is its key."""
    a = {_TCF_NAMES.get(k, k): v for k, v in attrib.items()}
    flags = codes(a.get("notes"))
    a.setdefault("openCloseIndicator", "O" if "O" in flags else "C" if "C" in flags else "")
    if a.get("execID") and not a.get("transactionID"):
        a["transactionID"] = f"exec:{a['execID']}"
    return a


def _no_trades(root: ET.Element, origin: str) -> DataError | None:
    # A statement section list without any trade or cash rows: say what the file holds and what to export instead.
    if root.find(".//TradeConfirms") is not None or root.find(".//Trades") is not None:
        return None  # the trades section is there, and empty: a day or period with no trades
    statement = root.find(".//FlexStatement")
    sections = sorted({child.tag for child in statement}) if statement is not None else []
    held = ", ".join(f"<{t}>" for t in sections) or "no sections"
    return DataError(f"this Flex Query holds {held} but no trades", where=origin,
                     hint="add the Trades section (Activity Flex) or run a Trade Confirmation Flex Query, as XML")


def _is_fraction(a: dict[str, str]) -> bool:
    # a fractional share sold for cash (FracShare; cash in lieu after a split or merger)
    q = (a.get("quantity") or "").strip()
    return (a.get("transactionType") == "FracShare" or bool(re.fullmatch(r"-?0?\.\d+", q))) and \
        (a.get("assetCategory") or "STK") == "STK"


def _fraction(a: dict[str, str], lines: dict[str, int], origin: str) -> ibkr_corporate.Fraction:
    where = f"{origin}:{lines.get(a.get('transactionID', ''), '?')}"
    qty = money(a.get("quantity"), what="quantity")
    price = money(a.get("tradePrice"), what="tradePrice")
    net = a.get("netCash") or a.get("proceeds")
    cash = money(net, what="netCash") if net else -qty * price
    return ibkr_corporate.Fraction(where, (a.get("symbol") or "").strip(), qty, price, cash)


def corporate_leg(a: dict[str, str], where: str, account: str | None) -> ibkr_corporate.Leg:
    """A Flex `<CorporateAction>` row as a broker-neutral leg (its option contract built from its own fields)."""
    cat = (a.get("assetCategory") or "").strip()
    opt = None
    if cat == "OPT":
        try:
            opt = option((a.get("underlyingSymbol") or a["symbol"].split()[0]).removesuffix(".OLD"), a["putCall"],
                         money(a["strike"], what="strike"), _day(a["expiry"], "expiry"),
                         whole(a.get("multiplier") or "100", what="multiplier"))
        except InputError as exc:
            raise as_input_error(exc) from exc
    desc = a.get("actionDescription") or a.get("description") or ""
    return ibkr_corporate.Leg(where, account or (a.get("accountId") or "ibkr").strip(), _when(a), cat,
                              (a.get("symbol") or "").strip(), desc, money(a.get("quantity"), what="quantity"),
                              money(a.get("proceeds"), what="proceeds"), (a.get("currency") or "USD").strip(),
                              (a.get("type") or "").strip(), frozenset(codes(a.get("code"))),
                              (a.get("isin") or a.get("securityID") or "").strip(),
                              (a.get("transactionID") or "").strip(), opt)


def _corporate(root: ET.Element, text: str, fractions: list[ibkr_corporate.Fraction], lines: dict[str, int],
               parsed: Parsed, account: str | None, before: list[LedgerEvent]) -> list[LedgerEvent]:
    legs, other = [], 0
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if "<CorporateAction " in line]
    for i, el in enumerate(root.iter("CorporateAction")):
        a = dict(el.attrib)
        if a.get("levelOfDetail", "DETAIL") != "DETAIL":
            continue
        parsed.rows += 1
        line = starts[i] if len(starts) == sum(1 for _ in root.iter("CorporateAction")) else "?"
        where = f"{parsed.origin}:{lines.get(a.get('transactionID', ''), line)}"
        if (a.get("assetCategory") or "").strip() not in ("STK", "OPT"):
            other += 1
            continue
        try:
            legs.append(corporate_leg(a, where, account))
        except (RowError, InputError, KeyError) as exc:
            parsed.issues.append(RowIssue(where, exc.message if isinstance(exc, InputError) else str(exc)))
    if other:
        parsed.notes.append(f"{other} <CorporateAction> row(s) not imported (not on a stock or an option: record "
                            "them by hand if they matter)")
    out = ibkr_corporate.corporate_events(legs, fractions, parsed, before)
    for f in fractions:
        parsed.issues.append(RowIssue(f.where, f"{f.symbol} quantity {f.quantity} is a fraction sold for cash without "
                                               "its corporate action in this file; the ledger holds whole shares"))
    return out


def parse_xml(text: str, *, origin: str, account: str | None = None) -> Parsed:
    parsed = Parsed(SOURCE, origin, format="flex")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DataError(f"not a well-formed Flex XML file: {exc}", where=origin,
                        hint="download the Flex Query again as XML") from exc
    if root.tag == "FlexStatementResponse":
        raise DataError("this is the Flex Web Service's request receipt, not a statement", where=origin,
                        hint="fetch the statement from the URL and reference code it gives (GetStatement), then import that")
    if root.tag != "FlexQueryResponse":
        raise DataError(f"root element is <{root.tag}>, not <FlexQueryResponse>", where=origin,
                        hint="this importer reads IBKR Flex Query XML (Activity or Trade Confirmation)")
    lines = _lines_by_id(text)
    trades = [dict(el.attrib) for el in root.iter("Trade")]
    if not trades:  # an Activity Flex run at order level: <Order> rows, one per order, stand for its executions
        trades = [dict(el.attrib) for el in root.iter("Order")]
        if trades:
            parsed.notes.append(f"Activity Flex at order level: {len(trades)} <Order> rows, each one fill (tick "
                                "Execution in the query's Trades section for per-execution rows)")
    summaries = sorted({el.tag for sec in root.iter("Trades") for el in sec} - {"Trade", "Order"})
    if not trades and summaries:
        raise DataError(f"this Flex Query's Trades section holds only {', '.join(f'<{t}>' for t in summaries)} rows, "
                        "no trades", where=origin,
                        hint="tick Execution (or Order) in the Trades section of the Activity Flex Query, as XML")
    confirm_rows = list(root.iter("TradeConfirm"))
    executions = [el for el in confirm_rows if el.get("levelOfDetail", "EXECUTION") == "EXECUTION"]
    # ORDER rows sum their executions: read them only when the query was run at order level (no execution rows)
    confirms = [confirm_row(dict(el.attrib)) for el in (executions or confirm_rows)]
    if confirm_rows and not executions:
        parsed.notes.append("Trade Confirmation Flex at order level: each <TradeConfirm> order row is one fill (set "
                            "the query's level of detail to Execution for per-execution rows)")
    trades += confirms
    fractions = [_fraction(t, lines, origin) for t in trades if _is_fraction(t)]
    trades = [t for t in trades if not _is_fraction(t)]
    if not trades and root.find(".//CashTransaction") is None and root.find(".//CorporateAction") is None:
        refused = _no_trades(root, origin)
        if refused is not None:
            raise refused
    underlying_of = {t.get("underlyingConid", ""): t.get("underlyingSymbol", "") for t in trades if t.get("underlyingConid")}
    events: list[LedgerEvent] = []
    seen: dict[str, tuple[str, str]] = {}
    for el, fn in [*((t, trade_event) for t in trades), *((dict(c.attrib), None) for c in root.iter("CashTransaction"))]:
        parsed.rows += 1
        where = f"{origin}:{lines.get(el.get('transactionID', ''), '?')}"
        try:
            _add(parsed, events, seen, fn(el, underlying_of, account) if fn else cash_event(el, account), where)
        except (RowError, InputError, KeyError) as exc:
            parsed.issues.append(RowIssue(where, exc.message if isinstance(exc, InputError) else str(exc)))
    if confirms:
        parsed.format = "tcf"
        level = "executions" if executions else "orders"
        parsed.notes.append(f"Trade Confirmation Flex: {len(confirms)} <TradeConfirm> {level}")
    if root.find(".//OptionEAE") is not None:
        parsed.notes.append(f"{len(trades) - len(confirms)} trade rows; <OptionEAE> rows repeat them and are not "
                            "imported twice")
    events += _corporate(root, text, fractions, lines, parsed, account, events)
    if not trades:
        parsed.notes.append("the statement holds no trades")
    parsed.events = finish(events)
    return parsed


def parse_csv(text: str, *, origin: str, account: str | None = None) -> Parsed:
    parsed = Parsed(SOURCE, origin, format="flex-csv")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if not row or not any(c.strip() for c in row):
            continue
        if row[0] in ("BOS", "EOS", "BOF", "EOF", "BOA", "EOA"):
            continue
        if row[0] == "HEADER":
            header = row[2:] if row[1] == "TRNT" else None
            continue
        if row[0] == "DATA":
            if header is None or row[1] != "TRNT":
                continue
            row = row[2:]
        elif header is None:
            header = row
            continue
        if len(row) != len(header):
            parsed.issues.append(RowIssue(f"{origin}:{reader.line_num}", f"{len(row)} columns, the header has {len(header)}"))
            continue
        rows.append((reader.line_num, {_CSV_NAMES.get(h, h): v for h, v in zip(header, row, strict=True)}))
    if header is None:
        raise DataError("no Trades header row found", where=origin, hint="export the Flex Query Trades section as CSV")
    underlying_of = {a.get("underlyingConid", ""): a.get("underlyingSymbol", "") for _, a in rows if a.get("underlyingConid")}
    events: list[LedgerEvent] = []
    seen: dict[str, tuple[str, str]] = {}
    for line, a in rows:
        parsed.rows += 1
        try:
            _add(parsed, events, seen, trade_event(a, underlying_of, account), f"{origin}:{line}")
        except (RowError, InputError, KeyError) as exc:
            parsed.issues.append(RowIssue(f"{origin}:{line}", exc.message if isinstance(exc, InputError) else str(exc)))
    parsed.events = finish(events)
    return parsed


def refused(text: str, origin: str) -> DataError | None:
    """A file this importer must not read as trades: name what it is and the export to make instead."""
    head = text.lstrip("\ufeff \r\n\t")[:200]
    if head.startswith("%PDF"):
        return DataError("a PDF statement holds no machine-readable trades", where=origin,
                         hint="download the Activity Statement as CSV, or run a Flex Query (Activity or Trade "
                              "Confirmation) as XML")
    first = head.split("\n", 1)[0]
    if first.startswith(("Date,Type,", "Date/Time,Transaction Code,")):
        return DataError("this is a tastytrade transactions export", where=origin,
                         hint="import it with `putwheel import tastytrade FILE --account NAME`")
    if first.startswith(("{", "[")):
        return DataError("a JSON file is not an IBKR export", where=origin,
                         hint="export a Flex Query as XML or the Activity Statement as CSV")
    return None


def parse(text: str, *, origin: str, account: str | None = None) -> Parsed:
    """Flex XML (Activity or Trade Confirmation), the Activity Statement CSV, or a Flex CSV."""
    from putwheel.ledger.importers import ibkr_statement

    problem = refused(text, origin) or foreign(text, origin, "ibkr")
    if problem is not None:
        raise problem
    head = text.lstrip("\ufeff \r\n\t")[:1]
    if head == "<":
        return parse_xml(text, origin=origin, account=account)
    if ibkr_statement.is_statement(text):
        return ibkr_statement.parse(text, origin=origin, account=account)
    return parse_csv(text, origin=origin, account=account)
