"""`OpenPosition`: THE view of one open position, whoever reads it — the manager, the planner, reports, `run`.

Ledger replay builds it from the domain `Position`/`WheelCycle` (fills in, lots and cycle basis out); a position
file, a config's held positions and tests build it with `option_position` / `share_lot`, which validate what a
hand-typed position can get wrong. It is read-only and carries exact Decimals; the manager's frame takes floats.
For a share lot handed to the manager, `contracts` is the share count still *uncovered* by short calls and
`cost_basis_per_share` the premium-adjusted basis of its cycle (the covered-call floor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from putwheel.domain.contract import Right, position_label
from putwheel.domain.errors import InputError

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """One open option or share position.

    `contracts` is signed (negative = short); for shares it is the share count. `open_premium_per_share` is the
    average price per share at which the option was opened (credit for shorts); `cost_basis_per_share` is the
    average price paid per share for share lots (for a short call: the covered shares' basis when known, else None).
    `chain_net_credit` is a short option's net
    credit across all the rolls that led to it (None: never rolled, the open premium is the credit).
    """

    account: str
    underlying: str
    right: Right | None
    strike: Decimal | None
    expiry: date | None
    contracts: int
    multiplier: int
    open_premium_per_share: Decimal | None
    cost_basis_per_share: Decimal | None
    opened: date
    currency: str = "USD"
    cost_total: Decimal = ZERO  # cash paid to open what is still open, fees included (negative: credit received)
    chain_net_credit: Decimal | None = None

    @property
    def is_option(self) -> bool:
        return self.right is not None

    @property
    def label(self) -> str:
        return position_label(self.underlying, self.right, self.strike, self.expiry)

    @property
    def quantity(self) -> int:
        return self.contracts

    @property
    def open_premium(self) -> float:
        """Per share as opened (the manager's frame reads floats)."""
        return float(self.open_premium_per_share or 0)

    @property
    def share_cost_basis(self) -> float | None:
        return None if self.cost_basis_per_share is None else float(self.cost_basis_per_share)

    @property
    def net_credit(self) -> float | None:
        """A short option's net credit per share across its rolls (None: the open premium is the credit)."""
        if self.chain_net_credit is None or self.contracts >= 0 or self.right is None:
            return None
        return float(self.chain_net_credit) / (-self.contracts * self.multiplier)

    @property
    def collateral(self) -> Decimal:
        """Cash a short put reserves: strike × multiplier × contracts (0 for anything else)."""
        if self.right is Right.PUT and self.contracts < 0 and self.strike is not None:
            return self.strike * self.multiplier * -self.contracts
        return ZERO

    def exposure(self, mark: Decimal | None = None) -> Decimal:
        """What counts toward the per-name and per-sector caps: a short put's collateral, shares at `mark` (or at
        their cost basis when no price is known), a short call nothing more (its shares already count)."""
        if self.right is None:
            price = mark if mark is not None else self.cost_basis_per_share or ZERO
            return price * self.contracts
        return self.collateral

    def unrealized(self, mark: Decimal) -> Decimal:
        """P&L if closed at `mark` per share now (before closing fees)."""
        return mark * self.contracts * self.multiplier - self.cost_total


def _decimal(value: object, what: str, where: str, *, positive: bool) -> Decimal:
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError(f"{what} must be a number, got {value!r}", where=where) from None
    if not out.is_finite() or out < 0 or (positive and out == 0):
        raise InputError(f"{what} must be a {'positive' if positive else 'non-negative'} number, got {value!r}",
                         where=where)
    return out


def _whole(value: object, where: str) -> int:
    if isinstance(value, bool) or (not isinstance(value, int) and not (hasattr(value, "__index__"))):
        raise InputError(f"contracts must be a non-zero whole number, got {value!r}", where=where)
    out = int(value)  # type: ignore[call-overload,unused-ignore]
    if out == 0:
        raise InputError(f"contracts must be a non-zero whole number, got {value!r}", where=where)
    return out


def _symbol(underlying: object) -> str:
    out = str(underlying).strip().upper()
    if not out:
        raise InputError("a position needs an underlying symbol")
    return out


def option_position(underlying: str, right: Right | str, strike: object, expiry: date, contracts: int,
                    open_premium: object, opened: date, *, share_cost_basis: object = None, multiplier: int = 100,
                    net_credit: object = None, account: str = "", currency: str = "USD") -> OpenPosition:
    """A hand-typed option position (a positions file, a test): validated, premiums per share as sold (positive).

    `net_credit` is per share across every roll that led here (None: never rolled); `share_cost_basis`, for a
    short call, is the covered shares' premium-adjusted basis per share (the manager's strike floor), if known.
    """
    under = _symbol(underlying)
    where = f"{under} position"
    qty = _whole(contracts, where)
    try:
        k = _decimal(strike, "strike", where, positive=True)
    except InputError:
        raise InputError(f"an option leg needs a positive strike, got {strike!r}", where=where) from None
    if not isinstance(expiry, date):
        raise InputError(f"an option leg needs an expiry date, got {expiry!r}", where=where)
    if (isinstance(open_premium, float) and not math.isfinite(open_premium)) or _is_negative(open_premium):
        raise InputError(f"open_premium must be a non-negative price per share, got {open_premium!r}",
                         where=where, hint="the premium received per share when the option was sold, e.g. 2.15")
    premium = _decimal(open_premium, "open_premium", where, positive=False)
    if expiry < opened:
        raise InputError(f"expiry {expiry} is before the open date {opened}", where=where)
    sign = Decimal(1 if qty > 0 else -1)
    total_credit = None
    if net_credit is not None and qty < 0:
        total_credit = _decimal(net_credit, "net_credit", where, positive=False) * (-qty) * multiplier
    covered = None if share_cost_basis is None else _decimal(share_cost_basis, "share_cost_basis", where, positive=True)
    return OpenPosition(account, under, Right.parse(right), k, expiry, qty, multiplier, premium, covered, opened,
                        currency, sign * premium * abs(qty) * multiplier, total_credit)


def _is_negative(value: object) -> bool:
    try:
        return Decimal(str(value)) < 0
    except (InvalidOperation, ValueError):
        return False


def share_lot(underlying: str, quantity: int, cost_basis: object, opened: date, *, account: str = "",
              currency: str = "USD") -> OpenPosition:
    """A lot of shares (e.g. just assigned): the start of the covered-call phase; `cost_basis` per share."""
    under = _symbol(underlying)
    where = f"{under} position"
    qty = _whole(quantity, where)
    if qty < 0:
        raise InputError("short stock is not part of the Wheel", where=where)
    if cost_basis is None or (isinstance(cost_basis, float) and not math.isfinite(cost_basis)):
        raise InputError("a share lot needs a positive share_cost_basis", where=where,
                         hint="the assignment strike minus premiums collected, per share")
    try:
        basis = _decimal(cost_basis, "share_cost_basis", where, positive=True)
    except InputError:
        raise InputError("a share lot needs a positive share_cost_basis", where=where,
                         hint="the assignment strike minus premiums collected, per share") from None
    return OpenPosition(account, under, None, None, None, qty, 1, None, basis, opened, currency, basis * qty)
