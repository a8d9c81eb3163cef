"""build_plan and underlying_context on hand-built chains: bad input is a warning and the rest is still planned."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from putwheel.screener.context import underlying_context
from putwheel.screener.plan import build_plan
from putwheel.screener.portfolio import Holdings
from putwheel.screener.rules import PutRules, QualityThresholds, WatchItem

from .chains import AS_OF, chain, context, put

TS = pd.Timestamp(AS_OF)


def test_build_plan_sizes_tickets_and_explains_the_rest():
    # AAA: strike 95 put, 9,500 collateral, limit 1.20 (mid), cap 20 % of 100,000 = 20,000 -> 2 contracts, 240 income.
    # BBB: strike 47, mid 0.60 (annualized 0.60 / 47 × 365 / 35 = 13.3 %), 4,700 each -> 4 contracts = 18,800, 240.
    ch = chain(put("AAA"), put("AAA", strike=92.0, bid=0.70, ask=0.80),
               put("BBB", spot=50.0, strike=47.0, bid=0.58, ask=0.62))
    res = build_plan(ch, context("AAA", "BBB", target={"AAA": 96.0, "BBB": 48.0}, sector={"AAA": "s1", "BBB": "s2"}),
                     PutRules(), 100_000.0, TS)
    t = res.tickets.set_index("underlying")
    assert list(t.index) == ["AAA", "BBB"]
    assert t.at["AAA", "contracts"] == 2 and t.at["AAA", "collateral"] == 19_000.0
    assert t.at["AAA", "limit_price"] == pytest.approx(1.20) and t.at["AAA", "income"] == pytest.approx(240.0)
    assert t.at["BBB", "contracts"] == 4 and t.at["BBB", "collateral"] == 18_800.0
    assert res.collateral_used == 37_800.0 <= res.free_cash
    assert "strike 95 ≤ target 96.00" in t.at["AAA", "why"]
    reasons = res.screened.set_index("strike")["reason"]
    assert reasons[92.0] == "not chosen: another strike/expiry of this name gives more income"
    assert reasons[95.0] == "" and reasons[47.0] == ""
    a = res.assigned.set_index("underlying")
    assert a.at["AAA", "shares"] == 200 and a.at["AAA", "net_basis_per_share"] == pytest.approx(93.80)
    # weights are shares of the whole account (what the caps are a share of), not of the new puts alone
    assert a.at["AAA", "weight"] == pytest.approx(19_000.0 / 100_000.0)
    assert a.at["AAA", "weight"] <= PutRules().max_pct_per_name
    assert a["weight"].sum() == pytest.approx(37_800.0 / 100_000.0)


def test_assigned_view_counts_what_is_already_held_and_lists_held_names():
    from putwheel.screener.portfolio import Holdings

    ch = chain(put("AAA"), put("BBB", spot=50.0, strike=47.0, bid=0.58, ask=0.62))
    held = Holdings(exposure_by_name={"AAA": 10_000.0, "CCC": 5_000.0}, sector_by_name={"AAA": "s1", "CCC": "s1"})
    res = build_plan(ch, context("AAA", "BBB", target={"AAA": 96.0, "BBB": 48.0}, sector={"AAA": "s1", "BBB": "s2"}),
                     PutRules(), 85_000.0, TS, holdings=held)
    a = res.assigned.set_index("underlying")
    assert set(a.index) == {"AAA", "BBB", "CCC"} and a.at["CCC", "shares"] == 0 and a.at["CCC", "held"] == 5_000.0
    total = 85_000.0 + 15_000.0
    assert a.at["AAA", "weight"] == pytest.approx((a.at["AAA", "cost"] + 10_000.0) / total)
    assert (a["weight"] <= PutRules().max_pct_per_name + 1e-9).all()      # the cap the planner applied, shown as such
    assert a.at["CCC", "sector_weight"] == pytest.approx(a.loc[["AAA", "CCC"], "weight"].sum())


def test_build_plan_not_enough_cash_for_one_contract_is_a_reason_not_an_error():
    # Free cash 5,000: AAA needs 9,500 for one contract; BBB needs 4,700 and fits once.
    ch = chain(put("AAA"), put("BBB", spot=50.0, strike=47.0, bid=0.58, ask=0.62))
    res = build_plan(ch, context("AAA", "BBB", target={"AAA": 96.0, "BBB": 48.0}, sector={"AAA": "s1", "BBB": "s2"}),
                     PutRules(max_pct_per_name=1.0, max_pct_per_sector=1.0), 5_000.0, TS)
    assert list(res.tickets["underlying"]) == ["BBB"] and res.tickets["contracts"].iloc[0] == 1
    aaa = res.screened.loc[res.screened["underlying"] == "AAA", "reason"].iloc[0]
    assert aaa == "one contract needs 9,500 collateral, free cash is 5,000"


def test_build_plan_per_name_cap_too_small_for_one_contract():
    # Cap 5 % of 100,000 = 5,000 < 9,500 for one AAA contract.
    res = build_plan(chain(put("AAA")), context("AAA"), PutRules(max_pct_per_name=0.05), 100_000.0, TS)
    assert res.tickets.empty
    assert res.screened["reason"].iloc[0] == ("one contract needs 9,500 collateral, above the per-name cap 5,000 "
                                              "(5% of 100,000 capital)")
    assert any("below min_names" in w for w in res.warnings)


def test_build_plan_blocks_names_correlated_with_holdings():
    corr = pd.DataFrame([[1.0, 0.9], [0.9, 1.0]], index=["AAA", "HELD"], columns=["AAA", "HELD"])
    res = build_plan(chain(put("AAA")), context("AAA"), PutRules(), 100_000.0, TS,
                     Holdings({"HELD": 10_000.0}, {"HELD": "s9"}), corr)
    assert res.tickets.empty
    assert res.screened["reason"].iloc[0] == "correlation 0.90 with HELD (held) > 0.75"


def _ctx(items, ch, rules=None):
    return underlying_context(items, ch, None, {}, 0.04, rules or PutRules(), QualityThresholds())


def test_context_unknown_symbol_is_skipped_with_a_warning():
    ctx, warnings = _ctx([WatchItem(symbol="AAA", target_price=96), WatchItem(symbol="ZZZZ")], chain(put("AAA")))
    assert list(ctx.index) == ["AAA"]
    assert "ZZZZ: unknown symbol, no option chain in the source; skipped" in warnings


def test_context_names_without_a_sector_are_warned_about_and_each_capped_alone():
    # Three unlabelled names and one in Energy, strike-95 puts (9,500 a contract), 100,000 of cash, 20 % a name and
    # 40 % a sector: each name fills its own 20,000 cap with 2 contracts (76,000 in all). Lumped into one "unknown"
    # sector the three would have shared 40,000: 4 contracts between them.
    ch = chain(*(put(n) for n in ("AAA", "BBB", "CCC", "DDD")))
    items = [WatchItem(symbol=n, target_price=96, sector="Energy" if n == "CCC" else None)
             for n in ("AAA", "BBB", "CCC", "DDD")]
    ctx, warnings = _ctx(items, ch)
    assert ("sector not known for AAA, BBB, DDD: the 40% sector cap treats each as a sector of its own (set sector "
            "in the watchlist)") in warnings
    res = build_plan(ch, ctx, PutRules(max_names_per_expiry=4), 100_000.0, TS)
    assert dict(zip(res.tickets["underlying"], res.tickets["contracts"], strict=True)) == {
        "AAA": 2, "BBB": 2, "CCC": 2, "DDD": 2}
    # the "everything assigned" view weighs sectors as the caps count them: an unlabelled name is its own group
    weights = res.assigned.set_index("underlying")["sector_weight"]
    assert weights.to_dict() == pytest.approx({n: 0.19 for n in ("AAA", "BBB", "CCC", "DDD")})


def test_index_etfs_are_one_index_sector_with_no_earnings_to_check():
    # SPY and QQQ (the built-in table, as `putwheel plan` passes it for market sources): one "Index" sector under the
    # sector cap, and neither the no-sector nor the earnings warning.
    from putwheel.data.universe import SECTORS

    ch = chain(put("SPY"), put("QQQ"))
    items = [WatchItem(symbol="SPY", target_price=96), WatchItem(symbol="QQQ", target_price=96)]
    ctx, warnings = underlying_context(items, ch, None, SECTORS, 0.04, PutRules(), QualityThresholds())
    assert ctx["sector"].tolist() == ["Index", "Index"]
    assert not any(w.startswith(("sector not known", "earnings date not known")) for w in warnings)


def test_context_no_chain_in_dte_window_warns_and_others_are_planned():
    ch = chain(put("AAA"), put("BBB", dte=7), put("BBB", dte=70))
    items = [WatchItem(symbol="AAA", target_price=96), WatchItem(symbol="BBB", target_price=96)]
    ctx, warnings = _ctx(items, ch)
    assert "BBB: no expiry within the DTE window 30-45 days; skipped" in warnings
    res = build_plan(ch, ctx, PutRules(), 100_000.0, TS)
    assert list(res.tickets["underlying"]) == ["AAA"]
    assert set(res.screened.loc[res.screened["underlying"] == "BBB", "reason"]) == {
        "expiry sooner than dte_min 30", "expiry later than dte_max 45"}


def test_context_target_above_spot_warns_itm_put_but_plans_it():
    # Target 104 over spot 100: the 100 strike put is in the money by construction; allowed, with a warning.
    ch = chain(put("AAA", strike=100.0, bid=3.40, ask=3.60))
    ctx, warnings = _ctx([WatchItem(symbol="AAA", target_price=104)], ch)
    assert any(w.startswith("AAA: target 104.00 is above spot 100.00") and "in the money" in w for w in warnings)
    assert ctx.at["AAA", "target_price"] == 104


def test_context_target_rules_say_who_set_the_target():
    closes = pd.DataFrame({"AAA": [90.0 + i % 10 for i in range(80)]}, index=pd.bdate_range("2023-11-01", periods=80))
    items = [WatchItem(symbol="AAA", target_rule={"kind": "swing_low", "days": 20})]
    ctx, _ = underlying_context(items, chain(put("AAA")), closes, {}, 0.04, PutRules(), QualityThresholds())
    assert ctx.at["AAA", "target_price"] == 90.0 and ctx.at["AAA", "target_source"] == "20-day swing low"
    items = [WatchItem(symbol="AAA", target_rule={"kind": "pct_below_spot", "pct": 0.03})]
    ctx, _ = _ctx(items, chain(put("AAA")))
    assert ctx.at["AAA", "target_price"] == pytest.approx(97.0) and ctx.at["AAA", "target_source"] == "3% below spot"
    items = [WatchItem(symbol="AAA", target_rule={"kind": "valuation", "fair_value": 110, "margin_of_safety": 0.1})]
    ctx, _ = _ctx(items, chain(put("AAA")))
    assert ctx.at["AAA", "target_price"] == pytest.approx(99.0)


def test_context_missing_history_shows_missing_quality_parts():
    ctx, _ = _ctx([WatchItem(symbol="AAA", target_price=96)], chain(put("AAA")))
    assert pd.isna(ctx.at["AAA", "q_realized_vol"]) and pd.isna(ctx.at["AAA", "q_market_cap"])
    assert ctx.at["AAA", "quality_missing"] == 8  # only the two option-liquidity parts are known


SECTOR_OF = {"AAA": "s1", "BBB": "s1", "CCC": "s2", "DDD": "s3"}
SPOT_OF = {"AAA": 50.0, "BBB": 95.0, "CCC": 180.0, "DDD": 400.0}
put_strategy = st.tuples(st.sampled_from(sorted(SECTOR_OF)), st.floats(0.80, 1.0), st.floats(0.002, 0.05),
                         st.sampled_from([30, 37, 44]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(put_strategy, min_size=1, max_size=12), free_cash=st.floats(0.0, 150_000.0),
       name_cap=st.floats(0.05, 1.0), sector_cap=st.floats(0.05, 1.0))
def test_build_plan_tickets_are_cash_secured_and_within_caps(rows, free_cash, name_cap, sector_cap):
    """Whatever the chain: tickets' collateral ≤ free cash, per name ≤ name cap, per sector ≤ sector cap."""
    puts = [put(sym, spot=SPOT_OF[sym], strike=round(SPOT_OF[sym] * moneyness, 1), bid=round(SPOT_OF[sym] * prem, 2),
                ask=round(SPOT_OF[sym] * prem * 1.05, 2) + 0.01, dte=dte, iv=float("nan"))
            for sym, moneyness, prem, dte in rows]
    ctx = context(*SECTOR_OF, target=SPOT_OF, sector=SECTOR_OF)
    # Rules loosened so that every put is a candidate: what is left to test is the optimizer's cash and caps.
    rules = PutRules(max_pct_per_name=name_cap, max_pct_per_sector=sector_cap, strike_below_target_pct=0.49,
                     max_abs_delta=1.0, min_open_interest=0, max_spread_pct=2.0, min_annualized_return=0.0)
    res = build_plan(chain(*puts), ctx, rules, free_cash, TS)
    t = res.tickets
    assert t["collateral"].sum() <= free_cash + 1e-6
    assert (t["collateral"] == t["strike"] * 100 * t["contracts"]).all()
    assert (t.groupby("underlying")["collateral"].sum() <= name_cap * free_cash + 1e-6).all()
    assert (t.groupby("sector")["collateral"].sum() <= sector_cap * free_cash + 1e-6).all()
    assert t["underlying"].is_unique and (t["contracts"] >= 1).all()
    if free_cash >= 100_000 and min(name_cap, sector_cap) >= 0.5:  # room for one contract of any put: not vacuous
        assert len(t) >= 1


