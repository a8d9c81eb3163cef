"""From screened puts to tickets: pick with the cash-secured optimizer, size, price at the tick, explain.

Stages: `core.plan_rows` (every put's reason code, the candidates, `portfolio.select`, the tickets' order and limit
prices) -> the screen's frame with every reason in English -> tickets with a `why` -> every unchosen candidate gets
a portfolio-stage reason -> the "everything assigned" view (what you would own, at what basis, with sector weights).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from putwheel.screener import core
from putwheel.screener.portfolio import Holdings, cap_groups, capital, ladder_keys
from putwheel.screener.rules import UNKNOWN_SECTOR, PutRules, names_per_rung
from putwheel.screener.steps import attach_context, row_columns, screen_reasons, set_reasons, with_numbers, write_codes

TICKET_COLUMNS = [
    "underlying", "occ_symbol", "expiry", "dte", "strike", "multiplier", "contracts", "limit_price", "bid", "ask", "premium_mid",
    "premium_bid", "open_interest", "spread_pct", "spot", "collateral",
    "income", "roc_annualized", "delta", "prob_assign", "prob_touch", "breakeven", "discount_to_spot", "iv_used",
    "ev_per_share", "days_to_earnings", "target_price", "target_source", "sector", "why",
]


_TICKET_INPUTS = frozenset(TICKET_COLUMNS) | {"ev_per_share"}
ASSIGNED_COLUMNS = ["underlying", "sector", "shares", "cost", "held", "net_basis_per_share", "weight", "sector_weight"]


@dataclass(frozen=True)
class PlanResult:
    tickets: pd.DataFrame  # one row per Sell-to-Open ticket
    screened: pd.DataFrame  # every put considered, with `reason` ('' only for chosen tickets)
    assigned: pd.DataFrame  # per name: shares, basis and weight if every put were assigned
    free_cash: float
    collateral_used: float
    status: str
    warnings: tuple[str, ...]


def _why(row: pd.Series, n_alternatives: int) -> str:
    return (f"most income within cash and caps among {n_alternatives} qualifying put(s) on {row['underlying']}: "
            f"strike {row['strike']:g} ≤ target {row['target_price']:.2f} ({row['target_source']}), {int(row['dte'])} DTE, "
            f"delta {row['delta']:+.2f}, {row['roc_annualized']:.1%} annualized on collateral, basis if assigned "
            f"{row['breakeven']:.2f} ({row['discount_to_spot']:.1%} under spot)")


def _portfolio_reasons(df: pd.DataFrame, chosen: np.ndarray, corr: pd.DataFrame | None, rules: PutRules,
                       holdings: Holdings) -> np.ndarray:
    """Why a qualifying put was not picked, in the optimizer's terms (one text per candidate row).

    Checked in order: another put of the same name won; a chosen name is too correlated; the name count is full;
    the expiry's ladder rung is full; otherwise cash and caps went to puts that pay more.
    """
    names = df["underlying"].astype(str).to_numpy()
    out = np.full(len(df), "not chosen: cash and caps were better used elsewhere", dtype=object)
    chosen_names = sorted(set(names[chosen]))
    same = np.isin(names, chosen_names) & ~chosen
    out[same] = "not chosen: another strike/expiry of this name gives more income"
    open_ = ~chosen & ~same
    held = set(holdings.names)
    if len(set(chosen_names) | held) >= rules.max_names:
        out[open_ & ~np.isin(names, sorted(held))] = f"not chosen: max_names {rules.max_names} filled by better-paying names"
    cap = names_per_rung(rules)
    keys = ladder_keys(df, rules)
    used = pd.Series(keys[chosen]).value_counts()
    for key in used.index[used >= cap]:
        hit = open_ & (keys == key) & (out == "not chosen: cash and caps were better used elsewhere")
        out[hit] = f"not chosen: {key} already holds {cap} name(s) (the ladder's cap)"
    if corr is not None and not corr.empty and chosen_names:
        others = sorted(set(names[open_]))
        vals = corr.reindex(index=others, columns=chosen_names).to_numpy(dtype=float)
        over = np.nan_to_num(vals, nan=-np.inf) > rules.max_pair_correlation
        for i in np.flatnonzero(over.any(axis=1)):  # one pass per too-correlated name, not per contract
            j = int(np.argmax(over[i]))
            out[(names == others[i]) & open_] = (
                f"not chosen: correlation {vals[i, j]:.2f} with {chosen_names[j]} > {rules.max_pair_correlation:.2f}")
    return out


def plan_texts(rules: PutRules, free_cash: float, holdings: Holdings, plan: core.RowPlan, names: np.ndarray,
               sectors: np.ndarray) -> dict[int, str | Callable[[np.ndarray], list[str]]]:
    """The English of the plan's own reason codes: a holding too correlated, one contract unaffordable."""
    coll, room, sector_room = plan.room["collateral_one"], plan.room["name_room"], plan.room["sector_room"]
    pct = f"{rules.max_pct_per_name:.0%} of {capital(free_cash, holdings):,.0f} capital"
    cap = rules.max_pair_correlation
    blocked = {n: f"correlation {rho:.2f} with {held} (held) > {cap:.2f}" for n, (rho, held) in plan.blocked.items()}
    return {
        core.HELD_CORRELATION: lambda p: [blocked[n] for n in names[p]],
        core.CASH: lambda p: [f"one contract needs {c:,.0f} collateral, free cash is {free_cash:,.0f}" for c in coll[p]],
        core.NAME_CAP: lambda p: [f"one contract needs {c:,.0f} collateral, above the per-name cap {m:,.0f} ({pct})"
                                  for c, m in zip(coll[p], room[p], strict=True)],
        core.SECTOR_CAP: lambda p: [f"one contract needs {c:,.0f} collateral, above the room {m:,.0f} left under the "
                                    f"{rules.max_pct_per_sector:.0%} cap for "
                                    + ("this name (sector not known)" if sec == UNKNOWN_SECTOR else f"sector {sec}")
                                    for c, m, sec in zip(coll[p], sector_room[p], sectors[p], strict=True)],
    }


