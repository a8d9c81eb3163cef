"""The modelled ATM vol has one realized-vol rule: live chains (`atm_vol`) and the backtests (`realized_iv`) read
the same `realized_vol_blend` numbers on the same closes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.inputs import IVModel, realized_iv
from putwheel.data.modelled import ChainModel, atm_vol, realized_vol_blend
from putwheel.data.series import load_embedded_history
from putwheel.domain.errors import DataError


@pytest.fixture(scope="module")
def closes() -> pd.Series:
    return load_embedded_history().spx.iloc[:1500]


def test_live_vol_equals_the_backtests_rolling_vol_on_the_same_closes(closes: pd.Series) -> None:
    model = ChainModel()
    rolling = realized_iv(closes, pd.DatetimeIndex(closes.index), IVModel(vrp_factor=model.vrp_factor))
    for t in (22, 23, 100, 252, 253, 700, 1499):
        assert atm_vol(closes.iloc[: t + 1], model) == rolling[t]   # bit for bit: one formula


def test_the_blend_is_half_the_month_and_half_the_year_variance(closes: pd.Series) -> None:
    r = np.diff(np.log(closes.to_numpy()))[-252:]
    expected = np.sqrt(0.5 * r[-21:].var(ddof=1) + 0.5 * r.var(ddof=1)) * np.sqrt(252.0)
    assert realized_vol_blend(closes).iloc[-1] == pytest.approx(expected, rel=1e-12)
    assert np.isnan(realized_vol_blend(closes).iloc[20])   # a month of returns first


def test_too_few_closes_is_a_clear_data_error(closes: pd.Series) -> None:
    with pytest.raises(DataError, match="at least 22"):
        atm_vol(closes.iloc[:21], ChainModel())
