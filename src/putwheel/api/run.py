"""`run`: one daily pass of the Wheel against a broker -- paper by default, dry-run unless told to send.

Stages: check the broker and its limits (a live broker needs `live=True` and every cap in `[execution]`) -> open the
ledger -> market snapshot (quotes for every order, and the paper broker's fills) -> the broker -> resume orders an
earlier run left (by client order id) -> reconcile the broker's activities and positions with the ledger (`adopt`:
record the broker's truth) -> `manage` the bot's positions -> their orders -> `plan` new puts with the free cash
(cash reserved by open orders excluded; once per run date) -> their orders -> alerts -> a `RunResult`.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from putwheel.config import PlanConfig
from putwheel.domain.contract import OptionContract
from putwheel.domain.errors import ConfigError, DataError, InputError
from putwheel.domain.orders import LiveBroker
from putwheel.execution import alerts as _alerts
from putwheel.execution import decisions, reconcile
from putwheel.execution.engine import Engine, Intended, Limits
from putwheel.execution.policy import PricePolicy
from putwheel.ledger import Ledger, replay
from putwheel.ledger import orders as lo

LIVE_BROKERS = ("alpaca", "ibkr")


@dataclass(frozen=True)
class RunResult:
    as_of: date
    broker: str
    dry_run: bool
    orders: list[dict[str, Any]]
    fills: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    differences: list[dict[str, Any]]
    alerts: list[dict[str, str]]
    cash: Decimal
    free_cash: Decimal
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "broker": self.broker, "dry_run": self.dry_run, "orders": self.orders,
                "fills": self.fills, "activities": self.activities, "differences": self.differences,
                "alerts": self.alerts, "cash": str(self.cash), "free_cash": str(self.free_cash),
                "notes": list(self.notes)}


def check_broker(name: str, *, live: bool, config: PlanConfig) -> None:
    """Refuse, in one line, a broker other than paper without every cap in `[execution]`.

    `live` picks the broker's real-money account; without it an adapter uses the broker's own paper endpoint.
    """
    if name == "paper":
        return
    if name not in LIVE_BROKERS:
        raise ConfigError(f"unknown broker {name!r}", where="--broker", hint="paper, alpaca or ibkr")
    missing = config.execution.missing_limits()
    if missing:
        raise ConfigError(f"--broker {name}{' --live' if live else ''} needs limits in the config: "
                          f"{', '.join('execution.' + m for m in missing)} not set",
                          hint="add them to [execution] in putwheel.toml, see docs/run.md")
    if config.source.chains == "embedded":
        raise ConfigError(f"--broker {name} would price real orders on the embedded modelled chains",
                          where="source.chains", hint="set [source] chains = 'cboe' or 'yfinance' (or 'file:PATH')")


def _live_broker(name: str, live: bool) -> LiveBroker:
    try:
        from putwheel.execution.brokers.registry import open_live_broker
    except ImportError:
        raise ConfigError(f"the {name} adapter is not installed in this putwheel", where="--broker",
                          hint="use --broker paper, or install a putwheel with execution.brokers.registry") from None
    broker: LiveBroker = open_live_broker(name, live=live)
    return broker


def _quotes(chain: pd.DataFrame) -> dict[str, tuple[Decimal, Decimal]]:
    out = {}
    for occ, bid, ask in chain[["occ_symbol", "bid", "ask"]].itertuples(index=False):
        b, a = float(bid), float(ask)
        if math.isfinite(b) and math.isfinite(a) and 0 <= b <= a:   # NaN or a crossed quote is no quote
            out[str(occ).replace(" ", "")] = (Decimal(repr(round(b, 4))), Decimal(repr(round(a, 4))))
    return out


def _closes(closes: pd.DataFrame | None) -> Callable[[str, date], Decimal | None]:
    def close(symbol: str, day: date) -> Decimal | None:
        if closes is None or symbol not in closes:
            return None
        s = closes[symbol].loc[: pd.Timestamp(day)].dropna()
        if s.empty or s.index[-1].date() != day:
            return None
        return Decimal(repr(round(float(s.iloc[-1]), 4)))
    return close


def _snapshot(config: PlanConfig, ledger: Ledger, account: str, as_of: date, notes: list[str]) -> tuple[Any, float]:
    """The day's one market for the plan, the manager and the paper broker (watchlist and held names), priced at
    the plan's rate rule (`DayRates`), and that rate."""
    from putwheel.api.plan import DayRates, horizon_days
    from putwheel.data.snapshot import load_snapshot

    names = {w.symbol.upper() for w in config.watchlist}
    names |= {e.instrument.underlying for e in ledger.events(account) if e.instrument is not None}
    rates = DayRates(config, notes)
    snap = load_snapshot(config.source.chains, sorted(names), as_of, rate_for=rates,
                         horizon_days=max(100, horizon_days(config)), fresh_days=5)
    return snap, rates(snap.as_of)


