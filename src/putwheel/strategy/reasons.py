"""One readable sentence per decision, with the numbers that drove it (the CLI shows it, tests read it)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from putwheel.strategy.rules import ManageRules


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
    return ""


def _early(row: Mapping[str, Any]) -> str:
    if not row["early_assignment_risk"]:
        return ""
    if row["right"] == "C":
        return (f"; early-assignment risk: dividend {float(row['dividend']):.2f} before ex-date "
                f"{_d(row['ex_dividend_date'])} exceeds the extrinsic {float(row['extrinsic']):.2f}")
    return f"; early-assignment risk: deep ITM with extrinsic {float(row['extrinsic']):.2f} left"


def _option_reason(row: Mapping[str, Any], rules: ManageRules) -> str:
    action, leg = row["action"], _leg(row)
    cost, prem = float(row["close_cost"]), float(row["open_premium"])
    captured = float(row["captured_pct"])
    if int(row["contracts"]) > 0:
        return f"{leg}: long option, not managed by the Wheel rules; hold"
    if action == "let_expire":
        if int(row["dte"]) == 0:
            return f"{leg}: expires today out of the money; let it expire and keep the {prem:.2f} premium"
        return (f"{leg}: OTM with {int(row['dte'])} DTE and {cost:.2f} to close "
                f"(<= {rules.expire_worthless_below:.2f}); let it expire")
    if action == "take_profit":
        return (f"{leg}: sold at {prem:.2f}, buy back at {cost:.2f} captures {captured:.1%} of max profit "
                f"(>= {rules.take_profit_pct:.0%}); take profit")
    if action == "roll":
        return (f"{leg}: {_tested_why(row, rules)}; roll to {_d(row['roll_expiry'])} {float(row['roll_strike']):g}"
                f"{row['right']} for a {float(row['roll_credit']):+.2f} net credit, "
                f"EV {float(row['roll_ev']):+.2f}/share ({int(row['roll_candidates'])} candidates)")
    tested = bool(row["tested"])
    prefix = f"{leg}: {_tested_why(row, rules)}; {_no_roll(row, rules)}" if tested else f"{leg}: {_state(row)}"
    if action == "accept_assignment":
        what = "let the shares be called away" if row["right"] == "C" else "take assignment"
        return f"{prefix}; {what} at {float(row['strike']):g}" + _early(row)
    if action == "close":
        return f"{prefix}; accept_assignment is off: buy back at {cost:.2f}" + _early(row)
    got = f"{captured:.1%} of max profit captured" if math.isfinite(captured) else "no open premium on file"
    return f"{prefix}; {got}; hold" + _early(row)


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


__all__ = ["reason_for"]
