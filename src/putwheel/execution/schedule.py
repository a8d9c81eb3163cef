"""When `putwheel run --loop` runs: once per exchange session, a lead time before that session's close.

Pure: the sessions and their closes come in (`data.calendar.session_closes`, early closes included); the clock is
the caller's. A session already run is skipped; a session whose run time has passed is run at once if its close has
not (a loop started at 15:45 New York still trades today), else skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta


def next_run(now: datetime, closes: Mapping[date, datetime], *, lead: timedelta,
             done: Collection[date] = ()) -> tuple[date, datetime] | None:
    """(session, when to run it) of the next session not in `done` whose close is still ahead; None if none."""
    for day in sorted(closes):
        close = closes[day]
        if day in done or close <= now:
            continue
        return day, max(close - lead, now)
    return None