def _ours(g: Any, mine: set[Any]) -> bool:
    """The bot's position: its exact instrument was touched by events from this broker."""
    from putwheel.ledger import option, shares

    if g.right is None:
        return shares(g.underlying) in mine
    return option(g.underlying, g.right, Decimal(repr(float(g.strike))), g.expiry, g.multiplier) in mine


def _manage_intents(db: str | None, account: str, as_of: date, broker: str, ledger: Ledger, min_credit: Decimal,
                    notes: list[str], alerts: list[tuple[str, str]], snap: Any, rate: float) -> list[Intended]:
    """Manage's decisions for the bot's positions as orders; others are noted and left alone."""
    from putwheel.api.manage import manage, position_text, positions_from_ledger

    legs, _ = positions_from_ledger(db, account, as_of)
    mine = reconcile.owned(ledger.events(account), broker)
    live = [g for _, g in legs if g.expiry is None or g.expiry >= as_of]
    if not any(_ours(g, mine) for g in live):
        return []
    try:
        res = manage(as_of, db=db, account=account, skip_missing=True, snapshot=snap, rate=rate)
    except DataError as exc:   # no usable quotes for a held name: nothing managed today, said loudly
        alerts.append(("missing_data", exc.render()))
        return []
    if res.undecided:
        alerts.append(("missing_data", f"no market data for {', '.join(res.undecided)} on {as_of}: their positions "
                                       "are held, not managed, today"))
    by_label = {position_text(g): g for g in live}
    recs, chosen = [], []
    for rec in res.records():
        g = by_label.get(str(rec["position"]))
        if g is None:
            continue
        if not _ours(g, mine):
            notes.append(f"{rec['position']}: not opened by putwheel run ({rec['action']}): left alone")
            continue
        recs.append(rec)
        chosen.append(g)
    return decisions.from_manage(recs, chosen, account=account, run_date=as_of, min_credit=min_credit)


def _plan_intents(config: PlanConfig, db: str | None, account: str, as_of: date, reserved: Decimal,
                  notes: list[str], alerts: list[tuple[str, str]], snap: Any) -> list[Intended]:
    from putwheel.api.plan import plan

    acct = config.account.model_copy(update={"ledger": True, "ledger_db": db, "ledger_account": account})
    try:
        res = plan(config.model_copy(update={"account": acct}), as_of=as_of, reserved=reserved, snapshot=snap)
    except DataError as exc:   # no watchlist name with a usable chain: no new puts today
        alerts.append(("missing_data", f"plan: {exc.render()}"))
        return []
    notes.extend(res.warnings)
    return decisions.from_plan(res.tickets.to_dict(orient="records"), account=account, run_date=as_of)


def _paper(ledger: Ledger, account: str, as_of: date, quote: Callable[[OptionContract], Any], snap: Any, cash: Decimal,
           ex: Any, *, dry_run: bool, clock: Callable[[], datetime]) -> LiveBroker:
    """The paper broker on the run's snapshot; a dry run works on a copy of its book (nothing saved)."""
    from putwheel.execution.brokers.paper import LedgerBookStore, MemoryBookStore, PaperBroker

    store: Any = LedgerBookStore(ledger, account, clock)
    if dry_run:
        store = MemoryBookStore()
        store.doc = lo.broker_doc(ledger, "paper", account)
    return PaperBroker(store, as_of, quote, _closes(snap.closes), starting_cash=cash,
                       commission=Decimal(repr(ex.commission)), slippage=Decimal(repr(ex.paper_slippage)))


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value))


