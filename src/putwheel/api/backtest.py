"""Backtest facade: pick the data (shared real series or the embedded default), run the model-priced Cboe PUT,
compare with the published table, optionally write the HTML report.

Stages: choose data -> clamp the period to what the data covers -> `run_putwrite` -> comparison frame -> report.
`progress(stage, fraction)` is called between stages so the CLI can draw a bar; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import modelled_vol_label, total_return_index, vol_rule_label
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values
from putwheel.backtest.published import PUBLISHED, PUBLISHED_END, PUBLISHED_SOURCE, PUBLISHED_START, TOLERANCE
from putwheel.backtest.putwrite import PutWriteConfig, PutWriteResult, run_putwrite
from putwheel.backtest.wheel import EVENT_COLUMNS, WheelConfig, WheelResult, run_wheel, run_wheel_portfolio
from putwheel.data.series import MarketHistory, load_embedded_history, load_shared_history
from putwheel.data.shared import ENV_VAR, shared_root
from putwheel.domain.errors import DataError, InputError
from putwheel.strategy import ManageRules

DataChoice = Literal["auto", "shared", "embedded"]
Progress = Callable[[str, float], None]
# Vol is the std of monthly returns x sqrt(12); Sharpe and Sortino are against the 3-month T-bill (as the study).
METRIC_NAMES = {"cagr": "CAGR", "vol": "volatility", "sharpe": "Sharpe", "sortino": "Sortino",
                "max_drawdown": "max drawdown", "max_drawdown_months": "max DD months"}


def _finite(value: object) -> object:
    """JSON-safe: NaN / inf (e.g. a Sortino with no losing month) become None, recursively."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class PutWriteBacktest:
    """What `putwheel backtest putwrite` shows: the result, the period actually run, and the published comparison."""

    result: PutWriteResult
    data: str
    modelled: bool
    start: date
    end: date
    requested_end: date
    comparison: pd.DataFrame
    matches_published_period: bool
    notes: tuple[str, ...]
    report_path: Path | None = None
    png_path: Path | None = None

    @property
    def misses(self) -> list[tuple[str, str, float, float, float]]:
        """(leg, metric, ours, published, tolerance) of every published figure outside the reproduction tolerance."""
        keys = {label: key for key, label in METRIC_NAMES.items()}
        out = []
        for metric, row in self.comparison.iterrows():
            for leg in ("PUT", "SPTR"):
                if row[f"{leg} within tolerance"] is False:
                    out.append((leg, str(metric), float(row[f"{leg} ours"]), float(row[f"{leg} published"]),
                                TOLERANCE[keys[str(metric)]]))
        return out

    @property
    def verdict(self) -> str:
        """"reproduces" (every published figure within tolerance over the published window), "misses" (some figure
        outside it) or "other_window" (all within, but not over the published window)."""
        if self.misses:
            return "misses"
        return "reproduces" if self.matches_published_period else "other_window"

    @property
    def published_source(self) -> str:
        return PUBLISHED_SOURCE

    def as_dict(self) -> dict[str, object]:
        return _finite({  # type: ignore[return-value]
            "data": self.data, "modelled": self.modelled, "label": self.result.label,
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "benchmark": self.result.benchmark_label, "iv_sources_days": self.result.iv_sources,
            "published_source": PUBLISHED_SOURCE, "matches_published_period": self.matches_published_period,
            "verdict": self.verdict,
            "misses": [{"leg": leg, "metric": m, "ours": o, "published": p, "tolerance": t}
                       for leg, m, o, p, t in self.misses],
            "metrics": self.comparison.astype(object).where(self.comparison.notna(), None).reset_index().to_dict(
                orient="records"),
            "notes": list(self.notes), "report": str(self.report_path) if self.report_path else None,
            "png": str(self.png_path) if self.png_path else None,
        })


