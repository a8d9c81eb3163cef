"""Model quotes for a name that has a spot and an implied vol but no chain: candidates for rolls and covered calls.

Stages: listed-looking strikes around spot (the data layer's grid) x weekly expiries -> American price
(the fixed-point engine, `american_price`) at the given vol -> bid/ask around it with the modelled chain's spread. Every row is
labelled `quality = "modelled"`: these are not market quotes, and whoever shows them must say so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from putwheel.data.modelled import ChainModel, strike_grid, weekly_expiries
from putwheel.pricing import american_price


def model_quotes(underlying: str, spot: float, iv: float | Callable[[np.ndarray, np.ndarray], np.ndarray], as_of: date,
                 rate: float = 0.04, dividend_yield: float = 0.0, horizon_days: int = 70,
                 model: ChainModel | None = None) -> pd.DataFrame:
    """Puts and calls on a strike grid for every Friday up to `horizon_days`, in the chain schema's core columns."""
    model = model or ChainModel()
    strikes = strike_grid(spot, model)
    strikes = strikes[strikes > 0]
    expiries = np.array(weekly_expiries(as_of, horizon_days), dtype=object)
    n_k, n_e = len(strikes), len(expiries)
    k = np.tile(strikes, 2 * n_e)
    is_call = np.repeat(np.tile([False, True], n_e), n_k)
    exp = np.repeat(expiries, 2 * n_k)
    t = np.array([(e - as_of).days for e in exp], dtype=float) / 365.0
    sigma = np.asarray(iv(k, t), dtype=float) if callable(iv) else np.full(len(k), float(iv))
    mid = np.asarray(american_price(spot, k, t, rate, dividend_yield, sigma, is_call), dtype=float)
    half = np.maximum(model.tick / 2, model.spread_pct / 2 * mid)
    bid = np.maximum(np.round((mid - half) / model.tick) * model.tick, 0.0)
    ask = np.round((mid + half) / model.tick) * model.tick + model.tick * (bid == 0)
    return pd.DataFrame({
        "underlying": underlying.upper(), "spot": spot, "expiry": pd.to_datetime(exp), "strike": k,
        "right": np.where(is_call, "C", "P"), "bid": bid, "ask": ask, "mid": (bid + ask) / 2, "iv": sigma,
        "quality": "modelled",
    })
