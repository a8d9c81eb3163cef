"""Per-underlying context for the screen: target purchase price, quality score, realized vol, correlation.

Inputs are plain frames (daily closes, a fundamentals table) so the same code runs on live yfinance data, the
recorded fixtures and the embedded offline data. Missing inputs stay missing (NaN), never zero: a name with no
debt/equity figure is scored on what is known and the score says how many parts were missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from putwheel.screener.rules import QualityThresholds, TargetRule, WatchItem

TRADING_DAYS = 252


def target_price(item: WatchItem, closes: pd.Series | None, spot: float) -> tuple[float, str]:
    """The price the user would gladly pay, and which rule set it (shown in the plan)."""
    if item.target_price is not None:
        return item.target_price, "explicit target"
    rule = item.target_rule or TargetRule()
    if rule.kind == "pct_below_spot":
        return spot * (1 - rule.pct), f"{rule.pct:.0%} below spot"
    if rule.kind == "valuation":
        fv = float(rule.fair_value or np.nan)
        return fv * (1 - rule.margin_of_safety), f"fair value {fv:g} less {rule.margin_of_safety:.0%} margin of safety"
    window = closes.dropna().iloc[-rule.days:] if closes is not None else pd.Series(dtype=float)
    if len(window) < min(rule.days, 5):
        return float("nan"), f"{rule.kind} needs {rule.days} days of history, have {len(window)}"
    if rule.kind == "swing_low":
        return float(window.min()), f"{rule.days}-day swing low"
    return float(window.mean()), f"{rule.days}-day moving average"


def needs_history(item: WatchItem) -> bool:
    """Whether `target_price` reads the closes for `item` (a swing low or moving average)."""
    return item.target_price is None and (item.target_rule or TargetRule()).kind not in ("pct_below_spot", "valuation")


def realized_vols(closes: pd.DataFrame, days: int = TRADING_DAYS) -> pd.Series:
    """Annualized close-to-close vol per column over the last `days` sessions (NaN with fewer than 20 returns)."""
    return pd.Series(realized_vol_values(closes.to_numpy(dtype=float), days), index=closes.columns)


def log_returns(closes: np.ndarray) -> np.ndarray:
    """Daily log returns of a (day, name) array of closes, NaN on the first day (the subtraction `DataFrame.diff`
    does on the logs: the same values)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(closes)
    rets = np.full_like(logs, np.nan)
    rets[1:] = logs[1:] - logs[:-1]
    return rets