def _load(data: DataChoice) -> tuple[MarketHistory, str]:
    root = shared_root()
    if data == "shared" and root is None:
        raise DataError("the shared data folder was not found", where=ENV_VAR,
                        hint=f"set {ENV_VAR}=/path/to/shared, or use --data embedded")
    if data in ("shared", "auto") and root is not None:
        return load_shared_history(root), "shared"
    if data not in ("auto", "embedded", "shared"):
        raise InputError(f"unknown data choice {data!r}", where="--data", hint="use shared, embedded or auto")
    return load_embedded_history(), "embedded"


def _data_end(history: MarketHistory) -> pd.Timestamp:
    """Last day every required series covers (monthly T-bill returns cover their whole month)."""
    last = min(history.spx.index[-1], history.tbill_pct.index[-1] + pd.offsets.MonthEnd(0))
    return pd.Timestamp(history.spx.index[history.spx.index <= last][-1])


def comparison_frame(result: PutWriteResult) -> pd.DataFrame:
    """Rows: metrics; columns: ours and published for PUT and the S&P 500 total return, the gaps, within tolerance."""
    rows = []
    for key, label in METRIC_NAMES.items():
        row: dict[str, object] = {"metric": label}
        for leg, ours in (("PUT", result.putwrite), ("SPTR", result.benchmark)):
            got = float(getattr(ours, key))
            want = PUBLISHED[leg].get(key)
            row[f"{leg} ours"] = got
            row[f"{leg} published"] = want
            row[f"{leg} gap"] = None if want is None else got - want
            row[f"{leg} within tolerance"] = None if want is None else abs(got - want) <= TOLERANCE[key]
        rows.append(row)
    return pd.DataFrame(rows).set_index("metric")


def _check_folder(path: Path | None, option: str) -> None:
    if path is not None and not Path(path).parent.exists():
        raise InputError(f"folder {Path(path).parent} does not exist", where=option, hint="create it or pick another path")


def backtest_putwrite(start: date, end: date, data: DataChoice = "auto", report: Path | None = None,
                      config: PutWriteConfig | None = None, progress: Progress | None = None,
                      png: Path | None = None) -> PutWriteBacktest:
    """Model-priced Cboe PUT vs the S&P 500 total return from `start` to `end` (clamped to the data);
    optionally an HTML report (`report`) and a PNG of equity and drawdowns (`png`)."""
    tick = progress or (lambda _stage, _done: None)
    _check_folder(report, "--report")
    _check_folder(png, "--png")
    tick("loading market history", 0.05)
    history, used = _load(data)
    data_end = _data_end(history)
    eff_end = min(pd.Timestamp(end), data_end).date()
    notes = []
    if eff_end < end:
        notes.append(f"{used} data ends {data_end.date()}: ran to {eff_end} instead of {end}")
    tick("pricing puts and marking the account", 0.35)
    result = run_putwrite(history, start, eff_end, config)
    tick("computing metrics", 0.75)
    table = comparison_frame(result)
    modelled_days = result.iv_sources.get("modelled", 0)
    modelled = used == "embedded" or modelled_days > 0
    if modelled_days:
        notes.append(f"implied vol MODELLED from realized vol on {modelled_days} of {len(result.daily)} days "
                     f"(no VXO/VIX covers them): {modelled_vol_label((config or PutWriteConfig()).iv_model)}")
    if history.div_yield_pct is None:
        cfg = config or PutWriteConfig()
        notes.append(f"dividends at an assumed {cfg.assumed_dividend_yield:.1%} yield (no yield series in the data)")
    if result.iv_sources.get("VIX", 0) or result.iv_sources.get("VXO", 0):
        notes.append(f"{vol_rule_label((config or PutWriteConfig()).iv_model)} (ADR 0006; the rule of "
                     "`backtest index`)")
    notes.append("settles and re-writes at the expiration-day close (the index uses the SET open and 11:00 ET where "
                 "the open is an opening print)")
    path = None
    if report is not None:
        tick("writing the HTML report", 0.85)
        from putwheel.reports.backtest import write_putwrite_report
        path = write_putwrite_report(result, table, report, title=f"Cboe PUT, model-priced ({used} data)")
    png_path = None
    if png is not None:
        from putwheel.reports.backtest import write_png
        curves = result.daily[["value", "benchmark"]].set_axis(["PUT (model-priced)", result.benchmark_label], axis=1)
        png_path = write_png(curves, png, f"Cboe PUT, model-priced ({used} data) vs {result.benchmark_label}")
    tick("done", 1.0)
    matches = start == PUBLISHED_START and eff_end == PUBLISHED_END
    return PutWriteBacktest(result=result, data=used, modelled=modelled, start=result.daily.index[0].date(),
                            end=result.daily.index[-1].date(), requested_end=end, comparison=table,
                            matches_published_period=matches, notes=tuple(notes), report_path=path,
                            png_path=png_path)


