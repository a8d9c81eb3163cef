"""The Wheel manager: what to do today with each open position, as pure functions of position, market and rules.

Stages (all vectorized over positions): validate and join the market -> mark each option (chain mid when the
contract is quoted, else the American fixed-point price) with delta, intrinsic and extrinsic value ->
classify (let expire, take profit, tested, early-assignment risk) -> search credit rolls for the tested shorts and
covered calls for uncovered shares -> one action and one reason with its numbers per row.

Why a batch form: the backtester calls the manager per position per day (~500 names x 20 years, millions of
calls); a per-call Python path with pricing on scalars would dominate the run. `decide_many` takes one frame of
all open positions for a day and prices them in one NumPy pass; `decide` is the same code on a one-row frame,
so live management and backtests cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from putwheel.domain.errors import DataError, InputError
from putwheel.domain.holding import OpenPosition
from putwheel.pricing import american_price, bs_greeks, bs_price, implied_vol
from putwheel.strategy import core
from putwheel.strategy.candidates import CC_COLUMNS, ROLL_COLUMNS, chain_view, find_covered_calls, find_rolls
from putwheel.strategy.position import MARKET_COLUMNS, POSITION_COLUMNS, MarketView, positions_frame
from putwheel.strategy.reasons import reason_for
from putwheel.strategy.rules import ManageRules


class Action(StrEnum):
    HOLD = "hold"
    TAKE_PROFIT = "take_profit"
    ROLL = "roll"
    LET_EXPIRE = "let_expire"
    ACCEPT_ASSIGNMENT = "accept_assignment"
    SELL_COVERED_CALL = "sell_covered_call"
    CLOSE = "close"
    CLOSE_FOR_LOSS = "close_for_loss"


@dataclass(frozen=True)
class Decision:
    """One action with the reason a person can read and the numbers behind it."""

    action: Action
    reason: str
    details: Mapping[str, object] = field(default_factory=dict)


DETAIL_COLUMNS = ("dte", "mark", "mark_source", "close_cost", "net_credit", "captured_pct", "delta", "intrinsic",
                  "extrinsic", "itm", "tested", "early_assignment_risk", "value_keep", "value_close", "value_chosen",
                  "value_lost", *ROLL_COLUMNS, *CC_COLUMNS)


def decide(position: OpenPosition, market: MarketView, rules: ManageRules, as_of: date) -> Decision:
    """Today's action for one position (the one-row case of `decide_many`)."""
    frame = positions_frame([position])
    if callable(market.iv) and position.right is not None and position.strike is not None and position.expiry is not None:
        t = max((position.expiry - as_of).days, 0.5) / 365.0
        frame["iv"] = market.vol_at(np.asarray([float(position.strike)]), np.asarray([t]))
    out = decide_many(frame, market.market_frame(position.underlying), rules, as_of, chain=market.chain_frame(as_of))
    return to_decision(out.iloc[0])


def to_decision(row: pd.Series) -> Decision:
    details: dict[str, object] = {}
    for col in DETAIL_COLUMNS:
        value: Any = row.get(col)
        if value is None or value is pd.NaT or value == "" or (isinstance(value, float) and not np.isfinite(value)):
            continue
        if isinstance(value, pd.Timestamp):
            value = value.date()
        elif isinstance(value, np.generic):
            value = value.item()
        details[col] = int(value) if col in ("dte", "roll_dte", "cc_dte", "roll_candidates", "cc_candidates") else value
    return Decision(Action(row["action"]), str(row["reason"]), details)


def decide_many(positions: pd.DataFrame, market: pd.DataFrame, rules: ManageRules, as_of: date,
                chain: pd.DataFrame | None = None) -> pd.DataFrame:
    """Decide every position at once.

    Parameters
    ----------
    positions : one row per position with `POSITION_COLUMNS` (see `positions_frame`); optional `iv` per row.
    market : indexed by underlying with `spot, rate, dividend_yield, iv` and optional `realized_vol,
        ex_dividend_date, dividend, quote_date`.
    chain : optional quotes (data-layer chain schema) for marks, roll and covered-call candidates.

    Returns
    -------
    The positions with `action`, `reason` and the `DETAIL_COLUMNS` numbers, in the input order.
    """
    df = _prepare(positions, market, as_of)
    cv = None
    if chain is not None and len(chain):
        horizon = max(rules.roll_dte_max, rules.cc_dte_max, int(np.nan_to_num(df["dte"].max(), nan=0)))
        cv = chain_view(chain, as_of, set(df["underlying"]), horizon)
    df = _mark(df, cv, rules)
    df = _classify(df, rules)
    df["chain_quotes"] = df["underlying"].isin(set(cv["underlying"])).to_numpy() if cv is not None else False
    df = _rolls(df, cv, rules)
    df = _choose(df, cv, rules)
    df = _covered_calls(df, cv, rules)
    df["reason"] = [reason_for(row, rules) for row in df.to_dict("records")]  # type: ignore[arg-type]
    return df.drop(columns=["pid", "chain_quotes"])


