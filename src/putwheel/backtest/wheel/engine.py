"""The Wheel engine's Python side: lay the inputs out, run the one compiled day loop, turn its arrays into results.

Stages: inputs (closes, T-bill rates, dividend yield, modelled ATM vol, listed expiries) -> `simulate` (state
arrays, `loop.run_days`, the planner entry when one is configured) -> `Run` (raw arrays) -> events frame with
reasons rendered from their codes, per-name counters, metrics.

Every run -- one name, several names on one pool of cash, equal sleeves, 500 paths for a benchmark, a sweep --
goes through `simulate`, so the Wheel's rules run in exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numba as nb
import numpy as np
import pandas as pd

from putwheel.backtest.inputs import tbill_growth
from putwheel.backtest.metrics import compute_metrics, month_end_values
from putwheel.backtest.wheel.book import (
    ACTIONS,
    B_CASH,
    B_NEV,
    E_ACTION,
    E_CALL,
    E_CYCLE,
    E_DAY,
    E_EXP,
    E_FLOW,
    E_K,
    E_N,
    E_PRICE,
    E_REASON,
    E_X1,
    E_X2,
    E_X3,
    N_BOOK,
    N_EVENT,
    N_LEG,
    N_SLOTS,
    S_MIN_FREE,
    STAT_NAMES,
)
from putwheel.backtest.wheel.config import EVENT_COLUMNS, WheelConfig, WheelResult
from putwheel.backtest.wheel.loop import D_FREE, run_days, run_sleeves
from putwheel.domain.errors import InputError
from putwheel.strategy import core
from putwheel.strategy.reasons import REASON_NAMES, render_event

DAILY_COLUMNS = ["cash", "collateral", "free_cash", "shares", "shares_value", "short_options", "value"]
PlannerHook = Callable[["State", int], None]


@dataclass
class State:
    """Everything the day loop reads and writes (arrays owned here, so a planner can act between calls)."""

    spot: np.ndarray
    atm: np.ndarray
    rate: np.ndarray
    accrual: np.ndarray
    div: np.ndarray
    day_no: np.ndarray
    exp_no: np.ndarray
    put_dte: np.ndarray
    horizon: np.ndarray
    rp: np.ndarray
    cm: np.ndarray
    legs: np.ndarray
    books: np.ndarray
    pool: np.ndarray
    events: np.ndarray
    stats: np.ndarray
    cand: np.ndarray
    g: np.ndarray
    name_value: np.ndarray
    held: np.ndarray
    name_cash: np.ndarray
    name_coll: np.ndarray
    daily: np.ndarray
    ix: np.ndarray
    px_settle: np.ndarray
    px_write: np.ndarray
    exps_long: np.ndarray


@dataclass(frozen=True)
class IndexLegs:
    """A Cboe index rule for the engine (`index.py`): the rule vector, the chain vector its marks use (the index
    skew), the settlement and write prices (days x names) and the long put's expiries (day numbers)."""

    ix: np.ndarray
    cm: np.ndarray
    px_settle: np.ndarray
    px_write: np.ndarray
    exps_long: np.ndarray


def chain_vector(config: WheelConfig) -> np.ndarray:
    c = config.chain
    return np.array([c.skew, c.spread_pct, c.tick, c.strike_step_pct, c.strikes_each_side, c.vrp_factor,
                     0.0, 0.0, 0.0, 0.0, 0.0], dtype=float)


def rules_vector(config: WheelConfig) -> np.ndarray:
    return core.rule_array(config.rules.model_copy(update={"commission": config.commission_per_contract}))


