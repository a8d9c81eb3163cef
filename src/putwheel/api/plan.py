"""`plan`: from a watchlist and free cash to a ranked, sized, diversified set of Sell-to-Open put tickets.

Stages: load the source (the embedded offline universe with modelled chains, or a chain file) -> per-underlying
context (targets, quality, correlation) -> `screener.plan.build_plan` (screen, MILP selection, sizing) ->
a `PlanResult` of DataFrames with exact totals. Problems with single symbols are warnings and the rest of the
watchlist is still planned; only a config or source that cannot be used at all raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from putwheel.config import PlanConfig
from putwheel.data.snapshot import Snapshot, load_snapshot
from putwheel.data.universe import SECTORS, SP500_ROOTS, embedded_universe, tbill_rate, vix_history
from putwheel.domain import Money
from putwheel.domain.errors import ConfigError, DataError, InputError
from putwheel.domain.holding import OpenPosition
from putwheel.screener.context import underlying_context
from putwheel.screener.plan import build_plan
from putwheel.screener.portfolio import Holdings
from putwheel.screener.rules import WatchItem
from putwheel.screener.underlying import QUALITY_PARTS, correlation_matrix

REJECTED_COLUMNS = [
    "underlying", "occ_symbol", "expiry", "dte", "strike", "bid", "ask", "premium_mid", "delta", "roc_annualized",
    "open_interest", "spread_pct", "reason", "reason_code",
]
UNDERLYING_COLUMNS = [
    "spot", "target_price", "target_source", "sector", "realized_vol", "iv_rank", "iv_percentile", "iv_history",
    "max_drawdown", "option_spread_pct",
    "option_open_interest", "quality_score", "quality_missing", "quality_pass", "quality_reason",
    *(f"q_{part}" for part in QUALITY_PARTS),
]


@dataclass(frozen=True)
class PlanResult:
    """The weekly plan. `tickets` are the orders; `rejected` holds every other put considered, with its reason."""

    as_of: date
    tickets: pd.DataFrame
    rejected: pd.DataFrame
    assigned: pd.DataFrame
    underlyings: pd.DataFrame
    warnings: tuple[str, ...]
    status: str
    source: str
    data_label: str  # "modelled" or "market": shown next to every number that came from the source
    free_cash: Money
    collateral: Money
    income: Money

    @property
    def cash_left(self) -> Money:
        return self.free_cash - self.collateral

    def explain(self, symbol: str) -> pd.DataFrame:
        """Every put of `symbol` with the reason it was or was not chosen: the ticket, then the puts that reached
        pricing (best annualized return first), then those the DTE/strike/quote window dropped."""
        sym = symbol.strip().upper()
        chosen = self.tickets.loc[self.tickets["underlying"] == sym].copy()
        chosen["reason"] = "chosen: " + chosen["why"].astype(str)
        others = self.rejected.loc[self.rejected["underlying"] == sym]
        if chosen.empty and others.empty:
            raise InputError(f"{sym} is not in this plan's watchlist or source",
                             hint="run `putwheel plan` to see the symbols planned")
        priced = others["premium_mid"].notna()
        ranked = others.loc[priced].sort_values("roc_annualized", ascending=False)
        rest = others.loc[~priced].sort_values(["dte", "strike"])
        return pd.concat([chosen.reindex(columns=REJECTED_COLUMNS), ranked, rest], ignore_index=True)


@dataclass(frozen=True)
class Loaded:
    """What a source gave: the snapshot, its date, closes (None for chain files and live chains) and labels."""

    as_of: date
    chain: pd.DataFrame
    closes: pd.DataFrame | None
    sectors: dict[str, str]
    rate: float
    label: str
    kind: str  # "modelled" or "market"
    failed: frozenset[str] = frozenset()  # watchlist symbols the source refused (already warned about)


def _account(config: PlanConfig, as_of: date, warnings: list[str]) -> tuple[float, tuple[OpenPosition, ...], str]:
    """Free cash and open positions: from the ledger when the config says so, else from `[account]`."""
    acct = config.account
    if not acct.ledger:
        return acct.free_cash, tuple(p.position(as_of) for p in acct.positions), "config [account]"
    from putwheel.api.ledger import positions as ledger_positions

    report = ledger_positions(account=acct.ledger_account, as_of=as_of, db=acct.ledger_db)
    held = tuple(p for p in report.positions if p.account == acct.ledger_account)
    if report.expired_open:
        warnings.append("ledger has options past expiry with no expiry/assignment recorded: " + ", ".join(report.expired_open))
    free = report.free_cash(acct.ledger_account).quantize(Decimal("0.01"))
    return float(max(free, Decimal(0))), held, f"ledger account {acct.ledger_account!r}"


def _sector_overrides(config: PlanConfig) -> dict[str, str]:
    return {p.symbol.upper(): p.sector for p in config.account.positions if p.sector}


class DayRates:
    """The risk-free rate a day's modelled chain is priced at, one rule for `plan`, `run` and the `manage` inside a
    run: `[source] rate` when set, else the day's 3-month T-bill (shared FRED DTB3), else 0 % (warned once a day).
    Call it with a day for the rate; `label(day)` says where it came from."""

    def __init__(self, config: PlanConfig, warnings: list[str]) -> None:
        self.config, self.warnings = config, warnings
        self.found: dict[date, tuple[float, str]] = {}

    def __call__(self, day: date) -> float:
        if day not in self.found:
            self.found[day] = self._rate(day)
        return self.found[day][0]

    def label(self, day: date) -> str:
        self(day)
        return self.found[day][1]

    def _rate(self, day: date) -> tuple[float, str]:
        if self.config.source.rate is not None:
            return self.config.source.rate, f"{self.config.source.rate:.2%} (config)"
        found = tbill_rate(day)
        if found is None:
            self.warnings.append(f"no T-bill history for {day} (shared data folder missing?): risk-free rate 0 % "
                                 "assumed; set [source] rate in putwheel.toml")
            return 0.0, "0 % (assumed)"
        return found


def horizon_days(config: PlanConfig) -> int:
    """How far out the plan's expiries go: the DTE window's end, or the ladder's last rung."""
    return max(config.rules.dte_max, 7 * max(config.rules.ladder_weeks) + config.rules.rung_tolerance_days)


