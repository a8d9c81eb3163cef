"""`Money`: an exact amount in one currency. Arithmetic across currencies is refused, never converted."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from putwheel.domain.errors import InputError

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
PER_SHARE = MICRO  # per-share figures (basis, breakeven, average premium): 6 decimals, half-even; totals stay exact

Number = Decimal | int | str


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Exact Decimal from int/str/Decimal; floats go through `repr` so 0.1 stays 0.1, NaN/inf are refused."""
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, got a boolean")
    try:
        if isinstance(value, numbers.Integral):  # int, numpy integers
            dec = Decimal(int(value))
        elif isinstance(value, numbers.Real):  # float, numpy floats (whose repr is "np.float64(...)")
            dec = Decimal(repr(float(value)))
        else:
            dec = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InputError(f"{what} must be a number, got {value!r}") from exc
    if not dec.is_finite():
        raise InputError(f"{what} must be finite, got {value!r}")
    return dec


def per_share(value: Decimal) -> Decimal:
    """A per-share quotient at `PER_SHARE` precision, trailing zeros dropped (5.0952800 -> 5.09528, never 5.1E+1)."""
    q = value.quantize(PER_SHARE, rounding=ROUND_HALF_EVEN).normalize()
    return q.quantize(Decimal(1)) if q.as_tuple().exponent > 0 else q  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount. `Money(1, "USD") + Money(1, "EUR")` raises; use `.quantize()` at report edges."""

    amount: Decimal
    currency: str = "USD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount, what="money amount"))
        cur = str(self.currency).upper()
        if len(cur) != 3 or not cur.isalpha():
            raise InputError(f"currency must be a 3-letter ISO code, got {self.currency!r}")
        object.__setattr__(self, "currency", cur)

    @classmethod
    def of(cls, value: object, currency: str = "USD") -> Money:
        return cls(to_decimal(value), currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise InputError(
                f"cannot combine {self.currency} with {other.currency}",
                hint="convert explicitly before adding amounts in different currencies",
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Number) -> Money:
        if isinstance(factor, Money):
            raise TypeError("Money * Money has no meaning; multiply by a quantity")
        return Money(self.amount * to_decimal(factor, what="factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Number) -> Money:
        d = to_decimal(divisor, what="divisor")
        if d == 0:
            raise InputError("cannot divide money by zero")
        return Money(self.amount / d, self.currency)

    def _cmp(self, other: Money) -> tuple[Decimal, Decimal]:
        self._same(other)
        return self.amount, other.amount

    def __lt__(self, other: Money) -> bool:
        a, b = self._cmp(other)
        return a < b

    def __le__(self, other: Money) -> bool:
        a, b = self._cmp(other)
        return a <= b

    def __gt__(self, other: Money) -> bool:
        a, b = self._cmp(other)
        return a > b

    def __ge__(self, other: Money) -> bool:
        a, b = self._cmp(other)
        return a >= b

    def __bool__(self) -> bool:
        return self.amount != 0

    def quantize(self, step: Decimal = CENT) -> Money:
        """Round half-even to `step` (cents by default): only at ledger and report edges."""
        return Money(self.amount.quantize(step, rounding=ROUND_HALF_EVEN), self.currency)

    def __str__(self) -> str:
        q = self.amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
        sign = "-" if q < 0 else ""
        return f"{sign}{abs(q):,.2f} {self.currency}"
