"""The planner's offline inputs: the embedded universe (real closes) and the modelled chains built from them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from putwheel.data.modelled import ChainModel, modelled_chain, strike_grid, weekly_expiries
from putwheel.data.universe import embedded_universe, tbill_rate
from putwheel.domain.contract import OptionContract
from putwheel.pricing import bs_price


def test_embedded_universe_holds_the_published_closes():
    uni = embedded_universe()
    assert uni.last_date == date(2017, 12, 1)
    last = uni.closes.loc["2017-12-01"]
    assert last["AAPL"] == 171.05 and last["MSFT"] == 84.26 and last["GOOG"] == 1010.17
    assert last["XSP"] == pytest.approx(2642.22 / 10, abs=0.01)  # S&P 500 close / 10
    assert "modelled" in uni.label
    uni.closes.iloc[0, 0] = -1.0  # a caller's edit never leaks into the next call
    assert embedded_universe().closes.iloc[0, 0] > 0


@pytest.mark.parametrize(("spot", "step"), [(171.05, 1.0), (84.26, 1.0), (1010.17, 10.0), (264.22, 2.5), (9.0, 0.1)])
def test_strike_grid_uses_a_round_step_near_1pct(spot, step):
    grid = strike_grid(spot, ChainModel())
    assert np.allclose(np.diff(grid), step)
    assert abs(grid[len(grid) // 2] - spot) <= step / 2 + 1e-9


def test_weekly_expiries_are_fridays_after_as_of():
    ex = weekly_expiries(date(2017, 12, 1), 45)  # a Friday: the next expiry is a week later
    assert ex[0] == date(2017, 12, 8) and all(d.weekday() == 4 for d in ex)
    assert (ex[-1] - date(2017, 12, 1)).days <= 45 < (ex[-1] - date(2017, 12, 1)).days + 7


def test_modelled_chain_is_priced_by_the_core_and_labelled():
    uni = embedded_universe()
    ch = modelled_chain("MSFT", uni.closes["MSFT"], date(2017, 12, 1), [date(2018, 1, 12)], 0.0127)
    assert (ch["quality"] == "modelled").all() and (ch["spot"] == 84.26).all()
    put = ch.loc[(ch["right"] == "P") & (ch["strike"] == 82.0)].iloc[0]
    model = float(bs_price(84.26, 82.0, 42 / 365, 0.0127, 0.0, put["iv"], False))
    assert put["bid"] <= model <= put["ask"]
    assert OptionContract.from_occ(put["occ_symbol"]) == OptionContract("MSFT", date(2018, 1, 12), "82", "P")
    # puts carry the skew: a lower strike has a higher vol
    puts = ch.loc[ch["right"] == "P"].sort_values("strike")
    assert (np.diff(puts["iv"].to_numpy()) <= 0).all()
    assert pd.api.types.is_datetime64_any_dtype(ch["expiry"])


@pytest.mark.shared
def test_tbill_rate_from_shared_fred_dtb3(shared):
    # DTB3 1.25 % on 2017-12-01 is a bank-discount yield: price = 1 - 0.0125 × 91/360 = 0.996840...,
    # continuous rate = -ln(price) × 365/91 = 1.2694 %.
    rate, label = tbill_rate(date(2017, 12, 1))
    assert rate == pytest.approx(-np.log(1 - 0.0125 * 91 / 360) * 365 / 91)
    assert round(rate * 100, 4) == 1.2694 and "DTB3" in label
    assert tbill_rate(date(1900, 1, 1)) is None
