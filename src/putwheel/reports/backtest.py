"""HTML reports for the put-writing and Wheel backtests: one self-contained plotly page each (the vendored
plotly.js inlined once: works offline, under 2 MB, see `_page.py`); and a PNG of equity vs benchmark with drawdowns
(matplotlib, Agg canvas) for terminals.

Stages: result frames -> figures (equity vs benchmark with daily drawdowns; monthly-return heatmaps side by side on
one colour scale; premium income and ITM expiries per month) -> metrics table next to the published figures -> one
HTML file. Never prints.
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
from putwheel.reports._page import DAY_MS, calendar_series, log_ticks, page, tick_text, write_page

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DD_MONTH_END = "max drawdown (month-end)"
DD_DAILY = "max drawdown (daily closes)"
_RELABEL = {"max drawdown": DD_MONTH_END, "max DD months": "max DD months (month-end)"}
_PCT_ROWS = {"CAGR", "volatility", DD_MONTH_END, DD_DAILY}


def curves_figure(curves: pd.DataFrame, markers: list[tuple[str, pd.DatetimeIndex, str]]) -> go.Figure:
    """Growth (log) of each column of `curves` with its drawdowns below; `markers` (label, days, colour) are drawn
    on the first curve (assignments, puts settled in the money). Daily curves go out as float32 on a calendar-day
    grid (x0 + one day per point), so 30 years of them cost kilobytes, not megabytes."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08,
                        subplot_titles=("Growth of 100 (log scale)",
                                        "Drawdown from the running peak, daily closes "
                                        "(the table's max drawdown (month-end) uses month-end values)"))
    lo, hi = np.inf, -np.inf
    for (name, series), color in zip(curves.items(), ("#1f77b4", "#d62728", "#2ca02c"), strict=False):
        clean = series.dropna()
        growth = clean / clean.iloc[0] * 100.0
        lo, hi = min(lo, float(growth.min())), max(hi, float(growth.max()))
        x0, y = calendar_series(growth)
        fig.add_trace(go.Scatter(x0=x0, dx=DAY_MS, y=y, connectgaps=True, name=str(name),
                                 line={"color": color, "width": 1.4},
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:,.1f}<extra>" + html.escape(str(name)) + "</extra>"),
                      1, 1)
        x0, dd = calendar_series(drawdowns(clean) * 100)
        fig.add_trace(go.Scatter(x0=x0, dx=DAY_MS, y=dd, connectgaps=True, name=f"{name} drawdown",
                                 line={"color": color, "width": 1}, showlegend=False,
                                 hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}% (daily)<extra>"
                                               + html.escape(str(name)) + "</extra>"), 2, 1)
    first = curves.iloc[:, 0].dropna()
    for label, days, color in markers:
        inside = days[(days >= first.index[0]) & (days <= first.index[-1])]
        marks = (first / first.iloc[0] * 100.0).reindex(inside, method="ffill")
        fig.add_trace(go.Scatter(x=[d.strftime("%Y-%m-%d") for d in marks.index], y=marks.to_numpy(), mode="markers",
                                 name=label, marker={"size": 9 if len(marks) < 60 else 4, "color": color, "symbol": "x",
                                                     "opacity": 0.8}), 1, 1)
    ticks = log_ticks(lo * 0.98, hi * 1.02)
    fig.update_xaxes(type="date")
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=tick_text(ticks), minor={"showgrid": False},
                     title_text="growth of 100 (log scale)", row=1, col=1)
    fig.update_yaxes(ticksuffix="%", title_text="drawdown", row=2, col=1)
    fig.update_annotations(font_size=13)
    fig.update_layout(height=650, margin={"t": 70, "b": 40},
                      legend={"orientation": "h", "x": 0, "y": 1.04, "yanchor": "bottom"})
    return fig


def equity_figure(result: PutWriteResult) -> go.Figure:
    daily = result.daily
    itm = result.cycles.dropna(subset=["payoff"])
    itm = itm[itm["payoff"] > 0]
    curves = pd.DataFrame({"PUT (model-priced)": daily["value"], "S&P 500 total return": daily["benchmark"]})
    return curves_figure(curves, [("put expired in the money", pd.DatetimeIndex(itm["expiry"]), "#ff7f0e")])


def monthly_table(values: pd.Series) -> pd.DataFrame:
    """Month-end to month-end returns in percent: one row per year, one column per month (1..12)."""
    monthly = month_end_values(values).pct_change().dropna() * 100
    idx = pd.DatetimeIndex(monthly.index)
    grid = pd.DataFrame({"year": idx.year, "month": idx.month, "ret": monthly.to_numpy()})
    return grid.pivot(index="year", columns="month", values="ret").reindex(columns=range(1, 13))


