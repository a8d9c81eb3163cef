"""Day counts and time to expiry, always from an explicit `as_of` (never the wall clock).

Options models use calendar-day ACT/365: theta is quoted per calendar day and a 30-45 DTE window means
calendar days, as on every broker screen.
"""

from __future__ import annotations

from datetime import date

from putwheel.domain.errors import InputError

DAYS_PER_YEAR = 365.0


def dte(expiry: date, as_of: date) -> int:
    """Calendar days to expiry; refuses an expiry already in the past."""
    days = (expiry - as_of).days
    if days < 0:
        raise InputError(
            f"expiry {expiry.isoformat()} is before as_of {as_of.isoformat()}",
            hint="pick an expiry on or after the as-of date",
        )
    return days


def year_fraction(expiry: date, as_of: date) -> float:
    """ACT/365 time to expiry in years (0.0 on expiration day)."""
    return dte(expiry, as_of) / DAYS_PER_YEAR
