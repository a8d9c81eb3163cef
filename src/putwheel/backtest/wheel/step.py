"""One name-day of the Wheel, compiled: manage every leg and the uncovered shares, then (maybe) sell a new put.

The rules are `strategy.core`'s (classification, keep / close / roll by expected value, the roll and covered-call
search); this module only lays today's modelled chain out as the candidate table that search reads
(`data.modelled.quote1`, the function `modelled_chain` prices with) and books the fills the simulated broker
gives (`core.sell_price1` / `core.buy_price1`: mid less / plus a share of the half-spread, plus commission).
"""

from __future__ import annotations

import numpy as np

from putwheel.backtest.wheel import book as _book_src
from putwheel.backtest.wheel.book import (
    A_BTC,
    A_STO,
    B_CYCLE,
    B_CYCLES,
    B_SHARES,
    B_SKIP_DAY,
    B_SKIP_E,
    B_SKIP_K,
    CM_SIDE,
    CM_SKEW,
    CM_SPREAD,
    CM_STEP,
    CM_TICK,
    CM_VRP,
    L_C,
    L_E,
    L_K,
    L_N,
    L_P,
    L_ROLLS,
    S_CALLS,
    S_CLOSES,
    S_INCOME,
    S_LOSS,
    S_PUTS,
    S_ROLLS,
    S_TP,
    basis1,
    jit,
    listed1,
    log,
    mark_leg,
    maybe_end_cycle,
    option_cash,
    round3,
)
from putwheel.data import modelled
from putwheel.data.modelled import grid_centre1, quote1, strike_step1
from putwheel.pricing.scalar import SOURCES, cache_depends_on, greeks1
from putwheel.strategy import core, reasons


@jit
def chain_window(s: float, today: int, exps: np.ndarray, horizon: int, cm: np.ndarray) -> tuple[float, float, int, int]:
    """Today's modelled chain: strike step and centre, and the listed expiries exps[e_lo:e_hi] (today < e <=
    today + horizon)."""
    step = strike_step1(s, cm[CM_STEP])
    return (step, grid_centre1(s, step), int(np.searchsorted(exps, today, side="right")),
            int(np.searchsorted(exps, today + horizon, side="right")))


@jit
def candidates(roll: bool, call: bool, s: float, r: float, q: float, atm: float, k_old: float, cost: float,
               basis: float, today: int, exps: np.ndarray, win: tuple[float, float, int, int], cm: np.ndarray,
               rp: np.ndarray, g: np.ndarray, cand: np.ndarray) -> int:
    """Write the contracts a roll (or a covered call) may go to into `cand` (columns `core.C_*`); returns how many.

    Only expiries in the rules' DTE window are quoted. Strikes are walked from the best for the seller outward --
    a put roll from the old strike down, a call roll from the old strike up, a covered call from the basis up --
    and the walk stops where no further strike can qualify or win: a put's (call's) price falls as its strike
    falls (rises), so past the first debit no credit roll is left, and past the first covered call that passes
    the delta cap every further one pays less (its yield, the score, only falls). The search
    (`core.best_write`) applies the full rule to what is written; on an arbitrage-free chain the walk leaves out
    only candidates that could not have been chosen."""
    step, centre, e_lo, e_hi = win
    side = int(cm[CM_SIDE])
    slip, erp = rp[core.R_SLIPPAGE], rp[core.R_ERP]
    lo, hi = (rp[core.R_ROLL_DTE_MIN], rp[core.R_ROLL_DTE_MAX]) if roll else (rp[core.R_CC_DTE_MIN], rp[core.R_CC_DTE_MAX])
    floor = basis * (1.0 + rp[core.R_CC_OVER_BASIS]) - 1e-9
    edge = k_old if roll else floor
    j0 = int(np.floor((edge - centre) / step + 1e-9)) if (roll and not call) else int(np.ceil((edge - centre) / step - 1e-9))
    down = roll and not call
    credit_only = rp[core.R_REQUIRE_CREDIT] > 0.0
    sigma_p = atm / cm[CM_VRP]
    n = 0
    for e in range(e_lo, e_hi):
        dte = float(exps[e] - today)
        if dte < lo or dte > hi:
            continue
        t = dte / 365.0
        first = np.nan
        for jj in range(2 * side + 1):
            j = j0 - jj if down else j0 + jj
            if j < -side or j > side:
                break
            k = round3(centre + step * j)
            if k <= 0.0:
                if down:
                    break
                continue
            iv, _, bid, ask = quote1(s, k, t, r, q, atm, call, cm[CM_SKEW], cm[CM_SPREAD], cm[CM_TICK])
            if not ask >= bid or n >= cand.shape[0]:
                continue
            price = core.sell_price1(bid, (bid + ask) / 2.0, slip)
            if roll:   # cheap parts of the rule first (the search applies all of it): no EV for a debit roll
                if not core.roll_ok1(call, k_old, k, True, dte, price, core.roll_credit1(price, cost), rp):
                    if credit_only and price > 0.0:
                        break
                    continue
                abs_delta = np.nan
            else:
                if not price > 0.0 or (np.isfinite(first) and price != first):
                    break
                greeks1(s, k, t, r, q, iv, call, g)
                abs_delta = abs(g[1])
                if abs_delta > rp[core.R_CC_MAX_DELTA] + 1e-12:
                    continue
                first = price
            row = cand[n]
            row[core.C_K], row[core.C_E], row[core.C_DTE], row[core.C_PRICE] = k, exps[e], dte, price
            row[core.C_EV] = core.ev1(price, s, k, t, r, q, sigma_p, call, erp)
            row[core.C_ABS_DELTA] = abs_delta
            n += 1
    return n


