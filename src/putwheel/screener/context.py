"""Per-underlying context for one plan: spot, target and who set it, sector, rate, events, quality score.

Stages: resolve each watchlist item against the price history and the chain (unknown symbols and names with no
chain in the DTE window become warnings, the rest of the watchlist goes on) -> targets -> quality inputs
(price stability from closes, option liquidity from the chain, fundamentals when given) -> `quality_scores`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from putwheel.screener.rules import UNKNOWN_SECTOR, PutRules, QualityThresholds, WatchItem, in_dte_window, window_text
from putwheel.screener.underlying import (
    iv_rank,
    max_drawdown_values,
    needs_history,
    quality_scores,
    realized_vol_values,
    target_price,
)

FUNDAMENTALS = ("market_cap", "debt_to_equity", "roe", "profit_margin", "free_cash_flow", "beta")


def _sorted_codes(codes: np.ndarray, uniques: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(values[at], sort=True)` from `pd.factorize(values)`: sorting the few names, not the rows."""
    sub = codes[at]
    present = np.flatnonzero(np.bincount(sub[sub >= 0], minlength=len(uniques)))   # the names the rows `at` have
    names = np.asarray(uniques, dtype=object)[present]
    order = np.argsort(names, kind="stable")
    rank = np.full(len(uniques) + 1, -1)   # (the last entry: a row with no name, code -1, stays -1)
    rank[present[order]] = np.arange(len(present))
    return rank[sub], names[order]


