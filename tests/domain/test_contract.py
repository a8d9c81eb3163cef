"""OCC/OSI symbol round-trip and clear errors for bad contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from putwheel.domain import InputError, OptionContract, Right


@pytest.mark.parametrize(
    ("symbol", "root", "expiry", "strike", "right"),
    [
        ("SPY   240119P00450000", "SPY", date(2024, 1, 19), Decimal("450"), Right.PUT),
        ("SPY240119P00450000", "SPY", date(2024, 1, 19), Decimal("450"), Right.PUT),
        ("AAPL  260131P00190000", "AAPL", date(2026, 1, 31), Decimal("190"), Right.PUT),
        ("GME   230630C00021000", "GME", date(2023, 6, 30), Decimal("21"), Right.CALL),
        ("SPXW  260817C05000000", "SPXW", date(2026, 8, 17), Decimal("5000"), Right.CALL),
        ("TSLL250117P00012500", "TSLL", date(2025, 1, 17), Decimal("12.5"), Right.PUT),
        ("F     241220C00011125", "F", date(2024, 12, 20), Decimal("11.125"), Right.CALL),
    ],
)
def test_contract_from_occ_parses_padded_and_compact(symbol, root, expiry, strike, right):
    c = OptionContract.from_occ(symbol)
    assert (c.underlying, c.expiry, c.strike, c.right) == (root, expiry, strike, right)
    assert len(c.occ_symbol) == 21
    assert OptionContract.from_occ(c.occ_symbol) == c
    assert OptionContract.from_occ(c.compact_symbol) == c


def test_contract_occ_symbol_pads_root_to_six():
    c = OptionContract("SPY", date(2024, 1, 19), Decimal("450"), Right.PUT)
    assert c.occ_symbol == "SPY   240119P00450000"
    assert c.compact_symbol == "SPY240119P00450000"


@pytest.mark.parametrize(
    "bad",
    ["", "SPY", "SPY 240119X00450000", "SPY   241319P00450000", "SPY   240230P00450000", "TOOLONGX240119P00450000",
     "SPY   240119P0045000"],
)
def test_contract_from_occ_rejects_bad_symbols(bad):
    with pytest.raises(InputError, match="symbol|date"):
        OptionContract.from_occ(bad)


@pytest.mark.parametrize("strike", ["-5", "0", "abc", "nan", "inf", "450.0001", "100000"])
def test_contract_rejects_bad_strike(strike):
    with pytest.raises(InputError, match="strike"):
        OptionContract("SPY", date(2024, 1, 19), strike, Right.PUT)  # type: ignore[arg-type]


@pytest.mark.parametrize("right", ["X", "", "putt", None])
def test_right_parse_rejects_unknown(right):
    with pytest.raises(InputError, match="unknown option right"):
        Right.parse(right)


@pytest.mark.parametrize(("text", "right"), [("put", Right.PUT), ("P", Right.PUT), (" Calls ", Right.CALL)])
def test_right_parse_accepts_aliases(text, right):
    assert Right.parse(text) is right


def test_contract_collateral_per_contract_uses_multiplier():
    c = OptionContract("SPY", date(2024, 1, 19), Decimal("450"), Right.PUT, multiplier=10)
    assert c.collateral_per_contract() == Decimal("4500")


@given(
    root=st.from_regex(r"[A-Z]{1,6}", fullmatch=True),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    millis=st.integers(min_value=1, max_value=99_999_999),
    right=st.sampled_from(list(Right)),
)
def test_contract_occ_round_trip_property(root, day, millis, right):
    c = OptionContract(root, day, Decimal(millis) / 1000, right)
    assert OptionContract.from_occ(c.occ_symbol) == c
    assert OptionContract.from_occ(c.compact_symbol) == c
