"""Importers on the real broker exports in ../shared: reconciliation with hand-checked numbers, idempotency,
file:line issues. Numbers in comments were worked out by hand from the rows named."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from putwheel.domain.errors import DataError
from putwheel.ledger.cycles import cycles, monthly_income
from putwheel.ledger.events import Kind
from putwheel.ledger.importers import ibkr, tastytrade
from putwheel.ledger.importers.common import refuse_if_issues
from putwheel.ledger.replay import replay

X3569 = "tastyworks_transactions_x3569_2021-11-01_2021-12-31.csv"
TSLL = "tastytrade_transactions_TSLL_wheel_2024-05_to_2025-10.csv"
FLEX_XML = "ibkr_flex_activity_DU_paper_2026_trimmed.xml"
FLEX_CSV = "ibkr_flex_csv_trades_option_lifecycle_rows.csv"


@pytest.fixture(scope="module")
def exports(fixtures_dir):
    return fixtures_dir / "broker_exports"


def _tasty(exports, name):
    return tastytrade.parse((exports / name).read_text(encoding="utf-8"), origin=name, account="t")


def _csv_cash(path) -> Decimal:
    """The export's own cash total, summed independently of the importer."""
    total = Decimal(0)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if "Total" in row:
                total += Decimal(row["Total"].replace(",", ""))
            else:
                for col in ("Value", "Commissions", "Fees"):
                    cell = row[col].replace(",", "")
                    total += Decimal(cell) if cell not in ("", "--") else 0
    return total


@pytest.mark.shared
@pytest.mark.parametrize(("name", "generation", "rows"), [
    (X3569, "2021", 53),
    (TSLL, "2024-total", 212),
    ("tastytrade_transactions_v2_subtype_currency_header_sample.csv", "2024", 2),
    ("tastyworks_legacy_format_sample.csv", "legacy", 1),
])
def test_tastytrade_reads_every_header_generation(exports, name, generation, rows):
    parsed = _tasty(exports, name)
    assert parsed.issues == []
    assert parsed.rows == rows and len(parsed.events) == rows
    assert f"generation: {generation}" in parsed.notes[0]
    assert len({e.key for e in parsed.events}) == rows  # identical rows still get distinct, stable keys


@pytest.mark.shared
@pytest.mark.parametrize("name", [X3569, TSLL])
def test_tastytrade_cash_reconciles_with_the_export(exports, name):
    parsed = _tasty(exports, name)
    assert replay(parsed.events).cash["USD"] == _csv_cash(exports / name)


@pytest.mark.shared
def test_tastytrade_x3569_positions_and_cycles_hand_checked(exports):
    events = _tasty(exports, X3569).events
    state = replay(events)
    assert state.cash["USD"] == Decimal("7080.508")
    held = {(p.underlying, p.right.value if p.right else "S", p.strike): p.contracts for p in state.positions()}
    assert held == {
        ("CLF", "S", None): 100, ("FUBO", "S", None): 100, ("WKHS", "S", None): 100,  # the 3 put assignments of 12/03
        ("CLF", "P", Decimal(20)): -1, ("HIMX", "P", Decimal("13.5")): -1, ("ME", "P", Decimal("7.5")): -1,
        ("SPWR", "P", Decimal(20)): -1, ("TLRY", "P", Decimal("7.5")): -1,
        ("CLF", "C", Decimal(21)): -1, ("FUBO", "C", Decimal("18.5")): -1, ("WKHS", "C", Decimal("5.5")): -1,
    }
    assert state.reserved() == Decimal(6850)  # 2000 + 1350 + 750 + 2000 + 750
    by = {(c.underlying, c.number): c for c in cycles(events)}
    wkhs = by[("WKHS", 1)]
    # put 16 - 1.132, calls 12/3/19 - 1.132 each, shares -550 - 5 fee: -509.528 => 5.09528 a share
    assert wkhs.assigned and wkhs.net_cash == Decimal("-509.528")
    assert wkhs.cost_basis_per_share == Decimal("5.09528")
    # the tax basis: 555.00 for the shares less the assigned put's 14.868 (the calls stay options P&L)
    assert wkhs.tax_basis_per_share == Decimal("5.40132")
    # December's options P&L leaves out the three assigned puts' credits (14.868 + 33.868 + 28.868): in the shares
    dec = next(m for m in monthly_income(events) if m.month == "2021-12")
    assert dec.options_realized == Decimal("52.06") and dec.commissions == Decimal("40.864")
    himx = by[("HIMX", 2)]
    # 11.50P for 0.30, rolled to 12P (0.09 -> 0.18) and to 13.50P (0.05 -> 0.30): 60.364 net, breakeven 12.89636
    assert [r.opened for r in himx.rolls] == ["HIMX 2021-12-31 12P", "HIMX 2022-01-07 13.5P"]
    assert himx.net_cash == Decimal("60.364") and himx.breakeven == Decimal("12.89636")
    assert by[("RKLB", 1)].outcome == "expired" and by[("AA", 1)].outcome == "bought back"