def liquidity(chain: Mapping[str, np.ndarray],
              factorized: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, tuple[float, float]]:
    """Median spread % and total open interest of each name's puts within 10 % of spot (the strikes a seller uses),
    by name in sorted order. `factorized`: `pd.factorize` of the chain's underlying column when the caller has it
    (`context_rows`), so the names are not hashed twice.

    One sort for every name's median (`np.median`'s middle value, or the mean of the two middle ones: the same
    floats) and one `bincount` for the totals (open interest counts contracts, whole numbers: exact in any order)
    instead of a loop over the names; ~0.25 ms a call before, in the planner's backtest."""
    right = np.asarray(chain["right"])
    strike, spot = np.asarray(chain["strike"], dtype=float), np.asarray(chain["spot"], dtype=float)
    near = np.flatnonzero((right == "P") & (np.abs(strike / spot - 1) <= 0.10))
    bid, ask = np.asarray(chain["bid"], dtype=float)[near], np.asarray(chain["ask"], dtype=float)[near]
    mid = (bid + ask) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = (ask - bid) / np.where(mid > 0, mid, np.nan)
    oi = np.asarray(chain["open_interest"], dtype=float)[near]
    codes, names = _sorted_codes(*(factorized or pd.factorize(np.asarray(chain["underlying"], dtype=object))), near)
    named = codes >= 0   # (a row with no underlying is no name's)
    codes, spread, oi = codes[named], spread[named], oi[named]
    n = len(names)
    known_oi = ~np.isnan(oi)
    total = np.bincount(codes[known_oi], weights=oi[known_oi], minlength=n).astype(float)
    total[np.bincount(codes[known_oi], minlength=n) == 0] = np.nan   # no known open interest: not known
    known = ~np.isnan(spread)
    ordered = np.lexsort((spread[known], codes[known]))   # by name, then spread
    sorted_spread = spread[known][ordered]
    count = np.bincount(codes[known], minlength=n)
    start = np.cumsum(count) - count
    last = max(len(sorted_spread) - 1, 0)
    # (whole numbers: np.minimum / np.maximum give np.clip's values without its ~10 us of wrapper, twice)
    lo, hi = np.minimum(np.maximum(start + (count - 1) // 2, 0), last), np.minimum(np.maximum(start + count // 2, 0), last)
    padded = sorted_spread if len(sorted_spread) else np.full(1, np.nan)
    med = np.where(count > 0, (padded[lo] + padded[hi]) / 2, np.nan)   # one middle value: (x + x) / 2 is x
    return {names[g]: (float(med[g]), float(total[g])) for g in range(n)}


def context_rows(items: Sequence[WatchItem], chain: Mapping[str, np.ndarray], closes: pd.DataFrame | None,
                 sectors: Mapping[str, str], rate: float, rules: PutRules) -> tuple[list[dict[str, object]], list[str]]:
    """One dict per usable watchlist symbol (spot, target and who set it, sector, rate, events, realized vol, max
    drawdown, option liquidity) and the warnings for the others; `chain`: the chain's columns as arrays (underlying,
    dte, spot, right, strike, bid, ask, open_interest)."""
    warnings: list[str] = []
    codes, uniques = pd.factorize(np.asarray(chain["underlying"], dtype=object))
    in_chain = set(uniques)
    named = codes >= 0   # (a row with no underlying names nothing)
    in_window = set(uniques[np.flatnonzero(np.bincount(codes[in_dte_window(np.asarray(chain["dte"]), rules) & named],
                                                       minlength=len(uniques)))])
    spot_col = np.asarray(chain["spot"], dtype=float)
    last = np.full(len(uniques), -1)
    np.maximum.at(last, codes[named], np.where(np.isnan(spot_col), -1, np.arange(len(spot_col)))[named])
    spots = {uniques[g]: spot_col[at] for g, at in enumerate(last) if at >= 0}   # each name's last known spot
    # on the closes' array, as dicts by name: a Series per number, and a Series.get per name, cost more than the
    # numbers (the planner's backtest, ~130 calls a run)
    rv: dict[str, np.float64] = {}
    mdd: dict[str, np.float64] = {}
    if closes is not None:
        values, columns = closes.to_numpy(dtype=float), closes.columns.tolist()
        rv, mdd = (dict(zip(columns, f(values), strict=True)) for f in (realized_vol_values, max_drawdown_values))
    liq = liquidity(chain, (codes, uniques))
    rows: list[dict[str, object]] = []
    for item in items:
        sym = item.symbol.upper()
        if sym not in in_chain:
            warnings.append(f"{sym}: unknown symbol, no option chain in the source; skipped")
            continue
        if sym not in in_window:
            warnings.append(f"{sym}: no expiry within {window_text(rules)}; skipped")
        # the history column only for a rule that reads it (the default, % below spot, does not)
        hist = closes[sym] if closes is not None and needs_history(item) and sym in closes else None
        spot = float(spots.get(sym, np.nan))
        target, source = target_price(item, hist, spot)
        if np.isfinite(target) and target > spot:
            warnings.append(f"{sym}: target {target:.2f} is above spot {spot:.2f}, so the puts sold are in the money "
                            "(likely assignment); allowed, but check the target")
        elif not np.isfinite(target):
            warnings.append(f"{sym}: no target price ({source}); skipped")
        spread, oi = liq.get(sym, (np.nan, np.nan))
        rows.append({
            "symbol": sym, "spot": spot, "target_price": target, "target_source": source,
            "sector": item.sector or sectors.get(sym) or UNKNOWN_SECTOR, "rate": rate,
            "dividend_yield": item.dividend_yield,
            "realized_vol": rv.get(sym, np.nan), "max_drawdown": mdd.get(sym, np.nan),
            "earnings_date": pd.Timestamp(item.earnings_date) if item.earnings_date else pd.NaT,
            "ex_dividend_date": pd.Timestamp(item.ex_dividend_date) if item.ex_dividend_date else pd.NaT,
            "option_spread_pct": spread, "option_open_interest": oi,
        })
    no_sector = [str(r["symbol"]) for r in rows if r["sector"] == UNKNOWN_SECTOR]
    if no_sector:
        warnings.append(f"sector not known for {', '.join(no_sector)}: the {rules.max_pct_per_sector:.0%} sector cap "
                        "treats each as a sector of its own (set sector in the watchlist)")
    unknown_events = [r["symbol"] for r in rows if pd.isna(r["earnings_date"]) and r["sector"] != "Index"]
    if rules.skip_earnings and unknown_events:
        warnings.append(f"earnings date not known for {', '.join(map(str, unknown_events))}: the skip-earnings rule "
                        "cannot be checked for them (set earnings_date in the watchlist)")
    return rows, warnings


def _iv_rank_columns(found: tuple[pd.Series, str] | None) -> dict[str, object]:
    if found is None:
        return {"iv_rank": np.nan, "iv_percentile": np.nan, "iv_history": None}
    rank, pct = iv_rank(found[0])
    return {"iv_rank": rank, "iv_percentile": pct, "iv_history": found[1]}


def underlying_context(items: Sequence[WatchItem], chain: pd.DataFrame, closes: pd.DataFrame | None,
                       sectors: Mapping[str, str], rate: float, rules: PutRules, quality: QualityThresholds,
                       fundamentals: pd.DataFrame | None = None,
                       iv_history: Mapping[str, tuple[pd.Series, str]] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per usable watchlist symbol (index = symbol) and the warnings for the others.

    `closes` are daily closes up to `as_of` (columns = symbols) or None when the source has none; `chain` is the
    normalized chain snapshot (puts and calls of every name); `iv_history` maps a symbol to an implied-vol
    history up to `as_of` and its name (e.g. the VIX for S&P 500 options) for IV rank and percentile.
    """
    cols = ("underlying", "dte", "spot", "right", "strike", "bid", "ask", "open_interest")
    rows, warnings = context_rows(items, {c: chain[c].to_numpy() for c in cols}, closes, sectors, rate, rules)
    liq = {name: [r.pop(name) for r in rows] for name in ("option_spread_pct", "option_open_interest")}
    for r in rows:
        r.update(_iv_rank_columns((iv_history or {}).get(str(r["symbol"]))))
    ctx = pd.DataFrame(rows, columns=["symbol", "spot", "target_price", "target_source", "sector", "rate",
                                      "dividend_yield", "realized_vol", "max_drawdown", "earnings_date",
                                      "ex_dividend_date", "iv_rank", "iv_percentile", "iv_history"]).set_index("symbol")
    liq = pd.DataFrame(liq, index=ctx.index, dtype=float)
    fund = fundamentals.reindex(index=ctx.index, columns=list(FUNDAMENTALS)) if fundamentals is not None \
        else pd.DataFrame(np.nan, index=ctx.index, columns=list(FUNDAMENTALS))
    ctx = pd.concat([ctx, liq, fund], axis=1)   # the same index throughout: side by side, no join
    return pd.concat([ctx, quality_scores(ctx, quality)], axis=1), warnings
