"""New puts from the planner inside the multi-name Wheel: the planner's rules hold on every entry, cash is never
short, and the runs that cannot use the planner (one name, sleeves) say so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from putwheel.backtest.planned import PlannerEntry, Tickets, plan_puts
from putwheel.backtest.wheel import WheelConfig, run_wheel, run_wheel_portfolio, wheel_paths
from putwheel.data.calendar import xnys_sessions
from putwheel.data.modelled import modelled_chain, modelled_chains, modelled_columns
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError
from putwheel.screener.rules import PutRules, TargetRule, WatchItem

SESSIONS = xnys_sessions("2010-01-01", "2011-12-31")


def _closes(n: int = 220) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    level = {"AAA": np.concatenate([np.full(80, 100.0), np.linspace(100, 80, 30), np.linspace(80, 105, n - 110)]),
             "BBB": np.linspace(40, 52, n), "CCC": np.full(n, 250.0)}
    return pd.DataFrame({k: v * np.exp(rng.normal(0, 0.012, n)) for k, v in level.items()}, index=SESSIONS[:n])


def _history(days: pd.DatetimeIndex) -> MarketHistory:
    return MarketHistory(spx=pd.Series(1000.0, index=days), tbill_pct=pd.Series(2.0, index=days),
                         div_yield_pct=pd.Series(0.0, index=days), label="synthetic", tbill_kind="discount")


RULES = PutRules(max_pct_per_name=0.3, max_pct_per_sector=1.0, min_names=1, min_open_interest=0,
                 min_annualized_return=0.02, max_spread_pct=0.5)
ITEMS = (WatchItem(symbol="AAA", target_rule=TargetRule(pct=0.03)), WatchItem(symbol="CCC", target_price=240.0))


def test_plan_puts_keeps_the_planners_rules_and_the_cash() -> None:
    closes = _closes()
    day = SESSIONS[100]
    chain = pd.concat([modelled_chain(n, closes[n], day.date(), [e.date() for e in pd.date_range(day, periods=12,
                                                                                                  freq="W-FRI")], 0.02)
                       for n in ("AAA", "CCC")], ignore_index=True)
    entry = PlannerEntry(rules=RULES, items=ITEMS)
    tickets = plan_puts(entry, chain, ["AAA", "CCC"], closes.loc[:day], 0.02, 200_000.0, {}, day).frame()
    assert set(tickets["underlying"]) <= {"AAA", "CCC"} and len(tickets)
    spot = closes.loc[day]
    for t in tickets.itertuples():
        target = spot["AAA"] * 0.97 if t.underlying == "AAA" else 240.0
        assert target * 0.95 - 1e-9 <= t.strike <= target + 1e-9
        assert 30 <= (pd.Timestamp(t.expiry) - day).days <= 45
    collateral = (tickets["strike"] * 100 * tickets["contracts"]).to_numpy()
    assert collateral.sum() <= 200_000.0 and (collateral <= 0.3 * 200_000.0 + 1e-6).all()


def test_the_wheel_sells_the_planners_puts_and_stays_cash_secured() -> None:
    closes = _closes()
    cfg = WheelConfig(start_cash=400_000.0, planner=PlannerEntry(rules=RULES, items=ITEMS))
    days: list[tuple[int, int]] = []
    res = run_wheel_portfolio(_history(closes.index), closes, SESSIONS[40].date(), SESSIONS[219].date(), cfg, 0.3, True,
                              on_day=lambda i, n, _on: days.append((i, n)))
    done = [i for i, _ in days]   # progress: the loop reports each hand-back to the planner, in order, to the end
    assert len(done) > 5 and done == sorted(done) and days[-1][0] == days[-1][1] == len(res.daily)
    sold = res.events[res.events["reason_code"] == "new_put"]
    assert len(sold) >= 4 and sold["reason"].str.contains("planner").all()
    for t in sold.itertuples():
        spot = closes.loc[pd.Timestamp(t.date), t.symbol]
        cap = 0.97 * spot if t.symbol == "AAA" else (240.0 if t.symbol == "CCC" else 0.95 * spot)
        assert t.strike <= cap + 1e-9, t
    assert (res.daily["free_cash"] >= -1e-6).all()
    assert set(res.events["reason_code"]) > {"new_put"}   # the manager runs the positions afterwards


def test_engines_without_the_planner_refuse_it() -> None:
    closes = _closes(120)
    cfg = WheelConfig(planner=PlannerEntry(rules=RULES))
    days = closes.index
    with pytest.raises(InputError, match="several names"):
        wheel_paths(closes.to_numpy(), np.full(closes.shape, 0.3), np.full(len(days), 0.02), np.zeros(len(days)), days,
                    pd.DatetimeIndex(days[::20]), cfg)
    with pytest.raises(InputError, match="several names"):
        run_wheel(_history(closes.index), SESSIONS[40].date(), SESSIONS[119].date(), cfg)


def test_the_backtests_tickets_are_the_plans_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the days the Wheel asks the planner, its tickets equal `putwheel plan`'s full path (`underlying_context` on
    the whole modelled chain with calls and labels, `build_plan` with every explanation): the backtest's shortcuts
    (the chain's arrays, the puts alone, in-window puts only, no frame, no English, delta alone) change nothing it
    trades."""
    import putwheel.backtest.wheel.planner as hook_module
    from putwheel.screener.context import underlying_context
    from putwheel.screener.plan import build_plan
    from putwheel.screener.portfolio import Holdings
    from putwheel.screener.underlying import correlation_matrix

    calls: list[tuple[tuple[object, ...], pd.DataFrame]] = []
    chains: list[tuple[object, ...]] = []

    def recording(*args: object) -> Tickets:
        tickets = plan_puts(*args)  # type: ignore[arg-type]
        calls.append((args, tickets.frame()))
        return tickets

    def chain_inputs(*args: object, **kwargs: object) -> dict[str, object]:
        chains.append(args)   # (the hook asks for the puts alone, no labels: the full chain is rebuilt below)
        return modelled_columns(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hook_module, "plan_puts", recording)
    monkeypatch.setattr(hook_module, "modelled_columns", chain_inputs)
    closes = _closes()
    entry = PlannerEntry(rules=RULES, items=ITEMS)
    run_wheel_portfolio(_history(closes.index), closes, SESSIONS[40].date(), SESSIONS[160].date(),
                        WheelConfig(start_cash=400_000.0, planner=entry), 0.3)
    assert sum(len(t) > 0 for _, t in calls) >= 3
    cols = ["underlying", "strike", "expiry", "contracts", "limit_price"]
    assert len(chains) == len(calls)
    for ((_, lean, names, hist, rate, free, exposure, as_of), tickets), inputs in zip(calls[:6], chains, strict=False):
        chain = modelled_chains(*inputs)  # type: ignore[arg-type]   # puts and calls, with every label
        assert set(chain["right"]) == {"P", "C"} and len(lean["strike"]) < len(chain)
        ctx, _ = underlying_context([entry.item(n) for n in names], chain, hist, entry.sectors, rate, entry.rules,
                                    entry.quality)
        held = {n: v for n, v in exposure.items() if v > 0}
        plan = build_plan(chain, ctx, entry.rules, free, as_of, Holdings(held, {n: "unknown" for n in held}),
                          correlation_matrix(hist))
        assert plan.tickets["why"].str.startswith("most income").all()
        pd.testing.assert_frame_equal(tickets.reset_index(drop=True), plan.tickets.loc[:, cols], check_dtype=False)


