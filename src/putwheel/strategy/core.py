"""The manager's rules as scalar numba functions: the one copy both `decide_many` and the array Wheel engine run.

Why here and compiled: `decide_many` (pandas, one frame per day) is the readable, auditable form the CLI and
`putwheel manage` use; the backtester's array engine (`backtest.wheel_kernel`) needs the same rules inside a
compiled loop over names and days (500 names x 20 years in about a second; `decide_many` per day would take
hours). Keeping the rules in one place -- classification, roll and covered-call eligibility and ranking -- is what
makes "same rules as live" true rather than asserted; `tests/backtest/test_wheel_kernel.py` checks the two
engines trade identically.

Rules travel as a float array (`rule_array`), indices `R_*`; action codes are `CODE_*` (`ACTION_NAMES[code]`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from putwheel.strategy.rules import ManageRules

jit = nb.njit(cache=True, nogil=True, error_model="numpy")

CODE_HOLD, CODE_TAKE_PROFIT, CODE_ROLL, CODE_LET_EXPIRE, CODE_ACCEPT_ASSIGNMENT, CODE_SELL_COVERED_CALL, CODE_CLOSE = range(7)
ACTION_NAMES = ("hold", "take_profit", "roll", "let_expire", "accept_assignment", "sell_covered_call", "close")

(R_TAKE_PROFIT, R_ROLL_DELTA, R_ROLL_WHEN_ITM, R_ROLL_AT_DTE, R_ROLL_DTE_MIN, R_ROLL_DTE_MAX, R_REQUIRE_CREDIT,
 R_MIN_CREDIT, R_ROLL_CALLS, R_ACCEPT_ASSIGNMENT, R_CC_DTE_MIN, R_CC_DTE_MAX, R_CC_MAX_DELTA, R_CC_OVER_BASIS,
 R_EXPIRE_BELOW, R_ERP, R_SLIPPAGE) = range(17)


def rule_array(rules: ManageRules) -> np.ndarray:
    """The rules as the float vector the compiled functions read (booleans as 0/1)."""
    return np.array([rules.take_profit_pct, rules.roll_delta, float(rules.roll_when_itm), rules.roll_at_dte,
                     rules.roll_dte_min, rules.roll_dte_max, float(rules.roll_require_credit), rules.roll_min_credit,
                     float(rules.roll_calls), float(rules.accept_assignment), rules.cc_dte_min, rules.cc_dte_max,
                     rules.cc_max_delta, rules.cc_min_strike_over_basis, rules.expire_worthless_below,
                     rules.equity_risk_premium, rules.fill_slippage], dtype=np.float64)


@jit
def round_to(x: float, scale: float) -> float:
    """NumPy's `np.round(x, d)` (rint of x * 10^d, over 10^d), so both engines round rankings identically."""
    return np.rint(x * scale) / scale


@jit
def sell_price1(bid: float, mid: float, slip: float) -> float:
    """What a sale fills at: mid less `slip` of the half-spread (0 = mid, 1 = the bid, exactly)."""
    if slip == 0.0:
        return mid
    if slip == 1.0:
        return bid
    return mid - slip * (mid - bid)


@jit
def buy_price1(ask: float, mid: float, slip: float) -> float:
    """What a buy-back fills at: mid plus `slip` of the half-spread (0 = mid, 1 = the ask, exactly)."""
    if slip == 0.0:
        return mid
    if slip == 1.0:
        return ask
    return mid + slip * (ask - mid)


@jit
def classify1(short: bool, is_call: bool, dte: float, itm: bool, abs_delta: float, close_cost: float,
              premium: float, rp: np.ndarray) -> tuple[int, bool, bool, float]:
    """(action code, tested, wants a roll search, share of max profit captured) for one position.

    Order of precedence: let an OTM short die near expiry when buying it back costs almost nothing; take profit
    once `take_profit_pct` of the premium is captured; a tested short (|delta| at the roll trigger, in the
    money, or inside `roll_at_dte`) looks for a credit roll, else falls back to assignment (or a close).
    """
    captured = (premium - close_cost) / premium if (short and premium > 0.0) else np.nan
    if not short:
        return CODE_HOLD, False, False, captured
    near = dte <= rp[R_ROLL_AT_DTE]
    tested = abs_delta >= rp[R_ROLL_DELTA] or (itm and rp[R_ROLL_WHEN_ITM] > 0.0) or near or dte == 0.0
    expire = (not itm) and (dte == 0.0 or (near and close_cost <= rp[R_EXPIRE_BELOW] + 1e-12))
    profit = (not expire) and dte != 0.0 and captured >= rp[R_TAKE_PROFIT] - 1e-12
    want_roll = tested and not expire and not profit and ((not is_call) or rp[R_ROLL_CALLS] > 0.0)
    if expire:
        return CODE_LET_EXPIRE, tested, want_roll, captured
    if profit:
        return CODE_TAKE_PROFIT, tested, want_roll, captured
    if tested and itm:
        return (CODE_ACCEPT_ASSIGNMENT if rp[R_ACCEPT_ASSIGNMENT] > 0.0 else CODE_CLOSE), tested, want_roll, captured
    return CODE_HOLD, tested, want_roll, captured


