"""The Wheel's rules as scalar numba functions: the one copy the live manager and every backtest run.

Why here and compiled: `decide_many` (pandas, one frame per day) is the readable form `putwheel manage` uses; the
Wheel engine (`backtest.wheel`) needs the same rules inside a compiled loop over names and days (500 names x 20
years in about a second). Each rule exists once, here: classification (`classify1`), the choice between keeping,
closing and rolling a tested short by expected value (`choose1`), the roll and covered-call *search* over a set of
candidates (`best_write`, fed from a real chain by `strategy.candidates` and from the modelled chain by the
engine), and the fill model (`sell_price1` / `buy_price1`, which the simulated broker applies).

Rules travel as a float array (`rule_array`), indices `R_*`; action codes are `CODE_*` (`ACTION_NAMES[code]`).

Measured against (per share, present value, real-world measure with drift r + equity risk premium and the
realized vol `sigma_p`):
- keep: ``-PV E_P[payoff of the short]`` (hold it; in the money at expiry it is assigned), plus for a put the
  expected value of the covered call the Wheel would then sell, weighted by the chance of assignment
  (`continuation1`);
- close: ``-cost - fee``;
- roll: ``-cost + price_new - PV E_P[payoff of the new short] - 2 fee``.
The largest wins; an alternative must beat keeping by more than `EV_MARGIN` (a cent a share, the tick): a tie
within a tick keeps the position (no trade without a gain).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from putwheel.pricing.scalar import SOURCES, bs1, cache_depends_on
from putwheel.strategy.rules import ManageRules

jit = nb.njit(cache=True, nogil=True, error_model="numpy")

(CODE_HOLD, CODE_TAKE_PROFIT, CODE_ROLL, CODE_LET_EXPIRE, CODE_ACCEPT_ASSIGNMENT, CODE_SELL_COVERED_CALL, CODE_CLOSE,
 CODE_CLOSE_FOR_LOSS) = range(8)
ACTION_NAMES = ("hold", "take_profit", "roll", "let_expire", "accept_assignment", "sell_covered_call", "close",
                "close_for_loss")

(R_TAKE_PROFIT, R_ROLL_DELTA, R_ROLL_WHEN_ITM, R_ROLL_AT_DTE, R_ROLL_DTE_MIN, R_ROLL_DTE_MAX, R_REQUIRE_CREDIT,
 R_MIN_CREDIT, R_ROLL_CALLS, R_ACCEPT_ASSIGNMENT, R_CC_DTE_MIN, R_CC_DTE_MAX, R_CC_MAX_DELTA, R_CC_OVER_BASIS,
 R_EXPIRE_BELOW, R_ERP, R_SLIPPAGE, R_FEE, R_MULT) = range(19)


EV_MARGIN = 0.01


def rule_array(rules: ManageRules, multiplier: float = 100.0) -> np.ndarray:
    """The rules as the float vector the compiled functions read (booleans as 0/1)."""
    return np.array([rules.take_profit_pct, rules.roll_delta, float(rules.roll_when_itm), rules.roll_at_dte,
                     rules.roll_dte_min, rules.roll_dte_max, float(rules.roll_require_credit), rules.roll_min_credit,
                     float(rules.roll_calls), float(rules.accept_assignment), rules.cc_dte_min, rules.cc_dte_max,
                     rules.cc_max_delta, rules.cc_min_strike_over_basis, rules.expire_worthless_below,
                     rules.equity_risk_premium, rules.fill_slippage, rules.commission, multiplier], dtype=np.float64)


@jit
def round_to(x: float, scale: float) -> float:
    """NumPy's `np.round(x, d)` (rint of x * 10^d, over 10^d), so every caller rounds rankings identically."""
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


def fill_at(sell: bool, bid: float, ask: float, slip: float, limit: float | None) -> float | None:
    """The one fill rule of the simulated brokers (backtests and paper trading): a sale fills at `sell_price1`, a
    buy at `buy_price1`, and only when the order's limit is at that price or better; None: it rests."""
    if not (bid >= 0.0 and ask >= bid):
        return None
    mid = (bid + ask) / 2.0
    price = sell_price1(bid, mid, slip) if sell else buy_price1(ask, mid, slip)
    if limit is not None and (price < limit - 1e-9 if sell else price > limit + 1e-9):
        return None
    return price


@jit
def payoff_pv1(s: float, k: float, t: float, r: float, q: float, sigma_p: float, call: bool, erp: float) -> float:
    """Present value (at the risk-free rate) of the real-world expected payoff at expiry, drift r + erp."""
    mu = r + erp
    return np.exp((mu - r) * t) * bs1(s, k, t, mu, q, sigma_p, call)


@jit
def ev1(price: float, s: float, k: float, t: float, r: float, q: float, sigma_p: float, call: bool, erp: float) -> float:
    """Seller's expected value per share of selling at `price`: price less the PV of the expected payoff."""
    return price - payoff_pv1(s, k, t, r, q, sigma_p, call, erp)


