"""`putwheel backtest putwrite`: the model-priced Cboe PUT next to the published 1986-2018 table."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from putwheel import api
from putwheel.cli.app import app
from putwheel.cli.errors import user_errors
from putwheel.cli.progress import progress_bar
from putwheel.cli.tables import WIDE, fit_table, num, show, text
from putwheel.domain.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

backtest_app = typer.Typer(help="Backtests on history: the Cboe PUT reproduction (putwrite), the Cboe benchmark "
                                "family on the Wheel engine (index), the Wheel on the live manager's rules (wheel), "
                                "put-writing on real chain files (chains).",
                           no_args_is_help=True)
app.add_typer(backtest_app, name="backtest")

def _date(text: str, name: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time zone
    except ValueError:
        raise InputError(f"{name} {text!r} is not a date", where=name, hint="use YYYY-MM-DD, e.g. 1986-06-30") from None


_PERCENT = {"CAGR", "volatility", "max drawdown"}
_LABEL = {"max drawdown": "max drawdown (month-end)"}   # as the published figures are; the report also shows daily


def _fmt(metric: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):  # None or NaN: not published
        return "[dim]-[/]"
    number = float(value)  # type: ignore[arg-type]
    if metric in _PERCENT:
        return f"{number:.2%}"
    return f"{number:.0f}" if metric.endswith("months") else f"{number:.2f}"


def render_comparison(run: api.PutWriteBacktest, wide: bool = False) -> Table:
    flag = " [bold yellow](modelled)[/]" if run.modelled else ""
    cols = [text("metric", style="bold"), num("PUT ours"), num("PUT published"), num("SPTR ours", 1),
            num("SPTR published", 1)]
    rows = []
    for metric, row in run.comparison.iterrows():
        cells = [_LABEL.get(str(metric), str(metric))]
        for leg in ("PUT", "SPTR"):
            ok = row[f"{leg} within tolerance"]
            mark = "" if ok not in (True, False) else (" [green]ok[/]" if ok else " [red]no[/]")
            cells += [_fmt(str(metric), row[f"{leg} ours"]) + mark, _fmt(str(metric), row[f"{leg} published"])]
        rows.append(cells)
    return fit_table(f"Cboe PUT, model-priced, {run.start} .. {run.end}, {run.data} data{flag}", cols, rows, wide=wide)


def _pct_or_num(metric: str, value: float) -> str:
    return f"{value:.2%}" if metric in _PERCENT else f"{value:.2f}"


def _gap(metric: str, value: float) -> str:
    return f"{value * 100:.2f} pp" if metric in _PERCENT else f"{value:.2f}"


def render_verdict(run: api.PutWriteBacktest) -> str:
    """The run's verdict in one or two lines, with the figures that miss and by how much."""
    window = f"{run.start} .. {run.end}"
    if run.verdict == "reproduces":
        return f"[bold green]verdict: reproduces the published table[/] (every figure within tolerance, {window})"
    if run.verdict == "other_window":
        return (f"[bold yellow]verdict: within tolerance, but over {window}, not the published window[/] "
                "(see the notes)")
    gaps = "; ".join(f"{leg} {m} {_pct_or_num(m, o)} vs {_pct_or_num(m, p)} published "
                     f"({'+' if o >= p else '-'}{_gap(m, abs(o - p))}, tolerance {_gap(m, t)})"
                     for leg, m, o, p, t in run.misses)
    return f"[bold red]verdict: does not reproduce the published table[/] over {window}: {gaps}."


def render_why(run: api.PutWriteBacktest) -> str | None:
    """Why a modelled run differs from the published one, from the run's own counts (None when nothing is modelled)."""
    if not run.modelled:
        return None
    sources = run.result.iv_sources
    total = sum(sources.values())
    modelled = sources.get("modelled", 0)
    real = ", ".join(f"{name} {days:,}" for name, days in sources.items() if name != "modelled") or "none"
    why = [f"implied vol modelled from realized vol (a log-HAR fit, validated out of sample) on {modelled:,} of "
           f"{total:,} days (real implied vol: {real})"]
    if any("assumed" in n and "dividend" in n for n in run.notes):
        why.append("dividends at an assumed yield")
    if run.data == "embedded":
        why.append("PyPI-shipped closes, not ../shared (set PUTWHEEL_SHARED for the real VXO/VIX series)")
    return "[bold]why it differs:[/] " + "; ".join(why)