@jit
def _skip(book: np.ndarray, today: int) -> tuple[float, float]:
    return (book[B_SKIP_K], book[B_SKIP_E]) if book[B_SKIP_DAY] == today else (np.nan, np.nan)


@jit
def _buy_back(legs: np.ndarray, book: np.ndarray, slot: int, code: int, cost: float, today: int, i: int,
              rp: np.ndarray, events: np.ndarray, stats: np.ndarray, x1: float, x2: float, x3: float) -> float:
    n, call, mult = legs[slot, L_N], slot == 1, rp[core.R_MULT]
    flow = -cost * mult * n - rp[core.R_FEE] * n
    option_cash(book, flow)
    stats[S_INCOME] += flow
    reason = (reasons.TAKE_PROFIT if code == core.CODE_TAKE_PROFIT else reasons.ROLL if code == core.CODE_ROLL
              else reasons.CLOSE_FOR_LOSS if code == core.CODE_CLOSE_FOR_LOSS else reasons.CLOSE)
    stats[S_TP if code == core.CODE_TAKE_PROFIT else S_ROLLS if code == core.CODE_ROLL
          else S_LOSS if code == core.CODE_CLOSE_FOR_LOSS else S_CLOSES] += 1
    log(book, events, i, A_BTC, call, legs[slot, L_K], legs[slot, L_E], n, -cost, flow, reason, x1, x2, x3)
    book[B_SKIP_K], book[B_SKIP_E], book[B_SKIP_DAY] = legs[slot, L_K], legs[slot, L_E], today
    legs[slot, L_N] = 0.0
    return flow


@jit
def write(legs: np.ndarray, book: np.ndarray, slot: int, n: float, k: float, e: float, price: float, credit: float,
          rolls: float, i: int, rp: np.ndarray, events: np.ndarray, stats: np.ndarray, reason: int, x1: float,
          x2: float, x3: float) -> float:
    """Sell to open n contracts into `slot`; `credit` is the position's net credit per share after this sale."""
    if book[B_CYCLE] == 0:   # flat until now: a new cycle starts
        book[B_CYCLES] += 1
        book[B_CYCLE] = book[B_CYCLES]
    mult = rp[core.R_MULT]
    flow = price * mult * n - rp[core.R_FEE] * n
    legs[slot, L_N], legs[slot, L_K], legs[slot, L_E], legs[slot, L_P] = n, k, e, price
    legs[slot, L_C], legs[slot, L_ROLLS] = credit, rolls
    option_cash(book, flow)
    stats[S_INCOME] += flow
    stats[S_CALLS if slot == 1 else S_PUTS] += n
    log(book, events, i, A_STO, slot == 1, k, e, n, price, flow, reason, x1, x2, x3)
    return flow


