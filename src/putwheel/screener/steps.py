"""Put screening as pure frame -> frame steps: attach context, window, enrich with the pricing core, apply rules.

Every put in the chain stays in the frame with a `reason` (empty = still a candidate), so the planner can
explain each rejection as data. Cheap rules run first on all rows; the pricing core runs only on the rows that
survive them, which keeps a 1.5M-contract snapshot within the planner's time budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from putwheel.pricing import Greeks, american_delta, american_greeks, american_implied_vol, bs_price, prob_itm, prob_touch
from putwheel.screener.rules import PutRules, rung_of, window_text

CONTEXT_COLUMNS = (
    "target_price", "target_source", "sector", "rate", "dividend_yield", "realized_vol",
    "earnings_date", "ex_dividend_date", "quality_score", "quality_pass",
    "quality_reason",
)


Reason = str | pd.Series | Callable[[np.ndarray], Sequence[str]]


class Reasons:
    """Collects one step's rejections and writes them once (a 750k-row object column is rebuilt once, not per rule).

    Only the first failing rule is recorded: later rules never overwrite an earlier reason. `text` is one string, a
    Series aligned with the frame, or a function of the hit row positions returning one text per hit row (so numbers
    are formatted only for the rows that fail, not for a million rows).
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.open = df["candidate"].to_numpy(dtype=bool).copy()
        self.col = df["reason"].to_numpy(dtype=object).copy()
        self.codes = (df["reason_code"] if "reason_code" in df else pd.Series("", index=df.index)).to_numpy(dtype=object).copy()

    def reject(self, mask: np.ndarray | pd.Series, text: Reason, code: str = "rule") -> None:
        """Reject the open rows in `mask` with `text` (English for the edge) and `code` (what callers test)."""
        hit = np.asarray(mask.fillna(False) if isinstance(mask, pd.Series) else mask, dtype=bool) & self.open
        if not hit.any():
            return
        if isinstance(text, pd.Series):
            self.col[hit] = text.to_numpy()[hit]
        elif callable(text):
            self.col[hit] = np.asarray(list(text(np.flatnonzero(hit))), dtype=object)
        else:
            self.col[hit] = text
        self.codes[hit] = code
        self.open &= ~hit

    def __enter__(self) -> Reasons:
        return self

    def __exit__(self, *exc: object) -> None:
        self.df["reason"] = pd.Series(self.col, index=self.df.index, dtype=object)
        self.df["reason_code"] = pd.Series(self.codes, index=self.df.index, dtype=object)
        self.df["candidate"] = self.open


def _reject(df: pd.DataFrame, mask: np.ndarray | pd.Series, text: Reason) -> None:
    """One rule's rejections (see `Reasons`)."""
    with Reasons(df) as r:
        r.reject(mask, text)


def set_reasons(df: pd.DataFrame, hit: np.ndarray, values: object) -> None:
    """Write reasons for the `hit` rows and take them out of the candidates."""
    with Reasons(df) as r:
        r.col[hit] = values
        r.codes[hit] = "planner"
        r.open &= ~hit


def _fmt(values: np.ndarray, template: str) -> Callable[[np.ndarray], list[str]]:
    """A reason-text builder: `template` formatted with the failing row's value (`{v}`)."""
    return lambda pos: [template.format(v=v) for v in values[pos]]