@backtest_app.command()
def putwrite(
    start: str = typer.Option("1986-06-30", help="First day YYYY-MM-DD (the study starts 1986-06-30)."),
    end: str = typer.Option("2018-12-31", help="Last day YYYY-MM-DD (clamped to the data)."),
    data: str = typer.Option("auto", help="shared (../shared real series), embedded (PyPI-shipped), or auto."),
    report: str | None = typer.Option(None, help="Write an HTML report (plotly) to this path."),
    png: str | None = typer.Option(None, help="Write a PNG (equity vs benchmark, drawdowns) to this path."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    wide: bool = WIDE,
) -> None:
    """Sell the 1-month at-the-money S&P 500 put every third Friday, fully cash-secured, priced from history."""
    with user_errors(), progress_bar("loading the backtest engine", disable=as_json) as bar:
        run = api.backtest_putwrite(_date(start, "--start"), _date(end, "--end"), data,  # type: ignore[arg-type]
                                    Path(report) if report else None, progress=bar.stage,
                                    png=Path(png) if png else None)
    if as_json:
        typer.echo(json.dumps(run.as_dict(), indent=2, default=str))
        return
    why = render_why(run)
    show(render_comparison(run, wide), render_verdict(run), *([why] if why else []))
    show("[dim]ok / no = within the reproduction tolerance or not (CAGR 0.5 pp, vol 0.75 pp, Sharpe 0.1, "
                  "max DD 5 pp); "
                  "vol = std of monthly returns x sqrt(12); Sharpe/Sortino vs the 3-month T-bill[/]")
    show(f"[dim]published: {escape(run.published_source)}; benchmark: {escape(run.result.benchmark_label)}; "
                  f"IV days by source: {run.result.iv_sources}[/]")
    for note in run.notes:
        show(f"[dim]note: {escape(note)}[/]")
    if run.report_path:
        show(f"report: {run.report_path}")
    if run.png_path:
        show(f"png: {run.png_path}")


def render_wheel(run: api.WheelBacktest, wide: bool = False) -> Table:
    res = run.result
    where = "SPY-like (S&P 500)" if run.per_name is None else ", ".join(run.per_name.index)
    rows = [[label, f"{getattr(res.metrics, key):.2%}", f"{getattr(run.benchmark, key):.2%}"]
            for label, key in (("CAGR", "cagr"), ("volatility", "vol"),
                                 ("max drawdown (month-end)", "max_drawdown"))]
    rows += [[label, f"{getattr(res.metrics, key):.2f}", f"{getattr(run.benchmark, key):.2f}"]
             for label, key in (("Sharpe", "sharpe"), ("Sortino", "sortino"))]
    income = res.monthly_income
    rows += [["assignment rate (puts)", f"{res.assignment_rate:.1%}", ""],
             ["time in shares", f"{res.time_in_shares:.1%}", ""],
             ["net option income / month¹", f"{income.mean():,.0f}" if len(income) else "-", ""],
             ["  median month", f"{income.median():,.0f}" if len(income) else "-", ""],
             ["final value", f"{res.daily['value'].iloc[-1]:,.0f}", ""]]
    return fit_table(f"The Wheel on {where}, {run.start} .. {run.end}, {run.data} data [bold yellow](modelled)[/]",
                     [text("metric", style="bold"), num("Wheel"), num(run.benchmark_label)], rows, wide=wide)


def income_note(run: api.WheelBacktest) -> str:
    """How income per month is counted, with this run's numbers."""
    res = run.result
    held = f"; {res.open_premium:,.0f} of premium on options still open at the end is not counted" \
        if res.open_premium else ""
    return (f"¹ premium received less buy-backs and fees, by the month of the trade, averaged over all "
            f"{len(res.monthly_income)} months of the run (a month without trades counts 0){held}")


PER_NAME = [text("symbol", style="bold", min_width=4), num("puts sold"), num("puts assigned", 2),
            num("assignment rate"), num("calls away", 3), num("time in shares", 1), num("option income")]


def render_per_name(per_name: pd.DataFrame, wide: bool = False) -> Table:
    rows = [[str(name), f"{int(row['puts_sold']):,}", f"{int(row['puts_assigned']):,}", f"{row['assignment_rate']:.1%}",
             f"{int(row['calls_away']):,}", f"{row['time_in_shares']:.1%}", f"{row['option_income']:,.0f}"]
            for name, row in per_name.iterrows()]
    return fit_table("Per name (contracts; rolls count as puts sold)", PER_NAME, rows, wide=wide)


@backtest_app.command()
def wheel(
    start: str = typer.Option("2015-01-02", help="First day YYYY-MM-DD."),
    end: str = typer.Option("2018-11-30", help="Last day YYYY-MM-DD (clamped to the data)."),
    data: str = typer.Option("auto", help="shared, embedded, or auto."),
    delta: float = typer.Option(0.30, help="|delta| of each new cash-secured put."),
    dte: int = typer.Option(35, help="Target days to expiry of each new put (monthly expiries)."),
    cash: float = typer.Option(1_000_000.0, help="Starting cash (1 SPX contract secures strike x 100)."),
    slippage: float = typer.Option(0.0, help="Share of the half-spread paid on each fill: 0 = mid, 1 = bid/ask."),
    commission: float = typer.Option(0.65, help="Commission per contract, each side."),
    names: str | None = typer.Option(None, help="Several names sharing the cash, e.g. AAPL,MSFT,GOOG (embedded closes)."),
    max_pct_per_name: float = typer.Option(0.34, help="With --names: cap per name at entry, share of the account."),
    stagger: bool = typer.Option(True, help="With --names: aim each name at a different weekly expiry."),
    png: str | None = typer.Option(None, help="Write a PNG (equity vs benchmark, drawdowns) to this path."),
    report: str | None = typer.Option(None, help="Write an HTML report (plotly) to this path."),
    entry: str = typer.Option("delta", help="New puts: delta (the --delta/--dte rule) or plan (putwheel plan's "
                                             "planner, with --names)."),
    config: str | None = typer.Option(None, help="With --entry plan: a putwheel.toml for the planner's rules, "
                                                 "watchlist targets and quality screen."),
    engine: str = typer.Option("compiled", help="Kept for old scripts: one engine runs every Wheel backtest "
                                                "(manager is gone, see ADR 0010)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    wide: bool = WIDE,
) -> None:
    """Run the Wheel day by day (S&P 500, or --names with shared cash) with putwheel's manager rules."""
    with user_errors(), progress_bar("loading the Wheel engine (compiled kernels)", disable=as_json) as bar:
        cfg = api.wheel_config(put_delta=delta, put_dte=dte, start_cash=cash, slippage=slippage, commission=commission)
        run = api.backtest_wheel(_date(start, "--start"), _date(end, "--end"), data, cfg,  # type: ignore[arg-type]
                                 progress=bar.stage,
                                 names=names.split(",") if names else None, max_pct_per_name=max_pct_per_name,
                                 stagger=stagger, png=Path(png) if png else None, engine=engine,
                                 report=Path(report) if report else None, entry=entry,
                                 plan_config=Path(config) if config else None)
    if as_json:
        typer.echo(json.dumps(run.as_dict(), indent=2, default=str))
        return
    show(render_wheel(run, wide), income_note(run))
    if run.per_name is not None:
        show(render_per_name(run.per_name, wide))
    for note in run.notes:
        show(f"[dim]note: {escape(note)}[/]")
    if run.report_path:
        show(f"report: {run.report_path}")
    if run.png_path:
        show(f"png: {run.png_path}")


@backtest_app.command()
def chains(
    files: str = typer.Argument(..., help="Chain file(s) in putwheel's schema: CSV or Parquet, a glob allowed."),
    symbol: str = typer.Option("SPX", help="Underlying in the files."),
    start: str = typer.Option(..., help="First quote day YYYY-MM-DD."),
    end: str = typer.Option(..., help="Last quote day YYYY-MM-DD."),
    slippage: float = typer.Option(0.0, help="Fill at mid - slippage x (mid - bid): 0 = mid, 1 = bid."),
    fee: float = typer.Option(0.0, help="Commission per contract."),
    rate: float = typer.Option(0.02, help="Simple annual T-bill yield on the collateral."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Cboe PUT rules on real end-of-day chain files, queried with DuckDB (files larger than memory are fine)."""
    with user_errors(), progress_bar("querying the chain files (DuckDB)", disable=as_json):
        run = api.backtest_chains(files, symbol, _date(start, "--start"), _date(end, "--end"), slippage, fee, rate)
    if as_json:
        typer.echo(json.dumps(run.as_dict(), indent=2, default=str))
        return
    m = run.metrics
    rows = [["CAGR", f"{m.cagr:.2%}"], ["volatility", f"{m.vol:.2%}"], ["Sharpe", f"{m.sharpe:.2f}"],
            ["max drawdown (month-end)", f"{m.max_drawdown:.2%}"], ["cycles", str(len(run.result.cycles))]]
    show(fit_table(f"Cboe PUT rules on {run.symbol} chain files, {m.start.date()} .. {m.end.date()}",
                   [text("metric", style="bold"), num("value")], rows))


def render_index(run: api.IndexBacktest, *, wide: bool = False) -> Table:
    res, m = run.result, run.result.metrics

    def mark(ok: bool | None) -> str:
        return "" if ok is None else (" [green]ok[/]" if ok else " [red]no[/]")

    rows = [[f"{m.start.date()} .. {m.end.date()}", "[dim]whole run[/]", f"{m.cagr:.2%}", "", f"{m.vol:.2%}", ""]]
    for c in run.published:
        p = c.published
        rows.append([f"{p.start} .. {p.end}", escape(p.source), f"{c.ours.cagr:.2%}{mark(c.within_cagr)}",
                     _fmt("CAGR", p.cagr), f"{c.ours.vol:.2%}{mark(c.within_vol)}", _fmt("volatility", p.vol)])
    cols = [text("window", min_width=22), text("source", 2, min_width=10), num("CAGR ours"), num("CAGR published"),
            num("vol ours", 1), num("vol published", 1)]
    return fit_table(f"Cboe {res.name} on the Wheel engine, {res.daily.index[0].date()} .. {res.daily.index[-1].date()}, "
                     f"{run.data} data [bold yellow](modelled option prices)[/]", cols, rows, wide=wide)


def render_official(run: api.IndexBacktest, *, wide: bool = False) -> Table:
    """Ours against the official series: the whole overlap, in sample (to 2018-12) and out of sample (2019 on)."""
    names = {"all": "all", "in": "in sample", "out": "out of sample"}

    def ok(flag: bool | None) -> str:
        return "" if flag is None else (" [green]ok[/]" if flag else " [red]no[/]")

    rows = [[names[t.window], f"{t.start} .. {t.end}", f"{t.correlation:.3f}{ok(t.corr_ok)}",
             f"{t.tracking_error:.2%}{ok(t.te_ok)}", f"{t.cagr_ours:.2%}", f"{t.cagr_official:.2%}"]
            for t in run.official_windows]
    cols = [text("window", min_width=6), text("span", 2, min_width=16), num("corr"), num("TE/yr"),
            num("CAGR ours", 1), num("CAGR official", 1)]
    return fit_table(f"Against the official {run.result.name} ({escape(run.official_source or '')})", cols, rows,
                     wide=wide)


@backtest_app.command()
def index(
    name: str = typer.Argument(..., help="PUT, WPUT, BXM, BXMD, PPUT or CLL."),
    start: str = typer.Option("1986-06-30", help="First day YYYY-MM-DD (WPUT starts 2005-12-30)."),
    end: str | None = typer.Option(None, help="Last day YYYY-MM-DD (default: the end of the data)."),
    data: str = typer.Option("auto", help="shared (../shared real series), embedded (PyPI-shipped), or auto."),
    settlement: str = typer.Option("am", help="am: open settlement from 1992-06 and an approximate 11:00 ET write; "
                                              "close: both at the expiration-day close."),
    vol_source: str = typer.Option("spx", "--vol-source", help="spx: the SPX's VIX from 1990 (VXO before), "
                                   "x a ratio rising with the VIX level; vxo: the issue #6 rule, the S&P 100's VXO "
                                   "to 2018-04 (ADR 0006)."),
    official: str | None = typer.Option(None, help="The official Cboe {NAME}_History.csv to track against "
                                                   "(default: the cache of `putwheel data fetch cboe:NAME`)."),
    report: str | None = typer.Option(None, help="Write an HTML report (plotly: ours, the S&P 500 and the official "
                                                 "index if given; the comparisons) to this path."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (monthly_returns, metrics, published) instead."),
    wide: bool = WIDE,
) -> None:
    """A Cboe S&P 500 benchmark index on the Wheel engine's put / covered-call / protective-put legs."""
    with user_errors(), progress_bar(f"running {name.upper()} on the Wheel engine", disable=as_json):
        run = api.backtest_index(name, _date(start, "--start"), _date(end, "--end") if end else None,
                                 data, settlement, Path(official) if official else None,  # type: ignore[arg-type]
                                 vol_source, Path(report) if report else None)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps(run.as_dict(), indent=2, default=str))
        return
    show(render_index(run, wide=wide))
    if run.official_windows:
        show(render_official(run, wide=wide))
    show(f"verdict: {run.verdict} (CAGR within 0.5 pp, vol 0.75 pp, monthly corr >= 0.98)")
    show(f"[dim]{escape(run.result.label)}[/]")
    for note in run.notes:
        show(f"[dim]note: {escape(note)}[/]")
    if run.report_path:
        show(f"report: {run.report_path}")
