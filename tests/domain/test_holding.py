"""The one open-position type: what replay, position files, config entries and the planner's caps all read."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from putwheel.config import HeldPosition
from putwheel.domain.contract import Right
from putwheel.domain.errors import InputError
from putwheel.domain.holding import option_position, share_lot
from putwheel.ledger import Kind, manual, replay
from putwheel.screener.portfolio import Holdings
from putwheel.strategy import positions_frame

D = Decimal
OPENED, EXPIRY = date(2024, 1, 2), date(2024, 2, 16)


def test_a_short_put_reserves_its_collateral_and_keeps_its_credit_per_share():
    p = option_position("xyz", "P", 95, EXPIRY, -3, "2.15", OPENED, net_credit="3.40")
    assert (p.underlying, p.right, p.strike, p.contracts) == ("XYZ", Right.PUT, D(95), -3)
    assert p.collateral == p.exposure() == D(95 * 100 * 3)
    assert p.cost_total == D("-645.00")            # credit received: negative cash paid
    assert p.net_credit == pytest.approx(3.40)     # per share, across the rolls
    assert p.unrealized(D("1.00")) == D("345.00")  # bought back at 1.00: 645 - 300
    assert p.label == "XYZ 2024-02-16 95P"


def test_shares_count_at_mark_or_basis_and_a_short_call_adds_nothing():
    lot = share_lot("XYZ", 200, "93.10", OPENED)
    assert lot.exposure() == D("18620.00") and lot.exposure(D(100)) == D(20000)
    call = option_position("XYZ", "C", 100, EXPIRY, -2, "1.05", OPENED, share_cost_basis="93.10")
    assert call.exposure() == 0 and call.share_cost_basis == pytest.approx(93.10)
    frame = positions_frame([lot, call])
    assert frame["multiplier"].tolist() == [100, 100]  # a share row carries its covered calls' contract size


@pytest.mark.parametrize(("make", "text"), [
    (lambda: option_position("XYZ", "P", -5, EXPIRY, -1, 1, OPENED), "positive strike"),
    (lambda: option_position("XYZ", "P", 90, EXPIRY, 0, 1, OPENED), "non-zero"),
    (lambda: option_position("XYZ", "P", 90, EXPIRY, True, 1, OPENED), "non-zero"),
    (lambda: option_position("XYZ", "P", 90, EXPIRY, -1, -1, OPENED), "open_premium"),
    (lambda: option_position("", "P", 90, EXPIRY, -1, 1, OPENED), "underlying"),
    (lambda: share_lot("XYZ", -100, 90, OPENED), "short stock"),
    (lambda: share_lot("XYZ", 100, "abc", OPENED), "share_cost_basis"),
])
def test_hand_typed_positions_are_validated(make, text):
    with pytest.raises(InputError, match=text):
        make()


def test_config_entries_ledger_replay_and_caps_read_the_same_type():
    held = [HeldPosition(symbol="abc", strike=50, contracts=2, sector="Tech"),
            HeldPosition(symbol="XYZ", kind="shares", shares=100, price=40)]
    caps = Holdings.of([h.position(OPENED) for h in held], {"XYZ": "Energy"})
    assert caps.exposure_by_name == {"ABC": 10_000.0, "XYZ": 4_000.0}
    assert caps.sector_by_name == {"ABC": "unknown", "XYZ": "Energy"}
    ts = datetime(2024, 1, 2, 15, tzinfo=UTC)
    state = replay([*manual.cash_move("main", ts, Kind.DEPOSIT, D(20_000)),
                    *manual.sell_put("main", ts, "ABC", D(50), EXPIRY, 2, D("1.10"), D("1.30"))])
    (p,) = state.positions()
    assert Holdings.of([p], {}).exposure_by_name == {"ABC": 10_000.0}
    assert p.cost_total == D("-218.70") and p.net_credit == pytest.approx(1.0935)
