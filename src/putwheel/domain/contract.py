"""`Right` and `OptionContract`, the identity of a listed option, with OCC/OSI symbol round-trip.

The OSI symbol is the contract's ID everywhere (ledger, chains, reports): root padded to 6 characters,
YYMMDD expiry, P/C, strike × 1000 in 8 digits, e.g. ``"SPY   240119P00450000"``. Cboe's delayed feed and
many exports drop the padding (``"SPY240119P00450000"``); both parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from putwheel.domain.errors import InputError
from putwheel.domain.money import to_decimal

_OCC = re.compile(r"^(?P<root>[A-Z0-9.]{1,6}?)\s*(?P<ymd>\d{6})(?P<right>[CP])(?P<strike>\d{8})$")
_MAX_STRIKE = Decimal("99999.999")


class Right(StrEnum):
    """Put or call. Parse user text with `Right.parse`, never with `startswith("P")`."""

    PUT = "P"
    CALL = "C"

    @classmethod
    def parse(cls, value: object) -> Right:
        if isinstance(value, Right):
            return value
        text = str(value).strip().upper()
        aliases = {"P": cls.PUT, "PUT": cls.PUT, "PUTS": cls.PUT, "C": cls.CALL, "CALL": cls.CALL, "CALLS": cls.CALL}
        if text not in aliases:
            raise InputError(f"unknown option right {value!r}", hint="use 'put'/'P' or 'call'/'C'")
        return aliases[text]

    @property
    def is_call(self) -> bool:
        return self is Right.CALL


def parse_strike(value: object) -> Decimal:
    """A positive strike with at most 3 decimals (what the OSI symbol can carry)."""
    strike = to_decimal(value, what="strike")
    if strike <= 0:
        raise InputError(f"strike must be positive, got {value}", hint="strikes are prices per share, e.g. 450")
    if strike > _MAX_STRIKE:
        raise InputError(f"strike {value} is above the OSI maximum of 99999.999")
    if strike != strike.quantize(Decimal("0.001")):
        raise InputError(f"strike {value} has more than 3 decimals, which no listed option has")
    return strike


@dataclass(frozen=True, slots=True)
class OptionContract:
    """A listed option: underlying, expiry, strike, right and multiplier (shares per contract)."""

    underlying: str
    expiry: date
    strike: Decimal
    right: Right
    multiplier: int = 100

    def __post_init__(self) -> None:
        root = str(self.underlying).strip().upper()
        if not root or len(root) > 6 or not re.fullmatch(r"[A-Z0-9.^_]+", root):
            raise InputError(
                f"underlying {self.underlying!r} is not a valid option root",
                hint="use 1-6 letters/digits such as SPY or BRK.B",
            )
        object.__setattr__(self, "underlying", root)
        if not isinstance(self.expiry, date):
            raise InputError(f"expiry must be a date, got {self.expiry!r}")
        object.__setattr__(self, "strike", parse_strike(self.strike))
        object.__setattr__(self, "right", Right.parse(self.right))
        if isinstance(self.multiplier, bool) or not isinstance(self.multiplier, int) or self.multiplier <= 0:
            raise InputError(f"multiplier must be a positive integer, got {self.multiplier!r}")

    @property
    def osi_root(self) -> str:
        """The root as it appears in the OSI symbol (index carets/underscores dropped: ^SPX, _SPX → SPX)."""
        return self.underlying.lstrip("^_")

    @property
    def occ_symbol(self) -> str:
        """The padded 21-character OSI symbol, e.g. ``'SPY   240119P00450000'``."""
        millis = int(self.strike * 1000)
        return f"{self.osi_root:<6}{self.expiry:%y%m%d}{self.right.value}{millis:08d}"

    @property
    def compact_symbol(self) -> str:
        """The unpadded form used by Cboe's feed, e.g. ``'SPY240119P00450000'``."""
        return self.occ_symbol.replace(" ", "")

    def collateral_per_contract(self) -> Decimal:
        """Cash that secures one short put: strike × multiplier."""
        return self.strike * self.multiplier

    @classmethod
    def from_occ(cls, symbol: str, multiplier: int = 100) -> OptionContract:
        """Parse a padded or unpadded OSI symbol; raises `InputError` naming what is wrong."""
        text = str(symbol).strip().upper()
        m = _OCC.match(text)
        if m is None:
            raise InputError(
                f"{symbol!r} is not an OCC/OSI option symbol",
                hint="expected ROOT + YYMMDD + P/C + 8-digit strike×1000, e.g. 'SPY   240119P00450000'",
            )
        ymd = m["ymd"]
        try:
            expiry = date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))
        except ValueError as exc:
            raise InputError(f"{symbol!r} has an impossible expiry date {ymd!r} (YYMMDD)") from exc
        strike = Decimal(int(m["strike"])) / 1000
        return cls(m["root"], expiry, strike.normalize() if strike == strike.to_integral() else strike,
                   Right(m["right"]), multiplier)

    def __str__(self) -> str:
        return f"{self.underlying} {self.expiry.isoformat()} {self.strike.normalize():f} {self.right.name}"


def canonical(value: Decimal) -> Decimal:
    """Trailing zeros dropped, never exponent notation: 20.000 -> 20, 7.50 -> 7.5."""
    norm = value.normalize()
    return norm.quantize(Decimal(1)) if norm.as_tuple().exponent > 0 else norm  # type: ignore[operator]


def position_label(underlying: str, right: Right | None, strike: Decimal | None, expiry: date | None) -> str:
    """`XYZ 2024-02-16 95P` for an option, the symbol for shares: how the ledger and the manager name a position."""
    if right is None:
        return underlying
    assert strike is not None and expiry is not None
    return f"{underlying} {expiry:%Y-%m-%d} {canonical(strike):f}{right.value}"