@dataclass(frozen=True)
class WheelBacktest:
    """What `putwheel backtest wheel` shows: the Wheel's result and buy-and-hold over the same days."""

    result: WheelResult
    benchmark: Metrics
    data: str
    start: date
    end: date
    notes: tuple[str, ...]
    benchmark_values: pd.Series | None = None
    benchmark_label: str = "S&P 500 total return"
    png_path: Path | None = None
    report_path: Path | None = None

    @property
    def per_name(self) -> pd.DataFrame | None:
        """One row per name (puts sold / assigned, calls away, time in shares) for a several-name run."""
        return self.result.per_name

    def as_dict(self) -> dict[str, object]:
        res = self.result
        out = {"data": self.data, "label": res.label, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "wheel": res.metrics.as_dict(), "buy_and_hold": self.benchmark.as_dict(),
                "benchmark": self.benchmark_label,
                "assignment_rate": res.assignment_rate, "time_in_shares": res.time_in_shares,
                "monthly_income_mean": float(res.monthly_income.mean()) if len(res.monthly_income) else 0.0,
                "monthly_income_months": len(res.monthly_income), "open_premium": res.open_premium,
                "event_count": len(res.events), "events": _events_json(res.events),
                "final_value": float(res.daily["value"].iloc[-1]), "notes": list(self.notes),
                "png": str(self.png_path) if self.png_path else None,
                "report": str(self.report_path) if self.report_path else None}
        if self.per_name is not None:
            out["per_name"] = self.per_name.reset_index().to_dict(orient="records")
            out["min_free_cash"] = float(res.daily["free_cash"].min())
        return _finite(out)  # type: ignore[return-value]


def _events_json(events: pd.DataFrame) -> list[dict[str, object]]:
    cols = [c for c in EVENT_COLUMNS if c not in ("x1", "x2", "x3")]
    out = events.loc[:, cols].copy()
    out["date"], out["expiry"] = out["date"].astype(str), out["expiry"].astype(str)
    # The engine's float arithmetic leaves noise in the last bits (8.725000000000001): prices and strikes to 1e-6,
    # cash flows to the cent, as a statement shows them (the events themselves are unchanged).
    out["price"], out["strike"] = out["price"].round(6), out["strike"].round(6)
    out["cash_flow"] = out["cash_flow"].round(2)
    return out.to_dict(orient="records")  # type: ignore[return-value]


