"""Frontier chart of a parameter sweep: one self-contained plotly page (plotly.js inlined once, works offline).

Stages: sweep frame -> (risk, return) per point with its parameters as hover text -> Pareto points highlighted and
joined -> the chart and a table of every parameter set -> one HTML file. Never prints.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from putwheel.backtest.sweep import pareto_mask
from putwheel.domain.errors import InputError
from putwheel.reports._page import page, write_page

# frontier name -> (risk column, axis title); risk is plotted as a positive number (drawdown depth)
FRONTIERS = {"vol": ("vol", "volatility (std of monthly returns x sqrt(12))"), "drawdown": ("max_drawdown", "max drawdown")}


def frontier_points(frame: pd.DataFrame, frontier: str = "vol") -> pd.DataFrame:
    """`risk`, `return` (both fractions, risk >= 0) and `pareto` per row of the sweep frame."""
    if frontier not in FRONTIERS:
        raise InputError(f"unknown frontier {frontier!r}", where="--frontier", hint="vol or drawdown")
    risk = frame[FRONTIERS[frontier][0]].astype(float).abs()
    ret = frame["cagr"].astype(float)
    pareto = np.zeros(len(frame), dtype=bool)   # a frontier per period: rows over other periods do not compete
    groups = frame["period"].astype(str).to_numpy() if "period" in frame.columns else np.zeros(len(frame), dtype=int)
    for g in pd.unique(groups):
        mine = groups == g
        pareto[mine] = pareto_mask(ret.to_numpy()[mine], risk.to_numpy()[mine])
    return pd.DataFrame({"risk": risk, "return": ret, "pareto": pareto}, index=frame.index)


def _label(row: pd.Series, params: list[str]) -> str:
    return ", ".join(f"{p}={'none' if pd.isna(row[p]) else row[p]}" for p in params)


def frontier_figure(frame: pd.DataFrame, params: list[str], frontier: str = "vol", title: str = "") -> go.Figure:
    pts = frontier_points(frame, frontier)
    text = [_label(row, params) for _, row in frame.iterrows()]
    fig = go.Figure()
    rest = ~pts["pareto"]
    fig.add_trace(go.Scatter(x=pts["risk"][rest] * 100, y=pts["return"][rest] * 100, mode="markers", name="parameter set",
                             text=[t for t, r in zip(text, rest, strict=True) if r],
                             marker={"size": 8, "color": "#9aa5b1"},
                             hovertemplate="%{text}<br>risk %{x:.2f}%<br>CAGR %{y:.2f}%<extra></extra>"))
    front = pts[pts["pareto"]].sort_values("risk")
    fig.add_trace(go.Scatter(x=front["risk"] * 100, y=front["return"] * 100, mode="lines+markers", name="Pareto frontier",
                             text=[text[frame.index.get_loc(i)] for i in front.index],
                             marker={"size": 11, "color": "#d62728", "symbol": "diamond"}, line={"dash": "dot"},
                             hovertemplate="%{text}<br>risk %{x:.2f}%<br>CAGR %{y:.2f}%<extra></extra>"))
    fig.update_layout(title=title, height=500, margin={"t": 90 if title else 40, "b": 60},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
                      xaxis={"title": FRONTIERS[frontier][1], "ticksuffix": "%"},
                      yaxis={"title": "CAGR", "ticksuffix": "%"})
    return fig


_COLUMNS = {"cagr": ("CAGR", "{:.2%}"), "vol": ("volatility", "{:.2%}"), "sharpe": ("Sharpe", "{:.2f}"),
            "max_drawdown": ("max drawdown (month-end)", "{:.2%}")}


def points_html(frame: pd.DataFrame, params: list[str], frontier: str = "vol") -> str:
    """Every parameter set as a row (frontier points first, then by CAGR): what the chart's hover text shows."""
    pts = frontier_points(frame, frontier)
    order = pd.DataFrame({"p": ~pts["pareto"], "c": -pts["return"]}).sort_values(["p", "c"], kind="stable").index
    extra = [c for c in ("period",) if c in frame.columns]
    metric_cols = [c for c in _COLUMNS if c in frame.columns]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   [*(p.replace("_", " ") for p in params), *extra, *(_COLUMNS[c][0] for c in metric_cols), "frontier"])

    def value(v: object) -> str:
        return "none" if v is None or (isinstance(v, float) and np.isnan(v)) else html.escape(str(v))

    rows = []
    for i in order:
        row = frame.loc[i]
        cells = [value(row[p]) for p in [*params, *extra]]
        cells += ["-" if pd.isna(row[c]) else _COLUMNS[c][1].format(float(row[c])) for c in metric_cols]
        cells.append("yes" if pts.loc[i, "pareto"] else "")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def write_frontier(frame: pd.DataFrame, params: list[str], path: Path, frontier: str = "vol", title: str = "Sweep") -> Path:
    """Write the frontier page (the chart, then every parameter set as a table); returns the path. Raises InputError
    if the folder does not exist."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"folder {path.parent} does not exist", where="--chart", hint="create it or pick another path")
    fig = frontier_figure(frame, params, frontier)      # the page's heading carries the title
    intro = (f'<p class="note">{len(frame)} parameter sets; red diamonds: no other set over the same period has at '
             "least the CAGR with at most the risk.</p>")
    after = f"<h2>Parameter sets</h2>{points_html(frame, params, frontier)}"
    return write_page(path, page(title, intro, "", [fig], after))