def test_build_plan_portfolio_reasons_name_the_binding_constraint():
    # Four names in four sectors, one put each, all on one expiry. max_names 3 and 2 names per expiry:
    # the ladder binds first (2 names), so the other two are "expiry full". With max_names 1 the name count binds.
    ch = chain(*(put(sym, strike=95.0, bid=b, ask=b + 0.1) for sym, b in (("AAA", 1.5), ("BBB", 1.4), ("CCC", 1.3),
                                                                            ("DDD", 1.2))))
    ctx = context("AAA", "BBB", "CCC", "DDD", sector={"AAA": "a", "BBB": "b", "CCC": "c", "DDD": "d"})
    res = build_plan(ch, ctx, PutRules(max_names=3, min_names=1, max_names_per_expiry=2), 100_000.0, TS)
    reasons = res.screened.set_index("underlying")["reason"]
    assert list(res.tickets["underlying"]) == ["AAA", "BBB"]
    full = "not chosen: expiry 2024-04-05 already holds 2 name(s) (the ladder's cap)"
    assert reasons["CCC"] == reasons["DDD"] == full
    res = build_plan(ch, ctx, PutRules(max_names=1, min_names=1), 100_000.0, TS)
    assert res.screened.set_index("underlying")["reason"]["BBB"] == "not chosen: max_names 1 filled by better-paying names"