def backtest_wheel(start: date, end: date, data: DataChoice = "auto", config: WheelConfig | None = None,
                   progress: Progress | None = None, names: Sequence[str] | None = None,
                   max_pct_per_name: float = 0.34, stagger: bool = True, png: Path | None = None,
                   engine: str = "compiled", report: Path | None = None, entry: str = "delta",
                   plan_config: Path | None = None) -> WheelBacktest:
    """The Wheel vs buy-and-hold: on the SPY-like series built from the S&P 500 history, or with `names` on
    several names of the embedded universe (real closes, one cash pool, `max_pct_per_name` of the account per
    name at entry). One engine runs every case (`backtest.wheel`); `engine` is kept for old scripts and only
    "compiled" is accepted."""
    if engine != "compiled":
        raise InputError(f"engine {engine!r} is gone: one Wheel engine runs every backtest (ADR 0010)",
                         where="--engine", hint="drop --engine (or pass compiled)")
    config, entry_note = _entry(entry, plan_config, names, config, max_pct_per_name)
    tick = progress or (lambda _stage, _done: None)
    _check_folder(png, "--png")
    _check_folder(report, "--report")
    tick("loading market history", 0.0)
    history, used = _load(data)
    eff_end = min(pd.Timestamp(end), _data_end(history)).date()
    notes = ["option prices MODELLED from realized vol (data/modelled.py); decisions from putwheel's manager rules "
             "(strategy/core.py), the same ones `putwheel manage` runs", *entry_note]
    tick("running the Wheel day by day", 0.1)
    if names:
        def day(i: int, n: int, on: date) -> None:
            tick(f"running the Wheel day by day: {on} ({i:,} of {n:,} days)", 0.1 + 0.85 * i / max(n, 1))

        result, bench_values, label = _wheel_on_names(history, names, start, eff_end, config, max_pct_per_name,
                                                      stagger, notes, day)
    else:
        result = run_wheel(history, start, eff_end, config)
        notes.append("SPY-like series: the S&P 500 / 10 with its dividend yield paid on shares held (the index "
                     "itself is cash-settled and is never assigned as shares)")
        days = pd.DatetimeIndex(result.daily.index)
        bench, _ = total_return_index(history, days, PutWriteConfig().assumed_dividend_yield)
        bench_values, label = pd.Series(bench, index=days), "S&P 500 total return"
    days = pd.DatetimeIndex(result.daily.index)
    rf = month_end_values(result.daily["tbill_growth"]).pct_change().dropna()   # the Wheel's own T-bill months
    benchmark = compute_metrics(bench_values, rf)
    if (pd.Timestamp(end) - days[-1]).days > 4:
        notes.append(f"data ends {days[-1].date()}: ran to {days[-1].date()} instead of {end}")
    png_path = None
    if png is not None:
        from putwheel.reports.backtest import write_png
        curves = pd.DataFrame({"Wheel (modelled prices)": result.daily["value"], label: bench_values})
        png_path = write_png(curves, png, result.label)
    report_path = None
    if report is not None:
        from putwheel.reports.backtest import write_wheel_report
        tick("writing the report", 0.95)
        report_path = write_wheel_report(result, benchmark, bench_values, label, report,
                                         f"The Wheel, {days[0].date()} .. {days[-1].date()} ({used} data, modelled "
                                         f"option prices)", tuple(notes), result.per_name)
    tick("done", 1.0)
    if names:   # the stock closes are the embedded universe's whatever --data says; --data picks the T-bill rates
        used = f"embedded closes and {used}"
    return WheelBacktest(result=result, benchmark=benchmark, data=used, start=days[0].date(), end=days[-1].date(),
                         notes=tuple(notes), benchmark_values=bench_values, benchmark_label=label, png_path=png_path,
                         report_path=report_path)


def _entry(entry: str, plan_config: Path | None, names: Sequence[str] | None, config: WheelConfig | None,
           cap: float) -> tuple[WheelConfig | None, list[str]]:
    """The Wheel config with the planner as its put entry when `entry` is "plan"."""
    if entry not in ("delta", "plan"):
        raise InputError(f"unknown entry rule {entry!r}", where="--entry", hint="use delta or plan")
    if entry == "delta":
        if plan_config is not None:
            raise InputError("--config only applies with --entry plan", where="--config", hint="add --entry plan")
        return config, []
    if not names:
        raise InputError("--entry plan needs several names on one pool of cash", where="--entry",
                         hint="add --names, e.g. XSP,AAPL,MSFT,GOOG")
    from putwheel.backtest.planned import PlannerEntry
    from putwheel.config import load_config
    from putwheel.data.universe import embedded_universe

    plan = load_config(plan_config)
    rules = plan.rules if plan_config is not None else plan.rules.model_copy(update={"max_pct_per_name": cap,
                                                                                     "min_names": 1})
    planner = PlannerEntry(rules=rules, quality=plan.quality, items=plan.watchlist if plan_config else (),
                           sectors=embedded_universe().sectors)
    base = config or WheelConfig()
    notes = [f"new puts chosen by the planner (rules from {plan_config or 'the defaults, cap per name ' + f'{cap:.0%}'}; "
             "watchlist earnings dates ignored over history); positions managed by the manager"]
    return replace(base, planner=planner), notes


