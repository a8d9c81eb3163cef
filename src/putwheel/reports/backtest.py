"""HTML report for a put-writing backtest: one self-contained plotly page (works offline, plotly.js inlined);
and a PNG of equity vs benchmark with drawdowns (matplotlib, Agg canvas) for terminals without a browser.

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

from putwheel.backtest.metrics import drawdowns, month_end_values
from putwheel.backtest.putwrite import PutWriteResult
from putwheel.domain.errors import InputError

_PCT_ROWS = {"CAGR", "volatility", "max drawdown"}


def equity_figure(result: PutWriteResult) -> go.Figure:
    daily = result.daily
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.05,
                        subplot_titles=("Growth of 100 (log scale)", "Drawdown from peak"))
    for col, name, color in (("value", "PUT (model-priced)", "#1f77b4"), ("benchmark", "S&P 500 total return", "#d62728")):
        fig.add_trace(go.Scatter(x=daily.index, y=daily[col], name=name, line={"color": color, "width": 1.4}), 1, 1)
        fig.add_trace(go.Scatter(x=daily.index, y=drawdowns(daily[col]) * 100, name=f"{name} drawdown",
                                 line={"color": color, "width": 1}, showlegend=False), 2, 1)
    itm = result.cycles.dropna(subset=["payoff"])
    itm = itm[(itm["payoff"] > 0) & (itm["expiry"] >= daily.index[0]) & (itm["expiry"] <= daily.index[-1])]
    marks = daily["value"].reindex(pd.DatetimeIndex(itm["expiry"]), method="ffill")
    fig.add_trace(go.Scatter(x=marks.index, y=marks.to_numpy(), mode="markers", name="put expired in the money",
                             marker={"size": 3, "color": "#ff7f0e", "opacity": 0.6}), 1, 1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(ticksuffix="%", row=2, col=1)
    fig.update_layout(height=620, margin={"t": 40, "b": 30}, legend={"orientation": "h", "y": 1.08})
    return fig


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
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"folder {path.parent} does not exist", where="--report", hint="create it or pick another path")
    figures = [equity_figure(result), heatmap_figure(result.daily["value"], "PUT monthly returns"),
               heatmap_figure(result.daily["benchmark"], "S&P 500 total return monthly returns"), income_figure(result)]
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"fig{i}") for i, fig in enumerate(figures)]
    start, end = result.daily.index[0].date(), result.daily.index[-1].date()
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table.metrics{{border-collapse:collapse}} table.metrics td,table.metrics th{{border:1px solid #ccc;padding:4px 10px;
text-align:right}} table.metrics td:first-child{{text-align:left}} .note{{color:#666;font-size:0.9em}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p>{start} .. {end}. Data: {html.escape(result.label)}. Benchmark: {html.escape(result.benchmark_label)}.
Implied vol days by source: {html.escape(str(result.iv_sources))}.</p>
<h2>Metrics vs the published figures</h2>
{metrics_html(table)}
<p class="note">Published: Bondarenko (2019), Cboe, monthly returns 1986-06-30..2018-12-31. Volatility = std of
monthly returns x sqrt(12); Sharpe and Sortino against the 3-month T-bill; drawdowns on month-end values.</p>
{"".join(parts)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


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
