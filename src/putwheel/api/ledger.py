"""Ledger api: record trades, import broker exports, and read positions, income and wheel cycles.

One function per CLI command (`trade_sell_put` ... `import_tastytrade`, `positions`, `income`, `cycles`). Each
opens the ledger (`db` URL, else `$PUTWHEEL_DB`, else the user data dir), does one thing, and closes it.
This is the only layer that reads the clock (`recorded_at` of a write; trade dates default to it in the CLI).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from putwheel.domain.contract import Right
from putwheel.domain.errors import DataError, InputError, LedgerError
from putwheel.domain.money import to_decimal
from putwheel.domain.position import CostMethod
from putwheel.ledger import Instrument, Kind, Ledger, LedgerCycle, LedgerEvent, MonthIncome, OpenPosition, manual, option
from putwheel.ledger import cycles as _cycles
from putwheel.ledger import monthly_income as _monthly
from putwheel.ledger.importers import ibkr as _ibkr
from putwheel.ledger.importers import tastytrade as _tasty
from putwheel.ledger.importers.common import Parsed, refuse_if_issues
from putwheel.ledger.replay import State, replay
from putwheel.ledger.store import file_sha256
from putwheel.ledger.urls import resolve_url, sqlite_path

DEFAULT_ACCOUNT = "main"
FUTURE_SLACK = timedelta(days=1)  # a trade dated after tomorrow (UTC) is a typo: refused, never stored


@dataclass(frozen=True)
class TradeResult:
    added: int
    skipped: int
    events: tuple[LedgerEvent, ...]
    free_cash: Decimal
    reserved: Decimal


@dataclass(frozen=True)
class ImportResult:
    origin: str
    rows: int
    parsed: int
    added: int
    skipped: int
    accounts: tuple[str, ...]
    cash: dict[str, dict[str, Decimal]]  # account -> currency -> cash after import
    open_positions: int
    issues: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()  # closes whose opening is not in the ledger
    replaced: int = 0  # already in the ledger from a lower-ranked export: this file's copy now counts instead


@dataclass(frozen=True)
class PositionsReport:
    positions: tuple[OpenPosition, ...]
    cash: dict[str, dict[str, Decimal]]
    reserved: dict[str, dict[str, Decimal]]
    realized: dict[str, dict[str, Decimal]]  # realized P&L to date, per account and currency
    expired_open: tuple[str, ...] = field(default=())  # options past expiry with no expiry/assignment recorded
    unrealized: dict[str, Decimal] = field(default_factory=dict)  # "account label" -> P&L at the mark given
    lot_method: str = "fifo"  # how closes were matched to tax lots: fifo (default) or average

    def free_cash(self, account: str, currency: str = "USD") -> Decimal:
        return self.cash.get(account, {}).get(currency, Decimal(0)) - self.reserved.get(account, {}).get(currency, Decimal(0))


def _at(on: date | datetime) -> datetime:
    if isinstance(on, datetime):
        return on if on.tzinfo else on.replace(tzinfo=UTC)
    return datetime.combine(on, time(0), UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def open_ledger(db: str | None, *, create: bool = True) -> Ledger:
    url = resolve_url(db)
    if sqlite_path(url) is None and url.startswith("sqlite"):  # each command opens its own engine: memory is lost
        raise InputError(f"--db {url} is an in-memory database: nothing would be kept after this command",
                         hint="give a file path (e.g. ~/ledger.sqlite) or a server URL")
    return Ledger.open(url, create=create)


def _not_future(events: list[LedgerEvent], now: datetime) -> None:
    late = [e for e in events if e.ts > now + FUTURE_SLACK]
    if late:
        e = late[0]
        what = f"{e.kind.value} {e.instrument.label if e.instrument else ''}".strip()
        raise InputError(f"{len(late)} event(s) dated in the future, first {what} on {e.ts:%Y-%m-%d} (today is "
                         f"{now:%Y-%m-%d}); nothing written", hint="check the trade date: --date, or the dates in the file")


def _write(events: list[LedgerEvent], db: str | None, account: str) -> TradeResult:
    now = _now()
    _not_future(events, now)
    with open_ledger(db) as led:
        res = led.append(events, strict=True, recorded_at=now)
        state = replay(led.events(account))
    return TradeResult(res.added, res.skipped, tuple(events), state.free_cash(), state.reserved())


def _held(db: str | None, account: str, inst: Instrument) -> int:
    with open_ledger(db, create=False) as led:
        h = replay(led.events(account)).holdings.get((account, inst))
    return h.quantity if h else 0


def trade_deposit(amount: Decimal | str, *, on: date | datetime, account: str = DEFAULT_ACCOUNT, db: str | None = None,
                  withdraw: bool = False) -> TradeResult:
    kind = Kind.WITHDRAWAL if withdraw else Kind.DEPOSIT
    return _write(manual.cash_move(account, _at(on), kind, amount), db, account)


def trade_sell_put(underlying: str, strike: Decimal | str, expiry: date, contracts: int, premium: Decimal | str,
                   fees: Decimal | str = "0", *, on: date | datetime, account: str = DEFAULT_ACCOUNT,
                   db: str | None = None) -> TradeResult:
    """Sell to open a cash-secured put; refused unless strike × 100 × contracts is free cash."""
    return _write(manual.sell_put(account, _at(on), underlying, strike, expiry, contracts, premium, fees), db, account)


def trade_sell_call(underlying: str, strike: Decimal | str, expiry: date, contracts: int, premium: Decimal | str,
                    fees: Decimal | str = "0", *, on: date | datetime, account: str = DEFAULT_ACCOUNT,
                    db: str | None = None) -> TradeResult:
    """Sell to open a covered call; refused unless 100 shares per contract are held and not already covered."""
    return _write(manual.sell_call(account, _at(on), underlying, strike, expiry, contracts, premium, fees), db, account)


def trade_buy_close(underlying: str, right: Right | str, strike: Decimal | str, expiry: date, contracts: int,
                    price: Decimal | str, fees: Decimal | str = "0", *, on: date | datetime,
                    account: str = DEFAULT_ACCOUNT, db: str | None = None) -> TradeResult:
    inst = option(underlying, right, to_decimal(strike, what="--strike"), expiry)
    return _write(manual.buy_close(account, _at(on), inst, contracts, price, fees), db, account)


def trade_expire(underlying: str, right: Right | str, strike: Decimal | str, expiry: date, *, on: date | datetime | None = None,
                 account: str = DEFAULT_ACCOUNT, db: str | None = None) -> TradeResult:
    """Record an option expiring worthless (all contracts open in that series), on its expiry date by default."""
    inst = option(underlying, right, to_decimal(strike, what="--strike"), expiry)
    held = _held(db, account, inst)
    if held == 0:
        raise LedgerError(f"{inst.label} is not open in account {account!r}", hint="check `putwheel positions`")
    return _write(manual.expire(account, _at(on or expiry), inst, held), db, account)


def trade_assign(underlying: str, right: Right | str, strike: Decimal | str, expiry: date, contracts: int | None = None,
                 fees: Decimal | str = "0", *, on: date | datetime | None = None, account: str = DEFAULT_ACCOUNT,
                 db: str | None = None) -> TradeResult:
    """Record an assignment: the short option leaves and shares arrive (put) or are called away (call)."""
    inst = option(underlying, right, to_decimal(strike, what="--strike"), expiry)
    held = _held(db, account, inst)
    if held >= 0:
        raise LedgerError(f"{inst.label} is not short in account {account!r} (position {held})",
                          hint="only a short option can be assigned")
    n = contracts if contracts is not None else -held
    return _write(manual.assign(account, _at(on or expiry), inst, n, fees), db, account)


def trade_roll(underlying: str, right: Right | str, strike: Decimal | str, expiry: date, new_strike: Decimal | str,
               new_expiry: date, contracts: int, close_price: Decimal | str, open_price: Decimal | str,
               fees: Decimal | str = "0", *, on: date | datetime, account: str = DEFAULT_ACCOUNT,
               db: str | None = None) -> TradeResult:
    """Buy back one short option and sell another in one transaction (both legs or neither)."""
    old = option(underlying, right, to_decimal(strike, what="--strike"), expiry)
    new = option(underlying, right, to_decimal(new_strike, what="--new-strike"), new_expiry)
    return _write(manual.roll(account, _at(on), old, new, contracts, close_price, open_price, fees), db, account)


def _import(parse: Callable[..., Parsed], path: Path | str, *, source: str, account: str | None, skip_bad: bool,
            db: str | None) -> ImportResult:
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", where=str(p), hint="give the path of the exported file")
    data = p.read_bytes()
    if b"\x00" in data[:65536]:
        raise DataError("a binary file, not a CSV or XML export", where=p.name,
                        hint=f"export the {source} transactions as CSV or XML and import that file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    kwargs = {"account": account} if account is not None else {}
    try:
        parsed = parse(text, origin=p.name, **kwargs)
    except csv.Error as exc:
        raise DataError(f"not a readable CSV file ({exc})", where=p.name,
                        hint=f"export the {source} transactions as CSV again; nothing was imported") from None
    if not skip_bad:
        refuse_if_issues(parsed)
    _refuse_if_nothing(parsed)
    now = _now()
    _not_future(parsed.events, now)
    with open_ledger(db) as led:
        res = led.append(parsed.events, strict=False, origin=str(p), source=parsed.format_id, recorded_at=now,
                         sha256=file_sha256(data))
        accounts = tuple(sorted({e.account for e in parsed.events}))
        states = {a: replay(led.events(a)) for a in accounts}
    mine = {e.key for e in parsed.events}  # the note speaks of this file's closes, not the whole ledger's
    unmatched = tuple(f"{ev.ts:%Y-%m-%d} {ev.kind.value} {ev.instrument.label if ev.instrument else ''} x{q}"
                      for s in states.values() for ev, q, _ in s.unmatched if ev.key in mine)
    notes = list(parsed.notes)
    for acct, st in states.items():
        for cur in sorted(st.cash):
            if st.shortfall(cur) > 0:
                reserved = st.reserved(cur)
                against = (f"the {reserved:,.2f} its short puts reserve" if reserved else "zero (a margin debit)")
                notes.append(f"account {acct} is under-secured by {st.shortfall(cur):,.2f} {cur}: cash "
                             f"{st.cash[cur]:,.2f} is below {against}, as the broker allowed; deposits, buy-backs, "
                             "expiries and assignments stay recordable, new puts are refused until it is secured")
    if res.by_content:
        notes.append(f"{res.by_content} of the {res.skipped} already in the ledger were recognised by their content "
                     "(time, account, instrument, quantity, cash): the same transactions from another export or format")
    if res.replaced:
        notes.append(f"{res.replaced} already in the ledger from a lower-ranked export ({', '.join(res.replaced_formats)}) "
                     f"were replaced by this file's copy ({parsed.format_id}): the same transactions, more exact")
    return ImportResult(
        origin=str(p), rows=parsed.rows, parsed=len(parsed.events), added=res.added, skipped=res.skipped,
        replaced=res.replaced,
        accounts=accounts, cash={a: dict(s.cash) for a, s in states.items()},
        open_positions=sum(len(s.holdings) for s in states.values()),
        issues=tuple(str(i) for i in parsed.issues), notes=tuple(notes), unmatched=unmatched,
    )


def _refuse_if_nothing(parsed: Parsed) -> None:
    # Never report success for a file that holds trades but yielded none (wrong export type, every row skipped).
    if parsed.events or any("holds no trades" in n for n in parsed.notes):
        return
    what = f"all {parsed.rows} row(s) were malformed and skipped" if parsed.rows else "no transaction rows were found"
    raise DataError(f"nothing to import: {what}", where=parsed.origin,
                    hint="check that this is a transactions export of the broker you named (see docs/ledger.md, "
                         "'Imports', for the supported exports)")


def import_tastytrade(path: Path | str, *, account: str = "tastytrade", skip_bad: bool = False,
                      db: str | None = None) -> ImportResult:
    """Import a tastytrade/tastyworks transactions CSV (any header generation); re-importing adds nothing."""
    return _import(_tasty.parse, path, source=_tasty.SOURCE, account=account, skip_bad=skip_bad, db=db)


def import_ibkr(path: Path | str, *, account: str | None = None, skip_bad: bool = False,
                db: str | None = None) -> ImportResult:
    """Import an IBKR Flex Query (XML or CSV); the account is the file's accountId unless given."""
    return _import(_ibkr.parse, path, source=_ibkr.SOURCE, account=account, skip_bad=skip_bad, db=db)