def heatmaps_figure(series: dict[str, pd.Series]) -> go.Figure:
    """Monthly returns of each series side by side on ONE symmetric colour scale (the same colour is the same return
    in every panel), the value printed in each cell."""
    tables = {name: monthly_table(values) for name, values in series.items()}
    years = sorted(set().union(*(t.index for t in tables.values())))
    finite = [np.abs(t.to_numpy()[np.isfinite(t.to_numpy())]) for t in tables.values()]
    peak = max((float(a.max()) for a in finite if a.size), default=1.0)
    limit = float(np.ceil(peak))
    fig = make_subplots(rows=1, cols=len(tables), shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=[f"{name} monthly returns" for name in tables])
    ylabels = [str(y) for y in years]
    for i, (name, table) in enumerate(tables.items(), start=1):
        z = table.reindex(years).to_numpy()
        fig.add_trace(go.Heatmap(z=z, x=MONTHS, y=ylabels, coloraxis="coloraxis", xgap=1, ygap=1,
                                 texttemplate="%{z:.1f}", textfont={"size": 9 if len(years) > 12 else 12},
                                 hovertemplate=html.escape(name) + "<br>%{y} %{x}: %{z:.2f}%<extra></extra>"), 1, i)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", tickfont={"size": 10})
    fig.update_annotations(font_size=13)
    fig.update_layout(
        title="Monthly returns, % (one colour scale for both panels)", height=max(280, 17 * len(years) + 150),
        margin={"t": 80, "b": 30},
        coloraxis={"colorscale": "RdYlGn", "cmin": -limit, "cmax": limit,
                   "colorbar": {"title": {"text": "monthly<br>return", "side": "top"}, "ticksuffix": "%"}})
    return fig


