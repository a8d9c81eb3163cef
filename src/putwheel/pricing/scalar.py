"""Scalar compiled pricing functions for other compiled loops (the array Wheel engine, the modelled chain).

The vectorized public functions (`bs_price`, `bs_greeks`, `bjerksund_stensland_price`) run these same scalars per
contract, so a kernel that calls them gets bit-identical numbers to the pandas paths.
"""

from putwheel.pricing import _american_kernels, _kernels
from putwheel.pricing._american_kernels import bs2002_1
from putwheel.pricing._kernels import bs1, cache_depends_on, greeks1, jit

# A module that compiles these into its own cached kernels must key its cache on these files too:
# `cache_depends_on(globals(), *SOURCES)` at its end (numba checks only the caller's own file).
SOURCES = (_kernels.__file__, _american_kernels.__file__)

__all__ = ["SOURCES", "bs1", "bs2002_1", "cache_depends_on", "greeks1", "jit"]
