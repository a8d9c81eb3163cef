"""Quality flags: bad quotes are marked (never dropped) and garbage provider IVs are re-solved from the mid."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from putwheel.data.quality import QualityPolicy, flag_quality
from putwheel.data.schema import normalize_chain
from putwheel.pricing import bs_price

AS_OF = date(2024, 1, 2)
S, K, DTE, R, VOL = 100.0, 95.0, 30, 0.04, 0.25


def _chain(bid: list[float], ask: list[float], iv: list[float], ltt: list[object] | None = None) -> pd.DataFrame:
    n = len(bid)
    raw = pd.DataFrame({
        "underlying": "XYZ", "spot": S, "expiry": "2024-02-01", "strike": K, "right": "P",
        "bid": bid, "ask": ask, "iv": iv, "quote_time": ["2024-01-02 16:00:00"] * n,
    })
    if ltt is not None:
        raw["last_trade_time"] = ltt
    return normalize_chain(raw, "test", AS_OF)


def _fair_put() -> float:
    t = DTE / 365.0
    return float(bs_price(S, K, t, R, 0.0, VOL, False))


@pytest.mark.parametrize(("bid", "ask", "flag"), [
    (0.0, 0.05, "zero bid"),
    (1.20, 1.10, "crossed market"),
    (1.10, 1.10, "locked market"),
    (0.0, 0.0, "no bid and no ask"),
])
def test_quote_flags(bid, ask, flag):
    out = flag_quality(_chain([bid, 1.0], [ask, 1.1], [0.3, 0.3]))
    assert flag in out["quality"].iloc[0]
    assert out["quality"].iloc[1] == ""
    assert len(out) == 2  # flagged, not dropped


def test_stale_and_never_traded_last():
    out = flag_quality(_chain([1.0, 1.0, 1.0], [1.1, 1.1, 1.1], [0.3] * 3,
                              ["2023-12-29 15:00:00", None, "2024-01-02 10:30:00"]))
    assert out["quality"].tolist() == ["last trade before the quote day", "never traded", ""]


@pytest.mark.parametrize(("provider_iv", "flag"), [(1e-05, "provider iv ~0"), (0.0, "provider iv ~0"),
                                                   (10.31, "provider iv > 500%"), (np.nan, "provider iv missing")])
def test_garbage_iv_is_recomputed_from_mid(provider_iv, flag):
    fair = _fair_put()
    out = flag_quality(_chain([fair - 0.01], [fair + 0.01], [provider_iv]), QualityPolicy(rate=R))
    assert flag in out["quality"].iloc[0]
    assert "iv recomputed from mid" in out["quality"].iloc[0]
    # the quote time is 16:00 New York and expiry closes at 16:00 too, so t is exactly DTE/365
    assert out["iv"].iloc[0] == pytest.approx(VOL, abs=1e-4)
    assert out["iv_provider"].iloc[0] == pytest.approx(provider_iv, nan_ok=True)


def test_plausible_provider_iv_is_kept():
    out = flag_quality(_chain([1.0], [1.1], [0.42]))
    assert out["iv"].iloc[0] == 0.42 and out["quality"].iloc[0] == ""


def test_unsolvable_iv_is_left_empty_with_the_reason():
    deep = flag_quality(normalize_chain(pd.DataFrame({
        "underlying": "XYZ", "spot": 100.0, "expiry": "2024-02-01", "strike": 150.0, "right": "P",
        "bid": [40.0], "ask": [40.2], "iv": [1e-05], "quote_time": ["2024-01-02 16:00:00"]}), "t", AS_OF))
    assert np.isnan(deep["iv"].iloc[0])
    assert "no iv fits the mid: price below intrinsic" in deep["quality"].iloc[0]


def test_existing_quality_text_is_kept_first():
    chain = _chain([0.0], [0.05], [0.3])
    chain["quality"] = "modelled"
    assert flag_quality(chain)["quality"].iloc[0] == "modelled; zero bid"