@jit
def _manage_leg(legs: np.ndarray, book: np.ndarray, slot: int, s: float, r: float, q: float, a: float, today: int,
                i: int, exps: np.ndarray, win: tuple[float, float, int, int], cm: np.ndarray, rp: np.ndarray,
                allow_rolls: bool, events: np.ndarray, stats: np.ndarray, g: np.ndarray, cand: np.ndarray,
                free: float) -> float:
    """One short leg: take profit, or keep / close / roll by value; returns the cash flow. `free` is the account's
    free cash (cash less every short put's collateral): a trade that would leave it below zero is not made (the
    position is kept), so no buy-back is ever paid with money the account does not have."""
    step, centre, _, _ = win
    call, k, exp = slot == 1, round3(legs[slot, L_K]), legs[slot, L_E]
    dte = float(exp - today)
    fee_ps = rp[core.R_FEE] / rp[core.R_MULT]
    _mark, cost, delta, _iv = mark_leg(s, k, dte, r, q, a, call, listed1(k, centre, step, cm[CM_SIDE]), cm,
                                     rp[core.R_SLIPPAGE], g)
    itm = (s - k > 0.0) if call else (k - s > 0.0)
    credit = legs[slot, L_C]
    code, tested, want_roll, captured = core.classify1(True, call, dte, itm, abs(delta), cost, credit, rp)
    if code == core.CODE_LET_EXPIRE or (code == core.CODE_HOLD and not tested):
        return 0.0
    mult, n_held = rp[core.R_MULT], legs[slot, L_N]
    released = 0.0 if call else k * mult * n_held   # a put bought back frees its collateral
    if code == core.CODE_TAKE_PROFIT:
        if free - cost * mult * n_held - rp[core.R_FEE] * n_held + released < 0.0:
            return 0.0
        return _buy_back(legs, book, slot, code, cost, today, i, rp, events, stats, captured, credit, cost)
    t = max(dte, 0.5) / 365.0
    v_keep = -core.payoff_pv1(s, k, t, r, q, a / cm[CM_VRP], call, rp[core.R_ERP])
    best, v_roll, nk, ne, price = -1, -np.inf, 0.0, 0.0, 0.0
    if want_roll and allow_rolls:
        n_c = candidates(True, call, s, r, q, a, k, cost, 0.0, today, exps, win, cm, rp, g, cand)
        skip_k, skip_e = _skip(book, today)
        best, _ = core.best_write(True, call, k, exp, cost, 0.0, cand, n_c, skip_k, skip_e, rp)
        if best >= 0:
            v_roll = -cost + cand[best, core.C_EV] - 2.0 * fee_ps
            nk, ne, price = cand[best, core.C_K], cand[best, core.C_E], cand[best, core.C_PRICE]
    if want_roll and not call and max(v_roll, -cost - fee_ps) > v_keep + core.EV_MARGIN:
        # keeping a put may end in shares, on which the Wheel sells the covered call: count its EV before
        # choosing another way (searched only when keeping would otherwise lose; `cand` is reused)
        n_c = candidates(False, True, s, r, q, a, 0.0, 0.0, k - credit, today, exps, win, cm, rp, g, cand)
        cc, _ = core.best_write(False, True, 0.0, 0.0, 0.0, k - credit, cand, n_c, np.nan, np.nan, rp)
        if cc >= 0:
            v_keep += core.continuation1(abs(delta), cand[cc, core.C_EV], fee_ps)
    code, v_best, v_lost = core.choose1(code, tested, cost, credit, v_keep, best >= 0, v_roll, rp)
    if code in (core.CODE_HOLD, core.CODE_ACCEPT_ASSIGNMENT):
        return 0.0
    after = free - cost * mult * n_held - rp[core.R_FEE] * n_held + released
    if code == core.CODE_ROLL:
        after += (price * mult - rp[core.R_FEE]) * n_held - (0.0 if call else nk * mult * n_held)
    if after < 0.0:
        return 0.0
    if code != core.CODE_ROLL:
        return _buy_back(legs, book, slot, code, cost, today, i, rp, events, stats, credit - cost, v_best, v_lost)
    n, rolls = legs[slot, L_N], legs[slot, L_ROLLS] + 1
    flow = _buy_back(legs, book, slot, code, cost, today, i, rp, events, stats, price - cost, v_best, v_lost)
    new_credit = credit - cost + price - 2.0 * fee_ps
    return flow + write(legs, book, slot, n, nk, ne, price, new_credit, rolls, i, rp, events, stats, reasons.ROLL,
                        price - cost, v_best, v_lost)


