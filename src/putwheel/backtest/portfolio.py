"""The Wheel on several names at once: one pool of cash, a cap per name, one manager call per day for all names.

Extends `backtest.wheel` (its per-name book, settlement, manager hand-off and put entry are reused as they are):
each name keeps a `_Book` for its legs, shares and events, while all cash lives in one treasury. Stages per day:
1. accrue T-bill interest on the treasury; settle every name's expiring legs at its close;
2. find the names where something can happen (the single-name `_may_act` superset, or no put and no shares with
   room under the cap); on the other days nothing is priced and the manager is not called;
3. one modelled chain per active name, concatenated, and **one** `strategy.decide_many` call for every open leg
   and uncovered share lot of those names; decisions are applied per name;
4. names with neither put nor shares sell a cash-secured put with a budget of min(free cash, cap x account
   value - the name's exposure); with `stagger` name i aims at DTE + 7 x (i mod 4) on weekly expiries, so the
   names' expiries (and assignments) fall in different weeks;
5. sweep every book's cash flows into the treasury and record cash, collateral, free cash, marks.

Collateral is always fully cash-secured: free cash = treasury - sum of short-put strikes x multiplier never goes
negative (entries are budgeted; the manager's put rolls are same-or-lower strike for a credit; calls are covered
by shares). The cap binds at entry only: an assigned name's shares move with the market afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import IVModel, _xnys_sessions, realized_iv, roll_dates, tbill_rates
from putwheel.backtest.planned import plan_puts
from putwheel.backtest.wheel import (
    MULTIPLIER,
    WheelConfig,
    WheelResult,
    _apply,
    _Book,
    _leg_marks,
    _may_act,
    _open_put,
    _positions,
    _result,
    _settle,
)
from putwheel.data.modelled import modelled_chain
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError
from putwheel.strategy import Action, Leg, decide_many

_ACTIONS = [Action.TAKE_PROFIT.value, Action.CLOSE.value, Action.ROLL.value, Action.SELL_COVERED_CALL.value]
EVENT_COLUMNS = ["date", "symbol", "action", "right", "strike", "expiry", "contracts", "price", "cash_flow", "reason"]


@dataclass(frozen=True)
class WheelPortfolioResult(WheelResult):
    """A `WheelResult` for the whole account plus one row per name (puts sold / assigned, calls away, ...)."""

    per_name: pd.DataFrame
    max_pct_per_name: float


def weekly_expiries(first: date, last: date) -> list[date]:
    """Every Friday from `first` to `last`, or the NYSE session before it when the Friday is a holiday."""
    fridays = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="W-FRI")
    sessions = _xnys_sessions((fridays[0].year - 1) // 10 * 10, fridays[-1].year // 10 * 10 + 10)
    pos = sessions.searchsorted(fridays, side="right") - 1
    return sorted({d.date() for d in pd.DatetimeIndex(sessions[pos]).normalize()})


def _check(names: Sequence[str], px: pd.DataFrame, days: pd.DatetimeIndex, cap: float) -> None:
    if not names or len(set(names)) != len(names):
        raise InputError(f"names {list(names)} must be one or more distinct symbols", where="--names",
                         hint="e.g. AAPL,MSFT,GOOG")
    if not 0.0 < cap <= 1.0:
        raise InputError(f"--max-pct-per-name {cap} is not in (0, 1]", where="--max-pct-per-name",
                         hint="a share of the account, e.g. 0.34 for three names")
    if len(days) < 30 or len(px.loc[: days[0]]) < 30:
        raise InputError("the Wheel needs at least 30 trading days and 30 days of history before the start",
                         where="run_wheel_portfolio", hint="widen the period or start later")


@dataclass
class _Pool:
    """All cash, the per-name books, and where each name's new puts aim."""

    treasury: float
    books: dict[str, _Book]
    target_dte: dict[str, int]

    def collateral(self) -> dict[str, float]:
        return {n: sum(-lg.contracts * float(lg.strike or 0.0) * MULTIPLIER for lg in b.legs if lg.right == "P")
                for n, b in self.books.items()}

    def sweep(self) -> None:
        for book in self.books.values():
            self.treasury += book.cash
            book.cash = 0.0

    def wants_put(self, name: str) -> bool:
        book = self.books[name]
        return book.shares == 0 and not any(lg.right == "P" for lg in book.legs)