def _state(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, accrual: np.ndarray, div: np.ndarray,
           days: pd.DatetimeIndex, expiries: pd.DatetimeIndex, cfg: WheelConfig, start_cash: np.ndarray,
           pooled: bool, put_dte: np.ndarray, log_rows: int, index: IndexLegs | None = None) -> State:
    n_days, n_names = spot.shape
    rules = cfg.rules
    horizon = np.maximum(max(rules.roll_dte_max, rules.cc_dte_max), put_dte) + 35
    books = np.zeros((n_names, N_BOOK))
    if not pooled:
        books[:, B_CASH] = start_cash
    stats = np.zeros((n_names, len(STAT_NAMES)))
    stats[:, S_MIN_FREE] = np.inf
    n_exp = int(np.ceil(max(rules.roll_dte_max, rules.cc_dte_max) / 7.0)) + 2
    side = 2 * int(cfg.chain.strikes_each_side) + 1
    f = np.ascontiguousarray
    return State(
        spot=f(spot, dtype=float), atm=f(atm, dtype=float), rate=f(rate, dtype=float), accrual=f(accrual, dtype=float),
        div=f(div, dtype=float), day_no=days.to_numpy(dtype="datetime64[D]").astype(np.int64),
        exp_no=np.unique(pd.DatetimeIndex(expiries).to_numpy(dtype="datetime64[D]").astype(np.int64)),
        put_dte=f(put_dte, dtype=np.int64), horizon=f(horizon, dtype=np.int64), rp=rules_vector(cfg),
        cm=chain_vector(cfg) if index is None else f(index.cm, dtype=float),
        legs=np.zeros((n_names, N_SLOTS, N_LEG)), books=books,
        pool=np.array([float(start_cash.sum()) if pooled else 0.0]),
        events=np.zeros((n_names, log_rows, N_EVENT)), stats=stats,
        cand=np.zeros((n_names, n_exp * side, core.N_CAND_FIELDS)), g=np.zeros((n_names, 6)),
        name_value=np.zeros((n_days, n_names)), held=np.zeros((n_days, n_names)), name_cash=np.zeros((n_days, n_names)),
        name_coll=np.zeros((n_days, n_names)), daily=np.zeros((n_days, len(DAILY_COLUMNS))),
        ix=np.zeros(0) if index is None else f(index.ix, dtype=float),
        px_settle=f(spot, dtype=float) if index is None else f(index.px_settle, dtype=float),
        px_write=f(spot, dtype=float) if index is None else f(index.px_write, dtype=float),
        exps_long=np.zeros(0, dtype=np.int64) if index is None else f(index.exps_long, dtype=np.int64))


def _run(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, accrual: np.ndarray, div: np.ndarray,
         days: pd.DatetimeIndex, expiries: pd.DatetimeIndex, cfg: WheelConfig, cash: np.ndarray, pooled: bool,
         dte: np.ndarray, rows: int, cap: float, planner: PlannerHook | None, index: IndexLegs | None,
         on_day: Callable[[int, int], None] | None = None) -> State:
    n_names = spot.shape[1]
    st = _state(spot, atm, rate, accrual, div, days, expiries, cfg, cash, pooled, dte, rows, index)
    common = (st.spot, st.atm, st.rate, st.accrual, st.div, st.day_no, st.exp_no, st.put_dte, float(cfg.put_delta),
              st.rp, st.cm, bool(cfg.allow_rolls), st.horizon, st.ix, st.px_settle, st.px_write, st.exps_long)
    state = (st.legs, st.books, st.pool, st.events, st.stats, st.cand, st.g, st.name_value, st.held, st.name_cash,
             st.name_coll, st.daily)
    if pooled:
        i, n_days, resume = 0, len(days), False
        while i < n_days:
            i = run_days(i, n_days, resume, 0, n_names, *common, True, float(cap), planner is not None, *state)
            if on_day is not None:
                on_day(i, n_days)
            if i < n_days and planner is not None:
                planner(st, i)
                resume = True
    else:
        n_chunks = min(n_names, 4 * max(nb.get_num_threads(), 1))
        run_sleeves(np.linspace(0, n_names, n_chunks + 1).astype(np.int64), *common, *state)
        _sleeve_totals(st)
    return st


