"""The Cboe family's checks: ours beside each published figure (`compare_published`), the published premium levels
(`premium_check`), the one-week vol ratio fitted on WPUT's premium (`fit_week_atm_ratio`), and the tracking of an
official index series over the whole overlap, in sample and out of sample (`track`, `track_windows`), and that
difference split by the month's market return (`by_market`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NoReturn

import numpy as np
import pandas as pd

from putwheel.backtest.indexes import IndexResult, run_index
from putwheel.backtest.inputs import WEEK_ATM_FIT_PERIOD, IVModel, tbill_rates
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values, monthly_returns
from putwheel.backtest.published import (
    FAMILY,
    IN_SAMPLE_END,
    MAX_TRACKING_ERROR,
    MIN_MONTHLY_CORR,
    PREMIUMS,
    TOLERANCE,
    PublishedFigures,
)
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import DataError


@dataclass(frozen=True)
class Comparison:
    """Ours beside one published row over its window; `within` per target (None: the source gives no figure)."""

    published: PublishedFigures
    ours: Metrics
    within_cagr: bool | None
    within_vol: bool | None

    def as_dict(self) -> dict[str, object]:
        p = self.published
        return {"source": p.source, "start": p.start.isoformat(), "end": p.end.isoformat(), "caveat": p.caveat,
                "published": {"cagr": p.cagr, "vol": p.vol, "sharpe": p.sharpe, "max_drawdown": p.max_drawdown},
                "ours": {"cagr": self.ours.cagr, "vol": self.ours.vol, "sharpe": self.ours.sharpe,
                         "max_drawdown": self.ours.max_drawdown, "months": self.ours.months},
                "within_cagr": self.within_cagr, "within_vol": self.within_vol,
                "tolerance": {"cagr": TOLERANCE["cagr"], "vol": TOLERANCE["vol"]}}


def compare_published(result: IndexResult, history: MarketHistory) -> list[Comparison]:
    """Ours over each published window the run covers (the metrics on that window's month-ends)."""
    out = []
    value = result.daily["value"]
    for p in FAMILY.get(result.name, ()):
        window = value.loc[pd.Timestamp(p.start): pd.Timestamp(p.end)]
        if window.empty or window.index[0] > pd.Timestamp(p.start) + pd.Timedelta(days=7) \
                or window.index[-1] < pd.Timestamp(p.end) - pd.Timedelta(days=7):
            continue
        days = pd.DatetimeIndex(window.index)
        accrual, _ = tbill_rates(history, days)
        gaps = np.diff(days.to_numpy()).astype("timedelta64[D]").astype(float)
        growth = pd.Series(np.cumprod(np.concatenate([[1.0], 1.0 + accrual[:-1] * gaps / 365.0])), index=days)
        ours = compute_metrics(window, month_end_values(growth).pct_change().dropna())
        out.append(Comparison(p, ours,
                              None if p.cagr is None else abs(ours.cagr - p.cagr) <= TOLERANCE["cagr"],
                              None if p.vol is None else abs(ours.vol - p.vol) <= TOLERANCE["vol"]))
    return out


@dataclass(frozen=True)
class Tracking:
    """Ours against the official index's monthly returns over the months both have (`window`: "all", "in" -- to
    IN_SAMPLE_END -- or "out"); `te_limit` is the issue's tracking-error target there (PUT only), else None."""

    months: int
    start: str
    end: str
    correlation: float
    tracking_error: float          # std of the monthly return difference x sqrt(12)
    cagr_ours: float
    cagr_official: float
    vol_ours: float
    vol_official: float
    window: str = "all"
    te_limit: float | None = None

    @property
    def corr_ok(self) -> bool:
        return self.correlation >= MIN_MONTHLY_CORR

    @property
    def te_ok(self) -> bool | None:
        return None if self.te_limit is None else self.tracking_error <= self.te_limit

    def as_dict(self) -> dict[str, object]:
        return {"window": self.window, "months": self.months, "start": self.start, "end": self.end,
                "correlation": self.correlation, "tracking_error": self.tracking_error, "cagr_ours": self.cagr_ours,
                "cagr_official": self.cagr_official, "vol_ours": self.vol_ours, "vol_official": self.vol_official,
                "min_correlation": MIN_MONTHLY_CORR, "corr_ok": self.corr_ok, "te_limit": self.te_limit,
                "te_ok": self.te_ok}


def aligned_monthly(ours_monthly: pd.Series, official_levels: pd.Series) -> pd.DataFrame:
    """Our monthly returns and the official index's (from its levels), on the months both have (PeriodIndex)."""
    off = monthly_returns(official_levels)
    a = ours_monthly.copy()
    a.index = pd.DatetimeIndex(a.index).to_period("M")
    off.index = pd.DatetimeIndex(off.index).to_period("M")
    return pd.concat([a.rename("ours"), off.rename("official")], axis=1).dropna()


def _tracking(both: pd.DataFrame, window: str = "all", te_limit: float | None = None) -> Tracking:
    diff = both["ours"] - both["official"]
    years = len(both) / 12.0
    growth = (1.0 + both).prod() ** (1.0 / years) - 1.0
    vol = both.std(ddof=1) * np.sqrt(12.0)
    return Tracking(months=len(both), start=str(both.index[0]), end=str(both.index[-1]),
                    correlation=float(both["ours"].corr(both["official"])),
                    tracking_error=float(diff.std(ddof=1) * np.sqrt(12.0)),
                    cagr_ours=float(growth["ours"]), cagr_official=float(growth["official"]),
                    vol_ours=float(vol["ours"]), vol_official=float(vol["official"]), window=window,
                    te_limit=te_limit)


def _too_short(both: pd.DataFrame) -> NoReturn:
    n = len(both)
    raise DataError(f"the official series overlaps our run in {n} month{'' if n == 1 else 's'} (12 needed)",
                    where="official", hint="fetch the full history, or run over the series' period")


def track(ours_monthly: pd.Series, official_levels: pd.Series) -> Tracking:
    """Monthly correlation and tracking error of our returns against an official daily (or monthly) level series."""
    both = aligned_monthly(ours_monthly, official_levels)
    if len(both) < 12:
        _too_short(both)
    return _tracking(both)


def track_windows(name: str, ours_monthly: pd.Series, official_levels: pd.Series) -> tuple[Tracking, ...]:
    """`track` over the whole overlap, in sample (to IN_SAMPLE_END, the end of Bondarenko 2019's window, where every
    rule was fitted or checked) and out of sample (after it), each window with at least 12 months; with the issue's
    tracking-error targets for PUT (`published.MAX_TRACKING_ERROR`)."""
    both = aligned_monthly(ours_monthly, official_levels)
    if len(both) < 12:
        _too_short(both)
    cut = pd.Period(IN_SAMPLE_END, "M")
    limits = MAX_TRACKING_ERROR.get(name, {})
    out = [_tracking(both)]
    for window, part in (("in", both[both.index <= cut]), ("out", both[both.index > cut])):
        if len(part) >= 12:
            out.append(_tracking(part, window, limits.get(window)))
    return tuple(out)


def fit_week_atm_ratio(history: MarketHistory, base: IVModel, iterations: int = 3) -> float:
    """The one-week / 30-day ATM vol ratio that prices WPUT's weekly puts at Bondarenko's (2016) published mean
    premium over WEEK_ATM_FIT_PERIOD (2006-2015): premium levels only, no returns. A near-ATM premium is close to
    linear in vol, so a few fixed-point steps ratio *= published / ours converge (to < 0.1 %)."""
    target = next(p for p in PREMIUMS["WPUT"] if p.start.isoformat() == WEEK_ATM_FIT_PERIOD[0]
                  and p.end.isoformat() == WEEK_ATM_FIT_PERIOD[1])
    ratio = 1.0
    for _ in range(iterations):
        res = run_index(history, "WPUT", target.start, target.end, iv_model=replace(base, week_atm_ratio=ratio))
        ours = next(float(c["ours_per_roll"]) for c in premium_check(res) if c["start"] == target.start.isoformat()
                    and c["end"] == target.end.isoformat())
        ratio *= target.per_roll / ours
    return ratio


def premium_check(result: IndexResult) -> list[dict[str, object]]:
    """Our mean premium per roll (PUT's and WPUT's puts: premium / (strike - premium), the share of the account;
    BXM's calls: premium / strike; see `published.PublishedPremium`) beside each published figure whose window the
    run covers: the implied-vol level checked without any return."""
    ev = result.events
    sold = ev[ev["action"] == "sell_to_open"]
    when = pd.to_datetime(sold["date"])
    out: list[dict[str, object]] = []
    for p in PREMIUMS.get(result.name, ()):
        inside = sold[(when >= pd.Timestamp(p.start)) & (when <= pd.Timestamp(p.end))]
        if result.daily.index[0] > pd.Timestamp(p.start) + pd.Timedelta(days=7) or inside.empty \
                or result.daily.index[-1] < pd.Timestamp(p.end) - pd.Timedelta(days=7):
            continue
        put = (inside["right"] == "P").to_numpy()
        # the premium collected over the account: a put's N P / V = P / (K - P) (N = V / (K - P)); a call's P / K
        base = np.where(put, inside["strike"] - inside["price"], inside["strike"])
        ours = float((inside["price"] / base).mean())
        out.append({"source": p.source, "start": p.start.isoformat(), "end": p.end.isoformat(), "rolls": len(inside),
                    "ours_per_roll": ours, "published_per_roll": p.per_roll, "ratio": ours / p.per_roll})
    return out


# The month's S&P 500 total return buckets `by_market` splits the difference into (lower edge exclusive, upper inclusive).
MARKET_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("below -3 %", -np.inf, -0.03), ("-3 % .. 0", -0.03, 0.0), ("0 .. 3 %", 0.0, 0.03), ("above 3 %", 0.03, np.inf))


