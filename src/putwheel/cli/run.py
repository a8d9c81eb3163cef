"""`putwheel run`: one daily pass against a broker; without --broker a dry run that prints the orders it would send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.lazy import LazyModule
from putwheel.cli.quote import parse_date

if TYPE_CHECKING:
    from putwheel.api import run as api
else:
    api = LazyModule("putwheel.api.run")


def render_run(res: api.RunResult) -> None:
    console = Console()
    mode = "dry run: nothing sent" if res.dry_run else "sent"
    t = Table(title=f"Orders on {res.as_of} ({res.broker}, {mode})", title_justify="left")
    for h in ("client order id", "action", "legs", "limit", "status", "filled"):
        t.add_column(h, justify="right" if h in ("limit", "filled") else "left", overflow="fold")
    for o in res.orders:
        legs = ", ".join(f"{leg['side']} {leg['quantity']} {leg['contract']}" for leg in o["legs"])
        status = str(o["status"]) + ("*" if o.get("recognised") else "")
        t.add_row(str(o["client_order_id"]), str(o["action"]), legs, str(o["limit"] or "–"), status, str(o["filled"]))
    console.print(t)
    if any(o.get("recognised") for o in res.orders):
        console.print("  * placed by an earlier run today: recognised by its client order id, not sent again")
    for f in res.fills:
        console.print(f"  fill {f['fill_id']}: {f['side']} {f['quantity']} {f['contract']} at {f['price']} "
                      f"(fees {f['fees']})", soft_wrap=True)
    for a in res.alerts:
        if a["kind"] != "fill":
            console.print(f"[yellow]{a['kind']}:[/] {escape(a['text'])}")
    for n in res.notes:
        console.print(f"[dim]note:[/] {escape(n)}")
    console.print(f"cash {res.cash:,.2f}; free cash {res.free_cash:,.2f} (after collateral and open orders)")


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
                _show(res, as_json)
            return
        res = api.run(parse_date(str(as_of), "--as-of"), config=cfg, broker=broker, live=live,
                      dry_run=broker is None if dry_run is None else dry_run, db=db, account=account, adopt=adopt)
    _show(res, as_json)


def _show(res: api.RunResult, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(res.as_dict(), indent=2, default=str))
        return
    render_run(res)
