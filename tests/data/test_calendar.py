"""Expiration calendar: third Fridays, weeklies, and the holiday shifts the OCC applies."""

from __future__ import annotations

from datetime import date

import pytest

from putwheel.data.calendar import expiries, expiries_in_window, is_monthly, monthly_expiry, third_friday
from putwheel.domain.errors import InputError


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2024, 1, date(2024, 1, 19)),  # SPY 240119: the OCC example in issue 2
        (2024, 3, date(2024, 3, 15)),  # Good Friday 2024 was the 29th, not the third Friday
        (2025, 4, date(2025, 4, 17)),  # Good Friday 2025-04-18 is the third Friday -> Thursday
        (2014, 4, date(2014, 4, 17)),  # Good Friday 2014-04-18 -> Thursday
        (2026, 6, date(2026, 6, 18)),  # Juneteenth 2026-06-19 (Friday) -> Thursday
        (2026, 12, date(2026, 12, 18)),
    ],
)
def test_monthly_expiry_is_third_friday_or_the_session_before(year, month, expected):
    assert monthly_expiry(year, month) == expected
    assert is_monthly(expected)


def test_third_friday_arithmetic():
    assert third_friday(2026, 11) == date(2026, 11, 20)
    assert third_friday(2026, 5) == date(2026, 5, 15)


def test_weeklies_cover_every_friday_and_shift_holidays():
    got = expiries(date(2025, 4, 1), date(2025, 4, 30))
    assert got == [date(2025, 4, 4), date(2025, 4, 11), date(2025, 4, 17), date(2025, 4, 25)]
    assert expiries(date(2025, 4, 1), date(2025, 6, 30), weeklies=False) == [
        date(2025, 4, 17), date(2025, 5, 16), date(2025, 6, 20)]


def test_window_for_the_seeds_30_to_45_days():
    as_of = date(2026, 11, 25)
    # monthlies: Dec 18 is 23 days out, Jan 15 is 51: none inside 30-45, so a monthly-only seller waits or widens
    assert expiries_in_window(as_of, 30, 45, weeklies=False) == []
    # weeklies: Friday Jan 1 2027 is New Year's Day -> Thursday Dec 31 (36 days); then Jan 8 (44 days)
    assert expiries_in_window(as_of, 30, 45) == [date(2026, 12, 31), date(2027, 1, 8)]


def test_contradictory_window_is_a_clear_error():
    with pytest.raises(InputError, match="dte_min 45 is above dte_max 30"):
        expiries_in_window(date(2026, 11, 25), 45, 30)