@jit
def continuation1(p_assign: float, ev_call: float, fee_per_share: float) -> float:
    """What keeping a tested put is worth beyond its own payoff: with probability `p_assign` (|delta|) it ends in
    shares, on which the Wheel sells the covered call worth `ev_call` (less its commission)."""
    return p_assign * max(ev_call - fee_per_share, 0.0)


@jit
def close_code1(cost: float, net_credit: float) -> int:
    """A buy-back is `close_for_loss` when it costs (commission included) more than the position's net credit
    across its rolls."""
    return CODE_CLOSE_FOR_LOSS if cost > net_credit + 1e-12 else CODE_CLOSE


@jit
def classify1(short: bool, is_call: bool, dte: float, itm: bool, abs_delta: float, close_cost: float,
              net_credit: float, rp: np.ndarray) -> tuple[int, bool, bool, float]:
    """(action code, tested, wants a roll search, share of max profit captured) for one position.

    `net_credit` is what the position has brought in across all its rolls, per share (the premium of a position
    never rolled). Order of precedence: let an OTM short die near expiry when buying it back costs almost
    nothing; take profit once `take_profit_pct` of the net credit is captured and the close is a gain after its
    commission (never on a position whose buy-back costs more than it brought in); a tested short (|delta| at
    the roll trigger, in the money, or inside `roll_at_dte`) goes to `choose1`. No roll is searched on
    expiration day: a short still in the money then is assigned (or closed when assignment is off).
    """
    fee = rp[R_FEE] / rp[R_MULT]   # the closing commission per share
    captured = (net_credit - close_cost) / net_credit if (short and net_credit > 0.0) else np.nan
    if not short:
        return CODE_HOLD, False, False, captured
    near = dte <= rp[R_ROLL_AT_DTE]
    tested = abs_delta >= rp[R_ROLL_DELTA] or (itm and rp[R_ROLL_WHEN_ITM] > 0.0) or near or dte == 0.0
    expire = (not itm) and (dte == 0.0 or (near and close_cost <= rp[R_EXPIRE_BELOW] + 1e-12))
    profit = ((not expire) and dte != 0.0 and net_credit > 0.0 and captured >= rp[R_TAKE_PROFIT] - 1e-12
              and net_credit - close_cost - fee > 0.0)   # a gain after the closing commission, or no take-profit
    want_roll = (tested and not expire and not profit and dte > 0.0 and ((not is_call) or rp[R_ROLL_CALLS] > 0.0))
    if expire:
        return CODE_LET_EXPIRE, tested, want_roll, captured
    if profit:
        return CODE_TAKE_PROFIT, tested, want_roll, captured
    if tested and itm:
        # accept_assignment governs puts (buying the shares); a covered call in the money lets the shares go
        keep = (CODE_ACCEPT_ASSIGNMENT if (is_call or rp[R_ACCEPT_ASSIGNMENT] > 0.0)
                else close_code1(close_cost + fee, net_credit))
        return keep, tested, want_roll, captured
    return CODE_HOLD, tested, want_roll, captured


@jit
def choose1(code: int, tested: bool, cost: float, net_credit: float, v_keep: float, found: bool, v_roll: float,
            rp: np.ndarray) -> tuple[int, float, float]:
    """The final action of a short after `classify1`: keep, close or roll, whichever is worth most.

    Returns (code, value of the chosen alternative, value of the best one that lost), per share. Only tested
    shorts choose; take-profit and let-expire stand. When assignment is off, keeping an in-the-money short is
    not an option (`classify1` already made it a close).
    """
    if not tested or code in (CODE_TAKE_PROFIT, CODE_LET_EXPIRE):
        return code, np.nan, np.nan
    fee = rp[R_FEE] / rp[R_MULT]
    v_close = -cost - fee
    closing = code in (CODE_CLOSE, CODE_CLOSE_FOR_LOSS)
    best, v_best, v_lost = code, (v_close if closing else v_keep), -np.inf
    if not closing and v_close > v_best + EV_MARGIN:
        best, v_best, v_lost = close_code1(cost + fee, net_credit), v_close, v_best
    elif not closing:
        v_lost = v_close
    if found:
        if v_roll > v_best + EV_MARGIN:
            return CODE_ROLL, v_roll, v_best
        v_lost = max(v_lost, v_roll)
    return best, v_best, v_lost


@jit
def roll_credit1(price: float, close_cost: float) -> float:
    return round_to(price - close_cost, 1e6)


@jit
def roll_ok1(is_call: bool, k_old: float, k_new: float, later: bool, dte_new: float, price: float, credit: float,
             rp: np.ndarray) -> bool:
    """A roll candidate qualifies: later expiry inside the roll window, same or better strike (lower for a put:
    down and out; higher for a call: up and out), a real price, and a net credit when the rules demand one."""
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


