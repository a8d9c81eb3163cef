"""Manager test helpers: hand-built quotes, so every mark in a test is written in it (mid = (bid + ask) / 2)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

AS_OF = date(2024, 3, 1)


def day(n: int) -> date:
    """The calendar date `n` days after AS_OF (so `day(30)` is a 30-DTE expiry)."""
    return AS_OF + timedelta(days=n)


def chain(*rows: tuple[str, int, float, float, float]) -> pd.DataFrame:
    """Quotes as (right, dte, strike, bid, ask) on XYZ, with a flat 25 % iv."""
    return pd.DataFrame([
        {"underlying": "XYZ", "expiry": day(d), "strike": k, "right": r, "bid": b, "ask": a, "iv": 0.25}
        for r, d, k, b, a in rows
    ])