@pytest.mark.shared
def test_tastytrade_tsll_flat_at_the_end_with_dividends_and_withholding(exports):
    events = _tasty(exports, TSLL).events
    state = replay(events)
    assert state.holdings == {} and state.unmatched == []
    assert state.cash["USD"] == Decimal("9139.37")
    months = monthly_income(events)
    # 8.93 - 1.34 + 125.47 - 18.82 + 8.96 - 1.34: the negative "Dividend" rows are the 15 % withheld
    assert sum((m.dividends for m in months), Decimal(0)) == Decimal("143.36")
    assert sum((m.withholding for m in months), Decimal(0)) == Decimal("-21.50")
    done = cycles(events)
    assert len(done) == 12 and all(c.end is not None for c in done)
    # Only the 2025-09-30 dividend (8.93 - 1.34) was paid inside a cycle; the 2025-07-01 rows (114.27 net) came
    # after the shares were sold on 06-27, so they are income outside any cycle.
    assert sum((c.income_cash for c in done), Decimal(0)) == Decimal("7.59")
    assert sum((c.net_cash for c in done), Decimal(0)) == Decimal("9139.37") - Decimal("114.27")


@pytest.mark.shared
def test_ibkr_xml_reconciles_with_option_eae_realized_pnl(exports):
    text = (exports / FLEX_XML).read_text(encoding="utf-8")
    parsed = ibkr.parse(text, origin=FLEX_XML)
    assert parsed.issues == [] and parsed.rows == 24 and len(parsed.events) == 24
    state = replay(parsed.events)
    ours = {}
    unmatched = {ev.key for ev, _, _ in state.unmatched}  # CLF 7.5P: bought before the statement began
    for ev, pnl in zip(sorted(parsed.events, key=lambda e: e.ts), state.realized, strict=True):
        if ev.kind is Kind.EXPIRE and ev.key not in unmatched:
            ours[ev.instrument.label] = pnl
    eae = [el.attrib for el in ET.fromstring(text).iter("OptionEAE") if el.get("transactionType") == "Expiration"
           and el.get("realizedPnl") not in (None, "0")]
    labels = {f"{a['underlyingSymbol']} {a['expiry'][:4]}-{a['expiry'][4:6]}-{a['expiry'][6:]} {a['strike']}{a['putCall']}": a
              for a in eae}
    matched = {k: Decimal(a["realizedPnl"]) for k, a in labels.items() if k in ours}
    assert matched == {"AA 2026-07-17 54C": Decimal("-27.5746"), "AA 2026-07-17 40P": Decimal("-17.5746")}
    assert all(ours[k] == v for k, v in matched.items())  # the broker's own realized P&L, to the 1e-7


@pytest.mark.shared
def test_ibkr_xml_cycles_cancel_and_partial_exercise_hand_checked(exports):
    parsed = ibkr.parse((exports / FLEX_XML).read_text(encoding="utf-8"), origin=FLEX_XML)
    state = replay(parsed.events)
    assert state.cash["USD"] == Decimal("-3690.6856864")  # AA +27.3214568, CZR -288.9632, CLF -3429.0439432
    by = {c.underlying: c for c in cycles(parsed.events)}
    assert by["AA"].outcome == "expired" and by["AA"].net_cash == Decimal("27.3214568")
    # CZR: BUY 2 @ 0.73, cancelled, re-booked as 1 + 1 with a commission refund: still 2 calls at 0.73
    czr = {p.right.value: p for p in state.positions() if p.underlying == "CZR"}
    assert czr["C"].contracts == 2 and czr["C"].open_premium_per_share == Decimal("0.73")
    # CLF: long calls exercised (opened before the statement) -> 400 shares at 11.50, then 100 sold at 11.72
    assert state.shares("DU1234567", "CLF") == 300
    assert [(ev.instrument.label, q) for ev, q, _ in state.unmatched] == [("CLF 2026-07-24 11.5C", 4), ("CLF 2026-07-24 7.5P", 4)]


@pytest.mark.shared
def test_ibkr_csv_assignment_codes_and_conid_link(exports):
    parsed = ibkr.parse((exports / FLEX_CSV).read_text(encoding="utf-8"), origin=FLEX_CSV)
    assert parsed.issues == [] and len(parsed.events) == 13
    kinds = {(e.instrument.label, e.kind) for e in parsed.events}
    assert ("LEG 2023-03-17 69P", Kind.ASSIGN) in kinds and ("LEG", Kind.ASSIGN) in kinds  # LEGd linked by conid
    assert ("LEG 2023-04-21 54P", Kind.EXPIRE) in kinds and ("TIO", Kind.EXERCISE) in kinds
    leg = next(c for c in cycles(parsed.events) if c.underlying == "LEG")
    # 173.90 + 123.90 of premium against 6,900 for the shares: 66.022 a share
    assert leg.assigned and leg.currency == "EUR" and leg.cost_basis_per_share == Decimal("66.022")
    assert replay(parsed.events).cash["EUR"] == Decimal("-6602.20")