def _wheel_on_names(history: MarketHistory, names: Sequence[str], start: date, end: date, config: WheelConfig | None,
                    cap: float, stagger: bool, notes: list[str],
                    on_day: Callable[[int, int, date], None] | None = None) -> tuple[WheelResult, pd.Series, str]:
    from putwheel.data.universe import embedded_universe

    uni = embedded_universe()
    wanted = [n.strip().upper() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in uni.closes.columns]
    if unknown:
        raise InputError(f"no embedded closes for {unknown}", where="--names",
                         hint=f"choose from {', '.join(uni.closes.columns)}")
    closes = uni.closes[wanted].dropna()
    first = closes.index[min(30, len(closes) - 1)].date()   # 30 closes before the start feed the realized vol
    eff_start = max(start, first)
    if pd.Timestamp(end) < pd.Timestamp(eff_start) + pd.Timedelta(days=45):
        raise InputError(f"embedded closes for {', '.join(wanted)} cover {closes.index[0].date()}.."
                         f"{closes.index[-1].date()}; {start}..{end} leaves no room for a Wheel run",
                         where="--start/--end", hint=f"run inside {first}..{closes.index[-1].date()}")
    if eff_start > start:
        notes.append(f"embedded closes for {', '.join(wanted)} start {closes.index[0].date()}: ran from {eff_start} "
                     f"(30 days of history first)")
    notes.append(f"closes: {uni.label}; buy-and-hold = equal weights at the start, prices only (no dividends)")
    result = run_wheel_portfolio(history, closes, eff_start, end, config, cap, stagger, on_day)
    days = pd.DatetimeIndex(result.daily.index)
    px = closes.loc[days]
    cash = (config or WheelConfig()).start_cash
    bench = (px / px.iloc[0]).mean(axis=1) * cash
    return result, bench, f"buy and hold {', '.join(wanted)} (equal weights)"


def wheel_config(put_delta: float = 0.30, put_dte: int = 35, start_cash: float = 1_000_000.0,
                 slippage: float = 0.0, commission: float = 0.65) -> WheelConfig:
    """A `WheelConfig` from command-line numbers, checked (bad values are an InputError, not a traceback)."""
    if not 0.0 <= slippage <= 1.0:
        raise InputError(f"--slippage {slippage} is outside 0..1", where="--slippage",
                         hint="share of the half-spread paid per fill: 0 = mid, 1 = natural bid/ask")
    if not 0.0 <= commission <= 100.0:
        raise InputError(f"--commission {commission} is not a per-contract fee", where="--commission", hint="e.g. 0.65")
    if not 0.0 < put_delta < 1.0:
        raise InputError(f"--delta {put_delta} is not between 0 and 1", where="--delta", hint="e.g. 0.30")
    if not 7 <= put_dte <= 120:
        raise InputError(f"--dte {put_dte} is outside 7..120 days", where="--dte", hint="e.g. 35")
    if start_cash <= 0:
        raise InputError(f"--cash {start_cash} must be positive", where="--cash", hint="e.g. 1000000")
    return WheelConfig(put_delta=put_delta, put_dte=put_dte, start_cash=start_cash, commission_per_contract=commission,
                       rules=ManageRules(slippage=slippage))
