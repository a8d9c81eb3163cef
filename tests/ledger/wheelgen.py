"""Random Wheel action sequences for the property tests (hypothesis strategies, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from putwheel.domain.contract import Right
from putwheel.ledger import manual
from putwheel.ledger.events import Kind, LedgerEvent, option
from putwheel.ledger.replay import State

ACCT = "prop"
UNDERLYINGS = ("AAA", "BBB")
STRIKES = (Decimal("5"), Decimal("7.5"), Decimal("10"), Decimal("12.5"))
EXPIRIES = (date(2024, 3, 15), date(2024, 4, 19))
START = datetime(2024, 1, 2, 15, tzinfo=UTC)
# Weighted towards the Wheel's own moves; deposits, withdrawals and share trades keep the edges exercised.
ACTIONS = ("deposit", "withdraw", "sell_put", "sell_put", "sell_put", "sell_call", "sell_call", "sell_call",
           "buy_close", "buy_close", "expire", "expire", "assign", "assign", "assign", "buy_shares", "sell_shares",
           "dividend", "roll", "roll")

FEES = (Decimal(0), Decimal("1.00"), Decimal("0.132"), Decimal("1.0439432"))
RIGHTS = (Right.PUT, Right.CALL)
# (field, number of choices): a step is one integer decoded digit by digit, one draw instead of ten, which
# keeps 10,000 sequences affordable; it still shrinks towards the first choice of every field.
_RADICES = (("action", len(ACTIONS)), ("und", len(UNDERLYINGS)), ("strike", len(STRIKES)), ("expiry", len(EXPIRIES)),
            ("right", 2), ("n", 3), ("px", 401), ("fee", len(FEES)), ("pick", 4), ("amount", 40_000))
_SPACE = 1
for _, _r in _RADICES:
    _SPACE *= _r


def decode(code: int) -> tuple:
    d = {}
    for name, radix in _RADICES:
        code, d[name] = divmod(code, radix)
    return (ACTIONS[d["action"]], UNDERLYINGS[d["und"]], STRIKES[d["strike"]], EXPIRIES[d["expiry"]],
            RIGHTS[d["right"]], d["n"] + 1, Decimal(d["px"]) / 100, FEES[d["fee"]], d["pick"],
            Decimal(d["amount"] + 1) / 4)


steps = st.integers(min_value=0, max_value=_SPACE - 1).map(decode)
OPENING = ("deposit", "AAA", STRIKES[0], EXPIRIES[0], Right.PUT, 1, Decimal(0), Decimal(0), 0, Decimal(5000))
sequences = st.one_of(
    st.lists(steps, min_size=1, max_size=25),
    st.lists(steps, min_size=1, max_size=30).map(lambda seq: [OPENING, *seq]),  # funded: the Wheel gets going
)


def build(step: tuple, state: State, day: int, acct: str = ACCT) -> list[LedgerEvent]:
    """Turn one random step into the events of one action, choosing targets from the current state."""
    action, und, strike, expiry, right, n, px, fee, pick, amount = step
    ts = START + timedelta(days=day)
    held = sorted(state.holdings.items(), key=lambda kv: kv[0][1].label)
    opts = [inst for (_, inst), h in held if inst.is_option and h.quantity < 0]  # the Wheel's shorts
    stock = [inst.underlying for (_, inst), h in held if not inst.is_option and h.quantity > 0]
    if action == "deposit":
        return manual.cash_move(acct, ts, Kind.DEPOSIT, amount)
    if action == "withdraw":
        return manual.cash_move(acct, ts, Kind.WITHDRAWAL, amount)
    if action == "dividend":
        return manual.cash_move(acct, ts, Kind.DIVIDEND, px)
    if action == "sell_put":
        return manual.sell_put(acct, ts, und, strike, expiry, n, px, fee)
    if action == "sell_call":
        if stock:  # usually on shares held, sized to them: a covered call (pick 3 keeps n, often too many)
            und = stock[pick % len(stock)]
            n = n if pick == 3 else max(1, min(n, state.shares(acct, und) // 100))
        return manual.sell_call(acct, ts, und, strike, expiry, n, px, fee)
    if action == "buy_shares":
        return manual.share_trade(acct, ts, und, 100 * n, strike, fee)
    if action == "sell_shares":
        return manual.share_trade(acct, ts, und, -100 * n, strike, fee)
    target = opts[pick % len(opts)] if opts else option(und, right, strike, expiry)
    position = state.holdings.get((acct, target))
    qty = position.quantity if position else 0
    n = n if pick == 3 or qty == 0 else min(n, abs(qty))  # mostly valid sizes; pick 3 tries more than is open
    if action == "buy_close":
        return manual.buy_close(acct, ts, target, n, px, fee)
    if action == "expire":
        return manual.expire(acct, ts, target, qty or -n)
    if action == "assign":
        return manual.assign(acct, ts, target, n, fee)
    new = option(target.underlying, target.right or right, strike, expiry if expiry != target.expiry else EXPIRIES[1])
    if new == target:
        new = option(target.underlying, target.right or right, strike + 1, EXPIRIES[1])
    return manual.roll(acct, ts, target, new, n, px, px + Decimal("0.05"), fee)