def _events(db: str | None, account: str | None) -> list[LedgerEvent]:
    with open_ledger(db, create=False) as led:
        return led.events(account)


def lot_method(lots: str) -> CostMethod:
    """`--lots fifo|average` -> the domain's `CostMethod` (FIFO is the default, as brokers report on the 1099-B)."""
    try:
        return CostMethod(str(lots).strip().lower())
    except ValueError:
        raise InputError(f"unknown lot method {lots!r}", hint="use fifo (the default) or average") from None


def _by_account(events: list[LedgerEvent], method: CostMethod = CostMethod.FIFO) -> dict[str, State]:
    accounts = sorted({e.account for e in events})
    return {a: replay([e for e in events if e.account == a], method=method) for a in accounts}


def positions(*, account: str | None = None, as_of: date | None = None, db: str | None = None,
              marks: Mapping[str, Decimal] | None = None, lots: str = "fifo") -> PositionsReport:
    """Open positions, cash and collateral per account; `as_of` flags options past expiry still open.

    `marks` maps a position label ("CLF" for shares, "CLF 2022-01-07 20P" for an option) to a price per share;
    marked positions get an unrealized P&L. A mark for a position that is not open is an `InputError`.
    """
    method = lot_method(lots)
    states = _by_account(_events(db, account), method)
    pos = tuple(p for s in states.values() for p in s.positions())
    labels = {p.label for p in pos}
    unknown = sorted(set(marks or {}) - labels)
    if unknown:
        raise InputError(f"no open position {unknown[0]!r} to mark", hint="open: " + ", ".join(sorted(labels)))
    unrealized = {f"{p.account} {p.label}": p.unrealized(Decimal(marks[p.label])) for p in pos if marks and p.label in marks}
    stale = tuple(f"{p.account} {p.underlying} {p.expiry} {p.strike}{p.right.value if p.right else ''}" for p in pos
                  if as_of is not None and p.expiry is not None and p.expiry < as_of)
    return PositionsReport(
        positions=pos, cash={a: dict(s.cash) for a, s in states.items()},
        reserved={a: {cur: s.reserved(cur) for cur in s.cash} for a, s in states.items()},
        realized={a: s.realized_by_currency() for a, s in states.items()}, expired_open=stale, unrealized=unrealized,
        lot_method=method.value,
    )


