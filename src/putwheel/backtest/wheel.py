"""The Wheel on one name's history, model-priced, driven by the live manager's rules (`strategy.decide_many`).

Stages per trading day (an event loop: assignment and rolls make each day depend on the last):
1. price a listed-style monthly chain from the history up to that day (`data.modelled.modelled_chain`);
2. settle legs that expire today (a put ITM is assigned: shares bought at the strike; a call ITM calls them away);
3. ask the manager (`decide_many`, the same code `putwheel manage` runs) what to do with every open leg and
   uncovered share lot, and carry out take-profit, close, roll and covered-call decisions at its prices;
4. with neither a short put nor shares, sell a cash-secured put at the target delta and DTE, as many contracts
   as the cash secures; 5. accrue T-bill interest on cash (and dividends on shares), mark everything.

Cash and marks are float64 while simulating (money becomes Decimal only in the ledger); commissions are a flat
amount per contract. Prices are modelled (see data/modelled.py), so results are labelled as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from putwheel.backtest.inputs import IVModel, dividend_yield, realized_iv, roll_dates, tbill_rates
from putwheel.backtest.metrics import Metrics, compute_metrics, month_end_values
from putwheel.backtest.planned import PlannerEntry
from putwheel.data.modelled import ChainModel, modelled_chain
from putwheel.data.series import MarketHistory
from putwheel.domain.errors import InputError
from putwheel.pricing import bs_greeks
from putwheel.strategy import Action, Leg, ManageRules, core, decide_many, positions_frame

MULTIPLIER = 100


@dataclass(frozen=True)
class WheelConfig:
    """Entry rule for new puts, the manager's rules, the chain model and costs."""

    put_delta: float = 0.30
    put_dte: int = 35
    allow_rolls: bool = True    # False: a roll the manager proposes becomes its no-roll fallback (sweeps' "never")
    rules: ManageRules = field(default_factory=ManageRules)  # type: ignore[arg-type]
    chain: ChainModel = field(default_factory=ChainModel)
    commission_per_contract: float = 0.65
    start_cash: float = 1_000_000.0
    planner: PlannerEntry | None = None   # new puts from `putwheel plan`'s planner (multi-name, manager engine)


@dataclass(frozen=True)
class WheelResult:
    daily: pd.DataFrame          # cash, shares, short option value, account value, T-bill growth per day
    events: pd.DataFrame         # one row per trade or settlement, with the manager's reason
    metrics: Metrics
    assignment_rate: float       # puts assigned / puts sold
    time_in_shares: float        # share of days holding shares
    monthly_income: pd.Series    # option premium received minus buy-backs, per month
    label: str


@dataclass
class _Book:
    cash: float
    shares: int = 0
    basis: float = 0.0
    legs: list[Leg] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)
    puts_sold: int = 0
    puts_assigned: int = 0

    def trade(self, day: date, action: str, leg: Leg, price: float, contracts: int, fee: float, reason: str) -> None:
        flow = price * MULTIPLIER * contracts - fee * abs(contracts)
        self.cash += flow
        self.events.append({"date": day, "action": action, "right": leg.right.value if leg.right else "",
                            "strike": leg.strike, "expiry": leg.expiry, "contracts": contracts, "price": price,
                            "cash_flow": flow, "reason": reason})


def _settle(book: _Book, day: date, spot: float) -> None:
    for leg in [lg for lg in book.legs if lg.expiry is not None and lg.expiry <= day]:
        book.legs.remove(leg)
        n, k = -leg.contracts, float(leg.strike or 0.0)
        itm = spot < k if leg.right == "P" else spot > k
        if not itm:
            book.events.append({"date": day, "action": "expired", "right": str(leg.right), "strike": k,
                                "expiry": leg.expiry, "contracts": n, "price": 0.0, "cash_flow": 0.0,
                                "reason": f"expired out of the money (spot {spot:.2f})"})
            continue
        qty = n * MULTIPLIER
        if leg.right == "P":
            book.basis = (book.basis * book.shares + (k - leg.open_premium) * qty) / (book.shares + qty)
            book.shares += qty
            book.cash -= k * qty
            book.puts_assigned += n
            what = f"assigned {qty} shares at {k:.2f} (spot {spot:.2f})"
        else:
            book.shares -= qty
            book.cash += k * qty
            what = f"called away {qty} shares at {k:.2f} (spot {spot:.2f})"
        book.events.append({"date": day, "action": "assigned" if leg.right == "P" else "called_away",
                            "right": str(leg.right), "strike": k, "expiry": leg.expiry, "contracts": n,
                            "price": k, "cash_flow": (-k if leg.right == "P" else k) * qty, "reason": what})