def _limits(ex: Any) -> Limits:
    return Limits(_dec(ex.max_order_notional), ex.max_orders_per_run, _dec(ex.max_collateral_pct))


def _reconcile(engine: Engine, ledger: Ledger, account: str, name: str, as_of: date, *, adopt: bool, dry_run: bool,
               clock: Callable[[], datetime]) -> tuple[list[Any], list[reconcile.Difference]]:
    """The broker's activities and positions against the ledger: recorded (unless a dry run), listed, alerted."""
    broker = engine.broker
    events, done, diffs = reconcile.activities(ledger, account, name, broker.activities(as_of - timedelta(days=45)),
                                               adopt=adopt)
    if not dry_run:
        if events:
            ledger.append(events, strict=True, origin=f"run {as_of}", source=name, recorded_at=clock())
        held = broker.account().positions
        diffs += reconcile.positions(ledger, account, name, held)
        adopted = reconcile.adopt_events(account, name, diffs, held, as_of) if adopt else []
        if adopted:
            ledger.append(adopted, strict=True, origin=f"adopt {as_of}", source=name, recorded_at=clock())
    for a in done:
        kind = "expiration" if a.kind.value == "expiration" else "assignment"
        engine.out.alerts.append((kind, f"{a.contract.compact_symbol} x{a.quantity} {a.kind.value} on {a.on}"))
    for d in diffs:
        engine.out.alerts.append(("difference", f"{d.code}: {d.label} broker {d.broker_quantity}, "
                                                f"ledger {d.ledger_quantity}"))
    return done, diffs


def _resume(engine: Engine, min_credit: Decimal) -> None:
    """Orders an earlier run left: the unsent ones sent, the working ones walked on to their deadline."""
    if engine.dry_run:
        return
    unsent, working = engine.resume()
    for stored in unsent:   # a roll walks to the floor it was decided with (orders before migration 0003: config's)
        engine.submit(Intended(stored.origin, stored.action, stored.order, _kept(stored, min_credit)), resumed=stored)
    for stored in working:
        engine.follow(stored, Intended(stored.origin, stored.action, stored.order, _kept(stored, min_credit)))


def _kept(stored: Any, default: Decimal) -> Decimal:
    return default if stored.min_credit is None else Decimal(stored.min_credit)


def _decide(engine: Engine, config: PlanConfig, ledger: Ledger, db: str | None, account: str, name: str, as_of: date,
            notes: list[str], snap: Any, rate: float) -> None:
    """Manage's orders, then the plan's (planned once per run date: a re-run lists the day's and sends nothing),
    both on the run's snapshot `snap` (priced at `rate`), the quotes the paper broker fills against."""
    min_credit = Decimal(repr(config.execution.roll_min_credit))
    for intended in _manage_intents(db, account, as_of, name, ledger, min_credit, notes, engine.out.alerts, snap, rate):
        engine.submit(intended)
    planned = [s for s in lo.orders_of(ledger, account, run_date=as_of, broker=name) if s.origin == "plan"]
    if planned:
        notes.append(f"new puts were planned earlier on {as_of}: not planned again")
        for s in planned:
            engine.submit(Intended(s.origin, s.action, s.order))   # recognised: listed, not sent
        return
    engine.submit_all(_plan_intents(config, db, account, as_of, engine.reserved(), notes, engine.out.alerts, snap))