# Candidate table columns (`best_write`): one row per contract that could be sold.
C_K, C_E, C_DTE, C_PRICE, C_EV, C_ABS_DELTA = range(6)
N_CAND_FIELDS = 6


@jit
def best_write(roll: bool, call: bool, k_old: float, exp_old: float, cost: float, basis: float, cand: np.ndarray,
               n: int, skip_k: float, skip_e: float, rp: np.ndarray) -> tuple[int, int]:
    """The search for a roll (`roll`) or a covered call over `cand[:n]` (columns `C_*`): (index of the best, how
    many qualified); index -1 when none does. The contract (skip_k, skip_e) is never chosen: it was bought back
    today, and selling it again would only pay the spread twice.

    Rolls rank by `roll_score1` (EV per dollar of strike per year), then the net credit; covered calls by
    `cc_score1` (premium yield on the basis per year), then EV; then the shorter DTE.
    """
    best, count = -1, 0
    best_score, best_tie, best_dte = -np.inf, -np.inf, np.inf
    for i in range(n):
        k, e, dte, price = cand[i, C_K], cand[i, C_E], cand[i, C_DTE], cand[i, C_PRICE]
        if k == skip_k and e == skip_e:
            continue
        if roll:
            tie = roll_credit1(price, cost)
            if not (roll_ok1(call, k_old, k, e > exp_old, dte, price, tie, rp) and np.isfinite(cand[i, C_EV])):
                continue
            score = roll_score1(cand[i, C_EV], k, dte)
        else:
            if not cc_ok1(k, basis, dte, price, cand[i, C_ABS_DELTA], rp):
                continue
            score, tie = cc_score1(price, basis, dte), cand[i, C_EV]
        count += 1
        if better1(score, tie, dte, best_score, best_tie, best_dte):
            best, best_score, best_tie, best_dte = i, score, tie, dte
    return best, count


@jit
def classify_vec(short: np.ndarray, is_call: np.ndarray, dte: np.ndarray, itm: np.ndarray, abs_delta: np.ndarray,
                 close_cost: np.ndarray, net_credit: np.ndarray,
                 rp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = short.size
    code, tested = np.empty(n, np.int64), np.empty(n, np.bool_)
    want, captured = np.empty(n, np.bool_), np.empty(n)
    for i in range(n):
        code[i], tested[i], want[i], captured[i] = classify1(short[i], is_call[i], dte[i], itm[i], abs_delta[i],
                                                             close_cost[i], net_credit[i], rp)
    return code, tested, want, captured


@jit
def choose_vec(code: np.ndarray, tested: np.ndarray, cost: np.ndarray, net_credit: np.ndarray, v_keep: np.ndarray,
               found: np.ndarray, v_roll: np.ndarray, rp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = code.size
    out, v_best, v_lost = np.empty(n, np.int64), np.empty(n), np.empty(n)
    for i in range(n):
        out[i], v_best[i], v_lost[i] = choose1(code[i], tested[i], cost[i], net_credit[i], v_keep[i], found[i],
                                               v_roll[i], rp)
    return out, v_best, v_lost


@jit
def continuation_vec(p_assign: np.ndarray, ev_call: np.ndarray, fee_per_share: np.ndarray) -> np.ndarray:
    out = np.zeros(p_assign.size)
    for i in range(p_assign.size):
        if np.isfinite(ev_call[i]):
            out[i] = continuation1(p_assign[i], ev_call[i], fee_per_share[i])
    return out


@jit
def best_write_groups(roll: bool, call: np.ndarray, k_old: np.ndarray, exp_old: np.ndarray, cost: np.ndarray,
                      basis: np.ndarray, starts: np.ndarray, cand: np.ndarray, rp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`best_write` for many positions at once: position g searches cand[starts[g]:starts[g+1]]; returns the
    absolute index of each one's best (-1: none) and its count of qualifying candidates."""
    g_n = starts.size - 1
    best, count = np.full(g_n, -1, np.int64), np.zeros(g_n, np.int64)
    for g in range(g_n):
        lo, hi = starts[g], starts[g + 1]
        i, c = best_write(roll, call[g], k_old[g], exp_old[g], cost[g], basis[g], cand[lo:hi], hi - lo, np.nan, np.nan, rp)
        best[g], count[g] = (lo + i if i >= 0 else -1), c
    return best, count


# Array forms for `decide_many`: NumPy ufuncs compiled from the same scalar functions.
_ufunc = nb.vectorize(["float64(float64, float64, float64)"], cache=True)
sell_price_vec = _ufunc(sell_price1.py_func)
buy_price_vec = _ufunc(buy_price1.py_func)

roll_score_vec = _ufunc(roll_score1.py_func)
ev_vec = nb.vectorize(["float64(float64, float64, float64, float64, float64, float64, float64, boolean, float64)"],
                      cache=True)(ev1.py_func)
cc_score_vec = _ufunc(cc_score1.py_func)
# the functions above compile in bs1 from pricing: key their cache on those files too
cache_depends_on(globals(), *SOURCES)