def test_build_plan_sector_cap_too_small_for_one_contract():
    # Sector cap 5 % of 100,000 = 5,000; one AAA contract needs 95 × 100 = 9,500.
    ctx = context("AAA", sector="s")
    res = build_plan(chain(put("AAA")), ctx, PutRules(max_pct_per_sector=0.05, min_names=1), 100_000.0, TS)
    assert res.screened["reason"].iloc[0] == ("one contract needs 9,500 collateral, above the room 5,000 left under "
                                              "the 5% cap for sector s")
    alone = build_plan(chain(put("AAA")), context("AAA", sector="unknown"),
                       PutRules(max_pct_per_sector=0.05, min_names=1), 100_000.0, TS)
    assert alone.screened["reason"].iloc[0] == ("one contract needs 9,500 collateral, above the room 5,000 left under "
                                                "the 5% cap for this name (sector not known)")


def test_build_plan_rung_ladder_staggers_expiries():
    # Rungs mode, 2/4/6 weeks ± 3 days, 1 name per rung: puts at 14, 28 and 42 DTE are on rungs, 35 is on none.
    # Three names, each with a better-paying put on the 28-day rung: one keeps it, the others move to 14 and 42.
    rows = []
    for sym, base in (("AAA", 1.0), ("BBB", 0.9), ("CCC", 0.8)):
        for dte, extra in ((14, 0.0), (28, 0.5), (35, 0.6), (42, 0.1)):
            rows.append(put(sym, strike=95.0, bid=base + extra, ask=base + extra + 0.05, dte=dte))
    ctx = context("AAA", "BBB", "CCC", sector={"AAA": "a", "BBB": "b", "CCC": "c"})
    rules = PutRules(ladder="rungs", max_names=3, min_names=1, max_names_per_expiry=1, max_abs_delta=1.0,
                     min_annualized_return=0.0)
    res = build_plan(chain(*rows), ctx, rules, 100_000.0, TS)
    assert sorted(res.tickets["dte"]) == [14, 28, 42]
    reasons = res.screened.loc[res.screened["dte"] == 35, "reason"]
    assert (reasons == "expiry not on the ladder rungs 2/4/6 weeks ± 3 days").all()
    assert res.tickets["underlying"].is_unique


def test_build_plan_rung_full_is_the_reason_and_context_names_the_rungs():
    ch = chain(put("AAA", dte=28, bid=1.5, ask=1.6), put("BBB", dte=28, bid=1.2, ask=1.3))
    ctx = context("AAA", "BBB", sector={"AAA": "a", "BBB": "b"})
    rules = PutRules(ladder="rungs", min_names=1, max_names_per_expiry=1, max_abs_delta=1.0)
    res = build_plan(ch, ctx, rules, 100_000.0, TS)
    assert list(res.tickets["underlying"]) == ["AAA"]
    assert res.screened.set_index("underlying").at["BBB", "reason"] == (
        "not chosen: 4-week rung already holds 1 name(s) (the ladder's cap)")
    _, warnings = _ctx([WatchItem(symbol="AAA", target_price=96)], chain(put("AAA", dte=35)), rules)
    assert "AAA: no expiry within the ladder rungs 2/4/6 weeks ± 3 days; skipped" in warnings
