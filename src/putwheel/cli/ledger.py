"""Ledger commands: `putwheel trade ...`, `putwheel import ...`, `putwheel positions`, `income`, `cycles`.

Bodies parse options, make one `api.ledger` call and render a rich table (or JSON with --json).
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.lazy import LazyModule
from putwheel.cli.quote import parse_date
from putwheel.cli.tables import fit_table, num, show, text
from putwheel.domain.errors import InputError

if TYPE_CHECKING:
    from putwheel.api import ledger as api
else:
    api = LazyModule("putwheel.api.ledger")  # SQLAlchemy and Alembic load when a command runs, not for --help

DEFAULT_ACCOUNT = "main"  # = api.ledger.DEFAULT_ACCOUNT (a test keeps them equal)
trade_app = typer.Typer(help="Record a trade by hand (checked: cash-secured puts, covered calls).", no_args_is_help=True)
import_app = typer.Typer(help="Import a broker export; re-importing the same file adds nothing.", no_args_is_help=True)
app.add_typer(trade_app, name="trade")
app.add_typer(import_app, name="import")

Db = Annotated[str | None, typer.Option("--db", help="Ledger database URL or SQLite path (default: $PUTWHEEL_DB, "
                                                     "else the user data dir).")]
Account = Annotated[str, typer.Option("--account", help="Account name.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Lots = Annotated[str, typer.Option("--lots", help="How sales match tax lots: fifo (default, as brokers report) or "
                                                  "average (average cost).")]
Wide = Annotated[bool, typer.Option("--wide", help="Show every column, even wider than the terminal.")]
On = Annotated[str | None, typer.Option("--date", help="Trade date YYYY-MM-DD (default: today).")]
Underlying = Annotated[str, typer.Argument(help="Underlying symbol, e.g. TSLL.")]
Strike = Annotated[str, typer.Option("--strike", help="Strike price, e.g. 7.5.")]
Expiry = Annotated[str, typer.Option("--expiry", help="Expiry date YYYY-MM-DD.")]
Right_ = Annotated[str, typer.Option("--right", help="put or call.")]
Contracts = Annotated[int, typer.Option("--contracts", "-n", help="Number of contracts.")]
Fees = Annotated[str, typer.Option("--fees", help="Commissions and fees paid, total.")]


def _day(text: str | None) -> date:
    return parse_date(text, "--date") if text else datetime.now(UTC).date()


def _jsonable(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: _jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    return obj


def _dump(obj: Any) -> None:
    typer.echo(json.dumps(_jsonable(obj), indent=2))


def _m(value: Decimal | None, places: str = "0.01") -> str:
    return "–" if value is None else f"{value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN):,}"


def _trade_done(res: api.TradeResult, as_json: bool) -> None:
    if as_json:
        _dump(res)
        return
    if res.added == 0:
        show("[yellow]already recorded[/] (same trade, same date): nothing added")
    for ev in res.events:
        what = f" {ev.instrument.label} qty {ev.quantity:+d}" if ev.instrument and ev.quantity else ""
        show(f"[green]recorded[/] {ev.kind.value}{what} cash {_m(ev.cash)} {ev.currency}")
    show(f"free cash {_m(res.free_cash)}, reserved for short puts {_m(res.reserved)}")


@trade_app.command("sell-put")
def sell_put(underlying: Underlying, strike: Strike, expiry: Expiry, premium: Annotated[str, typer.Option(
        help="Premium per share, e.g. 0.45.")], contracts: Contracts = 1, fees: Fees = "0", on: On = None,
        account: Account = DEFAULT_ACCOUNT, db: Db = None, as_json: Json = False) -> None:
    """Sell to open a cash-secured put (refused unless strike x 100 x contracts is free cash)."""
    with user_errors():
        res = api.trade_sell_put(underlying, strike, parse_date(expiry, "--expiry"), contracts, premium, fees,
                                 on=_day(on), account=account, db=db)
    _trade_done(res, as_json)


@trade_app.command("sell-call")
def sell_call(underlying: Underlying, strike: Strike, expiry: Expiry, premium: Annotated[str, typer.Option(
        help="Premium per share.")], contracts: Contracts = 1, fees: Fees = "0", on: On = None,
        account: Account = DEFAULT_ACCOUNT, db: Db = None, as_json: Json = False) -> None:
    """Sell to open a covered call (refused unless the shares are held and not already covered)."""
    with user_errors():
        res = api.trade_sell_call(underlying, strike, parse_date(expiry, "--expiry"), contracts, premium, fees,
                                  on=_day(on), account=account, db=db)
    _trade_done(res, as_json)


@trade_app.command("buy-close")
def buy_close(underlying: Underlying, strike: Strike, expiry: Expiry, price: Annotated[str, typer.Option(
        help="Price paid per share.")], right: Right_ = "put", contracts: Contracts = 1, fees: Fees = "0",
        on: On = None, account: Account = DEFAULT_ACCOUNT, db: Db = None, as_json: Json = False) -> None:
    """Buy to close a short option."""
    with user_errors():
        res = api.trade_buy_close(underlying, right, strike, parse_date(expiry, "--expiry"), contracts, price, fees,
                                  on=_day(on), account=account, db=db)
    _trade_done(res, as_json)


@trade_app.command("assign")
def assign(underlying: Underlying, strike: Strike, expiry: Expiry, right: Right_ = "put",
           contracts: Annotated[int | None, typer.Option("--contracts", "-n", help="Default: all open.")] = None,
           fees: Fees = "0", on: On = None, account: Account = DEFAULT_ACCOUNT, db: Db = None,
           as_json: Json = False) -> None:
    """Record an assignment: put -> shares bought at the strike; call -> shares called away."""
    with user_errors():
        res = api.trade_assign(underlying, right, strike, parse_date(expiry, "--expiry"), contracts, fees,
                               on=parse_date(on, "--date") if on else None, account=account, db=db)
    _trade_done(res, as_json)


@trade_app.command("expire")
def expire(underlying: Underlying, strike: Strike, expiry: Expiry, right: Right_ = "put", on: On = None,
           account: Account = DEFAULT_ACCOUNT, db: Db = None, as_json: Json = False) -> None:
    """Record an option expiring worthless (on its expiry date unless --date)."""
    with user_errors():
        res = api.trade_expire(underlying, right, strike, parse_date(expiry, "--expiry"),
                               on=parse_date(on, "--date") if on else None, account=account, db=db)
    _trade_done(res, as_json)


@trade_app.command("roll")
def roll(underlying: Underlying, strike: Strike, expiry: Expiry,
         new_strike: Annotated[str, typer.Option("--new-strike", help="Strike of the new short.")],
         new_expiry: Annotated[str, typer.Option("--new-expiry", help="Expiry of the new short, YYYY-MM-DD.")],
         close_price: Annotated[str, typer.Option("--close-price", help="Paid per share to close.")],
         open_price: Annotated[str, typer.Option("--open-price", help="Received per share to open.")],
         right: Right_ = "put", contracts: Contracts = 1, fees: Fees = "0", on: On = None,
         account: Account = DEFAULT_ACCOUNT, db: Db = None, as_json: Json = False) -> None:
    """Roll a short option: buy to close and sell to open in one transaction (both legs or neither)."""
    with user_errors():
        res = api.trade_roll(underlying, right, strike, parse_date(expiry, "--expiry"), new_strike,
                             parse_date(new_expiry, "--new-expiry"), contracts, close_price, open_price, fees,
                             on=_day(on), account=account, db=db)
    _trade_done(res, as_json)


@trade_app.command("deposit")
def deposit(amount: Annotated[str, typer.Argument(help="Amount, e.g. 10000.")], on: On = None,
            withdraw: Annotated[bool, typer.Option("--withdraw", help="A withdrawal instead.")] = False,
            account: Account = DEFAULT_ACCOUNT, db: Db = None, as_json: Json = False) -> None:
    """Deposit (or --withdraw) cash."""
    with user_errors():
        res = api.trade_deposit(amount, on=_day(on), account=account, db=db, withdraw=withdraw)
    _trade_done(res, as_json)


_LOTS = {"fifo": "FIFO", "average": "average cost"}


def _import_done(res: api.ImportResult, as_json: bool) -> None:
    if as_json:
        _dump(res)
        return
    present = res.skipped + res.replaced
    replaced = f" ({res.replaced} of them replaced by this file's copy)" if res.replaced else ""
    show(f"[bold]{res.origin}[/]: {res.rows} rows, {res.parsed} events, [green]{res.added} added[/], "
         f"{present} already in the ledger{replaced}")
    for line in (*res.notes, *(f"[red]skipped[/] {i}" for i in res.issues)):
        show(f"  {line}")
    if res.unmatched:
        show(f"  [yellow]{len(res.unmatched)} close(s) without their opening in the ledger[/] "
                      "(the export starts after they were opened): " + "; ".join(res.unmatched[:5]))
    for acct, cash in res.cash.items():
        show(f"  account {acct}: cash " + ", ".join(f"{_m(v)} {c}" for c, v in cash.items())
                      + f"; {res.open_positions} open position(s)")


SkipBad = Annotated[bool, typer.Option("--skip-bad", help="Import the good rows and report the malformed ones.")]
File = Annotated[str, typer.Argument(help="The exported file.")]


@import_app.command("tastytrade")
def import_tastytrade(file: File, account: Annotated[str, typer.Option(help="Account name.")] = "tastytrade",
                      skip_bad: SkipBad = False, db: Db = None, as_json: Json = False) -> None:
    """Import a tastytrade/tastyworks transactions CSV (all three header generations)."""
    with user_errors():
        res = api.import_tastytrade(file, account=account, skip_bad=skip_bad, db=db)
    _import_done(res, as_json)


@import_app.command("ibkr")
def import_ibkr(file: File, account: Annotated[str | None, typer.Option(help="Default: the file's account id.")] = None,
                skip_bad: SkipBad = False, db: Db = None, as_json: Json = False) -> None:
    """Import an IBKR Flex Query export (XML or CSV; codes A, Ep, Ex, P)."""
    with user_errors():
        res = api.import_ibkr(file, account=account, skip_bad=skip_bad, db=db)
    _import_done(res, as_json)


def _marks(items: list[str] | None) -> dict[str, Decimal]:
    from putwheel.domain.money import to_decimal  # (money and `fractions` only when marks are given: start-up)

    out = {}
    for item in items or []:
        label, sep, price = item.rpartition("=")
        if not sep or not label.strip():
            raise InputError(f"--mark {item!r} is not LABEL=PRICE", hint="e.g. --mark CLF=21.50 --mark 'CLF 2022-01-07 20P=0.17'")
        out[label.strip()] = to_decimal(price.strip(), what=f"mark for {label.strip()}")
    return out


@app.command("positions")
def positions(account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
              as_of: Annotated[str | None, typer.Option("--as-of", help="Flag options past expiry (YYYY-MM-DD).")] = None,
              mark: Annotated[list[str] | None, typer.Option("--mark", help="LABEL=PRICE per share for unrealized "
                                                             "P&L, e.g. CLF=21.50 or 'CLF 2022-01-07 20P=0.17'.")] = None,
              lots: Lots = "fifo", db: Db = None, as_json: Json = False, wide: Wide = False) -> None:
    """Open positions with cash, collateral reserved by short puts, free cash, and unrealized P&L at --mark prices."""
    with user_errors():
        rep = api.positions(account=account, as_of=parse_date(as_of, "--as-of") if as_of else None, db=db,
                            marks=_marks(mark), lots=lots)
    if as_json:
        _dump(rep)
        return
    cols = [text("account", 3, min_width=6), text("underlying", min_width=6), text("position", min_width=14),
            num("qty"), num("open premium/sh", 2), num("cost basis/sh", 1), num("collateral"), num("opened", 4),
            num("unrealized")]
    rows = [[escape(p.account), escape(p.underlying), f"{p.expiry} {p.strike}{p.right.value}" if p.right else "shares",
             f"{p.contracts:+d}", _m(p.open_premium_per_share, "0.0001"), _m(p.cost_basis_per_share, "0.0001"),
             _m(p.collateral) if p.collateral else "", str(p.opened), _m(rep.unrealized.get(f"{p.account} {p.label}"))]
            for p in rep.positions]
    show(fit_table(f"Open positions (tax lots: {_LOTS[rep.lot_method]})", cols, rows, wide=wide))
    for acct, cash in rep.cash.items():
        for cur, amount in cash.items():
            reserved = rep.reserved.get(acct, {}).get(cur, Decimal(0))
            pnl = rep.realized.get(acct, {}).get(cur, Decimal(0))
            show(f"{acct}: cash {_m(amount)} {cur}, reserved {_m(reserved)}, free {_m(amount - reserved)}, "
                          f"realized P&L {_m(pnl)}")
    for s in rep.expired_open:
        show(f"[yellow]past expiry, still open[/] {s}: record `putwheel trade expire` or `assign`")


@app.command("income")
def income(by: Annotated[str, typer.Option("--by", help="Grouping: month.")] = "month",
           account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
           html: Annotated[str | None, typer.Option("--html", help="Also write an HTML report with charts here.")] = None,
           as_of: Annotated[str | None, typer.Option("--as-of", help="Report date for --html (default: today).")] = None,
           lots: Lots = "fifo", db: Db = None, as_json: Json = False, wide: Wide = False) -> None:
    """Realized income by month: option and stock P&L, dividends, interest, fees (premium sold shown apart)."""
    with user_errors():
        rows = api.income(by=by, account=account, db=db, lots=lots)
        if html:
            written = api.income_report(html, as_of=_day(as_of), account=account, db=db)
            show(f"report written to {written}")
    if as_json:
        _dump([{**_jsonable(r), "total": str(r.total)} for r in rows])
        return
    cols = [text("month", min_width=7), text("cur", 6, min_width=3), num("premium sold", 1), num("options P&L"),
            num("stock P&L"), num("dividends", 2), num("withheld", 4), num("interest", 3), num("lending", 5),
            num("fees"), num("total"), num("commissions in P&L", 7)]
    show(fit_table(f"Income by month (realized; tax lots: {_LOTS[api.lot_method(lots).value]})", cols, [
        [r.month, r.currency, *(_m(v) for v in (r.premium_sold, r.options_realized, r.stock_realized, r.dividends,
                                                 r.withholding, r.interest, r.lending, r.fees, r.total, r.commissions))]
        for r in rows], wide=wide))


@app.command("cycles")
def cycles(account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
           underlying: Annotated[str | None, typer.Option(help="Only this underlying.")] = None,
           as_of: Annotated[str | None, typer.Option("--as-of", help="Day count end for open cycles.")] = None,
           lots: Lots = "fifo", db: Db = None, as_json: Json = False, wide: Wide = False) -> None:
    """Wheel cycles: put sold -> rolled -> assigned -> covered calls -> called away, with P&L and basis."""
    with user_errors():
        rows = api.cycles(account=account, underlying=underlying, db=db, lots=lots)
        end = parse_date(as_of, "--as-of") if as_of else datetime.now(UTC).date()
    if as_json:
        _dump([{**_jsonable(c), "cycle_id": c.cycle_id, "status": c.status, "pnl": _jsonable(c.pnl),
                "cost_basis_per_share": _jsonable(c.cost_basis_per_share), "breakeven": _jsonable(c.breakeven),
                "annualized_return": c.annualized_return(end)} for c in rows])
        return
    cols = [text("cycle", min_width=12), text("start", 5, min_width=10), text("end", 6, min_width=10),
            text("outcome", min_width=8), text("assigned", 7, min_width=3), num("rolls", 4), num("premium net", 1),
            num("fees", 8), num("P&L"), num("capital", 3), num("ann. return", 2), num("basis/sh", 9),
            num("breakeven", 10)]
    table_rows = []
    for c in rows:
        ann = c.annualized_return(end)
        table_rows.append([escape(c.cycle_id), str(c.start), str(c.end or "open"), c.outcome or c.phase,
                           "yes" if c.assigned else "", str(len(c.rolls)), _m(c.option_cash), _m(c.fees), _m(c.pnl),
                           _m(c.max_capital), "–" if ann is None else f"{ann:.1%}",
                           _m(c.cost_basis_per_share, "0.0001"), _m(c.breakeven, "0.0001")])
    show(fit_table(f"Wheel cycles (tax lots: {_LOTS[api.lot_method(lots).value]})", cols, table_rows, wide=wide))
    for c in rows:
        if c.rolls:
            chain = " -> ".join([c.rolls[0].closed, *(f"{r.opened} ({_m(r.net_credit)} on {r.on})" for r in c.rolls)])
            show(f"[bold]{c.cycle_id}[/] rolls: {chain}")
