"""IBKR corporate actions (Flex <CorporateAction>, Activity Statement "Corporate Actions"): basis and the cycle move
across, nothing is realized but cash in lieu of a fraction, and a re-import adds nothing.

`ibkr_flex_corporate_actions.xml`: the EDCI CUSIP change and the VXX 1-for-4 reverse split of a short are real rows
(csingley/capgains, see data/SOURCES.md); the opening trades and the USO / VIAC / SPRT actions are hand-made in
the same documented layout, mirroring the real tastytrade rows of the same actions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from putwheel.api import ledger as api
from putwheel.ledger import Kind, cycles, replay
from putwheel.ledger.importers import ibkr

DATA = Path(__file__).parent / "data"
FLEX = DATA / "ibkr_flex_corporate_actions.xml"
STATEMENT = DATA / "ibkr_activity_statement_corporate_actions_handmade.csv"
D = Decimal


def _parse(path: Path):
    parsed = ibkr.parse(path.read_text(encoding="utf-8"), origin=path.name)
    assert parsed.issues == []
    return parsed


def _realized_at_actions(events) -> dict[str, Decimal]:
    state = replay(events)
    return {ev.key: pnl for ev, pnl in zip(state.order, state.realized, strict=True) if ev.kind is Kind.CORPORATE}


def _lots(events, account: str, symbol: str):
    state = replay(events)
    book = state.books[(account, symbol, "USD")]
    cyc = book.current
    return [(lot.quantity, lot.cost, lot.opened.date().isoformat()) for pos in cyc.positions.values()
            if not pos.is_flat and not hasattr(pos.instrument, "strike") for lot in pos.lots]


def test_flex_corporate_actions_carry_basis_and_the_cycle_and_realize_nothing_but_cash_in_lieu():
    events = _parse(FLEX).events
    corporate = [e for e in events if e.kind is Kind.CORPORATE]
    assert len(corporate) == 12
    realized = _realized_at_actions(events)
    in_lieu = [k for k in realized if realized[k]]
    assert in_lieu == ["ibkr:id:5678:ca:c2"] and realized[in_lieu[0]] == D("-10.61")  # the USO fraction only
    by = {c.cycle_id: c for c in cycles(events)}
    # each action keeps its cycle: no cycle of the new symbols (EDCID, USO1, GREE, PARA)
    assert sorted(by) == ["5678/EDCI#1", "5678/SPRT#1", "5678/USO#1", "5678/VIAC#1", "5678/VXX#1"]
    # CUSIP change EDCI -> EDCID: the lot's cost and date carry (real rows)
    assert _lots(events, "5678", "EDCI") == [(112833, D("4518.32"), "2010-06-01")]
    # reverse split of a short (real rows): 17,000 short VXX.OLD -> 4,250 short VXX, its credit carried
    assert _lots(events, "5678", "VXX") == [(-4250, D("-237915"), "2016-07-01")]
    # SPRT -> GREE1 (66-share deliverable): the 6 puts' premium counted once, in the one cycle, when they expire
    assert (by["5678/SPRT#1"].outcome, by["5678/SPRT#1"].pnl, by["5678/SPRT#1"].rolls) == ("expired", D("3353.18"), [])
    # VIAC -> PARA: sold as VIAC, bought back as PARA, one cycle: 517.73 - 440.26 (as the tastytrade rows give)
    assert (by["5678/VIAC#1"].outcome, by["5678/VIAC#1"].pnl) == ("bought back", D("77.47"))
    # USO 1-for-8 with its put adjusted to USO1: the cycle goes on holding the USO1 put
    uso = by["5678/USO#1"]
    assert uso.status == "open" and uso.short_put_shares == 600


def test_cash_in_lieu_of_a_fractional_share_is_a_disposal_of_the_fraction_hand_checked():
    # 805 USO (500 for 2,501 + 305 for 1,221) -> 100.625 new; 0.625 sold for 12.50 (FracShare)
    # fraction basis: 2,501 x 0.625/100.625 = 15.53 and 1,221 x 0.625/100.625 = 7.58 -> realized 12.50 - 23.11
    # then 100 sold for 2,199: 2,199 - (3,722 - 23.11) = -1,499.89; in all 12.50 + 2,199 - 3,722 = -1,510.50
    for path in (FLEX, STATEMENT):
        events = _parse(path).events
        state = replay(events)
        uso = [(ev.kind, ev.quantity, pnl) for ev, pnl in zip(state.order, state.realized, strict=True)
               if ev.instrument.underlying == "USO" and not ev.instrument.is_option and pnl]
        assert uso == [(Kind.CORPORATE, 100, D("-10.61")), (Kind.TRADE, -100, D("-1499.89"))], path.name
        assert [c.realized for c in cycles(events) if c.underlying == "USO"] == [D("-1510.50")]


def test_statement_forward_split_row_of_the_added_shares_keeps_each_lot_and_date():
    # "AMZN Split 20 for 1", quantity 285 (the added shares): 15 held -> 300, each lot x 20 with its own cost;
    # the short 2000P, re-struck on the same root as 20 x 100P: the old one is the higher strike, its credit carried
    events = _parse(STATEMENT).events
    assert _lots(events, "U0000002", "AMZN") == [(200, D("24001"), "2022-05-02"), (100, D("11501"), "2022-05-03")]
    [amzn] = [c for c in cycles(events) if c.underlying == "AMZN"]
    assert (amzn.status, amzn.short_put_shares, amzn.option_cash, amzn.realized) == ("open", 2000, D("5998.95"), 0)
    assert not any(_realized_at_actions(events)[e.key] for e in events if e.kind is Kind.CORPORATE
                   and e.instrument.underlying == "AMZN")


@pytest.mark.parametrize("path", [FLEX, STATEMENT], ids=["flex", "statement"])
def test_corporate_actions_re_import_as_a_no_op(tmp_path, path):
    db = f"sqlite:///{tmp_path / 'ca.sqlite'}"
    first = api.import_ibkr(path, db=db)
    assert first.added == len(_parse(path).events) and api.import_ibkr(path, db=db).added == 0


def test_a_fraction_without_its_action_or_an_action_without_its_fraction_is_named():
    text = FLEX.read_text(encoding="utf-8")
    no_sale = "\n".join(line for line in text.splitlines() if 'transactionType="FracShare"' not in line)
    [issue] = ibkr.parse(no_sale, origin="a.xml").issues
    assert "USO quantity 100.625 is fractional" in issue.message and "FracShare" in issue.message
    no_action = "\n".join(line for line in text.splitlines() if "SPLIT 1 FOR 8" not in line)
    [issue] = ibkr.parse(no_action, origin="b.xml").issues
    assert "USO quantity -0.625 is a fraction sold for cash without its corporate action" in issue.message


def test_other_assets_corporate_actions_are_still_named_not_imported():
    # the real statement's only corporate action: a spinoff of warrants (OPENW), not a stock or option
    parsed = ibkr.parse((DATA / "ibkr_activity_statement_U0000001_2025-04_2026-04.csv").read_text(encoding="utf-8"),
                        origin="s.csv")
    assert "1 Corporate Actions row(s) not imported (record them by hand if they matter)" in parsed.notes
    assert not [e for e in parsed.events if e.kind is Kind.CORPORATE]
    assert datetime(2025, 1, 1, tzinfo=UTC) < parsed.events[0].ts


TCF = DATA / "ibkr_tcf_DU_paper_2026-09-28.xml"
STATEMENT_WITH_EXECUTIONS = DATA / "ibkr_activity_statement_DU_paper_2026-09-28_from_tcf_with_executions.csv"


@pytest.mark.parametrize("order", [(STATEMENT_WITH_EXECUTIONS, TCF), (TCF, STATEMENT_WITH_EXECUTIONS)],
                         ids=["statement-first", "flex-first"])
def test_a_statement_listing_an_orders_executions_matches_the_flex_executions_one_to_one(tmp_path, order):
    """A statement run with executions lists the order row (2 NVDA calls) and under it its two executions
    (DataDiscriminator Trade, the shape of public statements' Order/Trade rows): the executions are imported, not
    the order too, and each matches its TCF execution one to one: the ledger is the 7 executions either way."""
    from putwheel.ledger.store import Ledger

    parsed = _parse(STATEMENT_WITH_EXECUTIONS)
    assert len(parsed.events) == 7 and "1 order row(s) listed with their executions" in parsed.notes[0]
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    results = [api.import_ibkr(f, db=db) for f in order]
    with Ledger.open(db) as led:
        stored = led.events("DU1234567")
    tcf = ibkr.parse(TCF.read_text(encoding="utf-8"), origin=TCF.name).events
    assert [e.key for e in stored] == [e.key for e in tcf]
    assert replay(stored).cash == {"USD": D("345.2871260")}
    assert results[1].added == 0


def test_a_corporate_action_row_issue_names_its_line_even_without_a_transaction_id():
    text = FLEX.read_text(encoding="utf-8").replace('quantity="-112833" fifoPnlRealized', 'quantity="-112833.5" fifoPnlRealized')
    [issue] = ibkr.parse(text, origin="c.xml").issues
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "-112833.5" in row)
    assert issue.where == f"c.xml:{line}" and "fractional" in issue.message


_SHORT_PUT_ADJUSTED = """<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">
<FlexStatement accountId="5678" fromDate="2021-01-01" toDate="2021-12-31" period="Custom" whenGenerated="2022-01-03;101500">
<Trades>
<Trade accountId="5678" currency="USD" assetCategory="OPT" symbol="XYZ   210917P00050000" underlyingSymbol="XYZ"
 putCall="P" strike="50" expiry="20210917" multiplier="100" tradeDate="20210601" dateTime="20210601;100000"
 quantity="-2" tradePrice="1.50" ibCommission="-2" netCash="298" buySell="SELL" openCloseIndicator="O"
 transactionID="t1" ibOrderID="o1" />
</Trades>
<CorporateActions>
<CorporateAction accountId="5678" currency="USD" assetCategory="OPT" symbol="XYZ   210917P00050000"
 underlyingSymbol="XYZ" putCall="P" strike="50" expiry="20210917" multiplier="{m1}"
 description="XYZ(US0000000001) SPECIAL DIVIDEND ADJUSTMENT (XYZ   210917P00050000, XYZ 17SEP21 50 P, )"
 reportDate="2021-07-02" dateTime="2021-07-01;202500" proceeds="0" quantity="{q1}" code="" type="DW" transactionID="a1" />
<CorporateAction accountId="5678" currency="USD" assetCategory="OPT" symbol="XYZ   210917P00050000"
 underlyingSymbol="XYZ" putCall="P" strike="50" expiry="20210917" multiplier="{m2}"
 description="XYZ(US0000000001) SPECIAL DIVIDEND ADJUSTMENT (XYZ   210917P00050000, XYZ 17SEP21 50 P, )"
 reportDate="2021-07-02" dateTime="2021-07-01;202500" proceeds="0" quantity="{q2}" code="" type="DW" transactionID="a2" />
</CorporateActions></FlexStatement></FlexStatements></FlexQueryResponse>"""


@pytest.mark.parametrize("order", ["old first", "new first"])
def test_a_short_option_adjusted_on_the_same_root_moves_to_the_new_deliverable(order):
    # hand-made: nothing in the rows tells old from new but the multiplier; the file's own trade shows the short
    legs = [("100", "2"), ("102", "-2")]   # the held 100-share put bought back, the 102-share put written
    (m1, q1), (m2, q2) = legs if order == "old first" else legs[::-1]
    parsed = ibkr.parse(_SHORT_PUT_ADJUSTED.format(m1=m1, q1=q1, m2=m2, q2=q2), origin="handmade.xml")
    assert parsed.issues == []
    state = replay(parsed.events)
    book = state.books[("5678", "XYZ", "USD")]
    open_ = {pos.instrument.multiplier: pos.quantity for pos in book.current.positions.values() if not pos.is_flat}
    assert open_ == {102: -2}   # still short two puts, now on the adjusted deliverable
    assert sum(_realized_at_actions(parsed.events).values()) == 0   # the credit carries, nothing realized
