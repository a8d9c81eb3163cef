"""The Cboe S&P 500 benchmark family -- PUT, WPUT, BXM, BXMD, PPUT, CLL -- run on the Wheel engine's legs.

Stages: index rule (`INDEXES`) -> inputs on the S&P 500 trading days (closes, settlement and write prices, T-bill
rates, dividend yield, ATM implied vol by the rule of ADR 0006) -> `engine.simulate(..., index=...)`, the one Wheel
day loop with the index's roll instead of the manager -> daily account values -> month-end metrics, monthly
returns; `index_checks` compares them with the published figures (`published.FAMILY`) and an official series.

Timing (`settlement`):
- "close": every leg settles and is re-written at the expiration-day close (the PUT reproduction of issue #6).
- "am" (default): on the monthly (third-Friday) expiries from 1992-06 (AM-settled SPX) the legs settle at the
  expiration-day open -- Yahoo's ^GSPC Open, the stand-in for the SOQ -- and the new legs are written at an
  **approximate 11:00 ET level, open + (1.5 / 6.5) x (close - open)**, the expected level 1.5 of the session's
  6.5 hours in (a Brownian bridge from open to close). Both are approximations of prints the free data does not
  have, labelled as such. Where the open is no opening print -- a stale open (= the previous close: most of
  1992-2005 and parts of 2006-2013 in Yahoo's file), and every open of a year whose opens carry under 10 % of the
  daily variance (1990-2016 in Yahoo's file: the index's first print of the day, mostly the previous closes;
  `opening_print_years`, issue 16d) -- the expiry settles at an ESTIMATED open, prev x (close / prev) ^ beta
  (`estimated_open`; issue 16e): beta = 0.199, the share of a day's log move already in the open, fitted by OLS
  on 2017-2018's opening prints (`overnight_beta`) and validated on 2019-2021 (RMS error 52 bp of the index, the
  previous close 71 bp, the close 97 bp).
  PM-settled expiries (before 1992-06, and WPUT's non-monthly weeklies) settle and write at the close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import (
    IVModel,
    _xnys_sessions,
    atm_vol,
    check_window,
    dividend_yield,
    roll_dates,
    tbill_rates,
    vol_rule_label,
)
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values, monthly_returns
from putwheel.backtest.wheel.book import CM_CALL_SKEW, CM_CAP, CM_CURV, CM_FLOOR, CM_INDEX, CM_SKEW, N_CM
from putwheel.backtest.wheel.config import WheelConfig
from putwheel.backtest.wheel.engine import IndexLegs, event_frame, simulate
from putwheel.backtest.wheel.index import CALL_DELTA, CALL_MONEYNESS, CALL_NONE, N_IX
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError

Settlement = Literal["am", "close"]
VolSource = Literal["spx", "vxo"]
# Which implied-vol index prices the S&P 500 (SPX) options (ADR 0006, "Issue #16 follow-up"):
# - "spx" (default; the IVModel defaults, so `backtest putwrite` uses the same rule, issue 16c):
#   the SPX's own vol index wherever it exists (the VIX, from 1990), ATM = VIX x (0.839 + 0.00256 x
#   (VIX - 20)): the OLS line of (VXO x sqrt(22/30)) / VIX on the VIX level over 2003-01..2018-04, implied vols only
#   (`inputs.fit_vix_atm_line`; the disjoint 1990-2002 gives the same slope, 0.00269); the VXO (S&P 100 options)
#   only before 1990, where no SPX vol index exists.
# - "vxo": the issue #6 rule, the VXO x sqrt(22/30) wherever it exists (to 2018-04), the VIX x 0.833 after.
# The choice is made on implied-vol levels, not returns: Cboe's published gross premiums (BXM's call 1.6 %/month
# 1986-06..2008-07 and 1.1 %/month 2016-02..2018-01; PUT's puts 2006-2015 and 2006-2018) come out 1.067 / 0.991 /
# 0.976 / 0.984 of the published under "spx" and 1.130 / 0.961 / 0.963 / 0.969 under "vxo": the S&P 100 index
# prices SPX calls 13 % rich before 2008 (its 1990-2002 level over the VIX, 0.887 against 0.833 later, is the
# S&P 100's, not the SPX's).
# week_atm_ratio: fitted on WPUT's 2006-2015 premium under each rule (`fit_week_atm_ratio`; ADR 0006).
VOL_SOURCES: Final[dict[str, IVModel]] = {"spx": IVModel(week_atm_ratio=0.852),   # the IVModel defaults (issue 16c)
                                          "vxo": IVModel(prefer_vxo=True, vix_atm_ratio=0.833, vix_atm_slope=0.0,
                                                         week_atm_ratio=0.853)}
AM_SETTLEMENT_FROM: Final = pd.Timestamp("1992-06-01")
WRITE_FRACTION: Final = 1.5 / 6.5        # 11:00 ET is 1.5 h into the 6.5 h session
SOQ_FIT_YEARS: Final = (2017, 2018)     # `overnight_beta`: the first two years of opening prints, in sample
SOQ_BETA: Final = 0.199                 # `overnight_beta` on the shared ^GSPC over SOQ_FIT_YEARS (tested): no-open data
OPENING_PRINT_MIN_SHARE: Final = 0.10    # `opening_print_years`: Yahoo's opens carry <= 4.9 % to 2016, >= 12.6 % after
START_CASH: Final = 1e10                 # contracts are whole; at this size rounding moves returns by < 1e-5
STRIKE_STEP: Final = 5.0


@dataclass(frozen=True)
class IndexRule:
    """One index: what it holds and writes (the engine's `index.ix` vector), its expiries and first date."""

    name: str
    title: str
    shares: bool
    short_put: bool
    call: int
    call_param: float
    long_put: float                     # moneyness of the long put (0: none)
    weekly: bool = False                # short legs on every Friday's expiry (WPUT)
    quarterly_put: bool = False         # the long put runs to the March-cycle expiry (CLL)
    first: date = date(1986, 6, 1)

    def vector(self) -> np.ndarray:
        ix = np.zeros(N_IX)
        ix[:] = [float(self.shares), float(self.short_put), float(self.call), self.call_param, self.long_put,
                 STRIKE_STEP]
        return ix


INDEXES: Final[dict[str, IndexRule]] = {
    "PUT": IndexRule("PUT", "S&P 500 PutWrite: a one-month at-the-money put, cash-secured in T-bills", False, True,
                     CALL_NONE, 0.0, 0.0),
    "WPUT": IndexRule("WPUT", "S&P 500 One-Week PutWrite: the PUT rule on weekly expiries", False, True, CALL_NONE,
                      0.0, 0.0, weekly=True, first=date(2006, 1, 1)),
    "BXM": IndexRule("BXM", "S&P 500 BuyWrite: the index plus a one-month call at or just above the index", True,
                     False, CALL_MONEYNESS, 1.0, 0.0),
    "BXMD": IndexRule("BXMD", "S&P 500 30-Delta BuyWrite: the index plus the one-month 30-delta call", True, False,
                      CALL_DELTA, 0.30, 0.0),
    "PPUT": IndexRule("PPUT", "S&P 500 5% Put Protection: the index plus a one-month 95% put", True, False,
                      CALL_NONE, 0.0, 0.95),
    "CLL": IndexRule("CLL", "S&P 500 95-110 Collar: the index, a 3-month 95% put (quarterly), a one-month 110% call",
                     True, False, CALL_MONEYNESS, 1.10, 0.95, quarterly_put=True),
}


@dataclass(frozen=True)
class IndexResult:
    """`daily`: value, spot, settle/write prices, ATM vol; `events`: the engine's log; metrics on month-ends."""

    name: str
    daily: pd.DataFrame
    events: pd.DataFrame
    metrics: Metrics
    monthly: pd.Series
    settlement: Settlement
    label: str
    vol_source: str = "spx"             # "spx", "vxo", or "custom" (an explicit IVModel)


def rule(name: str) -> IndexRule:
    key = name.strip().upper()
    if key not in INDEXES:
        raise InputError(f"unknown index {name!r}", where="NAME", hint=f"one of {', '.join(INDEXES)}")
    return INDEXES[key]


def _expiries(r: IndexRule, first: date, last: date) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    monthly = roll_dates(first, last)
    if r.weekly:
        fridays = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="W-FRI")
        sessions = _xnys_sessions((fridays[0].year - 1) // 10 * 10, fridays[-1].year // 10 * 10 + 10)
        pos = sessions.searchsorted(fridays, side="right") - 1
        short = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(sessions[pos]).normalize())))
    else:
        short = monthly
    long_ = monthly[monthly.month % 3 == 0] if r.quarterly_put else monthly
    return short, long_