def simulate(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, accrual: np.ndarray, div: np.ndarray,
             days: pd.DatetimeIndex, expiries: pd.DatetimeIndex, cfg: WheelConfig, *, pooled: bool, cap: float = 1.0,
             start_cash: float | np.ndarray | None = None, put_dte: np.ndarray | None = None,
             record_events: bool = True, planner: PlannerHook | None = None, index: IndexLegs | None = None,
             on_day: Callable[[int, int], None] | None = None) -> State:
    """The Wheel on every column of `spot` (days x names): `pooled` shares one cash pool (each name capped at
    `cap` of the account at entry), else each name is a sleeve with its own `start_cash`. With `index` the
    sleeves follow a Cboe index rule instead of the Wheel's manager (`index.py`)."""
    if index is not None and (pooled or planner is not None):
        raise InputError("an index rule runs on sleeves, without a planner", where="simulate",
                         hint="call simulate(..., pooled=False) for an index")
    n_names = spot.shape[1]
    cash = np.broadcast_to(np.asarray(cfg.start_cash if start_cash is None else start_cash, dtype=float), (n_names,))
    if pooled:
        cash = np.full(n_names, float(cash[0]) / n_names)
    dte = np.broadcast_to(np.asarray(cfg.put_dte if put_dte is None else put_dte), (n_names,))
    rows = len(days) // 2 + 64 if record_events else 0
    while True:   # the log is sized for a typical run; a busier one runs again with room for every event
        st = _run(spot, atm, rate, accrual, div, days, expiries, cfg, cash, pooled, dte, rows, cap, planner, index,
                  on_day)
        if int(st.books[:, B_NEV].max(initial=0)) <= rows or not record_events:
            break
        rows = int(st.books[:, B_NEV].max()) + 16
    if pooled:
        st.stats[:, S_MIN_FREE] = st.daily[:, D_FREE].min()
    return st


def _sleeve_totals(st: State) -> None:
    """The account's daily totals of sleeves: the sums of the names'."""
    cash, coll = st.name_cash.sum(axis=1), st.name_coll.sum(axis=1)
    shares_value, value = (st.held * st.spot).sum(axis=1), st.name_value.sum(axis=1)
    st.daily[:] = np.column_stack([cash, coll, cash - coll, st.held.sum(axis=1), shares_value,
                                   cash + shares_value - value, value])


def event_frame(st: State, names: Sequence[str], days: pd.DatetimeIndex) -> pd.DataFrame:
    """The engine's event log as `EVENT_COLUMNS`, in date order (names in order within a day)."""
    counts = st.books[:, B_NEV].astype(np.int64)
    flat = np.concatenate([st.events[j, : counts[j]] for j in range(len(names))]) if len(names) else np.zeros((0, N_EVENT))
    sym = np.repeat(np.asarray(names, dtype=object), counts)
    codes = flat[:, E_REASON].astype(int)
    frame = pd.DataFrame({
        "date": days[flat[:, E_DAY].astype(int)].date, "symbol": sym,
        "action": np.asarray(ACTIONS, dtype=object)[flat[:, E_ACTION].astype(int)],
        "right": np.where(flat[:, E_CALL] > 0, "C", "P"), "strike": flat[:, E_K],
        "expiry": pd.to_datetime(flat[:, E_EXP].astype("int64"), unit="D").date, "contracts": flat[:, E_N].astype(int),
        "price": flat[:, E_PRICE], "cash_flow": flat[:, E_FLOW],
        "reason_code": [REASON_NAMES[c] for c in codes],
        "reason": [render_event(c, a, b, d) for c, a, b, d in zip(codes, flat[:, E_X1], flat[:, E_X2], flat[:, E_X3],
                                                                   strict=True)],
        "cycle_id": [f"{s}#{int(c)}" for s, c in zip(sym, flat[:, E_CYCLE], strict=True)],
        "x1": flat[:, E_X1], "x2": flat[:, E_X2], "x3": flat[:, E_X3]}, columns=EVENT_COLUMNS)
    order = np.lexsort((np.repeat(np.arange(len(names)), counts), flat[:, E_DAY]))
    return frame.iloc[order].reset_index(drop=True)


def open_at_end(events: pd.DataFrame) -> pd.Series:
    """True for each sale whose option is still open after the last day (sold, never bought back, expired, assigned
    or called away): its premium is not income yet."""
    key = events.groupby(["symbol", "right", "strike", "expiry"], sort=False, dropna=False).ngroup()  # one per option
    sells = events["action"].eq("sell_to_open")
    still_open = key.map(sells.groupby(key).sum() - (~sells).groupby(key).sum())
    from_end = sells[::-1].astype(int).groupby(key[::-1]).cumsum()[::-1]  # 1 = the last sale of that option
    return sells & (from_end <= still_open)


