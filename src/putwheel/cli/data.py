"""`putwheel chain` (a normalized chain with quality flags) and `putwheel data fetch|list` (the history cache)."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.lazy import LazyModule
from putwheel.cli.progress import progress_bar
from putwheel.cli.quote import parse_date
from putwheel.cli.tables import WIDE, fit_table, num, show, text

if TYPE_CHECKING:
    from putwheel.api import data as api_data
else:
    api_data = LazyModule("putwheel.api.data")


data_app = typer.Typer(help="Market history: fetch series into the local cache, list what is usable offline.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")


def _num(value: float, fmt: str) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


CHAIN = [text("expiry", min_width=10), num("dte", 3), num("strike"), text("P/C", min_width=3), num("bid"),
         num("ask"), num("last", 5), num("iv", 1), num("delta", 2), num("OI", 4),
         text("quality (why not to trust)", min_width=16)]


def render_chain(res: api_data.ChainResult, limit: int, wide: bool = False) -> Table:
    f = res.frame
    rows = [[f"{r.expiry:%Y-%m-%d}", str(r.dte), _num(r.strike, ",.2f"), r.right, _num(r.bid, ".2f"),
             _num(r.ask, ".2f"), _num(r.last, ".2f"), _num(r.iv, ".1%"), _num(r.delta, "+.3f"),
             _num(r.open_interest, ",.0f"), f"[yellow]{escape(r.quality)}[/]" if r.quality else ""]
            for r in f.head(limit).itertuples()]
    return fit_table(f"{res.symbol} chain  spot {res.spot:,.2f}  quoted {res.quote_date}  ({escape(res.source)})",
                     CHAIN, rows, wide=wide, caption=f"{len(f)} contracts, {res.flagged} flagged"
                     + (f"; first {limit} shown (use --limit)" if len(f) > limit else "")
                     + ("; --wide for the whole quality text" if any(r.quality for r in f.head(limit).itertuples())
                        else ""))


@app.command()
def chain(
    symbol: str = typer.Argument(..., help="Underlying symbol, e.g. SPY or SPX."),
    source: str = typer.Option("cboe", "--source", help="file:PATH (CSV/Parquet/DataShop/OptionsDX/JSON), cboe, "
                               "yfinance, or embedded (offline, modelled)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date the snapshot (sets DTE) YYYY-MM-DD; default the quote day."),
    puts: bool = typer.Option(False, "--puts", help="Puts only."),
    dte_min: int | None = typer.Option(None, "--dte-min", help="Only expiries at least this many days out."),
    dte_max: int | None = typer.Option(None, "--dte-max", help="Only expiries at most this many days out."),
    limit: int = typer.Option(60, help="Rows to show in the table."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records instead of a table."),
    wide: bool = WIDE,
) -> None:
    """Show one underlying's option chain, normalized, with quality flags for quotes not to be trusted."""
    where = source.partition(":")[0]
    with user_errors(), progress_bar(f"loading the {symbol.upper()} chain ({where})", disable=as_json):
        res = api_data.chain(symbol, source, parse_date(as_of, "--as-of") if as_of else None, puts_only=puts,
                             dte_min=dte_min, dte_max=dte_max)
    if as_json:
        typer.echo(json.dumps(res.records(), indent=1, default=str))
    else:
        show(render_chain(res, limit, wide))


@data_app.command("list")
def data_list(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
              wide: bool = WIDE) -> None:
    """List the daily series usable offline: embedded (shipped by a dependency) and fetched into the cache."""
    with user_errors():
        rows = api_data.data_list()
    if as_json:
        typer.echo(json.dumps([{"name": s.name, "kind": s.kind, "source": s.source, "first": str(s.first),
                                "last": str(s.last), "rows": s.rows} for s in rows], indent=2))
        return
    cols = [text("name", min_width=10), text("kind", 2, min_width=6), text("first", min_width=10),
            text("last", min_width=10), num("rows"), text("source", 1, min_width=12)]
    show(fit_table("Series available offline", cols, [[escape(s.name), escape(s.kind), str(s.first), str(s.last),
                                                       f"{s.rows:,}", escape(s.source)] for s in rows], wide=wide))


@data_app.command("fetch")
def data_fetch(
    series: list[str] = typer.Argument(None, help="cboe:VIX, fred:DTB3, yf:SPY ... (default: cboe:VIX fred:DTB3)."),  # noqa: B008
    start: str | None = typer.Option(None, help="First date YYYY-MM-DD (yfinance only; Cboe/FRED send everything)."),
    end: str | None = typer.Option(None, help="Last date YYYY-MM-DD (default today)."),
) -> None:
    """Download daily series from Cboe, FRED or yfinance into the local cache (Parquet)."""
    with progress_bar("fetching", counted=True) as bar:

        def step(name: str, done: int, total: int) -> None:
            bar.describe(f"fetching {name}")
            bar.count(done, total)

        with user_errors():
            stored = api_data.data_fetch(series or None, parse_date(start, "--start") if start else None,
                                         parse_date(end, "--end") if end else None, progress=step)
    for s in stored:
        show(f"[green]cached[/] {s.name}: {s.rows:,} rows {s.first} .. {s.last} -> {s.path}")
