"""Listed-option expiration dates from the exchange calendar (exchange_calendars' XNYS sessions).

Standard monthlies expire on the third Friday; weeklies on every other Friday. When that Friday is not a trading day
(Good Friday, Juneteenth 2026, a national day of mourning) the expiry moves to the session before it, as the OCC does.
Lives in `data/` rather than `domain/` because the calendar is market data and pulls pandas.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

from putwheel.domain.errors import InputError

# exchange_calendars (4.13) reads `Series.values` of tz-aware columns while it builds a calendar; pandas >= 3.1
# deprecates that (Pandas4Warning). The sessions it returns are unaffected, so the warning is silenced at the
# build only, by its exact message, and nowhere else.
_XCALS_TZ_VALUES = "Series.values returning an ndarray that drops timezone information"


def xnys_sessions(start: str, end: str) -> pd.DatetimeIndex:
    """NYSE sessions in [start, end] as tz-naive midnight timestamps."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_XCALS_TZ_VALUES, category=DeprecationWarning)
        cal = xcals.get_calendar("XNYS", start=start, end=end)
    return pd.DatetimeIndex(cal.sessions).tz_localize(None)


@lru_cache(maxsize=1)
def _sessions() -> frozenset[date]:
    return frozenset(xnys_sessions("1990-01-01", f"{date.today().year + 2}-12-31").date)  # noqa: DTZ011 - calendar span only


def _session_on_or_before(day: date) -> date:
    sessions = _sessions()
    for back in range(7):
        d = day - timedelta(days=back)
        if d in sessions:
            return d
    raise InputError(f"no NYSE session in the week before {day.isoformat()}", hint="is the date inside 1990..next year?")


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def monthly_expiry(year: int, month: int) -> date:
    """The standard monthly expiry: third Friday, or the session before it when the exchange is closed."""
    return _session_on_or_before(third_friday(year, month))


def expiries(start: date, end: date, *, weeklies: bool = True) -> list[date]:
    """Every listed expiry in [start, end]: all Fridays (holiday-shifted) with weeklies, else the monthlies only."""
    if end < start:
        raise InputError(f"end {end.isoformat()} is before start {start.isoformat()}")
    out: list[date] = []
    if weeklies:
        friday = start + timedelta(days=(4 - start.weekday()) % 7)
        while friday <= end + timedelta(days=7):
            d = _session_on_or_before(friday)
            if start <= d <= end:
                out.append(d)
            friday += timedelta(days=7)
        return out
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        d = monthly_expiry(y, m)
        if start <= d <= end:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def expiries_in_window(as_of: date, dte_min: int, dte_max: int, *, weeklies: bool = True) -> list[date]:
    """Expiries a seller can choose today for a DTE window (the seed's 30-45 days)."""
    if dte_min > dte_max:
        raise InputError(f"dte_min {dte_min} is above dte_max {dte_max}", hint="e.g. dte_min = 30, dte_max = 45")
    return expiries(as_of + timedelta(days=dte_min), as_of + timedelta(days=dte_max), weeklies=weeklies)


def is_monthly(day: date) -> bool:
    return monthly_expiry(day.year, day.month) == day


@lru_cache(maxsize=8)
def _xnys_sessions(first_year: int, last_year: int) -> pd.DatetimeIndex:
    """NYSE sessions for whole decades (building a calendar costs ~0.2 s, so it is built once per span)."""
    return xnys_sessions(f"{first_year}-01-01", f"{last_year}-12-31")


def roll_dates(first: date, last: date) -> pd.DatetimeIndex:
    """Monthly standard expiries: the third Friday, or the NYSE session before it when that Friday is a holiday
    (Good Friday -> Thursday). Covers every expiry from the one at/before `first` to the one after `last`."""
    months = pd.period_range(pd.Timestamp(first) - pd.DateOffset(months=1), pd.Timestamp(last) + pd.DateOffset(months=2),
                             freq="M")
    firsts = months.to_timestamp(how="start")
    fridays = firsts + pd.to_timedelta((4 - firsts.day_of_week) % 7 + 14, unit="D")
    sessions = _xnys_sessions((fridays[0].year - 1) // 10 * 10, fridays[-1].year // 10 * 10 + 10)
    pos = sessions.searchsorted(fridays, side="right") - 1
    expiries = pd.DatetimeIndex(sessions[pos]).normalize()
    first_ts, last_ts = pd.Timestamp(first), pd.Timestamp(last)
    lo = int(expiries.searchsorted(first_ts, side="right")) - 1
    hi = int(expiries.searchsorted(last_ts, side="left"))
    if lo < 0:
        raise InputError("no expiry before the start date", where="roll_dates", hint="start later")
    return expiries[lo: hi + 1]


def session_closes(start: date, end: date) -> dict[date, datetime]:
    """NYSE close (tz-aware UTC) of every session in [start, end], early closes (13:00 New York) included."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_XCALS_TZ_VALUES, category=DeprecationWarning)
        cal = xcals.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
        closes = cal.closes.loc[start.isoformat(): end.isoformat()]
    return {ts.date(): c.to_pydatetime() for ts, c in closes.items()}
