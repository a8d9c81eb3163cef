"""Choose the set of puts that maximizes expected income, always cash-secured, as a mixed-integer program.

Decision variables per candidate put c: contracts n_c (integer) and a pick flag y_c (binary). Constraints:
total collateral <= free cash (the seed's discipline, never relaxed); per-name and per-sector collateral caps as a
share of capital (existing exposure included); one ticket per name; at most `max_names` names held in all; pairs of
names whose 1-year daily-return correlation exceeds the cap are never held together; at most
`max_names_per_expiry` names share an expiry date, or a ladder rung in rungs mode (the ladder). Solved by HiGHS
through `scipy.optimize.milp`, which proves optimality on realistic sizes; if HiGHS hits its time limit the best
plan found so far is used and the plan's status says so (holding nothing is always feasible, so there is always
a plan). When each name's best ticket alone already meets every row and no other plan comes close
(`best_alone`: one name asking, or cash and caps not binding), that is the optimum and HiGHS is not started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from putwheel.domain.holding import OpenPosition
from putwheel.screener.rules import UNKNOWN_SECTOR, PutRules, names_per_rung, rung_of


def cap_group(name: str, sector: str) -> str:
    """What the sector cap sums a name's collateral over: its sector, or the name alone where the sector is not
    known. Names with no sector are not one sector: a watchlist of ten unlabelled names would otherwise put at most
    `max_pct_per_sector` (40 %) of the account to work, and the bound would bind for a reason that is not a risk.
    The plan warns about them instead (`screener.context.context_rows`), and the name cap still applies."""
    return f"{UNKNOWN_SECTOR}:{name}" if sector == UNKNOWN_SECTOR else sector


def cap_groups(names: np.ndarray, sectors: np.ndarray) -> np.ndarray:
    """`cap_group` per entry (object array)."""
    return np.array([cap_group(n, s) for n, s in zip(names, sectors, strict=True)], dtype=object)


@dataclass(frozen=True)
class Holdings:
    """What the account already has: collateral/market value per name and sector, and which names are held."""

    exposure_by_name: dict[str, float] = field(default_factory=dict)
    sector_by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, positions: Iterable[OpenPosition], sectors: Mapping[str, str],
           sector_overrides: Mapping[str, str] | None = None) -> Holdings:
        """The per-name view of the open positions: their cap exposure (`OpenPosition.exposure`) and sectors."""
        exposure: dict[str, float] = {}
        for p in positions:
            value = float(p.exposure())
            if value:
                exposure[p.underlying] = exposure.get(p.underlying, 0.0) + value
        overrides = sector_overrides or {}
        return cls(exposure, {n: overrides.get(n) or sectors.get(n, UNKNOWN_SECTOR) for n in exposure})

    @property
    def names(self) -> list[str]:
        return sorted(self.exposure_by_name)

    def exposure_by_sector(self) -> dict[str, float]:
        """Exposure per sector-cap group (`cap_group`: a name with no sector is a group of its own)."""
        out: dict[str, float] = {}
        for name, value in self.exposure_by_name.items():
            group = cap_group(name, self.sector_by_name.get(name, UNKNOWN_SECTOR))
            out[group] = out.get(group, 0.0) + value
        return out


@dataclass(frozen=True)
class Selection:
    contracts: np.ndarray  # one entry per candidate row, 0 = not chosen
    status: str  # "optimal", "time limit: greedy fill", "infeasible: ...", "no candidates"
    notes: tuple[str, ...] = ()


def capital(free_cash: float, holdings: Holdings) -> float:
    """What the caps are a share of: free cash plus what already secures puts or sits in shares."""
    return free_cash + sum(holdings.exposure_by_name.values())


@dataclass(frozen=True)
class Candidates:
    """The columns of the candidate puts the optimizer reads, as arrays (one entry per candidate)."""

    names: np.ndarray      # underlying (object)
    sectors: np.ndarray    # sector, UNKNOWN_SECTOR where missing (object)
    strike: np.ndarray
    multiplier: np.ndarray
    dte: np.ndarray        # (NaN when not given: only the rungs ladder reads it)
    expiry: np.ndarray     # datetime64

    def __len__(self) -> int:
        return len(self.names)

    @classmethod
    def of(cls, cands: pd.DataFrame) -> Candidates:
        return cls(cands["underlying"].astype(str).to_numpy(dtype=object),
                   cands["sector"].fillna(UNKNOWN_SECTOR).astype(str).to_numpy(dtype=object),
                   cands["strike"].to_numpy(dtype=float), cands["multiplier"].to_numpy(dtype=float),
                   cands["dte"].to_numpy(dtype=float) if "dte" in cands else np.full(len(cands), np.nan),
                   pd.to_datetime(cands["expiry"]).to_numpy())


def sector_rooms(names: np.ndarray, sectors: np.ndarray, rules: PutRules, total: float,
                 holdings: Holdings) -> np.ndarray:
    """Room left under the sector cap for each entry's cap group (`cap_group`; may be negative: a sector already
    over its cap)."""
    used = holdings.exposure_by_sector()
    return np.array([rules.max_pct_per_sector * total - used.get(g, 0.0) for g in cap_groups(names, sectors)],
                    dtype=float)


def _caps(cands: Candidates, rules: PutRules, free_cash: float, holdings: Holdings) -> tuple[np.ndarray, np.ndarray]:
    total = free_cash + sum(holdings.exposure_by_name.values())
    held = holdings.exposure_by_name
    names, sectors = cands.names, cands.sectors
    name_room = np.array([rules.max_pct_per_name * total - held.get(n, 0.0) for n in names], dtype=float)
    sector_room = sector_rooms(names, sectors, rules, total, holdings)
    # Room never goes below zero: a name already over its cap gets no new puts, it does not make the plan infeasible.
    return np.maximum(name_room, 0.0), np.maximum(sector_room, 0.0)


def corr_values(corr: pd.DataFrame, rows: list[str], cols: list[str]) -> np.ndarray:
    """`corr.reindex(index=rows, columns=cols)` as floats (NaN for a name not in `corr`), without building a frame."""
    # the labels as lists: iterating a pandas string Index, or `Index.equals`, costs ~25 us each (twice a plan)
    index, columns = corr.index.tolist(), corr.columns.tolist()
    where = {n: i for i, n in enumerate(index)}
    at_r = np.array([where.get(n, -1) for n in rows], dtype=int)
    where_c = where if columns == index else {n: i for i, n in enumerate(columns)}
    at_c = np.array([where_c.get(n, -1) for n in cols], dtype=int)
    full = corr.to_numpy(dtype=float)
    out = full[np.ix_(np.maximum(at_r, 0), np.maximum(at_c, 0))] if len(full) else np.full((len(rows), len(cols)), np.nan)
    out[at_r < 0, :] = np.nan
    out[:, at_c < 0] = np.nan
    return out


def _correlated_pairs(names: list[str], corr: pd.DataFrame | None, cap: float) -> list[tuple[str, str]]:
    if corr is None or corr.empty:
        return []
    vals = corr_values(corr, names, names)
    i, j = np.where(np.triu(vals > cap, k=1))
    return [(names[a], names[b]) for a, b in zip(i, j, strict=True)]


def held_correlations(names: list[str], corr: pd.DataFrame | None, holdings: Holdings,
                      cap: float) -> dict[str, tuple[float, str]]:
    """Names too correlated with something already held: (correlation, the held name) per blocked name."""
    out: dict[str, tuple[float, str]] = {}
    held = holdings.names
    if corr is None or corr.empty or not held or not names:
        return out
    rho = corr_values(corr, names, held)   # NaN where either name is not in `corr`
    held_names = np.array(held, dtype=object)
    for i, name in enumerate(names):
        over = np.flatnonzero(np.isfinite(rho[i]) & (rho[i] > cap) & (held_names != name))
        if len(over):   # the first such holding, in name order
            out[name] = (float(rho[i, over[0]]), held[over[0]])
    return out


def first_seen(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(keys)`'s codes (each distinct key numbered in order of first appearance) and each key's first
    position, by a dict: the optimizer groups ~10 candidates four times a plan, where `pd.factorize` and
    `np.unique` cost ~15 us a call (the planner's backtest plans ~130 times a run). Keys are never missing here
    (names, cap groups, rungs, expiry days), where `pd.factorize` would give -1."""
    seen: dict[object, int] = {}
    first: list[int] = []
    codes = []
    for i, key in enumerate(keys.tolist()):
        code = seen.setdefault(key, len(first))
        if code == len(first):
            first.append(i)
        codes.append(code)
    return np.array(codes, dtype=np.intp), np.array(first, dtype=np.intp)


