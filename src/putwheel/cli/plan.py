"""`putwheel plan`: the week's cash-secured put tickets as rich tables, JSON or CSV; `--explain SYMBOL` for why."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.quote import parse_date

if TYPE_CHECKING:
    import pandas as pd

console = Console()

TICKET_VIEW = [  # column, header, format
    ("underlying", "name", "{}"), ("occ_symbol", "contract (OCC)", "{}"), ("dte", "DTE", "{:.0f}"),
    ("strike", "strike", "{:,.2f}"), ("contracts", "n", "{:d}"), ("limit_price", "limit", "{:.2f}"),
    ("collateral", "collateral", "{:,.0f}"), ("income", "income", "{:,.2f}"), ("roc_annualized", "ann. RoC", "{:.1%}"),
    ("delta", "delta", "{:+.2f}"), ("prob_assign", "P(assign)", "{:.0%}"), ("prob_touch", "P(touch)", "{:.0%}"),
    ("iv_used", "IV", "{:.1%}"), ("ev_per_share", "EV/sh", "{:+.2f}"), ("breakeven", "basis", "{:,.2f}"),
]
EXPLAIN_VIEW = [
    ("occ_symbol", "contract (OCC)", "{}"), ("dte", "DTE", "{:.0f}"), ("strike", "strike", "{:,.2f}"),
    ("premium_mid", "mid", "{:.2f}"), ("delta", "delta", "{:+.2f}"), ("roc_annualized", "ann. RoC", "{:.1%}"),
    ("reason", "reason", "{}"),
]


def _cell(value: object, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return escape(fmt.format(int(value) if fmt == "{:d}" else value))


def _table(df: pd.DataFrame, view: list[tuple[str, str, str]], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col, header, fmt in view:
        t.add_column(header, justify="left" if fmt == "{}" else "right", overflow="fold",
                     no_wrap=col in ("occ_symbol", "underlying"))
    for row in df.itertuples(index=False):
        rec = row._asdict()
        t.add_row(*(_cell(rec[col], fmt) for col, _, fmt in view))
    return t


def render_plan(res: api.PlanResult) -> None:
    label = f"[yellow]{res.data_label}[/]" if res.data_label == "modelled" else res.data_label
    console.print(f"[bold]Put plan[/] as of {res.as_of} — quotes: {label} ({escape(res.source)})", soft_wrap=True)
    console.print(_table(res.tickets, TICKET_VIEW, f"Sell to open ({res.data_label} quotes)"))
    for row in res.tickets.itertuples(index=False):
        console.print(f"  [bold]{escape(str(row.underlying))}[/]: {escape(str(row.why))}", soft_wrap=True)
    console.print("basis = strike - premium, the cost per share if assigned; EV/sh = premium over the T-bill hurdle "
                  "less the expected payoff (realized vol)")
    console.print(f"free cash {res.free_cash.amount:,.2f} · collateral {res.collateral.amount:,.2f} · "
                  f"income {res.income.amount:,.2f} · cash left {res.cash_left.amount:,.2f} · optimizer {res.status}")
    view = [("underlying", "name", "{}"), ("sector", "sector", "{}"), ("shares", "shares", "{:d}"),
            ("cost", "cost", "{:,.0f}"), ("held", "held", "{:,.0f}"), ("net_basis_per_share", "net basis", "{:,.2f}"),
            ("weight", "weight", "{:.1%}"), ("sector_weight", "sector weight", "{:.1%}")]
    console.print(_table(res.assigned, view, "If everything is assigned (weights of free cash + holdings)"))
    q = res.underlyings.reset_index()
    qview = [("symbol", "name", "{}"), ("spot", "spot", "{:,.2f}"), ("target_price", "target", "{:,.2f}"),
             ("target_source", "target set by", "{}"), ("quality_score", "quality", "{:.2f}"),
             ("quality_missing", "parts missing", "{:.0f}"), ("realized_vol", "realized vol", "{:.1%}"),
             ("iv_rank", "IV rank", "{:.0%}"), ("iv_percentile", "IV pctl", "{:.0%}")]
    console.print(_table(q, qview, "Watchlist"))
    if q["iv_rank"].notna().any():
        sources = ", ".join(sorted(set(q["iv_history"].dropna())))
        console.print(escape(f"IV rank / percentile over 1 year of {sources}; – where no implied-vol history exists"))
    counts = res.rejected.groupby("underlying").size()
    console.print("rejected puts per name: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                  + " (see --explain SYMBOL)")
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)


def render_explain(detail: pd.DataFrame, title: str) -> None:
    priced = detail["premium_mid"].notna() | detail["reason"].str.startswith("chosen")
    console.print(_table(detail.loc[priced], EXPLAIN_VIEW, title))
    counts = detail.loc[~priced, "reason"].value_counts()
    if len(counts):
        console.print(escape("dropped before pricing: " + "; ".join(f"{reason} ({n})" for reason, n in counts.items())),
                      soft_wrap=True)


def _as_json(res: api.PlanResult) -> str:
    def frame(df: pd.DataFrame) -> list[dict[str, object]]:
        return json.loads(df.to_json(orient="records", date_format="iso"))

    return json.dumps({
        "as_of": res.as_of.isoformat(), "source": res.source, "data": res.data_label, "status": res.status,
        "free_cash": str(res.free_cash.amount), "collateral": str(res.collateral.amount),
        "income": str(res.income.amount), "tickets": frame(res.tickets), "assigned": frame(res.assigned),
        "underlyings": frame(res.underlyings.reset_index()), "warnings": list(res.warnings),
        "rejected": frame(res.rejected),
    }, indent=2)


@app.command()
def plan(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="putwheel.toml (default: built-in demo).")] = None,
    as_json: bool = typer.Option(False, "--json", help="Print the whole plan as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the tickets as CSV."),
    explain: str | None = typer.Option(None, "--explain", help="Show every put considered for SYMBOL and why."),
    as_of: str | None = typer.Option(None, "--as-of", help="Plan date YYYY-MM-DD (default: the source's quote date)."),
    source: str | None = typer.Option(None, "--source", help="embedded (offline), file:PATH, cboe or yfinance (live)."),
) -> None:
    """Plan the week's cash-secured puts: ranked, sized, diversified, with the reason for every choice."""
    from putwheel.config import load_config  # pydantic and the screener rules load only when planning

    with user_errors():
        res = api.plan(load_config(config), parse_date(as_of, "--as-of") if as_of else None, source)
        detail = res.explain(explain) if explain else None
    if detail is not None:
        render_explain(detail, f"{explain.upper()}: puts that reached pricing ({res.data_label} quotes)")
    elif as_json:
        typer.echo(_as_json(res))
    elif as_csv:
        typer.echo(res.tickets.to_csv(index=False), nl=False)
    else:
        render_plan(res)