def _apply(book: _Book, decisions: pd.DataFrame, day: date, symbol: str, cfg: WheelConfig) -> None:
    fee = cfg.commission_per_contract
    for row in decisions.to_dict("records"):
        action = row["action"]
        if action == Action.ROLL and not cfg.allow_rolls:
            # the manager's own fallback for a tested short that cannot roll: keep it (assignment) or close it
            action = Action.CLOSE if bool(row.get("itm")) and not cfg.rules.accept_assignment else Action.HOLD
        if row["right"] in ("P", "C"):
            leg = next(lg for lg in book.legs if lg.right == row["right"] and lg.strike == row["strike"]
                       and lg.expiry == pd.Timestamp(row["expiry"]).date())
            n = -leg.contracts
            if action in (Action.TAKE_PROFIT, Action.CLOSE, Action.ROLL):
                book.legs.remove(leg)
                book.trade(day, f"buy_to_close ({action})", leg, -float(row["close_cost"]), n, fee, row["reason"])
            if action == Action.ROLL:
                new = Leg(symbol, leg.right, float(row["roll_strike"]), pd.Timestamp(row["roll_expiry"]).date(),
                          -n, float(row["roll_price"]), day)
                book.legs.append(new)
                book.trade(day, "sell_to_open (roll)", new, float(row["roll_price"]), n, fee, row["reason"])
                book.puts_sold += n if new.right == "P" else 0
        elif action == Action.SELL_COVERED_CALL and np.isfinite(row.get("cc_strike", np.nan)):
            n = int(row["cc_contracts"]) if np.isfinite(row.get("cc_contracts", np.nan)) else int(row["contracts"]) // MULTIPLIER
            if n <= 0:
                continue
            new = Leg(symbol, "C", float(row["cc_strike"]), pd.Timestamp(row["cc_expiry"]).date(), -n,  # type: ignore[arg-type]
                      float(row["cc_price"]), day)
            book.legs.append(new)
            book.trade(day, "sell_to_open (covered call)", new, float(row["cc_price"]), n, fee, row["reason"])