class _Rows:
    """Sparse constraint rows `sum(coef * x[cols]) <= high`, added one row or one row per group at a time."""

    def __init__(self, n_vars: int) -> None:
        self.n_vars, self.r = n_vars, 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []

    def group(self, keys: np.ndarray | None, cols: np.ndarray, coef: np.ndarray, high: np.ndarray | float) -> None:
        """One row per distinct key: sum over the variables with that key. `high` per key (first row's) or scalar.
        `keys=None`: one row over all of `cols` (`high` a scalar)."""
        if keys is None:
            self.rows.append(np.full(len(cols), self.r))
            self.cols.append(cols)
            self.vals.append(coef)
            self.hi.append(np.array([float(high)]))
            self.r += 1
            return
        codes, first = first_seen(keys)
        self.rows.append(self.r + codes)
        self.cols.append(cols)
        self.vals.append(coef)
        self.hi.append(np.broadcast_to(np.asarray(high, dtype=float), len(keys))[first] if np.ndim(high)
                       else np.full(len(first), float(high)))
        self.r += len(first)

    def allows(self, x: np.ndarray) -> bool:
        """Whether `x` meets every row exactly (no tolerance: where HiGHS would need one, it decides).

        Each row's sum is taken in the order of its columns (every row lists them in increasing order), the order of
        the sparse product `constraint()` would use: the same sums, without building the matrix."""
        cols = np.concatenate(self.cols)
        lhs = np.bincount(np.concatenate(self.rows), weights=np.concatenate(self.vals) * x[cols], minlength=self.r)
        return bool((lhs <= np.concatenate(self.hi)).all())

    def constraint(self) -> LinearConstraint:
        a = coo_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                       shape=(self.r, self.n_vars))
        return LinearConstraint(a.tocsr(), np.full(self.r, -np.inf), np.concatenate(self.hi))


