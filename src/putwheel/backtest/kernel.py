"""The put-writing account as array arithmetic: many price paths on one calendar at once, no event loop.

Inputs are aligned on the days of one calendar: `spot` (days x paths), vol (days, or days x paths), T-bill growth,
rates, dividend yield and years left to expiry (days), the cycle id of each day and the day index of each write.
Per cycle c, per unit of account value at the write: N = 1/K puts, premium P0/K added to T-bills. On a day d in the
cycle the value is (1 + P0/K) G_d/G_c - P_d/K; at expiry the put is worth max(K - S, 0). Cycles chain by cumprod.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from putwheel.backtest.inputs import IVModel, strike_vol
from putwheel.pricing import bs_price


@dataclass(frozen=True)
class CycleArrays:
    """Per-cycle terms (cycles x paths); NaN for the last cycle when it has not expired inside the data."""

    strike: np.ndarray
    premium: np.ndarray
    iv_strike: np.ndarray
    settle_spot: np.ndarray
    payoff: np.ndarray
    cycle_return: np.ndarray


def putwrite_paths(spot: np.ndarray, atm: np.ndarray, growth: np.ndarray, rate: np.ndarray, div_yield: np.ndarray,
                   t_left: np.ndarray, cid: np.ndarray, wpos: np.ndarray, strike_step: float,
                   model: IVModel, put_delta: float | None = None) -> tuple[np.ndarray, CycleArrays]:
    """Account value per unit of starting value (days x paths) and the per-cycle terms.

    `cid[d]` is the cycle live on day d (every day belongs to one; day 0 is the first write), `wpos[c]` the day
    index of cycle c's write; cycle c expires on day wpos[c + 1]. Strikes: at or just below the spot (Cboe PUT),
    or with `put_delta` the grid strike at or just below the one whose |delta| is `put_delta`.
    """
    col = (slice(None), None)
    atm2 = atm if atm.ndim == 2 else atm[col]
    rate2, q2, t2 = rate[col], div_yield[col], t_left[col]
    forward = spot * np.exp((rate2 - q2) * t2)
    if put_delta is None:
        strike_c = np.floor(spot[wpos] / strike_step + 1e-9) * strike_step
    else:
        strike_c = np.floor(_delta_strike(put_delta, forward[wpos], atm2[wpos], t2[wpos], q2[wpos], model)
                            / strike_step + 1e-9) * strike_step
    k = strike_c[cid]
    sigma = strike_vol(np.broadcast_to(atm2, spot.shape), k, forward, model)
    mark = np.asarray(bs_price(spot, k, t2, rate2, q2, sigma, False), dtype=float)
    premium_c = mark[wpos]
    nxt = np.append(wpos[1:], -1)
    value, settle, payoff, mult = put_account(spot, strike_c, premium_c, mark, growth, cid, wpos, nxt)
    return value, CycleArrays(strike=strike_c, premium=premium_c, iv_strike=sigma[wpos], settle_spot=settle,
                              payoff=payoff, cycle_return=mult - 1.0)


def put_account(spot: np.ndarray, strike_c: np.ndarray, premium_c: np.ndarray, mark: np.ndarray, growth: np.ndarray,
                cid: np.ndarray, wpos: np.ndarray, epos: np.ndarray) -> tuple[np.ndarray, ...]:
    """The cash-secured put account, the one formula for modelled and real-chain put-writing.

    `spot`, `mark` (the put's price per share each day): days, or days x paths; `growth`: T-bill growth per day;
    `strike_c`, `premium_c` (net credit per share at the write): per cycle (x paths); `cid[d]` the cycle live on day
    d, `wpos[c]` its write day, `epos[c]` its expiry day (-1: not expired inside the data). Per unit of account value
    at the write, N = 1/(K - P0) puts, the PUT methodology's count (the cash after the sale, 1 + N P0 = N K, covers
    the strike: the premium is reinvested and secures puts too): N (K G_d/G_c - P_d) during the cycle; at expiry
    max(K - S, 0) is paid.
    Returns (value per unit of starting value, settle spot, payoff per share, cycle growth multiple) per cycle.
    """
    two_d = spot.ndim == 2
    g = growth[:, None] if two_d and growth.ndim == 1 else growth
    done = (epos >= 0)[:, None] if two_d else epos >= 0
    k = strike_c[cid]
    g0 = g[wpos]
    rel = (k * g / g0[cid] - mark) / (k - premium_c[cid])
    settle = np.where(done, spot[epos], np.nan)
    payoff = np.maximum(strike_c - settle, 0.0)
    mult = (strike_c * np.where(done, g[epos], np.nan) / g0 - payoff) / (strike_c - premium_c)
    ones = np.ones((1, *spot.shape[1:]))
    base = np.concatenate([ones, np.cumprod(np.where(done, mult, 1.0), axis=0)[:-1]])
    return base[cid] * rel, settle, payoff, mult


def _delta_strike(put_delta: float, forward: np.ndarray, atm: np.ndarray, t: np.ndarray, q: np.ndarray,
                  model: IVModel) -> np.ndarray:
    """Strike whose BS put |delta| = e^(-qt) N(-d1) is `put_delta`, with the skewed vol at that strike.

    K = F exp(z sigma sqrt(t) + sigma^2 t / 2), z = N^-1(|delta| e^(qt)); sigma depends on K through the skew, so a
    few fixed-point steps (the skew is mild; three steps move K by well under a strike step).
    """
    z = ndtri(np.clip(put_delta * np.exp(q * t), 1e-9, 1 - 1e-9))
    atm_b = np.broadcast_to(atm, forward.shape)
    k = forward.copy()
    for _ in range(4):
        sigma = strike_vol(atm_b, k, forward, model)
        k = forward * np.exp(z * sigma * np.sqrt(t) + 0.5 * sigma**2 * t)
    return np.asarray(k, dtype=float)
