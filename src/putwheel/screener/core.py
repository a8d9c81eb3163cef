"""The planner's per-put rules on plain arrays: each rule once, for `putwheel plan` and the Wheel backtest alike.

`screen_rows` runs the screen (window, quote sanity, the pricing core's numbers, liquidity, delta, return, event
and quality rules) and `afford_rows` the one-contract affordability check on columns given as arrays, one entry
per put; every put gets a reason *code* (`OPEN` = still a candidate), the first failing rule's, and the numbers
the rules read. `screener.steps` and `screener.plan` wrap them for `putwheel plan` (frames, English reasons
made from the codes and numbers); the backtest's planner entry (`backtest.planned`) calls them on the modelled
chain's arrays and never builds a frame or a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from putwheel.pricing import Greeks, american_delta, american_greeks, american_implied_vol, bs_price, prob_itm, prob_touch
from putwheel.screener.portfolio import Candidates, Holdings, Selection, capital, held_correlations, sector_rooms, select
from putwheel.screener.rules import PutRules, rung_of

# Reason codes, in the order the rules run (only the first failing rule is recorded).
OPEN = 0
NO_TARGET, OFF_RUNG, DTE_LOW, DTE_HIGH, ABOVE_TARGET, BELOW_FLOOR = 1, 2, 3, 4, 5, 6     # the window
NO_BID, CROSSED, NO_MID = 7, 8, 9                                                     # quote sanity
NO_IV, DELTA, OPEN_INTEREST, VOLUME, SPREAD, RETURN, EARNINGS, EX_DIVIDEND, QUALITY = range(10, 19)
HELD_CORRELATION, CASH, NAME_CAP, SECTOR_CAP = 19, 20, 21, 22                        # the plan's own checks
NOT_CHOSEN = 23                                                                       # the optimizer's
WINDOW_CODES = (NO_TARGET, OFF_RUNG, DTE_LOW, DTE_HIGH, ABOVE_TARGET, BELOW_FLOOR)

Columns = Mapping[str, np.ndarray]


def _reject(code: np.ndarray, mask: np.ndarray, value: int) -> None:
    code[(code == OPEN) & mask] = value


def _iv_for_pricing(col: Callable[[str], np.ndarray], has_iv: bool, t: np.ndarray) -> np.ndarray:
    """Provider IV where it is plausible, else the American IV implied by the mid (the data layer flags which)."""
    iv = col("iv") if has_iv else np.full(len(t), np.nan)
    bad = ~np.isfinite(iv) | (iv < 0.01) | (iv > 5)
    if bad.any():
        s, k = col("spot")[bad], col("strike")[bad]
        r, q = col("rate")[bad], col("dividend_yield")[bad]
        res = american_implied_vol(col("mid")[bad], s, k, t[bad], r, q, np.zeros(bad.sum(), dtype=bool))
        iv = iv.copy()
        iv[bad] = np.asarray(res.iv)
    return iv


def _delta_only(s: np.ndarray, k: np.ndarray, t: np.ndarray, r: np.ndarray, q: np.ndarray, iv: np.ndarray,
                put: np.ndarray) -> Greeks:
    """`american_greeks` with only its delta (bit for bit, ~1/5 of the cost: no bumped re-solves); the rest NaN."""
    nan = np.full(len(s), np.nan)
    return Greeks(nan, american_delta(s, k, t, r, q, iv, put), nan, nan, nan, nan)


def seller_numbers(c: Columns, live: np.ndarray, rules: PutRules, as_of: np.datetime64,
                   greeks: bool = True) -> dict[str, np.ndarray]:
    """Seller's numbers for the `live` puts (NaN elsewhere): Greeks, assignment odds, yields, breakeven, expected
    value. `greeks=False`: delta only (what the rules and a ticket read); gamma, theta and vega stay NaN."""

    def col(name: str) -> np.ndarray:   # the surviving rows of one column, as floats
        return np.asarray(c[name], dtype=float)[live]

    s, k = col("spot"), col("strike")
    dte = col("dte")
    t = np.maximum(dte, 0.5) / 365.0
    r, q = col("rate"), col("dividend_yield")
    mid, bid = col("mid"), col("bid")
    iv = _iv_for_pricing(col, "iv" in c, t)
    put = np.zeros(len(s), dtype=bool)
    # listed single-stock puts are American: so are their Greeks
    g = (american_greeks if greeks else _delta_only)(s, k, t, r, q, iv, put)
    # Expected value at expiry under a real-world drift (T-bill + equity risk premium) and realized vol where known:
    # E_P[(K - S_T)+] = e^{mu T} * BS_put(rate=mu). The seller's edge is IV above realized vol (the variance premium).
    mu = r + rules.equity_risk_premium
    rv = col("realized_vol")
    sigma_p = np.where(np.isfinite(rv) & (rv > 0), rv, iv)
    exp_payoff = np.exp(mu * t) * np.asarray(bs_price(s, k, t, mu, q, sigma_p, put))
    ev = mid * np.exp(r * t) - exp_payoff
    cols = {
        "iv_used": iv, "delta": g.delta, "gamma": g.gamma, "theta": g.theta, "vega": g.vega_per_vol_point,
        "prob_assign": np.asarray(prob_itm(s, k, t, r, q, iv, put)), "prob_touch": np.asarray(prob_touch(s, k, t, r, q, iv)),
        "premium_mid": mid, "premium_bid": bid,
        "spread_pct": (col("ask") - bid) / np.where(mid > 0, mid, np.nan),
        "roc": mid / k, "roc_annualized": mid / k * 365.0 / np.maximum(dte, 1.0),
        "breakeven": k - mid, "discount_to_spot": 1.0 - (k - mid) / s,
        "ev_per_share": ev, "ev_annualized": ev / k * 365.0 / np.maximum(dte, 1.0),
        "excess_over_tbill": mid / k * 365.0 / np.maximum(dte, 1.0) - r,
    }
    earn = np.asarray(c["earnings_date"])[live]
    cols["days_to_earnings"] = (earn - as_of) / np.timedelta64(1, "D")
    full = np.full((len(cols), len(live)), np.nan)   # one block for every number (a row each), not one per number
    full[:, live] = np.array(list(cols.values()))
    return dict(zip(cols, full, strict=True))


def screen_rows(c: Columns, rules: PutRules, as_of: np.datetime64,
                greeks: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every put's reason code (`OPEN` for candidates) and the seller's numbers of those past the window.

    `c`: one array per column, one entry per put: strike, bid, ask, mid, dte, spot, expiry (datetime64[ns]),
    open_interest, volume, iv (optional), and each put's name's context: target_price, rate, dividend_yield,
    realized_vol, earnings_date and ex_dividend_date (datetime64[ns], NaT unknown), quality_fail (bool: the name
    fails the quality screen; unknown passes). Cheap rules run first on all rows; the pricing core runs only on the
    rows that survive them."""
    dte = np.asarray(c["dte"], dtype=float)
    strike = np.asarray(c["strike"], dtype=float)
    target = np.asarray(c["target_price"], dtype=float)
    floor = target * (1 - rules.strike_below_target_pct)
    bid, ask = np.asarray(c["bid"], dtype=float), np.asarray(c["ask"], dtype=float)
    code = np.zeros(len(dte), dtype=np.int8)
    _reject(code, ~np.isfinite(target), NO_TARGET)
    if rules.ladder == "rungs":
        _reject(code, rung_of(dte, rules) == 0, OFF_RUNG)
    else:
        _reject(code, dte < rules.dte_min, DTE_LOW)
        _reject(code, dte > rules.dte_max, DTE_HIGH)
    _reject(code, strike > target + 1e-9, ABOVE_TARGET)
    _reject(code, strike < floor - 1e-9, BELOW_FLOOR)
    _reject(code, ~(bid > 0), NO_BID)
    _reject(code, ~(ask >= bid), CROSSED)
    _reject(code, ~np.isfinite(np.asarray(c["mid"], dtype=float)), NO_MID)
    vals = seller_numbers(c, code == OPEN, rules, as_of, greeks)
    oi = np.nan_to_num(np.asarray(c["open_interest"], dtype=float), nan=0.0)
    vol = np.nan_to_num(np.asarray(c["volume"], dtype=float), nan=0.0)
    _reject(code, ~np.isfinite(vals["iv_used"]), NO_IV)
    _reject(code, np.abs(vals["delta"]) > rules.max_abs_delta, DELTA)
    _reject(code, oi < rules.min_open_interest, OPEN_INTEREST)
    _reject(code, vol < rules.min_volume, VOLUME)
    _reject(code, vals["spread_pct"] > rules.max_spread_pct, SPREAD)
    _reject(code, vals["roc_annualized"] < rules.min_annualized_return, RETURN)
    expiry = np.asarray(c["expiry"])
    for on, column, value in ((rules.skip_earnings, "earnings_date", EARNINGS),
                              (rules.skip_ex_dividend, "ex_dividend_date", EX_DIVIDEND)):
        if on:   # the event falls between today and expiry (NaT, unknown: never)
            when = np.asarray(c[column])
            _reject(code, (when >= as_of) & (when <= expiry), value)
    _reject(code, np.asarray(c["quality_fail"], dtype=bool), QUALITY)
    return code, vals


