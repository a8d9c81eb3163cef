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

prices = st.integers(min_value=0, max_value=400).map(lambda c: Decimal(c) / 100)
fees = st.sampled_from([Decimal(0), Decimal("1.00"), Decimal("0.132"), Decimal("1.0439432")])
steps = st.tuples(
    st.sampled_from(ACTIONS), st.sampled_from(UNDERLYINGS), st.sampled_from(STRIKES), st.sampled_from(EXPIRIES),
    st.sampled_from([Right.PUT, Right.CALL]), st.integers(1, 3), prices, fees, st.integers(0, 3),
    st.integers(1, 40_000).map(lambda c: Decimal(c) / 4),
)
OPENING = ("deposit", "AAA", STRIKES[0], EXPIRIES[0], Right.PUT, 1, Decimal(0), Decimal(0), 0, Decimal(5000))
sequences = st.one_of(
    st.lists(steps, min_size=1, max_size=25),
    st.lists(steps, min_size=1, max_size=30).map(lambda seq: [OPENING, *seq]),  # funded: the Wheel gets going
)


def build(step: tuple, state: State, day: int, acct: str = ACCT) -> list[LedgerEvent]:
    """Turn one random step into the events of one action, choosing targets from the current state."""
    action, und, strike, expiry, right, n, px, fee, pick, amount = step
    ts = START + timedelta(days=day)
    opts = [inst for (_, inst), h in sorted(state.holdings.items(), key=lambda kv: kv[0][1].label) if inst.is_option]
    if action == "deposit":
        return manual.cash_move(acct, ts, Kind.DEPOSIT, amount)
    if action == "withdraw":
        return manual.cash_move(acct, ts, Kind.WITHDRAWAL, amount)
    if action == "dividend":
        return manual.cash_move(acct, ts, Kind.DIVIDEND, px)
    if action == "sell_put":
        return manual.sell_put(acct, ts, und, strike, expiry, n, px, fee)
    if action == "sell_call":
        return manual.sell_call(acct, ts, und, strike, expiry, n, px, fee)
    if action == "buy_shares":
        return manual.share_trade(acct, ts, und, 100 * n, strike, fee)
    if action == "sell_shares":
        return manual.share_trade(acct, ts, und, -100 * n, strike, fee)
    target = opts[pick % len(opts)] if opts else option(und, right, strike, expiry)
    held = state.holdings.get((acct, target))
    qty = held.quantity if held else 0
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
