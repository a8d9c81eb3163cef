"""Performance metrics computed the way Bondarenko (2019) reports them for the Cboe PUT index.

Stages: a value series (daily or monthly) -> month-end values -> monthly simple returns -> metrics.

- CAGR: geometric, (V_end / V_start) ** (1 / years) - 1, years = calendar days / 365.25.
- Volatility: standard deviation of monthly returns x sqrt(12).
- Sharpe: 12 x mean monthly excess return over the T-bill / (sqrt(12) x std of monthly excess returns).
- Sortino: 12 x mean monthly excess return / (sqrt(12) x downside deviation of excess returns below 0).
- Max drawdown (on month-end values, as the study) and its length: months from the peak to the recovery
  (or to the end of the series if it never recovered).
All functions are pure and vectorized; none prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from putwheel.domain.errors import InputError

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Metrics:
    """Headline metrics; fractions (0.0954 = 9.54 %), not percent."""

    cagr: float
    vol: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_months: int
    months: int
    start: pd.Timestamp
    end: pd.Timestamp

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _check(values: pd.Series, name: str) -> pd.Series:
    if not isinstance(values.index, pd.DatetimeIndex):
        raise InputError(f"{name} needs a DatetimeIndex", where=name, hint="index the series by date")
    clean = values.dropna().sort_index()
    if len(clean) < 2:
        raise InputError(f"{name} has fewer than two values", where=name, hint="widen the date range")
    if (clean <= 0).any():
        raise InputError(f"{name} has non-positive values", where=name, hint="pass account values, not returns")
    return clean.astype(float)


def month_end_values(values: pd.Series) -> pd.Series:
    """Last observation of each calendar month (the first observation is kept as the starting value)."""
    clean = _check(values, "values")
    last = clean.groupby(pd.DatetimeIndex(clean.index).to_period("M")).tail(1)
    if last.index[0] != clean.index[0]:
        last = pd.concat([clean.iloc[:1], last])
    return last


def monthly_returns(values: pd.Series) -> pd.Series:
    """Simple returns between consecutive month-end values."""
    return month_end_values(values).pct_change().dropna()


def cagr(values: pd.Series) -> float:
    clean = _check(values, "values")
    years = (clean.index[-1] - clean.index[0]).days / 365.25
    if years <= 0:
        raise InputError("values span no time", where="values", hint="widen the date range")
    return float((clean.iloc[-1] / clean.iloc[0]) ** (1.0 / years) - 1.0)


def annualized_vol(monthly: pd.Series) -> float:
    return float(np.std(monthly.to_numpy(dtype=float), ddof=1) * np.sqrt(MONTHS_PER_YEAR))


def _excess(monthly: pd.Series, rf_monthly: pd.Series | None) -> np.ndarray:
    ret = monthly.to_numpy(dtype=float)
    if rf_monthly is None:
        return ret
    rf = rf_monthly.reindex(monthly.index)
    if rf.isna().any():
        missing = rf.index[rf.isna()][0]
        raise InputError(f"risk-free return missing for {missing.date()}", where="rf_monthly",
                         hint="the T-bill series must cover every month of the backtest")
    return np.asarray(ret - rf.to_numpy(dtype=float), dtype=float)


def sharpe(monthly: pd.Series, rf_monthly: pd.Series | None = None) -> float:
    ex = _excess(monthly, rf_monthly)
    sd = np.std(ex, ddof=1)
    return float(np.mean(ex) * MONTHS_PER_YEAR / (sd * np.sqrt(MONTHS_PER_YEAR))) if sd > 0 else float("nan")


def sortino(monthly: pd.Series, rf_monthly: pd.Series | None = None) -> float:
    ex = _excess(monthly, rf_monthly)
    downside = np.sqrt(np.mean(np.minimum(ex, 0.0) ** 2))
    return float(np.mean(ex) * MONTHS_PER_YEAR / (downside * np.sqrt(MONTHS_PER_YEAR))) if downside > 0 else float("nan")


def drawdowns(values: pd.Series) -> pd.Series:
    """Drawdown from the running peak at each point (0 at a new high, -0.5 = half lost)."""
    clean = _check(values, "values")
    return clean / clean.cummax() - 1.0


def max_drawdown(values: pd.Series) -> tuple[float, int]:
    """Deepest drawdown and its length in observations from the peak to recovery (or to the end)."""
    dd = drawdowns(values).to_numpy()
    # The first of equally deep troughs (within rounding), so the answer does not depend on the value scale.
    trough = int(np.flatnonzero(dd <= dd.min() + 1e-12)[0])
    if dd[trough] == 0.0:
        return 0.0, 0
    peak = int(np.flatnonzero(dd[: trough + 1] == 0.0)[-1])
    recovered = np.flatnonzero(dd[trough:] == 0.0)
    stop = trough + int(recovered[0]) if recovered.size else len(dd) - 1
    return float(dd[trough]), stop - peak


def compute_metrics(values: pd.Series, rf_monthly: pd.Series | None = None) -> Metrics:
    """All headline metrics from a daily or monthly value series; `rf_monthly` indexed like the monthly returns."""
    monthly_values = month_end_values(values)
    monthly = monthly_values.pct_change().dropna()
    dd, length = max_drawdown(monthly_values)
    return Metrics(cagr=cagr(monthly_values), vol=annualized_vol(monthly), sharpe=sharpe(monthly, rf_monthly),
                   sortino=sortino(monthly, rf_monthly), max_drawdown=dd, max_drawdown_months=length,
                   months=len(monthly), start=monthly_values.index[0], end=monthly_values.index[-1])
