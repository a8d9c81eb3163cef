"""The pricing policy: mid first, walked toward natural, never past the bid/ask or below a roll's minimum credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from putwheel.domain.errors import DataError
from putwheel.domain.orders import Side
from putwheel.execution.policy import PricePolicy, limits, open_leg_floor, roll_limits

D = Decimal


def test_policy_sale_walks_from_mid_to_bid():
    assert limits(Side.SELL, D("1.00"), D("1.20"), PricePolicy(steps=2)) == (D("1.10"), D("1.05"), D("1.00"))


def test_policy_buy_walks_from_mid_to_ask_rounding_down():
    assert limits(Side.BUY, D("0.51"), D("0.60"), PricePolicy(steps=3)) == (D("0.55"), D("0.57"), D("0.58"), D("0.60"))


def test_policy_sale_never_below_floor():
    assert limits(Side.SELL, D("1.00"), D("1.20"), PricePolicy(steps=4), floor=D("1.08")) == (D("1.10"), D("1.08"))


def test_policy_roll_never_below_min_credit():
    # old leg 2.00/2.10, new leg 2.30/2.50: mid credit 0.35, natural 0.20; min credit 0.25 stops the walk
    assert roll_limits(D("2.00"), D("2.10"), D("2.30"), D("2.50"), PricePolicy(steps=3), min_credit=D("0.25")) == (
        D("0.35"), D("0.30"), D("0.25"))


def test_policy_refuses_a_crossed_or_missing_quote():
    with pytest.raises(DataError, match="no usable quote"):
        limits(Side.SELL, D("1.2"), D("1.0"), PricePolicy())
    with pytest.raises(DataError):
        limits(Side.SELL, D("NaN"), D("1.0"), PricePolicy())


def test_policy_leg_by_leg_floor_and_deadline():
    assert open_leg_floor(D("1.40"), D("0.10")) == D("1.50")
    assert PricePolicy(steps=3, interval_seconds=30).deadline_seconds == 120


cents = st.integers(min_value=0, max_value=5000).map(lambda c: D(c) / 100)


@given(cents, cents, st.integers(min_value=0, max_value=8), st.sampled_from([Side.SELL, Side.BUY]))
def test_policy_stays_inside_the_quote(a, b, steps, side):
    bid, ask = min(a, b), max(a, b)
    path = limits(side, bid, ask, PricePolicy(steps=steps))
    assert all(bid <= p <= ask for p in path)
    assert path[-1] == (bid if side is Side.SELL else ask) or steps == 0
    assert list(path) == sorted(path, reverse=side is Side.SELL)


def test_schedule_runs_before_each_close_early_closes_included():
    from datetime import UTC, date, datetime, timedelta

    from putwheel.data.calendar import session_closes
    from putwheel.execution.schedule import next_run

    closes = session_closes(date(2017, 11, 22), date(2017, 11, 28))
    assert date(2017, 11, 23) not in closes                      # Thanksgiving
    assert closes[date(2017, 11, 24)] == datetime(2017, 11, 24, 18, tzinfo=UTC)   # 13:00 New York
    lead = timedelta(minutes=30)
    t = datetime(2017, 11, 23, 12, tzinfo=UTC)
    assert next_run(t, closes, lead=lead) == (date(2017, 11, 24), datetime(2017, 11, 24, 17, 30, tzinfo=UTC))
    late = datetime(2017, 11, 24, 17, 45, tzinfo=UTC)             # after the run time, before the close: now
    assert next_run(late, closes, lead=lead) == (date(2017, 11, 24), late)
    assert next_run(late, closes, lead=lead, done={date(2017, 11, 24)})[0] == date(2017, 11, 27)