@jit
def manage(legs: np.ndarray, book: np.ndarray, s: float, r: float, q: float, a: float, today: int, i: int,
           exps: np.ndarray, win: tuple[float, float, int, int], cm: np.ndarray, rp: np.ndarray, allow_rolls: bool,
           events: np.ndarray, stats: np.ndarray, g: np.ndarray, cand: np.ndarray, free: float) -> float:
    """The manager on every leg, then a covered call on uncovered shares; returns the cash flow. `free`: the
    account's free cash before it (see `_manage_leg`)."""
    flow = 0.0
    for slot in range(2):
        if legs[slot, L_N] > 0:
            before = legs[slot, L_N] * legs[slot, L_K] * rp[core.R_MULT] if slot == 0 else 0.0
            flow_slot = _manage_leg(legs, book, slot, s, r, q, a, today, i, exps, win, cm, rp, allow_rolls, events,
                                    stats, g, cand, free)
            after = legs[slot, L_N] * legs[slot, L_K] * rp[core.R_MULT] if slot == 0 else 0.0
            free += flow_slot + before - after
            flow += flow_slot
    mult = rp[core.R_MULT]
    uncovered = book[B_SHARES] - legs[1, L_N] * mult
    if uncovered >= mult and legs[1, L_N] == 0:
        basis = max(basis1(book), 0.01)
        n_c = candidates(False, True, s, r, q, a, 0.0, 0.0, basis, today, exps, win, cm, rp, g, cand)
        skip_k, skip_e = _skip(book, today)
        best, _ = core.best_write(False, True, 0.0, 0.0, 0.0, basis, cand, n_c, skip_k, skip_e, rp)
        if best >= 0:
            price = cand[best, core.C_PRICE]
            fee_ps = rp[core.R_FEE] / mult
            flow += write(legs, book, 1, uncovered // mult, cand[best, core.C_K], cand[best, core.C_E], price,
                          price - fee_ps, 0.0, i, rp, events, stats, reasons.COVERED_CALL, cand[best, core.C_ABS_DELTA],
                          basis, core.cc_score1(price, basis, cand[best, core.C_DTE]))
    maybe_end_cycle(legs, book)
    return flow


@jit
def wants_put(legs: np.ndarray, book: np.ndarray) -> bool:
    return book[B_SHARES] == 0 and legs[0, L_N] == 0


@jit
def entry(s: float, r: float, q: float, atm: float, budget: float, put_dte: float, put_delta: float, today: int,
          exps: np.ndarray, win: tuple[float, float, int, int], cm: np.ndarray, rp: np.ndarray, skip_k: float,
          skip_e: float, g: np.ndarray) -> tuple[float, float, float, float, float]:
    """(contracts, strike, expiry, price, |delta|) of the new cash-secured put: the listed expiry nearest the
    target DTE (at least `roll_dte_min`, else 7 days) with a bid, then the strike whose |delta| is nearest the
    target; as many contracts as `budget` secures (strike x multiplier x contracts <= budget)."""
    step, centre, e_lo, e_hi = win
    side, slip, mult = int(cm[CM_SIDE]), rp[core.R_SLIPPAGE], rp[core.R_MULT]
    lowest = centre - step * side
    while lowest <= 0.0:
        lowest += step
    if budget // (lowest * mult) <= 0:   # not one contract of even the lowest listed strike is secured
        return 0.0, 0.0, 0.0, 0.0, 0.0
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
        t = float(exps[best_e] - today) / 365.0
        pick_k, pick_p, pick_d, pick_gap = 0.0, 0.0, 0.0, np.inf
        for j in range(-side, side + 1):
            k = round3(centre + step * j)
            if k <= 0.0 or (k == skip_k and exps[best_e] == skip_e) or k * mult > budget:
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
        if pick_k <= 0.0:
            return 0.0, 0.0, 0.0, 0.0, 0.0
        return budget // (pick_k * mult), pick_k, float(exps[best_e]), pick_p, pick_d
    return 0.0, 0.0, 0.0, 0.0, 0.0


@jit
def sell_put(legs: np.ndarray, book: np.ndarray, budget: float, s: float, r: float, q: float, a: float,
             put_dte: float, put_delta: float, today: int, i: int, exps: np.ndarray,
             win: tuple[float, float, int, int], cm: np.ndarray, rp: np.ndarray, events: np.ndarray,
             stats: np.ndarray, g: np.ndarray) -> float:
    """A new cash-secured put for at most `budget` of collateral; returns the cash flow."""
    skip_k, skip_e = _skip(book, today)
    n, k, e, p, d = entry(s, r, q, a, budget, put_dte, put_delta, today, exps, win, cm, rp, skip_k, skip_e, g)
    if n <= 0:
        return 0.0
    fee_ps = rp[core.R_FEE] / rp[core.R_MULT]
    return write(legs, book, 0, n, k, e, p, p - fee_ps, 0.0, i, rp, events, stats, reasons.NEW_PUT, d, e - today,
                 n * k * rp[core.R_MULT])


# the wheel modules this one compiles in (numba keys a cache on its own file only)
cache_depends_on(globals(), *SOURCES, modelled.__file__, core.__file__, _book_src.__file__)
