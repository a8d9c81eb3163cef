"""Reasons as data, English at the edge: the codes every decision and event carries, and their rendering.

Every trade the Wheel engine books carries a reason code (`NEW_PUT` ... `CALLED_AWAY`) and three numbers whose
meaning `REASON_NUMBERS` gives; `render_event` turns them into the sentence the CLI and reports show. The live
manager's rows (`decide_many`) carry `reason_code` and their numbers in columns; `reason_for` renders them.
No layer parses another layer's English.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from putwheel.strategy.rules import ManageRules

# Event reason codes (ints: the compiled engine stores them in its float event log).
NEW_PUT, COVERED_CALL, ROLL, TAKE_PROFIT, CLOSE, CLOSE_FOR_LOSS, EXPIRED_OTM, ASSIGNED, CALLED_AWAY = range(1, 10)
# the Cboe benchmark rules on the same engine (`backtest/wheel/index.py`): a leg written or bought by the index's
# fixed rule, and a cash-settled (index) option settled at its intrinsic value
INDEX_LEG, CASH_SETTLED = 10, 11
REASON_NAMES = {NEW_PUT: "new_put", COVERED_CALL: "covered_call", ROLL: "roll", TAKE_PROFIT: "take_profit",
                CLOSE: "close", CLOSE_FOR_LOSS: "close_for_loss", EXPIRED_OTM: "expired_otm", ASSIGNED: "assigned",
                CALLED_AWAY: "called_away", INDEX_LEG: "index_leg", CASH_SETTLED: "cash_settled"}
REASON_NUMBERS = {
    NEW_PUT: ("abs_delta", "dte", "collateral"),
    COVERED_CALL: ("abs_delta", "basis", "yield_annualized"),
    ROLL: ("credit", "ev_chosen", "ev_best_alternative"),
    TAKE_PROFIT: ("captured", "net_credit", "cost"),
    CLOSE: ("pnl_per_share", "ev_chosen", "ev_best_alternative"),
    CLOSE_FOR_LOSS: ("pnl_per_share", "ev_chosen", "ev_best_alternative"),
    EXPIRED_OTM: ("spot", "net_credit", "unused"),
    ASSIGNED: ("spot", "basis", "unused"),
    CALLED_AWAY: ("spot", "cycle_pnl", "unused"),
    INDEX_LEG: ("spot", "vol", "dte"),
    CASH_SETTLED: ("settlement", "intrinsic", "unused"),
}


def _ev_text(chosen: float, lost: float) -> str:
    if not math.isfinite(lost):
        return f"EV {chosen:+.2f}/share, no other choice"
    return f"EV {chosen:+.2f}/share beats the next best by {chosen - lost:.2f}"


EVENT_TEXT = {   # x1, x2, x3 as REASON_NUMBERS names them; {ev} is the value comparison of x2 and x3
    NEW_PUT: "new cash-secured put: |delta| {x1:.2f}, {x2:.0f} DTE, {x3:,.0f} collateral set aside",
    COVERED_CALL: "covered call: |delta| {x1:.2f}, strike at or above the basis {x2:.2f}, {x3:.1%}/yr on basis",
    ROLL: "tested short rolled for a {x1:+.2f} net credit: {ev} (keep / close / roll)",
    TAKE_PROFIT: "take profit: {x1:.1%} of the {x2:.2f} net credit (all rolls) captured, bought back at {x3:.2f}",
    CLOSE: "closed at a gain of {x1:.2f}/share: {ev}",
    CLOSE_FOR_LOSS: "closed for a loss of {loss:.2f}/share against the net credit: {ev}",
    EXPIRED_OTM: "expired out of the money (spot {x1:.2f}); kept the {x2:.2f} net credit",
    ASSIGNED: "assigned (spot {x1:.2f}): shares bought at the strike, premium-adjusted basis {x2:.2f}",
    CALLED_AWAY: "called away (spot {x1:.2f}): shares sold at the strike; the cycle made {x2:,.2f}",
    INDEX_LEG: "index rule: written at spot {x1:.2f} with vol {x2:.1%}, {x3:.0f} DTE",
    CASH_SETTLED: "cash-settled at {x1:.2f}: intrinsic value {x2:.2f} per share",
}
PLANNER_PUT = "new cash-secured put from the planner's ticket: {x2:.0f} DTE, {x3:,.0f} collateral set aside"


def render_event(code: int, x1: float, x2: float, x3: float) -> str:
    """One event's reason in English from its code and numbers (see `REASON_NUMBERS`)."""
    text = PLANNER_PUT if code == NEW_PUT and not math.isfinite(x1) else EVENT_TEXT.get(code)
    if text is None:
        return f"reason code {code}"
    ev = _ev_text(x2, x3) if code in (ROLL, CLOSE, CLOSE_FOR_LOSS) else ""
    return text.format(x1=x1, x2=x2, x3=x3, ev=ev, loss=-x1)