def option_trades(events: pd.DataFrame) -> pd.DataFrame:
    """Sales and buy-backs whose option was settled within the run (what income per month and per name count)."""
    trades = events["action"].isin(["sell_to_open", "buy_to_close"])
    return events[trades & ~open_at_end(events)] if len(events) else events


def per_name_frame(st: State, names: Sequence[str], events: pd.DataFrame) -> pd.DataFrame:
    per = pd.DataFrame(st.stats, index=pd.Index(list(names), name="symbol"), columns=list(STAT_NAMES))
    per["time_in_shares"] = per.pop("days_in_shares") / max(len(st.day_no), 1)
    per["assignment_rate"] = np.where(per["puts_sold"] > 0, per["puts_assigned"] / per["puts_sold"].clip(lower=1), 0.0)
    if len(events):
        flows = option_trades(events).groupby("symbol")["cash_flow"].sum()
        per["option_income"] = flows.reindex(per.index).fillna(0.0)
    return per


def result(st: State, names: Sequence[str], days: pd.DatetimeIndex, accrual: np.ndarray, label: str,
           cap: float | None) -> WheelResult:
    """The run as a `WheelResult`: daily account, events with reasons, metrics against T-bills, counters."""
    daily = pd.DataFrame(st.daily, index=days, columns=DAILY_COLUMNS)
    daily["shares"] = daily["shares"].astype(np.int64)
    daily["tbill_growth"] = tbill_growth(accrual, days)
    events = event_frame(st, names, days)
    per = per_name_frame(st, names, events)
    trades = option_trades(events)
    income = trades.groupby(pd.to_datetime(trades["date"]).dt.to_period("M"))["cash_flow"].sum()
    open_premium = float(events.loc[open_at_end(events), "cash_flow"].sum()) if len(events) else 0.0
    months = pd.period_range(days[0], days[-1], freq="M")   # every month of the run: a month without trades is a 0
    income = income.reindex(months, fill_value=0.0)
    rf = month_end_values(daily["tbill_growth"]).pct_change().dropna()
    sold = float(per["puts_sold"].sum())
    return WheelResult(daily=daily, events=events, metrics=compute_metrics(daily["value"], rf),
                       assignment_rate=float(per["puts_assigned"].sum()) / sold if sold else 0.0,
                       time_in_shares=float((daily["shares"] > 0).mean()), monthly_income=income, label=label,
                       per_name=per if len(names) > 1 else None, max_pct_per_name=cap, open_premium=open_premium)


def check_paths(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray, days: pd.DatetimeIndex,
                names: Sequence[str]) -> None:
    """Refuse misshapen or non-finite inputs, naming the first bad day and name."""
    if spot.ndim != 2 or spot.shape[1] != len(names) or len(days) != spot.shape[0] or atm.shape != spot.shape \
            or div.shape != spot.shape or rate.shape != (spot.shape[0],):
        raise InputError(f"spot must be days x names ({len(days)} x {len(names)}), the vol and dividends on the same "
                         f"grid and the rate one value a day; got spot {spot.shape}, vol {atm.shape}, rate {rate.shape}",
                         where="wheel_paths", hint="align the inputs on one calendar")
    for what, arr in (("spot", spot), ("atm vol", atm), ("rate", rate), ("dividend yield", div)):
        bad = ~np.isfinite(arr) | ((arr <= 0) if what in ("spot", "atm vol") else False)
        if bad.any():
            at = np.argwhere(bad)[0]
            raise InputError(f"{what} is missing, non-finite or non-positive on {days[int(at[0])].date()}"
                             + (f" for {names[int(at[1])]}" if arr.ndim == 2 else ""), where="wheel_paths",
                             hint="drop names or days without data, or start after the vol warm-up")
    if not days.is_monotonic_increasing or days.has_duplicates:
        raise InputError("days must be strictly increasing", where="wheel_paths", hint="sort and de-duplicate")


def first_day(days: pd.DatetimeIndex, what: str) -> date:
    if len(days) < 30:
        raise InputError("the Wheel needs at least 30 trading days and some history before the start", where=what,
                         hint="widen the period or start later")
    return days[0].date()
