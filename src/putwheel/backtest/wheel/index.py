"""The Cboe benchmark rules (PUT, WPUT, BXM, BXMD, PPUT, CLL) as one more entry rule of the Wheel engine, compiled.

The Wheel's day loop (`loop.run_days`) runs them: T-bill interest and dividends on shares, settlement of the legs
due (cash-settled, at the settlement price), the marks, the book and the event log are the Wheel's. What an index
changes is only what happens on a roll: instead of the manager and the delta/DTE put entry, `index_roll` re-weights
the account to the index's units and writes (or buys) the legs its rule names, priced by the engine's marks
(`book.leg_vol`, Black-Scholes at the model vol), and the legs are held to expiry (no rolls, no take-profit).

Rule vector `ix` (floats; see `IX_*`): hold the index (1/0); short put at or just below the spot (1/0); covered
call: 0 none, 1 at or just above spot x moneyness, 2 the listed strike whose delta is nearest a target; long put at
or just below spot x moneyness (0 none); the strike step.

Units: on a roll the account value V (cash + shares + any long leg still held, at the write price) buys u index
units, u = (V - kept long leg) / (S + P_long - C_short) with shares, or u = V / K for the cash-secured put (the
premium on top, as the PUT methodology); contracts = floor(u / multiplier), so the short put is always fully
secured by cash and the call always covered by shares.
"""

from __future__ import annotations

import numpy as np

from putwheel.backtest.wheel import book as _book_src
from putwheel.backtest.wheel import step as _step_src
from putwheel.backtest.wheel.book import (
    A_BTO,
    A_STC,
    B_SHARES,
    B_STOCK_COST,
    L_E,
    L_K,
    L_N,
    L_P,
    SLOT_LONG_PUT,
    jit,
    leg_vol,
    log,
    option_cash,
)
from putwheel.backtest.wheel.step import write
from putwheel.data import modelled
from putwheel.pricing.scalar import SOURCES, bs1, cache_depends_on, greeks1
from putwheel.strategy import core, reasons

IX_SHARES, IX_PUT, IX_CALL, IX_CALL_PARAM, IX_LONG_PUT, IX_STEP = range(6)
N_IX = 6
CALL_NONE, CALL_MONEYNESS, CALL_DELTA = 0, 1, 2


@jit
def _next_expiry(exps: np.ndarray, today: int) -> float:
    e = int(np.searchsorted(exps, today, side="right"))
    return float(exps[e]) if e < exps.size else np.nan


@jit
def _price(s: float, k: float, dte: float, r: float, q: float, a: float, call: bool, cm: np.ndarray) -> tuple[float, float]:
    t = dte / 365.0
    iv = leg_vol(s, k, t, r, q, a, cm)
    return bs1(s, k, t, r, q, iv, call), iv


@jit
def _call_strike(s: float, dte: float, r: float, q: float, a: float, ix: np.ndarray, cm: np.ndarray,
                 g: np.ndarray) -> float:
    step = ix[IX_STEP]
    if ix[IX_CALL] == CALL_MONEYNESS:
        return np.ceil(s * ix[IX_CALL_PARAM] / step - 1e-9) * step
    # the listed strike (at or above the spot) whose call delta is nearest the target: delta falls as k rises
    target, t = ix[IX_CALL_PARAM], dte / 365.0
    k = np.ceil(s / step - 1e-9) * step
    best_k, best_gap = k, np.inf
    for _ in range(400):
        greeks1(s, k, t, r, q, leg_vol(s, k, t, r, q, a, cm), True, g)
        gap = abs(g[1] - target)
        if gap < best_gap:
            best_k, best_gap = k, gap
        elif g[1] < target:
            break
        k += step
    return best_k


@jit
def _trade_long(legs: np.ndarray, book: np.ndarray, n: float, k: float, e: float, price: float, buy: bool, i: int,
                rp: np.ndarray, events: np.ndarray, x1: float, x2: float, x3: float) -> float:
    """Buy n long puts into slot 2 (or, `buy` False, sell the n held); returns the cash flow."""
    mult = rp[core.R_MULT]
    flow = (-price if buy else price) * mult * n - rp[core.R_FEE] * n
    legs[SLOT_LONG_PUT, L_N] = n if buy else 0.0
    if buy:
        legs[SLOT_LONG_PUT, L_K], legs[SLOT_LONG_PUT, L_E], legs[SLOT_LONG_PUT, L_P] = k, e, price
    option_cash(book, flow)
    log(book, events, i, A_BTO if buy else A_STC, False, k, e, n, price, flow, reasons.INDEX_LEG, x1, x2, x3)
    return flow


