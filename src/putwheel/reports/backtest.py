"""HTML reports for the put-writing and Wheel backtests: one self-contained plotly page each (works offline,
plotly.js inlined); and a PNG of equity vs benchmark with drawdowns (matplotlib, Agg canvas) for terminals.

Stages: result frames -> figures (equity vs benchmark, drawdowns, monthly-return heatmap, premium income and
ITM expiries per month) -> metrics table next to the published figures -> one HTML file. Never prints.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from putwheel.backtest.metrics import Metrics, drawdowns, month_end_values
from putwheel.backtest.putwrite import PutWriteResult
from putwheel.backtest.wheel import WheelResult
from putwheel.domain.errors import InputError

_PCT_ROWS = {"CAGR", "volatility", "max drawdown"}


def curves_figure(curves: pd.DataFrame, markers: list[tuple[str, pd.DatetimeIndex, str]]) -> go.Figure:
    """Growth (log) of each column of `curves` with its drawdowns below; `markers` (label, days, colour) are drawn
    on the first curve (assignments, puts settled in the money)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.05,
                        subplot_titles=("Growth of 100 (log scale)", "Drawdown from peak"))
    for (name, series), color in zip(curves.items(), ("#1f77b4", "#d62728", "#2ca02c"), strict=False):
        fig.add_trace(go.Scatter(x=series.index, y=series / series.iloc[0] * 100.0, name=str(name),
                                 line={"color": color, "width": 1.4}), 1, 1)
        fig.add_trace(go.Scatter(x=series.index, y=drawdowns(series) * 100, name=f"{name} drawdown",
                                 line={"color": color, "width": 1}, showlegend=False), 2, 1)
    first = curves.iloc[:, 0]
    for label, days, color in markers:
        inside = days[(days >= first.index[0]) & (days <= first.index[-1])]
        marks = (first / first.iloc[0] * 100.0).reindex(inside, method="ffill")
        fig.add_trace(go.Scatter(x=marks.index, y=marks.to_numpy(), mode="markers", name=label,
                                 marker={"size": 9 if len(marks) < 60 else 4, "color": color, "symbol": "x",
                                         "opacity": 0.8}), 1, 1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(ticksuffix="%", row=2, col=1)
    fig.update_layout(height=620, margin={"t": 40, "b": 30}, legend={"orientation": "h", "y": 1.08})
    return fig


def equity_figure(result: PutWriteResult) -> go.Figure:
    daily = result.daily
    itm = result.cycles.dropna(subset=["payoff"])
    itm = itm[itm["payoff"] > 0]
    curves = pd.DataFrame({"PUT (model-priced)": daily["value"], "S&P 500 total return": daily["benchmark"]})
    return curves_figure(curves, [("put expired in the money", pd.DatetimeIndex(itm["expiry"]), "#ff7f0e")])


def heatmap_figure(values: pd.Series, title: str) -> go.Figure:
    monthly = month_end_values(values).pct_change().dropna() * 100
    idx = pd.DatetimeIndex(monthly.index)
    grid = pd.DataFrame({"year": idx.year, "month": idx.month, "ret": monthly.to_numpy()})
    table = grid.pivot(index="year", columns="month", values="ret").reindex(columns=range(1, 13))
    limit = float(np.nanmax(np.abs(table.to_numpy()))) if table.size else 1.0
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy(), x=["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        y=table.index.astype(str), colorscale="RdYlGn", zmid=0.0, zmin=-limit, zmax=limit,
        hovertemplate="%{y} %{x}: %{z:.2f}%<extra></extra>", colorbar={"ticksuffix": "%"}))
    fig.update_layout(title=title, height=max(300, 18 * len(table) + 120), margin={"t": 50, "b": 30},
                      yaxis={"autorange": "reversed"})
    return fig


def income_figure(result: PutWriteResult) -> go.Figure:
    cyc = result.cycles
    income = cyc["premium"] / cyc["strike"] * 100
    loss = -cyc["payoff"].fillna(0.0) / cyc["strike"] * 100
    fig = go.Figure()
    fig.add_trace(go.Bar(x=cyc["write_date"], y=income, name="premium, % of strike", marker_color="#2ca02c"))
    fig.add_trace(go.Bar(x=cyc["write_date"], y=loss, name="settlement paid, % of strike", marker_color="#d62728"))
    fig.update_layout(title="Premium income and settlement per monthly cycle", barmode="relative", height=360,
                      yaxis={"ticksuffix": "%"}, margin={"t": 50, "b": 30}, legend={"orientation": "h"})
    return fig