def assigned_view(tickets: pd.DataFrame, holdings: Holdings, free_cash: float) -> pd.DataFrame:
    """If every put were assigned: shares bought, their cost at the strike, net basis (strike - premium), what each
    name already holds (collateral or shares, from `holdings`), and name and sector weights of the whole account
    (free cash plus holdings: what the caps are a share of). Names held without a new put are listed too."""
    cols = ASSIGNED_COLUMNS
    new = pd.DataFrame({
        "underlying": tickets["underlying"], "sector": tickets["sector"].fillna(UNKNOWN_SECTOR),
        "shares": (tickets["contracts"] * tickets["multiplier"]).astype(int), "cost": tickets["collateral"],
        "net_basis_per_share": tickets["strike"] - tickets["limit_price"],
    }) if not tickets.empty else pd.DataFrame(columns=[c for c in cols if c not in ("held", "weight", "sector_weight")])
    held_only = [n for n in holdings.names if n not in set(new["underlying"])]
    if held_only:
        new = pd.concat([new, pd.DataFrame({"underlying": held_only, "shares": 0, "cost": 0.0,
                                            "sector": [holdings.sector_by_name.get(n, UNKNOWN_SECTOR) for n in held_only],
                                            "net_basis_per_share": np.nan})], ignore_index=True)
    if new.empty:
        return pd.DataFrame(columns=cols)
    new["held"] = new["underlying"].map(holdings.exposure_by_name).fillna(0.0).astype(float)
    total = capital(free_cash, holdings)
    new["weight"] = (new["cost"].astype(float) + new["held"]) / total if total > 0 else np.nan
    # per sector-cap group, as the caps count: a name with no sector is a group of its own (`cap_group`)
    groups = cap_groups(new["underlying"].to_numpy(dtype=object), new["sector"].astype(str).to_numpy(dtype=object))
    new["sector_weight"] = new["weight"].groupby(groups).transform("sum").to_numpy()
    return new.reindex(columns=cols).reset_index(drop=True)


