"""New puts from the planner (`--entry plan`) inside the one Wheel engine.

The day loop stops on a day a flat name has room for a put; this hook asks the planner (`backtest.planned.
plan_puts`: targets, ladder, caps, correlation, MILP sizing) for today's tickets on the modelled chains of the
flat names (`modelled_columns`: arrays, no frame; their puts alone, without labels: the planner reads no call and
no OSI symbol), turns each ticket
into a sell-to-open `Order`, has the `SimulatedBroker` fill it (never beyond the free cash) and books the fill
into the engine's arrays with the engine's own `write`; the loop then resumes.
A flat name asks the planner on the day it goes flat, then once a week while it stays flat (`book.PLAN_EVERY`:
`putwheel plan` is the week's plan), so the planner is not re-run every day for a name it has nothing for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from putwheel.backtest.planned import plan_puts
from putwheel.backtest.wheel.book import B_PLANNED, B_SHARES, L_K, L_N
from putwheel.backtest.wheel.broker import SimulatedBroker
from putwheel.backtest.wheel.config import WheelConfig
from putwheel.backtest.wheel.engine import State
from putwheel.backtest.wheel.step import wants_put, write
from putwheel.data.modelled import modelled_columns
from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.orders import Intent, Order, Side
from putwheel.strategy import core, reasons


def _free(st: State) -> tuple[float, dict[int, float]]:
    mult = st.rp[core.R_MULT]
    coll = {j: float(st.legs[j, 0, L_N] * st.legs[j, 0, L_K] * mult) for j in range(st.legs.shape[0])}
    return float(st.pool[0]) - sum(coll.values()), coll


def planner_hook(cfg: WheelConfig, names: Sequence[str], px: pd.DataFrame,
                 days: pd.DatetimeIndex) -> Callable[[State, int], None]:
    entry = cfg.planner
    assert entry is not None
    # the names as plain str labels (an object Index), once a run: pandas 3's arrow-backed labels cost ~5 us a
    # `tolist` and more a look-up, and the planner reads the window's labels ~6 times a call (context, correlation)
    px = px.set_axis(pd.Index(list(px.columns), dtype=object), axis=1)

    def hook(st: State, i: int) -> None:
        ts, r = days[i], float(st.rate[i])
        day: date = ts.date()
        wanting = [j for j in range(len(names)) if wants_put(st.legs[j], st.books[j])]
        for j in wanting:   # asked today: next time when it goes flat again, or in a week
            st.books[j, B_PLANNED] = st.day_no[i]
        ahead = st.exp_no - st.day_no[i]
        exps = st.exp_no[(ahead > 0) & (ahead <= st.horizon[0])].astype("datetime64[D]").tolist()   # as dates
        pos = int(px.index.searchsorted(ts, side="right"))
        if not wanting:
            return
        window = px.iloc[max(0, pos - 300): pos]   # sliced once: the chains' spots and the planner's closes
        chain = modelled_columns([(names[j], window[names[j]], float(st.atm[i, j])) for j in wanting], day, exps, r,
                                 0.0, cfg.chain, calls=False, labels=False)
        free, coll = _free(st)
        spot = st.spot[i]
        exposure = {names[j]: coll[j] + float(st.books[j, B_SHARES] * spot[j]) for j in range(len(names))}
        tickets = plan_puts(entry, chain, [names[j] for j in wanting], window, r, free, exposure, ts)
        if not len(tickets):
            return
        book = {col: np.asarray(chain[col]) for col in ("underlying", "expiry", "strike", "right", "bid", "ask")}

        def quote(order: Order) -> tuple[float, float]:
            c = order.contract
            at = np.flatnonzero((book["underlying"] == c.underlying) & (book["strike"] == float(c.strike))
                                & (book["expiry"] == np.datetime64(c.expiry, "ns")) & (book["right"] == c.right.value))
            return float(book["bid"][at[0]]), float(book["ask"][at[0]])

        broker = SimulatedBroker(quote, cfg.rules.fill_slippage, cfg.commission_per_contract, free)
        for n, (name, strike, expiry, contracts, limit) in enumerate(zip(
                tickets.underlying, tickets.strike, tickets.expiry, tickets.contracts, tickets.limit_price, strict=True)):
            j = list(names).index(str(name))
            contract = OptionContract(str(name), pd.Timestamp(expiry).date(), Decimal(repr(float(strike))), Right.PUT)
            order = Order(f"{day:%Y%m%d}-{name}-{n}", contract, Side.SELL, Intent.OPEN, int(contracts),
                          Decimal(repr(float(limit))), reasons.NEW_PUT, day)
            done = broker.submit(order)
            if done is None:
                continue
            price = float(done.price)
            exp_no = float(np.datetime64(contract.expiry, "D").astype(np.int64))
            fee_ps = st.rp[core.R_FEE] / st.rp[core.R_MULT]
            st.pool[0] += write(st.legs[j], st.books[j], 0, float(done.filled), float(strike), exp_no, price,
                                price - fee_ps, 0.0, i, st.rp, st.events[j], st.stats[j], reasons.NEW_PUT, np.nan,
                                exp_no - st.day_no[i], float(order.collateral()))

    return hook