def ladder_groups(dte: np.ndarray, expiry: np.ndarray, rules: PutRules) -> np.ndarray:
    """`ladder_keys` as numbers (the rung in weeks, or the expiry's day): the same groups, without the text."""
    if rules.ladder == "rungs":
        return rung_of(dte, rules)
    return np.asarray(expiry).astype("datetime64[D]")


def ladder_keys(cands: pd.DataFrame, rules: PutRules) -> np.ndarray:
    """What the ladder cap counts names per: the expiry date, or the rung (in weeks) in rungs mode."""
    if rules.ladder == "rungs":
        return np.array([f"{w}-week rung" for w in rung_of(cands["dte"].to_numpy(dtype=float), rules)], dtype=object)
    expiry = pd.DatetimeIndex(pd.to_datetime(cands["expiry"]))
    uniques, where = np.unique(expiry.to_numpy(), return_inverse=True)   # each date formatted once
    text = pd.DatetimeIndex(uniques).strftime("expiry %Y-%m-%d").to_numpy(dtype=object)
    return text[where.reshape(-1)] if len(expiry) else np.array([], dtype=object)


def _plan_rows(cands: Candidates, coll: np.ndarray, free_cash: float, rules: PutRules, holdings: Holdings,
               corr: pd.DataFrame | None, name_room: np.ndarray, sector_room: np.ndarray) -> _Rows:
    """Cash, caps, one ticket per name, name count, correlation and ladder rows over [contracts..., flags...]."""
    c_n = len(cands)
    idx, y = np.arange(c_n), np.arange(c_n) + c_n  # pick flags follow the contract counts
    rows = _Rows(2 * c_n)
    rows.group(None, idx, coll, free_cash)  # cash-secured: all collateral is free cash
    names = cands.names
    rows.group(names, idx, coll, name_room)
    rows.group(cap_groups(names, cands.sectors), idx, coll, sector_room)
    rows.group(names, y, np.ones(c_n), 1.0)  # one ticket per name
    held = sorted(holdings.names)
    # another put on a name already held adds no new name
    new = np.array([n not in holdings.exposure_by_name for n in names], dtype=bool)
    if new.any():
        rows.group(None, y[new], np.ones(int(new.sum())), float(max(rules.max_names - len(held), 0)))
    for first, second in _correlated_pairs(sorted(set(names)), corr, rules.max_pair_correlation):
        m = np.flatnonzero((names == first) | (names == second))
        rows.group(None, y[m], np.ones(len(m)), 1.0)
    rows.group(ladder_groups(cands.dte, cands.expiry, rules), y, np.ones(c_n), float(names_per_rung(rules)))
    return rows


