"""The Wheel runs users ask for, all on the one engine (`engine.simulate`).

- `run_wheel`: one name. The default history is **SPY-like**: the S&P 500 closes / 10 with the index's dividend
  yield paid on shares held -- an ETF-like series, because the S&P 500 index itself is cash-settled and is never
  "assigned" as shares.
- `run_wheel_portfolio`: several names on one pool of cash, a cap per name at entry, staggered weekly expiries,
  new puts from the delta/DTE rule or from the planner (`--entry plan`).
- `run_wheel_sleeves` / `wheel_paths`: every name on a sleeve of its own cash (sweeps, the 500-name benchmark).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import IVModel, _xnys_sessions, dividend_yield, realized_iv, roll_dates, tbill_rates
from putwheel.backtest.wheel.config import WheelConfig, WheelResult
from putwheel.backtest.wheel.engine import check_paths, event_frame, first_day, per_name_frame, result, simulate
from putwheel.backtest.wheel.planner import planner_hook
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError

SPY_LIKE = "SPY-like"
DayHook = Callable[[int, int, date], None]
SPY_SCALE = 10.0


def weekly_expiries(first: date, last: date) -> list[date]:
    """Every Friday from `first` to `last`, or the NYSE session before it when the Friday is a holiday."""
    fridays = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="W-FRI")
    sessions = _xnys_sessions((fridays[0].year - 1) // 10 * 10, fridays[-1].year // 10 * 10 + 10)
    pos = sessions.searchsorted(fridays, side="right") - 1
    return sorted({d.date() for d in pd.DatetimeIndex(sessions[pos]).normalize()})


def _no_planner(cfg: WheelConfig, where: str) -> None:
    if cfg.planner is not None:
        raise InputError("new puts from the planner (--entry plan) need several names on one pool of cash",
                         where=where, hint="give --names (e.g. XSP,AAPL,MSFT,GOOG) or use the delta/DTE entry")


def run_wheel(history: MarketHistory, start: date, end: date, config: WheelConfig | None = None,
              symbol: str = SPY_LIKE, closes: pd.Series | None = None) -> WheelResult:
    """The Wheel on one name from `start` to `end`: `closes` (no dividends), or by default the SPY-like series
    built from `history`'s S&P 500 (closes / 10, its dividend yield on shares); T-bill rates from `history`."""
    cfg = config or WheelConfig()
    _no_planner(cfg, "run_wheel")
    px = (closes if closes is not None else history.spx / SPY_SCALE).sort_index().dropna()
    days = pd.DatetimeIndex(px.loc[pd.Timestamp(start): pd.Timestamp(end)].index)
    first_day(days, "run_wheel")
    if len(px.loc[: days[0]]) < cfg.chain.strikes_each_side:
        raise InputError("the Wheel needs some history before the start", where="run_wheel", hint="start later")
    accrual, rate = tbill_rates(history, days)
    q = dividend_yield(history, days, 0.0) if closes is None else np.zeros(len(days))
    atm = realized_iv(px, days, IVModel(vrp_factor=cfg.chain.vrp_factor))
    if np.isnan(atm).any():
        raise InputError(f"not enough history before {days[0].date()} for the modelled vol (21 returns)",
                         where="run_wheel", hint="start later")
    expiries = roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=120))
    spot = px.loc[days].to_numpy(dtype=float)[:, None]
    st = simulate(spot, atm[:, None], rate, accrual, q[:, None], days, expiries, cfg, pooled=False)
    what = (f"{SPY_LIKE} (S&P 500 / {SPY_SCALE:g}, its dividend yield on shares)" if closes is None else symbol)
    return result(st, [symbol], days, accrual, f"Wheel on {what}, MODELLED option prices ({history.label})", None)


def _check(px: pd.DataFrame, days: pd.DatetimeIndex, cap: float) -> None:
    if not 0.0 < cap <= 1.0:
        raise InputError(f"--max-pct-per-name {cap} is not in (0, 1]", where="--max-pct-per-name",
                         hint="a share of the account, e.g. 0.34 for three names")
    if len(days) < 30 or len(px.loc[: days[0]]) < 30:
        raise InputError("the Wheel needs at least 30 trading days and 30 days of history before the start",
                         where="run_wheel_portfolio", hint="widen the period or start later")


def _names_inputs(history: MarketHistory, closes: pd.DataFrame, start: date, end: date, cfg: WheelConfig,
                  stagger: bool) -> tuple[pd.DataFrame, pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray,
                                          pd.DatetimeIndex, np.ndarray]:
    """(closes, days, accrual, rate, ATM vol per name, expiries, target DTE per name) for a multi-name run."""
    names = [str(c).upper() for c in closes.columns]
    if not names or len(set(names)) != len(names):
        raise InputError(f"names {names} must be one or more distinct symbols", where="--names",
                         hint="e.g. AAPL,MSFT,GOOG")
    px = closes.set_axis(names, axis=1).sort_index().dropna()
    days = pd.DatetimeIndex(px.loc[pd.Timestamp(start): pd.Timestamp(end)].index)
    accrual, rate = tbill_rates(history, days) if len(days) else (np.zeros(0), np.zeros(0))
    model = IVModel(vrp_factor=cfg.chain.vrp_factor)
    atm = pd.DataFrame({n: realized_iv(px[n], days, model) for n in px.columns}, index=days).bfill().to_numpy()
    last = days[-1].date() + pd.Timedelta(days=150) if len(days) else end
    expiries = (pd.DatetimeIndex(weekly_expiries(days[0].date(), last)) if stagger
                else roll_dates(days[0].date(), last)) if len(days) else pd.DatetimeIndex([])
    dte = cfg.put_dte + (7 * (np.arange(px.shape[1]) % 4) if stagger else np.zeros(px.shape[1], dtype=int))
    return px, days, accrual, rate, atm, expiries, dte