def _d(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat() if value is not None and not pd.isna(value) else "?"


def _leg(row: Mapping[str, Any]) -> str:
    return f"{row['underlying']} {_d(row['expiry'])} {float(row['strike']):g}{row['right']}"


def _state(row: Mapping[str, Any]) -> str:
    parts = [f"{int(row['dte'])} DTE", f"|delta| {abs(float(row['delta'])):.2f}"]
    if row["itm"]:
        parts.append(f"ITM by {float(row['intrinsic']):.2f}")
    return ", ".join(parts)


def _tested_why(row: Mapping[str, Any], rules: ManageRules) -> str:
    why = []
    if abs(float(row["delta"])) >= rules.roll_delta:
        why.append(f"|delta| {abs(float(row['delta'])):.2f} >= {rules.roll_delta:.2f}")
    if row["itm"] and rules.roll_when_itm:
        why.append(f"ITM by {float(row['intrinsic']):.2f}")
    if float(row["dte"]) <= rules.roll_at_dte:
        why.append(f"{int(row['dte'])} DTE <= {rules.roll_at_dte}")
    return "tested (" + ", ".join(why) + ")"


def _no_roll(row: Mapping[str, Any], rules: ManageRules) -> str:
    if row["right"] == "C" and not rules.roll_calls:
        return "rolling calls is off"
    if not row.get("chain_quotes", True):
        return "no chain quotes for this name to search rolls in"
    if row.get("roll_expiry") is None or pd.isna(row.get("roll_expiry")):
        return "no roll for a net credit in the chain" if rules.roll_require_credit else "no roll in the chain"
    return (f"the best roll ({_d(row['roll_expiry'])} {float(row['roll_strike']):g}{row['right']}, "
            f"{float(row['roll_credit']):+.2f} credit) is worth {float(row['roll_value']):+.2f}/share, not more")


def _early(row: Mapping[str, Any]) -> str:
    if not row["early_assignment_risk"]:
        return ""
    if row["right"] == "C":
        return (f"; early-assignment risk: dividend {float(row['dividend']):.2f} before ex-date "
                f"{_d(row['ex_dividend_date'])} exceeds the extrinsic {float(row['extrinsic']):.2f}")
    return f"; early-assignment risk: deep ITM with extrinsic {float(row['extrinsic']):.2f} left"


def _values(row: Mapping[str, Any]) -> str:
    """The alternatives' values behind a tested short's choice, per share."""
    chosen, lost = float(row.get("value_chosen", math.nan)), float(row.get("value_lost", math.nan))
    if not math.isfinite(chosen):
        return ""
    return f" ({_ev_text(chosen, lost)}; keep {float(row['value_keep']):+.2f}, close {float(row['value_close']):+.2f})"


def _option_reason(row: Mapping[str, Any], rules: ManageRules) -> str:
    action, leg = row["action"], _leg(row)
    cost, credit = float(row["close_cost"]), float(row["net_credit"])
    captured = float(row["captured_pct"])
    if int(row["contracts"]) > 0:
        return f"{leg}: long option, not managed by the Wheel rules; hold"
    if action == "let_expire":
        if int(row["dte"]) == 0:
            return f"{leg}: expires today out of the money; let it expire and keep the {credit:.2f} net credit"
        return (f"{leg}: OTM with {int(row['dte'])} DTE and {cost:.2f} to close "
                f"(<= {rules.expire_worthless_below:.2f}); let it expire")
    if action == "take_profit":
        return (f"{leg}: net credit {credit:.2f} across its rolls, buy back at {cost:.2f} captures {captured:.1%} of "
                f"max profit (>= {rules.take_profit_pct:.0%}); take profit")
    if action == "roll":
        return (f"{leg}: {_tested_why(row, rules)}; roll to {_d(row['roll_expiry'])} {float(row['roll_strike']):g}"
                f"{row['right']} for a {float(row['roll_credit']):+.2f} net credit ({int(row['roll_candidates'])} "
                f"candidates)" + _values(row))
    tested = bool(row["tested"])
    prefix = f"{leg}: {_tested_why(row, rules)}; {_no_roll(row, rules)}" if tested else f"{leg}: {_state(row)}"
    if action == "accept_assignment":
        what = "let the shares be called away" if row["right"] == "C" else "take assignment"
        return f"{prefix}; {what} at {float(row['strike']):g}" + _values(row) + _early(row)
    if action in ("close", "close_for_loss"):
        why = "accept_assignment is off" if not rules.accept_assignment else "closing is worth most"
        pnl = credit - cost
        what = f"a loss of {-pnl:.2f}/share" if action == "close_for_loss" else f"a gain of {pnl:.2f}/share"
        return f"{prefix}; {why}: buy back at {cost:.2f} for {what} against the net credit" + _values(row) + _early(row)
    got = f"{captured:.1%} of max profit captured" if math.isfinite(captured) else "no open premium on file"
    return f"{prefix}; {got}; hold" + _values(row) + _early(row)


def _share_reason(row: Mapping[str, Any], rules: ManageRules) -> str:
    basis, shares = float(row["share_cost_basis"]), int(row["contracts"])
    head = f"{row['underlying']} {shares} shares (basis {basis:.2f})"
    if row["action"] == "sell_covered_call":
        return (f"{head}: sell {int(row['cc_contracts'])} x {_d(row['cc_expiry'])} {float(row['cc_strike']):g}C "
                f"at {float(row['cc_price']):.2f} (|delta| {abs(float(row['cc_delta'])):.2f} <= {rules.cc_max_delta:.2f}, "
                f"{int(row['cc_dte'])} DTE, strike >= basis, {float(row['cc_yield_annualized']):.1%}/yr on basis)")
    if shares < int(row["multiplier"]):
        return f"{head}: fewer than {int(row['multiplier'])} uncovered shares, nothing to cover; hold"
    if not row.get("chain_quotes", True):
        return f"{head}: no chain quotes for this name to choose a covered call from; hold the shares"
    return (f"{head}: no call at strike >= basis with {rules.cc_dte_min}-{rules.cc_dte_max} DTE and "
            f"|delta| <= {rules.cc_max_delta:.2f} in the chain; hold the shares")


def reason_for(row: Mapping[str, Any], rules: ManageRules) -> str:
    if row["right"] in ("P", "C"):
        return _option_reason(row, rules)
    return _share_reason(row, rules)


__all__ = ["REASON_NAMES", "REASON_NUMBERS", "reason_for", "render_event"]
