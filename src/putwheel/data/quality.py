"""Flag quotes that should not be trusted, and replace garbage provider IVs with IVs implied by the mid.

Stages: one boolean mask per problem (vectorized) → a bit per problem → the bits of each row become the
`quality` text through a lookup of the few distinct combinations (fast on millions of rows) → rows whose
provider IV is missing, ≤ `iv_floor` (Yahoo's 1e-05, Cboe's 0.0) or above `iv_cap` (Yahoo's 5-20 on illiquid
strikes) get `iv` recomputed from the mid with `putwheel.pricing.implied_vol`; when no IV fits, `iv` is NaN
and the pricing core's reason is appended. Nothing is dropped: the screener decides what to skip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from putwheel.data.schema import NY
from putwheel.pricing import implied_vol
from putwheel.pricing.iv import reason_text

# Order matters only for the text: flags read left to right in this order.
FLAGS: tuple[tuple[str, str], ...] = (
    ("no_quote", "no bid and no ask"),
    ("zero_bid", "zero bid"),
    ("crossed", "crossed market (ask < bid)"),
    ("locked", "locked market (ask = bid)"),
    ("no_trade", "never traded"),
    ("stale_last", "last trade before the quote day"),
    ("iv_missing", "provider iv missing"),
    ("iv_floor", "provider iv ~0"),
    ("iv_extreme", "provider iv > 500%"),
)
BIT = {name: 1 << i for i, (name, _) in enumerate(FLAGS)}
IV_BITS = BIT["iv_missing"] | BIT["iv_floor"] | BIT["iv_extreme"]


@dataclass(frozen=True)
class QualityPolicy:
    """Thresholds for distrust. `rate`/`dividend_yield` are only used to re-solve IVs (continuous, annual)."""

    iv_floor: float = 1e-4
    iv_cap: float = 5.0
    rate: float = 0.04
    dividend_yield: float = 0.0


def _flag_bits(df: pd.DataFrame, policy: QualityPolicy) -> np.ndarray:
    bid, ask = df["bid"].to_numpy(dtype=float), df["ask"].to_numpy(dtype=float)
    iv = df["iv"].to_numpy(dtype=float)
    no_quote = ~(bid > 0) & ~(ask > 0)
    masks = {
        "no_quote": no_quote,
        "zero_bid": ~(bid > 0) & ~no_quote,
        "crossed": (ask < bid) & (ask > 0),
        "locked": (ask == bid) & (bid > 0),
        "iv_missing": ~np.isfinite(iv),
        "iv_floor": np.isfinite(iv) & (iv <= policy.iv_floor),
        "iv_extreme": np.isfinite(iv) & (iv > policy.iv_cap),
    }
    if "last_trade_time" in df:
        ltt = df["last_trade_time"]
        masks["no_trade"] = ltt.isna().to_numpy()
        q_day = df["quote_time"].dt.tz_convert(NY).dt.normalize()
        masks["stale_last"] = (ltt.dt.tz_convert(NY) < q_day).to_numpy(dtype=bool, na_value=False)
    bits = np.zeros(len(df), dtype=np.int64)
    for name, mask in masks.items():
        bits |= np.where(mask, BIT[name], 0)
    return bits


# Why-codes for the IV repair: 0 nothing done, 1 solved, 2 + pricing reason code, then the two special cases.
WHY_SOLVED, WHY_TOO_HIGH, WHY_NO_MID = 1, 20, 21


def _why_text(code: int, policy: QualityPolicy) -> str:
    if code == 0:
        return ""
    if code == WHY_SOLVED:
        return "iv recomputed from mid"
    if code == WHY_TOO_HIGH:
        return f"iv implied by the mid is above {policy.iv_cap:.0%} too: left empty"
    if code == WHY_NO_MID:
        return "no mid to solve iv from"
    return f"no iv fits the mid: {reason_text(code - 2)}"


def _resolve_iv(df: pd.DataFrame, redo: np.ndarray, policy: QualityPolicy) -> tuple[np.ndarray, np.ndarray]:
    """IV implied by the mid for the `redo` rows, and a why-code per row (see `_why_text`)."""
    iv = df["iv"].to_numpy(dtype=float).copy()
    why = np.zeros(len(df), dtype=np.int64)
    if not redo.any():
        return iv, why
    mid = df["mid"].to_numpy(dtype=float)[redo]
    res = implied_vol(mid, df["spot"].to_numpy(dtype=float)[redo], df["strike"].to_numpy(dtype=float)[redo],
                      _years_to_close(df, redo), policy.rate, policy.dividend_yield, (df["right"].to_numpy() == "C")[redo])
    solved = np.asarray(res.iv, dtype=float)
    codes = np.asarray(res.reason).astype(np.int64)
    too_high = np.isfinite(solved) & (solved > policy.iv_cap)
    iv[redo] = np.where(too_high, np.nan, solved)
    sub = np.where(codes == 0, WHY_SOLVED, codes + 2)
    sub = np.where(too_high, WHY_TOO_HIGH, sub)
    why[redo] = np.where(np.isfinite(mid), sub, WHY_NO_MID)
    return iv, why


def _years_to_close(df: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """ACT/365 years from the quote to 16:00 New York on expiry day (0-DTE options still have hours left)."""
    codes, uniq = pd.factorize(df["expiry"].to_numpy()[rows])
    close = (pd.DatetimeIndex(uniq) + pd.Timedelta(hours=16)).tz_localize(NY, ambiguous="NaT", nonexistent="NaT")
    close_ns = close.tz_convert("UTC").as_unit("ns").asi8[codes]
    quote_ns = pd.DatetimeIndex(df["quote_time"]).tz_convert("UTC").as_unit("ns").asi8[rows]
    return np.maximum((close_ns - quote_ns) / 1e9, 0.0) / (365.0 * 86400.0)


def flag_quality(chain: pd.DataFrame, policy: QualityPolicy | None = None) -> pd.DataFrame:
    """Return a copy with `quality` saying why a quote is not to be trusted ("" = clean) and repaired `iv`.

    The provider's own IV is kept in `iv_provider`; labels the source set (e.g. "modelled") are kept first.
    """
    policy = policy or QualityPolicy()
    df = chain.copy(deep=False)  # copy-on-write: new columns never touch the caller's frame
    # Re-flagging a chain that was flagged and saved starts again from the provider's IV: idempotent.
    if "iv_provider" in df:
        df["iv"] = df["iv_provider"].to_numpy(dtype=float)
    else:
        df["iv_provider"] = df["iv"].to_numpy(dtype=float)
    bits = _flag_bits(df, policy)
    iv, why = _resolve_iv(df, (bits & IV_BITS) != 0, policy)
    df["iv"] = iv
    prior = df["quality"] if "quality" in df else pd.Series("", index=df.index)
    df["quality"] = _labels(prior, bits, why, policy)
    return df


def _labels(prior: pd.Series, bits: np.ndarray, why: np.ndarray, policy: QualityPolicy) -> pd.Categorical:
    """The quality text per row, built once per distinct (source label, flags, why) and returned as a category."""
    ours = {text for _, text in FLAGS}
    prefixes = ("iv recomputed", "no iv fits", "no mid to solve", "iv implied by the mid")
    cat = prior.fillna("").astype("category")
    kept = ["; ".join(p for p in str(u).split("; ") if p and p not in ours and not p.startswith(prefixes))
            for u in cat.cat.categories]
    key = (cat.cat.codes.to_numpy().astype(np.int64) + 1) * (1 << 24) + bits * 64 + why
    codes, uniq = pd.factorize(key)
    texts = []
    for k in uniq:
        p, b, w = int(k) >> 24, (int(k) >> 6) & ((1 << 18) - 1), int(k) & 63
        parts = [kept[p - 1] if p > 0 else "", *(text for name, text in FLAGS if b & BIT[name]), _why_text(w, policy)]
        texts.append("; ".join(x for x in parts if x))
    labels, inverse = np.unique(np.array(texts, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=pd.Index(labels, dtype=object))
