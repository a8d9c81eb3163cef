"""`quote`: everything a put seller wants to know about one contract before selling it.

Price (American, with the European value beside it), American Greeks (the fixed-point engine's), probability of
assignment, premium yield on the collateral and its annualized rate, breakeven,
from an explicit `as_of`. Vol can be given, or solved from a premium (`price=`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from putwheel.domain import InputError, Money, OptionContract, Right
from putwheel.domain.dates import dte as days_to_expiry
from putwheel.domain.dates import year_fraction
from putwheel.pricing import (
    american_greeks,
    american_implied_vol,
    bs_price,
    prob_itm,
    prob_touch,
)
from putwheel.pricing.iv import reason_text


@dataclass(frozen=True)
class Quote:
    """One contract priced for a seller. Per-share figures are floats; totals are exact `Money`."""

    contract: str
    occ_symbol: str
    as_of: date
    dte: int
    spot: float
    vol: float
    vol_source: str
    rate: float
    dividend_yield: float
    contracts: int
    price: float
    american_price: float
    early_exercise_premium: float
    delta: float
    gamma: float
    theta_per_day: float
    vega_per_vol_point: float
    rho_per_rate_point: float
    prob_assignment: float
    prob_assignment_delta: float
    prob_touch: float
    premium_total: Money
    collateral: Money
    premium_yield: float
    annualized_yield: float
    breakeven: float
    discount_to_spot: float

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["premium_total"] = str(self.premium_total.amount)
        out["collateral"] = str(self.collateral.amount)
        out["as_of"] = self.as_of.isoformat()
        return out


def _check_positive(name: str, value: float, hint: str) -> float:
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive number, got {value}", hint=hint)
    return float(value)


def _solve_vol(price: float, spot: float, strike: float, t: float, rate: float, q: float, call: bool) -> float:
    if t <= 0:
        raise InputError("cannot solve implied vol on expiration day", hint="give --vol instead")
    res = american_implied_vol(price, spot, strike, t, rate, q, call)
    iv = float(np.asarray(res.iv))
    if not np.isfinite(iv):
        raise InputError(
            f"no implied vol fits premium {price}: {reason_text(int(np.asarray(res.reason)))}",
            hint="check the premium against intrinsic value and the spot",
        )
    return iv


def quote(
    underlying: str,
    strike: Decimal | float | str,
    right: Right | str,
    expiry: date,
    *,
    spot: float,
    as_of: date,
    vol: float | None = None,
    price: float | None = None,
    rate: float = 0.04,
    dividend_yield: float = 0.0,
    contracts: int = 1,
) -> Quote:
    """Price one contract for a seller; `vol` or `price` (then vol is the American implied vol) is required."""
    contract = OptionContract(underlying, expiry, strike, Right.parse(right))  # type: ignore[arg-type]
    days = days_to_expiry(expiry, as_of)
    if contracts <= 0:
        raise InputError(f"contracts must be a positive whole number, got {contracts}")
    spot = _check_positive("spot", spot, "the underlying's price, e.g. --spot 455")
    if not (np.isfinite(rate) and -0.05 < rate < 0.5):
        raise InputError(f"rate {rate} is not a plausible annual rate", hint="give it as a fraction, e.g. 0.045")
    if not (np.isfinite(dividend_yield) and 0 <= dividend_yield < 0.5):
        raise InputError(f"dividend yield {dividend_yield} is not plausible", hint="a fraction, e.g. 0.013")
    k, t, call = float(contract.strike), year_fraction(expiry, as_of), contract.right.is_call
    if (vol is None) == (price is None):
        raise InputError("give exactly one of vol or price", hint="--vol 0.18 or --price 5.10")
    if vol is not None:
        vol_source = "given"
        sigma = _check_positive("vol", vol, "a fraction, e.g. 0.18 for 18 %")
        if sigma > 5:
            raise InputError(f"vol {vol} looks like a percent", hint="give it as a fraction, e.g. 0.18")
    else:
        vol_source = "implied from premium (American)"
        sigma = _solve_vol(_check_positive("price", float(price), "premium per share"), spot, k, t, rate,  # type: ignore[arg-type]
                           dividend_yield, call)
    euro = float(bs_price(spot, k, t, rate, dividend_yield, sigma, call))
    g = american_greeks(spot, k, t, rate, dividend_yield, sigma, call)  # the contract is American: so are its Greeks
    amer = float(g.price)
    premium = float(price) if price is not None else amer
    mult = contract.multiplier
    premium_total = Money(Decimal(str(round(premium, 4))) * mult * contracts).quantize()
    per_contract = contract.strike if not call else Decimal(str(spot))  # a covered call's collateral is the shares
    collateral = Money(per_contract * mult * contracts).quantize()
    yld = float(premium_total.amount / collateral.amount)
    breakeven = k - premium if not call else k + premium
    return Quote(
        contract=str(contract), occ_symbol=contract.occ_symbol, as_of=as_of, dte=days, spot=spot, vol=sigma,
        vol_source=vol_source, rate=rate, dividend_yield=dividend_yield, contracts=contracts,
        price=euro, american_price=amer, early_exercise_premium=amer - euro,
        delta=float(g.delta), gamma=float(g.gamma), theta_per_day=float(g.theta),
        vega_per_vol_point=float(g.vega_per_vol_point), rho_per_rate_point=float(g.rho_per_rate_point),
        prob_assignment=float(prob_itm(spot, k, t, rate, dividend_yield, sigma, call)),
        prob_assignment_delta=abs(float(g.delta)),
        prob_touch=float(prob_touch(spot, k, t, rate, dividend_yield, sigma)),
        premium_total=premium_total, collateral=collateral, premium_yield=yld,
        annualized_yield=yld * 365 / days if days > 0 else float("nan"),
        breakeven=breakeven, discount_to_spot=(spot - breakeven) / spot if not call else (breakeven - spot) / spot,
    )
