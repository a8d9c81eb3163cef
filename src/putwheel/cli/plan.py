"""`putwheel plan`: the week's cash-secured put tickets as rich tables, JSON or CSV; `--explain SYMBOL` for why."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.progress import progress_bar
from putwheel.cli.quote import parse_date
from putwheel.cli.tables import WIDE, csv_text, fit_table, labelled, num, show, text

if TYPE_CHECKING:
    import pandas as pd

# column, header, format, priority (0 always shown; higher dropped first when narrow; None: --wide only), text?
View = list[tuple[str, str, str, int | None]]
TICKET_VIEW: View = [
    ("underlying", "name", "{}", 0), ("occ_symbol", "contract (OCC)", "{}", None), ("expiry", "expiry", "{:%Y-%m-%d}", 1),
    ("dte", "DTE", "{:.0f}", 5), ("strike", "strike", "{:,.2f}", 0), ("contracts", "n", "{:d}", 0),
    ("limit_price", "limit", "{:.2f}", 0), ("collateral", "collateral", "{:,.0f}", 0), ("income", "income", "{:,.2f}", 0),
    ("roc_annualized", "ann. RoC", "{:.1%}", 2), ("delta", "delta", "{:+.2f}", 3), ("prob_assign", "P(assign)", "{:.0%}", 4),
    ("prob_touch", "P(touch)", "{:.0%}", None), ("iv_used", "IV", "{:.1%}", 7), ("ev_per_share", "EV/sh", "{:+.2f}", 8),
    ("breakeven", "basis", "{:,.2f}", 6),
]
EXPLAIN_VIEW: View = [  # the reasons follow the table, one numbered line each (too long for a column)
    ("n", "#", "{}", 0), ("occ_symbol", "contract (OCC)", "{}", None), ("expiry", "expiry", "{:%Y-%m-%d}", 0),
    ("dte", "DTE", "{:.0f}", 2), ("strike", "strike", "{:,.2f}", 0), ("premium_mid", "mid", "{:.2f}", 0),
    ("delta", "delta", "{:+.2f}", 1), ("roc_annualized", "ann. RoC", "{:.1%}", 3),
]
ASSIGNED_VIEW: View = [
    ("underlying", "name", "{}", 0), ("sector", "sector", "{}", 3), ("shares", "shares", "{:d}", 0),
    ("cost", "cost", "{:,.0f}", 0), ("held", "held", "{:,.0f}", 0), ("net_basis_per_share", "net basis", "{:,.2f}", 2),
    ("weight", "weight", "{:.1%}", 0), ("sector_weight", "sector weight", "{:.1%}", 1),
]
WATCH_VIEW: View = [
    ("symbol", "name", "{}", 0), ("spot", "spot", "{:,.2f}", 0), ("target_price", "target", "{:,.2f}", 0),
    ("target_source", "target set by", "{}", 4), ("quality_score", "quality", "{:.2f}", 0),
    ("quality_known", "parts known", "{}", 0), ("realized_vol", "realized vol", "{:.1%}", 1),
    ("iv_rank", "IV rank", "{:.0%}", 2), ("iv_percentile", "IV pctl", "{:.0%}", 3),
]
TEXT = {"underlying", "occ_symbol", "symbol", "sector", "target_source", "reason", "quality_known"}
CSV_PLACES = {"collateral": 2, "income": 2, "strike": 2, "spot": 2, "target_price": 2, "breakeven": 4,
              "limit_price": 4, "bid": 4, "ask": 4, "premium_mid": 4, "premium_bid": 4}  # other floats: 4 places


def _cell(value: object, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return escape(fmt.format(int(value) if fmt == "{:d}" else value))  # type: ignore[call-overload]


def _table(df: pd.DataFrame, view: View, title: str, wide: bool, caption: str | None = None) -> Table:
    view = [v for v in view if v[0] in df.columns]
    cols = [(text if col in TEXT else num)(header, prio or 0, wide=prio is None) for col, header, _, prio in view]
    rows = [[_cell(rec[col], fmt) for col, _, fmt, _ in view] for rec in df.to_dict(orient="records")]
    return fit_table(title, cols, rows, wide=wide, caption=caption)


def render_plan(res: api.PlanResult, wide: bool = False, caps: tuple[float, float] | None = None) -> None:
    label = f"[yellow]{res.data_label}[/]" if res.data_label == "modelled" else res.data_label
    show(f"[bold]Put plan[/] as of {res.as_of} — quotes: {label} ({escape(res.source)})",
         _table(res.tickets, TICKET_VIEW, f"Sell to open ({res.data_label} quotes)", wide))
    show(labelled([(f"[bold]{escape(str(row.underlying))}[/]:", escape(str(row.why)))
                   for row in res.tickets.itertuples(index=False)]))
    show("basis = strike - premium, the cost per share if assigned; EV/sh = premium over the T-bill hurdle "
         "less the expected payoff (realized vol)",
         f"free cash {res.free_cash.amount:,.2f} · collateral {res.collateral.amount:,.2f} · "
         f"income {res.income.amount:,.2f} · cash left {res.cash_left.amount:,.2f} · optimizer {res.status}",
         _table(res.assigned, ASSIGNED_VIEW, "If everything is assigned (weights of free cash + holdings)", wide,
                caption=f"caps: {caps[0]:.0%} per name, {caps[1]:.0%} per sector, of the same total" if caps else None))
    q = res.underlyings.reset_index()
    parts = sum(c.startswith("q_") for c in q.columns)  # one q_<part> column per quality part
    q["quality_known"] = [f"{parts - int(m)}/{parts}" for m in q["quality_missing"]]
    show(_table(q, WATCH_VIEW, "Watchlist", wide))
    missing = int(q["quality_missing"].max()) if len(q) else 0
    if missing:
        show(f"[yellow]quality[/] is the mean of the parts known only ({missing} of {parts} missing for some names: "
             "no fundamentals in this source); set quality.missing_counts_as = \"fail\" to score missing parts 0")
    if q["iv_rank"].notna().any():
        sources = ", ".join(sorted(set(q["iv_history"].dropna())))
        show(escape(f"IV rank / percentile over 1 year of {sources}; – where no implied-vol history exists"))
    counts = res.rejected.groupby("underlying").size()
    show("rejected puts per name: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + " (see --explain SYMBOL)")
    for w in res.warnings:
        show(f"[yellow]warning:[/] {escape(w)}")


def render_explain(detail: pd.DataFrame, title: str, wide: bool = False) -> None:
    priced = detail["premium_mid"].notna() | detail["reason"].str.startswith("chosen")
    shown = detail.loc[priced].assign(n=[f"{i}." for i in range(1, int(priced.sum()) + 1)])
    show(_table(shown, EXPLAIN_VIEW, title, wide), labelled(zip(shown["n"], shown["reason"].map(str).map(escape),
                                                              strict=True)))
    counts = detail.loc[~priced, "reason"].value_counts()
    if len(counts):
        show(escape("dropped before pricing: " + "; ".join(f"{reason} ({n})" for reason, n in counts.items())))


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
    wide: bool = WIDE,
) -> None:
    """Plan the week's cash-secured puts: ranked, sized, diversified, with the reason for every choice."""
    from putwheel.config import load_config  # pydantic and the screener rules load only when planning

    with user_errors(), progress_bar("loading the planner", disable=as_json or as_csv) as bar:
        cfg = load_config(config)
        res = api.plan(cfg, parse_date(as_of, "--as-of") if as_of else None, source, progress=bar.stage)
        detail = res.explain(explain) if explain else None
    if detail is not None:
        render_explain(detail, f"{explain.upper()}: puts that reached pricing ({res.data_label} quotes)", wide)
    elif as_json:
        typer.echo(_as_json(res))
    elif as_csv:
        typer.echo(csv_text(res.tickets, CSV_PLACES), nl=False)
    else:
        render_plan(res, wide, (cfg.rules.max_pct_per_name, cfg.rules.max_pct_per_sector))
