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


def _texts(bits: np.ndarray) -> np.ndarray:
    uniq, inverse = np.unique(bits, return_inverse=True)
    labels = np.array(["; ".join(text for name, text in FLAGS if b & BIT[name]) for b in uniq], dtype=object)
    return labels[inverse]


def _resolve_iv(df: pd.DataFrame, redo: np.ndarray, policy: QualityPolicy) -> tuple[np.ndarray, np.ndarray]:
    """IV implied by the mid for the `redo` rows; the second array holds a reason where none fits."""
    iv = df["iv"].to_numpy(dtype=float).copy()
    why = np.full(len(df), "", dtype=object)
    if not redo.any():
        return iv, why
    t = _years_to_close(df.loc[redo])
    res = implied_vol(df["mid"].to_numpy(dtype=float)[redo], df["spot"].to_numpy(dtype=float)[redo],
                      df["strike"].to_numpy(dtype=float)[redo], t, policy.rate, policy.dividend_yield,
                      (df["right"].to_numpy() == "C")[redo])
    solved = np.asarray(res.iv, dtype=float)
    codes = np.asarray(res.reason).astype(int)
    too_high = np.isfinite(solved) & (solved > policy.iv_cap)
    solved = np.where(too_high, np.nan, solved)
    iv[redo] = solved
    no_mid = ~np.isfinite(df["mid"].to_numpy(dtype=float)[redo])
    texts = {c: f"no iv fits the mid: {reason_text(int(c))}" for c in np.unique(codes)}
    texts[0] = "iv recomputed from mid"
    sub = _lookup(codes, texts)
    sub[too_high] = f"iv implied by the mid is above {policy.iv_cap:.0%} too: left empty"
    sub[no_mid] = "no mid to solve iv from"
    why[redo] = sub
    return iv, why


def _lookup(codes: np.ndarray, texts: dict[int, str]) -> np.ndarray:
    table = np.array([texts.get(i, "") for i in range(int(codes.max()) + 1)], dtype=object)
    return table[codes]


def _years_to_close(df: pd.DataFrame) -> np.ndarray:
    """ACT/365 years from the quote to 16:00 New York on expiry day (0-DTE options still have hours left)."""
    close = (df["expiry"] + pd.Timedelta(hours=16)).dt.tz_localize(NY, ambiguous="NaT", nonexistent="NaT")
    seconds = (close.dt.tz_convert("UTC") - df["quote_time"]).dt.total_seconds().to_numpy(dtype=float)
    return np.maximum(seconds, 0.0) / (365.0 * 86400.0)


def flag_quality(chain: pd.DataFrame, policy: QualityPolicy | None = None) -> pd.DataFrame:
    """Return a copy with `quality` saying why a quote is not to be trusted ("" = clean) and repaired `iv`.

    The provider's own IV is kept in `iv_provider`; existing `quality` text (e.g. "modelled") is kept first.
    """
    policy = policy or QualityPolicy()
    df = chain.copy()
    # Re-flagging a chain that was flagged and saved starts again from the provider's IV: idempotent.
    if "iv_provider" in df:
        df["iv"] = df["iv_provider"].to_numpy(dtype=float)
    else:
        df["iv_provider"] = df["iv"].to_numpy(dtype=float)
    bits = _flag_bits(df, policy)
    redo = (bits & IV_BITS) != 0
    iv, why = _resolve_iv(df, redo, policy)
    df["iv"] = iv
    text = _texts(bits)
    prior = df["quality"].fillna("").astype(str) if "quality" in df else pd.Series("", index=df.index)
    parts = pd.DataFrame({"a": _source_labels(prior).to_numpy(dtype=object), "b": text, "c": why})
    df["quality"] = _join(parts).to_numpy(dtype=object)
    return df


def _source_labels(prior: pd.Series) -> pd.Series:
    """Keep labels set by the source (e.g. "modelled"), drop flags a previous `flag_quality` wrote."""
    ours = {text for _, text in FLAGS}
    prefixes = ("iv recomputed", "no iv fits", "no mid to solve", "iv implied by the mid")
    codes, uniq = pd.factorize(prior)
    kept = ["; ".join(p for p in u.split("; ") if p and p not in ours and not p.startswith(prefixes)) for u in uniq]
    return pd.Series(np.array(kept, dtype=object)[codes] if len(uniq) else [], index=prior.index, dtype=object)


def _join(parts: pd.DataFrame) -> pd.Series:
    # Few distinct triples even on huge chains: join each distinct one once.
    keys = parts["a"].astype(str) + "\x00" + parts["b"].astype(str) + "\x00" + parts["c"].astype(str)
    codes, uniq = pd.factorize(keys)
    labels = np.array(["; ".join(p for p in u.split("\x00") if p) for u in uniq], dtype=object)
    return pd.Series(labels[codes], index=parts.index)