def _load(src: str, config: PlanConfig, as_of: date | None, warnings: list[str], snapshot: Snapshot | None = None) -> Loaded:
    """The plan's market: one `data.snapshot` for the watchlist (or the watchlist's part of `snapshot`, the one a
    `putwheel run` loaded for the day), plus the rate and sectors the planner needs."""
    wanted = [w.symbol.upper() for w in config.watchlist]
    rates = DayRates(config, warnings)
    if snapshot is None:
        snap = load_snapshot(src, wanted, as_of, rate_for=rates, horizon_days=horizon_days(config),
                             dividend_yields={w.symbol.upper(): w.dividend_yield for w in config.watchlist})
    else:   # the run's names include those only held: the plan sells the watchlist's
        snap = snapshot.only(wanted)
    rate = rates(snap.as_of)
    for sym, why in sorted(snap.why.items()):   # a provider that refused a symbol (a file just lacks it)
        warnings.append(f"{sym}: {why}; skipped")
    if snap.kind == "market":
        warnings.append(f"no price history with a {'chain file' if src.startswith('file:') else 'live chain'}: "
                        "swing-low/moving-average targets, realized vol and the correlation cap are not available")
    sectors = dict(embedded_universe().sectors) if snap.kind == "modelled" else dict(SECTORS)
    label = f"{snap.label}; rate {rates.label(snap.as_of)}"
    return Loaded(snap.as_of, snap.chain, snap.closes, sectors, rate, label, snap.kind, frozenset(snap.why))


def _iv_histories(items: list[WatchItem], as_of: date) -> dict[str, tuple[pd.Series, str]]:
    """Implied-vol history where one exists: the VIX (shared data) for S&P 500 options; nothing for other names."""
    wanted = [w.symbol.upper() for w in items if w.symbol.upper() in SP500_ROOTS]
    vix = vix_history() if wanted else None
    if vix is None:
        return {}
    upto = vix.loc[: pd.Timestamp(as_of)]
    return {sym: (upto, "VIX (S&P 500 30-day implied vol)") for sym in wanted}


def _totals(tickets: pd.DataFrame) -> tuple[Money, Money]:
    """Exact totals: strike and limit price are decimal prices, contracts and multiplier integers."""
    coll, inc = Decimal(0), Decimal(0)
    for k, px, n, m in tickets[["strike", "limit_price", "contracts", "multiplier"]].itertuples(index=False):
        coll += Decimal(repr(float(k))).quantize(Decimal("0.001")) * int(n) * int(m)
        inc += Decimal(repr(float(px))).quantize(Decimal("0.0001")) * int(n) * int(m)
    return Money(coll).quantize(), Money(inc).quantize()  # exact already: prices have <= 4 decimals, x 100


