"""Put screening for `putwheel plan`: attach context, then `core.screen_rows` (window, the pricing core's numbers,
the rules) on the frame's columns, then its numbers as columns and its reason codes as English.

Every put in the chain stays in the frame with a `reason` (empty = still a candidate), so the planner can
explain each rejection as data. Cheap rules run first on all rows; the pricing core runs only on the rows that
survive them, which keeps a 1.5M-contract snapshot within the planner's time budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from putwheel.screener import core
from putwheel.screener.rules import PutRules, window_text

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


def row_columns(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns `core.screen_rows` and `core.plan_rows` read, as arrays, from an `attach_context` frame."""
    c = {name: df[name].to_numpy(dtype=float)
         for name in ("strike", "multiplier", "bid", "ask", "mid", "dte", "spot", "open_interest", "volume",
                      "target_price", "rate", "dividend_yield", "realized_vol") + (("iv",) if "iv" in df else ())}
    for name in ("expiry", "earnings_date", "ex_dividend_date"):
        c[name] = pd.to_datetime(df[name]).to_numpy()
    c["quality_fail"] = df["quality_pass"].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
    return c


def _texts(rules: PutRules) -> dict[int, str]:
    """The English of the reason codes whose text has no number in it."""
    return {
        core.NO_TARGET: "no target price for this name",
        core.OFF_RUNG: f"expiry not on {window_text(rules)}",
        core.DTE_LOW: f"expiry sooner than dte_min {rules.dte_min}",
        core.DTE_HIGH: f"expiry later than dte_max {rules.dte_max}",
        core.NO_BID: "zero or missing bid: no premium to sell",
        core.CROSSED: "crossed market (ask below bid)",
        core.NO_MID: "no two-sided quote (mid missing)",
        core.NO_IV: "no usable implied vol (quote below intrinsic?)",
        core.EARNINGS: "earnings before expiry",
        core.EX_DIVIDEND: "ex-dividend date before expiry",
    }


def screen_reasons(df: pd.DataFrame, code: np.ndarray, c: Mapping[str, np.ndarray], vals: Mapping[str, np.ndarray],
                   rules: PutRules) -> None:
    """Write the screen's reasons (English made from the codes and the numbers that broke the rule) into `df`."""
    target = np.asarray(c["target_price"], dtype=float)
    floor = target * (1 - rules.strike_below_target_pct)
    why = df["quality_reason"].to_numpy(dtype=object)
    numbered: dict[int, Callable[[np.ndarray], list[str]]] = {
        core.ABOVE_TARGET: _fmt(target, "strike above target price {v:.2f}"),
        core.BELOW_FLOOR: _fmt(floor, f"strike more than {rules.strike_below_target_pct:.0%} below target "
                                      "(floor {v:.2f})"),
        core.DELTA: _fmt(np.abs(vals["delta"]), "|delta| {v:.2f} > " + f"{rules.max_abs_delta:g}"),
        core.OPEN_INTEREST: _fmt(np.nan_to_num(np.asarray(c["open_interest"], dtype=float), nan=0.0),
                                 "open interest {v:.0f} < " + f"{rules.min_open_interest}"),
        core.VOLUME: _fmt(np.nan_to_num(np.asarray(c["volume"], dtype=float), nan=0.0),
                          "volume {v:.0f} < " + f"{rules.min_volume}"),
        core.SPREAD: _fmt(vals["spread_pct"], "spread {v:.1%} of mid > " + f"{rules.max_spread_pct:.0%}"),
        core.RETURN: _fmt(vals["roc_annualized"], "annualized return {v:.2%} < " + f"{rules.min_annualized_return:.2%}"),
        core.QUALITY: lambda p: [f"underlying fails the quality screen: {why[i] or ''}" for i in p],
    }
    write_codes(df, code, {**_texts(rules), **numbered})


def write_codes(df: pd.DataFrame, code: np.ndarray, texts: Mapping[int, str | Callable[[np.ndarray], list[str]]]) -> None:
    """The rows of `df` with a reason code in `texts` get its text (a string, or a function of the rows' positions)
    and its kind ("window" for the DTE and target window, else "rule"); they stop being candidates."""
    with Reasons(df) as r:
        for value, text in texts.items():
            hit = (code == value) & r.open
            if hit.any():
                pos = np.flatnonzero(hit)
                r.col[pos] = text if isinstance(text, str) else np.asarray(list(text(pos)), dtype=object)
                r.codes[pos] = "window" if value in core.WINDOW_CODES else "rule"
        r.open &= ~np.isin(code, list(texts))


def with_numbers(df: pd.DataFrame, vals: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """`df` with the seller's numbers as columns: a reader's own column of that name replaced in place, the new ones
    added in one step (one at a time, pandas re-copies the frame's blocks: ~3 ms a call)."""
    full = dict(vals)
    for name in [n for n in full if n in df]:
        df[name] = full.pop(name)
    return pd.concat([df, pd.DataFrame(full, index=df.index)], axis=1)


def screen(chain: pd.DataFrame, underlyings: pd.DataFrame, rules: PutRules, as_of: pd.Timestamp,
           greeks: bool = True) -> pd.DataFrame:
    """The whole screen: every put with its seller's numbers and a `reason` (empty for candidates).

    `greeks=False` (callers that read only tickets): no gamma, theta, vega (see `core.seller_numbers`)."""
    df = attach_context(chain, underlyings, as_of)
    c = row_columns(df)
    code, vals = core.screen_rows(c, rules, np.datetime64(pd.Timestamp(as_of), "ns"), greeks)
    df = with_numbers(df, vals)
    screen_reasons(df, code, c, vals, rules)
    return df