def build_plan(chain: pd.DataFrame, underlyings: pd.DataFrame, rules: PutRules, free_cash: float,
               as_of: pd.Timestamp, holdings: Holdings | None = None, corr: pd.DataFrame | None = None,
               objective: str = "premium", explain: bool = True) -> PlanResult:
    """The weekly plan: screen, select, size, explain. Total collateral never exceeds `free_cash`.

    The rules are `core.plan_rows` (on the frame's columns); this wraps it in frames and English. (The Wheel
    backtest's planner entry calls `core.plan_rows` itself, on arrays: `backtest.planned.plan_puts`.)
    `explain=False` is for callers that read only the tickets' numbers: the same tickets, but no English is built
    for them -- unchosen candidates get no portfolio-stage reason (they stay `candidate` in `screened`), tickets'
    `why` is empty, `assigned` is empty, and the screen prices delta alone (gamma, theta, vega NaN: no rule reads
    them)."""
    holdings = holdings or Holdings()
    warnings: list[str] = []
    df = attach_context(chain, underlyings, as_of)
    c = row_columns(df)
    names = df["underlying"].astype(str).to_numpy(dtype=object)
    sectors = df["sector"].fillna(UNKNOWN_SECTOR).astype(str).to_numpy(dtype=object)
    plan = core.plan_rows(c, names, sectors, rules, free_cash, np.datetime64(pd.Timestamp(as_of), "ns"), holdings, corr,
                          objective, greeks=explain)
    df = with_numbers(df, plan.numbers)
    screen_reasons(df, plan.code, c, plan.numbers, rules)
    write_codes(df, plan.code, plan_texts(rules, free_cash, holdings, plan, names, sectors))
    cand_mask = df["candidate"].to_numpy(dtype=bool)
    # the candidates with the columns a ticket (or the optimizer) reads: a narrow copy, not the screen's 60 columns
    cands = df.loc[cand_mask, [c for c in df.columns if c in _TICKET_INPUTS]]
    sel = plan.selection
    chosen_local = sel.contracts > 0
    if explain:
        reasons = _portfolio_reasons(cands, chosen_local, corr, rules, holdings)
        unchosen = np.zeros(len(df), dtype=bool)
        unchosen[np.flatnonzero(cand_mask)[~chosen_local]] = True
        set_reasons(df, unchosen, reasons[~chosen_local])
    picked = cands.take(plan.tickets)   # the chosen rows in ticket order
    n, lp = plan.contracts, plan.limit
    strike, mult = picked["strike"].to_numpy(dtype=float), picked["multiplier"].to_numpy()
    sized = {"contracts": n, "limit_price": lp, "breakeven": strike - lp}   # the basis at the price actually asked
    sized["discount_to_spot"] = 1.0 - sized["breakeven"] / picked["spot"].to_numpy(dtype=float)
    sized["collateral"] = strike * mult * n
    sized["income"] = lp * mult * n
    tickets = picked.reindex(columns=TICKET_COLUMNS).reset_index(drop=True)
    tickets[list(sized)] = pd.DataFrame(sized)
    if explain:
        alt = cands.groupby("underlying").size()
        tickets["why"] = [_why(r, int(alt[r["underlying"]])) for _, r in tickets.iterrows()]
    else:
        tickets["why"] = ""
    used = float(tickets["collateral"].sum())   # (`core.plan_rows` checked it against free cash)
    n_names = len(tickets) + len(holdings.names)
    if n_names < rules.min_names:
        warnings.append(f"only {n_names} name(s) in the plan and holdings, below min_names {rules.min_names}: "
                        "add names to the watchlist, loosen rules, or add cash")
    assigned = assigned_view(tickets, holdings, free_cash) if explain else pd.DataFrame(columns=ASSIGNED_COLUMNS)
    return PlanResult(tickets, df, assigned, free_cash, used, sel.status, tuple(warnings))
