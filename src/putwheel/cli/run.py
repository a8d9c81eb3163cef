"""`putwheel run`: one daily pass against a broker; without --broker a dry run that prints the orders it would send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.lazy import LazyModule
from putwheel.cli.quote import parse_date
from putwheel.cli.tables import WIDE, fit_table, num, show, text
from putwheel.domain.errors import PutwheelError

if TYPE_CHECKING:
    from putwheel.api import run as api
else:
    api = LazyModule("putwheel.api.run")


def _leg(leg: dict[str, object]) -> str:
    """`sell 1 AAPL 2018-01-05 166P`: the trader's name of the contract (the OCC symbol is in --json)."""
    from putwheel.domain.contract import OptionContract, position_label  # (when a run prints: not at start-up)

    try:
        c = OptionContract.from_occ(str(leg["contract"]))
        name = position_label(c.underlying, c.right, c.strike, c.expiry)
    except PutwheelError:
        name = str(leg["contract"])
    return f"{leg['side']} {leg['quantity']} {name}"


def render_run(res: api.RunResult, *, wide: bool = False) -> None:
    mode = "dry run: nothing sent" if res.dry_run else "sent"
    cols = [text("client order id", 3, min_width=24), text("action", 1, min_width=8), text("legs", min_width=26),
            num("limit"), text("status", min_width=7), num("filled", 2)]
    rows = [[escape(str(o["client_order_id"])), escape(str(o["action"])), escape(", ".join(_leg(g) for g in o["legs"])),
             str(o["limit"] or "–"), str(o["status"]) + ("*" if o.get("recognised") else ""), str(o["filled"])]
            for o in res.orders]
    show(fit_table(f"Orders on {res.as_of} ({res.broker}, {mode})", cols, rows, wide=wide))
    if any(o.get("recognised") for o in res.orders):
        show("  * placed by an earlier run today: recognised by its client order id, not sent again")
    for f in res.fills:
        show(f"  filled: {_leg(f)} at {f['price']} (fees {f['fees']})")
    for a in res.alerts:
        if a["kind"] != "fill":
            show(f"[yellow]{a['kind']}:[/] {escape(a['text'])}")
    for n in res.notes:
        show(f"[dim]note:[/] {escape(n)}")
    show(f"cash {res.cash:,.2f}; free cash {res.free_cash:,.2f} (after collateral and open orders)")


@app.command()
def run(
    as_of: str | None = typer.Option(None, "--as-of", help="Trading date YYYY-MM-DD (explicit, never the clock)."),
    broker: str | None = typer.Option(None, "--broker", help="paper (fills against the day's snapshot), alpaca or ibkr; "
                                "without it: a dry run with \\[execution] broker."),
    dry_run: bool | None = typer.Option(None, "--dry-run/--send", help="Print the orders instead of sending them "
                                        "(the default without --broker; --broker paper or a live broker sends)."),
    live: bool = typer.Option(False, "--live", help="A real-money account (the broker also needs the limits in \\[execution])."),
    adopt: bool = typer.Option(False, "--adopt", help="Record the broker's positions and activities as the truth."),
    config: Annotated[Path | None, typer.Option("--config", "-c",
                                                help="putwheel.toml (\\[execution], watchlist, rules).")] = None,
    db: str | None = typer.Option(None, "--db", help="Ledger URL or SQLite path (default: $PUTWHEEL_DB, then the user file)."),
    account: str = typer.Option("main", "--account", help="Ledger account."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (orders, fills, activities, differences, alerts)."),
    loop: bool = typer.Option(False, "--loop", help="Run every NYSE session, --lead-minutes before its close, until "
                                                    "stopped (instead of --as-of; sends orders)."),
    lead_minutes: float = typer.Option(30.0, "--lead-minutes", min=0, max=390, help="With --loop: minutes before "
                                                                                     "the close."),
    wide: bool = WIDE,
) -> None:
    """Manage the bot's positions and sell the planned puts through a broker; orders and fills go to the ledger."""
    from putwheel.config import load_config
    from putwheel.domain.errors import InputError

    with user_errors():
        if loop == (as_of is not None):
            raise InputError("give either --as-of YYYY-MM-DD (one run) or --loop (every session)", where="run")
        cfg = load_config(config)
        if loop:
            for res in api.loop(config=cfg, broker=broker, live=live, db=db, account=account, lead_minutes=lead_minutes):
                _show(res, as_json, wide)
            return
        res = api.run(parse_date(str(as_of), "--as-of"), config=cfg, broker=broker, live=live,
                      dry_run=broker is None if dry_run is None else dry_run, db=db, account=account, adopt=adopt)
    _show(res, as_json, wide)


def _show(res: api.RunResult, as_json: bool, wide: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(res.as_dict(), indent=2, default=str))
        return
    render_run(res, wide=wide)
