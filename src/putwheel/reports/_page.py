"""One self-contained HTML page for every report: plotly.js inlined once in the head, then each figure's div.

plotly.js is the vendored cartesian bundle (`vendor/README.md`: the trace types the reports draw, 1.5 MB instead of
the full 4.8 MB), so a page works offline and stays under 2 MB. Never prints.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

VENDOR = Path(__file__).with_name("vendor")
PLOTLY_JS = VENDOR / "plotly-cartesian.min.js"
CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table.metrics{border-collapse:collapse;margin:0.5em 0 1em;font-size:0.88em;display:block;overflow-x:auto;max-width:100%}
table.metrics td,table.metrics th{border:1px solid #ccc;padding:4px 7px;text-align:right;white-space:nowrap}
table.metrics td:first-child,table.metrics th:first-child{text-align:left} table.metrics td.wrap{white-space:normal;
text-align:left;min-width:18em} table.metrics th{background:#f4f5f7;vertical-align:bottom;white-space:normal}
.note{color:#666;font-size:0.9em} .figure{margin:1.5em 0}"""


@cache
def plotly_js() -> str:
    """The vendored plotly.js source (read once per process)."""
    return PLOTLY_JS.read_text(encoding="utf-8")


def plotly_js_version() -> str:
    """The vendored bundle's version, from its banner ("plotly.js (cartesian - minified) v4.1.1")."""
    head = plotly_js()[:200]
    return head.split(" v", 1)[1].split()[0] if " v" in head else "unknown"


def figure_div(fig: go.Figure, div_id: str) -> str:
    """The figure as a div and its Plotly.newPlot call, relying on the page's one plotly.js."""
    div = str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG))
    return f'<div class="figure">{div}</div>'


def page(title: str, intro: str, body: str, figures: list[go.Figure], after: str = "") -> str:
    """The page: title, `intro` and `body` (HTML), the figures (fig0, fig1, ...), then `after` (HTML)."""
    divs = "".join(figure_div(fig, f"fig{i}") for i, fig in enumerate(figures))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style>
<script type="text/javascript">{plotly_js()}</script>
</head><body>
<h1>{html.escape(title)}</h1>
{intro}
{body}
{divs}
{after}
</body></html>
"""


def write_page(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def calendar_series(series: pd.Series) -> tuple[str, np.ndarray]:
    """(first day, float32 values on every calendar day, NaN where the series has none), for a trace drawn with
    x0 + dx of one day: a daily curve costs 4 bytes a day instead of a date string per point."""
    s = series.dropna()
    days = pd.DatetimeIndex(s.index)
    grid = pd.date_range(days[0].normalize(), days[-1].normalize(), freq="D")
    values = pd.Series(s.to_numpy(dtype=float), index=days.normalize()).groupby(level=0).last().reindex(grid)
    return grid[0].strftime("%Y-%m-%d"), values.to_numpy(dtype=np.float32)


DAY_MS = 86_400_000


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log axis from `lo` to `hi`: powers of ten with 2 and 5 between (or finer steps when the range
    is narrow), so the axis shows a handful of labelled major ticks and no minor digits."""
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 or hi <= lo:
        return []
    for mults in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)):
        ticks = [m * 10.0**k for k in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
                 for m in mults if lo <= m * 10.0**k <= hi]
        if len(ticks) >= 4:
            return ticks
    raw = (hi - lo) / 5                                       # a narrow range: evenly spaced round numbers
    step = 10.0 ** np.floor(np.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    return [float(v) for v in np.arange(np.ceil(lo / step) * step, hi + step / 2, step)]


def tick_text(values: list[float]) -> list[str]:
    return [f"{v:,.0f}" if max(values, default=0) >= 20 else f"{v:,.4g}" for v in values]
