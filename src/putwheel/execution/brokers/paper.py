"""The paper broker: a `LiveBroker` that fills against one day's market snapshot and keeps its book in the ledger.

Stages of every call: load the book (one JSON document in the ledger database's `broker_state`, so consecutive
days continue one book) -> settle options that expired before today (assigned if in the money at the expiry's
close, else expired: each a `BrokerActivity`) -> do the call (place / replace / cancel) -> save the book.

Fill model: the backtests' one fill rule (`strategy.core.fill_at`): a leg trades at mid less (a sale) or plus (a
buy) `slippage` of the half-spread, to the cent against us; by default slippage 1, the natural price (a sale at the
bid, a buy at the ask). A limit order fills in full when its limit is at that price or better; a multi-leg order
when its net limit is at or below the net of its legs' prices. Anything else rests until replaced or cancelled. A put is
never opened here without its full collateral free in the paper book (else the order is rejected), commission is
per contract. Every fill and activity id is deterministic, so a re-run cannot invent new ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import InputError
from putwheel.domain.orders import (
    ActivityKind,
    BrokerAccount,
    BrokerActivity,
    BrokerFill,
    BrokerPosition,
    ComboOrder,
    Intent,
    Order,
    OrderReport,
    OrderStatus,
    Side,
)
from putwheel.strategy import core

ZERO = Decimal(0)
CENT = Decimal("0.01")
Quote = Callable[[OptionContract], tuple[Decimal, Decimal] | None]   # (bid, ask) per share now, None: not quoted
Close = Callable[[str, date], Decimal | None]                        # an underlying's close on a day
CLOSE_UTC = time(21, 0)   # fills and activities are stamped at the US close (16:00 New York in winter)


class BookStore(Protocol):
    def load(self) -> str | None: ...

    def save(self, doc: str) -> None: ...


class LedgerBookStore:
    """The paper book as one document in the ledger database (`ledger.orders.broker_doc`)."""

    def __init__(self, ledger: Any, account: str, now: Callable[[], datetime]) -> None:
        self.ledger, self.account, self.now = ledger, account, now

    def load(self) -> str | None:
        from putwheel.ledger.orders import broker_doc

        return broker_doc(self.ledger, "paper", self.account)

    def save(self, doc: str) -> None:
        from putwheel.ledger.orders import save_broker_doc

        save_broker_doc(self.ledger, "paper", self.account, doc, now=self.now())


class MemoryBookStore:
    """A book kept in memory (tests)."""

    def __init__(self) -> None:
        self.doc: str | None = None

    def load(self) -> str | None:
        return self.doc

    def save(self, doc: str) -> None:
        self.doc = doc


def _key(c: OptionContract) -> str:
    return c.occ_symbol


def _leg_doc(o: Order) -> dict[str, Any]:
    return {"occ": o.contract.occ_symbol, "mult": o.contract.multiplier, "side": o.side.value,
            "intent": o.intent.value, "qty": o.quantity}


@dataclass
class PaperBroker:
    """Paper trading on `as_of`'s quotes. `starting_cash` opens the book the first time it is used."""

    store: BookStore
    as_of: date
    quote: Quote
    close: Close
    starting_cash: Decimal = ZERO
    commission: Decimal = Decimal("0.65")
    slippage: Decimal = Decimal(1)   # share of the half-spread paid: 1 = the natural price, 0 = mid
    name: str = "paper"
    supports_combo: bool = True

    def __post_init__(self) -> None:
        raw = self.store.load()
        self.book: dict[str, Any] = json.loads(raw) if raw else {
            "cash": str(self.starting_cash), "orders": {}, "options": {}, "shares": {}, "activities": []}
        if self._settle():
            self._save()

    # -- the book ---------------------------------------------------------------------------------------
    def _save(self) -> None:
        self.store.save(json.dumps(self.book, sort_keys=True))

    @property
    def cash(self) -> Decimal:
        return Decimal(self.book["cash"])

    def _add_cash(self, amount: Decimal) -> None:
        self.book["cash"] = str(self.cash + amount)

    def _stamp(self, day: date) -> datetime:
        return datetime.combine(day, CLOSE_UTC, UTC)

    def _collateral(self) -> Decimal:
        out = ZERO
        for occ, pos in self.book["options"].items():
            c = OptionContract.from_occ(occ, int(pos["mult"]))
            if c.right is Right.PUT and pos["qty"] < 0:
                out += c.collateral_per_contract() * -pos["qty"]
        return out

    def _settle(self) -> bool:
        """Options that expired before today leave the book: assigned/exercised if in the money, else expired."""
        changed = False
        for occ in sorted(self.book["options"]):
            pos = self.book["options"][occ]
            c = OptionContract.from_occ(occ, int(pos["mult"]))
            if c.expiry >= self.as_of:
                continue
            px = self.close(c.underlying, c.expiry)
            if px is None:
                continue   # no close for the expiry day yet: settled on a later run
            qty = int(pos["qty"])
            itm = px < c.strike if c.right is Right.PUT else px > c.strike
            kind = ActivityKind.EXPIRATION
            if itm:
                kind = ActivityKind.ASSIGNMENT if qty < 0 else ActivityKind.EXERCISE
                # a put assigned (or a call exercised) delivers shares to the holder of the short put / long call
                shares = c.multiplier * -qty if c.right is Right.PUT else c.multiplier * qty
                sh = self.book["shares"].setdefault(c.underlying, {"qty": 0, "cost": "0"})
                sh["qty"] += shares
                sh["cost"] = str(Decimal(sh["cost"]) + c.strike * shares)
                self._add_cash(-c.strike * shares)
                if sh["qty"] == 0:
                    del self.book["shares"][c.underlying]
            self.book["activities"].append({"id": f"paper-{kind.value}-{occ.replace(' ', '')}", "kind": kind.value,
                                            "occ": occ, "mult": c.multiplier, "qty": abs(qty),
                                            "on": c.expiry.isoformat()})
            del self.book["options"][occ]
            changed = True
        return changed

    # -- fills ------------------------------------------------------------------------------------------
    def _legs(self, rec: dict[str, Any]) -> list[tuple[OptionContract, Side, Intent, int]]:
        return [(OptionContract.from_occ(leg["occ"], int(leg["mult"])), Side(leg["side"]), Intent(leg["intent"]),
                 int(leg["qty"])) for leg in rec["legs"]]

    def _try_fill(self, cid: str) -> None:
        rec = self.book["orders"][cid]
        if OrderStatus(rec["status"]).is_terminal:
            return
        legs = self._legs(rec)
        prices: list[Decimal] = []
        for c, side, _, _ in legs:
            q = self.quote(c)
            if q is None:
                rec.update(status=OrderStatus.REJECTED.value, message=f"no quote for {c.occ_symbol.replace(' ', '')}")
                return
            prices.append(self._price(side is Side.SELL, q))
        natural = sum((p if s is Side.SELL else -p for p, (_, s, _, _) in zip(prices, legs, strict=True)), ZERO)
        limit = None if rec["limit"] is None else Decimal(rec["limit"])
        if rec["combo"]:
            crosses = limit is None or limit <= natural
        else:
            crosses = limit is None or (limit <= prices[0] if legs[0][1] is Side.SELL else limit >= prices[0])
        if not crosses:
            return
        need = self._collateral() + sum((c.collateral_per_contract() * n for c, s, i, n in legs
                                         if s is Side.SELL and i is Intent.OPEN and c.right is Right.PUT), ZERO)
        freed = sum((c.collateral_per_contract() * n for c, s, i, n in legs
                     if s is Side.BUY and i is Intent.CLOSE and c.right is Right.PUT), ZERO)
        if need - freed > self.cash:
            rec.update(status=OrderStatus.REJECTED.value, message="insufficient cash for the put's collateral")
            return
        for j, ((c, side, _, n), px) in enumerate(zip(legs, prices, strict=True)):
            fees = self.commission * n
            signed = -n if side is Side.SELL else n
            self._add_cash(-Decimal(signed) * px * c.multiplier - fees)
            pos = self.book["options"].setdefault(_key(c), {"qty": 0, "mult": c.multiplier, "cost": "0"})
            opening = pos["qty"] == 0 or (pos["qty"] > 0) == (signed > 0)
            # average price per share of what is open: adds on opening, scales down on closing
            cost = Decimal(pos.get("cost", "0"))
            cost = cost + px * signed if opening else cost * (pos["qty"] + signed) / pos["qty"]
            pos["qty"] += signed
            pos["cost"] = str(cost)
            if pos["qty"] == 0:
                del self.book["options"][_key(c)]
            rec["fills"].append({"id": f"{cid}-{len(rec['fills']) + 1}", "leg": j, "occ": c.occ_symbol,
                                 "mult": c.multiplier, "side": side.value, "qty": n, "price": str(px),
                                 "fees": str(fees), "time": self._stamp(self.as_of).isoformat()})
        rec.update(status=OrderStatus.FILLED.value, filled=legs[0][3])

    def _price(self, sell: bool, quote: tuple[Decimal, Decimal]) -> Decimal:
        """Where the paper market takes this leg: the simulated brokers' one fill rule (`core.fill_at`), to the cent
        against us (a sale rounds down, a buy up); at slippage 1 exactly the bid / the ask."""
        bid, ask = quote
        if ask < bid:   # a crossed quote: the side we trade against, as a real book would fill
            return bid if sell else ask
        price = core.fill_at(sell, float(bid), float(ask), float(self.slippage), None)
        assert price is not None
        return Decimal(repr(price)).quantize(CENT, rounding=ROUND_FLOOR if sell else ROUND_CEILING)

    def _report(self, cid: str) -> OrderReport:
        rec = self.book["orders"][cid]
        fills = tuple(BrokerFill(f["id"], cid, OptionContract.from_occ(f["occ"], int(f["mult"])), Side(f["side"]),
                                 int(f["qty"]), Decimal(f["price"]), Decimal(f["fees"]),
                                 datetime.fromisoformat(f["time"])) for f in rec["fills"])
        limit = None if rec["limit"] is None else Decimal(rec["limit"])
        return OrderReport(cid, rec["broker_order_id"], OrderStatus(rec["status"]), int(rec["filled"]), limit, fills,
                           rec.get("message", ""))

    # -- LiveBroker -------------------------------------------------------------------------------------
    def account(self) -> BrokerAccount:
        positions = [BrokerPosition(OptionContract.from_occ(occ, int(p["mult"])).occ_symbol, int(p["qty"]),
                                    abs(Decimal(p.get("cost", "0")) / int(p["qty"])),
                                    OptionContract.from_occ(occ, int(p["mult"])))
                     for occ, p in sorted(self.book["options"].items())]
        positions += [BrokerPosition(sym, int(p["qty"]), Decimal(p["cost"]) / int(p["qty"]))
                      for sym, p in sorted(self.book["shares"].items())]
        return BrokerAccount("paper", self.cash, self.cash - self._collateral(), tuple(positions))

    def place(self, order: Order | ComboOrder) -> OrderReport:
        cid = order.client_order_id
        if cid in self.book["orders"]:
            return self._report(cid)   # the same client order id twice is one order
        legs = order.legs if isinstance(order, ComboOrder) else (order,)
        limit = order.net_limit if isinstance(order, ComboOrder) else order.limit
        self.book["orders"][cid] = {"broker_order_id": f"P{len(self.book['orders']) + 1:06d}",
                                    "legs": [_leg_doc(leg) for leg in legs], "combo": isinstance(order, ComboOrder),
                                    "limit": None if limit is None else str(limit), "status": OrderStatus.ACCEPTED.value,
                                    "filled": 0, "fills": [], "message": "", "placed": self.as_of.isoformat()}
        self._try_fill(cid)
        self._save()
        return self._report(cid)

    def replace(self, client_order_id: str, limit: Decimal) -> OrderReport:
        rec = self._known(client_order_id)
        if not OrderStatus(rec["status"]).is_terminal:
            rec["limit"] = str(limit)
            self._try_fill(client_order_id)
            self._save()
        return self._report(client_order_id)

    def cancel(self, client_order_id: str) -> OrderReport:
        rec = self._known(client_order_id)
        if not OrderStatus(rec["status"]).is_terminal:
            rec["status"] = OrderStatus.CANCELLED.value
            self._save()
        return self._report(client_order_id)

    def order(self, client_order_id: str) -> OrderReport | None:
        return self._report(client_order_id) if client_order_id in self.book["orders"] else None

    def open_orders(self) -> list[OrderReport]:
        return [self._report(cid) for cid, rec in self.book["orders"].items()
                if not OrderStatus(rec["status"]).is_terminal]

    def activities(self, since: date) -> list[BrokerActivity]:
        return [BrokerActivity(a["id"], ActivityKind(a["kind"]), OptionContract.from_occ(a["occ"], int(a["mult"])),
                               int(a["qty"]), date.fromisoformat(a["on"]))
                for a in self.book["activities"] if date.fromisoformat(a["on"]) >= since]

    def end_of_day(self) -> None:
        """A day order left open at the close expires (the paper book's orders never carry over to tomorrow)."""
        for rec in self.book["orders"].values():
            if not OrderStatus(rec["status"]).is_terminal:
                rec["status"] = OrderStatus.EXPIRED.value
        self._save()

    def _known(self, cid: str) -> dict[str, Any]:
        if cid not in self.book["orders"]:
            raise InputError(f"the paper broker has no order {cid}")
        rec: dict[str, Any] = self.book["orders"][cid]
        return rec