def _open_put(book: _Book, chain: pd.DataFrame, day: date, symbol: str, market: pd.Series, cfg: WheelConfig) -> None:
    puts = chain[(chain["right"] == "P") & (chain["dte"] >= cfg.rules.roll_dte_min) & (chain["bid"] > 0)]
    if puts.empty:
        puts = chain[(chain["right"] == "P") & (chain["dte"] >= 7) & (chain["bid"] > 0)]
    if puts.empty:
        return
    dte = puts["dte"].to_numpy()
    puts = puts[dte == dte[np.argmin(np.abs(dte - cfg.put_dte))]]
    k, t = puts["strike"].to_numpy(dtype=float), puts["dte"].to_numpy(dtype=float) / 365.0
    delta = np.asarray(bs_greeks(market["spot"], k, t, market["rate"], market["dividend_yield"],
                                 puts["iv"].to_numpy(dtype=float), False).delta, dtype=float)
    pick = puts.iloc[int(np.argmin(np.abs(np.abs(delta) - cfg.put_delta)))]
    n = int(book.cash // (float(pick["strike"]) * MULTIPLIER))
    if n <= 0:
        return
    price = float(core.sell_price1(float(pick["bid"]), float(pick["mid"]), cfg.rules.fill_slippage))
    leg = Leg(symbol, "P", float(pick["strike"]), pd.Timestamp(pick["expiry"]).date(), -n, price, day)  # type: ignore[arg-type]
    book.legs.append(leg)
    book.puts_sold += n
    reason = f"new cash-secured put: |delta| {abs(delta[puts.index.get_loc(pick.name)]):.2f}, {int(pick['dte'])} DTE"
    book.trade(day, "sell_to_open (put)", leg, price, n, cfg.commission_per_contract, reason)


def _leg_marks(book: _Book, day: date, spot: float, r: float, q: float, atm: float,
               skew: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(price per share, delta, days left) of each open leg, with the chain model's vol at its strike."""
    k = np.array([float(lg.strike or 0.0) for lg in book.legs])
    days_left = np.array([float((lg.expiry - day).days) for lg in book.legs if lg.expiry is not None])
    t = np.maximum(days_left, 0.5) / 365.0
    is_call = np.array([lg.right == "C" for lg in book.legs])
    iv = np.clip(atm + skew * np.log(spot / k), 0.05, 3.0)
    greeks = bs_greeks(spot, k, t, r, q, iv, is_call)
    return np.asarray(greeks.price, dtype=float), np.asarray(greeks.delta, dtype=float), days_left


def _may_act(book: _Book, marks: tuple[np.ndarray, np.ndarray, np.ndarray], rules: ManageRules) -> bool:
    """Could the manager do anything but hold today? A superset of its triggers, with margins, so that on the
    days skipped it would certainly have said "hold"; on the others `decide_many` decides."""
    covered = sum(-lg.contracts for lg in book.legs if lg.right == "C") * MULTIPLIER
    if book.shares - covered >= MULTIPLIER:
        return True
    price, delta, days_left = marks
    premium = np.array([lg.open_premium for lg in book.legs])
    captured = np.where(premium > 0, (premium - price) / np.maximum(premium, 1e-12), 0.0)
    return bool(np.any((captured >= rules.take_profit_pct - 0.10) | (np.abs(delta) >= rules.roll_delta - 0.10)
                       | (days_left <= rules.roll_at_dte + 1) | (price < rules.expire_worthless_below + 0.10)))


def _positions(book: _Book, symbol: str, day: date) -> pd.DataFrame | None:
    covered = sum(-lg.contracts for lg in book.legs if lg.right == "C") * MULTIPLIER
    legs = list(book.legs)
    if book.shares - covered >= MULTIPLIER:
        legs.append(Leg.shares(symbol, book.shares - covered, max(book.basis, 0.01), day))
    return positions_frame(legs) if legs else None


def wheel_inputs(history: MarketHistory, start: date, end: date, cfg: WheelConfig, closes: pd.Series | None = None
                 ) -> tuple[pd.Series, pd.DatetimeIndex, np.ndarray, np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """(closes, trading days, continuous T-bill rate, dividend yield, monthly expiries, modelled ATM vol): what
    both Wheel engines run on, built once here so they cannot differ."""
    px = (closes if closes is not None else history.spx).sort_index().dropna()
    days = pd.DatetimeIndex(px.loc[pd.Timestamp(start): pd.Timestamp(end)].index)
    if len(days) < 30 or len(px.loc[: days[0]]) < cfg.chain.strikes_each_side:
        raise InputError("the Wheel needs at least 30 trading days and some history before the start",
                         where="run_wheel", hint="widen the period or start later")
    _, rate = tbill_rates(history, days)
    q = dividend_yield(history, days, 0.0) if closes is None else np.zeros(len(days))
    expiries = roll_dates(days[0].date(), days[-1].date() + pd.Timedelta(days=120))
    return px, days, rate, q, expiries, realized_iv(px, days, IVModel(vrp_factor=cfg.chain.vrp_factor))


def run_wheel(history: MarketHistory, start: date, end: date, config: WheelConfig | None = None,
              symbol: str = "SPX", closes: pd.Series | None = None,
              progress: Callable[[float], None] | None = None) -> WheelResult:
    """The Wheel on `closes` (default: the S&P 500 in `history`) from `start` to `end`; rates from `history`."""
    cfg = config or WheelConfig()
    if cfg.planner is not None:
        raise InputError("new puts from the planner (--entry plan) need several names on one pool of cash",
                         where="--entry", hint="give --names (e.g. XSP,AAPL,MSFT,GOOG) or use the delta/DTE entry")
    px, days, rate, q, expiry_index, atm_all = wheel_inputs(history, start, end, cfg, closes)
    expiries = [e.date() for e in expiry_index]
    book, rows = _Book(cash=cfg.start_cash), []
    for i, ts in enumerate(days):
        day, spot, r, atm = ts.date(), float(px.loc[ts]), float(rate[i]), float(atm_all[i])
        if i:
            gap = (ts - days[i - 1]).days / 365.0
            book.cash += book.cash * rate[i - 1] * gap + book.shares * spot * q[i - 1] * gap
        _settle(book, day, spot)
        marks = _leg_marks(book, day, spot, r, float(q[i]), atm, cfg.chain.skew)
        wants_put = book.shares == 0 and not any(lg.right == "P" for lg in book.legs)
        if wants_put or _may_act(book, marks, cfg.rules):
            horizon = day + pd.Timedelta(days=max(cfg.rules.roll_dte_max, cfg.put_dte) + 35)
            pos = int(px.index.searchsorted(ts, side="right"))   # the chain model reads the last 252 returns only
            chain = modelled_chain(symbol, px.iloc[max(0, pos - 300): pos], day, [e for e in expiries if day < e <= horizon], r,
                                   float(q[i]), cfg.chain, atm=atm if np.isfinite(atm) else None)
            market = pd.DataFrame({"spot": spot, "rate": r, "dividend_yield": q[i], "iv": atm}, index=[symbol])
            positions = _positions(book, symbol, day)
            if positions is not None:
                _apply(book, decide_many(positions, market, cfg.rules, day, chain=chain), day, symbol, cfg)
            if book.shares == 0 and not any(lg.right == "P" for lg in book.legs):
                _open_put(book, chain, day, symbol, market.iloc[0], cfg)
            marks = _leg_marks(book, day, spot, r, float(q[i]), atm, cfg.chain.skew)
        n = np.array([-lg.contracts for lg in book.legs], dtype=float)
        short = float(np.sum(marks[0] * n) * MULTIPLIER)
        rows.append((book.cash, book.shares, book.shares * spot, short, book.cash + book.shares * spot - short))
        if progress is not None and i % 20 == 0:
            progress(i / len(days))
    daily = pd.DataFrame(rows, index=days, columns=["cash", "shares", "shares_value", "short_options", "value"])
    return _result(book, daily, rate, symbol, history.label)


def _result(book: _Book, daily: pd.DataFrame, rate: np.ndarray, symbol: str, label: str) -> WheelResult:
    days = pd.DatetimeIndex(daily.index)
    events = pd.DataFrame(book.events, columns=["date", "action", "right", "strike", "expiry", "contracts", "price",
                                                "cash_flow", "reason"])
    option_flows = events[events["action"].str.contains("to_open|to_close")]
    income = option_flows.groupby(pd.to_datetime(option_flows["date"]).dt.to_period("M"))["cash_flow"].sum()
    tb = pd.Series(np.concatenate([[1.0], np.cumprod(1 + rate[:-1] * np.diff(days.to_numpy()).astype(
        "timedelta64[D]").astype(float) / 365.0)]), index=days)
    rf = month_end_values(tb).pct_change().dropna()
    daily["tbill_growth"] = tb
    return WheelResult(daily=daily, events=events, metrics=compute_metrics(daily["value"], rf),
                       assignment_rate=book.puts_assigned / book.puts_sold if book.puts_sold else 0.0,
                       time_in_shares=float((daily["shares"] > 0).mean()), monthly_income=income,
                       label=f"Wheel on {symbol}, MODELLED option prices ({label})")