def run_wheel_portfolio(history: MarketHistory, closes: pd.DataFrame, start: date, end: date,
                        config: WheelConfig | None = None, max_pct_per_name: float = 0.34,
                        stagger: bool = True, on_day: DayHook | None = None) -> WheelResult:
    """The Wheel on every column of `closes` (real closes, no dividends) with one shared pool of cash.

    With `stagger` name i aims at DTE + 7 x (i mod 4) on weekly expiries, so expiries (and assignments) fall in
    different weeks. New puts come from the config's planner when it has one. Raises InputError for a bad cap,
    names or period.
    """
    cfg = config or WheelConfig()
    px, days, accrual, rate, atm, expiries, dte = _names_inputs(history, closes, start, end, cfg, stagger)
    names = list(px.columns)
    _check(px, days, max_pct_per_name)
    hook = planner_hook(cfg, names, px, days) if cfg.planner is not None else None
    spot = px.loc[days].to_numpy(dtype=float)
    st = simulate(spot, atm, rate, accrual, np.zeros(spot.shape), days, expiries, cfg, pooled=True,
                  cap=max_pct_per_name, put_dte=dte, planner=hook,
                  on_day=(lambda i, n: on_day(i, n, days[min(i, n - 1)].date())) if on_day else None)
    label = (f"Wheel on {', '.join(names)} (one pool of cash, cap {max_pct_per_name:.0%} each), MODELLED option "
             f"prices; T-bill rates from {history.label}")
    out = result(st, names, days, accrual, label, max_pct_per_name)
    return out


@dataclass(frozen=True)
class WheelPaths:
    """Per-name results of sleeves: values (days x names), shares held, cash, counters and the event log."""

    value: pd.DataFrame
    shares: pd.DataFrame
    cash: pd.DataFrame
    per_name: pd.DataFrame
    events: pd.DataFrame


def wheel_paths(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray, days: pd.DatetimeIndex,
                expiries: pd.DatetimeIndex, config: WheelConfig, names: list[str] | None = None,
                start_cash: float | np.ndarray | None = None, put_dte: np.ndarray | None = None,
                record_events: bool = True) -> WheelPaths:
    """The Wheel on every column of `spot` (days x names), each name a sleeve of `start_cash` (default the
    config's), with the chain vol `atm` (days, or days x names), the continuous T-bill `rate` (days; cash accrues
    at it too) and dividend yield `div` (days or days x names). Raises InputError for misshapen inputs."""
    _no_planner(config, "wheel_paths")
    spot = np.asarray(spot, dtype=float)
    names = names or [f"path{j}" for j in range(spot.shape[1] if spot.ndim == 2 else 0)]
    shape = spot.shape if spot.ndim == 2 else (len(days), len(names))
    atm = np.asarray(atm, dtype=float)
    atm = np.broadcast_to(atm[:, None] if atm.ndim == 1 else atm, shape) if atm.ndim in (1, 2) and len(atm) == shape[0] else atm
    div = np.asarray(div, dtype=float)
    div = np.broadcast_to(div[:, None] if div.ndim == 1 else div, shape) if div.ndim in (1, 2) and len(div) == shape[0] else div
    check_paths(spot, atm, np.asarray(rate, dtype=float), div, days, names)
    st = simulate(spot, atm, rate, rate, div, days, expiries, config, pooled=False, start_cash=start_cash,
                  put_dte=put_dte, record_events=record_events)
    index = pd.Index(names, name="symbol")
    events = event_frame(st, names, days) if record_events else pd.DataFrame()
    return WheelPaths(value=pd.DataFrame(st.name_value, index=days, columns=index),
                      shares=pd.DataFrame(st.held, index=days, columns=index),
                      cash=pd.DataFrame(st.name_cash, index=days, columns=index),
                      per_name=per_name_frame(st, names, events), events=events)


def run_wheel_sleeves(history: MarketHistory, closes: pd.DataFrame, start: date, end: date,
                      config: WheelConfig | None = None, stagger: bool = False) -> WheelResult:
    """The Wheel on every column of `closes` (real closes, no dividends), each name an equal sleeve of the
    config's start cash; rates from `history`."""
    cfg = config or WheelConfig()
    _no_planner(cfg, "run_wheel_sleeves")
    px, days, accrual, rate, atm, expiries, dte = _names_inputs(history, closes, start, end, cfg, stagger)
    names = list(px.columns)
    _check(px, days, 1.0)
    spot = px.loc[days].to_numpy(dtype=float)
    st = simulate(spot, atm, rate, accrual, np.zeros(spot.shape), days, expiries, cfg, pooled=False,
                  start_cash=cfg.start_cash / len(names), put_dte=dte)
    label = (f"Wheel on {', '.join(names)} (equal sleeves), MODELLED option prices; T-bill rates from {history.label}")
    return result(st, names, days, accrual, label, None)
