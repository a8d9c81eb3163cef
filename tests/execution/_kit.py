"""A small fixed market and a day of orders for the engine tests (also run as a child process by the crash test).

`python _kit.py DB_URL` runs one day: resume what an earlier run left, then submit three put sales through the
paper broker (book in the ledger database). With PUTWHEEL_TEST_CRASH_AT set it dies by SIGKILL at that boundary.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from decimal import Decimal

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.orders import Intent, Order, Side
from putwheel.execution.brokers.paper import LedgerBookStore, PaperBroker
from putwheel.execution.engine import Engine, Intended, Limits, client_order_id
from putwheel.execution.policy import PricePolicy
from putwheel.ledger import Kind, Ledger, manual

D = Decimal
DAY = date(2017, 12, 1)
NOW = datetime(2017, 12, 1, 20, tzinfo=UTC)
EXP = date(2018, 1, 12)
PUTS = {"AAPL": (D(162), D("1.60"), D("1.80")), "MSFT": (D(80), D("0.90"), D("1.00")), "XSP": (D(250), D("2.00"), D("2.20"))}


def contract(name: str, strike: Decimal | None = None, right: Right = Right.PUT, expiry: date = EXP) -> OptionContract:
    return OptionContract(name, expiry, PUTS[name][0] if strike is None else strike, right)


QUOTES = {contract(n).compact_symbol: (bid, ask) for n, (_, bid, ask) in PUTS.items()}


def quote(c: OptionContract) -> tuple[Decimal, Decimal] | None:
    return QUOTES.get(c.compact_symbol)


def fund(led: Ledger, amount: str) -> None:
    led.append(manual.cash_move("main", datetime(2017, 11, 30, tzinfo=UTC), Kind.DEPOSIT, amount), strict=True,
               recorded_at=NOW)


def intents(day: date = DAY) -> list[Intended]:
    out = []
    for name in PUTS:
        c = contract(name)
        cid = client_order_id(day, f"plan|main|{c.occ_symbol}|1")
        out.append(Intended("plan", "sell_put", Order(cid, c, Side.SELL, Intent.OPEN, 1, None, 1, day)))
    return out


def engine(led: Ledger, broker: object, day: date = DAY, boundary=None, steps: int = 2) -> Engine:
    return Engine(led, broker, account="main", run_date=day, quote=quote,  # type: ignore[arg-type]
                  policy=PricePolicy(steps=steps, interval_seconds=0), limits_=Limits(), now=lambda: NOW,
                  sleep=lambda _s: None, boundary=boundary)


def paper(led: Ledger, day: date = DAY) -> PaperBroker:
    return PaperBroker(LedgerBookStore(led, "main", lambda: NOW), day, quote, lambda _s, _d: None,
                       starting_cash=D(50000))


def run_day(url: str) -> Engine:
    with Ledger.open(url) as led:
        eng = engine(led, paper(led))
        unsent, working = eng.resume()
        for s in unsent:
            eng.submit(Intended(s.origin, s.action, s.order), resumed=s)
        for s in working:
            eng.follow(s, Intended(s.origin, s.action, s.order))
        eng.submit_all(intents())   # as `putwheel run` sends a plan: persisted together, then sent one by one
        return eng


if __name__ == "__main__":
    run_day(sys.argv[1])