def plan(config: PlanConfig, as_of: date | None = None, source: str | None = None,
         progress: Callable[[str, float], None] | None = None, *, reserved: Decimal = Decimal(0),
         snapshot: Snapshot | None = None) -> PlanResult:
    """Build the week's put plan; total collateral never exceeds the free cash.

    `as_of` defaults to the config's `[source] as_of`, then to the source's latest quote date; `source`
    ('embedded', 'file:PATH', 'cboe' or 'yfinance') overrides `[source] chains`. `progress(stage, fraction)` is
    called between stages (for a progress bar; nothing here prints); `reserved` is cash that open orders already
    lock (`putwheel run`): it is not free for new puts; `snapshot`: the day's market a run already loaded (its
    watchlist names are planned on it, so the plan, the manager and the paper broker see one set of quotes).
    """
    tick = progress or (lambda _stage, _done: None)
    warnings: list[str] = []
    as_of = as_of or config.source.as_of
    src = source or config.source.chains
    tick(f"loading quotes ({src})", 0.05)
    if src == "embedded" or src.startswith("file:") or src in ("cboe", "yfinance"):
        loaded = _load(src, config, as_of, warnings, snapshot)
    else:
        raise ConfigError(f"chains source {src!r} is not supported by plan", where="source.chains",
                          hint="use 'embedded' (offline), 'file:PATH' (a chain file), 'cboe' or 'yfinance' (live)")
    as_of, chain, closes, sectors, rate, label, kind = (loaded.as_of, loaded.chain, loaded.closes, loaded.sectors,
                                                        loaded.rate, loaded.label, loaded.kind)
    tick("targets, quality and correlation per name", 0.4)
    corr = correlation_matrix(closes) if closes is not None else None
    items = [w for w in config.watchlist if w.symbol.upper() not in loaded.failed]
    ctx, ctx_warnings = underlying_context(items, chain, closes, sectors, rate, config.rules, config.quality,
                                           iv_history=_iv_histories(items, as_of))
    warnings.extend(ctx_warnings)
    if ctx.empty:
        raise DataError("no watchlist name has a usable option chain: " + "; ".join(ctx_warnings[:5]), where=label,
                        hint="check the symbols and the DTE window, rules.dte_min and dte_max, or use another --source")
    tick("screening, pricing and sizing the puts", 0.6)
    free_cash, held, account_label = _account(config, as_of, warnings)
    if reserved:   # cash open orders lock is not free (rounded down to the cent: never more than is free)
        free_cash = max(float((Decimal(repr(free_cash)) - reserved).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")), 0.0)
    result = build_plan(chain.loc[chain["underlying"].isin(ctx.index)], ctx, config.rules,
                        free_cash, pd.Timestamp(as_of), Holdings.of(held, sectors, _sector_overrides(config)), corr)
    warnings.extend(result.warnings)
    tickets = result.tickets.assign(data=kind)
    coll, inc = _totals(tickets)
    rejected = result.screened.loc[~result.screened["candidate"].to_numpy(dtype=bool)].reindex(columns=REJECTED_COLUMNS)
    _cash_warnings(ctx, result.screened, free_cash, warnings)
    return PlanResult(as_of, tickets, rejected.reset_index(drop=True), result.assigned,
                      ctx.reindex(columns=UNDERLYING_COLUMNS), tuple(warnings), result.status,
                      f"{label}; cash and positions: {account_label}", kind, Money.of(free_cash).quantize(), coll, inc)


def _cash_warnings(ctx: pd.DataFrame, screened: pd.DataFrame, free_cash: float, warnings: list[str]) -> None:
    """Say so when even the cheapest put in a name's DTE window and strike range needs more than the free cash."""
    in_range = (screened["reason_code"].astype(str) != "window").to_numpy()   # codes, never the English text
    coll = (screened["strike"] * screened["multiplier"]).to_numpy(dtype=float)
    names = screened["underlying"].to_numpy()
    for sym in ctx.index:
        mine = in_range & (names == sym)
        if mine.any() and coll[mine].min() > free_cash:
            warnings.append(f"{sym}: not enough cash for one contract (the lowest strike in range needs "
                            f"{coll[mine].min():,.0f} collateral, free cash is {free_cash:,.0f})")