def wheel_income_figure(result: WheelResult) -> go.Figure:
    """Net option income (premiums received less buy-backs) per month, with the month's assignments."""
    income = result.monthly_income
    ev = result.events
    assigned = ev[ev["action"] == "assigned"]
    per_month = assigned.groupby(pd.to_datetime(assigned["date"]).dt.to_period("M")).size()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [str(p) for p in income.index]
    fig.add_trace(go.Bar(x=x, y=income.to_numpy(), name="net option income", marker_color="#2ca02c"))
    fig.add_trace(go.Scatter(x=[str(p) for p in per_month.index], y=per_month.to_numpy(), mode="markers",
                             name="put assignments", marker={"color": "#d62728", "size": 8, "symbol": "x"}),
                  secondary_y=True)
    fig.update_layout(title="Income by month (premiums received less buy-backs) and assignments", height=380,
                      margin={"t": 50, "b": 30}, legend={"orientation": "h"})
    top = int(per_month.max()) if len(per_month) else 1
    fig.update_yaxes(title_text="assignments", secondary_y=True, range=[0, top + 1], dtick=1, showgrid=False)
    return fig


PER_NAME = {   # column -> (header, format): counts whole, shares of days and of puts as percentages, money rounded
    "puts_sold": ("puts sold", "{:,.0f}"), "puts_assigned": ("puts assigned", "{:,.0f}"),
    "assignment_rate": ("assignment rate", "{:.1%}"), "calls_sold": ("calls sold", "{:,.0f}"),
    "calls_away": ("calls away", "{:,.0f}"), "rolls": ("rolls", "{:,.0f}"), "take_profits": ("take profits", "{:,.0f}"),
    "closes_for_loss": ("closed for a loss", "{:,.0f}"), "time_in_shares": ("time in shares", "{:.1%}"),
    "option_income": ("option income", "{:,.0f}"),
}


def per_name_html(per_name: pd.DataFrame) -> str:
    """One row per name with readable headers and units (no raw field names, no index header row)."""
    cols = [c for c in PER_NAME if c in per_name.columns]
    head = "<th>name</th>" + "".join(f"<th>{PER_NAME[c][0]}</th>" for c in cols)
    rows = "".join("<tr><td>" + html.escape(str(name)) + "</td>"
                   + "".join(f"<td>{PER_NAME[c][1].format(float(row[c]))}</td>" for c in cols) + "</tr>"
                   for name, row in per_name.iterrows())
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def events_html(events: pd.DataFrame, limit: int = 200) -> str:
    """The assignments and call-aways as a table (the most recent `limit`)."""
    ev = events[events["action"].isin(["assigned", "called_away"])].tail(limit)
    if ev.empty:
        return "<p>No put was assigned and no shares were called away in this period.</p>"
    cols = [c for c in ("date", "symbol", "action", "strike", "expiry", "contracts", "cash_flow", "cycle_id", "reason")
            if c in ev.columns]
    head = "".join(f"<th>{c}</th>" for c in cols)

    def fmt(c: str, v: object) -> str:
        return f"{float(v):,.2f}" if c in ("strike", "cash_flow") else html.escape(str(v))  # type: ignore[arg-type]

    rows = "".join("<tr>" + "".join(f"<td>{fmt(c, r[c])}</td>" for c in cols) + "</tr>" for _, r in ev.iterrows())
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def write_wheel_report(result: WheelResult, benchmark: Metrics, benchmark_values: pd.Series, benchmark_label: str,
                       path: Path, title: str, notes: tuple[str, ...] = (),
                       per_name: pd.DataFrame | None = None) -> Path:
    """The Wheel's report: equity and drawdowns vs the benchmark with assignments marked, monthly heatmaps, income
    by month, the metrics side by side, assignments and call-aways, per-name rows. Returns the path."""
    path = _folder(path)
    ev = result.events
    markers = [("put assigned", pd.DatetimeIndex(pd.to_datetime(ev.loc[ev["action"] == "assigned", "date"])), "#ff7f0e"),
               ("shares called away", pd.DatetimeIndex(pd.to_datetime(ev.loc[ev["action"] == "called_away", "date"])),
                "#9467bd")]
    curves = pd.DataFrame({"Wheel (modelled option prices)": result.daily["value"], benchmark_label: benchmark_values})
    figures = [curves_figure(curves, markers), heatmap_figure(result.daily["value"], "Wheel monthly returns"),
               heatmap_figure(benchmark_values, f"{benchmark_label} monthly returns"), wheel_income_figure(result)]
    table = pd.DataFrame({"Wheel": result.metrics.as_dict(), benchmark_label: benchmark.as_dict()}).loc[
        ["cagr", "vol", "sharpe", "sortino", "max_drawdown", "max_drawdown_months"]]
    table.index = ["CAGR", "volatility", "Sharpe", "Sortino", "max drawdown", "max DD months"]
    extra = (f"Put assignment rate {result.assignment_rate:.1%}; time in shares {result.time_in_shares:.1%}; "
             f"final value {float(result.daily['value'].iloc[-1]):,.0f}.")
    names = "" if per_name is None else "<h2>Per name</h2>" + per_name_html(per_name)
    body = (f"<h2>Metrics</h2>{metrics_html(table)}<p>{html.escape(extra)}</p>{names}"
            f"<h2>Assignments and call-aways</h2>{events_html(ev)}")
    notes_html = "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    return _page(path, title, f"<p>{html.escape(result.label)}</p>{notes_html}", body, figures)


