"""Decision tables for the Wheel manager, each row with its arithmetic written out.

Spot 100, rate 4 %, flat iv 25 %, as_of 2024-03-01; marks come from hand-written quotes (mid = (bid + ask) / 2).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from manage_helpers import AS_OF, chain, day

from putwheel.domain.contract import Right
from putwheel.domain.errors import DataError, InputError
from putwheel.strategy import (
    Action,
    ManageRules,
    MarketView,
    OpenPosition,
    decide,
    decide_many,
    option_position,
    positions_frame,
    share_lot,
    to_decision,
)

OPENED = date(2024, 1, 26)


def put(strike: float, dte: int, premium: float, contracts: int = -1) -> OpenPosition:
    return option_position("XYZ", Right.PUT, strike, day(dte), contracts, premium, OPENED)


def call(strike: float, dte: int, premium: float) -> OpenPosition:
    return option_position("XYZ", Right.CALL, strike, day(dte), -1, premium, OPENED, share_cost_basis=96.0)


def market(quotes: pd.DataFrame | None, **kw: object) -> MarketView:
    return MarketView(spot=100.0, as_of=AS_OF, rate=0.04, iv=0.25, chain=quotes, **kw)  # type: ignore[arg-type]


# (id, position, quotes (right, dte, strike, bid, ask), rules overrides, expected action, expected numbers)
PUT_TABLE = [
    # sold 2.00, mid (0.90+1.00)/2 = 0.95 -> (2.00-0.95)/2.00 = 52.5 % >= 50 % -> take profit
    ("profit_52_5", put(90, 30, 2.00), [("P", 30, 90, 0.90, 1.00)], {}, Action.TAKE_PROFIT,
     {"mark": 0.95, "captured_pct": 0.525}),
    # mid (1.00+1.10)/2 = 1.05 -> (2.00-1.05)/2.00 = 47.5 % < 50 % -> hold
    ("hold_47_5", put(90, 30, 2.00), [("P", 30, 90, 1.00, 1.10)], {}, Action.HOLD, {"captured_pct": 0.475}),
    # natural fill closes at the ask 1.00 -> (2.00-1.00)/2.00 = 50.0 % -> take profit exactly at the threshold
    ("natural_50", put(90, 30, 2.00), [("P", 30, 90, 0.90, 1.00)], {"fill": "natural"}, Action.TAKE_PROFIT,
     {"close_cost": 1.00, "captured_pct": 0.50}),
    # natural ask 1.02 -> (2.00-1.02)/2.00 = 49 % -> hold
    ("natural_49", put(90, 30, 2.00), [("P", 30, 90, 0.90, 1.02)], {"fill": "natural"}, Action.HOLD,
     {"captured_pct": 0.49}),
    # slippage 0.5 at mid: close at 0.95 + 0.5 x (1.00 - 0.95) = 0.975 -> (2.00-0.975)/2.00 = 51.25 % -> take profit
    ("half_spread_51", put(90, 30, 2.00), [("P", 30, 90, 0.90, 1.00)], {"slippage": 0.5}, Action.TAKE_PROFIT,
     {"close_cost": 0.975, "captured_pct": 0.5125}),
    # slippage 0.5, ask 1.10: close at 1.05 + 0.025 = 1.075 -> 46.25 % -> hold (at mid it would be 47.5 %)
    ("half_spread_hold", put(90, 30, 2.00), [("P", 30, 90, 1.00, 1.10)], {"slippage": 0.5}, Action.HOLD,
     {"close_cost": 1.075}),
    # 3 DTE, OTM, mid (0.00+0.06)/2 = 0.03 <= 0.05 -> let expire (not a 94 % take-profit that pays to close)
    ("let_expire_3dte", put(90, 3, 0.50), [("P", 3, 90, 0.00, 0.06)], {}, Action.LET_EXPIRE, {"mark": 0.03}),
    # 3 DTE, mid 0.07 > 0.05, captured (0.10-0.07)/0.10 = 30 %: tested by DTE 3 <= 7, no roll quoted -> hold
    ("near_no_roll", put(90, 3, 0.10), [("P", 3, 90, 0.05, 0.09)], {}, Action.HOLD, {"tested": True}),
    # expiration day, strike 90 < spot 100: worth intrinsic 0 -> let expire
    ("expiry_otm", put(90, 0, 1.00), [], {}, Action.LET_EXPIRE, {"mark": 0.0, "mark_source": "intrinsic"}),
    # expiration day, strike 105 > spot 100: intrinsic 105-100 = 5.00, no roll -> take the shares
    ("expiry_itm", put(105, 0, 1.00), [], {}, Action.ACCEPT_ASSIGNMENT, {"intrinsic": 5.0, "itm": True}),
    # same, but accept_assignment off -> buy back at intrinsic 5.00
    ("expiry_itm_close", put(105, 0, 1.00), [], {"accept_assignment": False}, Action.CLOSE_FOR_LOSS,
     {"close_cost": 5.0}),
]

ROLL_QUOTES = [
    ("P", 10, 105, 5.40, 5.60),  # the open short: close at mid 5.50
    ("P", 35, 105, 6.60, 6.80),  # same strike, mid 6.70 -> credit 6.70 - 5.50 = +1.20
    ("P", 35, 100, 3.90, 4.10),  # lower strike, mid 4.00 -> 4.00 - 5.50 = -1.50 debit
    ("P", 35, 110, 9.90, 10.10),  # higher strike: never a put roll target
    ("P", 60, 105, 8.90, 9.10),  # 60 DTE: outside the 30-45 roll window
    ("P", 20, 105, 5.90, 6.10),  # 20 DTE: outside the window
]

ROLL_TABLE = [
    # ITM by 5 with 10 DTE -> tested; the only credit roll is 35 DTE 105P for +1.20
    ("roll_credit", put(105, 10, 3.00), ROLL_QUOTES, {}, Action.ROLL,
     {"roll_credit": 1.20, "roll_strike": 105.0, "roll_dte": 35, "roll_candidates": 1}),
    # minimum credit 1.50 > 1.20 -> no roll; ITM -> assignment
    ("roll_min_credit", put(105, 10, 3.00), ROLL_QUOTES, {"roll_min_credit": 1.50}, Action.ACCEPT_ASSIGNMENT, {}),
    # debit rolls allowed: 105P (+1.20) and 100P (-1.50) both qualify
    ("roll_debit_allowed", put(105, 10, 3.00), ROLL_QUOTES, {"roll_require_credit": False}, Action.ROLL,
     {"roll_candidates": 2}),
    # only the debit candidate quoted -> no credit roll -> take assignment
    ("only_debit", put(105, 10, 3.00), [ROLL_QUOTES[0], ROLL_QUOTES[2]], {}, Action.ACCEPT_ASSIGNMENT, {}),
    ("only_debit_close", put(105, 10, 3.00), [ROLL_QUOTES[0], ROLL_QUOTES[2]], {"accept_assignment": False},
     Action.CLOSE_FOR_LOSS, {"close_cost": 5.50}),
]


@pytest.mark.parametrize(("position", "quotes", "overrides", "action", "numbers"),
                         [row[1:] for row in PUT_TABLE + ROLL_TABLE], ids=[row[0] for row in PUT_TABLE + ROLL_TABLE])
def test_decide_short_put_table(position, quotes, overrides, action, numbers):
    d = decide(position, market(chain(*quotes) if quotes else None), ManageRules(**overrides), AS_OF)
    assert d.action is action, d.reason
    for key, want in numbers.items():
        got = d.details[key]
        assert got == pytest.approx(want, abs=1e-9) if isinstance(want, float) else got == want, (key, d.details)
    assert d.reason


def test_decide_roll_reason_names_the_numbers():
    d = decide(put(105, 10, 3.00), market(chain(*ROLL_QUOTES)), ManageRules(), AS_OF)
    assert "ITM by 5.00" in d.reason
    assert f"roll to {day(35).isoformat()} 105P for a +1.20 net credit" in d.reason
    assert d.details["roll_expiry"] == day(35)


def test_decide_without_chain_says_there_was_nothing_to_search():
    d = decide(put(105, 10, 3.00), market(None), ManageRules(), AS_OF)
    assert d.action is Action.ACCEPT_ASSIGNMENT
    assert "no chain quotes for this name to search rolls in" in d.reason


def test_decide_no_credit_roll_reason_says_so():
    d = decide(put(105, 10, 3.00), market(chain(ROLL_QUOTES[0], ROLL_QUOTES[2])), ManageRules(), AS_OF)
    assert "no roll for a net credit" in d.reason
    assert "take assignment at 105" in d.reason


CALL_QUOTES = [
    ("C", 10, 95, 5.10, 5.30),  # open short call: mid 5.20, intrinsic 100-95 = 5.00, extrinsic 0.20
    ("C", 35, 95, 6.40, 6.60),  # same strike later: 6.50 - 5.20 = +1.30 credit
    ("C", 35, 100, 2.90, 3.10),  # up and out: 3.00 - 5.20 = -2.20 debit
    ("C", 35, 90, 10.90, 11.10),  # lower strike: never a call roll target
]


@pytest.mark.parametrize(("dividend", "risk"), [(0.50, True), (0.10, False)])
def test_decide_call_early_assignment_before_ex_dividend(dividend, risk):
    # dividend 0.50 > extrinsic 5.20 - 5.00 = 0.20 with the ex-date before expiry -> flagged; 0.10 < 0.20 -> not
    mv = market(chain(*CALL_QUOTES), ex_dividend_date=day(5), dividend=dividend)
    d = decide(call(95, 10, 1.00), mv, ManageRules(), AS_OF)
    assert d.action is Action.ACCEPT_ASSIGNMENT
    assert d.details["extrinsic"] == pytest.approx(0.20)
    assert d.details["early_assignment_risk"] is risk
    assert ("early-assignment risk: dividend 0.50" in d.reason) is risk


@pytest.mark.parametrize("ex_day", [20, 0, -3])  # after expiry (day 10), today, already past: no dividend to capture
def test_decide_call_ex_dividend_outside_the_window_is_no_risk(ex_day):
    mv = market(chain(*CALL_QUOTES), ex_dividend_date=day(ex_day), dividend=0.50)
    assert decide(call(95, 10, 1.00), mv, ManageRules(), AS_OF).details["early_assignment_risk"] is False


def test_decide_call_roll_only_same_or_higher_strike_for_credit():
    d = decide(call(95, 10, 1.00), market(chain(*CALL_QUOTES)), ManageRules(roll_calls=True), AS_OF)
    assert d.action is Action.ROLL
    assert d.details["roll_strike"] == 95.0
    assert d.details["roll_credit"] == pytest.approx(1.30)
    assert d.details["roll_candidates"] == 1


def test_decide_deep_itm_put_near_expiry_flags_early_assignment():
    # strike 110, spot 100: intrinsic 10.00, mid (9.98+10.04)/2 = 10.01 -> extrinsic 0.01 < 0.05, 3 DTE
    d = decide(put(110, 3, 2.00), market(chain(("P", 3, 110, 9.98, 10.04))), ManageRules(), AS_OF)
    assert d.details["extrinsic"] == pytest.approx(0.01)
    assert d.details["early_assignment_risk"] is True
    assert d.action is Action.ACCEPT_ASSIGNMENT
    assert "deep ITM with extrinsic 0.01" in d.reason


CC_QUOTES = [
    ("C", 35, 95, 6.40, 6.60),  # below the 96 basis: never
    ("C", 35, 100, 2.90, 3.10),  # |delta| ~0.54 > 0.35
    ("C", 35, 105, 1.15, 1.25),  # mid 1.20, |delta| ~0.29: 1.20 / 96 * 365 / 35 = 13.04 %/yr
    ("C", 35, 110, 0.40, 0.50),  # mid 0.45: 0.45 / 96 * 365 / 35 = 4.89 %/yr
    ("C", 60, 105, 2.00, 2.20),  # 60 DTE: outside 30-45
]


def test_decide_covered_call_after_assignment():
    d = decide(share_lot("XYZ", 200, 96.0, OPENED), market(chain(*CC_QUOTES)), ManageRules(), AS_OF)
    assert d.action is Action.SELL_COVERED_CALL
    assert d.details["cc_strike"] == 105.0
    assert d.details["cc_contracts"] == 2
    assert d.details["cc_yield_annualized"] == pytest.approx(1.20 / 96 * 365 / 35, abs=1e-6)
    assert d.details["cc_candidates"] == 2  # 105 and 110 pass basis, window and delta
    assert "sell 2 x" in d.reason


def test_decide_covered_call_minimum_markup_over_basis():
    # floor 96 * 1.10 = 105.60 -> only the 110 call is left
    d = decide(share_lot("XYZ", 100, 96.0, OPENED), market(chain(*CC_QUOTES)),
               ManageRules(cc_min_strike_over_basis=0.10), AS_OF)
    assert d.details["cc_strike"] == 110.0


@pytest.mark.parametrize(("shares", "quotes", "text"), [
    (50, CC_QUOTES, "fewer than 100 uncovered shares"),
    (100, CC_QUOTES[:2], "no call at strike >= basis"),
    (100, None, "no chain quotes for this name to choose a covered call from"),
])
def test_decide_shares_hold_when_no_call_fits(shares, quotes, text):
    d = decide(share_lot("XYZ", shares, 96.0, OPENED), market(chain(*quotes) if quotes else None), ManageRules(), AS_OF)
    assert d.action is Action.HOLD
    assert text in d.reason


def test_decide_model_mark_without_chain_uses_american_price():
    from putwheel.pricing import american_price
    d = decide(put(90, 30, 2.00), market(None), ManageRules(), AS_OF)
    want = float(american_price(100.0, 90.0, 30 / 365, 0.04, 0.0, 0.25, False))
    assert d.details["mark_source"] == "model (American)"
    assert d.details["mark"] == pytest.approx(want)


def test_decide_vol_surface_callable_is_used():
    skew = MarketView(spot=100.0, as_of=AS_OF, iv=lambda k, t: 0.25 + 0.5 * np.log(100.0 / k))
    flat = market(None)
    hi = decide(put(90, 30, 2.00), skew, ManageRules(), AS_OF).details["mark"]
    lo = decide(put(90, 30, 2.00), flat, ManageRules(), AS_OF).details["mark"]
    assert hi > lo  # 0.25 + 0.5 ln(100/90) = 30.3 % vol at the 90 strike


def test_decide_many_matches_decide_row_by_row():
    quotes = chain(*PUT_TABLE[0][2], *ROLL_QUOTES, *CALL_QUOTES, *CC_QUOTES[2:4])
    legs = [put(90, 30, 2.00), put(105, 10, 3.00), call(95, 10, 1.00), share_lot("XYZ", 300, 96.0, OPENED),
            put(95, 40, 1.00, contracts=-3)]
    mv = market(quotes)
    batch = decide_many(positions_frame(legs), mv.market_frame("XYZ"), ManageRules(), AS_OF, chain=quotes)
    assert list(batch["action"]) == [decide(leg, mv, ManageRules(), AS_OF).action.value for leg in legs]
    assert [to_decision(r).reason for _, r in batch.iterrows()] == [decide(g, mv, ManageRules(), AS_OF).reason for g in legs]


def test_decide_long_option_is_held_not_managed():
    d = decide(put(90, 30, 2.00, contracts=2), market(None), ManageRules(), AS_OF)
    assert d.action is Action.HOLD
    assert "long option" in d.reason
    assert "captured_pct" not in d.details  # profit capture is a short's measure


def test_decide_many_refuses_missing_market_and_lookahead():
    frame = positions_frame([put(90, 30, 2.00)])
    with pytest.raises(DataError, match="no market data for"):
        decide_many(frame, market(None).market_frame("ABC"), ManageRules(), AS_OF)
    future = MarketView(spot=100.0, as_of=day(1), iv=0.25)
    with pytest.raises(InputError, match="dated after as_of"):
        decide(put(90, 30, 2.00), future, ManageRules(), AS_OF)


def test_decide_refuses_expired_position_and_missing_vol():
    with pytest.raises(InputError, match="expired on"):
        decide(put(90, 5, 2.00), market(None), ManageRules(), day(6))
    with pytest.raises(DataError, match="no implied vol"):
        decide(put(90, 30, 2.00), MarketView(spot=100.0, as_of=AS_OF), ManageRules(), AS_OF)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"strike": -5.0}, "positive strike"),
    ({"contracts": 0}, "non-zero"),
    ({"open_premium": float("nan")}, "open_premium"),
    ({"expiry": date(2023, 1, 1)}, "before the open date"),
])
def test_leg_refuses_bad_input(kwargs, text):
    base = {"underlying": "XYZ", "right": "P", "strike": 90.0, "expiry": day(30), "contracts": -1,
            "open_premium": 1.0, "opened": OPENED}
    with pytest.raises(InputError, match=text):
        option_position(**{**base, **kwargs})


def test_shares_need_a_cost_basis_and_market_needs_a_spot():
    with pytest.raises(InputError, match="share_cost_basis"):
        share_lot("XYZ", 100, None, OPENED)
    with pytest.raises(InputError, match="spot"):
        MarketView(spot=0.0, as_of=AS_OF)
