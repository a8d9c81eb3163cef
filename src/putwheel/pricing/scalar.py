"""Scalar compiled pricing functions for other compiled loops (the array Wheel engine, the modelled chain).

The vectorized public functions (`bs_price`, `bs_greeks`, `bjerksund_stensland_price`) run these same scalars per
contract, so a kernel that calls them gets bit-identical numbers to the pandas paths.
"""

from putwheel.pricing._american_kernels import bs2002_1
from putwheel.pricing._kernels import bs1, greeks1, jit

__all__ = ["bs1", "bs2002_1", "greeks1", "jit"]