def by_market(ours_monthly: pd.Series, official_levels: pd.Series, market_levels: pd.Series) -> list[dict[str, object]]:
    """Ours minus the official index, month by month, grouped by the month's market return (`market_levels`: the
    S&P 500 total return, daily or monthly): per bucket the months and the mean difference x 12 (a year), plus the
    whole overlap and the OLS slope of the difference on the market return. A level error (a premium priced too rich)
    shows in every bucket alike; a payoff or smile error leans on the month's sign (ADR 0006, issue 16 correction)."""
    both = aligned_monthly(ours_monthly, official_levels)
    market = monthly_returns(market_levels)
    market.index = pd.DatetimeIndex(market.index).to_period("M")
    frame = pd.concat([both["ours"] - both["official"], market], axis=1, keys=["diff", "market"]).dropna()
    if len(frame) < 12:
        return []
    d, m = frame["diff"].to_numpy(), frame["market"].to_numpy()
    slope = float(np.polyfit(m, d, 1)[0])
    out: list[dict[str, object]] = [{"bucket": "all", "months": len(d), "mean_diff_per_year": float(d.mean() * 12),
                                     "slope": slope}]
    for name, lo, hi in MARKET_BUCKETS:
        inside = (m > lo) & (m <= hi)
        out.append({"bucket": name, "months": int(inside.sum()),
                    "mean_diff_per_year": float(d[inside].mean() * 12) if inside.any() else None})
    return out