def realized_vol_values(closes: np.ndarray, days: int = TRADING_DAYS) -> np.ndarray:
    """`realized_vols` of a (day, name) array of closes, one value per name (the planner's backtest reads arrays:
    the Series costs ~55 us a call there, as much as the numbers).

    On arrays, in pandas' own order of operations (mean first, then squared deviations, each summed along a column),
    so the values are the ones `DataFrame.std` gives; pandas cost ~1 ms a call in the planner's backtest loop."""
    rets = log_returns(closes).T
    rets = np.ascontiguousarray(rets[:, -days:]) if days > 0 else rets[:, :0]
    known = ~np.isnan(rets)
    count = known.sum(axis=1)
    filled = np.where(known, rets, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = filled.sum(axis=1) / count
        sqr = np.where(known, (avg[:, None] - filled) ** 2, 0.0)
        var = np.where(count > 1, sqr.sum(axis=1) / (count - 1), np.nan)
    vol = np.sqrt(var) * np.sqrt(TRADING_DAYS)
    return np.where(count >= 20, vol, np.nan)


def max_drawdowns(closes: pd.DataFrame, days: int = TRADING_DAYS) -> pd.Series:
    """Largest peak-to-trough fall per column over the last `days` sessions, as a positive fraction."""
    return pd.Series(max_drawdown_values(closes.to_numpy(dtype=float), days), index=closes.columns)


def max_drawdown_values(closes: np.ndarray, days: int = TRADING_DAYS) -> np.ndarray:
    """`max_drawdowns` of a (day, name) array of closes, one value per name."""
    c = closes[-days:] if days > 0 else closes[:0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = c / np.fmax.accumulate(c, axis=0)   # the running peak skips gaps, as cummax does
    known = ~np.isnan(ratio)
    low = np.where(known.any(axis=0), np.min(np.where(known, ratio, np.inf), axis=0, initial=np.inf), np.nan)
    return np.where((~np.isnan(c)).sum(axis=0) >= 2, 1 - low, np.nan)


def realized_vol(closes: pd.Series, days: int = TRADING_DAYS) -> float:
    """`realized_vols` for one series (gaps dropped first)."""
    return float(realized_vols(closes.dropna().to_frame(), days).iloc[0])


def max_drawdown(closes: pd.Series, days: int = TRADING_DAYS) -> float:
    """`max_drawdowns` for one series (gaps dropped first)."""
    return float(max_drawdowns(closes.dropna().to_frame(), days).iloc[0])


def iv_rank(history: pd.Series, days: int = TRADING_DAYS) -> tuple[float, float]:
    """IV rank and IV percentile of the last value over the last `days` observations (NaN with fewer than 20).

    Rank = (last - min) / (max - min); percentile = share of the window's days strictly below the last value.
    """
    window = history.dropna().iloc[-days:]
    if len(window) < 20:
        return float("nan"), float("nan")
    last, lo, hi = float(window.iloc[-1]), float(window.min()), float(window.max())
    rank = (last - lo) / (hi - lo) if hi > lo else float("nan")
    return rank, float((window < last).mean())


def correlation_matrix(closes: pd.DataFrame, days: int = TRADING_DAYS) -> pd.DataFrame:
    """Pairwise correlation of daily log returns over the last year; pairs with < 60 common days are NaN.

    The log returns on arrays (the same subtraction `DataFrame.diff` does), then pandas' own `corr` on them: the
    same values at ~45 % of the cost (the planner's backtest asks once a call, ~0.12 ms less each)."""
    return pd.DataFrame(log_returns(closes.to_numpy(dtype=float))[-days:], columns=closes.columns).corr(min_periods=60)


QUALITY_PARTS = ("market_cap", "debt_to_equity", "roe", "profit_margin", "free_cash_flow", "beta",
                 "realized_vol", "max_drawdown", "option_spread_pct", "option_open_interest")


def _ramp(x: np.ndarray, good: float, bad: float) -> np.ndarray:
    """0 at `bad`, 1 at `good`, linear between, before `_part_scores` clips every part to [0, 1] at once; NaN stays
    NaN (missing is never scored as zero here)."""
    return (x - bad) / (good - bad)


def _column(inputs: pd.DataFrame, name: str) -> np.ndarray:
    """One input as floats (non-numbers -> NaN); all NaN when the column is absent."""
    if name not in inputs:
        return np.full(len(inputs), np.nan)
    col = inputs[name]
    if col.dtype.kind in "biuf":
        return col.to_numpy(dtype=float)
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _part_scores(col: dict[str, np.ndarray], th: QualityThresholds) -> np.ndarray:
    """Each part scored 0..1 (1 = comfortably inside the threshold), one row per `QUALITY_PARTS`; NaN when the
    input is missing. Plain arrays: the planner's backtest scores a few names on every call (pandas cost ~10 ms);
    one `np.clip` of every part (the same values as a clip per part: the free-cash-flow part is 0, 1 or NaN
    already) instead of ten, ~2.5 us of wrapper each."""
    n = len(col["market_cap"])
    cap = col["market_cap"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cap = np.log10(np.where(cap > 0, cap, np.nan))
        log_oi = np.log10(np.where(np.isnan(col["option_open_interest"]), np.nan,
                                   np.maximum(col["option_open_interest"], 1.0)))
    fcf = col["free_cash_flow"]
    fcf_part = (fcf > 0).astype(float) if th.require_positive_fcf else np.ones(len(fcf))
    parts = {
        "market_cap": _ramp(log_cap, np.log10(th.min_market_cap or 1.0) + 1, np.log10(th.min_market_cap or 1.0) - 0.5),
        "debt_to_equity": _ramp(col["debt_to_equity"], 0.0, th.max_debt_to_equity * 1.5),
        "roe": _ramp(col["roe"], th.min_roe * 2, th.min_roe - 0.05),
        "profit_margin": _ramp(col["profit_margin"], th.min_profit_margin * 3, th.min_profit_margin - 0.05),
        "free_cash_flow": np.where(np.isnan(fcf), np.nan, fcf_part),
        "beta": _ramp(col["beta"], 0.8, th.max_beta + 0.4),
        "realized_vol": _ramp(col["realized_vol"], 0.15, th.max_realized_vol * 1.25),
        "max_drawdown": _ramp(col["max_drawdown"], 0.10, th.max_drawdown),
        "option_spread_pct": _ramp(col["option_spread_pct"], 0.02, 0.30),
        "option_open_interest": _ramp(log_oi, 4.0, 1.0),
    }
    return np.clip(np.array([parts[p] for p in QUALITY_PARTS]).reshape(len(QUALITY_PARTS), n), 0.0, 1.0)


def quality_verdict(col: dict[str, np.ndarray], th: QualityThresholds,
                    present: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The quality screen on arrays: (parts (part, name), score, parts known, the failing check's text or "").

    `col`: every `QUALITY_PARTS` input as floats (all NaN when not given); `present`: the inputs given at all (a
    hard check runs only on those; default every one). A name with no known part has a NaN score (not judged)."""
    parts = _part_scores(col, th)   # (part, name)
    known = (~np.isnan(parts)).sum(axis=0)
    # summed in the order pandas' row mean (the previous code) summed, so scores stay bit-identical: part by part,
    # except numpy's pairwise sum along each name's parts for fewer than 6 names with missing parts skipped
    filled = np.where(np.isnan(parts), 0.0, parts)   # (`nan_to_num`'s values: a part is never infinite; ~5x cheaper)
    fail = th.missing_counts_as == "fail"
    total = filled.sum(axis=0) if fail or filled.shape[1] >= 6 else np.ascontiguousarray(filled.T).sum(axis=1)
    counted = len(QUALITY_PARTS) if fail else known
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(known > 0, total / counted, np.nan)
    hard = np.full(parts.shape[1], "", dtype=object)
    checks = [
        ("market_cap", lambda x: x < th.min_market_cap, "market cap below minimum"),
        ("debt_to_equity", lambda x: x > th.max_debt_to_equity, "debt/equity above maximum"),
        ("roe", lambda x: x < th.min_roe, "return on equity below minimum"),
        ("profit_margin", lambda x: x < th.min_profit_margin, "profit margin below minimum"),
        ("beta", lambda x: x > th.max_beta, "beta above maximum"),
        ("free_cash_flow", lambda x: (x <= 0) & th.require_positive_fcf, "free cash flow not positive"),
        ("realized_vol", lambda x: x > th.max_realized_vol, "realized vol above maximum"),
        ("max_drawdown", lambda x: x > th.max_drawdown, "1-year drawdown above maximum"),
    ]
    free = np.ones(parts.shape[1], dtype=bool)   # no failing check yet (where `hard` is "")
    for name, bad, text in checks:
        if present is None or name in present:
            hit = bad(col[name]) & free   # NaN compares False: a missing input never fails here
            hard[hit] = text
            free &= ~hit
    low = (score < th.min_score) & free
    hard[low] = "score below minimum"
    return parts, score, known, hard


def quality_scores(inputs: pd.DataFrame, th: QualityThresholds) -> pd.DataFrame:
    """Score per underlying (mean of known parts), its parts, how many were missing, pass/fail and why."""
    col = {name: _column(inputs, name) for name in QUALITY_PARTS}
    parts, score, known, hard = quality_verdict(col, th, frozenset(n for n in QUALITY_PARTS if n in inputs))
    passed = pd.array(np.where(np.isnan(score), None, hard == ""), dtype="boolean")
    out = pd.DataFrame(parts.T, index=inputs.index, columns=[f"q_{p}" for p in QUALITY_PARTS])
    out["quality_score"] = score
    out["quality_missing"] = len(QUALITY_PARTS) - known.astype(np.int64)
    out["quality_pass"] = passed
    out["quality_reason"] = pd.Series(np.where(hard != "", hard, None), index=inputs.index, dtype=object)
    return out