def _folder(path: Path) -> Path:
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"folder {path.parent} does not exist", where="--report", hint="create it or pick another path")
    return path


def _page(path: Path, title: str, intro: str, body: str, figures: list[go.Figure]) -> Path:
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"fig{i}") for i, fig in enumerate(figures)]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table.metrics{{border-collapse:collapse}} table.metrics td,table.metrics th{{border:1px solid #ccc;padding:4px 10px;
text-align:right}} table.metrics td:first-child{{text-align:left}} .note{{color:#666;font-size:0.9em}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
{intro}
{body}
{"".join(parts)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def metrics_html(table: pd.DataFrame) -> str:
    """The comparison frame (from `api.backtest.comparison_frame`) as an HTML table."""
    def cell(metric: str, value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "-"
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        number = float(value)  # type: ignore[arg-type]
        if metric in _PCT_ROWS:
            return f"{number:.2%}"
        return f"{number:.0f}" if metric.endswith("months") else f"{number:.2f}"

    cols = [c for c in table.columns if not c.endswith("gap")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["metric", *cols])
    rows = "".join("<tr><td>" + html.escape(str(m)) + "</td>" + "".join(
        f"<td>{cell(str(m), row[c])}</td>" for c in cols) + "</tr>" for m, row in table.iterrows())
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def write_putwrite_report(result: PutWriteResult, table: pd.DataFrame, path: Path, title: str) -> Path:
    """Write the report; returns the path. Raises InputError if the folder does not exist."""
    path = _folder(path)
    figures = [equity_figure(result), heatmap_figure(result.daily["value"], "PUT monthly returns"),
               heatmap_figure(result.daily["benchmark"], "S&P 500 total return monthly returns"), income_figure(result)]
    start, end = result.daily.index[0].date(), result.daily.index[-1].date()
    intro = (f"<p>{start} .. {end}. Data: {html.escape(result.label)}. Benchmark: {html.escape(result.benchmark_label)}."
             f"\nImplied vol days by source: {html.escape(str(result.iv_sources))}.</p>")
    body = f"""<h2>Metrics vs the published figures</h2>
{metrics_html(table)}
<p class="note">Published: Bondarenko (2019), Cboe, monthly returns 1986-06-30..2018-12-31. Volatility = std of
monthly returns x sqrt(12); Sharpe and Sortino against the 3-month T-bill; drawdowns on month-end values.</p>"""
    return _page(path, title, intro, body, figures)


def write_png(curves: pd.DataFrame, path: Path, title: str) -> Path:
    """Growth of 100 (log scale) for each column of `curves` (daily values) and their drawdowns, as a PNG.

    Drawn on a matplotlib Agg canvas (no display, no global backend switch). Raises InputError if the folder does
    not exist or `curves` is empty.
    """
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"folder {path.parent} does not exist", where="--png", hint="create it or pick another path")
    data = curves.dropna(how="all")
    if data.empty:
        raise InputError("nothing to plot: the result has no daily values", where="--png")
    fig = Figure(figsize=(10, 6.5), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[0.65, 0.35])
    for col, color in zip(data.columns, ("#1f77b4", "#d62728", "#2ca02c", "#9467bd"), strict=False):
        series = data[col].dropna()
        top.plot(series.index, series / series.iloc[0] * 100.0, color=color, lw=1.2, label=str(col))
        bottom.plot(series.index, drawdowns(series) * 100.0, color=color, lw=0.9)
    top.set_yscale("log")
    top.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 7.0)))
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    top.yaxis.set_minor_formatter(NullFormatter())
    top.set_ylabel("growth of 100 (log)")
    top.legend(loc="upper left", frameon=False)
    top.set_title(textwrap.fill(title, 120), loc="left", fontsize=10)
    bottom.set_ylabel("drawdown, %")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.savefig(path, format="png")
    return path