def income_figure(result: PutWriteResult) -> go.Figure:
    cyc = result.cycles
    income = cyc["premium"] / cyc["strike"] * 100
    loss = -cyc["payoff"].fillna(0.0) / cyc["strike"] * 100
    x = pd.to_datetime(cyc["write_date"]).dt.strftime("%Y-%m-%d")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=income, name="premium, % of strike", marker_color="#2ca02c"))
    fig.add_trace(go.Bar(x=x, y=loss, name="settlement paid, % of strike", marker_color="#d62728"))
    fig.update_layout(title="Premium income and settlement per monthly cycle", barmode="relative", height=380,
                      yaxis={"ticksuffix": "%", "title": "% of strike"}, margin={"t": 60, "b": 30},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"})
    return fig


def wheel_income_figure(result: WheelResult) -> go.Figure:
    """Net option income (premiums received less buy-backs) per month; the month's put assignments on a second axis
    only when there are any (no empty axis)."""
    income = result.monthly_income
    ev = result.events
    assigned = ev[ev["action"] == "assigned"]
    per_month = assigned.groupby(pd.to_datetime(assigned["date"]).dt.to_period("M")).size()
    fig = make_subplots(specs=[[{"secondary_y": bool(len(per_month))}]])
    x = [str(p) for p in income.index]
    fig.add_trace(go.Bar(x=x, y=income.to_numpy(), name="net option income", marker_color="#2ca02c"))
    title = "Net option income by month (premiums received less buy-backs)"
    if len(per_month):
        fig.add_trace(go.Scatter(x=[str(p) for p in per_month.index], y=per_month.to_numpy(), mode="markers",
                                 name="put assignments (right axis)",
                                 marker={"color": "#d62728", "size": 9, "symbol": "x"}), secondary_y=True)
        top = int(per_month.max())
        fig.update_yaxes(title_text="put assignments", secondary_y=True, range=[0, top + 1], dtick=max(1, (top + 1) // 5),
                         showgrid=False)
        title += " and put assignments"
    fig.update_yaxes(title_text="net option income", tickformat=",.0f", secondary_y=False)
    fig.update_layout(title=title, height=400, margin={"t": 70, "b": 30},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"})
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


EVENTS = {"date": "date", "symbol": "name", "action": "event", "strike": "strike", "expiry": "expiry",
          "contracts": "contracts", "cash_flow": "cash flow", "cycle_id": "cycle", "reason": "reason"}


def events_html(events: pd.DataFrame, limit: int = 200) -> str:
    """The assignments and call-aways as a table (the most recent `limit`), with readable headers."""
    ev = events[events["action"].isin(["assigned", "called_away"])].tail(limit)
    if ev.empty:
        return "<p>No put was assigned and no shares were called away in this period.</p>"
    cols = [c for c in EVENTS if c in ev.columns]
    head = "".join(f"<th>{EVENTS[c]}</th>" for c in cols)

    def fmt(c: str, v: object) -> str:
        if c in ("strike", "cash_flow"):
            return f"{float(v):,.2f}"  # type: ignore[arg-type]
        if c == "action":
            return html.escape(str(v).replace("_", " "))
        return html.escape(str(v))

    rows = "".join("<tr>" + "".join(f'<td{" class=wrap" if c == "reason" else ""}>{fmt(c, r[c])}</td>' for c in cols)
                   + "</tr>" for _, r in ev.iterrows())
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _daily_dd(values: pd.Series) -> float:
    return float(drawdowns(values).min())


def write_wheel_report(result: WheelResult, benchmark: Metrics, benchmark_values: pd.Series, benchmark_label: str,
                       path: Path, title: str, notes: tuple[str, ...] = (),
                       per_name: pd.DataFrame | None = None) -> Path:
    """The Wheel's report: equity and drawdowns vs the benchmark with assignments marked, monthly heatmaps, income
    by month, the metrics side by side, assignments and call-aways, per-name rows. Returns the path."""
    path = report_folder(path)
    ev = result.events
    markers = [("put assigned", pd.DatetimeIndex(pd.to_datetime(ev.loc[ev["action"] == "assigned", "date"])), "#ff7f0e"),
               ("shares called away", pd.DatetimeIndex(pd.to_datetime(ev.loc[ev["action"] == "called_away", "date"])),
                "#9467bd")]
    curves = pd.DataFrame({"Wheel (modelled option prices)": result.daily["value"], benchmark_label: benchmark_values})
    figures = [curves_figure(curves, markers),
               heatmaps_figure({"Wheel": result.daily["value"], benchmark_label: benchmark_values}),
               wheel_income_figure(result)]
    table = pd.DataFrame({"Wheel": result.metrics.as_dict(), benchmark_label: benchmark.as_dict()}).loc[
        ["cagr", "vol", "sharpe", "sortino", "max_drawdown", "max_drawdown_months"]]
    table.index = ["CAGR", "volatility", "Sharpe", "Sortino", "max drawdown", "max DD months"]
    daily = {"Wheel": _daily_dd(result.daily["value"]), benchmark_label: _daily_dd(benchmark_values)}
    extra = (f"Put assignment rate {result.assignment_rate:.1%}; time in shares {result.time_in_shares:.1%}; "
             f"final value {float(result.daily['value'].iloc[-1]):,.0f}.")
    names = "" if per_name is None else "<h2>Per name</h2>" + per_name_html(per_name)
    body = (f"<h2>Metrics</h2>{metrics_html(table, daily)}<p>{html.escape(extra)}</p>{DD_NOTE}{names}"
            f"<h2>Assignments and call-aways</h2>{events_html(ev)}")
    notes_html = "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    return write_page(path, page(title, f"<p>{html.escape(result.label)}</p>{notes_html}", body, figures))


DD_NOTE = ('<p class="note">Two drawdowns: "month-end" is measured on month-end values (as the published index '
            'figures are); "daily closes" on every day\'s close, so it is deeper. The drawdown chart is daily.</p>')


def report_folder(path: Path) -> Path:
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"folder {path.parent} does not exist", where="--report", hint="create it or pick another path")
    return path


def metrics_html(table: pd.DataFrame, daily_drawdown: dict[str, float] | None = None) -> str:
    """The comparison frame (from `api.backtest.comparison_frame`) as an HTML table; drawdown rows say they are on
    month-end values, and `daily_drawdown` (column -> deepest drawdown on daily closes) adds the daily row."""
    def cell(metric: str, value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "-"
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        number = float(value)  # type: ignore[arg-type]
        if metric in _PCT_ROWS:
            return f"{number:.2%}"
        return f"{number:.0f}" if "months" in metric else f"{number:.2f}"

    cols = [c for c in table.columns if not c.endswith("gap")]
    items = [(_RELABEL.get(str(m), str(m)), row.to_dict()) for m, row in table.iterrows()]
    if daily_drawdown:
        at = next((i + 1 for i, (m, _) in enumerate(items) if m == DD_MONTH_END), len(items))
        items.insert(at, (DD_DAILY, {c: daily_drawdown.get(c) for c in cols}))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["metric", *cols])
    rows = "".join("<tr><td>" + html.escape(m) + "</td>" + "".join(
        f"<td>{cell(m, row.get(c))}</td>" for c in cols) + "</tr>" for m, row in items)
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def write_putwrite_report(result: PutWriteResult, table: pd.DataFrame, path: Path, title: str) -> Path:
    """Write the report; returns the path. Raises InputError if the folder does not exist."""
    path = report_folder(path)
    figures = [equity_figure(result),
               heatmaps_figure({"PUT": result.daily["value"], "S&P 500 total return": result.daily["benchmark"]}),
               income_figure(result)]
    daily = {"PUT ours": _daily_dd(result.daily["value"]), "SPTR ours": _daily_dd(result.daily["benchmark"])}
    start, end = result.daily.index[0].date(), result.daily.index[-1].date()
    intro = (f"<p>{start} .. {end}. Data: {html.escape(result.label)}. Benchmark: {html.escape(result.benchmark_label)}."
             f"\nImplied vol days by source: {html.escape(str(result.iv_sources))}.</p>")
    body = f"""<h2>Metrics vs the published figures</h2>
{metrics_html(table, daily)}
<p class="note">Published: Bondarenko (2019), Cboe, monthly returns 1986-06-30..2018-12-31. Volatility = std of
monthly returns x sqrt(12); Sharpe and Sortino against the 3-month T-bill.</p>{DD_NOTE}"""
    return write_page(path, page(title, intro, body, figures))


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
