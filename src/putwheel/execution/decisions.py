"""Decisions to orders: a `plan` ticket or a `manage` decision becomes one `Intended` order, nothing else.

The rules that chose the action are `strategy/`'s (through `api.manage` and `api.plan`); this module only spells
the chosen trade as an order: sell a planned put; buy back a short (take profit, close, close for a loss); roll
(buy the old leg, sell the new one, as one multi-leg order at a net credit floor); sell a covered call. Hold, let
expire and accept assignment send nothing. Client order ids come from (run date, decision).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.orders import ComboOrder, Intent, Order, Side
from putwheel.execution.engine import Intended, client_order_id
from putwheel.strategy import reasons

CLOSING = {"take_profit": reasons.TAKE_PROFIT, "close": reasons.CLOSE, "close_for_loss": reasons.CLOSE_FOR_LOSS}


def _dec(value: Any) -> Decimal:
    return Decimal(repr(float(value))).normalize()


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    return date.fromisoformat(str(value)[:10])


def from_plan(tickets: Iterable[Mapping[str, Any]], *, account: str, run_date: date) -> list[Intended]:
    """Each plan ticket: sell to open its put, `contracts` of them."""
    out = []
    for t in tickets:
        c = OptionContract(str(t["underlying"]), _day(t["expiry"]), _dec(t["strike"]), Right.PUT, int(t["multiplier"]))
        n = int(t["contracts"])
        cid = client_order_id(run_date, f"plan|{account}|{c.occ_symbol}|{n}")
        out.append(Intended("plan", "sell_put", Order(cid, c, Side.SELL, Intent.OPEN, n, None, reasons.NEW_PUT, run_date)))
    return out


def _present(rec: Mapping[str, Any], key: str) -> bool:
    v = rec.get(key)
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def from_manage(records: Sequence[Mapping[str, Any]], legs: Sequence[Any], *, account: str, run_date: date,
                min_credit: Decimal = Decimal(0)) -> list[Intended]:
    """One order per decision that trades. `legs[i]` is the position `records[i]` decided (a `strategy` Leg)."""
    out = []
    for rec, leg in zip(records, legs, strict=True):
        action = str(rec["action"])
        key = f"manage|{account}|{rec['position']}|{action}"
        if leg.right is not None:
            held = OptionContract(leg.underlying, leg.expiry, _dec(leg.strike), leg.right, int(leg.multiplier))
            n = abs(int(leg.contracts))
            back = Side.BUY if leg.contracts < 0 else Side.SELL
        if action in CLOSING and leg.right is not None:
            cid = client_order_id(run_date, key)
            out.append(Intended("manage", action, Order(cid, held, back, Intent.CLOSE, n, None, CLOSING[action], run_date)))
        elif action == "roll" and leg.right is not None and _present(rec, "roll_strike") and leg.contracts < 0:
            new = OptionContract(leg.underlying, _day(rec["roll_expiry"]), _dec(rec["roll_strike"]), leg.right,
                                 int(leg.multiplier))
            cid = client_order_id(run_date, f"{key}|{new.occ_symbol}")
            legs_ = (Order(cid, held, Side.BUY, Intent.CLOSE, n, None, reasons.ROLL, run_date),
                     Order(cid, new, Side.SELL, Intent.OPEN, n, None, reasons.ROLL, run_date))
            out.append(Intended("manage", "roll", ComboOrder(cid, legs_, min_credit, reasons.ROLL, run_date), min_credit))
        elif action == "sell_covered_call" and _present(rec, "cc_strike") and int(rec.get("cc_contracts") or 0) > 0:
            call = OptionContract(leg.underlying, _day(rec["cc_expiry"]), _dec(rec["cc_strike"]), Right.CALL)
            n_cc = int(rec["cc_contracts"])
            cid = client_order_id(run_date, f"{key}|{call.occ_symbol}|{n_cc}")
            out.append(Intended("manage", action, Order(cid, call, Side.SELL, Intent.OPEN, n_cc, None,
                                                        reasons.COVERED_CALL, run_date)))
    return out
