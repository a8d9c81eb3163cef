"""The Wheel on many names at once, compiled: the event loop of `backtest.wheel` as one numba kernel.

Why a second engine: `run_wheel` asks the pandas manager (`strategy.decide_many`) every day, ~10 ms a name-day, so
500 names x 20 years would take hours. This kernel runs the same day structure -- accrue, settle expiries, decide
every leg and uncovered share lot, act, sell a new cash-secured put, mark -- with the manager's rules taken from
`strategy.core` (the very functions `decide_many` runs) and the chain quoted by `data.modelled.quote1` (the very
function `modelled_chain` runs). `tests/backtest/test_wheel_kernel.py` checks it trades exactly like `run_wheel`.

Each name is its own sleeve: its own cash (start_cash per name), legs and shares; sleeves run in parallel over
the names (numba prange). A put is sold only for as many contracts as the sleeve's cash secures (strike x 100 x
contracts <= cash), so free cash never goes negative; the kernel records each sleeve's minimum free cash to prove
it. What it does not do (use `run_wheel_portfolio`): a shared pool of cash across names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numba as nb
import numpy as np
import pandas as pd

from putwheel.backtest.inputs import IVModel, realized_iv, roll_dates, tbill_rates
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values
from putwheel.backtest.portfolio import WheelPortfolioResult, _assemble, _Pool, portfolio_inputs, weekly_expiries
from putwheel.backtest.wheel import WheelConfig, WheelResult, _Book, _result, wheel_inputs
from putwheel.data import modelled
from putwheel.data.modelled import grid_centre1, quote1, strike_step1
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError
from putwheel.pricing.scalar import SOURCES, bs1, bs2002_1, cache_depends_on, greeks1
from putwheel.strategy import core

MULTIPLIER = 100.0
# event kinds (column `kind` of the event log)
EVENT_KINDS = ("sell_to_open (put)", "sell_to_open (covered call)", "sell_to_open (roll)", "buy_to_close (take_profit)",
               "buy_to_close (close)", "buy_to_close (roll)", "expired", "assigned", "called_away")
(EV_PUT, EV_CC, EV_ROLL_OPEN, EV_TP, EV_CLOSE, EV_ROLL_CLOSE, EV_EXPIRED, EV_ASSIGNED, EV_CALLED) = range(9)
STAT_NAMES = ("puts_sold", "puts_assigned", "calls_sold", "calls_away", "rolls", "take_profits", "closes",
              "option_income", "min_free_cash", "days_in_shares")
(S_PUTS, S_ASSIGNED, S_CALLS, S_AWAY, S_ROLLS, S_TP, S_CLOSES, S_INCOME, S_MIN_FREE, S_DAYS_SHARES) = range(10)
# chain model vector: skew, spread_pct, tick, strike_step_pct, strikes_each_side
CM_SKEW, CM_SPREAD, CM_TICK, CM_STEP, CM_SIDE = range(5)

jit = nb.njit(cache=True, nogil=True, error_model="numpy")
pjit = nb.njit(cache=True, nogil=True, error_model="numpy", parallel=True)


@jit
def _round3(x: float) -> float:
    return np.rint(x * 1000.0) / 1000.0


@jit
def _listed(k: float, centre: float, step: float, side: float) -> float:
    """The strike of today's modelled chain that strike k is (same to 3 decimals, within `side` steps, positive),
    or -1 when k is not listed today (the grid moved with the spot)."""
    j = np.rint((k - centre) / step)
    listed = centre + step * j
    return listed if (abs(j) <= side and listed > 0.0 and _round3(listed) == _round3(k)) else -1.0


@jit
def _log(out: np.ndarray, n_ev: int, day: int, kind: int, call: bool, k: float, exp: int, contracts: float,
         price: float, flow: float) -> int:
    if n_ev < out.shape[0]:
        out[n_ev, 0], out[n_ev, 1], out[n_ev, 2], out[n_ev, 3] = day, kind, 1.0 if call else 0.0, k
        out[n_ev, 4], out[n_ev, 5], out[n_ev, 6], out[n_ev, 7] = exp, contracts, price, flow
    return n_ev + 1


@jit
def _ev(price: float, s: float, k: float, t: float, r: float, q: float, sigma: float, call: bool, erp: float) -> float:
    """`strategy.candidates.expected_value` for one contract."""
    mu = r + erp
    return price - np.exp(-r * t) * (np.exp(mu * t) * bs1(s, k, t, mu, q, sigma, call))


@jit
def _mark_leg(s: float, k: float, dte: float, r: float, q: float, atm: float, call: bool, listed: float,
              cm: np.ndarray, slip: float, g: np.ndarray) -> tuple[float, float, float, float]:
    """(mark, close cost, delta, vol) as `decide_many._mark` computes them: the chain quote when the strike is
    listed today, else the American Bjerksund-Stensland price at the ATM vol."""
    t = max(dte, 0.5) / 365.0
    if listed > 0.0:
        iv, _, bid, ask = quote1(s, listed, dte / 365.0, r, q, atm, call, cm[CM_SKEW], cm[CM_SPREAD], cm[CM_TICK])
        mark = (bid + ask) / 2.0
        cost = core.buy_price1(ask, mark, slip)
    else:
        iv = atm
        mark = bs2002_1(s, k, t, r, q, iv, call)
        cost = mark
    greeks1(s, k, t, r, q, iv, call, g)
    return mark, cost, g[1], iv


@jit
def _best_write(roll: bool, s: float, r: float, q: float, atm: float, call: bool, k_old: float, exp_old: int,
                cost: float, old_pv: float, basis: float, today: int, exps: np.ndarray, e_lo: int, e_hi: int,
                centre: float, step: float, cm: np.ndarray, rp: np.ndarray,
                g: np.ndarray) -> tuple[bool, float, int, float]:
    """Best (found, strike, expiry, price) of a roll (`roll`) or a covered call, ranked as
    `strategy.candidates.find_rolls` / `find_covered_calls` rank them, with the `strategy.core` rules.

    A cheap strike test runs before quoting (same strike or better for a roll, at or above the basis for a call);
    the full rule is applied after it, so the pre-test only saves work."""
    side = int(cm[CM_SIDE])
    slip = rp[core.R_SLIPPAGE]
    lo, hi = (rp[core.R_ROLL_DTE_MIN], rp[core.R_ROLL_DTE_MAX]) if roll else (rp[core.R_CC_DTE_MIN], rp[core.R_CC_DTE_MAX])
    floor = basis * (1.0 + rp[core.R_CC_OVER_BASIS]) - 1e-9
    found, best_k, best_e, best_p = False, 0.0, 0, 0.0
    best_score, best_tie, best_dte = -np.inf, -np.inf, np.inf
    for e in range(e_lo, e_hi):
        dte = float(exps[e] - today)
        if dte < lo or dte > hi:
            continue
        t = dte / 365.0
        for j in range(-side, side + 1):
            k = centre + step * j
            k3 = _round3(k)
            if k <= 0.0 or (roll and ((k3 < k_old - 1e-9) if call else (k3 > k_old + 1e-9))) or (not roll and k3 < floor):
                continue
            iv, _, bid, ask = quote1(s, k, t, r, q, atm, call, cm[CM_SKEW], cm[CM_SPREAD], cm[CM_TICK])
            if not ask >= bid:
                continue
            price = core.sell_price1(bid, (bid + ask) / 2.0, slip)
            if roll:
                tie = core.roll_credit1(price, cost)
                if not core.roll_ok1(call, k_old, k3, exps[e] > exp_old, dte, price, tie, rp):
                    continue
                ev_new = _ev(price, s, k3, t, r, q, iv, call, rp[core.R_ERP])
                if not np.isfinite(ev_new + old_pv - cost):
                    continue
                score = core.roll_score1(ev_new, k3, dte)
            else:
                greeks1(s, k3, t, r, q, iv, True, g)
                if not core.cc_ok1(k3, basis, dte, price, abs(g[1]), rp):
                    continue
                score = core.cc_score1(price, basis, dte)
                tie = _ev(price, s, k3, t, r, q, iv, True, rp[core.R_ERP])
            if core.better1(score, tie, dte, best_score, best_tie, best_dte):
                found, best_k, best_e, best_p = True, k3, exps[e], price
                best_score, best_tie, best_dte = score, tie, dte
    return found, best_k, best_e, best_p


@jit
def _entry(s: float, r: float, q: float, atm: float, cash: float, put_dte: float, put_delta: float, today: int,
           exps: np.ndarray, e_lo: int, e_hi: int, centre: float, step: float, cm: np.ndarray, rp: np.ndarray,
           g: np.ndarray) -> tuple[float, float, int, float, float]:
    """(contracts, strike, expiry, price, |delta|) of the new cash-secured put, as `backtest.wheel._open_put`
    picks it: the listed expiry nearest the target DTE (at least `roll_dte_min`, else 7 days), then the strike
    whose |delta| is nearest the target; as many contracts as the cash secures."""
    side = int(cm[CM_SIDE])
    slip = rp[core.R_SLIPPAGE]
    lowest = centre - step * side
    while lowest <= 0.0:
        lowest += step
    if cash // (lowest * MULTIPLIER) <= 0:   # not one contract of even the lowest listed strike is secured
        return 0.0, 0.0, 0, 0.0, 0.0
    for min_dte in (rp[core.R_ROLL_DTE_MIN], 7.0):
        best_e, best_gap = -1, np.inf
        for e in range(e_lo, e_hi):
            dte = float(exps[e] - today)
            if dte < min_dte or abs(dte - put_dte) >= best_gap:
                continue
            for jj in range(2 * side + 1):   # the expiry counts only if some put there has a bid (ATM first)
                j = jj if jj <= side else side - jj
                k = centre + step * j
                if k > 0.0 and quote1(s, k, dte / 365.0, r, q, atm, False, cm[CM_SKEW], cm[CM_SPREAD], cm[CM_TICK])[2] > 0.0:
                    best_e, best_gap = e, abs(dte - put_dte)
                    break
        if best_e < 0:
            continue
        dte = float(exps[best_e] - today)
        t = dte / 365.0
        pick_k, pick_p, pick_d, pick_gap = 0.0, 0.0, 0.0, np.inf
        for j in range(-side, side + 1):
            k = centre + step * j
            if k <= 0.0:
                continue
            iv, _, bid, ask = quote1(s, k, t, r, q, atm, False, cm[CM_SKEW], cm[CM_SPREAD], cm[CM_TICK])
            if not bid > 0.0:
                continue
            greeks1(s, k, t, r, q, iv, False, g)
            gap = abs(abs(g[1]) - put_delta)
            if gap < pick_gap:
                pick_k, pick_p, pick_d, pick_gap = k, core.sell_price1(bid, (bid + ask) / 2.0, slip), abs(g[1]), gap
            elif abs(g[1]) > put_delta:
                break   # |put delta| rises with the strike (skewed vol included), so the gap only grows from here
        n = cash // (pick_k * MULTIPLIER)
        return n, pick_k, exps[best_e], pick_p, pick_d
    return 0.0, 0.0, 0, 0.0, 0.0


# One name's book between days: legs[slot, field] (slot 0 = the short put, 1 = the covered call; N = contracts
# short, 0 = none; E = expiry as a day number) and book[field]. Cash lives with the caller (a sleeve or the pool).
L_N, L_K, L_E, L_P = range(4)
B_SHARES, B_BASIS, B_NEV = range(3)


@jit
def _settle(legs: np.ndarray, book: np.ndarray, s: float, today: int, i: int, events: np.ndarray,
            stats: np.ndarray) -> float:
    """Expire or assign the legs due today at the close (`backtest.wheel._settle`); returns the cash flow."""
    flow = 0.0
    for slot in range(2):
        if legs[slot, L_N] > 0 and legs[slot, L_E] <= today:
            n, k, call, e = legs[slot, L_N], legs[slot, L_K], slot == 1, int(legs[slot, L_E])
            legs[slot, L_N] = 0.0
            itm = s > k if call else s < k
            if not itm:
                book[B_NEV] = _log(events, int(book[B_NEV]), i, EV_EXPIRED, call, k, e, n, 0.0, 0.0)
                continue
            qty = n * MULTIPLIER
            if call:
                book[B_SHARES] -= qty
                flow += k * qty
                stats[S_AWAY] += n
                book[B_NEV] = _log(events, int(book[B_NEV]), i, EV_CALLED, call, k, e, n, k, k * qty)
            else:
                shares = book[B_SHARES]
                book[B_BASIS] = (book[B_BASIS] * shares + (k - legs[slot, L_P]) * qty) / (shares + qty)
                book[B_SHARES] = shares + qty
                flow -= k * qty
                stats[S_ASSIGNED] += n
                book[B_NEV] = _log(events, int(book[B_NEV]), i, EV_ASSIGNED, call, k, e, n, k, -k * qty)
    return flow


@jit
def _chain_window(s: float, today: int, exps: np.ndarray, horizon: int, cm: np.ndarray) -> tuple[float, float, int, int]:
    """Today's modelled chain: strike step and centre, and the listed expiries exps[e_lo:e_hi] (today < e <=
    today + horizon)."""
    step = strike_step1(s, cm[CM_STEP])
    return (step, grid_centre1(s, step), int(np.searchsorted(exps, today, side="right")),
            int(np.searchsorted(exps, today + horizon, side="right")))


@jit
def _manage(legs: np.ndarray, book: np.ndarray, s: float, r: float, q: float, a: float, today: int, i: int,
            exps: np.ndarray, win: tuple[float, float, int, int], cm: np.ndarray, rp: np.ndarray, fee: float,
            allow_rolls: bool, events: np.ndarray, stats: np.ndarray, g: np.ndarray, work: np.ndarray) -> float:
    """The manager on every leg and the uncovered shares, decided on the morning's state, then carried out
    (`decide_many` + `backtest.wheel._apply`); returns the cash flow. `work` (5 x 2) is the caller's scratch, per
    slot: action code, roll strike, roll expiry, roll price, close cost (no allocation per name-day)."""
    step, centre, e_lo, e_hi = win
    slip = rp[core.R_SLIPPAGE]
    act, roll_k, roll_e, roll_p, cost = work[0], work[1], work[2], work[3], work[4]
    for slot in range(2):
        act[slot] = core.CODE_HOLD
        if legs[slot, L_N] <= 0:
            continue
        call, k, exp = slot == 1, _round3(legs[slot, L_K]), int(legs[slot, L_E])
        dte = float(exp - today)
        listed = _listed(k, centre, step, cm[CM_SIDE])
        _, cost[slot], delta, iv = _mark_leg(s, k, dte, r, q, a, call, listed, cm, slip, g)
        itm = (s - k > 0.0) if call else (k - s > 0.0)
        code, _, want_roll, _ = core.classify1(True, call, dte, itm, abs(delta), cost[slot], legs[slot, L_P], rp)
        if want_roll:
            t = max(dte, 0.5) / 365.0
            mu = r + rp[core.R_ERP]
            old_pv = np.exp((mu - r) * t) * bs1(s, k, t, mu, q, iv, call)
            found, roll_k[slot], roll_e[slot], roll_p[slot] = _best_write(
                True, s, r, q, a, call, k, exp, cost[slot], old_pv, 0.0, today, exps, e_lo, e_hi, centre, step, cm, rp, g)
            if found:
                code = core.CODE_ROLL
        if code == core.CODE_ROLL and not allow_rolls:
            code = core.CODE_CLOSE if itm and rp[core.R_ACCEPT_ASSIGNMENT] <= 0.0 else core.CODE_HOLD
        act[slot] = code
    uncovered = book[B_SHARES] - legs[1, L_N] * MULTIPLIER
    cc_n, cc_k, cc_e, cc_p = 0.0, 0.0, 0, 0.0
    if uncovered >= MULTIPLIER:
        found, cc_k, cc_e, cc_p = _best_write(False, s, r, q, a, True, 0.0, 0, 0.0, 0.0, max(book[B_BASIS], 0.01), today,
                                              exps, e_lo, e_hi, centre, step, cm, rp, g)
        if found:
            cc_n = uncovered // MULTIPLIER
    cash = 0.0
    for slot in range(2):
        code, n, call = int(act[slot]), legs[slot, L_N], slot == 1
        if code in (core.CODE_TAKE_PROFIT, core.CODE_CLOSE, core.CODE_ROLL):
            flow = -cost[slot] * MULTIPLIER * n - fee * n
            cash += flow
            stats[S_INCOME] += flow
            kind = EV_TP if code == core.CODE_TAKE_PROFIT else (EV_CLOSE if code == core.CODE_CLOSE else EV_ROLL_CLOSE)
            stats[S_TP if code == core.CODE_TAKE_PROFIT else (S_CLOSES if code == core.CODE_CLOSE else S_ROLLS)] += 1
            book[B_NEV] = _log(events, int(book[B_NEV]), i, kind, call, legs[slot, L_K], int(legs[slot, L_E]), n,
                               -cost[slot], flow)   # paid: a negative price, as `_Book.trade` records it
            legs[slot, L_N] = 0.0
        if code == core.CODE_ROLL:
            legs[slot, L_N], legs[slot, L_K], legs[slot, L_E], legs[slot, L_P] = n, roll_k[slot], roll_e[slot], roll_p[slot]
            flow = roll_p[slot] * MULTIPLIER * n - fee * n
            cash += flow
            stats[S_INCOME] += flow
            stats[S_CALLS if call else S_PUTS] += n
            book[B_NEV] = _log(events, int(book[B_NEV]), i, EV_ROLL_OPEN, call, roll_k[slot], int(roll_e[slot]), n,
                               roll_p[slot], flow)
    if cc_n > 0 and legs[1, L_N] == 0:
        legs[1, L_N], legs[1, L_K], legs[1, L_E], legs[1, L_P] = cc_n, cc_k, cc_e, cc_p
        flow = cc_p * MULTIPLIER * cc_n - fee * cc_n
        cash += flow
        stats[S_INCOME] += flow
        stats[S_CALLS] += cc_n
        book[B_NEV] = _log(events, int(book[B_NEV]), i, EV_CC, True, cc_k, cc_e, cc_n, cc_p, flow)
    return cash


@jit
def _wants_put(legs: np.ndarray, book: np.ndarray) -> bool:
    return book[B_SHARES] == 0 and legs[0, L_N] == 0


@jit
def _sell_put(legs: np.ndarray, book: np.ndarray, budget: float, s: float, r: float, q: float, a: float,
              put_dte: float, put_delta: float, today: int, i: int, exps: np.ndarray, win: tuple[float, float, int, int],
              cm: np.ndarray, rp: np.ndarray, fee: float, events: np.ndarray, stats: np.ndarray, g: np.ndarray) -> float:
    """A new cash-secured put for at most `budget` of collateral (`backtest.wheel._open_put`); returns the cash flow."""
    step, centre, e_lo, e_hi = win
    n, k, e, p, _ = _entry(s, r, q, a, budget, put_dte, put_delta, today, exps, e_lo, e_hi, centre, step, cm, rp, g)
    if n <= 0:
        return 0.0
    legs[0, L_N], legs[0, L_K], legs[0, L_E], legs[0, L_P] = n, k, e, p
    flow = p * MULTIPLIER * n - fee * n
    stats[S_INCOME] += flow
    stats[S_PUTS] += n
    book[B_NEV] = _log(events, int(book[B_NEV]), i, EV_PUT, False, k, e, n, p, flow)
    return flow


@jit
def _short_value(legs: np.ndarray, s: float, r: float, q: float, a: float, today: int, cm: np.ndarray) -> float:
    """What buying back the open legs would cost (European, skewed model vol: `backtest.wheel._leg_marks`)."""
    short = 0.0
    for slot in range(2):
        if legs[slot, L_N] > 0:
            k = legs[slot, L_K]
            t = max(float(legs[slot, L_E] - today), 0.5) / 365.0
            iv = min(max(a + cm[CM_SKEW] * np.log(s / k), 0.05), 3.0)
            short += bs1(s, k, t, r, q, iv, slot == 1) * legs[slot, L_N] * MULTIPLIER
    return short


@jit
def _sleeve(j: int, spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray, days: np.ndarray,
            exps: np.ndarray, put_dte: float, put_delta: float, start_cash: float, rp: np.ndarray, cm: np.ndarray,
            fee: float, allow_rolls: bool, horizon: int, value: np.ndarray, held: np.ndarray, cash_out: np.ndarray,
            stats: np.ndarray, events: np.ndarray) -> int:
    """One name's Wheel over all days (`backtest.wheel.run_wheel`); fills column j of value / held / cash_out,
    stats[j] and events[j]; returns the number of events."""
    g, work = np.empty(6), np.zeros((5, 2))
    legs, book = np.zeros((2, 4)), np.zeros(3)
    cash, min_free = start_cash, np.inf
    for i in range(days.size):
        s, r, q, a, today = spot[i, j], rate[i], div[i, j], atm[i, j], days[i]
        if i:
            gap = (today - days[i - 1]) / 365.0
            cash += cash * rate[i - 1] * gap + book[B_SHARES] * s * div[i - 1, j] * gap
        cash += _settle(legs, book, s, today, i, events[j], stats[j])
        win = _chain_window(s, today, exps, horizon, cm)
        cash += _manage(legs, book, s, r, q, a, today, i, exps, win, cm, rp, fee, allow_rolls, events[j], stats[j], g,
                        work)
        if _wants_put(legs, book):
            cash += _sell_put(legs, book, cash, s, r, q, a, put_dte, put_delta, today, i, exps, win, cm, rp, fee,
                              events[j], stats[j], g)
        value[i, j] = cash + book[B_SHARES] * s - _short_value(legs, s, r, q, a, today, cm)
        held[i, j] = book[B_SHARES]
        cash_out[i, j] = cash
        stats[j, S_DAYS_SHARES] += 1.0 if book[B_SHARES] > 0 else 0.0
        min_free = min(min_free, cash - legs[0, L_N] * legs[0, L_K] * MULTIPLIER)
    stats[j, S_MIN_FREE] = min_free
    return int(book[B_NEV])


@pjit
def wheel_kernel(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray, days: np.ndarray,
                 exps: np.ndarray, put_dte: np.ndarray, put_delta: float, start_cash: np.ndarray, rp: np.ndarray,
                 cm: np.ndarray, fee: float, allow_rolls: bool, horizon: np.ndarray, value: np.ndarray,
                 held: np.ndarray, cash_out: np.ndarray, stats: np.ndarray, events: np.ndarray,
                 n_events: np.ndarray) -> None:
    for j in nb.prange(spot.shape[1]):
        n_events[j] = _sleeve(j, spot, atm, rate, div, days, exps, float(put_dte[j]), put_delta, start_cash[j], rp,
                              cm, fee, allow_rolls, horizon[j], value, held, cash_out, stats, events)


@jit
def _budget(legs: np.ndarray, books: np.ndarray, j: int, treasury: float, s: float, value: float, cap: float) -> float:
    """Collateral a new put of name j may take: free cash, and the cap on the name's share of the account
    (`backtest.portfolio._budget`)."""
    coll = legs[:, 0, L_N] * legs[:, 0, L_K] * MULTIPLIER
    return max(0.0, min(treasury - coll.sum(), cap * value - coll[j] - books[j, B_SHARES] * s))


@jit
def pool_kernel(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, days: np.ndarray, exps: np.ndarray,
                put_dte: np.ndarray, put_delta: float, start_cash: float, cap: float, rp: np.ndarray, cm: np.ndarray,
                fee: float, allow_rolls: bool, horizon: np.ndarray, daily: np.ndarray, held: np.ndarray,
                stats: np.ndarray, events: np.ndarray, n_events: np.ndarray) -> None:
    """All names on one pool of cash (`backtest.portfolio.run_wheel_portfolio`), day by day, names in order.

    daily[i] = treasury, collateral, free cash, shares, shares value, short options, account value."""
    n_names = spot.shape[1]
    g, work = np.empty(6), np.zeros((5, 2))
    legs, books = np.zeros((n_names, 2, 4)), np.zeros((n_names, 3))
    treasury = start_cash
    eligible = np.zeros(n_names, np.bool_)
    for i in range(days.size):
        today, r = days[i], rate[i]
        if i:
            treasury += treasury * rate[i - 1] * (today - days[i - 1]) / 365.0
        for j in range(n_names):
            treasury += _settle(legs[j], books[j], spot[i, j], today, i, events[j], stats[j])
        value = treasury
        for j in range(n_names):
            value += books[j, B_SHARES] * spot[i, j] - _short_value(legs[j], spot[i, j], r, 0.0, atm[i, j], today, cm)
        # names that may sell a put today: those the manager looks at, and those with room for one
        for j in range(n_names):
            s = spot[i, j]
            eligible[j] = (not _wants_put(legs[j], books[j])) or (
                _budget(legs, books, j, treasury, s, value, cap) >= 0.5 * s * MULTIPLIER)
        for j in range(n_names):
            if not _wants_put(legs[j], books[j]):
                win = _chain_window(spot[i, j], today, exps, horizon[j], cm)
                treasury += _manage(legs[j], books[j], spot[i, j], r, 0.0, atm[i, j], today, i, exps, win, cm, rp, fee,
                                    allow_rolls, events[j], stats[j], g, work)
        for j in range(n_names):
            s = spot[i, j]
            if eligible[j] and _wants_put(legs[j], books[j]):
                budget = _budget(legs, books, j, treasury, s, value, cap)
                win = _chain_window(s, today, exps, horizon[j], cm)
                treasury += _sell_put(legs[j], books[j], budget, s, r, 0.0, atm[i, j], float(put_dte[j]), put_delta,
                                      today, i, exps, win, cm, rp, fee, events[j], stats[j], g)
        coll, shares, shares_value, short = 0.0, 0.0, 0.0, 0.0
        for j in range(n_names):
            s = spot[i, j]
            coll += legs[j, 0, L_N] * legs[j, 0, L_K] * MULTIPLIER
            shares += books[j, B_SHARES]
            shares_value += books[j, B_SHARES] * s
            short += _short_value(legs[j], s, r, 0.0, atm[i, j], today, cm)
            held[i, j] = books[j, B_SHARES]
            stats[j, S_DAYS_SHARES] += 1.0 if books[j, B_SHARES] > 0 else 0.0
        daily[i, 0], daily[i, 1], daily[i, 2], daily[i, 3] = treasury, coll, treasury - coll, shares
        daily[i, 4], daily[i, 5], daily[i, 6] = shares_value, short, treasury + shares_value - short
    for j in range(n_names):
        n_events[j] = int(books[j, B_NEV])
        stats[j, S_MIN_FREE] = daily[:, 2].min()


# ------------------------------------------------------------------------------------------------ Python API


@dataclass(frozen=True)
class WheelPaths:
    """Per-name results of the array engine: values (days x names), shares held, counters and the event log."""

    value: pd.DataFrame
    shares: pd.DataFrame
    cash: pd.DataFrame
    per_name: pd.DataFrame
    events: pd.DataFrame


def wheel_paths(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray, days: pd.DatetimeIndex,
                expiries: pd.DatetimeIndex, config: WheelConfig, names: list[str] | None = None,
                start_cash: float | np.ndarray | None = None, put_dte: np.ndarray | None = None,
                record_events: bool = True) -> WheelPaths:
    """Run the Wheel on every column of `spot` (days x names) with the chain vol `atm` (days x names), the
    continuous T-bill `rate` (days) and dividend yield `div` (days or days x names).

    Each name starts with `start_cash` (default: the config's, per name) and aims new puts at `put_dte` (per name;
    default the config's). Raises InputError for misshapen or non-finite inputs.
    """
    # column-major (each name's days contiguous): a sleeve walks its own column, so keep it in one cache stream
    _no_planner(config)
    spot = np.asfortranarray(spot, dtype=float)
    n_days, n_names = spot.shape if spot.ndim == 2 else (0, 0)
    names = names or [f"path{j}" for j in range(n_names)]
    if (spot.ndim != 2 or np.shape(atm) not in ((), (n_days,), spot.shape, (n_days, 1)) or len(days) != n_days
            or np.shape(rate) != (n_days,)):
        raise InputError(f"spot must be days x names ({len(days)} x {len(names)}), the vol on the same grid and the "
                         f"rate one value a day; got spot {spot.shape}, vol {np.shape(atm)}, rate {np.shape(rate)}",
                         where="wheel_paths", hint="align the inputs on one calendar")
    atm = np.asarray(atm, dtype=float)
    atm = np.asfortranarray(np.broadcast_to(atm[:, None] if atm.ndim == 1 else atm, spot.shape), dtype=float)
    div2 = np.asfortranarray(np.broadcast_to(div[:, None] if np.ndim(div) == 1 else div, spot.shape), dtype=float)
    rate = np.ascontiguousarray(rate, dtype=float)
    _check_paths(spot, atm, rate, div2, days, names)
    cash = np.ascontiguousarray(np.broadcast_to(config.start_cash if start_cash is None else start_cash, (n_names,)),
                                dtype=float)
    dte = np.ascontiguousarray(np.broadcast_to(config.put_dte if put_dte is None else put_dte, (n_names,)), dtype=np.int64)
    horizon = np.maximum(config.rules.roll_dte_max, dte) + 35
    day_no = days.to_numpy(dtype="datetime64[D]").astype(np.int64)
    exp_no = np.unique(pd.DatetimeIndex(expiries).to_numpy(dtype="datetime64[D]").astype(np.int64))
    cm = _chain_vector(config)
    value, held, cash_out = (np.empty(spot.shape, order="F") for _ in range(3))
    stats = np.zeros((n_names, len(STAT_NAMES)))
    events = np.zeros((n_names, 6 * n_days // 5 + 50 if record_events else 0, 8))
    n_events = np.zeros(n_names, dtype=np.int64)
    wheel_kernel(spot, atm, rate, div2, day_no, exp_no, dte, float(config.put_delta), cash, core.rule_array(config.rules),
                 cm, float(config.commission_per_contract), bool(config.allow_rolls), horizon, value, held, cash_out,
                 stats, events, n_events)
    if record_events and (n_events > events.shape[1]).any():
        raise InputError("the event log overflowed", where="wheel_paths", hint="run with record_events=False")
    index = pd.Index(names, name="symbol")
    per_name = pd.DataFrame(stats, index=index, columns=list(STAT_NAMES))
    per_name["days_in_shares"] = per_name["days_in_shares"] / n_days
    per_name = per_name.rename(columns={"days_in_shares": "time_in_shares"})
    per_name["assignment_rate"] = np.where(per_name["puts_sold"] > 0, per_name["puts_assigned"]
                                           / per_name["puts_sold"].clip(lower=1), 0.0)
    return WheelPaths(value=pd.DataFrame(value, index=days, columns=index),
                      shares=pd.DataFrame(held, index=days, columns=index),
                      cash=pd.DataFrame(cash_out, index=days, columns=index), per_name=per_name,
                      events=_event_frame(events, n_events, names, days) if record_events else pd.DataFrame())


def _no_planner(config: WheelConfig) -> None:
    if config.planner is not None:
        raise InputError("new puts from the planner (--entry plan) run on the manager engine only",
                         where="--engine", hint="use --engine manager, or the delta/DTE entry rule")


def _chain_vector(config: WheelConfig) -> np.ndarray:
    return np.array([config.chain.skew, config.chain.spread_pct, config.chain.tick, config.chain.strike_step_pct,
                     config.chain.strikes_each_side], dtype=float)


def _check_paths(spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray, days: pd.DatetimeIndex,
                 names: list[str]) -> None:
    if spot.shape[1] != len(names):
        raise InputError(f"{len(names)} names for {spot.shape[1]} price columns", where="wheel_paths",
                         hint="one name per column of spot")
    for label, arr in (("spot", spot), ("atm vol", atm), ("rate", rate), ("dividend yield", div)):
        bad = ~np.isfinite(arr) | ((arr <= 0) if label in ("spot", "atm vol") else False)
        if bad.any():
            at = np.argwhere(bad)[0]
            raise InputError(f"{label} is missing, non-finite or non-positive on {days[int(at[0])].date()}"
                             + (f" for {names[int(at[1])]}" if arr.ndim == 2 else ""), where="wheel_paths",
                             hint="drop names or days without data, or start after the vol warm-up")
    if not days.is_monotonic_increasing or days.has_duplicates:
        raise InputError("days must be strictly increasing", where="wheel_paths", hint="sort and de-duplicate")


def _event_frame(events: np.ndarray, n_events: np.ndarray, names: list[str], days: pd.DatetimeIndex) -> pd.DataFrame:
    rows = [events[j, : n_events[j]] for j in range(len(names))]
    flat = np.concatenate(rows) if rows else np.zeros((0, 8))
    sym = np.repeat(np.asarray(names, dtype=object), n_events)
    frame = pd.DataFrame({
        "date": days[flat[:, 0].astype(int)], "symbol": sym,
        "action": np.asarray(EVENT_KINDS, dtype=object)[flat[:, 1].astype(int)],
        "right": np.where(flat[:, 2] > 0, "C", "P"), "strike": flat[:, 3],
        "expiry": pd.to_datetime(flat[:, 4].astype("int64"), unit="D"), "contracts": flat[:, 5].astype(int),
        "price": flat[:, 6], "cash_flow": flat[:, 7]})
    return frame.sort_values(["date"], kind="stable").reset_index(drop=True)


REASONS = {
    "sell_to_open (put)": "new cash-secured put at the target delta and DTE",
    "sell_to_open (covered call)": "covered call on uncovered shares (best premium yield on the cost basis)",
    "sell_to_open (roll)": "tested short rolled out for a credit",
    "buy_to_close (take_profit)": "take-profit share of the premium captured",
    "buy_to_close (close)": "tested short closed (assignment not accepted)",
    "buy_to_close (roll)": "tested short bought back to roll",
    "expired": "expired out of the money",
    "assigned": "put assigned: shares bought at the strike",
    "called_away": "covered call assigned: shares sold at the strike",
}


def run_wheel_compiled(history: MarketHistory, start: date, end: date, config: WheelConfig | None = None,
                       symbol: str = "SPX", closes: pd.Series | None = None) -> WheelResult:
    """`backtest.wheel.run_wheel` on the compiled engine: same inputs, same trades, same result type, ~1000x
    faster. Event reasons are the rule's name, not `decide_many`'s sentence with numbers."""
    cfg = config or WheelConfig()
    px, days, rate, q, expiries, atm = wheel_inputs(history, start, end, cfg, closes)
    if np.isnan(atm).any():
        raise InputError(f"not enough history before {days[0].date()} for the modelled vol (21 returns)",
                         where="run_wheel", hint="start later")
    paths = wheel_paths(px.loc[days].to_numpy(dtype=float)[:, None], atm[:, None], rate, q, days, expiries, cfg,
                        names=[symbol])
    spot = px.loc[days].to_numpy(dtype=float)
    shares = paths.shares[symbol].to_numpy()
    cash, value = paths.cash[symbol].to_numpy(), paths.value[symbol].to_numpy()
    daily = pd.DataFrame({"cash": cash, "shares": shares.astype(np.int64), "shares_value": shares * spot,
                          "short_options": cash + shares * spot - value, "value": value}, index=days)
    book = _book(paths.events, paths.per_name.loc[symbol], float(cash[-1]), int(shares[-1]))
    out = _result(book, daily, rate, symbol, history.label)
    return replace(out, label=out.label + " [compiled engine]")


def _book(events: pd.DataFrame, stats: pd.Series, cash: float, shares: int) -> _Book:
    """One name's compiled events and counters as the event loop's `_Book` (dates, reasons, counts)."""
    ev = events.drop(columns="symbol")
    ev = ev.assign(date=[d.date() for d in ev["date"]], expiry=[d.date() for d in ev["expiry"]],
                   reason=ev["action"].map(REASONS))
    return _Book(cash=cash, shares=shares, events=ev.to_dict("records"), puts_sold=int(stats["puts_sold"]),
                 puts_assigned=int(stats["puts_assigned"]))


def run_wheel_portfolio_compiled(history: MarketHistory, closes: pd.DataFrame, start: date, end: date,
                                 config: WheelConfig | None = None, max_pct_per_name: float = 0.34,
                                 stagger: bool = True) -> WheelPortfolioResult:
    """`backtest.portfolio.run_wheel_portfolio` (one pool of cash, a cap per name at entry, staggered weekly
    expiries) on the compiled engine: same inputs, same trades, same result type."""
    cfg = config or WheelConfig()
    _no_planner(cfg)
    px, days, rate, atm_frame, expiry_days, target = portfolio_inputs(history, closes, start, end, cfg,
                                                                      max_pct_per_name, stagger)
    names = list(px.columns)
    atm = atm_frame.to_numpy()
    expiries = pd.DatetimeIndex(expiry_days)
    dte = np.asarray([target[n] for n in names], dtype=np.int64)
    rules = cfg.rules
    horizon = np.maximum(max(rules.roll_dte_max, rules.cc_dte_max), dte) + 35
    spot = np.ascontiguousarray(px.loc[days].to_numpy(dtype=float))
    daily = np.zeros((len(days), 7))
    held = np.zeros(spot.shape)
    stats = np.zeros((len(names), len(STAT_NAMES)))
    events = np.zeros((len(names), 6 * len(days) // 5 + 50, 8))
    n_events = np.zeros(len(names), dtype=np.int64)
    day_no = days.to_numpy(dtype="datetime64[D]").astype(np.int64)
    exp_no = np.unique(expiries.to_numpy(dtype="datetime64[D]").astype(np.int64))
    pool_kernel(spot, np.ascontiguousarray(atm), rate, day_no, exp_no, dte, float(cfg.put_delta), float(cfg.start_cash),
                float(max_pct_per_name), core.rule_array(rules), _chain_vector(cfg), float(cfg.commission_per_contract),
                bool(cfg.allow_rolls), horizon, daily, held, stats, events, n_events)
    if (n_events > events.shape[1]).any():
        raise InputError("the event log overflowed", where="run_wheel_portfolio_compiled", hint="shorten the period")
    frame = _event_frame(events, n_events, names, days)
    per = pd.DataFrame(stats, index=names, columns=list(STAT_NAMES))
    books = {n: _book(frame[frame["symbol"] == n], per.loc[n], 0.0, int(held[-1, j])) for j, n in enumerate(names)}
    pool = _Pool(float(daily[-1, 0]), books, dict(zip(names, dte.tolist(), strict=True)))
    table = pd.DataFrame(daily, index=days, columns=["cash", "collateral", "free_cash", "shares", "shares_value",
                                                    "short_options", "value"])
    out = _assemble(pool, table, held.astype(np.int64), rate, names, history.label, max_pct_per_name)
    return replace(out, label=out.label + " [compiled engine]")


@dataclass(frozen=True)
class WheelSleevesResult:
    """The account (sum of the sleeves) with its metrics, plus every name's own value and counters."""

    paths: WheelPaths
    daily: pd.DataFrame
    metrics: Metrics
    label: str


def run_wheel_sleeves(history: MarketHistory, closes: pd.DataFrame, start: date, end: date,
                      config: WheelConfig | None = None, stagger: bool = False) -> WheelSleevesResult:
    """The Wheel on every column of `closes` (real closes, no dividends), each name an equal sleeve of the
    config's start cash; rates from `history`. With `stagger`, weekly expiries and name i aiming at DTE +
    7 x (i mod 4), as `run_wheel_portfolio` does."""
    cfg = config or WheelConfig()
    px = closes.rename(columns=lambda c: str(c).upper()).sort_index()
    names = list(px.columns)
    days = pd.DatetimeIndex(px.loc[pd.Timestamp(start): pd.Timestamp(end)].dropna(how="any").index)
    if len(days) < 30 or len(px.loc[: days[0]]) < 30:
        raise InputError("the Wheel needs at least 30 trading days and 30 days of history before the start",
                         where="run_wheel_sleeves", hint="widen the period or start later")
    _, rate = tbill_rates(history, days)
    model = IVModel(vrp_factor=cfg.chain.vrp_factor)
    atm = np.column_stack([realized_iv(px[n].dropna(), days, model) for n in names])
    last = days[-1].date() + pd.Timedelta(days=150)
    expiries = (pd.DatetimeIndex(weekly_expiries(days[0].date(), last)) if stagger
                else roll_dates(days[0].date(), last))
    dte = cfg.put_dte + (7 * (np.arange(len(names)) % 4) if stagger else 0)
    paths = wheel_paths(px.loc[days].to_numpy(dtype=float), atm, rate, np.zeros(len(days)), days, expiries, cfg,
                        names=names, start_cash=cfg.start_cash / len(names), put_dte=np.asarray(dte))
    total = paths.value.sum(axis=1)
    tb = pd.Series(np.concatenate([[1.0], np.cumprod(1 + rate[:-1] * np.diff(days.to_numpy()).astype(
        "timedelta64[D]").astype(float) / 365.0)]), index=days)
    daily = pd.DataFrame({"value": total, "tbill_growth": tb})
    rf = month_end_values(tb).pct_change().dropna()
    return WheelSleevesResult(paths=paths, daily=daily, metrics=compute_metrics(total, rf),
                              label=f"Wheel on {', '.join(names)} (equal sleeves), MODELLED option prices; "
                                    f"T-bill rates from {history.label}")


# the kernels above compile in pricing, chain-quote and rule code from those files: key the cache on them too
cache_depends_on(globals(), *SOURCES, modelled.__file__, core.__file__)
