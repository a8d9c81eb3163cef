"""Parameter sweeps: one backtest per point of a grid, run serially, on a local process pool or on Ray.

Stages: grid (name -> values) -> points (the cartesian product, one dict each) -> `run_point` per point (the
same worker function on every executor) -> one flat row of metrics per point -> frame (in grid order) ->
Pareto flags for a return-vs-risk frontier.

Points: `putwrite` takes `delta` (None = the Cboe at-the-money rule); `wheel` takes `names` ("SPX", an embedded
name, or names joined by "+": one pool of cash, 1/n of the account per name), `delta`, `dte`, `profit_take`
(None = no early profit-taking) and `roll` ("credit", "any" or "never"); the Wheel runs on the compiled engine
(ADR 0007). The market history is shipped to each worker once (pool initializer / `ray.put`), not once per point.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from datetime import date
from multiprocessing import get_context
from typing import Any, Literal

import numpy as np
import pandas as pd

from putwheel.backtest.metrics import Metrics
from putwheel.backtest.putwrite import PutWriteConfig, run_putwrite
from putwheel.backtest.wheel import WheelConfig, run_wheel, run_wheel_portfolio
from putwheel.data.series import MarketHistory
from putwheel.domain import errors
from putwheel.domain.errors import ConfigError, InputError, PutwheelError

Kind = Literal["putwrite", "wheel"]
Executor = Literal["serial", "pool", "ray"]
OnDone = Callable[[int, int], None]
PARAMS: dict[str, tuple[str, ...]] = {"putwrite": ("delta",),
                                      "wheel": ("names", "delta", "dte", "profit_take", "roll")}
ROLL_CHOICES = ("credit", "any", "never")
METRIC_COLUMNS = ("cagr", "vol", "sharpe", "sortino", "max_drawdown", "max_drawdown_months", "months")


def grid_points(kind: Kind, grid: Mapping[str, Sequence[object]]) -> list[dict[str, object]]:
    """Cartesian product of `grid` in the order of PARAMS[kind]; a parameter left out keeps the engine default."""
    if kind not in PARAMS:
        raise InputError(f"unknown sweep kind {kind!r}", where="sweep", hint="use putwrite or wheel")
    extra = sorted(set(grid) - set(PARAMS[kind]))
    if extra:
        raise InputError(f"{kind} sweeps do not take {', '.join(extra)}", where=f"--{extra[0].replace('_', '-')}",
                         hint=f"{kind} varies {', '.join(PARAMS[kind])}")
    names = [p for p in PARAMS[kind] if p in grid]
    for name in names:
        if len(grid[name]) == 0:
            raise InputError(f"no values for {name}", where=f"--{name.replace('_', '-')}", hint="give at least one")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[n] for n in names))]


def _configs(kind: Kind, params: Mapping[str, Any]) -> PutWriteConfig | WheelConfig:
    if kind == "putwrite":
        return PutWriteConfig(put_delta=params.get("delta"))
    base = WheelConfig()
    rules = base.rules
    if "profit_take" in params:
        # None: no early profit-taking (100 % captured means the option is worth nothing: the same as expiring)
        rules = rules.model_copy(update={"take_profit_pct": params["profit_take"] or 1.0})
    roll = params.get("roll", "credit")
    rules = rules.model_copy(update={"roll_require_credit": roll != "any"})
    return replace(base, rules=rules, allow_rolls=roll != "never", put_delta=params.get("delta", base.put_delta),
                   put_dte=params.get("dte", base.put_dte))


def _metric_row(m: Metrics) -> dict[str, object]:
    return {k: getattr(m, k) for k in METRIC_COLUMNS}


def run_point(kind: Kind, history: MarketHistory, start: date, end: date, params: Mapping[str, Any]) -> dict[str, object]:
    """One backtest -> one flat row (the parameters, then the metrics). The worker of every executor.

    A PutwheelError comes back as an `_error` entry (exceptions with keyword arguments do not survive pickling
    across processes intact); `run_sweep` raises it again in the caller.
    """
    try:
        cfg = _configs(kind, params)
        if isinstance(cfg, PutWriteConfig):
            pw = run_putwrite(history, start, end, cfg)
            extra = {"final_value": float(pw.daily["value"].iloc[-1]), "cycles": len(pw.cycles),
                     "mean_premium_pct_of_strike": float((pw.cycles["premium"] / pw.cycles["strike"]).mean()),
                     "mean_strike_pct_of_spot": float((pw.cycles["strike"] / pw.cycles["spot"]).mean())}
            return {**params, **_metric_row(pw.putwrite), **extra}
        return {**params, **_wheel_row(history, start, end, cfg, str(params.get("names") or "SPX"))}
    except PutwheelError as exc:
        return {"_error": (type(exc).__name__, exc.message, exc.where, exc.hint)}


def _wheel_row(history: MarketHistory, start: date, end: date, cfg: WheelConfig, names: str) -> dict[str, object]:
    """Metrics of the Wheel on "SPX" (the SPY-like series built from the S&P 500 of `history`), one embedded name,
    or names joined by "+" (one pool of cash, each name capped at 1/n of the account at entry, staggered weekly
    expiries), all on the one Wheel engine."""
    if names == "SPX":
        wh = run_wheel(history, start, end, cfg)
    else:
        closes = _embedded_closes(names.split("+"))
        first, last = closes.index[min(30, len(closes) - 1)].date(), closes.index[-1].date()
        if len(closes.columns) == 1:
            wh = run_wheel(history, max(start, first), min(end, last), cfg, symbol=names,
                                    closes=closes[names])
        else:
            wh = run_wheel_portfolio(history, closes, max(start, first), min(end, last), cfg,
                                              max_pct_per_name=1.0 / len(closes.columns))
    income = wh.monthly_income
    return {**_metric_row(wh.metrics), "period": _period(wh.daily.index), "final_value": float(wh.daily["value"].iloc[-1]),
            "assignment_rate": wh.assignment_rate, "time_in_shares": wh.time_in_shares,
            "monthly_income_mean": float(income.mean()) if len(income) else 0.0, "trades": len(wh.events)}


def _period(days: pd.Index) -> str:
    """The days actually run (embedded single names only cover Dec 2015 - Dec 2017)."""
    return f"{pd.Timestamp(days[0]).date()}..{pd.Timestamp(days[-1]).date()}"


def _embedded_closes(names: list[str]) -> pd.DataFrame:
    from putwheel.data.universe import embedded_universe

    closes = embedded_universe().closes
    unknown = [n for n in names if n not in closes.columns]
    if unknown:
        raise InputError(f"no embedded closes for {unknown}", where="--names",
                         hint=f"SPX, or names from {', '.join(closes.columns)}, several joined with +")
    return closes[names].dropna()


# ------------------------------------------------------------------------------------------------ executors
_WORKER_HISTORY: MarketHistory | None = None


def _init_worker(history: MarketHistory) -> None:
    global _WORKER_HISTORY  # noqa: PLW0603 - one history per worker process, sent once by the pool initializer
    _WORKER_HISTORY = history


def _pool_point(kind: Kind, start: date, end: date, params: Mapping[str, Any]) -> dict[str, object]:
    assert _WORKER_HISTORY is not None, "pool worker started without its initializer"
    return run_point(kind, _WORKER_HISTORY, start, end, params)


def _run_pool(kind: Kind, history: MarketHistory, start: date, end: date, points: list[dict[str, object]],
              workers: int, on_done: OnDone) -> list[dict[str, object]]:
    rows: list[dict[str, object] | None] = [None] * len(points)
    # spawn: a forked child could inherit numba's worker threads mid-flight
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(history,)) as pool:
        futures = {pool.submit(_pool_point, kind, start, end, p): i for i, p in enumerate(points)}
        for n, fut in enumerate(as_completed(futures), 1):
            rows[futures[fut]] = fut.result()
            on_done(n, len(points))
    return [r for r in rows if r is not None]


def _run_ray(kind: Kind, history: MarketHistory, start: date, end: date, points: list[dict[str, object]],
             address: str | None, on_done: OnDone) -> list[dict[str, object]]:
    try:
        import ray
    except ImportError:
        raise ConfigError("Ray is not installed", where="--ray", hint="pip install 'putwheel[ray]' or drop --ray") from None
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(f"cannot connect to Ray at {address!r}: {exc}", where="--ray",
                              hint="start a cluster (ray start --head) or pass its address, e.g. --ray 10.0.0.5:6379") from None
    remote = ray.remote(run_point)
    ref = ray.put(history)
    pending = {remote.remote(kind, ref, start, end, p): i for i, p in enumerate(points)}
    rows: list[dict[str, object] | None] = [None] * len(points)
    waiting = list(pending)
    while waiting:
        done, waiting = ray.wait(waiting, num_returns=1)
        rows[pending[done[0]]] = ray.get(done[0])
        on_done(len(points) - len(waiting), len(points))
    return [r for r in rows if r is not None]


def run_sweep(kind: Kind, history: MarketHistory, start: date, end: date, points: list[dict[str, object]],
              executor: Executor = "pool", workers: int = 2, ray_address: str | None = None,
              on_done: OnDone | None = None) -> pd.DataFrame:
    """One row per point, in the order of `points`: the parameters, then the metrics (fractions, not percent)."""
    tick = on_done or (lambda _n, _total: None)
    if executor == "serial" or (executor == "pool" and (workers <= 1 or len(points) == 1)):
        rows = []
        for n, p in enumerate(points, 1):
            rows.append(run_point(kind, history, start, end, p))
            tick(n, len(points))
    elif executor == "pool":
        rows = _run_pool(kind, history, start, end, points, workers, tick)
    elif executor == "ray":
        rows = _run_ray(kind, history, start, end, points, ray_address, tick)
    else:
        raise InputError(f"unknown executor {executor!r}", where="run_sweep", hint="serial, pool or ray")
    for row in rows:
        if "_error" in row:
            name, message, where, hint = row["_error"]  # type: ignore[misc]
            raise getattr(errors, name, PutwheelError)(message, where=where, hint=hint)
    frame = pd.DataFrame(rows)
    frame.insert(0, "kind", kind)
    return frame


def pareto_mask(ret: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """True where no other point has at least the return with at most the risk, strictly better in one."""
    r, k = np.asarray(ret, dtype=float), np.asarray(risk, dtype=float)
    # [i, j]: point j against point i
    at_least = np.greater_equal.outer(r, r).T & np.less_equal.outer(k, k).T
    strictly = np.greater.outer(r, r).T | np.less.outer(k, k).T
    dominated = (at_least & strictly).any(axis=1)
    return ~dominated & np.isfinite(ret) & np.isfinite(risk)
