"""Sweep facade: parse the grid flags, load the data once, run every point (pool, Ray or serially), flag the
Pareto points, sort, and write Parquet and the frontier chart.

Stages: flags -> grid (checked; a bad value is an InputError naming its flag) -> `backtest.sweep.run_sweep` ->
frame sorted by a metric -> optional Parquet / HTML. `progress(done, total)` is called per finished point.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from putwheel.api.backtest import DataChoice, _data_end, _load
from putwheel.backtest.sweep import METRIC_COLUMNS, PARAMS, ROLL_CHOICES, Executor, Kind, grid_points, run_sweep
from putwheel.domain.errors import InputError

GridValue = str | Sequence[object] | None
# Defaults when a flag is not given: the engines' own (putwrite: the Cboe at-the-money rule).
DEFAULTS: dict[str, dict[str, str]] = {"putwrite": {"delta": "atm"},
                                       "wheel": {"names": "SPX", "delta": "0.30", "dte": "35", "profit_take": "0.5",
                                                 "roll": "credit"}}
ASCENDING = {"vol", "max_drawdown_months", "assignment_rate", "time_in_shares"}   # smaller is better
SORTABLE = (*METRIC_COLUMNS, "final_value", "assignment_rate", "time_in_shares", "monthly_income_mean")


def _one(name: str, item: object) -> object:
    flag, text = f"--{name.replace('_', '-')}", str(item).strip().lower()
    try:
        if name == "roll":
            if text not in ROLL_CHOICES:
                raise ValueError
            return text
        if name == "names":
            parts = [p.strip().upper() for p in text.split("+")]
            if not all(p.replace(".", "").isalnum() for p in parts) or len(set(parts)) != len(parts):
                raise ValueError
            return "+".join(parts)
        if name == "delta" and text == "atm":
            return None
        if name == "profit_take" and text == "none":
            return None
        if name == "dte":
            value: float = int(text)
            ok = 7 <= value <= 120
        else:
            value = float(text)
            ok = 0.0 < value < 1.0 if name == "delta" else 0.0 < value <= 1.0
    except ValueError:
        ok = False
    if not ok:
        hints = {"delta": "|delta| strictly between 0 and 1, e.g. 0.15,0.25,0.35 (putwrite also takes atm)",
                 "dte": "whole days in 7..120, e.g. 30,45",
                 "profit_take": "a share of max profit in (0, 1] or none, e.g. 0.5,0.75,none",
                 "roll": "credit, any or never",
                 "names": "SPX or embedded symbols, several sharing one pool of cash joined by +, e.g. SPX,AAPL,AAPL+MSFT"}
        raise InputError(f"{flag} value {item!r} is not valid", where=flag, hint=hints[name])
    return value


def parse_grid(kind: Kind, **flags: GridValue) -> dict[str, list[object]]:
    """Grid from comma-separated strings (or sequences); flags not given take DEFAULTS[kind]."""
    if kind not in PARAMS:
        raise InputError(f"unknown sweep kind {kind!r}", where="sweep", hint="use putwrite or wheel")
    grid: dict[str, list[object]] = {}
    for name, raw in flags.items():
        flag = f"--{name.replace('_', '-')}"
        if raw is None:
            continue
        if name not in PARAMS[kind]:
            raise InputError(f"{flag} does not apply to {kind} sweeps", where=flag,
                             hint=f"{kind} varies {', '.join('--' + p.replace('_', '-') for p in PARAMS[kind])}")
        items = [s for s in raw.split(",")] if isinstance(raw, str) else list(raw)
        if not items or any(str(s).strip() == "" for s in items):
            raise InputError(f"{flag} has an empty value", where=flag, hint="comma-separated values, e.g. 0.25,0.35")
        values = [_one(name, s) for s in items]
        grid[name] = list(dict.fromkeys(values))      # duplicates would only repeat a backtest
    for name, text in DEFAULTS[kind].items():
        grid.setdefault(name, [_one(name, s) for s in text.split(",")])
    return grid


def sort_sweep(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Best first: descending, except risk-like columns (vol, drawdown length, assignment rate, time in shares).
    Rows run over different periods are not ranked against each other: they are grouped by `period` (longest
    first), best first within each."""
    if by not in frame.columns or by not in SORTABLE:
        have = [c for c in SORTABLE if c in frame.columns]
        raise InputError(f"cannot sort by {by!r}", where="--sort", hint=f"one of {', '.join(have)}")
    if "period" not in frame.columns or frame["period"].nunique() < 2:
        return frame.sort_values(by, ascending=by in ASCENDING, kind="stable", na_position="last").reset_index(drop=True)
    order = frame["period"].map(frame.groupby("period")["period"].size().rank(ascending=False, method="first"))
    return (frame.assign(_group=order).sort_values(["_group", by], ascending=[True, by in ASCENDING], kind="stable",
                                                   na_position="last").drop(columns="_group").reset_index(drop=True))


def sweep(kind: Kind, start: date, end: date, *, delta: GridValue = None, dte: GridValue = None,
          profit_take: GridValue = None, roll: GridValue = None, names: GridValue = None, data: DataChoice = "auto",
          workers: int | None = None,
          ray: str | None = None, serial: bool = False, sort_by: str = "sharpe", frontier: str = "vol",
          out: Path | None = None, chart: Path | None = None,
          progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run `kind` (putwrite or wheel) over the grid; one row per parameter set with all metrics, best first.

    Executors: a local process pool of `workers` (default: all CPUs), Ray at `ray` ("auto" or an address), or
    `serial`. Columns: kind, the parameters, cagr, vol, sharpe, sortino, max_drawdown(_months), months, the
    engine's extras, and `pareto` (on the CAGR-vs-`frontier` chart). `frame.attrs` holds data, start and end.
    """
    from putwheel.reports.sweep import FRONTIERS, frontier_points, write_frontier

    if frontier not in FRONTIERS:
        raise InputError(f"unknown frontier {frontier!r}", where="--frontier", hint=" or ".join(FRONTIERS))
    if sort_by not in SORTABLE:
        raise InputError(f"cannot sort by {sort_by!r}", where="--sort", hint=f"one of {', '.join(SORTABLE)}")
    for path, flag in ((out, "--out"), (chart, "--chart")):
        if path is not None and not Path(path).parent.exists():
            raise InputError(f"folder {Path(path).parent} does not exist", where=flag, hint="create it or pick another path")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers} must be at least 1", where="--workers", hint="e.g. 4")
    points = grid_points(kind, parse_grid(kind, delta=delta, dte=dte, profit_take=profit_take, roll=roll, names=names))
    history, used = _load(data)
    eff_end = min(pd.Timestamp(end), _data_end(history)).date()
    executor: Executor = "serial" if serial else "ray" if ray else "pool"
    frame = run_sweep(kind, history, start, eff_end, points, executor, workers or os.cpu_count() or 1, ray,
                      progress)
    frame["pareto"] = frontier_points(frame, frontier)["pareto"].to_numpy()
    frame = sort_sweep(frame, sort_by)
    frame.attrs.update({"kind": kind, "data": used, "start": start.isoformat(), "end": eff_end.isoformat(),
                        "modelled": used == "embedded" or kind == "wheel", "frontier": frontier})
    if out is not None:
        frame.to_parquet(out, index=False)
    if chart is not None:
        params = [p for p in PARAMS[kind] if p in frame.columns]
        write_frontier(frame, params, Path(chart), frontier,
                       title=f"{kind} sweep, {start}..{eff_end}, {used} data: CAGR vs {frontier}")
    return frame
