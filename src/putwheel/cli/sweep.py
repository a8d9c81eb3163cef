"""`putwheel sweep putwrite|wheel`: a backtest per point of a parameter grid, a table sorted by a metric."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.backtest import _date
from putwheel.cli.errors import user_errors

if TYPE_CHECKING:
    import pandas as pd

sweep_app = typer.Typer(help="Parameter sweeps over backtests (local process pool, or Ray with --ray).", no_args_is_help=True)
app.add_typer(sweep_app, name="sweep")
_PCT = {"cagr", "vol", "max_drawdown", "assignment_rate", "time_in_shares", "mean_premium_pct_of_strike",
        "mean_strike_pct_of_spot"}


def _cell(col: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {"delta": "atm", "profit_take": "none"}.get(col, "-")
    if isinstance(value, bool):
        return "[red]*[/]" if value else ""
    if isinstance(value, float):
        return f"{value:.2%}" if col in _PCT else f"{value:,.2f}"
    return str(value)


_SHOWN = ("cagr", "vol", "sharpe", "max_drawdown", "final_value")


def render_sweep(frame: pd.DataFrame, sort_by: str) -> Table:
    """The parameters that vary and the headline metrics (every column is in --out Parquet and --json)."""
    a = frame.attrs
    t = Table(title=f"{a['kind']} sweep, {a['start']} .. {a['end']}, {a['data']} data, sorted by {sort_by}"
              + (" [bold yellow](modelled)[/]" if a.get("modelled") else ""), title_justify="left")
    from putwheel.backtest.sweep import PARAMS

    params = [c for c in PARAMS.get(str(a.get("kind")), ()) if c in frame.columns]
    varying = [c for c in params if frame[c].astype(str).nunique() > 1] or params[:1]
    fixed = [c for c in params if c not in varying]
    if fixed:
        t.caption = "same in every row: " + ", ".join(f"{c} {_cell(c, frame[c].iloc[0])}" for c in fixed)
    extra = [sort_by] if sort_by not in _SHOWN else []
    wheel = ["assignment_rate", "time_in_shares"] if "assignment_rate" in frame.columns else []
    period = ["period"] if "period" in frame.columns and frame["period"].nunique() > 1 else []
    cols = [c for c in (*varying, *_SHOWN, *extra, *wheel, *period, "pareto") if c in frame.columns]
    for c in cols:
        t.add_column(c, justify="right")
    for row in frame[cols].itertuples(index=False):
        t.add_row(*(_cell(c, v) for c, v in zip(cols, row, strict=True)))
    return t


def _run(kind: str, as_json: bool, sort: str, **kwargs: object) -> None:
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   transient=True, disable=as_json)
    with user_errors(), bar:
        task = bar.add_task(f"{kind} sweep", total=None)
        frame = api.sweep(kind, sort_by=sort,  # type: ignore[arg-type]
                          progress=lambda done, total: bar.update(task, completed=done, total=total), **kwargs)  # type: ignore[arg-type]
    if as_json:
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        typer.echo(json.dumps({"attrs": frame.attrs, "rows": rows}, indent=2, default=str))
        return
    console = Console()
    console.print(render_sweep(frame, sort))
    console.print("[dim]* = on the Pareto frontier (CAGR vs " + str(frame.attrs["frontier"]) + "); "
                  "vol = std of monthly returns x sqrt(12); Sharpe/Sortino vs the 3-month T-bill[/]")


_OUT = typer.Option(None, help="Write one row per parameter set to this Parquet file.")
_CHART = typer.Option(None, help="Write the frontier chart (plotly HTML) to this path.")
_WORKERS = typer.Option(None, help="Local worker processes (default: all CPUs).")
_RAY = typer.Option(None, help="Run on Ray: 'auto' (a running cluster) or an address like 10.0.0.5:6379.")
_SORT = typer.Option("sharpe", help="Metric to sort by: cagr, vol, sharpe, sortino, max_drawdown, final_value, ...")
_FRONTIER = typer.Option("vol", help="Frontier risk axis: vol or drawdown.")
_DATA = typer.Option("auto", help="shared, embedded, or auto.")
_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@sweep_app.command()
def putwrite(
    delta: str = typer.Option("atm", help="Comma-separated |delta| of the monthly put; atm = the Cboe PUT rule."),
    start: str = typer.Option("1986-06-30", help="First day YYYY-MM-DD."),
    end: str = typer.Option("2018-12-31", help="Last day YYYY-MM-DD (clamped to the data)."),
    data: str = _DATA, workers: int | None = _WORKERS, ray: str | None = _RAY, sort: str = _SORT,
    frontier: str = _FRONTIER, out: str | None = _OUT, chart: str | None = _CHART, as_json: bool = _JSON,
) -> None:
    """Monthly put-writing (third-Friday roll, fully cash-secured) over a grid of strike deltas."""
    _run("putwrite", as_json, sort, start=_date(start, "--start"), end=_date(end, "--end"), delta=delta, data=data,
         workers=workers, ray=ray, frontier=frontier, out=Path(out) if out else None, chart=Path(chart) if chart else None)


@sweep_app.command()
def wheel(
    delta: str = typer.Option("0.30", help="Comma-separated |delta| of new puts, e.g. 0.15,0.25,0.35."),
    dte: str = typer.Option("35", help="Comma-separated target DTE of new puts, e.g. 30,45."),
    profit_take: str = typer.Option("0.5", help="Comma-separated take-profit shares of max profit, or none."),
    roll: str = typer.Option("credit", help="Comma-separated roll rules: credit, any or never."),
    names: str = typer.Option("SPX", help="Comma-separated: SPX, embedded names (AAPL, ...), or names joined by + "
                                          "(one pool of cash, 1/n per name), e.g. SPX,AAPL,AAPL+MSFT+GOOG."),
    start: str = typer.Option("2015-01-02", help="First day YYYY-MM-DD."),
    end: str = typer.Option("2018-11-30", help="Last day YYYY-MM-DD (clamped to the data)."),
    data: str = _DATA, workers: int | None = _WORKERS, ray: str | None = _RAY, sort: str = _SORT,
    frontier: str = _FRONTIER, out: str | None = _OUT, chart: str | None = _CHART, as_json: bool = _JSON,
) -> None:
    """The Wheel (model-priced, the manager's rules, compiled engine) over a grid of names, delta, DTE, profit-take
    and roll rules."""
    _run("wheel", as_json, sort, start=_date(start, "--start"), end=_date(end, "--end"), delta=delta, dte=dte,
         profit_take=profit_take, roll=roll, names=names, data=data, workers=workers, ray=ray, frontier=frontier,
         out=Path(out) if out else None, chart=Path(chart) if chart else None)