def _budget(pool: _Pool, name: str, spot: dict[str, float], value: float, cap: float) -> float:
    coll = pool.collateral()
    free = pool.treasury - sum(coll.values())
    room = cap * value - coll[name] - pool.books[name].shares * spot[name]
    return max(0.0, min(free, room))


def _chain_expiries(book: _Book, day: date, expiries: list[date], cfg: WheelConfig, target_dte: int | None) -> list[date]:
    """The expiries a name's chain needs today: with `target_dte` (a new put may be sold) everything to the
    target + 35 days; otherwise only its legs' own expiries and the roll / covered-call DTE windows, the only
    quotes `decide_many` reads (so its decisions are the same as on the full chain, at a fraction of the rows)."""
    if target_dte is not None:
        horizon = day + pd.Timedelta(days=max(cfg.rules.roll_dte_max, cfg.rules.cc_dte_max, target_dte) + 35)
        return [e for e in expiries if day < e <= horizon]
    lo = min(cfg.rules.roll_dte_min, cfg.rules.cc_dte_min)
    hi = max(cfg.rules.roll_dte_max, cfg.rules.cc_dte_max)
    own = {lg.expiry for lg in book.legs}
    return [e for e in expiries if day < e and (e in own or lo <= (e - day).days <= hi)]


def _chain(pool: _Pool, name: str, px: pd.DataFrame, ts: pd.Timestamp, expiries: list[date], r: float,
           cfg: WheelConfig, full: bool, atm: float) -> pd.DataFrame:
    day = ts.date()
    exps = _chain_expiries(pool.books[name], day, expiries, cfg, pool.target_dte[name] if full else None)
    if not exps:   # nothing in the windows (monthly expiries): the full horizon, as the single-name Wheel prices
        exps = _chain_expiries(pool.books[name], day, expiries, cfg, pool.target_dte[name])
    pos = int(px.index.searchsorted(ts, side="right"))  # the chain model reads the last 252 returns only
    return modelled_chain(name, px[name].iloc[max(0, pos - 300): pos], day, exps, r, 0.0, cfg.chain, atm=atm)


def _trade_day(pool: _Pool, names: list[str], px: pd.DataFrame, ts: pd.Timestamp, market: pd.DataFrame,
               expiries: list[date], cfg: WheelConfig, cap: float, value: float) -> None:
    """One manager call for every position of `names`, then new puts (within budget) where none is left."""
    day, r = ts.date(), float(market["rate"].iloc[0])
    full = {n: pool.wants_put(n) for n in names}
    iv = {n: float(market.loc[n, "iv"]) for n in names}   # the chain's ATM vol = the manager's market vol
    chains = {n: _chain(pool, n, px, ts, expiries, r, cfg, full[n], iv[n]) for n in names}
    frames = [f for f in (_positions(pool.books[n], n, day) for n in names) if f is not None]
    if frames:
        decisions = decide_many(pd.concat(frames, ignore_index=True), market.loc[names], cfg.rules, day,
                                chain=pd.concat(chains.values(), ignore_index=True))
        acted = decisions[decisions["action"].isin(_ACTIONS).to_numpy()]   # hold / expire / assignment: nothing to do
        for n, rows in acted.groupby("underlying", sort=False):
            _apply(pool.books[str(n)], rows, day, str(n), cfg)
    pool.sweep()
    spot = {str(k): float(v) for k, v in market["spot"].items()}
    if cfg.planner is not None:
        wanting = [n for n in names if pool.wants_put(n)]
        full_chains = {n: chains[n] if full[n] else _chain(pool, n, px, ts, expiries, r, cfg, True, iv[n]) for n in wanting}
        _planned_puts(pool, wanting, full_chains, px.loc[:ts].tail(300), spot, r, ts, cfg)
        return
    for n in names:
        if not pool.wants_put(n):
            continue
        budget = _budget(pool, n, spot, value, cap)
        pool.books[n].cash, pool.treasury = budget, pool.treasury - budget
        chain = chains[n] if full[n] else _chain(pool, n, px, ts, expiries, r, cfg, True, iv[n])  # a take-profit freed it
        _open_put(pool.books[n], chain, day, n, market.iloc[list(market.index).index(n)],
                  replace(cfg, put_dte=pool.target_dte[n]))
        pool.sweep()


