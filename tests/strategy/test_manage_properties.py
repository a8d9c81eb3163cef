"""Properties of the manager over random positions and random quotes (hypothesis, no deadline: pricing is numba)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from manage_helpers import AS_OF, day

from putwheel.domain.contract import Right
from putwheel.strategy import Action, ManageRules, MarketView, decide, decide_many, option_position, positions_frame, share_lot

OPENED = date(2024, 1, 2)
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)

quote = st.tuples(
    st.sampled_from(["P", "C"]),
    st.integers(0, 70),  # dte
    st.sampled_from([80.0, 85.0, 90.0, 95.0, 100.0, 105.0, 110.0, 115.0]),
    st.floats(0.0, 15.0, allow_nan=False),  # bid
    st.floats(0.0, 1.0, allow_nan=False),  # ask - bid
)


def _chain(rows: list[tuple[str, int, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"underlying": "XYZ", "expiry": day(d), "strike": k, "right": r, "bid": round(b, 2),
                          "ask": round(b + w, 2), "iv": 0.3} for r, d, k, b, w in rows],
                        columns=["underlying", "expiry", "strike", "right", "bid", "ask", "iv"])


rules_st = st.builds(ManageRules, roll_min_credit=st.sampled_from([0.0, 0.25]), fill=st.sampled_from(["mid", "natural"]),
                     roll_calls=st.booleans(), take_profit_pct=st.sampled_from([0.5, 0.75]))


@SETTINGS
@given(factor=st.floats(0.8, 1.25), right=st.sampled_from([Right.PUT, Right.CALL]), strike=st.sampled_from([90.0, 100.0, 110.0]),
       dte=st.integers(0, 45), extra=st.floats(0.0, 2.0), premium=st.floats(0.05, 8.0),
       quotes=st.lists(quote, max_size=25), rules=rules_st,
       in_window=st.lists(st.tuples(st.integers(30, 45), st.sampled_from([85.0, 90.0, 100.0, 110.0, 115.0]),
                                    st.floats(0.0, 15.0), st.floats(0.0, 1.0)), max_size=8))
def test_decide_never_rolls_for_a_debit(factor, right, strike, dte, extra, premium, quotes, rules, in_window):
    spot = strike * factor
    intrinsic = max(spot - strike, 0.0) if right is Right.CALL else max(strike - spot, 0.0)
    leg = option_position("XYZ", right, strike, day(dte), -1, premium, OPENED, share_cost_basis=95.0)
    # the open short is always quoted; `in_window` are same-right quotes inside the 30-45 DTE roll window
    quotes = [(right.value, dte, strike, intrinsic + extra, 0.2), *((right.value, *q) for q in in_window), *quotes]
    ch = _chain(quotes)
    d = decide(leg, MarketView(spot=spot, as_of=AS_OF, iv=0.3, chain=ch), rules, AS_OF)
    assert d.action in set(Action)
    if d.action is Action.ROLL:
        det = d.details
        assert det["roll_credit"] > 0
        assert det["roll_credit"] >= rules.roll_min_credit - 1e-9
        assert rules.roll_dte_min <= det["roll_dte"] <= rules.roll_dte_max
        assert det["roll_expiry"] > leg.expiry
        assert det["roll_strike"] <= strike if right is Right.PUT else det["roll_strike"] >= strike
        # the credit is the quoted new premium less the cost to close, re-derived from the chain
        row = ch.loc[(ch["expiry"] == det["roll_expiry"]) & (ch["strike"] == det["roll_strike"])
                     & (ch["right"] == right.value)].iloc[0]
        new = row["bid"] if rules.fill == "natural" else (row["bid"] + row["ask"]) / 2
        assert det["roll_credit"] == pytest.approx(new - det["close_cost"], abs=1e-6)
    if d.action is Action.TAKE_PROFIT:
        assert d.details["captured_pct"] >= rules.take_profit_pct - 1e-9
    if d.action is Action.LET_EXPIRE:
        assert d.details["itm"] is False


@SETTINGS
@given(spot=st.floats(70, 130), basis=st.floats(60, 140), shares=st.integers(1, 1000),
       quotes=st.lists(quote, max_size=30), markup=st.sampled_from([0.0, 0.05]), max_delta=st.sampled_from([0.2, 0.35, 0.6]))
def test_decide_covered_call_strike_never_below_basis(spot, basis, shares, quotes, markup, max_delta):
    rules = ManageRules(cc_min_strike_over_basis=markup, cc_max_delta=max_delta)
    mv = MarketView(spot=spot, as_of=AS_OF, iv=0.3, chain=_chain(quotes))
    d = decide(share_lot("XYZ", shares, basis, OPENED), mv, rules, AS_OF)
    assert d.action in (Action.SELL_COVERED_CALL, Action.HOLD)
    if d.action is Action.SELL_COVERED_CALL:
        assert d.details["cc_strike"] >= basis * (1 + markup) - 1e-9
        assert abs(d.details["cc_delta"]) <= max_delta + 1e-12
        assert rules.cc_dte_min <= d.details["cc_dte"] <= rules.cc_dte_max
        assert d.details["cc_contracts"] == shares // 100 >= 1


@SETTINGS
@given(spots=st.lists(st.floats(60, 140), min_size=1, max_size=12), data=st.data())
def test_decide_many_equals_decide_on_random_books(spots, data):
    legs = [option_position("XYZ", data.draw(st.sampled_from([Right.PUT, Right.CALL])), data.draw(st.sampled_from([90.0, 100.0])),
                day(data.draw(st.integers(0, 40))), -data.draw(st.integers(1, 5)), data.draw(st.floats(0.1, 5)), OPENED)
            for _ in spots]
    mv = MarketView(spot=spots[0], as_of=AS_OF, iv=0.3)
    batch = decide_many(positions_frame(legs), mv.market_frame("XYZ"), ManageRules(), AS_OF)
    assert list(batch["action"]) == [decide(leg, mv, ManageRules(), AS_OF).action.value for leg in legs]
