"""The position model: fills validated, FIFO lots, the assignment rule and one full Wheel cycle to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from putwheel.domain.contract import OptionContract, Right
from putwheel.domain.errors import InputError
from putwheel.domain.position import (
    CostMethod,
    Fill,
    FillKind,
    Position,
    Stock,
    WheelBook,
    build_cycles,
)

D = Decimal
XYZ = Stock("XYZ")


def t(month: int, day: int, hour: int = 15) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


def put(strike: str, expiry: date) -> OptionContract:
    return OptionContract("XYZ", expiry, D(strike), Right.PUT)


def call(strike: str, expiry: date) -> OptionContract:
    return OptionContract("XYZ", expiry, D(strike), Right.CALL)


def fill(fid: str, inst, qty: int, price: str, when: datetime, fees: str = "0.65", kind=FillKind.TRADE,
         order: str | None = None) -> Fill:
    return Fill(fid, inst, qty, D(price), D(fees), when, kind=kind, order_id=order)


@pytest.mark.parametrize(("change", "match"), [
    ({"price": D("NaN")}, "finite"), ({"price": float("nan")}, "finite"), ({"quantity": 0}, "non-zero"),
    ({"time": datetime(2024, 1, 3, 15)}, "time zone"),  # noqa: DTZ001 - the naive time under test ({"fees": "abc"}, "number"), ({"price": D(-1)}, "negative"),
    ({"fill_id": ""}, "fill id"), ({"kind": FillKind.EXPIRATION}, "applies to an option"),
])
def test_fill_refuses_bad_input(change, match):
    args = {"fill_id": "f", "instrument": XYZ, "quantity": 100, "price": D(50), "fees": D(0), "time": t(1, 3)} | change
    with pytest.raises(InputError, match=match):
        Fill(**args)


def test_fill_cash_defaults_to_price_times_multiplier_and_time_is_utc():
    f = fill("a", put("50", date(2024, 2, 16)), -1, "1.20", datetime.fromisoformat("2024-01-03T10:00-05:00"))
    assert f.cash == D("119.35") and f.time == t(1, 3)


def test_position_rejects_a_duplicate_fill_id():
    pos = Position(XYZ)
    pos.apply(fill("a", XYZ, 100, "50", t(1, 3)))
    with pytest.raises(InputError, match="already applied"):
        pos.apply(fill("a", XYZ, 100, "50", t(1, 4)))
    assert pos.quantity == 100


def test_position_fifo_lots_and_partial_closes_in_exact_cents():
    pos = Position(XYZ)
    pos.apply(fill("a", XYZ, 100, "50", t(1, 3), fees="1"))  # lot 5,001.00
    pos.apply(fill("b", XYZ, 200, "40", t(1, 4), fees="0"))  # lot 8,000.00
    pnl = pos.apply(fill("c", XYZ, -150, "45", t(1, 5), fees="0.30"))  # 6,749.70 for all of a and 50 of b
    assert pnl.amount == D("6749.70") - D("5001.00") - D("2000.00")
    assert [(lot.fill_id, lot.quantity, lot.cost) for lot in pos.lots] == [("b", 150, D("6000.00"))]
    pos.apply(fill("d", XYZ, -1, "41", t(1, 6), fees="0"))
    assert pos.lots[0].cost == D("5960.00") and pos.open_cost == D("5960.00")
    assert pos.average_cost_per_share() == D(40) and pos.realized == D("-251.30") + D(1)


def test_position_split_of_an_odd_lot_keeps_cents_and_the_total():
    pos = Position(XYZ)
    pos.apply(fill("a", XYZ, 3, "10", t(1, 3), fees="0.01"))  # 30.01 for 3 shares
    pos.apply(fill("b", XYZ, -1, "10", t(1, 4), fees="0"))
    pos.apply(fill("c", XYZ, -1, "10", t(1, 5), fees="0"))
    assert pos.open_cost == D("10.01") and pos.realized == D("-0.00")
    pos.apply(fill("d", XYZ, -1, "10", t(1, 6), fees="0"))
    assert pos.is_flat and pos.realized == D("-0.01")  # nothing lost to a third of a cent


def test_position_average_cost_method_merges_lots():
    pos = Position(XYZ, method=CostMethod.AVERAGE)
    pos.apply(fill("a", XYZ, 100, "50", t(1, 3), fees="0"))
    pos.apply(fill("b", XYZ, 100, "40", t(1, 4), fees="0"))
    assert len(pos.lots) == 1 and pos.average_cost_per_share() == D(45)
    assert pos.apply(fill("c", XYZ, -100, "46", t(1, 5), fees="0")).amount == D(100)  # FIFO would say -400


def test_position_close_beyond_open_is_unmatched_not_a_reverse_position():
    opt = put("50", date(2024, 2, 16))
    pos = Position(opt)
    pos.apply(fill("a", opt, -1, "1.20", t(1, 3)))
    pos.apply(fill("x", opt, 2, "0", t(2, 16), fees="0", kind=FillKind.EXPIRATION))
    assert pos.is_flat and len(pos.unmatched) == 1 and pos.unmatched[0][1] == 1


def _wheel_fills() -> list[Fill]:
    feb, mar, apr = date(2024, 2, 16), date(2024, 3, 15), date(2024, 4, 19)
    may, jun = date(2024, 5, 17), date(2024, 6, 21)
    return [
        fill("p1", put("50", feb), -1, "1.20", t(1, 3)),                      # +119.35
        fill("r1c", put("50", feb), 1, "2.00", t(2, 9), order="r1"),          # -200.65
        fill("r1o", put("48", mar), -1, "2.50", t(2, 9), order="r1"),         # +249.35
        fill("r2c", put("48", mar), 1, "3.00", t(3, 8), order="r2"),          # -300.65
        fill("r2o", put("47", apr), -1, "3.40", t(3, 8), order="r2"),         # +339.35
        fill("a1", put("47", apr), 1, "0", t(4, 19, 21), fees="0", kind=FillKind.ASSIGNMENT),
        fill("a1s", XYZ, 100, "47", t(4, 19, 21), fees="0", kind=FillKind.ASSIGNMENT),  # -4,700
        fill("c1", call("48", may), -1, "0.90", t(4, 22)),                    # +89.35
        fill("c1x", call("48", may), 1, "0", t(5, 17, 21), fees="0", kind=FillKind.EXPIRATION),
        fill("c2", call("47", jun), -1, "1.10", t(5, 20)),                    # +109.35
        fill("c2a", call("47", jun), 1, "0", t(6, 21, 21), fees="0", kind=FillKind.ASSIGNMENT),
        fill("c2s", XYZ, -100, "47", t(6, 21, 21), fees="0", kind=FillKind.ASSIGNMENT),  # +4,700
    ]


def test_wheel_cycle_two_rolls_assignment_two_calls_called_away_to_the_cent():
    fills = _wheel_fills()
    book = WheelBook("XYZ")
    realized = {f.fill_id: book.apply(f).amount for f in fills[:7]}
    cyc = book.current
    assert cyc is not None
    # Each roll realizes its buy-back against its own leg; the assigned leg's premium is not realized
    assert realized["r1c"] == D("-81.30") and realized["r2c"] == D("-51.30") and realized["a1"] == 0
    [r1, r2] = cyc.rolls
    assert (r1.net_credit, r2.net_credit) == (D("48.70"), D("38.70"))
    assert r1.closed == (put("50", date(2024, 2, 16)),) and r2.opened == (put("47", date(2024, 4, 19)),)
    # ...it lowers the assigned shares' tax basis: 4,700 - 339.35
    assert cyc.positions[XYZ].open_cost == D("4360.65") and cyc.tax_basis_per_share == D("43.6065")
    # The Wheel's basis: every premium of the cycle, net of buy-backs and fees (206.75) against 4,700
    assert cyc.net_credit == D("206.75") and cyc.adjusted_basis_per_share == D("44.9325")
    assert cyc.assigned and cyc.phase == "shares" and cyc.realized == D("-132.60")
    for f in fills[7:]:
        book.apply(f)
    book.settle()
    assert cyc.end == t(6, 21, 21) and cyc.outcome == "called away" and cyc.phase == "done"
    # calls: 89.35 expired; 109.35 into the proceeds: 4,809.35 - 4,360.65 = 448.70 on the shares
    assert cyc.realized_by_fill["c1x"] == D("89.35") and cyc.realized_by_fill["c2s"] == D("448.70")
    assert cyc.realized == D("405.45") == cyc.pnl == cyc.net_credit
    assert cyc.fees == D("4.55") and cyc.max_capital == D(5000)
    assert cyc.annualized_return(date(2024, 7, 1)) == pytest.approx(405.45 / 5000 * 365 / 170)


def test_short_option_net_credit_runs_across_rolls_and_restarts_with_the_calls():
    fills = _wheel_fills()
    book = WheelBook("XYZ")
    for f in fills[:5]:
        book.apply(f)
    cyc = book.current
    assert cyc is not None
    assert cyc.short_option_net_credit(Right.PUT) == D("206.75")  # not the last leg's 339.35
    for f in fills[5:8]:
        book.apply(f)
    assert cyc.short_option_net_credit(Right.PUT) is None and cyc.short_option_net_credit(Right.CALL) == D("89.35")
    book.apply(fills[8])
    book.apply(fills[9])
    assert cyc.short_option_net_credit(Right.CALL) == D("109.35")  # a new call after an expiry is a new chain


def test_assignment_share_leg_first_gets_the_premium_too():
    fills = _wheel_fills()
    fills[5], fills[6] = fills[6], fills[5]
    [cyc] = build_cycles(fills)
    assert cyc.realized == D("405.45") and cyc.realized_by_fill["c2s"] == D("448.70")


def test_cash_settled_assignment_without_shares_realizes_the_premium():
    spx = OptionContract("SPX", date(2024, 2, 16), D(4800), Right.PUT)
    fills = [Fill("s", spx, -1, D(20), D(1), t(1, 3)),
             Fill("x", spx, 1, D(0), D(0), t(2, 16, 21), kind=FillKind.ASSIGNMENT, cash=D(-1500))]
    [cyc] = build_cycles(fills)
    assert cyc.outcome == "cash settled" and cyc.realized == D(499) == cyc.pnl
    assert cyc.annualized_return(date(2024, 3, 1)) is not None


def test_multi_leg_roll_is_one_roll_and_rolls_link_one_right():
    feb, mar = date(2024, 2, 16), date(2024, 3, 15)
    fills = [
        fill("p", put("50", feb), -2, "1.00", t(1, 3)), fill("c", call("60", feb), -1, "1.00", t(1, 3)),
        fill("b1", put("50", feb), 1, "0.50", t(2, 1), order="o"), fill("b2", put("50", feb), 1, "0.52", t(2, 1), order="o"),
        fill("s1", put("48", mar), -1, "0.80", t(2, 1), order="o"), fill("s2", put("48", mar), -1, "0.81", t(2, 1), order="o"),
        fill("s3", call("55", mar), -1, "0.40", t(2, 2)),
    ]
    [cyc] = build_cycles(fills)
    [roll] = cyc.rolls
    # -50.65 - 52.65 + 79.35 + 80.35: the order's net, not one pair of it
    assert roll.right is Right.PUT and roll.net_credit == D("56.40") and len(roll.opened) == 1


def test_short_cycle_is_not_annualized():
    opt = put("50", date(2024, 2, 16))
    [cyc] = build_cycles([fill("a", opt, -1, "1.20", t(1, 3)), fill("b", opt, 1, "0.20", t(1, 10))])
    assert cyc.pnl == D("98.70") and cyc.return_on_capital() == D("98.70") / 5000
    assert cyc.annualized_return(date(2024, 2, 1)) is None


OPTIONS = [put("50", date(2024, 2, 16)), put("45", date(2024, 3, 15)), call("55", date(2024, 2, 16))]
_steps = st.lists(st.tuples(st.integers(0, 2), st.sampled_from([-2, -1, 1, 2]), st.integers(0, 500),
                            st.sampled_from(["0", "0.65", "1.0439432"]), st.integers(0, 3)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_steps)
def test_cycle_net_credit_is_the_sum_of_option_cash_flows(steps):
    fills, hour = [], 0
    for i, (which, qty, cents, fees, gap) in enumerate(steps):
        hour += gap
        when = datetime(2024, 1, 2 + hour // 24, hour % 24, tzinfo=UTC)
        fills.append(Fill(f"f{i}", OPTIONS[which], qty, D(cents) / 100, D(fees), when))
    cycles = build_cycles(fills)
    assert sum((c.net_credit for c in cycles), D(0)) == sum((f.net_cash for f in fills), D(0))
    open_cost = sum((p.open_cost for c in cycles for p in c.positions.values()), D(0))
    assert sum((c.realized for c in cycles), D(0)) - open_cost == sum((f.net_cash for f in fills), D(0))


def test_reverse_split_moves_lots_with_cost_and_holding_period():
    old, new = Stock("USO"), Stock("USO")
    fills = [fill("b", old, 800, "2.50", t(3, 1), fees="0"),
             Fill("x1", old, -800, D(0), D(0), t(4, 29), kind=FillKind.CORPORATE_ACTION, cash=D(0), closing=True),
             Fill("x2", new, 100, D(0), D(0), t(4, 29), kind=FillKind.CORPORATE_ACTION, cash=D(0)),
             fill("s", new, -100, "25", t(5, 1), fees="0")]
    book = WheelBook("USO")
    for f in fills[:3]:
        assert book.apply(f).amount == 0
    cyc = book.current
    assert cyc is not None
    [lot] = cyc.positions[new].lots
    assert (lot.quantity, lot.cost, lot.opened) == (100, D(2000), t(3, 1))  # 1-for-8: 2,000 of basis, same date
    assert book.apply(fills[3]).amount == D(500)


def test_symbol_change_keeps_the_cycle_and_its_net_credit():
    viac = OptionContract("VIAC", date(2022, 4, 1), D(29), Right.PUT)
    para = OptionContract("PARA", date(2022, 4, 1), D(29), Right.PUT)
    fills = [Fill("s", viac, -2, D("2.60"), D("2.27"), t(2, 16)),
             Fill("c", viac, 2, D("2.60"), D(0), t(2, 17), kind=FillKind.CORPORATE_ACTION, closing=True),
             Fill("o", para, -2, D("2.60"), D(0), t(2, 17), kind=FillKind.CORPORATE_ACTION),
             Fill("b", para, 2, D("2.20"), D("0.26"), t(2, 18))]
    [cyc] = build_cycles(fills)
    assert cyc.underlyings == {"VIAC", "PARA"} and cyc.rolls == [] and cyc.net_credit == D("77.47") == cyc.pnl
    assert cyc.realized_by_fill == {"b": D("77.47")}


def test_cash_merger_is_a_disposal_at_the_cash_paid():
    fills = [fill("b", XYZ, 100, "10", t(1, 3), fees="0"),
             Fill("m", XYZ, -100, D(0), D(0), t(2, 1), kind=FillKind.CORPORATE_ACTION, cash=D(1250), closing=True)]
    [cyc] = build_cycles(fills)
    assert cyc.pnl == D(250) == cyc.realized and cyc.outcome == "corporate action"


def test_short_call_assigned_into_short_stock_and_covered():
    c = call("50", date(2024, 2, 16))
    fills = [fill("c", c, -1, "1.00", t(1, 3), fees="0"),
             fill("a", c, 1, "0", t(2, 16, 21), fees="0", kind=FillKind.ASSIGNMENT),
             fill("s", XYZ, -100, "50", t(2, 16, 21), fees="0", kind=FillKind.ASSIGNMENT),
             fill("b", XYZ, 100, "48", t(2, 20), fees="0")]
    book = WheelBook("XYZ")
    for f in fills[:3]:
        book.apply(f)
    cyc = book.current
    assert cyc is not None and cyc.phase == "short shares" and cyc.shares == -100
    assert cyc.capital == D(5100)  # short stock carried at its proceeds, the call's 100 folded in
    book.apply(fills[3])
    book.settle()
    assert cyc.outcome == "short covered" and cyc.pnl == D(300) == cyc.realized


def test_several_events_in_one_instant_do_not_let_the_last_row_decide():
    p = put("50", date(2024, 2, 16))
    c = call("55", date(2024, 2, 16))
    fills = [fill("p", p, -1, "1.00", t(1, 3), fees="0"), fill("c", c, -1, "0.50", t(1, 3), fees="0"),
             fill("x1", p, 1, "0", t(2, 16, 21), fees="0", kind=FillKind.ASSIGNMENT),
             fill("x2", XYZ, 100, "50", t(2, 16, 21), fees="0", kind=FillKind.ASSIGNMENT),
             fill("x3", c, 1, "0", t(2, 16, 21), fees="0", kind=FillKind.EXPIRATION)]  # the expiry row comes last
    [cyc] = build_cycles(fills)
    assert cyc.end is None and cyc.phase == "shares" and cyc.tax_basis_per_share == D(49)
    assert cyc.realized == D(50)  # the call's 50 at its expiry; the put's 100 is in the shares


def test_corporate_action_keeps_each_tax_lot_with_its_own_cost_and_date():
    # Hand-made (no real export shows a split of a position bought in several lots): 500 + 300 shares, 1-for-8
    old = Stock("USO")
    fills = [fill("b1", old, 500, "2.50", t(3, 1), fees="0"), fill("b2", old, 300, "3.00", t(3, 20), fees="0"),
             Fill("x1", old, -800, D(0), D(0), t(4, 29), kind=FillKind.CORPORATE_ACTION, cash=D(0), closing=True),
             Fill("x2", old, 100, D(0), D(0), t(4, 29), kind=FillKind.CORPORATE_ACTION, cash=D(0))]
    book = WheelBook("USO")
    for f in fills:
        book.apply(f)
    cyc = book.current
    assert cyc is not None
    lots = [(lot.quantity, lot.cost, lot.opened) for lot in cyc.positions[old].lots]
    # 62.5 and 37.5 new shares: 63 + 37 by largest remainder; each lot keeps its 1,250 / 900 and its date
    assert lots == [(63, D(1250), t(3, 1)), (37, D(900), t(3, 20))]
    assert book.apply(fill("s", old, -63, "25", t(5, 1), fees="0")).amount == D(1575) - D(1250)  # FIFO: the March 1 lot


def test_corporate_action_lot_too_small_for_a_whole_new_share_hands_its_cost_on():
    old = Stock("XYZ")
    pos = Position(old)
    pos.apply(fill("b1", old, 5, "10", t(3, 1), fees="0"))
    pos.apply(fill("b2", old, 95, "12", t(3, 2), fees="0"))
    moved = pos.transfer_out(Fill("x1", old, -100, D(0), D(0), t(4, 1), kind=FillKind.CORPORATE_ACTION, cash=D(0),
                                  closing=True))
    new = Position(old)
    new.transfer_in(Fill("x2", old, 5, D(0), D(0), t(4, 1), kind=FillKind.CORPORATE_ACTION, cash=D(0)), moved)
    # 1-for-20: 0.25 and 4.75 new shares -> 0 + 5; the 5-share lot's 50 of cost goes with the next lot (no basis
    # is lost or created), which keeps its own date
    assert [(lot.quantity, lot.cost, lot.opened) for lot in new.lots] == [(5, D(1190), t(3, 2))]


def test_cash_in_lieu_of_a_fraction_is_a_disposal_of_that_fraction_at_the_cash():
    old = Stock("XYZ")
    pos = Position(old)
    pos.apply(fill("b1", old, 500, "5", t(3, 1), fees="1"))
    pos.apply(fill("b2", old, 305, "4", t(3, 2), fees="1"))
    moved = pos.transfer_out(Fill("x1", old, -805, D(0), D(0), t(4, 1), kind=FillKind.CORPORATE_ACTION, cash=D(0),
                                  closing=True))
    new = Position(old)
    # 1-for-8: 100.625 new shares, 100 delivered and 0.625 paid as 12.50 cash in lieu
    got = new.transfer_in(Fill("x2", old, 100, D(0), D(0), t(4, 1), kind=FillKind.CORPORATE_ACTION, cash=D("12.50"),
                               in_lieu=D("0.625")), moved)
    # the fraction's basis: each lot gives up 0.625 / 100.625 of its cost (2501 -> 15.53, 1221 -> 7.58)
    assert got == D("12.50") - D("15.53") - D("7.58") == D("-10.61") and new.realized == got
    assert [(lot.quantity, lot.cost, lot.opened) for lot in new.lots] == [(62, D("2485.47"), t(3, 1)),
                                                                          (38, D("1213.42"), t(3, 2))]
    with pytest.raises(InputError, match="in_lieu"):
        Fill("x3", old, -100, D(0), D(0), t(4, 1), kind=FillKind.CORPORATE_ACTION, closing=True, in_lieu=D("0.5"))