def _prepare(positions: pd.DataFrame, market: pd.DataFrame, as_of: date) -> pd.DataFrame:
    missing = [c for c in POSITION_COLUMNS if c not in positions.columns]
    if missing:
        raise InputError(f"positions frame lacks columns {missing}", where="decide_many",
                         hint="build it with putwheel.strategy.positions_frame")
    df = positions.reset_index(drop=True).copy()
    df["pid"] = np.arange(len(df))
    if "net_credit" not in df:
        df["net_credit"] = df["open_premium"]
    df["net_credit"] = df["net_credit"].astype(float).fillna(df["open_premium"].astype(float))
    df["underlying"] = df["underlying"].astype(str).str.upper()
    df["right"] = df["right"].fillna("").astype(str).str.upper().str[:1]
    df["expiry"] = pd.to_datetime(df["expiry"])
    df["strike"] = df["strike"].astype(float).round(3)
    mkt = market.copy()
    mkt.index = mkt.index.astype(str).str.upper()
    for col in MARKET_COLUMNS:
        if col not in mkt:
            mkt[col] = pd.NaT if col in ("ex_dividend_date", "quote_date") else (0.0 if col == "dividend" else np.nan)
    absent = sorted(set(df["underlying"]) - set(mkt.index))
    if absent:
        raise DataError(f"no market data for {absent}", where="decide_many", hint="add a spot and vol for each name")
    late = mkt.index[pd.to_datetime(mkt["quote_date"]) > pd.Timestamp(as_of)]
    if len(late):
        raise InputError(f"market quotes for {list(late)} are dated after as_of {as_of}", where="decide_many",
                         hint="a decision may only use data known on its as_of date")
    own_iv = df.pop("iv").to_numpy(dtype=float) if "iv" in df else np.full(len(df), np.nan)
    df = df.join(mkt.loc[:, list(MARKET_COLUMNS)].rename(columns={"iv": "market_iv"}), on="underlying")
    df["own_iv"] = own_iv
    df["ex_dividend_date"] = pd.to_datetime(df["ex_dividend_date"])
    df["days_to_ex_dividend"] = (df["ex_dividend_date"] - pd.Timestamp(as_of)).dt.days
    opt = df["right"].isin(["P", "C"]).to_numpy()
    df["dte"] = np.where(opt, (df["expiry"] - pd.Timestamp(as_of)).dt.days, np.nan)
    expired = opt & (df["dte"].to_numpy() < 0)
    if expired.any():
        first = df.loc[expired].iloc[0]
        raise InputError(f"{first['underlying']} {first['strike']} {first['right']} expired on "
                         f"{first['expiry'].date()}, before as_of {as_of}", where="decide_many",
                         hint="record the expiration or assignment before deciding")
    return df


def _quotes(df: pd.DataFrame, cv: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ask, mid, iv and the modelled flag of each position's own contract in the chain (NaN where unquoted)."""
    n = len(df)
    if cv is None:
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool)
    keys = ["underlying", "right", "expiry", "strike"]
    near = cv["expiry"].isin(set(df["expiry"].dropna())).to_numpy() & cv["strike"].isin(set(df["strike"].dropna())).to_numpy()
    quotes = cv.loc[near, [*keys, "ask", "mid", "iv", "quality"]].drop_duplicates(keys)
    quoted = df.loc[:, keys].merge(quotes, on=keys, how="left", validate="many_to_one")
    q_ask, q_mid, q_iv = (quoted[c].to_numpy(dtype=float) for c in ("ask", "mid", "iv"))
    return q_ask, q_mid, q_iv, (quoted["quality"].astype(str) == "modelled").to_numpy()