# HiGHS stops once its plan is within this share of the best bound (its default `mip_rel_gap`, 1e-4) or 1e-6 of
# it; the shortcut below is taken only when every other plan is worse by ten times that, so HiGHS returns it too.
_GAP = 1e-3


def best_alone(names: np.ndarray, value: np.ndarray, ub: np.ndarray) -> np.ndarray | None:
    """Contracts per candidate of the MILP with only its bounds and one ticket per name: each name's best ticket
    alone (its candidate of most value x contracts, at the most contracts its bound allows; none if none pays).

    That problem is a relaxation of the full one (same objective, fewer rows), so when its answer also meets the
    other rows it is the full problem's optimum. None when it is not clearly unique: another choice of some name
    (another candidate, fewer contracts, none) would come within `_GAP` of the best total, where HiGHS may stop
    on either.
    """
    n = np.zeros(len(value))
    open_ = ub >= 1
    # a candidate's best use: every contract it may have if each one pays, one if it costs (the least loss)
    gain = np.where(value > 0, value * ub, value)
    codes, first = first_seen(names)
    total, margin = 0.0, np.inf
    for g in range(len(first)):
        at = np.flatnonzero((codes == g) & open_)
        options = np.sort(np.concatenate([[0.0], gain[at]]))[::-1]   # "no ticket" is always an option
        if len(options) == 1:
            continue
        top = options[0]
        second = options[1]
        if top > 0:
            c = at[int(np.argmax(gain[at]))]
            n[c] = ub[c]
            second = max(second, top - value[c])   # the same put with one contract less
            total += top
        margin = min(margin, top - second)
    return n if margin > _GAP * max(abs(total), 1.0) else None


def select(cands: pd.DataFrame | Candidates, value_per_contract: np.ndarray, free_cash: float, rules: PutRules,
           holdings: Holdings, corr: pd.DataFrame | None, time_limit: float = 10.0) -> Selection:
    """Contracts per candidate that maximize total value subject to the cash-secured plan constraints.

    `cands`: the candidates' frame, or their columns as `Candidates` (the planner's backtest: no frame built)."""
    if isinstance(cands, pd.DataFrame):
        if cands.empty:
            return Selection(np.zeros(0, dtype=int), "no candidates")
        cands = Candidates.of(cands)
    c_n = len(cands.names)
    if c_n == 0:
        return Selection(np.zeros(0, dtype=int), "no candidates")
    coll = cands.strike * cands.multiplier
    name_room, sector_room = _caps(cands, rules, free_cash, holdings)
    # Upper bound per candidate: what cash, the name cap and the sector cap allow for this contract alone.
    room = np.minimum.reduce([np.full(c_n, free_cash), name_room, sector_room])
    ub = np.clip(np.floor(room / coll + 1e-9), 0, rules.max_contracts_per_ticket)
    rows = _plan_rows(cands, coll, free_cash, rules, holdings, corr, name_room, sector_room)
    best = best_alone(cands.names, value_per_contract, ub)
    if best is not None and rows.allows(np.concatenate([best, (best > 0).astype(float)])):
        return Selection(best.astype(int), "optimal")
    # link n <= ub * y: contracts only where the pick flag is set. (A flag set with no contracts would only waste a
    # name/expiry slot, so no n >= y row is needed; the flags carry no value of their own.)
    idx = np.arange(c_n)
    link = coo_matrix((np.concatenate([np.ones(c_n), -np.maximum(ub, 1)]),
                       (np.concatenate([idx, idx]), np.concatenate([idx, idx + c_n]))), shape=(c_n, 2 * c_n))
    constraints = [rows.constraint(), LinearConstraint(link.tocsr(), np.full(c_n, -np.inf), np.zeros(c_n))]
    objective = -np.concatenate([value_per_contract, np.zeros(c_n)])
    res = milp(objective, constraints=constraints, integrality=np.ones(2 * c_n),
               bounds=Bounds(np.zeros(2 * c_n), np.concatenate([ub, np.ones(c_n)])),
               options={"time_limit": time_limit, "disp": False})
    if res.x is not None and res.status in (0, 1):
        n = np.round(res.x[:c_n]).astype(int)
        return Selection(n, "optimal" if res.status == 0 else "time limit: best found")
    return Selection(np.zeros(c_n, dtype=int), f"infeasible: {res.message}")
