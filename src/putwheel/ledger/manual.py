"""Events for trades the user records by hand (`putwheel trade ...`). Pure builders; the store checks them.

Each builder returns the events of one action (a roll is a close and an open sharing one group), so the
action is written in one transaction or not at all. Keys hash the content, so recording the same trade twice
adds nothing; pass a distinct `ref` to record a genuinely repeated identical trade.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from putwheel.domain.contract import Right
from putwheel.domain.errors import InputError
from putwheel.domain.money import to_decimal
from putwheel.ledger.events import Effect, Instrument, Kind, LedgerEvent, canonical, option, shares


def _pos(value: object, what: str, *, allow_zero: bool = False) -> Decimal:
    dec = to_decimal(value, what=what)
    if dec < 0 or (dec == 0 and not allow_zero):
        raise InputError(f"{what} must be {'zero or ' if allow_zero else ''}positive, got {value}")
    return dec


def _count(value: int, what: str = "contracts") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{what} must be a positive whole number, got {value!r}")
    return value


def _group(*parts: object) -> str:
    return "m" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def option_trade(account: str, ts: datetime, inst: Instrument, quantity: int, price: object, fees: object = 0,
                 *, effect: Effect, group: str | None = None, ref: str = "") -> LedgerEvent:
    """Buy (+) or sell (-) `quantity` contracts at `price` per share; cash = -quantity × price × multiplier - fees."""
    if inst.expiry is not None and ts.date() > inst.expiry:
        raise InputError(f"{inst.label} expired on {inst.expiry}, before the trade date {ts.date()}",
                         hint="check --date and --expiry; an expired option is recorded with `trade expire` or `assign`")
    px, fee = _pos(price, "price", allow_zero=True), _pos(fees, "fees", allow_zero=True)
    cash = -Decimal(quantity) * px * inst.multiplier - fee
    return LedgerEvent(account, ts, Kind.TRADE, cash, inst, quantity, px, fee, effect=effect, group=group, note=ref)


def _sold(inst: Instrument, ts: datetime, premium: object) -> None:
    # An option sold after its expiry, or a put premium at or above its strike, is a typo, not a trade.
    assert inst.expiry is not None and inst.strike is not None
    if inst.expiry < ts.date():
        raise InputError(f"{inst.label} expired on {inst.expiry}, before the trade date {ts.date()}",
                         hint="check --expiry and --date")
    if inst.right is Right.PUT and _pos(premium, "premium", allow_zero=True) >= inst.strike:
        raise InputError(f"premium {premium} is at or above the strike {canonical(inst.strike)}: a put is never worth "
                         "its strike", hint="the premium is per share, e.g. 1.20 for $120 a contract")


def sell_put(account: str, ts: datetime, underlying: str, strike: object, expiry: object, contracts: int,
             premium: object, fees: object = 0, *, ref: str = "") -> list[LedgerEvent]:
    inst = option(underlying, Right.PUT, _pos(strike, "strike"), expiry, 100)  # type: ignore[arg-type]
    _sold(inst, ts, premium)
    return [option_trade(account, ts, inst, -_count(contracts), premium, fees, effect=Effect.OPEN, ref=ref)]


def sell_call(account: str, ts: datetime, underlying: str, strike: object, expiry: object, contracts: int,
              premium: object, fees: object = 0, *, ref: str = "") -> list[LedgerEvent]:
    inst = option(underlying, Right.CALL, _pos(strike, "strike"), expiry, 100)  # type: ignore[arg-type]
    _sold(inst, ts, premium)
    return [option_trade(account, ts, inst, -_count(contracts), premium, fees, effect=Effect.OPEN, ref=ref)]


def buy_close(account: str, ts: datetime, inst: Instrument, contracts: int, price: object, fees: object = 0,
              *, ref: str = "") -> list[LedgerEvent]:
    return [option_trade(account, ts, inst, _count(contracts), price, fees, effect=Effect.CLOSE, ref=ref)]


def roll(account: str, ts: datetime, old: Instrument, new: Instrument, contracts: int, close_price: object,
         open_price: object, fees: object = 0, *, ref: str = "") -> list[LedgerEvent]:
    """Buy back `old` and sell `new` as one action; fees are charged on the opening leg."""
    n = _count(contracts)
    if old.right is not new.right or old.underlying != new.underlying:
        raise InputError(f"a roll keeps underlying and right: {old.label} -> {new.label}")
    if old == new:
        raise InputError(f"rolling {old.label} into itself changes nothing")
    group = _group(account, ts.isoformat(), old.label, new.label, n, close_price, open_price, ref)
    return [
        option_trade(account, ts, old, n, close_price, 0, effect=Effect.CLOSE, group=group, ref=ref),
        option_trade(account, ts, new, -n, open_price, fees, effect=Effect.OPEN, group=group, ref=ref),
    ]


def expire(account: str, ts: datetime, inst: Instrument, open_quantity: int, *, ref: str = "") -> list[LedgerEvent]:
    """Remove an open option at zero: the closing quantity is the opposite of what is open."""
    if open_quantity == 0:
        raise InputError(f"{inst.label} is not open, nothing to expire")
    if inst.expiry is not None and ts.date() < inst.expiry:
        raise InputError(f"{inst.label} cannot expire on {ts.date()}, before its expiry {inst.expiry}",
                         hint="record `trade expire` on or after the expiry date, or buy it back (`trade buy-close`)")
    return [LedgerEvent(account, ts, Kind.EXPIRE, Decimal(0), inst, -open_quantity, Decimal(0), effect=Effect.CLOSE,
                        note=ref)]


def assign(account: str, ts: datetime, inst: Instrument, contracts: int, fees: object = 0, *, ref: str = "") -> list[LedgerEvent]:
    """A short option assigned: the option leaves, shares arrive (put) or leave (call) at the strike."""
    n = _count(contracts)
    strike = inst.strike
    assert strike is not None
    fee = _pos(fees, "fees", allow_zero=True)
    share_qty = n * inst.multiplier * (1 if inst.right is Right.PUT else -1)
    group = _group(account, ts.isoformat(), inst.label, n, "assign", ref)
    return [
        LedgerEvent(account, ts, Kind.ASSIGN, Decimal(0), inst, n, Decimal(0), effect=Effect.CLOSE, group=group, note=ref),
        LedgerEvent(account, ts, Kind.ASSIGN, -Decimal(share_qty) * strike - fee, shares(inst.underlying), share_qty,
                    strike, fee, effect=Effect.OPEN if share_qty > 0 else Effect.CLOSE, group=group, note=ref),
    ]


def share_trade(account: str, ts: datetime, underlying: str, quantity: int, price: object, fees: object = 0,
                *, ref: str = "") -> list[LedgerEvent]:
    if quantity == 0:
        raise InputError("share quantity must not be zero")
    px, fee = _pos(price, "price"), _pos(fees, "fees", allow_zero=True)
    return [LedgerEvent(account, ts, Kind.TRADE, -Decimal(quantity) * px - fee, shares(underlying), quantity, px, fee,
                        effect=Effect.OPEN if quantity > 0 else Effect.CLOSE, note=ref)]


def cash_move(account: str, ts: datetime, kind: Kind, amount: object, *, currency: str = "USD",
              ref: str = "") -> list[LedgerEvent]:
    """Deposit or withdrawal (amount positive), or an income/fee row (amount signed as it hits cash)."""
    amt = to_decimal(amount, what="amount")
    if kind in (Kind.DEPOSIT, Kind.WITHDRAWAL):
        amt = _pos(amount, "amount")
        amt = amt if kind is Kind.DEPOSIT else -amt
    return [LedgerEvent(account, ts, kind, amt, currency=currency.upper(), note=ref)]
