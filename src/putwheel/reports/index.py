"""HTML report of one Cboe benchmark index (PUT, WPUT, BXM, BXMD, PPUT, CLL) run on the Wheel engine's legs.

Stages: the run's daily values, the S&P 500 total return and (when given) the official index's levels -> figures
(growth of 100 and drawdowns side by side; monthly-return heatmaps, ours against the official index or the S&P 500;
with an official series, the monthly return difference and its trailing 12-month tracking error) -> tables (the
published comparisons, the official-series windows, the premium level check) -> one self-contained page. Never
prints. The official series is the user's own file or cache (Cboe's licence forbids redistributing it): the page
is written where the user asks and nothing of it is kept.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from putwheel.backtest.index_checks import Comparison, Tracking, aligned_monthly
from putwheel.backtest.indexes import IndexResult
from putwheel.reports._page import page, write_page
from putwheel.reports.backtest import DD_NOTE, curves_figure, heatmaps_figure, report_folder

WINDOW_NAMES = {"all": "whole overlap", "in": "in sample (to 2018-12)", "out": "out of sample (2019 on)"}


def _pct(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}%}"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" (ok)" if ok else " (miss)")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<table class="metrics"><thead><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in head)}</tr></thead>'
            f"<tbody>{cells}</tbody></table>")


def published_html(comparisons: Sequence[Comparison]) -> str:
    """Ours beside each published figure whose window the run covers (CAGR and vol, with the tolerance verdict)."""
    if not comparisons:
        return '<p class="note">No published figure covers this run\'s window.</p>'
    rows = [[f"{c.published.start} .. {c.published.end}", c.published.source + (f" [{i}]" if c.published.caveat else ""),
             _pct(c.ours.cagr) + _mark(c.within_cagr), _pct(c.published.cagr),
             _pct(c.ours.vol) + _mark(c.within_vol), _pct(c.published.vol)]
            for i, c in enumerate(comparisons, start=1)]
    caveats = "".join(f'<p class="note">[{i}] {html.escape(c.published.caveat)}</p>'
                      for i, c in enumerate(comparisons, start=1) if c.published.caveat)
    return _table(["window", "source", "CAGR ours", "CAGR published", "vol ours", "vol published"], rows) + caveats


def official_html(windows: Sequence[Tracking], source: str | None) -> str:
    """Monthly correlation, tracking error and CAGRs against the official index per window."""
    if not windows:
        return ('<p class="note">No official series given (putwheel data fetch cboe:NAME, or --official FILE): '
                "correlation and tracking error not measured.</p>")
    rows = [[WINDOW_NAMES.get(t.window, t.window), f"{t.start} .. {t.end}", str(t.months),
             f"{t.correlation:.3f}{_mark(t.corr_ok)}", _pct(t.tracking_error) + _mark(t.te_ok),
             _pct(t.cagr_ours), _pct(t.cagr_official), _pct(t.vol_ours), _pct(t.vol_official)] for t in windows]
    head = ["window", "span", "months", "corr", "TE / yr", "CAGR ours", "CAGR official", "vol ours", "vol official"]
    return _table(head, rows) + f'<p class="note">Official series: {html.escape(source or "")}.</p>'


def by_market_html(split: Sequence[dict[str, object]], label: str) -> str:
    """Ours minus official by the month's market return (`backtest.index_checks.by_market`)."""
    if not split:
        return ""
    whole = split[0]
    rows = [[str(b["bucket"]), str(b["months"]),
             "-" if b["mean_diff_per_year"] is None else f"{float(b['mean_diff_per_year']) * 100:+.2f} pp"]  # type: ignore[arg-type]
            for b in split]
    return (f"<h3>The difference by the month's {html.escape(label)}</h3>"
            + _table(["month's market return", "months", "ours - official, mean x 12"], rows)
            + f'<p class="note">OLS slope of the monthly difference on the market return: '
              f"{float(whole['slope']):+.3f} (a level error shows in every bucket alike; a payoff or smile "  # type: ignore[arg-type]
              "error leans on the month's sign).</p>")


