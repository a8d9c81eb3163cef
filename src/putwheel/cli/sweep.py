"""`putwheel sweep putwrite|wheel`: a backtest per point of a parameter grid, a table sorted by a metric."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.backtest import _date
from putwheel.cli.errors import user_errors
from putwheel.cli.progress import progress_bar
from putwheel.cli.tables import WIDE, fit_table, num, show, text

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
        return f"{value:.2%}" if col in _PCT else f"{value:,.0f}" if col == "final_value" else f"{value:,.2f}"
    return str(value)


_SHOWN = ("cagr", "vol", "sharpe", "max_drawdown", "final_value")
HEADER = {"cagr": "CAGR", "vol": "vol", "sharpe": "Sharpe", "sortino": "Sortino", "max_drawdown": "max DD",
          "final_value": "final value", "assignment_rate": "assigned", "time_in_shares": "in shares",
          "profit_take": "profit take", "pareto": "Pareto"}
PRIORITY = {"vol": 1, "max_drawdown": 2, "final_value": 5, "assignment_rate": 4, "time_in_shares": 6,
            "sortino": 7}  # the rest: always shown
TEXT_COLS = {"names", "roll", "period"}


def render_sweep(frame: pd.DataFrame, sort_by: str, wide: bool = False) -> Table:
    """The parameters that vary and the headline metrics (every column is in --out Parquet and --json)."""
    a = frame.attrs
    title = (f"{a['kind']} sweep, {a['start']} .. {a['end']}, {a['data']} data, sorted by {sort_by}"
             + (" [bold yellow](modelled)[/]" if a.get("modelled") else ""))
    from putwheel.backtest.sweep import PARAMS

    params = [c for c in PARAMS.get(str(a.get("kind")), ()) if c in frame.columns]
    varying = [c for c in params if frame[c].astype(str).nunique() > 1] or params[:1]
    fixed = [c for c in params if c not in varying]
    caption = "same in every row: " + ", ".join(f"{c} {_cell(c, frame[c].iloc[0])}" for c in fixed) if fixed else None
    extra = [sort_by] if sort_by not in _SHOWN else []
    wheel = ["assignment_rate", "time_in_shares"] if "assignment_rate" in frame.columns else []
    period = ["period"] if "period" in frame.columns and frame["period"].nunique() > 1 else []
    cols = [c for c in (*varying, *_SHOWN, *extra, *wheel, *period, "pareto") if c in frame.columns]
    spec = [text(HEADER.get(c, c), min_width=22 if c == "period" else 10) if c in TEXT_COLS
            else num(HEADER.get(c, c), 0 if c == sort_by else PRIORITY.get(c, 0)) for c in cols]
    rows = [[_cell(c, v) for c, v in zip(cols, row, strict=True)] for row in frame[cols].itertuples(index=False)]
    ends = [n for n in range(len(frame) - 1) if period and frame["period"].iloc[n] != frame["period"].iloc[n + 1]]
    return fit_table(title, spec, rows, wide=wide, caption=caption, section_ends=ends)


def _run(kind: str, as_json: bool, sort: str, wide: bool = False, **kwargs: object) -> None:
    with user_errors(), progress_bar(f"{kind} sweep: one backtest per parameter set", disable=as_json,
                                     counted=True) as bar:
        frame = api.sweep(kind, sort_by=sort, progress=bar.count, **kwargs)  # type: ignore[arg-type]
    if as_json:
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        typer.echo(json.dumps({"attrs": frame.attrs, "rows": rows}, indent=2, default=str))
        return
    show(render_sweep(frame, sort, wide))
    show("[dim]* = on the Pareto frontier (CAGR vs " + str(frame.attrs["frontier"]) + "); "
                  "vol = std of monthly returns x sqrt(12); Sharpe/Sortino vs the 3-month T-bill[/]")


_OUT = typer.Option(None, help="Write one row per parameter set to this Parquet file.")
_CHART = typer.Option(None, help="Write the frontier chart (plotly HTML) to this path.")
_WORKERS = typer.Option(None, help="Local worker processes (default: all CPUs).")
_RAY = typer.Option(None, help="Run on Ray: 'auto' (a running cluster) or an address like 10.0.0.5:6379.")
_SORT = typer.Option("sharpe", help="Metric to sort by: cagr, vol, sharpe, sortino, max_drawdown, final_value, ...")
_FRONTIER = typer.Option("vol", help="Frontier risk axis: vol or drawdown.")
_DATA = typer.Option("auto", help="shared, embedded, or auto.")
_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
_WIDE = WIDE


@sweep_app.command()
def putwrite(
    delta: str = typer.Option("atm", help="Comma-separated |delta| of the monthly put; atm = the Cboe PUT rule."),
    start: str = typer.Option("1986-06-30", help="First day YYYY-MM-DD."),
    end: str = typer.Option("2018-12-31", help="Last day YYYY-MM-DD (clamped to the data)."),
    data: str = _DATA, workers: int | None = _WORKERS, ray: str | None = _RAY, sort: str = _SORT,
    frontier: str = _FRONTIER, out: str | None = _OUT, chart: str | None = _CHART, as_json: bool = _JSON,
    wide: bool = _WIDE,
) -> None:
    """Monthly put-writing (third-Friday roll, fully cash-secured) over a grid of strike deltas."""
    _run("putwrite", as_json, sort, wide, start=_date(start, "--start"), end=_date(end, "--end"), delta=delta, data=data,
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
    wide: bool = _WIDE,
) -> None:
    """The Wheel (model-priced, the manager's rules, compiled engine) over a grid of names, delta, DTE, profit-take
    and roll rules."""
    _run("wheel", as_json, sort, wide, start=_date(start, "--start"), end=_date(end, "--end"), delta=delta, dte=dte,
         profit_take=profit_take, roll=roll, names=names, data=data, workers=workers, ray=ray, frontier=frontier,
         out=Path(out) if out else None, chart=Path(chart) if chart else None)