def attach_context(chain: pd.DataFrame, underlyings: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Join per-underlying context (target, sector, rates, events, quality) onto each put of the chain.

    Fills what a reader may have left out: `mid` from bid/ask (when the column is absent), `dte` from `as_of`,
    `multiplier` 100.
    """
    right = chain["right"]
    is_put = (right == "P").to_numpy() if right.dtype == object else (right.astype(str) == "P").to_numpy()
    puts = chain if is_put.all() else chain.loc[is_put]   # (the join below copies: no need to copy an all-puts chain)
    ctx = underlyings.reindex(columns=list(CONTEXT_COLUMNS))
    if ctx.index.is_unique and not set(ctx.columns) & set(puts.columns):   # a left join on a unique key, by position
        looked_up = ctx.reindex(puts["underlying"].to_numpy())
        looked_up.index = puts.index
        out = pd.concat([puts, looked_up], axis=1)
    else:
        out = puts.join(ctx, on="underlying")
    if "mid" not in out:  # a reader's NaN mid (no two-sided quote) stays NaN and is rejected in `window`
        out["mid"] = (out["bid"].to_numpy(dtype=float) + out["ask"].to_numpy(dtype=float)) / 2
    if "dte" not in out or out["dte"].isna().any():
        out["dte"] = (pd.to_datetime(out["expiry"]).dt.normalize() - as_of.normalize()).dt.days
    if "multiplier" not in out:
        out["multiplier"] = 100
    out = out.reset_index(drop=True)
    out["reason"] = pd.Series("", index=out.index, dtype=object)
    out["reason_code"] = pd.Series("", index=out.index, dtype=object)
    out["candidate"] = True  # False once a rule (or the optimizer) gives the put a reason
    return out


def window(df: pd.DataFrame, rules: PutRules) -> pd.DataFrame:
    """DTE window, target price and quote sanity: all vectorized, before any pricing."""
    dte = df["dte"].to_numpy(dtype=float)
    strike = df["strike"].to_numpy(dtype=float)
    target = df["target_price"].to_numpy(dtype=float)
    floor = target * (1 - rules.strike_below_target_pct)
    bid, ask = df["bid"].to_numpy(dtype=float), df["ask"].to_numpy(dtype=float)
    with Reasons(df) as r:
        r.reject(~np.isfinite(target), "no target price for this name", "window")
        if rules.ladder == "rungs":
            r.reject(rung_of(dte, rules) == 0, f"expiry not on {window_text(rules)}", "window")
        else:
            r.reject(dte < rules.dte_min, f"expiry sooner than dte_min {rules.dte_min}", "window")
            r.reject(dte > rules.dte_max, f"expiry later than dte_max {rules.dte_max}", "window")
        r.reject(strike > target + 1e-9, _fmt(target, "strike above target price {v:.2f}"), "window")
        r.reject(strike < floor - 1e-9, _fmt(floor, f"strike more than {rules.strike_below_target_pct:.0%} below target "
                                                    "(floor {v:.2f})"), "window")
        r.reject(~(bid > 0), "zero or missing bid: no premium to sell")
        r.reject(~(ask >= bid), "crossed market (ask below bid)")
        r.reject(~np.isfinite(df["mid"].to_numpy(dtype=float)), "no two-sided quote (mid missing)")
    return df


def _iv_for_pricing(col: Callable[[str], np.ndarray], has_iv: bool, t: np.ndarray) -> np.ndarray:
    """Provider IV where it is plausible, else the American IV implied by the mid (the data layer flags which)."""
    iv = col("iv") if has_iv else np.full(len(t), np.nan)
    bad = ~np.isfinite(iv) | (iv < 0.01) | (iv > 5)
    if bad.any():
        s, k = col("spot")[bad], col("strike")[bad]
        r, q = col("rate")[bad], col("dividend_yield")[bad]
        res = american_implied_vol(col("mid")[bad], s, k, t[bad], r, q, np.zeros(bad.sum(), dtype=bool))
        iv = iv.copy()
        iv[bad] = np.asarray(res.iv)
    return iv


def _delta_only(s: np.ndarray, k: np.ndarray, t: np.ndarray, r: np.ndarray, q: np.ndarray, iv: np.ndarray,
                 put: np.ndarray) -> Greeks:
    """`american_greeks` with only its delta (bit for bit, ~1/5 of the cost: no bumped re-solves); the rest NaN."""
    nan = np.full(len(s), np.nan)
    return Greeks(nan, american_delta(s, k, t, r, q, iv, put), nan, nan, nan, nan)


def enrich(df: pd.DataFrame, rules: PutRules, as_of: pd.Timestamp, greeks: bool = True) -> pd.DataFrame:
    """Seller's numbers for every surviving put: Greeks, assignment odds, yields, breakeven, expected value.

    `greeks=False`: delta only (what the rules and a ticket read); gamma, theta and vega stay NaN."""
    live = df["candidate"].to_numpy(dtype=bool)

    def col(name: str) -> np.ndarray:   # the surviving rows of one column, as floats
        return df[name].to_numpy(dtype=float)[live]

    s, k = col("spot"), col("strike")
    dte = col("dte")
    t = np.maximum(dte, 0.5) / 365.0
    r, q = col("rate"), col("dividend_yield")
    mid, bid = col("mid"), col("bid")
    iv = _iv_for_pricing(col, "iv" in df, t)
    put = np.zeros(len(s), dtype=bool)
    # listed single-stock puts are American: so are their Greeks
    g = (american_greeks if greeks else _delta_only)(s, k, t, r, q, iv, put)
    # Expected value at expiry under a real-world drift (T-bill + equity risk premium) and realized vol where known:
    # E_P[(K - S_T)+] = e^{mu T} * BS_put(rate=mu). The seller's edge is IV above realized vol (the variance premium).
    mu = r + rules.equity_risk_premium
    rv = col("realized_vol")
    sigma_p = np.where(np.isfinite(rv) & (rv > 0), rv, iv)
    exp_payoff = np.exp(mu * t) * np.asarray(bs_price(s, k, t, mu, q, sigma_p, put))
    ev = mid * np.exp(r * t) - exp_payoff
    cols = {
        "iv_used": iv, "delta": g.delta, "gamma": g.gamma, "theta": g.theta, "vega": g.vega_per_vol_point,
        "prob_assign": np.asarray(prob_itm(s, k, t, r, q, iv, put)), "prob_touch": np.asarray(prob_touch(s, k, t, r, q, iv)),
        "premium_mid": mid, "premium_bid": bid,
        "spread_pct": (col("ask") - bid) / np.where(mid > 0, mid, np.nan),
        "roc": mid / k, "roc_annualized": mid / k * 365.0 / np.maximum(dte, 1.0),
        "breakeven": k - mid, "discount_to_spot": 1.0 - (k - mid) / s,
        "ev_per_share": ev, "ev_annualized": ev / k * 365.0 / np.maximum(dte, 1.0),
        "excess_over_tbill": mid / k * 365.0 / np.maximum(dte, 1.0) - r,
    }
    earn = pd.to_datetime(df["earnings_date"]).to_numpy()[live]
    cols["days_to_earnings"] = (earn - np.datetime64(pd.Timestamp(as_of), "ns")) / np.timedelta64(1, "D")
    full = {}
    for name, values in cols.items():
        col = np.full(len(df), np.nan)
        col[live] = values
        full[name] = col
    for name in [n for n in full if n in df]:   # a reader's own column of that name is replaced in place
        df[name] = full.pop(name)
    # the new columns in one step (one at a time, pandas re-copies the frame's blocks: ~3 ms a call)
    return pd.concat([df, pd.DataFrame(full, index=df.index)], axis=1)


def _events(df: pd.DataFrame, pos: np.ndarray, column: str, as_of: pd.Timestamp) -> np.ndarray:
    """Rows (of all) whose event date in `column` falls between `as_of` and expiry; computed on `pos` only."""
    when = pd.to_datetime(df[column]).to_numpy()[pos]   # the two columns alone, not a copy of the frame's rows
    hit = np.zeros(len(df), dtype=bool)
    hit[pos] = (when >= as_of.to_datetime64()) & (when <= pd.to_datetime(df["expiry"]).to_numpy()[pos])
    return hit


def apply_rules(df: pd.DataFrame, rules: PutRules, as_of: pd.Timestamp) -> pd.DataFrame:
    """Liquidity, delta, return and event rules, each rejection with the numbers that broke it."""
    pos = np.flatnonzero(df["candidate"].to_numpy(dtype=bool))  # the enriched survivors; the rest keep their reason
    delta = np.abs(df["delta"].to_numpy(dtype=float))
    oi = np.nan_to_num(df["open_interest"].to_numpy(dtype=float), nan=0.0)
    vol = np.nan_to_num(df["volume"].to_numpy(dtype=float), nan=0.0)
    spread = df["spread_pct"].to_numpy(dtype=float)
    ann = df["roc_annualized"].to_numpy(dtype=float)
    failed = np.zeros(len(df), dtype=bool)
    failed[pos] = df["quality_pass"].iloc[pos].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
    why = df["quality_reason"].to_numpy(dtype=object)
    with Reasons(df) as r:
        r.reject(~np.isfinite(df["iv_used"].to_numpy(dtype=float)), "no usable implied vol (quote below intrinsic?)")
        r.reject(delta > rules.max_abs_delta, _fmt(delta, "|delta| {v:.2f} > " + f"{rules.max_abs_delta:g}"))
        r.reject(oi < rules.min_open_interest, _fmt(oi, "open interest {v:.0f} < " + f"{rules.min_open_interest}"))
        r.reject(vol < rules.min_volume, _fmt(vol, "volume {v:.0f} < " + f"{rules.min_volume}"))
        r.reject(spread > rules.max_spread_pct, _fmt(spread, "spread {v:.1%} of mid > " + f"{rules.max_spread_pct:.0%}"))
        r.reject(ann < rules.min_annualized_return,
                 _fmt(ann, "annualized return {v:.2%} < " + f"{rules.min_annualized_return:.2%}"))
        if rules.skip_earnings:
            r.reject(_events(df, pos, "earnings_date", as_of), "earnings before expiry")
        if rules.skip_ex_dividend:
            r.reject(_events(df, pos, "ex_dividend_date", as_of), "ex-dividend date before expiry")
        r.reject(failed, lambda p: [f"underlying fails the quality screen: {why[i] or ''}" for i in p])  # NA passes
    return df


def screen(chain: pd.DataFrame, underlyings: pd.DataFrame, rules: PutRules, as_of: pd.Timestamp,
           greeks: bool = True) -> pd.DataFrame:
    """The whole screen: every put with its seller's numbers and a `reason` (empty for candidates).

    `greeks=False` (callers that read only tickets): no gamma, theta, vega (see `enrich`)."""
    return (attach_context(chain, underlyings, as_of)
            .pipe(window, rules)
            .pipe(enrich, rules, as_of, greeks)
            .pipe(apply_rules, rules, as_of))
