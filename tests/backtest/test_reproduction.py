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

from putwheel.backtest.indexes import VOL_SOURCES
from putwheel.backtest.inputs import (
    VIX_ATM_FIT_PERIOD,
    VIX_ATM_VALIDATION_PERIOD,
    IVModel,
    fit_vix_atm_line,
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
    # the default rule (issue 16c): the SPX's own VIX (its line in the VIX level) from 1990, the VXO only before
    assert result.iv_sources == {"VXO": 887, "VIX": 7307}


@pytest.mark.shared
def test_reproduction_is_pinned_at_the_measured_figures(result: PutWriteResult) -> None:
    """Issue 16c: the default IVModel is the family's SPX rule (ADR 0006). Issue 16d: the PUT methodology's put count,
    N = V / (K - P) (the premium secures puts too; was V / K). Measured 9.19 % / 9.64 % / 0.631 / -30.5 % (published
    9.54 / 9.95 / 0.65 / -32.7; with the V / K count 9.07 / 9.42 / 0.632 / -29.9). A pin, so any drift shows."""
    p = result.putwrite
    assert p.cagr == pytest.approx(0.0919, abs=0.0008)
    assert p.vol == pytest.approx(0.0964, abs=0.0008)
    assert p.sharpe == pytest.approx(0.631, abs=0.01)
    assert p.max_drawdown == pytest.approx(-0.3053, abs=0.003)


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
    assert fitted == pytest.approx(VOL_SOURCES["vxo"].vix_atm_ratio, abs=0.001)   # the VXO rule's one ratio, 0.833
    line = fit_vix_atm_line(history.vix, history.vxo, *fit)                  # the default's line in the VIX level
    assert line[0] == pytest.approx(IVModel().vix_atm_ratio, abs=0.001)
    assert line[1] == pytest.approx(IVModel().vix_atm_slope, abs=2e-5)
    held_out = fit_vix_atm_ratio(history.vix, history.vxo, *val)
    assert held_out == pytest.approx(0.887, abs=0.001)                       # the figure ADR 0006 quotes
    # Validation: the median ratio drifts by ~6 % between the periods, but the line's slope does not (0.00256 vs
    # 0.00269, test_indexes.py); the level gap is the S&P 100's (the VXO's own index), not the SPX's (ADR 0006,
    # "Issue #16 follow-up"). The default prices the VIX from 1990, so the PUT result moves ~0.25 pp CAGR per 0.01
    # of ratio (test_ivmodel_sensitivity.py pins it).
    assert abs(held_out / fitted - 1.0) < 0.08
