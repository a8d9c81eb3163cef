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


def realized_vols(closes: pd.DataFrame, days: int = TRADING_DAYS) -> pd.Series:
    """Annualized close-to-close vol per column over the last `days` sessions (NaN with fewer than 20 returns)."""
    rets = np.log(closes).diff().iloc[-days:]
    vol = rets.std(ddof=1) * np.sqrt(TRADING_DAYS)
    return vol.where(rets.notna().sum() >= 20)


def max_drawdowns(closes: pd.DataFrame, days: int = TRADING_DAYS) -> pd.Series:
    """Largest peak-to-trough fall per column over the last `days` sessions, as a positive fraction."""
    c = closes.iloc[-days:]
    dd = 1 - (c / c.cummax()).min()
    return dd.where(c.notna().sum() >= 2)


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
    """Pairwise correlation of daily log returns over the last year; pairs with < 60 common days are NaN."""
    rets = np.log(closes).diff().iloc[-days:]
    return rets.corr(min_periods=60)


QUALITY_PARTS = ("market_cap", "debt_to_equity", "roe", "profit_margin", "free_cash_flow", "beta",
                 "realized_vol", "max_drawdown", "option_spread_pct", "option_open_interest")


def _ramp(x: pd.Series, good: float, bad: float) -> pd.Series:
    """0 at `bad`, 1 at `good`, linear between; NaN stays NaN (missing is never scored as zero here)."""
    # numpy's clip (NaN passes through): pandas' Series.clip costs ~3 ms a call, in the planner's backtest loop
    return pd.Series(np.clip((x.to_numpy(dtype=float) - bad) / (good - bad), 0.0, 1.0), index=x.index, name=x.name)


def _part_scores(inputs: pd.DataFrame, th: QualityThresholds) -> pd.DataFrame:
    """Each part scored 0..1 (1 = comfortably inside the threshold); NaN when the input is missing."""
    def col(name: str) -> pd.Series:
        return pd.to_numeric(inputs[name], errors="coerce").astype(float) if name in inputs \
            else pd.Series(np.nan, index=inputs.index)

    log_cap = np.log10(col("market_cap").where(col("market_cap") > 0))
    log_oi = np.log10(col("option_open_interest").clip(lower=1.0))
    fcf = col("free_cash_flow")
    return pd.DataFrame({
        "market_cap": _ramp(log_cap, np.log10(th.min_market_cap or 1.0) + 1, np.log10(th.min_market_cap or 1.0) - 0.5),
        "debt_to_equity": _ramp(col("debt_to_equity"), 0.0, th.max_debt_to_equity * 1.5),
        "roe": _ramp(col("roe"), th.min_roe * 2, th.min_roe - 0.05),
        "profit_margin": _ramp(col("profit_margin"), th.min_profit_margin * 3, th.min_profit_margin - 0.05),
        "free_cash_flow": ((fcf > 0).astype(float) if th.require_positive_fcf else pd.Series(1.0, index=fcf.index))
        .where(fcf.notna()),
        "beta": _ramp(col("beta"), 0.8, th.max_beta + 0.4),
        "realized_vol": _ramp(col("realized_vol"), 0.15, th.max_realized_vol * 1.25),
        "max_drawdown": _ramp(col("max_drawdown"), 0.10, th.max_drawdown),
        "option_spread_pct": _ramp(col("option_spread_pct"), 0.02, 0.30),
        "option_open_interest": _ramp(log_oi, 4.0, 1.0),
    }, index=inputs.index, columns=list(QUALITY_PARTS))


def quality_scores(inputs: pd.DataFrame, th: QualityThresholds) -> pd.DataFrame:
    """Score per underlying (mean of known parts), its parts, how many were missing, pass/fail and why."""
    parts = _part_scores(inputs, th)
    known = parts.notna().sum(axis=1)
    filled = parts.fillna(0.0) if th.missing_counts_as == "fail" else parts
    score = filled.mean(axis=1, skipna=True).where(known > 0)
    hard = pd.Series("", index=inputs.index, dtype=object)
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
    for col, bad, text in checks:
        if col in inputs:
            vals = pd.to_numeric(inputs[col], errors="coerce")
            hit = bad(vals).fillna(False) & (hard == "")
            hard[hit] = text
    low = (score < th.min_score).fillna(False) & (hard == "")
    hard[low] = "score below minimum"
    passed = (hard == "").where(score.notna())
    out = parts.add_prefix("q_")
    out["quality_score"] = score
    out["quality_missing"] = len(QUALITY_PARTS) - known
    out["quality_pass"] = passed.astype("boolean")
    out["quality_reason"] = hard.where(hard != "", None)
    return out
