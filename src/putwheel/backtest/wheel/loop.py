"""The Wheel's one day loop, compiled: every name, every day, on one pool of cash or on sleeves of their own.

Per day: accrue T-bill interest (and dividends on shares); settle what expires at the close; the manager on
every name that holds something (parallel over names: decisions do not depend on cash); new cash-secured puts for
the flat names (budget = free cash, and in a pool the cap on the name's share of the account; pool entries go
name by name in order, sleeves in parallel); marks. With a planner entry the loop stops on a day a flat name may
sell a put and returns that day: the caller sells the planner's tickets and resumes the same day at the marks.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from putwheel.backtest.wheel.book import (
    B_CASH,
    B_SHARES,
    L_K,
    L_N,
    S_DAYS_SHARES,
    S_MIN_FREE,
    settle,
    short_value,
)
from putwheel.backtest.wheel.step import chain_window, manage, sell_put, wants_put
from putwheel.data import modelled
from putwheel.pricing.scalar import SOURCES, cache_depends_on
from putwheel.strategy import core

pjit = nb.njit(cache=True, nogil=True, error_model="numpy", parallel=True)

# daily totals: cash, put collateral, free cash, shares, shares value, short options, account value
D_CASH, D_COLL, D_FREE, D_SHARES, D_SHARES_VALUE, D_SHORT, D_VALUE = range(7)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def collateral(legs: np.ndarray, j: int, mult: float) -> float:
    return legs[j, 0, L_N] * legs[j, 0, L_K] * mult


@nb.njit(cache=True, nogil=True, error_model="numpy")
def pool_budget(legs: np.ndarray, books: np.ndarray, j: int, cash: float, s: float, value: float, cap: float,
                mult: float) -> float:
    """Collateral a new put of name j may take from the pool: the free cash, and the cap on its share of the account."""
    coll = 0.0
    for m in range(legs.shape[0]):
        coll += collateral(legs, m, mult)
    return max(0.0, min(cash - coll, cap * value - collateral(legs, j, mult) - books[j, B_SHARES] * s))


@pjit
def run_days(i0: int, i1: int, resume: bool, spot: np.ndarray, atm: np.ndarray, rate: np.ndarray, accrual: np.ndarray,
             div: np.ndarray,
             days: np.ndarray, exps: np.ndarray, put_dte: np.ndarray, put_delta: float, rp: np.ndarray, cm: np.ndarray,
             allow_rolls: bool, horizon: np.ndarray, pooled: bool, cap: float, planner: bool, legs: np.ndarray,
             books: np.ndarray, pool: np.ndarray, events: np.ndarray, stats: np.ndarray, cand: np.ndarray,
             g: np.ndarray, name_value: np.ndarray, held: np.ndarray, name_cash: np.ndarray,
             daily: np.ndarray) -> int:
    """Run days i0..i1-1; returns i1, or the day a planner entry is due (then call again with `resume`).

    `rate` is the continuous rate options are priced at, `accrual` the simple T-bill yield cash earns."""
    n_names, mult = spot.shape[1], rp[core.R_MULT]
    flows, short = np.zeros(n_names), np.zeros(n_names)
    for i in range(i0, i1):
        today, r = days[i], rate[i]
        if not (resume and i == i0):
            gap = (today - days[i - 1]) / 365.0 if i else 0.0
            pool[0] += pool[0] * accrual[i - 1] * gap if i else 0.0
            for j in nb.prange(n_names):
                s = spot[i, j]
                carry = books[j, B_SHARES] * s * div[i - 1, j] * gap if i else 0.0
                if i:
                    carry += books[j, B_CASH] * accrual[i - 1] * gap
                flow = settle(legs[j], books[j], s, today, i, mult, events[j], stats[j])
                if not wants_put(legs[j], books[j]):
                    win = chain_window(s, today, exps, horizon[j], cm)
                    flow += manage(legs[j], books[j], s, r, div[i, j], atm[i, j], today, i, exps, win, cm, rp,
                                   allow_rolls, events[j], stats[j], g[j], cand[j])
                if pooled:
                    flows[j] = flow + carry
                else:
                    books[j, B_CASH] += flow + carry
            if pooled:
                pool[0] += flows.sum()
            value = pool[0]
            for j in range(n_names):
                value += books[j, B_CASH] + books[j, B_SHARES] * spot[i, j] - short_value(
                    legs[j], spot[i, j], r, div[i, j], atm[i, j], today, cm, mult)
            if planner:
                for j in range(n_names):
                    s = spot[i, j]
                    room = pool_budget(legs, books, j, pool[0], s, value, cap, mult) if pooled else books[j, B_CASH]
                    if wants_put(legs[j], books[j]) and room >= 0.5 * s * mult:
                        return i
            elif pooled:
                for j in range(n_names):
                    if wants_put(legs[j], books[j]):
                        s = spot[i, j]
                        budget = pool_budget(legs, books, j, pool[0], s, value, cap, mult)
                        win = chain_window(s, today, exps, horizon[j], cm)
                        pool[0] += sell_put(legs[j], books[j], budget, s, r, div[i, j], atm[i, j], float(put_dte[j]),
                                            put_delta, today, i, exps, win, cm, rp, events[j], stats[j], g[j])
            else:
                for j in nb.prange(n_names):
                    if wants_put(legs[j], books[j]):
                        s = spot[i, j]
                        win = chain_window(s, today, exps, horizon[j], cm)
                        books[j, B_CASH] += sell_put(legs[j], books[j], books[j, B_CASH], s, r, div[i, j], atm[i, j],
                                                     float(put_dte[j]), put_delta, today, i, exps, win, cm, rp,
                                                     events[j], stats[j], g[j])
        for j in nb.prange(n_names):
            s = spot[i, j]
            short[j] = short_value(legs[j], s, r, div[i, j], atm[i, j], today, cm, mult)
            name_value[i, j] = books[j, B_CASH] + books[j, B_SHARES] * s - short[j]
            held[i, j] = books[j, B_SHARES]
            name_cash[i, j] = books[j, B_CASH]
            stats[j, S_DAYS_SHARES] += 1.0 if books[j, B_SHARES] > 0 else 0.0
            if not pooled:
                stats[j, S_MIN_FREE] = min(stats[j, S_MIN_FREE], books[j, B_CASH] - collateral(legs, j, mult))
        coll, shares, shares_value = 0.0, 0.0, 0.0
        for j in range(n_names):
            coll += collateral(legs, j, mult)
            shares += books[j, B_SHARES]
            shares_value += books[j, B_SHARES] * spot[i, j]
        cash = pool[0] + name_cash[i].sum()
        daily[i, D_CASH], daily[i, D_COLL], daily[i, D_FREE], daily[i, D_SHARES] = cash, coll, cash - coll, shares
        daily[i, D_SHARES_VALUE], daily[i, D_SHORT] = shares_value, short.sum()
        daily[i, D_VALUE] = cash + shares_value - short.sum()
    return i1


cache_depends_on(globals(), *SOURCES, modelled.__file__, core.__file__)