def test_tastytrade_malformed_rows_are_reported_with_file_and_line():
    text = "\n".join([
        ",".join(tastytrade.GEN2),
        "2021-12-16T23:00:00+0100,Money Movement,,,,INTEREST ON CREDIT BALANCE,0.05,0,,--,0.00,,,,,,,",
        "2021-12-16T23:00:00+0100,Money Movement,,,,INTEREST ON CREDIT BALANCE,zero,0,,--,0.00,,,,,,,",
        "not-a-date,Money Movement,,,,Wire Funds Received,100.00,0,,--,0.00,,,,,,,",
        "2021-12-16T23:00:00+0100,Trade,SELL_TO_OPEN,X,Future,Sold 1 /ES,5.00,1,5.00,0.00,0.00,50,,,,,,1",
        "2021-12-16T23:00:00+0100,Money Movement,only,three",
    ])
    parsed = tastytrade.parse(text, origin="hand.csv")
    assert [i.where for i in parsed.issues] == ["hand.csv:3", "hand.csv:4", "hand.csv:5", "hand.csv:6"]
    assert "Value 'zero' is not a number" in parsed.issues[0].message
    assert "not supported" in parsed.issues[2].message
    with pytest.raises(DataError, match=r"hand.csv: 4 malformed row\(s\), nothing imported: hand.csv:3"):
        refuse_if_issues(parsed)
    assert len(parsed.events) == 1  # the good row, for --skip-bad


def test_tastytrade_unknown_header_is_a_data_error():
    with pytest.raises(DataError, match="unrecognized tastytrade header"):
        tastytrade.parse("Date,Amount\n2024-01-01,5\n", origin="x.csv")


def test_ibkr_broken_xml_is_a_data_error():
    with pytest.raises(DataError, match="not a well-formed Flex XML"):
        ibkr.parse("<FlexQueryResponse><Trades>", origin="x.xml")


# Hand-written rows (not broker data) for the paths the real exports do not exercise.
def test_ibkr_cash_transactions_map_to_cash_events():
    xml = """<FlexQueryResponse><FlexStatements><FlexStatement accountId="U1"><CashTransactions>
<CashTransaction accountId="U1" currency="USD"
 symbol="" dateTime="20250102;120000" amount="5000" type="Deposits/Withdrawals" transactionID="11" />
<CashTransaction accountId="U1" currency="USD"
 symbol="KO" dateTime="20250401" amount="48.5" type="Dividends" transactionID="12" />
<CashTransaction accountId="U1" currency="USD"
 symbol="KO" dateTime="20250401" amount="-7.28" type="Withholding Tax" transactionID="13" />
<CashTransaction accountId="U1" currency="USD"
 symbol="" dateTime="20250405" amount="3.1" type="Broker Interest Received" transactionID="14" />
<CashTransaction accountId="U1" currency="USD"
 symbol="" dateTime="20250406" amount="-10" type="Other Fees" transactionID="15" />
</CashTransactions></FlexStatement></FlexStatements></FlexQueryResponse>"""
    parsed = ibkr.parse(xml, origin="hand.xml")
    assert parsed.issues == []
    assert [(e.kind, e.cash) for e in parsed.events] == [
        (Kind.DEPOSIT, Decimal(5000)), (Kind.DIVIDEND, Decimal("48.5")), (Kind.WITHHOLDING, Decimal("-7.28")),
        (Kind.INTEREST, Decimal("3.1")), (Kind.FEE, Decimal(-10)),
    ]
    assert parsed.events[0].ts.isoformat() == "2025-01-02T17:00:00+00:00"  # noon in New York
    assert parsed.events[1].key == "ibkr:id:U1:cash:12"


def test_tastytrade_legacy_trade_rows():
    header = ",".join(tastytrade.LEGACY)
    rows = [
        "01/17/2020 03:00 PM,Trade,Sell to Open,SPY 200221P00300000,Sell,Open,1,02/21/2020,300,P,1.50,1.15,150.00,"
        "Sold 1 SPY 02/21/20 Put 300.00 @ 1.50,x",
        "02/21/2020 11:00 PM,Receive Deliver,Expiration,SPY 200221P00300000,,,1,02/21/2020,300,P,,0.00,0.00,"
        "Removal of option due to expiration,x",
    ]
    parsed = tastytrade.parse("\n".join([header, *rows]), origin="legacy.csv")
    assert parsed.issues == []
    sto, exp = parsed.events
    assert (sto.quantity, sto.cash, sto.fees, sto.instrument.label) == (-1, Decimal("148.85"), Decimal("1.15"),
                                                                          "SPY 2020-02-21 300P")
    assert (exp.kind, exp.quantity) == (Kind.EXPIRE, 1)  # no Action: closes the open short
    state = replay(parsed.events)
    assert state.holdings == {} and sum(state.realized) == Decimal("148.85")
