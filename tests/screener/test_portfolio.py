"""The selection MILP: cash-secured always, caps hold, and it finds the income-maximizing set on small cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from putwheel.screener import portfolio
from putwheel.screener.portfolio import Holdings, select
from putwheel.screener.rules import PutRules


def _cands(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """(name, sector, strike, expiry) per candidate put, multiplier 100."""
    return pd.DataFrame({"underlying": [r[0] for r in rows], "sector": [r[1] for r in rows],
                         "strike": [r[2] for r in rows], "multiplier": 100, "expiry": pd.to_datetime([r[3] for r in rows])})


def test_select_fills_cash_with_the_best_income():
    # Cash 30,000, cap 50 % per name = 15,000. A: strike 50 -> 5,000 a contract, 3 contracts fit the cap, 60 each.
    # B: strike 100 -> 10,000 a contract, 1 fits the cap, 150. C: strike 150 -> 15,000, 1 fits, 200.
    # 1 A + 1 B + 1 C = 5,000 + 10,000 + 15,000 = 30,000 for 60 + 150 + 200 = 410 income; the alternatives that fit
    # earn less: 3 A + 1 C = 180 + 200 = 380, 3 A + 1 B = 330, 2 A + 1 B = 270.
    cands = _cands([("A", "s1", 50.0, "2024-04-05"), ("B", "s2", 100.0, "2024-04-12"), ("C", "s3", 150.0, "2024-04-19")])
    rules = PutRules(max_pct_per_name=0.5, max_pct_per_sector=1.0)
    sel = select(cands, np.array([60.0, 150.0, 200.0]), 30_000.0, rules, Holdings(), None)
    assert list(sel.contracts) == [1, 1, 1]
    assert sel.status == "optimal"


def test_select_respects_correlation_cap():
    # A and B are 0.9 correlated (cap 0.75): only one of them, the more valuable B, together with C.
    cands = _cands([("A", "s1", 50.0, "2024-04-05"), ("B", "s2", 50.0, "2024-04-12"), ("C", "s3", 50.0, "2024-04-19")])
    corr = pd.DataFrame([[1, 0.9, 0.1], [0.9, 1, 0.2], [0.1, 0.2, 1]], index=list("ABC"), columns=list("ABC"), dtype=float)
    sel = select(cands, np.array([100.0, 120.0, 80.0]), 100_000.0, PutRules(max_pct_per_sector=1.0), Holdings(), corr)
    assert list(sel.contracts > 0) == [False, True, True]


def test_select_held_name_over_its_cap_gets_nothing_but_plan_stays_feasible():
    # A is already 30,000 of 100,000 capital, above its 20 % cap: no new A puts; B still planned.
    cands = _cands([("A", "s1", 50.0, "2024-04-05"), ("B", "s2", 50.0, "2024-04-12")])
    held = Holdings({"A": 30_000.0}, {"A": "s1"})
    sel = select(cands, np.array([100.0, 50.0]), 70_000.0, PutRules(), held, None)
    assert sel.contracts[0] == 0 and sel.contracts[1] > 0


def test_select_ladder_limits_names_per_expiry():
    # 4 names all on one expiry, at most 2 names per expiry -> 2 names chosen.
    cands = _cands([(n, n, 10.0, "2024-04-05") for n in "ABCD"])
    rules = PutRules(max_names_per_expiry=2, max_pct_per_sector=1.0, max_contracts_per_ticket=1)
    sel = select(cands, np.array([4.0, 3.0, 2.0, 1.0]), 100_000.0, rules, Holdings(), None)
    assert list(sel.contracts) == [1, 1, 0, 0]


def test_names_with_no_sector_are_not_one_sector():
    # Five names of strike 100 (10,000 a contract), 100,000 of cash, caps 20 % a name and 40 % a sector. Five
    # unlabelled names are five sectors, not one: each fills its 20,000 name cap (the whole account). Two of them
    # put in one known sector share its 40,000; an unlabelled holding counts only against its own name.
    names = list("ABCDE")
    cands = _cands([(n, "unknown", 100.0, f"2024-04-{5 + i:02d}") for i, n in enumerate(names)])
    rules = PutRules(max_names_per_expiry=5)
    sel = select(cands, np.full(5, 100.0), 100_000.0, rules, Holdings(), None)
    assert list(sel.contracts) == [2, 2, 2, 2, 2]
    known = _cands([(n, "Tech" if n in "AB" else "unknown", 100.0, f"2024-04-{5 + i:02d}")
                    for i, n in enumerate(names)])
    sel = select(known, np.full(5, 100.0), 100_000.0, rules, Holdings(), None)
    assert list(sel.contracts) == [2, 2, 2, 2, 2]
    tight = PutRules(max_names_per_expiry=5, max_pct_per_sector=0.3)
    sel = select(known, np.full(5, 100.0), 100_000.0, tight, Holdings(), None)
    assert sel.contracts[:2].sum() == 3 and list(sel.contracts[2:]) == [2, 2, 2]   # Tech: 30,000 at most
    held = Holdings({"Z": 30_000.0}, {"Z": "unknown"})   # capital 130,000: caps 26,000 a name, 39,000 a sector
    assert portfolio.sector_rooms(np.array(["A"], dtype=object), np.array(["unknown"], dtype=object), rules,
                                  130_000.0, held).tolist() == [0.4 * 130_000.0]
    assert portfolio.sector_rooms(np.array(["Z"], dtype=object), np.array(["unknown"], dtype=object), rules,
                                  130_000.0, held).tolist() == [0.4 * 130_000.0 - 30_000.0]


def test_select_no_candidates():
    sel = select(_cands([]), np.zeros(0), 10_000.0, PutRules(), Holdings(), None)
    assert sel.status == "no candidates" and len(sel.contracts) == 0


NAMES = "ABCDEFGH"
candidate = st.tuples(st.sampled_from(NAMES), st.sampled_from(["s1", "s2", "s3"]),
                      st.sampled_from([5.0, 12.5, 40.0, 95.0, 150.0, 420.0]),
                      st.sampled_from(["2024-04-05", "2024-04-12", "2024-04-19"]),
                      st.floats(0.0, 500.0, allow_nan=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(candidate, min_size=1, max_size=14), free_cash=st.floats(0.0, 200_000.0),
       name_cap=st.floats(0.05, 1.0), sector_cap=st.floats(0.05, 1.0), max_names=st.integers(1, 8),
       held=st.dictionaries(st.sampled_from(NAMES), st.floats(0.0, 50_000.0), max_size=3),
       rho=st.floats(-1.0, 1.0), seed=st.integers(0, 2**16))
def test_select_invariants_hold(rows, free_cash, name_cap, sector_cap, max_names, held, rho, seed):
    """Total collateral ≤ free cash, name/sector caps, one ticket per name, name count and correlation cap."""
    sectors = {r[0]: r[1] for r in rows}
    rows = [(r[0], sectors[r[0]], *r[2:]) for r in rows]  # one sector per name
    cands = _cands([r[:4] for r in rows])
    value = np.array([r[4] for r in rows])
    holdings = Holdings(held, {n: sectors.get(n, "s1") for n in held})
    rng = np.random.default_rng(seed)
    c = rng.uniform(-1, 1, (len(NAMES), len(NAMES)))
    corr = pd.DataFrame((c + c.T) / 2, index=list(NAMES), columns=list(NAMES))
    rules = PutRules(max_pct_per_name=name_cap, max_pct_per_sector=sector_cap, max_names=max_names, min_names=1,
                     max_pair_correlation=rho)
    sel = select(cands, value, free_cash, rules, holdings, corr)
    n = sel.contracts
    assert (n >= 0).all()
    coll = cands["strike"].to_numpy() * 100 * n
    assert coll.sum() <= free_cash + 1e-6
    capital = free_cash + sum(held.values())
    by_name = pd.Series(coll).groupby(cands["underlying"]).sum()
    for name, used in by_name.items():
        if used > 0:
            assert used + held.get(name, 0.0) <= name_cap * capital + 1e-6
    by_sector = pd.Series(coll).groupby(cands["sector"]).sum()
    held_sector = pd.Series(held, dtype=float).groupby(lambda k: sectors.get(k, "s1")).sum()
    for sector, used in by_sector.items():
        if used > 0:
            assert used + held_sector.get(sector, 0.0) <= sector_cap * capital + 1e-6
    chosen = cands.loc[n > 0, "underlying"]
    assert chosen.is_unique
    assert len(set(chosen) - set(held)) <= max(max_names - len(held), 0)
    picked = sorted(set(chosen))
    for i, a in enumerate(picked):
        for b in picked[i + 1:]:
            assert corr.at[a, b] <= rho + 1e-12


def _milp_only(monkeypatch, *args):
    with monkeypatch.context() as m:
        m.setattr(portfolio, "best_alone", lambda *_: None)
        return select(*args)


one_name = st.tuples(st.just("A"), st.just("s1"), st.sampled_from([5.0, 12.5, 40.0, 95.0, 150.0, 420.0]),
                     st.sampled_from(["2024-04-05", "2024-04-12", "2024-04-19"]),
                     st.one_of(st.floats(-50.0, 500.0), st.sampled_from([-5.0, 0.0, 60.0, 120.0, 150.0])))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.one_of(st.lists(one_name, min_size=1, max_size=10), st.lists(candidate, min_size=1, max_size=10)),
       free_cash=st.floats(0.0, 300_000.0), name_cap=st.floats(0.05, 1.0), sector_cap=st.floats(0.05, 1.0),
       max_names=st.integers(1, 8), held=st.dictionaries(st.sampled_from(NAMES), st.floats(0.0, 50_000.0), max_size=2),
       rho=st.floats(-1.0, 1.0), per_expiry=st.integers(1, 3), ev=st.booleans(), ties=st.booleans())
def test_the_shortcut_returns_the_milps_plan(monkeypatch, rows, free_cash, name_cap, sector_cap, max_names, held, rho,
                                             per_expiry, ev, ties):
    """Each name's best ticket alone, when it meets every row and no other plan comes close, is what HiGHS returns:
    the same contracts as the MILP on every case (one name asking, several, binding cash, caps, ladder,
    correlation, held names, negative values as the ev objective can give)."""
    sectors = {r[0]: r[1] for r in rows}
    cands = _cands([(r[0], sectors[r[0]], *r[2:4]) for r in rows])
    value = np.array([r[4] if ev else abs(r[4]) + 1.0 for r in rows])   # the premium objective is never <= 0
    if ties:   # values as multiples of 60: many plans of equal income, where the shortcut must leave it to HiGHS
        value = np.round(value / 60.0) * 60.0
    rng = np.random.default_rng(len(rows))
    c = rng.uniform(-1, 1, (len(NAMES), len(NAMES)))
    corr = pd.DataFrame((c + c.T) / 2, index=list(NAMES), columns=list(NAMES))
    rules = PutRules(max_pct_per_name=name_cap, max_pct_per_sector=sector_cap, max_names=max_names, min_names=1,
                     max_pair_correlation=rho, max_names_per_expiry=per_expiry)
    args = (cands, value, free_cash, rules, Holdings(held, {n: sectors.get(n, "s1") for n in held}), corr)
    fast, slow = select(*args), _milp_only(monkeypatch, *args)
    assert list(fast.contracts) == list(slow.contracts)
    assert fast.status == slow.status


def test_the_shortcut_is_taken_when_one_name_asks(monkeypatch):
    # A alone with room for 3 contracts of its best put: no MILP is built.
    monkeypatch.setattr(portfolio, "milp", None)
    cands = _cands([("A", "s1", 50.0, "2024-04-05"), ("A", "s1", 45.0, "2024-04-12")])
    sel = select(cands, np.array([120.0, 90.0]), 15_000.0, PutRules(max_pct_per_name=1.0, max_pct_per_sector=1.0),
                 Holdings(), None)
    assert list(sel.contracts) == [3, 0] and sel.status == "optimal"


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(candidate, min_size=1, max_size=12), free_cash=st.floats(0.0, 300_000.0),
       sector_cap=st.floats(0.05, 1.0), rho=st.floats(-1.0, 1.0), seed=st.integers(0, 2**16))
def test_rows_allows_is_the_constraint_matrix_exactly(rows, free_cash, sector_cap, rho, seed):
    """`_Rows.allows` (sums by bincount, no matrix) says what the HiGHS constraint it builds says, without tolerance,
    for integer plans on and around the rows' bounds."""
    cands = _cands([r[:4] for r in rows])
    arrays = portfolio.Candidates.of(cands)
    rules = PutRules(max_pct_per_sector=sector_cap, max_pair_correlation=rho, min_names=1, max_names=3)
    names = sorted(set(arrays.names))
    corr = pd.DataFrame(np.random.default_rng(seed).uniform(-1, 1, (len(names), len(names))), index=names, columns=names)
    coll = arrays.strike * arrays.multiplier
    name_room, sector_room = portfolio._caps(arrays, rules, free_cash, Holdings())
    plan_rows = portfolio._plan_rows(arrays, coll, free_cash, rules, Holdings(), corr, name_room, sector_room)
    con = plan_rows.constraint()
    rng = np.random.default_rng(seed)
    for _ in range(20):
        x = np.concatenate([rng.integers(0, 4, len(coll)), rng.integers(0, 2, len(coll))]).astype(float)
        assert plan_rows.allows(x) == bool((con.A @ x <= con.ub).all())