def afford_rows(code: np.ndarray, names: np.ndarray, sectors: np.ndarray, strike: np.ndarray, multiplier: np.ndarray,
                rules: PutRules, free_cash: float, holdings: Holdings) -> dict[str, np.ndarray]:
    """One contract must fit in free cash and under the name and sector caps, or the put can never be sold: codes
    `CASH`, `NAME_CAP`, `SECTOR_CAP` on the open rows of `code` (in place); returns the numbers (NaN off the open
    rows): one contract's collateral, the name's and the sector's room."""
    pos = np.flatnonzero(code == OPEN)
    coll, room, sector_room = np.full(len(code), np.nan), np.full(len(code), np.nan), np.full(len(code), np.nan)
    coll[pos] = np.asarray(strike, dtype=float)[pos] * np.asarray(multiplier, dtype=float)[pos]
    total = capital(free_cash, holdings)
    held = np.array([holdings.exposure_by_name.get(n, 0.0) for n in names[pos]], dtype=float)
    room[pos] = np.maximum(rules.max_pct_per_name * total - held, 0.0)
    sector_room[pos] = np.maximum(sector_rooms(names[pos], sectors[pos], rules, total, holdings), 0)
    _reject(code, coll > free_cash + 1e-9, CASH)
    _reject(code, coll > room + 1e-9, NAME_CAP)
    _reject(code, coll > sector_room + 1e-9, SECTOR_CAP)
    return {"collateral_one": coll, "name_room": room, "sector_room": sector_room}


