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


def realized_vol(closes: pd.Series, days: int = TRADING_DAYS) -> float:
    """Annualized close-to-close vol over the last `days` sessions (NaN with fewer than 20 returns)."""
    rets = np.log(closes.dropna()).diff().dropna().iloc[-days:]
    return float(rets.std(ddof=1) * np.sqrt(TRADING_DAYS)) if len(rets) >= 20 else float("nan")


def max_drawdown(closes: pd.Series, days: int = TRADING_DAYS) -> float:
    """Largest peak-to-trough fall over the last `days` sessions, as a positive fraction."""
    c = closes.dropna().iloc[-days:]
    if len(c) < 2:
        return float("nan")
    return float(1 - (c / c.cummax()).min())


def correlation_matrix(closes: pd.DataFrame, days: int = TRADING_DAYS) -> pd.DataFrame:
    """Pairwise correlation of daily log returns over the last year; pairs with < 60 common days are NaN."""
    rets = np.log(closes).diff().iloc[-days:]
    return rets.corr(min_periods=60)


QUALITY_PARTS = ("market_cap", "debt_to_equity", "roe", "profit_margin", "free_cash_flow", "beta",
                 "realized_vol", "max_drawdown", "option_spread_pct", "option_open_interest")


def _part_scores(row: pd.Series, th: QualityThresholds) -> dict[str, float]:
    """Each part scored 0..1 (1 = comfortably inside the threshold); NaN when the input is missing."""
    def ramp(x: float, good: float, bad: float) -> float:
        if not np.isfinite(x):
            return float("nan")
        return float(np.clip((x - bad) / (good - bad), 0.0, 1.0))

    fcf = row.get("free_cash_flow", np.nan)
    return {
        "market_cap": ramp(np.log10(max(row.get("market_cap", np.nan), 1.0)), np.log10(th.min_market_cap) + 1,
                           np.log10(th.min_market_cap) - 0.5) if np.isfinite(row.get("market_cap", np.nan)) else np.nan,
        "debt_to_equity": ramp(row.get("debt_to_equity", np.nan), 0.0, th.max_debt_to_equity * 1.5),
        "roe": ramp(row.get("roe", np.nan), th.min_roe * 2, th.min_roe - 0.05),
        "profit_margin": ramp(row.get("profit_margin", np.nan), th.min_profit_margin * 3, th.min_profit_margin - 0.05),
        "free_cash_flow": (float(fcf > 0) if th.require_positive_fcf else 1.0) if np.isfinite(fcf) else np.nan,
        "beta": ramp(row.get("beta", np.nan), 0.8, th.max_beta + 0.4),
        "realized_vol": ramp(row.get("realized_vol", np.nan), 0.15, th.max_realized_vol * 1.25),
        "max_drawdown": ramp(row.get("max_drawdown", np.nan), 0.10, th.max_drawdown),
        "option_spread_pct": ramp(row.get("option_spread_pct", np.nan), 0.02, 0.30),
        "option_open_interest": ramp(np.log10(max(row.get("option_open_interest", np.nan), 1.0)), 4.0, 1.0)
        if np.isfinite(row.get("option_open_interest", np.nan)) else np.nan,
    }


def quality_scores(inputs: pd.DataFrame, th: QualityThresholds) -> pd.DataFrame:
    """Score per underlying (mean of known parts), its parts, how many were missing, pass/fail and why."""
    parts = pd.DataFrame([_part_scores(row, th) for _, row in inputs.iterrows()], index=inputs.index,
                         columns=list(QUALITY_PARTS))
    known = parts.notna().sum(axis=1)
    filled = parts.fillna(0.0) if th.missing_counts_as == "fail" else parts
    score = filled.mean(axis=1, skipna=True).where(known > 0)
    hard = pd.Series("", index=inputs.index, dtype=object)
    checks = [
        ("market_cap", lambda x: x < th.min_market_cap, "market cap below minimum"),
        ("debt_to_equity", lambda x: x > th.max_debt_to_equity, "debt/equity above maximum"),
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
