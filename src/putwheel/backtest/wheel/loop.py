"""The Wheel's one day loop, compiled: the names j_lo..j_hi, every day, on one pool of cash or on sleeves.

Per day: accrue T-bill interest (and dividends on shares); settle what expires at the close; the manager on
every name that holds something; new cash-secured puts for the flat names (budget = free cash, and in a pool the
cap on the name's share of the account; pool entries go name by name in order); marks. With a planner entry the
loop stops on a day a flat name may sell a put and returns that day: the caller sells the planner's tickets and
resumes the same day at the marks.

Sleeves share nothing, so `run_sleeves` runs this same loop on chunks of names in parallel (one thread per chunk
for the whole period: a thread hand-off per day cost more than the work of a day on a loaded 2-core machine).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from putwheel.backtest.wheel import book as _book_src
from putwheel.backtest.wheel import index as _index_src
from putwheel.backtest.wheel import step as _step_src
from putwheel.backtest.wheel.book import (
    B_CASH,
    B_PLANNED,
    B_SHARES,
    L_K,
    L_N,
    PLAN_EVERY,
    S_DAYS_SHARES,
    S_MIN_FREE,
    settle,
    short_value,
)
from putwheel.backtest.wheel.index import index_roll
from putwheel.backtest.wheel.step import chain_window, manage, sell_put, wants_put
from putwheel.data import modelled
from putwheel.pricing.scalar import SOURCES, cache_depends_on
from putwheel.strategy import core

jit = nb.njit(cache=True, nogil=True, error_model="numpy")
pjit = nb.njit(cache=True, nogil=True, error_model="numpy", parallel=True)

# daily totals (pool): cash, put collateral, free cash, shares, shares value, short options, account value
D_CASH, D_COLL, D_FREE, D_SHARES, D_SHARES_VALUE, D_SHORT, D_VALUE = range(7)


@jit
def collateral(legs: np.ndarray, j: int, mult: float) -> float:
    return legs[j, 0, L_N] * legs[j, 0, L_K] * mult


@jit
def total_collateral(legs: np.ndarray, mult: float) -> float:
    coll = 0.0
    for m in range(legs.shape[0]):
        coll += collateral(legs, m, mult)
    return coll


@jit
def pool_budget(legs: np.ndarray, books: np.ndarray, j: int, cash: float, s: float, value: float, cap: float,
                mult: float) -> float:
    """Collateral a new put of name j may take from the pool: the free cash, and the cap on its share of the account."""
    return max(0.0, min(cash - total_collateral(legs, mult), cap * value - collateral(legs, j, mult) - books[j, B_SHARES] * s))


@jit
def run_days(i0: int, i1: int, resume: bool, j_lo: int, j_hi: int, spot: np.ndarray, atm: np.ndarray,
             rate: np.ndarray, accrual: np.ndarray, div: np.ndarray, days: np.ndarray, exps: np.ndarray,
             put_dte: np.ndarray, put_delta: float, rp: np.ndarray, cm: np.ndarray, allow_rolls: bool,
             horizon: np.ndarray, ix: np.ndarray, px_settle: np.ndarray, px_write: np.ndarray, exps_long: np.ndarray,
             pooled: bool, cap: float, planner: bool, legs: np.ndarray, books: np.ndarray,
             pool: np.ndarray, events: np.ndarray, stats: np.ndarray, cand: np.ndarray, g: np.ndarray,
             name_value: np.ndarray, held: np.ndarray, name_cash: np.ndarray, name_coll: np.ndarray,
             daily: np.ndarray) -> int:
    """Run days i0..i1-1 for names j_lo..j_hi-1; returns i1, or the day a planner entry is due (then call again
    with `resume`). `rate` is the continuous rate options are priced at, `accrual` the simple T-bill yield cash
    earns. In a pool (`pooled`) all cash is `pool[0]` and `daily` gets the account's totals.

    A non-empty `ix` runs a Cboe index rule instead of the Wheel's manager and put entry (`index.py`; sleeves
    only): legs settle in cash at `px_settle` and are written at `px_write`, the long put to `exps_long`."""
    mult = rp[core.R_MULT]
    index_mode = ix.size > 0
    for i in range(i0, i1):
        today, r = days[i], rate[i]
        if not (resume and i == i0):
            gap = (today - days[i - 1]) / 365.0 if i else 0.0
            if i and pooled:
                pool[0] += pool[0] * accrual[i - 1] * gap
            for j in range(j_lo, j_hi):
                s = spot[i, j]
                carry = books[j, B_SHARES] * s * div[i - 1, j] * gap if i else 0.0
                if i and not pooled:
                    carry += books[j, B_CASH] * accrual[i - 1] * gap
                if index_mode:
                    flow = settle(legs[j], books[j], px_settle[i, j], today, i, mult, events[j], stats[j], True)
                    flow += index_roll(legs[j], books[j], books[j, B_CASH] + flow + carry, px_write[i, j], r,
                                       div[i, j], atm[i, j], today, i, exps, exps_long, ix, cm, rp, events[j],
                                       stats[j], g[j])
                else:
                    flow = settle(legs[j], books[j], s, today, i, mult, events[j], stats[j])
                if not index_mode and not wants_put(legs[j], books[j]):
                    win = chain_window(s, today, exps, horizon[j], cm)
                    free = (pool[0] - total_collateral(legs, mult) if pooled
                            else books[j, B_CASH] - collateral(legs, j, mult)) + flow + carry
                    flow += manage(legs[j], books[j], s, r, div[i, j], atm[i, j], today, i, exps, win, cm, rp,
                                   allow_rolls, events[j], stats[j], g[j], cand[j], free)
                if pooled:
                    pool[0] += flow + carry
                else:
                    books[j, B_CASH] += flow + carry
            value = pool[0]   # the account's value, for the pool's cap per name (a sleeve's budget is its cash)
            for j in range(j_lo, j_hi if pooled else j_lo):
                value += books[j, B_SHARES] * spot[i, j] - short_value(legs[j], spot[i, j], r, div[i, j], atm[i, j],
                                                                        today, cm, mult)
            for j in range(j_lo, j_hi):
                if index_mode or not wants_put(legs[j], books[j]):
                    continue
                s = spot[i, j]
                budget = pool_budget(legs, books, j, pool[0], s, value, cap, mult) if pooled else books[j, B_CASH]
                if planner:
                    if budget >= 0.5 * s * mult and today - books[j, B_PLANNED] >= PLAN_EVERY:
                        return i
                    continue
                win = chain_window(s, today, exps, horizon[j], cm)
                flow = sell_put(legs[j], books[j], budget, s, r, div[i, j], atm[i, j], float(put_dte[j]), put_delta,
                                today, i, exps, win, cm, rp, events[j], stats[j], g[j])
                if pooled:
                    pool[0] += flow
                else:
                    books[j, B_CASH] += flow
        _marks(i, j_lo, j_hi, spot, atm, rate, div, days, cm, mult, pooled, legs, books, pool, stats, name_value, held,
               name_cash, name_coll, daily)
    return i1


@jit
def _marks(i: int, j_lo: int, j_hi: int, spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, div: np.ndarray,
           days: np.ndarray, cm: np.ndarray, mult: float, pooled: bool, legs: np.ndarray, books: np.ndarray,
           pool: np.ndarray, stats: np.ndarray, name_value: np.ndarray, held: np.ndarray, name_cash: np.ndarray,
           name_coll: np.ndarray, daily: np.ndarray) -> None:
    """End of day: each name's value, shares, cash and put collateral; in a pool, the account's totals."""
    coll_sum, shares, shares_value, short_sum = 0.0, 0.0, 0.0, 0.0
    for j in range(j_lo, j_hi):
        s = spot[i, j]
        short = short_value(legs[j], s, rate[i], div[i, j], atm[i, j], days[i], cm, mult)
        coll = collateral(legs, j, mult)
        name_value[i, j] = books[j, B_CASH] + books[j, B_SHARES] * s - short
        held[i, j], name_cash[i, j], name_coll[i, j] = books[j, B_SHARES], books[j, B_CASH], coll
        stats[j, S_DAYS_SHARES] += 1.0 if books[j, B_SHARES] > 0 else 0.0
        if not pooled:
            stats[j, S_MIN_FREE] = min(stats[j, S_MIN_FREE], books[j, B_CASH] - coll)
        coll_sum += coll
        shares += books[j, B_SHARES]
        shares_value += books[j, B_SHARES] * s
        short_sum += short
    if pooled:
        cash = pool[0]
        daily[i, D_CASH], daily[i, D_COLL], daily[i, D_FREE], daily[i, D_SHARES] = cash, coll_sum, cash - coll_sum, shares
        daily[i, D_SHARES_VALUE], daily[i, D_SHORT] = shares_value, short_sum
        daily[i, D_VALUE] = cash + shares_value - short_sum


@pjit
def run_sleeves(chunks: np.ndarray, spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, accrual: np.ndarray,
                div: np.ndarray, days: np.ndarray, exps: np.ndarray, put_dte: np.ndarray, put_delta: float,
                rp: np.ndarray, cm: np.ndarray, allow_rolls: bool, horizon: np.ndarray, ix: np.ndarray,
                px_settle: np.ndarray, px_write: np.ndarray, exps_long: np.ndarray, legs: np.ndarray,
                books: np.ndarray, pool: np.ndarray, events: np.ndarray, stats: np.ndarray, cand: np.ndarray,
                g: np.ndarray, name_value: np.ndarray, held: np.ndarray, name_cash: np.ndarray,
                name_coll: np.ndarray, daily: np.ndarray) -> None:
    """The day loop on each chunk of sleeves [chunks[c], chunks[c + 1]) in parallel."""
    for c in nb.prange(chunks.size - 1):
        run_days(0, days.size, False, chunks[c], chunks[c + 1], spot, atm, rate, accrual, div, days, exps, put_dte,
                 put_delta, rp, cm, allow_rolls, horizon, ix, px_settle, px_write, exps_long, False, 1.0, False,
                 legs, books, pool, events, stats, cand, g,
                 name_value, held, name_cash, name_coll, daily)


# the wheel modules this one compiles in (numba keys a cache on its own file only)
cache_depends_on(globals(), *SOURCES, modelled.__file__, core.__file__, _book_src.__file__, _step_src.__file__,
                 _index_src.__file__)