def limit_price(mid: np.ndarray, bid: np.ndarray, ask: np.ndarray, tick: float, tick_above_3: float) -> np.ndarray:
    """Mid rounded to the listed tick (`tick` under $3, `tick_above_3` from $3), kept inside the bid-ask.

    A sell limit under the bid gives premium away; one above the ask would not fill.
    """
    step = np.where(mid < 3.0, tick, tick_above_3)
    px = np.round(mid / step) * step
    lo = np.ceil(bid / step - 1e-9) * step
    hi = np.floor(ask / step + 1e-9) * step
    return np.round(np.clip(px, lo, np.maximum(hi, lo)), 6)


@dataclass(frozen=True)
class RowPlan:
    """The plan on arrays: every put's reason code and numbers, the candidates, the optimizer's answer, the tickets."""

    code: np.ndarray                      # per put: the first failing rule, `OPEN` for a candidate (chosen or not)
    numbers: dict[str, np.ndarray]        # per put: the seller's numbers (`seller_numbers`), NaN where not priced
    room: dict[str, np.ndarray]           # per put: `afford_rows`' numbers
    blocked: dict[str, tuple[float, str]]   # per name too correlated with a holding: (correlation, held name)
    candidates: np.ndarray                # positions of the candidate puts
    selection: Selection                  # contracts per candidate
    tickets: np.ndarray                   # positions (among the candidates) of the chosen ones, in ticket order
    contracts: np.ndarray                 # per ticket
    limit: np.ndarray                     # per ticket: the limit price


def plan_rows(c: Columns, names: np.ndarray, sectors: np.ndarray, rules: PutRules, free_cash: float,
              as_of: np.datetime64, holdings: Holdings, corr: pd.DataFrame | None, objective: str = "premium",
              greeks: bool = True) -> RowPlan:
    """Screen, block names correlated with a holding, drop the unaffordable, select and size: the whole plan on the
    columns `c` (see `screen_rows`, plus multiplier), `names` and `sectors` ("unknown" where missing) per put.
    Tickets are ordered by expiry, then name (one ticket per name, so the order is unique). Total collateral never
    exceeds `free_cash`."""
    code, vals = screen_rows(c, rules, as_of, greeks)
    blocked = held_correlations(sorted(set(names.tolist())), corr, holdings, rules.max_pair_correlation)
    if blocked:
        _reject(code, np.isin(names, list(blocked)), HELD_CORRELATION)
    strike, mult = np.asarray(c["strike"], dtype=float), np.asarray(c["multiplier"], dtype=float)
    room = afford_rows(code, names, sectors, strike, mult, rules, free_cash, holdings)
    cand = np.flatnonzero(code == OPEN)
    if objective == "ev":
        value = vals["ev_per_share"][cand] * mult[cand]
    else:
        value = limit_price(vals["premium_mid"][cand], vals["premium_bid"][cand], np.asarray(c["ask"], dtype=float)[cand],
                            rules.tick, rules.tick_above_3) * mult[cand]
    expiry = np.asarray(c["expiry"])
    sel = select(Candidates(names[cand], sectors[cand], strike[cand], mult[cand], np.asarray(c["dte"], dtype=float)[cand],
                            expiry[cand]), value, free_cash, rules, holdings, corr)
    pos = np.flatnonzero(sel.contracts > 0)
    rows = cand[pos]
    pos = pos[sorted(range(len(pos)), key=lambda i: (expiry[rows[i]], names[rows[i]]))]
    rows = cand[pos]
    n = sel.contracts[pos]
    lp = limit_price(vals["premium_mid"][rows], vals["premium_bid"][rows], np.asarray(c["ask"], dtype=float)[rows],
                     rules.tick, rules.tick_above_3)
    used = float((strike[rows] * mult[rows] * n).sum())
    if used > free_cash + 1e-6:  # the optimizer's constraint; checked again because this is the seed's discipline
        raise AssertionError(f"plan collateral {used} exceeds free cash {free_cash}")
    return RowPlan(code, vals, room, blocked, cand, sel, pos, n, lp)
