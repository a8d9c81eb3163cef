"""`putwheel manage`: what to do today with each open position, with the reason, as a rich table or JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.progress import progress_bar
from putwheel.cli.quote import parse_date
from putwheel.cli.tables import WIDE, fit_table, labelled, num, show, text

STYLE = {"hold": "dim", "take_profit": "green", "roll": "cyan", "let_expire": "green", "accept_assignment": "yellow",
         "sell_covered_call": "magenta", "close": "red"}
VIEW = [("mark", "mark", "{:.2f}", 0), ("captured_pct", "captured", "{:.0%}", 1), ("delta", "delta", "{:+.2f}", 2),
        ("extrinsic", "extrinsic", "{:.2f}", 3), ("dte", "DTE", "{:.0f}", 0)]


def _cell(value: object, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)


def render_manage(res: api.ManageResult, wide: bool = False) -> None:
    """The numbers as a table, then each decision's reason as a line (reasons are too long for a column)."""
    recs = res.records()
    accounts = any(rec["account"] for rec in recs)
    cols = [num("#"), *([text("account", 4, min_width=6)] if accounts else []), text("position", min_width=24),
            text("action", min_width=17), *(num(h, prio) for _, h, _, prio in VIEW)]
    rows = []
    for i, rec in enumerate(recs, 1):
        action = str(rec["action"])
        flag = " [red]![/]" if rec.get("early_assignment_risk") else ""
        rows.append([str(i), *([escape(str(rec["account"]))] if accounts else []), escape(str(rec["position"])),
                     f"[{STYLE.get(action, 'default')}]{action}[/]{flag}",
                     *(_cell(rec.get(col), fmt) for col, _, fmt, _ in VIEW)])
    show(fit_table(f"Positions on {res.as_of} ({escape(str(res.positions_source))})", cols, rows, wide=wide))
    show(labelled([(f"[bold]{i}.[/]", escape(str(rec["reason"]))) for i, rec in enumerate(recs, 1)]),
         labelled([(f"quotes for [bold]{escape(name)}[/]:", escape(str(src))) for name, src in res.market_sources.items()]))
    for note in res.notes:
        show(f"[yellow]note:[/] {escape(note)}")


@app.command()
def manage(
    as_of: str = typer.Option(..., "--as-of", help="Decision date YYYY-MM-DD (explicit, never the clock)."),
    positions: Annotated[Path | None, typer.Option(
        "--positions", "-p", help="Positions TOML/JSON (\\[\\[position]], optional \\[market.SYM], \\[rules]); "
                                  "default: the ledger.")] = None,
    db: str | None = typer.Option(None, "--db", help="Ledger URL or SQLite path (default: $PUTWHEEL_DB, then the user file)."),
    chain: Annotated[list[Path] | None, typer.Option("--chain", help="Chain file(s) for marks, rolls and covered calls.")] = None,
    market: Annotated[Path | None, typer.Option(
        "--market", help="TOML/JSON with \\[market.SYM] tables (spot, iv, rate, ex_dividend_date, dividend) "
                         "and \\[rules].")] = None,
    source: str | None = typer.Option(None, "--source", help="Live quotes for names without a table or chain file: "
                                      "cboe, yfinance or file:PATH (the quote date must not be after --as-of)."),
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    as_json: bool = typer.Option(False, "--json", help="Print the decisions as JSON."),
    wide: bool = WIDE,
) -> None:
    """Decide each open position: hold, take profit, roll for a credit, let expire, accept assignment, covered call."""
    with user_errors(), progress_bar("loading positions and quotes, deciding each position", disable=as_json):
        res = api.manage(parse_date(as_of, "--as-of"), positions=positions, db=db, chains=tuple(chain or ()),
                         market=market, source=source, account=account)
    if as_json:
        typer.echo(json.dumps(res.as_dict(), indent=2, default=str))
        return
    render_manage(res, wide)