def _mark(df: pd.DataFrame, cv: pd.DataFrame | None, rules: ManageRules) -> pd.DataFrame:
    """Mark, close cost, delta, intrinsic and extrinsic value of every option row (NaN for share lots)."""
    n = len(df)
    q_ask, q_mid, q_iv, modelled = _quotes(df, cv)
    opt = df["right"].isin(["P", "C"]).to_numpy()
    is_call = df["right"].to_numpy() == "C"
    s, k = df["spot"].to_numpy(dtype=float), df["strike"].to_numpy(dtype=float)
    r, q = df["rate"].to_numpy(dtype=float), df["dividend_yield"].to_numpy(dtype=float)
    dte = df["dte"].to_numpy(dtype=float)
    t = np.maximum(np.nan_to_num(dte, nan=1.0), 0.5) / 365.0
    has_quote = np.isfinite(q_mid) & np.isfinite(q_ask) & (q_ask > 0)
    # the vol the quote's own mid implies: keeping a short is valued at the market's price, not the model's
    quoted_iv = np.where(has_quote & opt, np.asarray(implied_vol(np.where(has_quote, q_mid, 0.0), s, np.where(opt, k, s),
                                                                 t, r, q, is_call).iv, dtype=float), np.nan)
    sigma = _first_finite(q_iv, df["own_iv"].to_numpy(dtype=float), df["market_iv"].to_numpy(dtype=float))
    no_vol = opt & ~np.isfinite(sigma)
    if no_vol.any():
        names = sorted(set(df.loc[no_vol, "underlying"]))
        raise DataError(f"no implied vol for {names}", where="decide_many",
                        hint="give the market an iv (or a chain with iv) for every optioned name")
    sig = np.where(np.isfinite(sigma), sigma, 0.3)
    kk = np.where(opt, k, s)
    model = np.asarray(american_price(s, kk, t, r, q, sig, is_call), dtype=float)
    intrinsic = np.where(is_call, np.maximum(s - kk, 0.0), np.maximum(kk - s, 0.0))
    mark = np.where(has_quote, q_mid, model)
    close_cost = np.where(has_quote, core.buy_price_vec(q_ask, mark, rules.fill_slippage), mark)
    at_expiry = dte == 0
    mark, close_cost = np.where(at_expiry, intrinsic, mark), np.where(at_expiry, intrinsic, close_cost)
    # European delta on purpose: |delta| is a rule input (tested at roll_delta, p_assign of the continuation), and the
    # backtest engine (backtest/wheel/book.mark_leg) applies the same rule every name-day, where an American delta
    # (one more boundary solve per open leg per day, ~10 us) would cost ~30x its speed. One rule, one delta.
    delta = np.asarray(bs_greeks(s, kk, t, r, q, sig, is_call).delta, dtype=float)
    # what closing the short today extinguishes: the discounted real-world expected payoff at expiry
    rv = df["realized_vol"].to_numpy(dtype=float)
    sig_p = np.where(np.isfinite(rv) & (rv > 0), rv, np.where(np.isfinite(quoted_iv) & (quoted_iv > 0), quoted_iv, sig))
    mu = r + rules.equity_risk_premium
    payoff_pv = np.exp((mu - r) * t) * np.asarray(bs_price(s, kk, t, mu, q, sig_p, is_call), dtype=float)
    nan = np.full(n, np.nan)
    df["mark"] = np.where(opt, mark, nan)
    source = np.where(has_quote, np.where(modelled, "modelled quote mid", "chain mid"), "model (American)")
    df["mark_source"] = np.where(opt, np.where(at_expiry, "intrinsic", source), "")
    df["close_cost"] = np.where(opt, close_cost, nan)
    df["old_payoff_pv"] = np.where(opt, np.where(at_expiry, intrinsic, payoff_pv), nan)
    df["sigma"] = np.where(opt, sig, nan)
    df["delta"] = np.where(opt, np.where(at_expiry, np.where(intrinsic > 0, np.where(is_call, 1.0, -1.0), 0.0), delta), nan)
    df["intrinsic"] = np.where(opt, intrinsic, nan)
    df["extrinsic"] = np.where(opt, np.maximum(mark - intrinsic, 0.0), nan)
    df["itm"] = opt & (intrinsic > 0)
    return df


def _first_finite(*arrays: np.ndarray) -> np.ndarray:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out = np.where(np.isfinite(out) & (out > 0), out, a)
    return out