def income(*, by: str = "month", account: str | None = None, db: str | None = None,
           lots: str = "fifo") -> list[MonthIncome]:
    """Realized income by calendar month (premiums, option and stock P&L, dividends, interest, fees)."""
    if by != "month":
        raise InputError(f"unknown grouping {by!r}", hint="only --by month is supported")
    return _monthly(_events(db, account), method=lot_method(lots))


def income_report(path: Path | str, *, as_of: date, account: str | None = None, db: str | None = None) -> Path:
    """Write the HTML report (monthly income and cycle P&L charts, cycles table) for the ledger or one account."""
    from putwheel.reports.ledger import write_ledger_report

    events = _events(db, account)
    title = f"putwheel ledger: {account}" if account else "putwheel ledger"
    return write_ledger_report(_monthly(events), _cycles(events), Path(path), title=title, as_of=as_of)


def cycles(*, account: str | None = None, underlying: str | None = None, db: str | None = None,
           lots: str = "fifo") -> list[LedgerCycle]:
    """Wheel cycles (put sold -> rolled -> assigned -> covered calls -> called away), oldest first."""
    out = _cycles(_events(db, account), method=lot_method(lots))
    return [c for c in out if underlying is None or c.underlying == underlying.strip().upper()]


__all__ = [
    "ImportResult", "PositionsReport", "TradeResult", "cycles", "import_ibkr", "import_tastytrade", "income", "income_report",
    "lot_method",
    "positions", "trade_assign", "trade_buy_close", "trade_deposit", "trade_expire", "trade_roll", "trade_sell_call",
    "trade_sell_put",
]
