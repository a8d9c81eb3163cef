"""The cash-secured rule on every recording path: typos refused, back-dated trades checked against later imports,
and risk-reducing events always recordable in an account an import left under-secured."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from putwheel.api import ledger as api
from putwheel.domain.errors import InputError, LedgerError
from putwheel.ledger import Kind, Ledger, LedgerEvent

CURRENT = Path(__file__).parent / "data" / "tastytrade_2021gen_2018-02_to_2024-08.csv"
D = Decimal


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'rule.sqlite'}"
    api.trade_deposit("10000", on=date(2024, 1, 2), db=url)
    return url


def test_expire_before_the_expiry_is_refused(db):
    api.trade_sell_put("XYZ", "50", date(2024, 2, 16), 1, "1.20", on=date(2024, 1, 3), db=db)
    with pytest.raises(InputError, match="before its expiry 2024-02-16"):
        api.trade_expire("XYZ", "put", "50", date(2024, 2, 16), on=date(2024, 2, 1), db=db)
    assert api.positions(db=db).reserved["main"]["USD"] == D(5000)  # the collateral stays reserved
    api.trade_expire("XYZ", "put", "50", date(2024, 2, 16), db=db)  # on the expiry date: fine


@pytest.mark.parametrize(("expiry", "premium", "match"), [
    (date(2024, 2, 16), "50", "at or above the strike"),
    (date(2024, 2, 16), "75", "at or above the strike"),
    (date(2023, 12, 15), "1.20", "before the trade date"),
])
def test_sell_put_typos_are_refused(db, expiry, premium, match):
    with pytest.raises(InputError, match=match):
        api.trade_sell_put("XYZ", "50", expiry, 1, premium, on=date(2024, 1, 3), db=db)


def test_back_dated_put_is_checked_against_a_later_imported_withdrawal(db):
    withdrawal = LedgerEvent("main", datetime(2024, 3, 1, 15, tzinfo=UTC), Kind.WITHDRAWAL, D(-8000),
                             source="tastytrade", note="Wire Funds")
    with Ledger.open(db) as led:
        led.append([withdrawal], strict=False, recorded_at=datetime(2026, 1, 1, tzinfo=UTC), source="tastytrade")
    with pytest.raises(LedgerError, match="a later withdrawal on 2024-03-01 would leave cash"):
        api.trade_sell_put("XYZ", "50", date(2024, 4, 19), 1, "1.20", on=date(2024, 2, 1), db=db)
    api.trade_sell_put("XYZ", "15", date(2024, 4, 19), 1, "0.30", on=date(2024, 2, 1), db=db)  # 1,500: still secured


def test_an_account_left_under_secured_by_an_import_can_always_be_repaired(tmp_path):
    db = f"sqlite:///{tmp_path / 'margin.sqlite'}"
    res = api.import_tastytrade(CURRENT, account="acct", db=db)
    # the real export ends on margin: cash -1,619.88 with 100 SCHG and a covered SCHG 99C open
    [note] = [n for n in res.notes if "under-secured" in n]
    assert "under-secured by 1,619.88 USD" in note
    kw = {"account": "acct", "db": db}
    api.trade_buy_close("SCHG", "call", "99", date(2024, 9, 20), 1, "0.50", on=date(2024, 8, 19), **kw)  # costs cash
    with pytest.raises(LedgerError, match="free cash would be"):
        api.trade_sell_put("SCHG", "90", date(2024, 9, 20), 1, "1.00", on=date(2024, 8, 19), **kw)
    api.trade_deposit("500", on=date(2024, 8, 20), **kw)  # still short, and recordable
    api.trade_deposit("5000", on=date(2024, 8, 21), **kw)
    api.trade_sell_put("SCHG", "20", date(2024, 9, 20), 1, "0.10", on=date(2024, 8, 22), **kw)  # secured again
