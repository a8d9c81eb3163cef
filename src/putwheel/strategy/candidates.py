"""Candidate contracts for a roll or a covered call, searched for many positions at once.

Stages: normalize the chain once (`chain_view`) -> join candidates to the positions that need one (a merge on
underlying and right, so every position is searched in the same vectorized pass) -> filter by the rules ->
value with the pricing core -> keep the best row per position.

Expected value (per share, present value) of selling an option for `premium`:
``ev = premium - e^{-rT} · E_P[payoff_T]`` with ``E_P[payoff_T] = e^{µT} · BS(S, K, T, rate=µ, q, σ_p)``,
µ = rate + equity risk premium and σ_p the realized vol (the implied vol when none is given). A roll's EV adds
what buying back the old short is worth: ``PV E_P[old payoff] - cost to close``. Exercise is assumed at expiry
for the EV (the marks themselves use the American price, `american_price`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from putwheel.domain.errors import DataError
from putwheel.pricing import bs_greeks, implied_vol
from putwheel.strategy import core
from putwheel.strategy.position import CHAIN_COLUMNS
from putwheel.strategy.rules import ManageRules

ROLL_COLUMNS = ("roll_expiry", "roll_strike", "roll_dte", "roll_price", "roll_credit", "roll_ev", "roll_value",
                "roll_ev_annualized", "roll_delta", "roll_candidates")
CC_COLUMNS = ("cc_expiry", "cc_strike", "cc_dte", "cc_price", "cc_delta", "cc_yield_annualized", "cc_ev", "cc_contracts",
              "cc_candidates")


def chain_view(chain: pd.DataFrame, as_of: date, names: set[str] | None = None, max_dte: int | None = None) -> pd.DataFrame:
    """The chain with normalized keys (upper-case symbol, 'P'/'C', Timestamp expiry, dte, mid, iv column).

    Rows outside `names` or beyond `max_dte` are dropped first (cheap NumPy masks), so a whole-market daily
    chain costs little more than the rows the positions can use. Duplicate quotes are resolved where they are
    joined (first quote wins), not here, to keep this pass linear.
    """
    missing = [c for c in CHAIN_COLUMNS if c not in chain.columns]
    if missing:
        raise DataError(f"option chain lacks columns {missing}", where="chain",
                        hint="use the data layer's chain schema (underlying, expiry, strike, right, bid, ask)")
    expiry = pd.to_datetime(chain["expiry"])
    dte = ((expiry - pd.Timestamp(as_of)).dt.days).to_numpy()
    keep = dte >= 0
    if max_dte is not None:
        keep &= dte <= max_dte
    c = chain.loc[keep, [col for col in chain.columns if col in (*CHAIN_COLUMNS, "mid", "iv", "quality")]]
    c = c.assign(expiry=expiry[keep], dte=dte[keep], underlying=c["underlying"].astype(str).str.upper())
    if names is not None:
        c = c.loc[c["underlying"].isin(names).to_numpy()]
    bid, ask = c["bid"].to_numpy(dtype=float), c["ask"].to_numpy(dtype=float)
    c = c.assign(right=c["right"].astype(str).str.upper().str[:1], strike=c["strike"].to_numpy(dtype=float).round(3),
                 mid=c["mid"].to_numpy(dtype=float) if "mid" in c else (bid + ask) / 2,
                 iv=c["iv"].to_numpy(dtype=float) if "iv" in c else np.nan,
                 quality=c["quality"].astype(str).to_numpy() if "quality" in c else "")
    out: pd.DataFrame = c.loc[(ask >= bid) & np.isfinite(bid)].reset_index(drop=True)
    return out


def _sigma(m: pd.DataFrame, t: np.ndarray) -> np.ndarray:
    """Quoted IV, else implied from the mid (European; the quote's own model is unknown)."""
    iv = m["iv"].to_numpy(dtype=float)
    bad = ~np.isfinite(iv) | (iv <= 0)
    if bad.any():
        solved = implied_vol(m["mid"].to_numpy(dtype=float)[bad], m["spot"].to_numpy(dtype=float)[bad],
                             m["strike_new"].to_numpy(dtype=float)[bad], t[bad], m["rate"].to_numpy(dtype=float)[bad],
                             m["dividend_yield"].to_numpy(dtype=float)[bad], m["right"].to_numpy()[bad] == "C")
        iv = iv.copy()
        iv[bad] = np.asarray(solved.iv, dtype=float)
    return iv


def _join(rows: pd.DataFrame, chain: pd.DataFrame, right: str, dte_min: int, dte_max: int) -> pd.DataFrame:
    dte = chain["dte"].to_numpy()
    side = chain.loc[(chain["right"] == right).to_numpy() & (dte >= dte_min) & (dte <= dte_max)].rename(columns={
        "expiry": "expiry_new", "strike": "strike_new", "dte": "dte_new", "iv": "iv"})
    cols = ["pid", "underlying", "strike", "expiry", "close_cost", "old_payoff_pv", "spot", "rate", "dividend_yield",
            "realized_vol", "share_cost_basis", "contracts", "multiplier"]
    cols = [c for c in cols if c in rows.columns]
    m = rows.loc[:, cols].assign(right=right).merge(side, on=["underlying", "right"], how="inner")
    return m.drop_duplicates(["pid", "expiry_new", "strike_new"]).reset_index(drop=True)


def _search(m: pd.DataFrame, roll: bool, ev: np.ndarray, abs_delta: np.ndarray, rules: ManageRules) -> pd.DataFrame:
    """The best candidate per position (`pid`) by the one search the Wheel engine runs too (`core.best_write`)."""
    order = np.argsort(m["pid"].to_numpy(), kind="stable")
    m, ev, abs_delta = m.iloc[order].reset_index(drop=True), ev[order], abs_delta[order]
    pid = m["pid"].to_numpy()
    groups, starts = np.unique(pid, return_index=True)
    starts = np.append(starts, len(m)).astype(np.int64)
    first = m.iloc[starts[:-1]]
    day = lambda col: pd.to_datetime(col).to_numpy(dtype="datetime64[D]").astype(np.int64).astype(float)  # noqa: E731
    cand = np.column_stack([m["strike_new"].to_numpy(dtype=float), day(m["expiry_new"]),
                            m["dte_new"].to_numpy(dtype=float), m["price"].to_numpy(dtype=float), ev, abs_delta])
    basis = first["share_cost_basis"].to_numpy(dtype=float) if not roll else np.zeros(len(groups))
    best, count = core.best_write_groups(roll, (first["right"] == "C").to_numpy(), first["strike"].to_numpy(dtype=float),
                                         day(first["expiry"]) if roll else np.zeros(len(groups)),
                                         first["close_cost"].to_numpy(dtype=float) if roll else np.zeros(len(groups)),
                                         np.nan_to_num(basis, nan=0.0), starts, np.ascontiguousarray(cand),
                                         core.rule_array(rules))
    found = best >= 0
    out = m.iloc[best[found]].assign(n=count[found])
    out.index = pd.Index(groups[found], name="pid")
    return out


def find_rolls(rows: pd.DataFrame, chain: pd.DataFrame, rules: ManageRules) -> pd.DataFrame:
    """Best roll per position (index `pid`): later expiry in the roll window, same or better strike, ranked by EV.

    Rows carry `pid, underlying, right, strike, expiry, close_cost, old_payoff_pv` and market columns. A debit
    roll is dropped when `rules.roll_require_credit` (credit must exceed zero and `roll_min_credit`).
    """
    parts = []
    for right in ("P", "C"):
        sub = rows.loc[rows["right"] == right]
        if not sub.empty:
            parts.append(_join(sub, chain, right, rules.roll_dte_min, rules.roll_dte_max))
    if not parts or all(p.empty for p in parts):
        return pd.DataFrame(columns=list(ROLL_COLUMNS))
    m = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    is_call = m["right"].to_numpy() == "C"
    price = core.sell_price_vec(m["bid"].to_numpy(dtype=float), m["mid"].to_numpy(dtype=float), rules.fill_slippage)
    dte = m["dte_new"].to_numpy(dtype=float)
    t = dte / 365.0
    s, r, q = (m[c].to_numpy(dtype=float) for c in ("spot", "rate", "dividend_yield"))
    k_new = m["strike_new"].to_numpy(dtype=float)
    iv = _sigma(m, t)
    rv = m["realized_vol"].to_numpy(dtype=float)
    sigma_p = np.where(np.isfinite(rv) & (rv > 0), rv, iv)
    ev_new = core.ev_vec(price, s, k_new, t, r, q, sigma_p, is_call, rules.equity_risk_premium)
    # European delta, as the backtest engine's roll search (backtest/wheel/step.py): see decide._mark
    delta = np.asarray(bs_greeks(s, k_new, t, r, q, iv, is_call).delta, dtype=float)
    m = m.assign(price=price, ev_new=ev_new, roll_delta=delta)
    best = _search(m, True, ev_new, np.abs(delta), rules)
    if best.empty:
        return pd.DataFrame(columns=list(ROLL_COLUMNS))
    cost = best["close_cost"].to_numpy(dtype=float)
    fee = rules.commission / best["multiplier"].to_numpy(dtype=float)
    best = best.assign(roll_price=best["price"], roll_credit=np.round(best["price"].to_numpy(dtype=float) - cost, 6),
                       roll_ev=best["ev_new"], roll_value=-cost + best["ev_new"].to_numpy(dtype=float) - 2 * fee,
                       roll_ev_annualized=core.roll_score_vec(best["ev_new"].to_numpy(dtype=float),
                                                              best["strike_new"].to_numpy(dtype=float),
                                                              best["dte_new"].to_numpy(dtype=float)))
    best = best.rename(columns={"expiry_new": "roll_expiry", "strike_new": "roll_strike", "dte_new": "roll_dte",
                                "n": "roll_candidates"})
    return best.loc[:, list(ROLL_COLUMNS)]


def find_covered_calls(rows: pd.DataFrame, chain: pd.DataFrame, rules: ManageRules) -> pd.DataFrame:
    """Best covered call per share lot (index `pid`): strike >= basis, DTE in the window, |delta| capped.

    Among the calls that qualify, the highest premium yield on the cost basis per year wins (the Wheel's
    income leg); EV is reported alongside.
    """
    m = _join(rows, chain, "C", rules.cc_dte_min, rules.cc_dte_max)
    if m.empty:
        return pd.DataFrame(columns=list(CC_COLUMNS))
    price = core.sell_price_vec(m["bid"].to_numpy(dtype=float), m["mid"].to_numpy(dtype=float), rules.fill_slippage)
    dte = m["dte_new"].to_numpy(dtype=float)
    t = dte / 365.0
    s, r, q = (m[c].to_numpy(dtype=float) for c in ("spot", "rate", "dividend_yield"))
    k = m["strike_new"].to_numpy(dtype=float)
    iv = _sigma(m, t)
    calls = np.ones(len(m), dtype=bool)
    # European delta, as the backtest engine's covered-call search (backtest/wheel/step.py): see decide._mark
    delta = np.asarray(bs_greeks(s, k, t, r, q, iv, calls).delta, dtype=float)
    rv = m["realized_vol"].to_numpy(dtype=float)
    sigma_p = np.where(np.isfinite(rv) & (rv > 0), rv, iv)
    ev = core.ev_vec(price, s, k, t, r, q, sigma_p, calls, rules.equity_risk_premium)
    m = m.assign(price=price, cc_delta=delta, cc_ev=ev)
    best = _search(m, False, ev, np.abs(delta), rules)
    if best.empty:
        return pd.DataFrame(columns=list(CC_COLUMNS))
    basis = best["share_cost_basis"].to_numpy(dtype=float)
    best = best.assign(cc_price=best["price"],
                       cc_yield_annualized=core.cc_score_vec(best["price"].to_numpy(dtype=float), basis,
                                                             best["dte_new"].to_numpy(dtype=float)),
                       cc_contracts=best["contracts"].to_numpy() // best["multiplier"].to_numpy())
    best = best.rename(columns={"expiry_new": "cc_expiry", "strike_new": "cc_strike", "dte_new": "cc_dte",
                                "n": "cc_candidates"})
    return best.loc[:, list(CC_COLUMNS)]