def premium_html(premiums: Sequence[dict[str, object]]) -> str:
    """Our mean premium per roll beside each published premium level (the implied-vol check that uses no return)."""
    if not premiums:
        return ""
    rows = [[f"{p['start']} .. {p['end']}", str(p["source"]), str(p["rolls"]), _pct(float(p["ours_per_roll"]), 3),  # type: ignore[arg-type]
             _pct(float(p["published_per_roll"]), 3), f"{float(p['ratio']):.3f}"] for p in premiums]  # type: ignore[arg-type]
    return "<h2>Premium per roll</h2>" + _table(["window", "source", "rolls", "ours", "published", "ratio"], rows)


def difference_figure(both: pd.DataFrame, name: str) -> go.Figure:
    """Ours minus official, each month (bars, pp), and the trailing 12-month tracking error (line, % a year)."""
    diff = (both["ours"] - both["official"]) * 100
    te = diff.rolling(12).std(ddof=1) * np.sqrt(12.0)
    months = [str(p) for p in both.index]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=months, y=diff.to_numpy(), name="ours - official, pp",
                         marker={"color": np.where(diff.to_numpy() >= 0, "#1f77b4", "#d62728")},
                         hovertemplate="%{x}: %{y:.2f} pp<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=months, y=te.to_numpy(), name="12-month tracking error, % a year",
                             line={"color": "#2ca02c", "width": 1.6},
                             hovertemplate="%{x}: %{y:.2f} %/yr<extra></extra>"), secondary_y=True)
    fig.update_yaxes(title_text="monthly difference, pp", secondary_y=False)
    fig.update_yaxes(title_text="tracking error, % a year", secondary_y=True, rangemode="tozero", tickmode="auto",
                     tickformat=".1f", showgrid=False)
    fig.update_xaxes(type="category", nticks=24)
    fig.update_layout(title=f"{name}: our monthly return minus the official index's", height=420,
                      legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}, margin={"t": 90})
    return fig


def write_index_report(result: IndexResult, benchmark: pd.Series, benchmark_label: str, title: str,
                       comparisons: Sequence[Comparison], premiums: Sequence[dict[str, object]],
                       official_levels: pd.Series | None, official_source: str | None, windows: Sequence[Tracking],
                       split: Sequence[dict[str, object]], verdict: str, path: Path,
                       notes: Sequence[str] = ()) -> Path:
    """Write the page; returns the path. Raises InputError if the folder does not exist."""
    path = report_folder(path)
    days = result.daily.index
    ours = f"{result.name} (ours, modelled option prices)"
    curves = {ours: result.daily["value"], benchmark_label: benchmark.loc[days[0]: days[-1]]}
    heat = {f"{result.name} ours": result.daily["value"]}
    figures: list[go.Figure] = []
    both = None
    if official_levels is not None:
        official = official_levels.loc[days[0] - pd.Timedelta(days=31): days[-1]]
        curves[f"{result.name} official (month-ends)"] = official
        heat[f"{result.name} official"] = official
        both = aligned_monthly(result.monthly, official_levels)
    else:
        heat[benchmark_label] = curves[benchmark_label]
    figures += [curves_figure(pd.DataFrame(curves), []), heatmaps_figure(heat)]
    if both is not None and len(both) >= 12:
        figures.append(difference_figure(both, result.name))
    body = (f"<h2>Against the published figures</h2>{published_html(comparisons)}"
            f"<h2>Against the official index</h2>{official_html(windows, official_source)}"
            f"{by_market_html(split, benchmark_label)}"
            f"{premium_html(premiums)}<p><b>Verdict: {html.escape(verdict)}</b> (CAGR within 0.5 pp, vol within "
            f"0.75 pp, monthly correlation &gt;= 0.98; PUT's tracking error within target)</p>{DD_NOTE}")
    intro = f"<p>{html.escape(result.label)}</p>" + "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    return write_page(path, page(title, intro, body, figures))