@jit
def classify_vec(short: np.ndarray, is_call: np.ndarray, dte: np.ndarray, itm: np.ndarray, abs_delta: np.ndarray,
                 close_cost: np.ndarray, premium: np.ndarray,
                 rp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = short.size
    code, tested = np.empty(n, np.int64), np.empty(n, np.bool_)
    want, captured = np.empty(n, np.bool_), np.empty(n)
    for i in range(n):
        code[i], tested[i], want[i], captured[i] = classify1(short[i], is_call[i], dte[i], itm[i], abs_delta[i],
                                                             close_cost[i], premium[i], rp)
    return code, tested, want, captured


@jit
def roll_credit1(price: float, close_cost: float) -> float:
    return round_to(price - close_cost, 1e6)


@jit
def roll_ok1(is_call: bool, k_old: float, k_new: float, later: bool, dte_new: float, price: float, credit: float,
             rp: np.ndarray) -> bool:
    """A roll candidate qualifies: later expiry inside the roll window, same or better strike (lower for a put,
    higher for a call), a real price, and a net credit when the rules demand one."""
    if not (later and rp[R_ROLL_DTE_MIN] <= dte_new <= rp[R_ROLL_DTE_MAX] and price > 0.0):
        return False
    if (k_new < k_old - 1e-9) if is_call else (k_new > k_old + 1e-9):
        return False
    if rp[R_REQUIRE_CREDIT] > 0.0:
        return credit > 1e-9 and credit >= rp[R_MIN_CREDIT] - 1e-9
    return True


@jit
def roll_score1(ev_new: float, k_new: float, dte_new: float) -> float:
    """Rank of a roll: the new short's expected value per dollar of strike per year (4 decimals, so noise ties)."""
    return round_to(ev_new / k_new * 365.0 / max(dte_new, 1.0), 1e4)


@jit
def cc_ok1(k: float, basis: float, dte: float, price: float, abs_delta: float, rp: np.ndarray) -> bool:
    """A covered call qualifies: strike at or above the premium-adjusted basis (plus the rules' margin), DTE in
    the window, a real price, |delta| at most `cc_max_delta`."""
    floor = basis * (1.0 + rp[R_CC_OVER_BASIS])
    return (k >= floor - 1e-9 and rp[R_CC_DTE_MIN] <= dte <= rp[R_CC_DTE_MAX] and price > 0.0
            and abs_delta <= rp[R_CC_MAX_DELTA] + 1e-12)


@jit
def cc_score1(price: float, basis: float, dte: float) -> float:
    """Rank of a covered call: premium yield on the cost basis per year (6 decimals)."""
    return round_to(price / basis * 365.0 / max(dte, 1.0), 1e6)


@jit
def better1(score: float, tie: float, dte: float, best_score: float, best_tie: float, best_dte: float) -> bool:
    """Strictly better: higher score, then higher tie-break, then shorter DTE (the first of equals stays)."""
    if score != best_score:
        return score > best_score
    if tie != best_tie:
        return tie > best_tie
    return dte < best_dte


@jit
def roll_keep_vec(is_call: np.ndarray, k_old: np.ndarray, k_new: np.ndarray, later: np.ndarray, dte_new: np.ndarray,
                  price: np.ndarray, close_cost: np.ndarray, rp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = k_new.size
    keep, credit = np.empty(n, np.bool_), np.empty(n)
    for i in range(n):
        credit[i] = roll_credit1(price[i], close_cost[i])
        keep[i] = roll_ok1(is_call[i], k_old[i], k_new[i], later[i], dte_new[i], price[i], credit[i], rp)
    return keep, credit


@jit
def cc_keep_vec(k: np.ndarray, basis: np.ndarray, dte: np.ndarray, price: np.ndarray, abs_delta: np.ndarray,
                rp: np.ndarray) -> np.ndarray:
    out = np.empty(k.size, np.bool_)
    for i in range(k.size):
        out[i] = cc_ok1(k[i], basis[i], dte[i], price[i], abs_delta[i], rp)
    return out


# Array forms for `decide_many` / `strategy.candidates`: NumPy ufuncs compiled from the same scalar functions.
_ufunc = nb.vectorize(["float64(float64, float64, float64)"], cache=True)
sell_price_vec = _ufunc(sell_price1.py_func)
buy_price_vec = _ufunc(buy_price1.py_func)
roll_score_vec = _ufunc(roll_score1.py_func)
cc_score_vec = _ufunc(cc_score1.py_func)