@jit
def roll_due(legs: np.ndarray, ix: np.ndarray) -> bool:
    """A roll is due when the legs that set the index's cycle are gone: its short legs, or (no short leg in the
    rule, e.g. PPUT) its long put."""
    if ix[IX_CALL] != CALL_NONE or ix[IX_PUT] > 0:
        return not (legs[0, L_N] > 0 or legs[1, L_N] > 0)
    return not legs[SLOT_LONG_PUT, L_N] > 0


@jit
def index_roll(legs: np.ndarray, book: np.ndarray, cash: float, s: float, r: float, q: float, a: float, today: int,
               i: int, exps: np.ndarray, exps_long: np.ndarray, ix: np.ndarray, cm: np.ndarray, rp: np.ndarray,
               events: np.ndarray, stats: np.ndarray, g: np.ndarray) -> float:
    """On a day a roll is due (the first day, or after today's settlement; `roll_due`): re-weight to the index's units
    at the write price `s` and write the legs of rule `ix`; returns the cash flow (shares bought are paid for)."""
    if not roll_due(legs, ix):
        return 0.0
    mult, step = rp[core.R_MULT], ix[IX_STEP]
    e_short = _next_expiry(exps, today)
    if not np.isfinite(e_short):
        return 0.0
    dte = e_short - today
    flow = 0.0
    # the long put: kept while it runs, else bought now to its own (e.g. quarterly) expiry
    kept, p_long, k_long, e_long = 0.0, 0.0, 0.0, np.nan
    if ix[IX_LONG_PUT] > 0:
        if legs[SLOT_LONG_PUT, L_N] > 0:
            lk = legs[SLOT_LONG_PUT, L_K]
            ldte = legs[SLOT_LONG_PUT, L_E] - today
            kept = _price(s, lk, ldte, r, q, a, False, cm)[0] * legs[SLOT_LONG_PUT, L_N] * mult
        else:
            e_long = _next_expiry(exps_long, today)
            if np.isfinite(e_long):
                k_long = np.floor(s * ix[IX_LONG_PUT] / step + 1e-9) * step
                p_long = _price(s, k_long, e_long - today, r, q, a, False, cm)[0]
    value = cash + book[B_SHARES] * s + kept
    k_call, p_call, iv_call = 0.0, 0.0, 0.0
    if ix[IX_CALL] != CALL_NONE:
        k_call = _call_strike(s, dte, r, q, a, ix, cm, g)
        p_call, iv_call = _price(s, k_call, dte, r, q, a, True, cm)
    k_put, p_put, iv_put = 0.0, 0.0, 0.0
    if ix[IX_PUT] > 0:
        k_put = np.floor(s / step + 1e-9) * step
        p_put, iv_put = _price(s, k_put, dte, r, q, a, False, cm)
    # the PUT methodology's count: the T-bills -- the account plus the premium just received -- cover N x K, so the
    # premium secures puts too: N = V / (K - P) (Cboe also counts the bills' interest to expiry, which would open the
    # put before its collateral is in cash: not done, <= 0.02 pp a year)
    net_put = p_put - rp[core.R_FEE] / mult
    cash_secured = value / (k_put - net_put) if k_put > 0 else 0.0
    units = (value - kept) / (s + p_long - p_call) if ix[IX_SHARES] > 0 else cash_secured
    n = np.floor(units / mult)
    if n <= 0:
        return 0.0
    if ix[IX_SHARES] > 0:   # re-weight the shares to n x multiplier at the write price
        trade = n * mult - book[B_SHARES]
        flow -= trade * s
        book[B_SHARES] = n * mult
        book[B_STOCK_COST] = n * mult * s
    if p_long > 0:
        flow += _trade_long(legs, book, n, k_long, e_long, p_long, True, i, rp, events, s,
                            leg_vol(s, k_long, (e_long - today) / 365.0, r, q, a, cm), e_long - today)
    if p_call > 0:
        flow += write(legs, book, 1, n, k_call, e_short, p_call, p_call, 0.0, i, rp, events, stats, reasons.INDEX_LEG,
                      s, iv_call, dte)
    if p_put > 0:
        flow += write(legs, book, 0, n, k_put, e_short, p_put, p_put, 0.0, i, rp, events, stats, reasons.INDEX_LEG,
                      s, iv_put, dte)
    return flow


# the wheel modules this one compiles in (numba keys a cache on its own file only)
cache_depends_on(globals(), *SOURCES, modelled.__file__, core.__file__, _book_src.__file__, _step_src.__file__)