def _classify(df: pd.DataFrame, rules: ManageRules) -> pd.DataFrame:
    """Base action before the candidate searches (`strategy.core.classify1`, the rule the array engine runs too);
    `want_roll` / `want_cc` mark the rows that search."""
    opt = df["right"].isin(["P", "C"]).to_numpy()
    short = opt & (df["contracts"].to_numpy() < 0)
    is_call = df["right"].to_numpy() == "C"
    dte = df["dte"].to_numpy(dtype=float)
    itm = df["itm"].to_numpy(dtype=bool)
    extrinsic = df["extrinsic"].to_numpy(dtype=float)
    code, tested, want_roll, captured = core.classify_vec(
        short, is_call, dte, itm, np.abs(df["delta"].to_numpy(dtype=float)), df["close_cost"].to_numpy(dtype=float),
        df["net_credit"].to_numpy(dtype=float), core.rule_array(rules))
    near = dte <= rules.roll_at_dte
    exd = df["ex_dividend_date"]
    # an ex-date still ahead (after today) and on or before expiry: exercising the day before captures the dividend
    before_exd = (df["days_to_ex_dividend"] > 0).to_numpy() & (exd <= df["expiry"]).to_numpy() & (dte > 0)
    ex_risk_call = short & is_call & itm & before_exd & (df["dividend"].to_numpy(dtype=float) > extrinsic)
    ex_risk_put = short & ~is_call & itm & near & (extrinsic < rules.early_assignment_extrinsic)
    shares = (df["right"].to_numpy() == "") & (df["contracts"].to_numpy() >= df["multiplier"].to_numpy())
    df["action"] = np.asarray(core.ACTION_NAMES, dtype=object)[code]
    df["captured_pct"] = captured
    df["tested"], df["want_roll"], df["want_cc"] = tested, want_roll, shares
    df["early_assignment_risk"] = ex_risk_call | ex_risk_put
    return df


def _rolls(df: pd.DataFrame, cv: pd.DataFrame | None, rules: ManageRules) -> pd.DataFrame:
    want = df["want_roll"].to_numpy(dtype=bool)
    best = find_rolls(df.loc[want], cv, rules) if cv is not None and want.any() else pd.DataFrame(columns=list(ROLL_COLUMNS))
    return df.join(best, on="pid")


def _choose(df: pd.DataFrame, cv: pd.DataFrame | None, rules: ManageRules) -> pd.DataFrame:
    """Keep, close or roll each tested short by value (`core.choose1`, the engine's rule); keeping a put counts the
    covered call the Wheel would sell on the shares (`core.continuation1`)."""
    fee = rules.commission / df["multiplier"].to_numpy(dtype=float)
    v_keep = -df["old_payoff_pv"].to_numpy(dtype=float)
    puts = (df["want_roll"] & (df["right"] == "P")).to_numpy()
    ev_cc = np.full(len(df), np.nan)
    if cv is not None and puts.any():
        rows = df.loc[puts].assign(share_cost_basis=lambda d: d["strike"] - d["net_credit"],
                                   contracts=lambda d: d["contracts"].abs() * d["multiplier"])
        cc = find_covered_calls(rows, cv, rules)
        ev_cc = df["pid"].map(cc["cc_ev"]).to_numpy(dtype=float) if len(cc) else ev_cc
    v_keep = v_keep + core.continuation_vec(np.abs(df["delta"].to_numpy(dtype=float)), ev_cc, fee)
    v_roll = df["roll_value"].to_numpy(dtype=float)
    found = np.isfinite(v_roll)
    codes = np.array([core.ACTION_NAMES.index(a) for a in df["action"]], dtype=np.int64)
    code, v_best, v_lost = core.choose_vec(codes, df["tested"].to_numpy(dtype=bool), df["close_cost"].to_numpy(dtype=float),
                                           df["net_credit"].to_numpy(dtype=float), v_keep, found,
                                           np.where(found, v_roll, -np.inf), core.rule_array(rules))
    df["action"] = np.asarray(core.ACTION_NAMES, dtype=object)[code]
    df["value_keep"], df["value_close"] = v_keep, -df["close_cost"].to_numpy(dtype=float) - fee
    df["value_chosen"], df["value_lost"] = v_best, v_lost
    return df


def _covered_calls(df: pd.DataFrame, cv: pd.DataFrame | None, rules: ManageRules) -> pd.DataFrame:
    want = df["want_cc"].to_numpy(dtype=bool)
    if cv is not None and want.any():
        best = find_covered_calls(df.loc[want], cv, rules)
    else:
        best = pd.DataFrame(columns=list(CC_COLUMNS))
    df = df.join(best, on="pid")
    found = want & df["cc_expiry"].notna().to_numpy()
    df.loc[found, "action"] = Action.SELL_COVERED_CALL.value
    return df