def _prices(history: MarketHistory, days: pd.DatetimeIndex, settlement: Settlement, am_days: pd.DatetimeIndex,
            prints: list[int], beta: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(settlement price, write price, AM expiries without a real open) per day: the close, or on the AM-settled
    expiries (`am_days` from 1992-06) the open and the ~11:00 estimate. A stale open (equal to the previous close,
    as Yahoo's ^GSPC has for most of 1992-2005), or any open of a year without opening prints
    (`opening_print_years`), is no open: that expiry settles at the `estimated_open` (issue 16e) and writes at the
    ~11:00 level from it. `prints`: `opening_print_years`; `beta`: `overnight_beta`."""
    close = history.spx.reindex(days).to_numpy(dtype=float)
    if settlement == "close":
        return close, close, 0
    # no Open column (the embedded closes): every AM expiry settles at the estimated open
    opened = (history.spx_open.reindex(days).to_numpy(dtype=float) if history.spx_open is not None
              else np.full(len(days), np.nan))
    prev = history.spx.shift(1).reindex(days).to_numpy(dtype=float)
    real = np.isfinite(opened) & (opened > 0) & (np.abs(opened - prev) > 1e-6)
    real &= pd.DatetimeIndex(days).year.isin(prints)
    am = (days >= AM_SETTLEMENT_FROM) & days.isin(am_days)
    guess = estimated_open(prev, close, beta)
    opening = np.where(real, opened, np.where(np.isfinite(guess), guess, close))
    settle = np.where(am, opening, close)
    write = np.where(am, opening + WRITE_FRACTION * (close - opening), close)
    return settle, write, int((am & ~real).sum())


def estimated_open(prev: np.ndarray, close: np.ndarray, beta: float) -> np.ndarray:
    """The opening level where the data has no opening print: prev x (close / prev) ** beta, the share `beta` of the
    day's log move that on average happens overnight (`overnight_beta`). A stand-in for the SOQ, labelled as such:
    its error is the day's intraday noise, RMS 30 bp of the index on the 2017-2018 fit and 52 bp on 2019-2021 (the
    previous close 34 / 71 bp, the close 72 / 97 bp)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return prev * np.exp(beta * np.log(close / prev))


def overnight_beta(history: MarketHistory, years: tuple[int, int] = SOQ_FIT_YEARS,
                   prints: list[int] | None = None) -> float:
    """The OLS slope of ln(open / previous close) on ln(close / previous close) over the fit `years`, opening prints
    only (index levels, no strategy return): the expected share of a day's move that is already in the open.
    Fitted on 2017-2018, the first two years of opening prints in Yahoo's ^GSPC and inside the in-sample period;
    2019-2021 is left for validation (ADR 0006, issue 16e). Data without opening prints in the fit years (the
    embedded closes have no Open column) get SOQ_BETA, this fit on the shared ^GSPC file."""
    if history.spx_open is None:
        return SOQ_BETA
    close = history.spx.sort_index()
    both = pd.concat([close.shift(1).rename("prev"), close.rename("close"),
                      history.spx_open.rename("open")], axis=1).dropna()
    yrs = pd.DatetimeIndex(both.index).year
    prints = opening_print_years(history) if prints is None else prints
    both = both[(yrs >= years[0]) & (yrs <= years[1]) & yrs.isin(prints) & (both["open"] > 0)]
    if len(both) < 50:
        return SOQ_BETA
    x, y = np.log(both["close"] / both["prev"]), np.log(both["open"] / both["prev"])
    return float(np.polyfit(x.to_numpy(), y.to_numpy(), 1)[0])


def overnight_share(history: MarketHistory) -> pd.Series:
    """Per calendar year, the share of the S&P 500's squared close-to-close log returns that falls between the
    previous close and the open: sum ln(O/C_prev)^2 / sum ln(C/C_prev)^2 (index prints only, no strategy return)."""
    if history.spx_open is None:
        return pd.Series(dtype=float)
    close = history.spx.sort_index()
    both = pd.concat([close.shift(1).rename("prev"), close.rename("close"),
                      history.spx_open.rename("open")], axis=1).dropna()
    both = both[(both["open"] > 0) & (both["prev"] > 0)]
    gap, day = np.log(both["open"] / both["prev"]) ** 2, np.log(both["close"] / both["prev"]) ** 2
    years = pd.DatetimeIndex(both.index).year
    return gap.groupby(years).sum() / day.groupby(years).sum()


def opening_print_years(history: MarketHistory) -> list[int]:
    """The years whose opens are opening prints: an overnight share of the daily variance of at least
    OPENING_PRINT_MIN_SHARE (issue 16d). Yahoo's ^GSPC open is the index's first value of the day, and up to 2016 that
    value is mostly the previous closes of stocks not yet traded: 0.0 %-4.9 % of the variance a year in 1990-2016,
    12.6 %-26.9 % in 2017-2021, once the open is an opening print (measured on the shared file). The SOQ, which settles the
    monthly options, is built from each stock's own opening trade, so it carries the overnight move; an open without it
    is no stand-in, and that year's AM expiries settle and write at the close, as a stale open's do. The split does not
    depend on the threshold anywhere in 5 %-12 %."""
    share = overnight_share(history)
    return [int(y) for y in share.index[share >= OPENING_PRINT_MIN_SHARE]]


def index_chain(model: IVModel) -> np.ndarray:
    """The engine's chain vector for an index: the PUT reproduction's smile from the forward and its clip."""
    cm = np.zeros(N_CM)
    cm[CM_SKEW], cm[CM_INDEX], cm[CM_FLOOR], cm[CM_CAP] = model.skew, 1.0, model.floor_ratio, model.cap_ratio
    cm[CM_CALL_SKEW], cm[CM_CURV] = model.call_skew, model.smile_curv
    return cm


def vol_model(source: str) -> IVModel:
    if source not in VOL_SOURCES:
        raise InputError(f"unknown vol source {source!r}", where="--vol-source", hint="use spx or vxo")
    return VOL_SOURCES[source]


def run_index(history: MarketHistory, name: str, start: date, end: date, settlement: Settlement = "am",
              iv_model: IVModel | None = None, vol_source: VolSource = "spx") -> IndexResult:
    """The index `name` from `start` to `end` on the Wheel engine, rebased to 100 at the first trading day >= start.

    The run begins at the expiry before `start`, so the legs held at `start` are on (as the index's were).
    `iv_model` (when given) overrides `vol_source`."""
    r, model = rule(name), iv_model or vol_model(vol_source)
    first, last = pd.Timestamp(max(start, r.first)), pd.Timestamp(end)
    check_window(history, first, last, end)
    short_exp, long_exp = _expiries(r, (first - pd.Timedelta(days=100)).date(), (last + pd.Timedelta(days=120)).date())
    warm = short_exp[short_exp <= first]
    if r.quarterly_put:
        warm = warm[warm <= long_exp[long_exp <= first][-1]] if (long_exp <= first).any() else warm
    begin = warm[-1] if len(warm) else first
    spx = history.spx.loc[begin:last].dropna()
    days = pd.DatetimeIndex(spx.index)
    if len(days) < 10:
        raise InputError("the period holds too few trading days", where="--start", hint="widen the date range")
    accrual, rate = tbill_rates(history, days)
    q = dividend_yield(history, days, 0.022)
    atm, _ = atm_vol(history, days, model)
    if r.weekly:   # every leg is a one-week option: the short end of the term structure (IVModel.week_atm_ratio)
        atm = atm * model.week_atm_ratio
    prints = opening_print_years(history)
    beta = overnight_beta(history, prints=prints)
    px_settle, px_write, stale = _prices(history, days, settlement, roll_dates(days[0].date(), days[-1].date()),
                                         prints, beta)
    to_days = lambda idx: pd.DatetimeIndex(idx).to_numpy(dtype="datetime64[D]").astype(np.int64)  # noqa: E731
    legs = IndexLegs(ix=r.vector(), cm=index_chain(model), px_settle=px_settle[:, None], px_write=px_write[:, None],
                     exps_long=np.unique(to_days(long_exp)))
    cfg = WheelConfig(commission_per_contract=0.0, start_cash=START_CASH)
    spot = spx.to_numpy(dtype=float)[:, None]
    st = simulate(spot, atm[:, None], rate, accrual, q[:, None], days, short_exp, cfg, pooled=False, index=legs)
    value = pd.Series(st.name_value[:, 0], index=days)
    daily = pd.DataFrame({"value": value, "spot": spx.to_numpy(dtype=float), "settle_px": px_settle,
                          "write_px": px_write, "iv_atm": atm, "cash": st.name_cash[:, 0],
                          "collateral": st.name_coll[:, 0], "shares": st.held[:, 0]}, index=days).loc[first:]
    daily["value"] *= 100.0 / daily["value"].iloc[0]
    growth = pd.Series(np.cumprod(np.concatenate([[1.0], 1.0 + accrual[:-1] * np.diff(
        days.to_numpy()).astype("timedelta64[D]").astype(float) / 365.0])), index=days).loc[first:]
    rf = month_end_values(growth).pct_change().dropna()
    events = event_frame(st, [r.name], days)
    am_rolls = int(((days >= AM_SETTLEMENT_FROM) & days.isin(roll_dates(days[0].date(), days[-1].date()))).sum())
    why_no_open = ("no Open column in the data" if history.spx_open is None else
                   "a stale Yahoo open, or a year whose opens carry under 10 % of the daily variance")
    timing = ("settled at the expiration-day close, written at the close" if settlement == "close" else
              f"monthly expiries from 1992-06 AM-settled at the expiration-day open and re-written at an APPROXIMATE "
              f"11:00 ET level, open + 1.5/6.5 x (close - open); {stale} of those {am_rolls} expiries have no opening "
              f"print ({why_no_open}) and "
              f"settle at an ESTIMATED open, prev close x (close / prev close) ^ {beta:.3f} (the 2017-2018 "
              "overnight share of the day's move); PM-settled expiries (before 1992-06, weeklies) at the close")
    vols = vol_rule_label(model)
    if r.weekly:
        vols += f", x {model.week_atm_ratio:g} for the one-week legs"
    label = f"Cboe {r.name} rule on the Wheel engine, MODELLED option prices ({history.label}); {vols}; {timing}"
    return IndexResult(name=r.name, daily=daily, events=events, metrics=compute_metrics(daily["value"], rf),
                       monthly=monthly_returns(daily["value"]), settlement=settlement, label=label,
                       vol_source="custom" if iv_model is not None else vol_source)
