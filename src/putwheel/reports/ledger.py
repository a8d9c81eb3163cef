"""HTML report for the ledger: monthly realized income and wheel-cycle P&L, one self-contained plotly page.

Stages: month rows and cycles (from `putwheel.ledger`) -> two figures (stacked income by source per month with
the total; P&L per closed cycle coloured by outcome) -> a cycles table -> one HTML file (plotly.js inlined once). Never prints.
Amounts are Decimal in the ledger and become float only here, for drawing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import plotly.graph_objects as go

from putwheel.domain.errors import InputError
from putwheel.ledger import LedgerCycle, MonthIncome
from putwheel.reports._page import page, write_page

_SOURCES = (("options_realized", "options P&L", "#1f77b4"), ("stock_realized", "stock P&L", "#9467bd"),
            ("dividends", "dividends", "#2ca02c"), ("interest", "interest", "#17becf"), ("fees", "fees", "#d62728"))
_OUTCOME_COLORS = {"expired": "#2ca02c", "bought back": "#1f77b4", "called away": "#ff7f0e", "shares sold": "#9467bd"}


def _cents(value: Decimal | None) -> str:
    return "–" if value is None else f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,}"


def income_figure(months: Sequence[MonthIncome], currency: str) -> go.Figure:
    rows = [m for m in months if m.currency == currency]
    x = [m.month for m in rows]
    fig = go.Figure()
    for attr, name, color in _SOURCES:
        fig.add_trace(go.Bar(x=x, y=[float(getattr(m, attr)) for m in rows], name=name, marker_color=color))
    fig.add_trace(go.Scatter(x=x, y=[float(m.total) for m in rows], name="total realized", mode="lines+markers",
                             line={"color": "black", "width": 1.5}))
    fig.update_layout(barmode="relative", title=f"Realized income by month ({currency})", height=420,
                      margin={"t": 50, "b": 30}, legend={"orientation": "h", "y": -0.15},
                      yaxis={"tickformat": ",.0f", "title": f"realized, {currency}"})
    return fig


def cycles_figure(cycles: Sequence[LedgerCycle], as_of: date) -> go.Figure:
    closed = [c for c in cycles if c.end is not None]
    fig = go.Figure()
    for outcome, color in _OUTCOME_COLORS.items():
        rows = [c for c in closed if c.outcome == outcome]
        if not rows:
            continue
        fig.add_trace(go.Bar(
            x=[c.cycle_id for c in rows], y=[float(c.net_cash) for c in rows], name=outcome, marker_color=color,
            customdata=[[c.start.isoformat(), c.end.isoformat() if c.end else "", c.annualized_return(as_of) or 0.0]
                        for c in rows],
            hovertemplate="%{x}<br>%{customdata[0]} to %{customdata[1]}<br>P&L %{y:,.2f}"
                          "<br>annualized %{customdata[2]:.1%}<extra></extra>",
        ))
    fig.update_layout(title="P&L per closed wheel cycle", height=440, margin={"t": 80, "b": 110},
                      yaxis={"tickformat": ",.0f", "title": "cycle P&L"},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
                      xaxis={"tickangle": -30})
    return fig


def cycles_table(cycles: Sequence[LedgerCycle], as_of: date) -> str:
    head = ("cycle", "start", "end", "outcome", "assigned", "rolls", "premium net", "P&L", "capital", "annualized",
            "basis/sh", "breakeven")
    body = []
    for c in cycles:
        ann = c.annualized_return(as_of)
        cells = (c.cycle_id, c.start.isoformat(), c.end.isoformat() if c.end else "open", c.outcome or c.phase,
                 "yes" if c.assigned else "", str(len(c.rolls)), _cents(c.option_cash), _cents(c.pnl),
                 _cents(c.max_capital), "–" if ann is None else f"{ann:.1%}", _cents(c.cost_basis_per_share),
                 _cents(c.breakeven))
        body.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in cells) + "</tr>")
    return ('<table class="metrics"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


def write_ledger_report(months: Sequence[MonthIncome], cycles: Sequence[LedgerCycle], path: Path, *, title: str,
                        as_of: date) -> Path:
    """Write the report to `path` (plotly.js inlined once, so it opens offline)."""
    if not months and not cycles:
        raise InputError("the ledger holds no trades to report", hint="import or record trades first")
    currencies = sorted({m.currency for m in months})
    figures = [*(income_figure(months, cur) for cur in currencies), cycles_figure(cycles, as_of)]
    intro = (f"<p>As of {as_of.isoformat()}. Realized figures from the ledger's events; cycles run from the first "
             "open on an underlying until it is flat again.</p>")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_page(path, page(title, intro, "", figures, f"<h2>Wheel cycles</h2>{cycles_table(cycles, as_of)}"))
