"""The Wheel engine's book as arrays, and the compiled pieces that touch it: the log, settlement and marks.

One name's book between days (all float64):
- `legs[slot, L_*]`, slot 0 the short put, slot 1 the covered call, slot 2 a long (protective) put, which only the
  Cboe index rules use (`index.py`): contracts (0 = none; slot 2 counts contracts held long), strike, expiry (a
  day number), the last leg's sale price, the position's net credit per share across its rolls (fees included),
  the number of rolls.
- `book[B_*]`: shares held, what they cost (total), the cycle's option cash (premiums less buy-backs and fees,
  total), the cycle number (0 = flat), events logged, the name's own cash (sleeves), the contract bought back
  today (never re-sold the same day), the day the planner was last asked for this name.

The premium-adjusted basis is the one definition of `putwheel.domain.position.WheelCycle`: (share cost - the
cycle's option cash) / shares; `tests/backtest/test_engine.py` replays the engine's fills through the domain
cycle and checks the two agree to the cent.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from putwheel.data import modelled
from putwheel.data.modelled import VOL_CAP, VOL_FLOOR, quote1
from putwheel.pricing.scalar import SOURCES, american1, bs1, cache_depends_on, greeks1
from putwheel.pricing.surface import skew_vol1, smile_vol1
from putwheel.strategy import core, reasons

jit = nb.njit(cache=True, nogil=True, error_model="numpy")

L_N, L_K, L_E, L_P, L_C, L_ROLLS = range(6)
N_LEG = 6
N_SLOTS = 3          # short put, covered call, long put
SLOT_LONG_PUT = 2
(B_SHARES, B_STOCK_COST, B_CYCLE_CASH, B_CYCLE, B_NEV, B_CASH, B_SKIP_K, B_SKIP_E, B_SKIP_DAY, B_CYCLES,
 B_PLANNED) = range(11)
N_BOOK = 11
PLAN_EVERY = 7   # days: a flat name asks the planner when it goes flat, then once a week (the plan is weekly)

# event log row: day index, action, right (1 = call), strike, expiry, contracts, price, cash flow, reason code,
# cycle number, and three numbers for the reason (see `strategy.reasons.REASON_NUMBERS`)
(E_DAY, E_ACTION, E_CALL, E_K, E_EXP, E_N, E_PRICE, E_FLOW, E_REASON, E_CYCLE, E_X1, E_X2, E_X3) = range(13)
N_EVENT = 13
ACTIONS = ("sell_to_open", "buy_to_close", "expired", "assigned", "called_away", "buy_to_open", "cash_settled",
           "sell_to_close")
A_STO, A_BTC, A_EXPIRED, A_ASSIGNED, A_CALLED, A_BTO, A_CASH, A_STC = range(8)

# chain model vector: skew, spread_pct, tick, strike_step_pct, strikes_each_side, vrp factor; then the index smile
# (CM_INDEX 1 = the marks take the index smile from the forward, within [floor, cap] x ATM, as
# `backtest.inputs.strike_vol`: put-side slope in CM_SKEW, call-side slope in CM_CALL_SKEW, curvature in CM_CURV)
CM_SKEW, CM_SPREAD, CM_TICK, CM_STEP, CM_SIDE, CM_VRP, CM_INDEX, CM_FLOOR, CM_CAP, CM_CALL_SKEW, CM_CURV = range(11)
N_CM = 11


@jit
def round3(x: float) -> float:
    return np.rint(x * 1000.0) / 1000.0


@jit
def log(book: np.ndarray, out: np.ndarray, day: int, action: int, call: bool, k: float, exp: float, n: float,
        price: float, flow: float, reason: int, x1: float, x2: float, x3: float) -> None:
    """Append one event to the name's log (counted even when the log is full, so overflow is detected)."""
    i = int(book[B_NEV])
    if i < out.shape[0]:
        row = out[i]
        row[E_DAY], row[E_ACTION], row[E_CALL], row[E_K], row[E_EXP] = day, action, 1.0 if call else 0.0, k, exp
        row[E_N], row[E_PRICE], row[E_FLOW], row[E_REASON], row[E_CYCLE] = n, price, flow, reason, book[B_CYCLE]
        row[E_X1], row[E_X2], row[E_X3] = x1, x2, x3
    book[B_NEV] = i + 1


@jit
def basis1(book: np.ndarray) -> float:
    """Premium-adjusted basis per share: (share cost - the cycle's option cash) / shares (NaN without shares)."""
    if book[B_SHARES] <= 0:
        return np.nan
    return (book[B_STOCK_COST] - book[B_CYCLE_CASH]) / book[B_SHARES]


@jit
def option_cash(book: np.ndarray, flow: float) -> None:
    book[B_CYCLE_CASH] += flow


@jit
def maybe_end_cycle(legs: np.ndarray, book: np.ndarray) -> None:
    """Flat again (no shares, no short): the cycle is over; its totals start from zero next time."""
    if book[B_CYCLE] != 0 and book[B_SHARES] == 0 and legs[0, L_N] == 0 and legs[1, L_N] == 0:
        book[B_CYCLE], book[B_STOCK_COST], book[B_CYCLE_CASH] = 0.0, 0.0, 0.0
        book[B_PLANNED] = 0.0   # just flat: the planner is asked at once