def run(as_of: date, *, config: PlanConfig | None = None, broker: str | None = None, live: bool = False,
        dry_run: bool = True, db: str | None = None, account: str = "main", adopt: bool = False,
        now: Callable[[], datetime] | None = None, sleep: Callable[[float], None] | None = None) -> RunResult:
    """One daily pass on `as_of` (explicit; the paper broker trades that day's snapshot)."""
    from putwheel.api.ledger import open_ledger

    config = config or PlanConfig()
    ex = config.execution
    name = (broker or ex.broker).strip().lower()
    check_broker(name, live=live, config=config)
    clock = now or (lambda: datetime.now(UTC))
    notes: list[str] = []
    with open_ledger(db, create=False) as ledger:
        state = replay(ledger.events(account))
        cash = state.cash.get("USD", Decimal(0))
        if cash <= 0 and not state.holdings:
            raise InputError(f"ledger account {account!r} has no cash", where="run",
                             hint="record a deposit first: putwheel trade deposit 100000 --date YYYY-MM-DD")
        opened = None if name == "paper" else _live_broker(name, live)   # credentials before any market data
        snap, rate = _snapshot(config, ledger, account, as_of, notes)
        quotes = _quotes(snap.chain)

        def quote(c: OptionContract) -> tuple[Decimal, Decimal] | None:
            return quotes.get(c.compact_symbol)

        the_broker = opened or _paper(ledger, account, as_of, quote, snap, cash, ex, dry_run=dry_run, clock=clock)
        engine = Engine(ledger, the_broker, account=account, run_date=as_of, quote=quote,
                        policy=PricePolicy(ex.price_steps, 0.0 if name == "paper" else ex.step_seconds),
                        limits_=_limits(ex), now=clock, sleep=sleep or _time.sleep, dry_run=dry_run)
        _resume(engine, Decimal(repr(ex.roll_min_credit)))
        done, diffs = _reconcile(engine, ledger, account, name, as_of, adopt=adopt, dry_run=dry_run, clock=clock)
        _decide(engine, config, ledger, db, account, name, as_of, notes, snap, rate)
        final = replay(ledger.events(account))
        free = lo.free_cash(ledger, account)
    out = engine.out
    for f in out.fills:
        out.alerts.append(("fill", f"{f['side']} {f['quantity']} {f['contract']} at {f['price']}"))
    failed = None if dry_run else _alerts.notify(ex.alerts, f"putwheel run {as_of} ({name})", out.alerts)
    if failed:
        notes.append(failed)
    return RunResult(as_of, name, dry_run, out.orders, out.fills,
                     [{"id": a.activity_id, "kind": a.kind.value, "contract": a.contract.compact_symbol,
                       "quantity": a.quantity, "on": a.on.isoformat()} for a in done],
                     [{"code": d.code, "position": d.label, "broker": d.broker_quantity, "ledger": d.ledger_quantity}
                      for d in diffs],
                     [{"kind": k, "text": t} for k, t in out.alerts], final.cash.get("USD", Decimal(0)),
                     free - engine.reserved_dry, tuple(notes))


def loop(*, config: PlanConfig | None = None, broker: str | None = None, live: bool = False, db: str | None = None,
         account: str = "main", lead_minutes: float = 30.0, now: Callable[[], datetime] | None = None,
         sleep: Callable[[float], None] | None = None, max_runs: int | None = None) -> Iterator[RunResult]:
    """`run` once per NYSE session, `lead_minutes` before its close (early closes included), forever or `max_runs`."""
    from putwheel.data.calendar import session_closes
    from putwheel.execution.schedule import next_run

    config = config or PlanConfig()
    check_broker((broker or config.execution.broker).strip().lower(), live=live, config=config)
    clock = now or (lambda: datetime.now(UTC))
    wait = sleep or _time.sleep
    done: set[date] = set()
    while max_runs is None or len(done) < max_runs:
        t = clock()
        nxt = next_run(t, session_closes(t.date(), t.date() + timedelta(days=10)), lead=timedelta(minutes=lead_minutes),
                       done=done)
        if nxt is None:   # no session in the next ten days (a long holiday): look again tomorrow
            wait(86_400.0)
            continue
        day, at = nxt
        wait(max((at - t).total_seconds(), 0.0))
        done.add(day)
        yield run(day, config=config, broker=broker, live=live, dry_run=False, db=db, account=account, now=clock,
                  sleep=wait)