def _planned_puts(pool: _Pool, wanting: list[str], chains: dict[str, pd.DataFrame], closes: pd.DataFrame,
                  spot: dict[str, float], r: float, ts: pd.Timestamp, cfg: WheelConfig) -> None:
    """Sell the puts `putwheel plan` would propose today for the names without a put or shares (see
    `backtest.planned`): free cash and every name's exposure go to the planner, its tickets fill at their limit."""
    if not wanting or cfg.planner is None:
        return
    coll = pool.collateral()
    exposure = {n: coll[n] + pool.books[n].shares * spot[n] for n in pool.books}
    tickets = plan_puts(cfg.planner, pd.concat([chains[n] for n in wanting], ignore_index=True), wanting, closes, r,
                        pool.treasury - sum(coll.values()), exposure, ts)
    for t in tickets.itertuples(index=False):
        n, contracts, price = str(t.underlying), int(t.contracts), float(t.limit_price)
        book = pool.books[n]
        leg = Leg(n, "P", float(t.strike), pd.Timestamp(t.expiry).date(), -contracts, price, ts.date())  # type: ignore[arg-type]
        book.legs.append(leg)
        book.puts_sold += contracts
        book.trade(ts.date(), "sell_to_open (put)", leg, price, contracts, cfg.commission_per_contract,
                   f"planner: {t.why}")
    pool.sweep()


def portfolio_inputs(history: MarketHistory, closes: pd.DataFrame, start: date, end: date, cfg: WheelConfig,
                     cap: float, stagger: bool) -> tuple[pd.DataFrame, pd.DatetimeIndex, np.ndarray, pd.DataFrame,
                                                         list[date], dict[str, int]]:
    """(closes, trading days, continuous T-bill rate, modelled ATM vol per name, expiries, target DTE per name):
    what both multi-name engines run on, built once here so they cannot differ."""
    px = closes.rename(columns=lambda c: str(c).upper()).sort_index().dropna()
    names = list(px.columns)
    days = pd.DatetimeIndex(px.loc[pd.Timestamp(start): pd.Timestamp(end)].index)
    _check(names, px, days, cap)
    _, rate = tbill_rates(history, days)
    model = IVModel(vrp_factor=cfg.chain.vrp_factor)
    atm = pd.DataFrame({n: realized_iv(px[n], days, model) for n in names}, index=days).bfill()
    last = days[-1].date() + pd.Timedelta(days=150)
    expiries = (weekly_expiries(days[0].date(), last) if stagger
                else [e.date() for e in roll_dates(days[0].date(), last)])
    return px, days, rate, atm, expiries, {n: cfg.put_dte + (7 * (i % 4) if stagger else 0) for i, n in enumerate(names)}


def run_wheel_portfolio(history: MarketHistory, closes: pd.DataFrame, start: date, end: date,
                        config: WheelConfig | None = None, max_pct_per_name: float = 0.34, stagger: bool = True,
                        progress: Callable[[float], None] | None = None) -> WheelPortfolioResult:
    """The Wheel on every column of `closes` (real closes, no dividends) with one shared pool of cash.

    Rates come from `history` (T-bills). Raises InputError for a bad cap, names or period.
    """
    cfg = config or WheelConfig()
    px, days, rate, atm, expiries, target = portfolio_inputs(history, closes, start, end, cfg, max_pct_per_name, stagger)
    names = list(px.columns)
    pool = _Pool(cfg.start_cash, {n: _Book(cash=0.0) for n in names}, target)
    rows, held = [], np.zeros((len(days), len(names)), dtype=np.int64)
    for i, ts in enumerate(days):
        rows.append(_one_day(pool, names, px, ts, i, days, rate, atm, expiries, cfg, max_pct_per_name))
        held[i] = [pool.books[n].shares for n in names]
        if progress is not None and i % 20 == 0:
            progress(i / len(days))
    daily = pd.DataFrame(rows, index=days, columns=["cash", "collateral", "free_cash", "shares", "shares_value",
                                                    "short_options", "value"])
    return _assemble(pool, daily, held, rate, names, history.label, max_pct_per_name)