def _digest(events: pd.DataFrame) -> str:
    """A short hash of every trade (date, name, action, strike, expiry, contracts, price, cash flow, reason code)."""
    import hashlib

    rows = events[["date", "symbol", "action", "strike", "expiry", "contracts", "price", "cash_flow", "reason_code"]]
    text = "\n".join("|".join(repr(v) if isinstance(v, float) else str(v) for v in r)
                     for r in rows.itertuples(index=False))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_planner_entry_runs_are_pinned_trade_for_trade() -> None:
    """Three `--entry plan` runs pinned on the code before the planner's array core (issue #10): bench/plan_entry.py's
    four embedded names on one pool, and the synthetic names above, in per_expiry mode and in rungs mode with a
    tight name count and correlation cap. A faster planner must trade exactly the same.

    Re-pinned 2026-12-06 for the first run only: names with no sector were one sector "unknown" under the 40 %
    cap (so the four names could hold 40 % of the account between them); now each is a cap group of its own
    (`screener.portfolio.cap_group`). The run with no sectors now trades exactly as the run with the embedded
    sectors (`backtest wheel --entry plan` passes them), where the sector cap never binds -- and the code before the
    change gave that run the same 214 events and final value: only the lumping changed."""
    from putwheel.data.series import load_embedded_history
    from putwheel.data.universe import embedded_universe

    universe = embedded_universe()
    closes = universe.closes[["AAPL", "MSFT", "GOOG", "XSP"]].dropna()
    for sectors in (universe.sectors, {}):
        res = run_wheel_portfolio(load_embedded_history(), closes, closes.index[40].date(), closes.index[-1].date(),
                                  WheelConfig(planner=PlannerEntry(sectors=sectors)))
        assert (len(res.events), _digest(res.events)) == (214, "eb79c65ea71b812c")
        assert float(res.daily["value"].iloc[-1]) == pytest.approx(1162326.0030899118, rel=1e-12)
    synthetic = _closes()
    rungs = RULES.model_copy(update={"ladder": "rungs", "max_names": 2, "max_pair_correlation": 0.2})
    for rules, n, digest, value in ((RULES, 60, "8b428c23d2f7a12c", 448563.5102823454),
                                    (rungs, 43, "2fde258125cce3ff", 434808.0963385094)):
        cfg = WheelConfig(start_cash=400_000.0, planner=PlannerEntry(rules=rules, items=ITEMS))
        res = run_wheel_portfolio(_history(synthetic.index), synthetic, SESSIONS[40].date(), SESSIONS[219].date(),
                                  cfg, 0.3, True)
        assert (len(res.events), _digest(res.events)) == (n, digest)
        assert float(res.daily["value"].iloc[-1]) == pytest.approx(value, rel=1e-12)
