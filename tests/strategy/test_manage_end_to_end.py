"""End to end on a modelled chain over the embedded universe's real AAPL closes (prices real, quotes modelled)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from putwheel.data.modelled import modelled_chain, weekly_expiries
from putwheel.data.universe import embedded_universe
from putwheel.domain.contract import Right
from putwheel.strategy import Action, ManageRules, MarketView, decide, decide_many, option_position, positions_frame, share_lot

AS_OF = date(2016, 6, 1)
RATE = 0.005


@pytest.fixture(scope="module")
def aapl() -> tuple[float, pd.DataFrame]:
    closes = embedded_universe().closes["AAPL"]
    chain = modelled_chain("AAPL", closes, AS_OF, weekly_expiries(AS_OF, 70), RATE)
    return float(chain["spot"].iloc[0]), chain


def _quote(chain: pd.DataFrame, expiry: date, strike: float, right: str) -> pd.Series:
    rows = chain.loc[(pd.to_datetime(chain["expiry"]) == pd.Timestamp(expiry)) & (chain["strike"] == strike)
                     & (chain["right"] == right)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_manage_modelled_aapl_book(aapl):
    spot, chain = aapl
    strikes = sorted(chain["strike"].unique())
    expiries = sorted(pd.to_datetime(chain["expiry"]).dt.date.unique())
    near = next(e for e in expiries if 7 < (e - AS_OF).days <= 14)
    far = next(e for e in expiries if (e - AS_OF).days >= 30)
    itm_k = next(k for k in strikes if k > spot * 1.04)  # a put struck ~4 % above spot: ITM, tested
    otm_k = next(k for k in reversed(strikes) if k < spot * 0.92)
    otm_mid = float(_quote(chain, far, otm_k, "P")["mid"])
    basis = spot * 1.02
    legs = [
        option_position("AAPL", Right.PUT, itm_k, near, -1, 2.50, AS_OF - timedelta(days=30)),
        option_position("AAPL", Right.PUT, otm_k, far, -2, round(3 * otm_mid, 2), AS_OF - timedelta(days=10)),
        share_lot("AAPL", 200, basis, AS_OF - timedelta(days=3)),
    ]
    market = MarketView(spot=spot, as_of=AS_OF, rate=RATE, iv=0.25, chain=chain)
    rules = ManageRules()
    tested, profit, shares = (decide(leg, market, rules, AS_OF) for leg in legs)

    det = tested.details
    # keep (take assignment) vs roll is decided by value: the roll was found, and whichever is worth more is chosen
    assert det["roll_candidates"] > 0 and det["value_chosen"] >= det["value_lost"]
    assert tested.action is (Action.ROLL if det["roll_value"] > det["value_keep"] + 0.01 else Action.ACCEPT_ASSIGNMENT)
    assert "next best" in tested.reason, tested.reason
    new = _quote(chain, det["roll_expiry"], det["roll_strike"], "P")
    old = _quote(chain, near, itm_k, "P")
    assert det["roll_credit"] == pytest.approx(new["mid"] - old["mid"], abs=1e-9) and det["roll_credit"] > 0
    assert det["roll_strike"] <= itm_k and 30 <= det["roll_dte"] <= 45

    # sold at 3x today's mid -> (3m - m) / 3m = 66.7 % captured >= 50 %
    assert profit.action is Action.TAKE_PROFIT, profit.reason
    assert profit.details["captured_pct"] == pytest.approx(1 - otm_mid / round(3 * otm_mid, 2), abs=1e-9)

    assert shares.action is Action.SELL_COVERED_CALL, shares.reason
    assert shares.details["cc_strike"] >= basis
    assert abs(shares.details["cc_delta"]) <= rules.cc_max_delta
    assert 30 <= shares.details["cc_dte"] <= 45
    assert shares.details["cc_contracts"] == 2

    batch = decide_many(positions_frame(legs), market.market_frame("AAPL"), rules, AS_OF, chain=chain)
    assert list(batch["action"]) == [tested.action, Action.TAKE_PROFIT, Action.SELL_COVERED_CALL]