def _one_day(pool: _Pool, names: list[str], px: pd.DataFrame, ts: pd.Timestamp, i: int, days: pd.DatetimeIndex,
             rate: np.ndarray, atm: pd.DataFrame, expiries: list[date], cfg: WheelConfig,
             cap: float) -> tuple[float, ...]:
    day, r = ts.date(), float(rate[i])
    spot = dict(zip(names, px.loc[ts].to_numpy(dtype=float).tolist(), strict=True))
    iv = dict(zip(names, atm.loc[ts].to_numpy(dtype=float).tolist(), strict=True))
    if i:
        pool.treasury += pool.treasury * rate[i - 1] * (ts - days[i - 1]).days / 365.0
    for n in names:
        _settle(pool.books[n], day, spot[n])
    pool.sweep()
    marks = {n: _leg_marks(pool.books[n], day, spot[n], r, 0.0, iv[n], cfg.chain.skew) for n in names}
    value = _value(pool, spot, marks)
    act = [n for n in names if pool.books[n].legs or pool.books[n].shares]
    act = [n for n in act if _may_act(pool.books[n], marks[n], cfg.rules)]
    want = [n for n in names if pool.wants_put(n) and _budget(pool, n, spot, value, cap) >= 0.5 * spot[n] * MULTIPLIER]
    if act or want:
        market = pd.DataFrame({"spot": [spot[n] for n in names], "rate": r, "dividend_yield": 0.0,
                               "iv": [iv[n] for n in names]}, index=pd.Index(names, name="underlying"))
        touched = [n for n in names if n in act or n in want]
        _trade_day(pool, touched, px, ts, market, expiries, cfg, cap, value)
        for n in touched:
            marks[n] = _leg_marks(pool.books[n], day, spot[n], r, 0.0, iv[n], cfg.chain.skew)
    short = sum(float(np.sum(marks[n][0] * np.array([-lg.contracts for lg in pool.books[n].legs], dtype=float)))
                for n in names) * MULTIPLIER
    coll = sum(pool.collateral().values())
    shares_value = sum(pool.books[n].shares * spot[n] for n in names)
    shares = sum(pool.books[n].shares for n in names)
    return (pool.treasury, coll, pool.treasury - coll, shares, shares_value, short,
            pool.treasury + shares_value - short)


def _value(pool: _Pool, spot: dict[str, float], marks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    short = sum(float(np.sum(marks[n][0] * np.array([-lg.contracts for lg in b.legs], dtype=float)))
                for n, b in pool.books.items()) * MULTIPLIER
    return pool.treasury + sum(b.shares * spot[n] for n, b in pool.books.items()) - short


def _assemble(pool: _Pool, daily: pd.DataFrame, held: np.ndarray, rate: np.ndarray, names: list[str], label: str,
              cap: float) -> WheelPortfolioResult:
    events = [dict(e, symbol=n) for n, b in pool.books.items() for e in b.events]
    events.sort(key=lambda e: (str(e["date"]), names.index(str(e["symbol"]))))
    merged = _Book(cash=0.0, events=events, puts_sold=sum(b.puts_sold for b in pool.books.values()),
                   puts_assigned=sum(b.puts_assigned for b in pool.books.values()))
    base = _result(merged, daily, rate, "+".join(names), label)
    frame = pd.DataFrame(events, columns=EVENT_COLUMNS)
    per_name = pd.DataFrame({
        "puts_sold": [pool.books[n].puts_sold for n in names],
        "puts_assigned": [pool.books[n].puts_assigned for n in names],
        "calls_assigned": [int(((frame["symbol"] == n) & (frame["action"] == "called_away")).sum()) for n in names],
        "time_in_shares": (held > 0).mean(axis=0),
        "option_income": [float(frame.loc[(frame["symbol"] == n) & frame["action"].str.contains("to_open|to_close"),
                                          "cash_flow"].sum()) for n in names],
    }, index=pd.Index(names, name="symbol"))
    per_name.insert(2, "assignment_rate", np.where(per_name["puts_sold"] > 0, per_name["puts_assigned"]
                                                   / per_name["puts_sold"].clip(lower=1), 0.0))
    return WheelPortfolioResult(daily=daily, events=frame, metrics=base.metrics, assignment_rate=base.assignment_rate,
                                time_in_shares=base.time_in_shares, monthly_income=base.monthly_income,
                                label=f"Wheel on {', '.join(names)} (cap {cap:.0%} each), MODELLED option prices; "
                                      f"T-bill rates from {label}", per_name=per_name, max_pct_per_name=cap)
