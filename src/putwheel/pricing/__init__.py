"""Pricing core: Black-Scholes-Merton, implied vol, American options. NumPy in, NumPy out, no pandas."""

from putwheel.pricing.american import (
    american_delta,
    american_greeks,
    american_implied_vol,
    american_price,
    baw_price,
    binomial_price,
    bjerksund_stensland_price,
)
from putwheel.pricing.bsm import Greeks, bs_greeks, bs_price, prob_itm, prob_touch
from putwheel.pricing.iv import IVResult, implied_vol, reason_text

__all__ = [
    "Greeks", "IVResult", "american_delta", "american_greeks", "american_implied_vol", "american_price", "baw_price",
    "binomial_price", "bjerksund_stensland_price", "bs_greeks", "bs_price", "implied_vol", "prob_itm", "prob_touch",
    "reason_text",
]
