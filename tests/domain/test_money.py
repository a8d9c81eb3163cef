"""Money is exact and refuses to mix currencies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from putwheel.domain import InputError, Money
from putwheel.domain.dates import dte, year_fraction

amounts = st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)


def test_money_float_input_is_exact_decimal_of_its_repr():
    assert Money.of(0.1).amount + Money.of(0.2).amount == Decimal("0.3")


def test_money_refuses_mixed_currencies():
    with pytest.raises(InputError, match="USD with EUR"):
        Money.of(1) + Money.of(1, "EUR")


@pytest.mark.parametrize("bad", ["nan", "inf", "abc", None, True])
def test_money_refuses_non_numbers(bad):
    with pytest.raises(InputError):
        Money.of(bad)


def test_money_quantize_is_half_even_to_cents():
    assert Money.of("2.345").quantize().amount == Decimal("2.34")
    assert Money.of("2.355").quantize().amount == Decimal("2.36")
    assert str(Money.of("-1234.5")) == "-1,234.50 USD"


def test_money_division_by_zero_is_an_input_error():
    with pytest.raises(InputError, match="zero"):
        Money.of(1) / 0


@given(a=amounts, b=amounts, c=amounts)
def test_money_addition_is_exact_and_associative(a, b, c):
    x, y, z = Money(a), Money(b), Money(c)
    assert (x + y) + z == x + (y + z)
    assert (x + y - y) == x


def test_dates_dte_and_year_fraction():
    assert dte(date(2025, 1, 17), date(2024, 12, 2)) == 46
    assert year_fraction(date(2025, 1, 17), date(2024, 12, 2)) == pytest.approx(46 / 365)
    with pytest.raises(InputError, match="before as_of"):
        dte(date(2024, 1, 1), date(2024, 1, 2))


def test_numpy_scalars_convert_exactly():
    import numpy as np

    from putwheel.domain.money import to_decimal

    assert to_decimal(np.float64(115.1)) == Decimal("115.1")
    assert to_decimal(np.float32(0.5)) == Decimal("0.5")
    assert to_decimal(np.int64(7)) == Decimal(7)