@jit
def settle(legs: np.ndarray, book: np.ndarray, s: float, today: int, i: int, mult: float, events: np.ndarray,
           stats: np.ndarray, cash_settled: bool = False) -> float:
    """Expire, assign or cash-settle the legs due today at `s`; returns the cash flow. A put in the money is
    assigned (shares bought at the strike: the Wheel's second phase); a call in the money calls the shares away.
    `cash_settled` (index options, e.g. SPX): an in-the-money leg pays its intrinsic value in cash instead (the
    long put receives it) and the shares stay."""
    flow = 0.0
    for slot in range(legs.shape[0]):
        if legs[slot, L_N] <= 0 or legs[slot, L_E] > today:
            continue
        n, k, call, e = legs[slot, L_N], legs[slot, L_K], slot == 1, legs[slot, L_E]
        legs[slot, L_N] = 0.0
        if not ((s > k) if call else (s < k)):
            log(book, events, i, A_EXPIRED, call, k, e, n, 0.0, 0.0, reasons.EXPIRED_OTM, s, legs[slot, L_C], np.nan)
            continue
        qty = n * mult
        if cash_settled:
            intrinsic = (s - k) if call else (k - s)
            paid = intrinsic * qty if slot == SLOT_LONG_PUT else -intrinsic * qty
            flow += paid
            option_cash(book, paid)
            log(book, events, i, A_CASH, call, k, e, n, intrinsic, paid, reasons.CASH_SETTLED, s, intrinsic, np.nan)
            continue
        if call:
            realized = k * qty - book[B_STOCK_COST] + book[B_CYCLE_CASH]
            book[B_SHARES] -= qty
            book[B_STOCK_COST] = 0.0
            flow += k * qty
            stats[S_AWAY] += n
            log(book, events, i, A_CALLED, call, k, e, n, k, k * qty, reasons.CALLED_AWAY, s, realized, np.nan)
        else:
            book[B_SHARES] += qty
            book[B_STOCK_COST] += k * qty
            flow -= k * qty
            stats[S_ASSIGNED] += n
            log(book, events, i, A_ASSIGNED, call, k, e, n, k, -k * qty, reasons.ASSIGNED, s, basis1(book), np.nan)
    maybe_end_cycle(legs, book)
    return flow


@jit
def listed1(k: float, centre: float, step: float, side: float) -> float:
    """The strike of today's modelled chain that strike k is (same to 3 decimals, within `side` steps, positive),
    or -1 when k is not listed today (the grid moved with the spot)."""
    j = np.rint((k - centre) / step)
    listed = centre + step * j
    return listed if (abs(j) <= side and listed > 0.0 and round3(listed) == round3(k)) else -1.0


@jit
def mark_leg(s: float, k: float, dte: float, r: float, q: float, atm: float, call: bool, listed: float,
             cm: np.ndarray, slip: float, g: np.ndarray) -> tuple[float, float, float, float]:
    """(mark, close cost, delta, vol) as `decide_many` computes them: the chain quote when the strike is listed
    today, else the American price at the ATM vol."""
    t = max(dte, 0.5) / 365.0
    if listed > 0.0:
        iv, _, bid, ask = quote1(s, listed, dte / 365.0, r, q, atm, call, cm[CM_SKEW], cm[CM_SPREAD], cm[CM_TICK])
        mark = (bid + ask) / 2.0
        cost = core.buy_price1(ask, mark, slip)
    else:
        iv = atm
        mark = american1(s, k, t, r, q, iv, call)
        cost = mark
    if dte == 0.0:   # expiration day: worth its intrinsic value
        mark = max(s - k, 0.0) if call else max(k - s, 0.0)
        cost = mark
    greeks1(s, k, t, r, q, iv, call, g)
    return mark, cost, g[1], iv


@jit
def short_value(legs: np.ndarray, s: float, r: float, q: float, a: float, today: int, cm: np.ndarray,
                mult: float) -> float:
    """What buying back the open short legs would cost at the model (European, skewed vol), less what the long
    legs would sell for: the daily mark."""
    short = 0.0
    for slot in range(legs.shape[0]):
        if legs[slot, L_N] > 0:
            k = legs[slot, L_K]
            t = max(float(legs[slot, L_E] - today), 0.5) / 365.0
            iv = leg_vol(s, k, t, r, q, a, cm)
            value = bs1(s, k, t, r, q, iv, slot == 1) * legs[slot, L_N] * mult
            short += -value if slot == SLOT_LONG_PUT else value
    return short


@jit
def leg_vol(s: float, k: float, t: float, r: float, q: float, a: float, cm: np.ndarray) -> float:
    """The model vol at strike k: the chain's skew from the spot, or (index rules, `cm[CM_INDEX]`) the index smile
    from the forward within [floor, cap] x ATM, the formula of the PUT reproduction (`backtest.inputs.strike_vol`)."""
    if cm[CM_INDEX] > 0.0:
        return smile_vol1(a, cm[CM_SKEW], cm[CM_CALL_SKEW], cm[CM_CURV], s * np.exp((r - q) * t), k,
                          cm[CM_FLOOR] * a, cm[CM_CAP] * a)
    return skew_vol1(a, cm[CM_SKEW], s, k, VOL_FLOOR, VOL_CAP)


STAT_NAMES = ("puts_sold", "puts_assigned", "calls_sold", "calls_away", "rolls", "take_profits", "closes",
              "closes_for_loss", "option_income", "min_free_cash", "days_in_shares")
(S_PUTS, S_ASSIGNED, S_CALLS, S_AWAY, S_ROLLS, S_TP, S_CLOSES, S_LOSS, S_INCOME, S_MIN_FREE, S_DAYS_SHARES) = range(11)

cache_depends_on(globals(), *SOURCES, modelled.__file__, core.__file__)
