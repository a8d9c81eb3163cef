"""The seed's 32-year table (Bondarenko 2019) reproduced on the real series in ../shared/data.

The implied-vol choices were made without fitting to these figures (docs/adr/0006-putwrite-implied-vol.md); the
only fitted number, the VIX -> ATM ratio, is fitted and validated here on implied-vol data alone.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.inputs import (
    VIX_ATM_FIT_PERIOD,
    VIX_ATM_VALIDATION_PERIOD,
    IVModel,
    fit_vix_atm_ratio,
    total_return_index,
)
from putwheel.backtest.metrics import compute_metrics, monthly_returns
from putwheel.backtest.published import PUBLISHED, PUBLISHED_END, PUBLISHED_START, TOLERANCE
from putwheel.backtest.putwrite import PutWriteResult, run_putwrite
from putwheel.data.series import MarketHistory, load_shared_history


@pytest.fixture(scope="module")
def history(shared: Path) -> MarketHistory:
    return load_shared_history(shared)


@pytest.fixture(scope="module")
def result(history: MarketHistory) -> PutWriteResult:
    return run_putwrite(history, PUBLISHED_START, PUBLISHED_END)


@pytest.mark.shared
@pytest.mark.parametrize("leg", ["PUT", "SPTR"])
@pytest.mark.parametrize("metric", ["cagr", "vol", "sharpe", "max_drawdown"])
def test_reproduces_published_table(result: PutWriteResult, leg: str, metric: str) -> None:
    ours = result.putwrite if leg == "PUT" else result.benchmark
    got, want = getattr(ours, metric), PUBLISHED[leg][metric]
    assert abs(got - want) <= TOLERANCE[metric], f"{leg} {metric}: {got:.4f} vs published {want:.4f}"


@pytest.mark.shared
def test_reproduction_covers_the_study_months(result: PutWriteResult) -> None:
    assert result.putwrite.months == result.benchmark.months == 390            # Jul 1986 .. Dec 2018
    assert result.daily.index[0] == pd.Timestamp("1986-06-30")
    assert result.iv_sources.get("VXO", 0) > 7500                                 # the ATM index priced almost all


@pytest.mark.shared
def test_total_return_bridge_tracks_sp500tr_1988_2018(history: MarketHistory) -> None:
    days = pd.DatetimeIndex(history.spx_tr.loc["1988-01-04":"2018-12-31"].index)  # type: ignore[union-attr]
    real, _ = total_return_index(history, days, 0.0)
    bridged, label = total_return_index(dataclasses.replace(history, spx_tr=None), days, 0.0)
    assert "trailing dividend yield" in label
    a, b = pd.Series(real, index=days), pd.Series(bridged, index=days)
    assert abs(compute_metrics(a).cagr - compute_metrics(b).cagr) < 0.001             # < 0.1 pp a year
    assert float(np.max(np.abs(monthly_returns(a) - monthly_returns(b)))) < 0.005     # < 0.5 % in any month


@pytest.mark.shared
def test_vix_atm_ratio_fitted_2003_2018_validated_1990_2002(history: MarketHistory) -> None:
    assert history.vix is not None and history.vxo is not None
    fit, val = VIX_ATM_FIT_PERIOD, VIX_ATM_VALIDATION_PERIOD
    assert fit == ("2003-01-01", "2018-04-30") and val == ("1990-01-01", "2002-12-31")
    assert pd.Timestamp(val[1]) < pd.Timestamp(fit[0])                      # disjoint: no day is in both
    fitted = fit_vix_atm_ratio(history.vix, history.vxo, *fit)
    assert fitted == pytest.approx(IVModel().vix_atm_ratio, abs=0.001)       # the default is the fit, 0.833
    held_out = fit_vix_atm_ratio(history.vix, history.vxo, *val)
    assert held_out == pytest.approx(0.887, abs=0.001)                       # the figure ADR 0006 quotes
    # Validation: the ratio drifts by ~6 % between the periods; with the VIX priced after 1990 the PUT result
    # moves ~1 pp CAGR per 4 % of ratio, which is why ADR 0006 prices with the VXO itself wherever it exists
    # (test_ivmodel_sensitivity.py: with it, every ratio from 0.80 to 1.00 passes).
    assert abs(held_out / fitted - 1.0) < 0.08
