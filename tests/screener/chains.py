"""Hand-built chains and context frames for planner tests: every number is written down, nothing is random."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

AS_OF = date(2024, 3, 1)


def put(underlying: str = "AAA", *, spot: float = 100.0, strike: float = 95.0, bid: float = 1.15, ask: float = 1.25,
        dte: int = 35, iv: float = 0.30, open_interest: float = 1000.0, volume: float = 50.0,
        right: str = "P", mid: float | None = None) -> dict[str, object]:
    expiry = pd.Timestamp(AS_OF + timedelta(days=dte))
    return {"underlying": underlying, "spot": spot, "expiry": expiry, "strike": strike, "right": right, "bid": bid,
            "ask": ask, "mid": (bid + ask) / 2 if mid is None else mid, "iv": iv, "open_interest": open_interest,
            "volume": volume, "dte": dte,
            "multiplier": 100, "occ_symbol": f"{underlying:<6}{expiry:%y%m%d}{right}{round(strike * 1000):08d}"}


def chain(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def context(*symbols: str, target: float | dict[str, float] = 96.0, sector: str | dict[str, str] = "Tech",
            rate: float = 0.04, **extra: object) -> pd.DataFrame:
    """Per-underlying context as `underlying_context` builds it (targets given, quality unknown = passes)."""
    def pick(value: object, sym: str) -> object:
        return value[sym] if isinstance(value, dict) else value

    rows = []
    for sym in symbols:
        row = {"target_price": pick(target, sym), "target_source": "explicit target", "sector": pick(sector, sym),
               "rate": rate, "dividend_yield": 0.0, "realized_vol": float("nan"), "earnings_date": pd.NaT,
               "ex_dividend_date": pd.NaT, "quality_score": float("nan"), "quality_pass": pd.NA,
               "quality_reason": None}
        row.update({k: pick(v, sym) for k, v in extra.items()})
        rows.append(row)
    out = pd.DataFrame(rows, index=pd.Index(symbols, name="symbol"))
    out["quality_pass"] = out["quality_pass"].astype("boolean")
    return out
